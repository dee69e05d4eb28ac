//! The player: 20 ms RTP packets of a source, encoded in the leg's codec, on the box's
//! own stream towards the leg (its SSRC, sequence and timestamp; marker bit first).
//!
//! One tokio task with its own 20 ms interval per playing leg. Tokio keeps all timers in
//! one hierarchical wheel, so hundreds of intervals cost a wheel slot each, and separate
//! tasks let the runtime spread the encoding (Opus is the expensive part) over every
//! worker thread; a single shared ticker would run all encoders on one thread, and a
//! stop or replace would have to edit its list instead of aborting a task.

use super::media_shared::Hooks;
use super::mlib::codec::{self, CodecError, CodecKind, Encoder};
use super::mlib::resample::Resampler;
use super::shared::{BridgeShared, CachedRemote};
use super::socket::BridgeIo;
use super::sources::{Source, SourceCache, INTERNAL_FRAME, INTERNAL_RATE};
use super::transcode::TranscodeError;
use pbx::{MediaEvent, Playback, Side};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::time::MissedTickBehavior;

pub struct PlayerCtx {
    /// The leg played to (0 = A, 1 = B).
    pub leg: usize,
    pub io: Arc<BridgeIo>,
    pub shared: Arc<BridgeShared>,
    pub hooks: Hooks,
    pub cache: Arc<SourceCache>,
}

/// The leg's codec fed from 16 kHz frames.
struct Encoding {
    codec: CodecKind,
    encoder: Box<dyn Encoder>,
    resampler: Option<Resampler>,
    fifo: Vec<i16>,
}

impl Encoding {
    fn new(codec: CodecKind) -> Result<Self, TranscodeError> {
        let rate = codec.sample_rate();
        let resampler = if rate == INTERNAL_RATE {
            None
        } else {
            Some(Resampler::new(INTERNAL_RATE, rate).map_err(|source| {
                TranscodeError::Resampler {
                    from: INTERNAL_RATE,
                    to: rate,
                    source,
                }
            })?)
        };
        Ok(Encoding {
            codec,
            encoder: codec::encoder(codec).map_err(|source| TranscodeError::Encoder {
                kind: codec,
                source,
            })?,
            resampler,
            fifo: Vec::with_capacity(2 * codec.frame_samples()),
        })
    }

    /// One 20 ms frame of 16 kHz PCM in, one payload out.
    fn frame(&mut self, pcm16k: &[i16], payload: &mut Vec<u8>) -> Result<(), CodecError> {
        match self.resampler.as_mut() {
            Some(r) => r.process(pcm16k, &mut self.fifo),
            None => self.fifo.extend_from_slice(pcm16k),
        }
        let n = self.codec.frame_samples();
        if self.fifo.len() < n {
            // The resampler's start-up latency: lead with silence so every tick sends a
            // full frame.
            let missing = n - self.fifo.len();
            self.fifo.splice(0..0, std::iter::repeat_n(0, missing));
        }
        payload.clear();
        let result = self.encoder.encode(&self.fifo[..n], payload);
        self.fifo.drain(..n);
        // Never let the backlog grow past a frame (a resampler giving one sample more now
        // and then would otherwise delay the audio slowly).
        let excess = self.fifo.len().saturating_sub(n);
        self.fifo.drain(..excess);
        result
    }
}

fn side_of(leg: usize) -> Side {
    if leg == 0 {
        Side::A
    } else {
        Side::B
    }
}

/// Plays `what` to the leg until it ends (then `PlayDone`) or the task is aborted.
pub async fn run(ctx: PlayerCtx, what: Playback, token: u64) {
    let side = side_of(ctx.leg);
    let done = || {
        ctx.hooks.events.send(MediaEvent::PlayDone {
            id: ctx.hooks.id,
            side,
            token,
        })
    };
    let mut source: Source = match ctx.cache.open(&what).await {
        Ok(s) => s,
        Err(error) => {
            // The call logic goes on (next prompt, menu timeout) as if it had been heard.
            tracing::warn!(id = ctx.hooks.id, ?side, %error, "cannot play; skipped");
            done();
            return;
        }
    };
    let media = &ctx.shared.media;
    let slot = &ctx.shared.rtp_remote[ctx.leg];
    let socket = &ctx.io.legs[ctx.leg].rtp;
    let mut remote = CachedRemote::new(slot);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    // A late tick (busy box) catches up with a short burst so the leg's jitter buffer sees
    // timestamps in step with the wall clock.
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut encoding: Option<Encoding> = None;
    let mut frame = [0i16; INTERNAL_FRAME];
    let mut payload = Vec::with_capacity(256);
    let mut packet = Vec::with_capacity(256);
    loop {
        tick.tick().await;
        let now = Instant::now();
        let format = media.out(ctx.leg).format;
        if encoding.as_ref().map(|e| e.codec) != Some(format.codec) {
            match Encoding::new(format.codec) {
                Ok(e) => encoding = Some(e),
                Err(error) => {
                    tracing::warn!(id = ctx.hooks.id, ?side, codec = ?format.codec, %error, "cannot encode; playback skipped");
                    done();
                    return;
                }
            }
            media
                .out(ctx.leg)
                .stream
                .restart(now, format.codec.rtp_clock_rate());
        }
        let Some(enc) = encoding.as_mut() else {
            return;
        };
        let got = source.fill(&mut frame);
        if got == 0 {
            // The clip ended exactly on a frame boundary: nothing left to send.
            done();
            return;
        }
        if let Err(error) = enc.frame(&frame, &mut payload) {
            tracing::debug!(id = ctx.hooks.id, %error, "player frame not encoded");
        } else {
            let header = media.out(ctx.leg).stream.next_audio(
                format.payload_type,
                format.codec.frame_ticks(),
                now,
            );
            header.write(&mut packet);
            packet.extend_from_slice(&payload);
            if let Some(target) = remote.addr(slot) {
                // Never wait on a full socket buffer: the packet is lost like on the network.
                let _ = socket.try_send_to(&packet, target);
            }
        }
        if got < INTERNAL_FRAME {
            done();
            return;
        }
    }
}
