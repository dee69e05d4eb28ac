//! The player: 20 ms RTP packets of a source, encoded in the leg's codec, on the box's
//! own stream towards the leg (its SSRC, sequence and timestamp; marker bit first).
//!
//! One tokio task with its own 20 ms interval per playing leg. Tokio keeps all timers in
//! one hierarchical wheel, so hundreds of intervals cost a wheel slot each, and separate
//! tasks let the runtime spread the encoding (Opus is the expensive part) over every
//! worker thread; a single shared ticker would run all encoders on one thread, and a
//! stop or replace would have to edit its list instead of aborting a task.

use super::media_shared::Hooks;
use super::mlib::codec::{self, CodecKind, Encoder};
use super::shared::{BridgeShared, CachedRemote};
use super::socket::BridgeIo;
use super::sources::{Source, SourceCache};
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
    let media = &ctx.shared.media;
    let slot = &ctx.shared.rtp_remote[ctx.leg];
    let socket = &ctx.io.legs[ctx.leg].rtp;
    let mut remote = CachedRemote::new(slot);
    // The source plays at the leg's codec rate (see `sources`); it is opened before the
    // clock starts, so a file's first decode does not turn into a burst of late packets.
    let mut format = media.out(ctx.leg).format;
    let Some(mut playing) = open(&ctx, &what, format.codec, None).await else {
        done();
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    // A late tick (busy box) catches up with a short burst so the leg's jitter buffer sees
    // timestamps in step with the wall clock.
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut frame: Vec<i16> = vec![0; format.codec.frame_samples()];
    let mut payload = Vec::with_capacity(256);
    let mut packet = Vec::with_capacity(256);
    media
        .out(ctx.leg)
        .stream
        .restart(Instant::now(), format.codec.rtp_clock_rate());
    loop {
        tick.tick().await;
        let now_format = media.out(ctx.leg).format;
        if now_format.codec != format.codec {
            // A re-INVITE changed the leg's codec mid-play: same playback, new rate.
            let (old_codec, _, old) = &playing;
            let resume = old.position().map(|at| (at, old_codec.sample_rate()));
            let Some(p) = open(&ctx, &what, now_format.codec, resume).await else {
                done();
                return;
            };
            playing = p;
            frame.resize(now_format.codec.frame_samples(), 0);
            media
                .out(ctx.leg)
                .stream
                .restart(Instant::now(), now_format.codec.rtp_clock_rate());
        }
        format = now_format;
        let (_, encoder, source) = &mut playing;
        let got = source.fill(&mut frame);
        if got == 0 {
            // The clip ended exactly on a frame boundary: nothing left to send.
            done();
            return;
        }
        payload.clear();
        if let Err(error) = encoder.encode(&frame, &mut payload) {
            tracing::debug!(id = ctx.hooks.id, %error, "player frame not encoded");
        } else {
            let header = media.out(ctx.leg).stream.next_audio(
                format.payload_type,
                format.codec.frame_ticks(),
                Instant::now(),
            );
            header.write(&mut packet);
            packet.extend_from_slice(&payload);
            if let Some(target) = remote.addr(slot) {
                // Never wait on a full socket buffer: the packet is lost like on the network.
                let _ = socket.try_send_to(&packet, target);
            }
        }
        if got < frame.len() {
            done();
            return;
        }
    }
}

type Playing = (CodecKind, Box<dyn Encoder>, Source);

/// The leg's encoder and the source at its codec's rate, resumed at `resume` (position,
/// rate) if any; `None` (logged) when either cannot be had.
async fn open(
    ctx: &PlayerCtx,
    what: &Playback,
    codec: CodecKind,
    resume: Option<(usize, u32)>,
) -> Option<Playing> {
    let side = side_of(ctx.leg);
    let encoder = match codec::encoder(codec) {
        Ok(e) => e,
        Err(error) => {
            tracing::warn!(id = ctx.hooks.id, ?side, ?codec, %error, "cannot encode; playback skipped");
            return None;
        }
    };
    let rate = codec.sample_rate();
    let mut source = match ctx.cache.open(what, rate).await {
        Ok(s) => s,
        Err(error) => {
            // The call logic goes on (next prompt, menu timeout) as if it had been heard.
            tracing::warn!(id = ctx.hooks.id, ?side, %error, "cannot play; skipped");
            return None;
        }
    };
    if let Some((at, old_rate)) = resume {
        source.resume(at, old_rate, rate);
    }
    Some((codec, encoder, source))
}
