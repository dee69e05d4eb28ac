//! One participant's two pipelines: what they send (RTP → jitter buffer → decoder →
//! resampler to the mix rate) and what they hear (their mix → limiter → resampler to the
//! codec rate → encoder → RTP).

use super::jitter::{Arrival, JitterBuffer, Playout};
use super::limiter::Limiter;
use super::rtp_out::RtpSender;
use super::{ConferenceError, ParticipantId, ParticipantStats};
use crate::codec::{self, CodecKind, Decoder, Encoder};
use crate::resample::Resampler;

/// Packets decoded at most per tick: enough to fill 20 ms from 10 ms packets with one loss,
/// bounded so a flood cannot make one tick expensive.
const MAX_DECODES_PER_TICK: usize = 4;
/// Decoded audio kept ahead of the mix at most, in frames (a peer sending 60 ms packets
/// needs 3); older audio is dropped rather than delaying the speaker further.
const MAX_PENDING_FRAMES: usize = 4;

pub(crate) struct Participant {
    pub(crate) id: ParticipantId,
    pub(crate) codec: CodecKind,
    pub(crate) payload_type: u8,
    pub(crate) muted: bool,
    inbound_ssrc: Option<u32>,
    jitter: JitterBuffer,
    decoder: Box<dyn Decoder>,
    in_resampler: Resampler,
    /// Scratch: one decode at the codec rate.
    decoded: Vec<i16>,
    /// Decoded audio at the mix rate not yet mixed.
    pending: Vec<i16>,
    /// This tick's input at the mix rate; meaningful only when `active`.
    pub(crate) frame: Vec<i16>,
    pub(crate) active: bool,
    /// Speaker-selection loudness: frame mean square with peak hold and slow decay, so a
    /// talker keeps their place between syllables.
    pub(crate) loudness: f32,
    pub(crate) limiter: Limiter,
    out_resampler: Resampler,
    encoder: Box<dyn Encoder>,
    /// Mix at the codec rate not yet encoded.
    out_pcm: Vec<i16>,
    payload: Vec<u8>,
    out: RtpSender,
    pub(crate) stats: ParticipantStats,
}

/// Loudness decay per 20 ms frame: about -6 dB in 0.2 s.
const LOUDNESS_DECAY: f32 = 0.87;

impl Participant {
    pub(crate) fn new(
        id: ParticipantId,
        codec: CodecKind,
        payload_type: u8,
        ssrc: u32,
        mix_rate: u32,
    ) -> Result<Participant, ConferenceError> {
        let codec_err = |source| ConferenceError::Codec { codec, source };
        let resampler = |from_hz, to_hz| {
            Resampler::new(from_hz, to_hz).map_err(|source| ConferenceError::Resample {
                from_hz,
                to_hz,
                source,
            })
        };
        Ok(Participant {
            id,
            codec,
            payload_type,
            muted: false,
            inbound_ssrc: None,
            jitter: JitterBuffer::default(),
            decoder: codec::decoder(codec).map_err(codec_err)?,
            in_resampler: resampler(codec.sample_rate(), mix_rate)?,
            decoded: Vec::new(),
            pending: Vec::new(),
            frame: Vec::new(),
            active: false,
            loudness: 0.0,
            limiter: Limiter::default(),
            out_resampler: resampler(mix_rate, codec.sample_rate())?,
            encoder: codec::encoder_for_source(codec, mix_rate).map_err(codec_err)?,
            out_pcm: Vec::new(),
            payload: Vec::new(),
            out: RtpSender::new(ssrc, payload_type, codec.frame_ticks()),
            stats: ParticipantStats::default(),
        })
    }

    /// Queues one received payload for the jitter buffer.
    pub(crate) fn receive(&mut self, ssrc: u32, seq: u16, payload: &[u8]) {
        self.stats.received += 1;
        if self.inbound_ssrc.is_some_and(|s| s != ssrc) {
            // A new source (the phone restarted its stream, a transfer re-INVITEd it): its
            // sequence numbers have nothing to do with the old ones.
            self.jitter.reset();
        }
        self.inbound_ssrc = Some(ssrc);
        if let Some(ms) = waveform_packet_ms(self.codec, payload.len()) {
            self.jitter.set_packet_ms(ms);
        }
        match self.jitter.push(seq, payload.to_vec()) {
            Arrival::Late => self.stats.late += 1,
            Arrival::Duplicate => self.stats.duplicates += 1,
            Arrival::Buffered | Arrival::NewStream => {}
        }
        self.stats.overflowed = self.jitter.overflowed;
    }

    pub(crate) fn set_muted(&mut self, muted: bool) {
        if muted && !self.muted {
            // Stale audio must not play when the microphone opens again.
            self.jitter.reset();
            self.pending.clear();
        }
        self.muted = muted;
    }

    /// Fills `frame` with this tick's input (`frame_len` samples at the mix rate) and sets
    /// `active`. Costs nothing when the participant is silent (no packets): no decode at all.
    pub(crate) fn pull_frame(&mut self, frame_len: usize) {
        self.active = false;
        self.frame.clear();
        if self.muted {
            self.loudness *= LOUDNESS_DECAY;
            return;
        }
        for attempt in 0..MAX_DECODES_PER_TICK {
            if self.pending.len() >= frame_len {
                break;
            }
            self.decoded.clear();
            let playout = if attempt == 0 {
                self.jitter.pop()
            } else {
                // Short packets: take the next one if it is here, but a packet not here yet
                // is not lost (it is due within this tick's 20 ms).
                match self.jitter.pop_ready() {
                    Some(payload) => Playout::Frame(payload),
                    None => break,
                }
            };
            let result = match playout {
                Playout::Idle => break,
                Playout::Frame(payload) => self.decoder.decode(&payload, &mut self.decoded),
                Playout::Lost { next } => {
                    self.stats.concealed += 1;
                    match next {
                        Some(next) => self.decoder.recover(next, &mut self.decoded),
                        None => self.decoder.conceal(&mut self.decoded),
                    }
                }
            };
            if result.is_err() {
                // A corrupt payload: conceal it like a lost one; if even that fails, silence.
                self.stats.undecodable += 1;
                self.decoded.clear();
                if self.decoder.conceal(&mut self.decoded).is_err() {
                    self.decoded.clear();
                    self.decoded.resize(self.codec.frame_samples(), 0);
                }
            }
            self.in_resampler.process(&self.decoded, &mut self.pending);
        }
        if self.pending.is_empty() {
            self.loudness *= LOUDNESS_DECAY;
            return;
        }
        if self.pending.len() < frame_len {
            self.stats.short_frames += 1;
        }
        let take = frame_len.min(self.pending.len());
        self.frame.extend(self.pending.drain(..take));
        self.frame.resize(frame_len, 0);
        let excess = self
            .pending
            .len()
            .saturating_sub(MAX_PENDING_FRAMES * frame_len);
        self.pending.drain(..excess);
        self.active = true;
        let energy = mean_square(&self.frame);
        self.loudness = energy.max(self.loudness * LOUDNESS_DECAY);
    }

    /// Encodes one frame of this participant's mix (at the mix rate) into an RTP packet.
    pub(crate) fn send(&mut self, mix: &[i16]) -> Option<Vec<u8>> {
        self.out_resampler.process(mix, &mut self.out_pcm);
        let n = self.codec.frame_samples();
        if self.out_pcm.len() < n {
            // Only possible while the resampler's first outputs are pending: pad with silence
            // so every tick still sends exactly one packet.
            let missing = n - self.out_pcm.len();
            self.out_pcm.splice(0..0, std::iter::repeat_n(0, missing));
        }
        self.payload.clear();
        let encoded = self.encoder.encode(&self.out_pcm[..n], &mut self.payload);
        self.out_pcm.drain(..n);
        // Never let a rounding drift build up delay.
        let excess = self.out_pcm.len().saturating_sub(n);
        self.out_pcm.drain(..excess);
        match encoded {
            Ok(()) => {
                self.stats.sent += 1;
                Some(self.out.packet(&self.payload))
            }
            Err(_) => {
                self.stats.unencodable += 1;
                None
            }
        }
    }
}

/// Duration of a G.711 or G.722 payload: both carry 8 bytes per millisecond (64 kbit/s).
/// Opus packets carry their duration in the TOC byte; they are 20 ms in practice (the box
/// asks for ptime 20) and are left to the default.
fn waveform_packet_ms(codec: CodecKind, len: usize) -> Option<usize> {
    match codec {
        CodecKind::Pcmu | CodecKind::Pcma | CodecKind::G722 => Some((len / 8).max(1)),
        CodecKind::Opus => None,
    }
}

fn mean_square(pcm: &[i16]) -> f32 {
    if pcm.is_empty() {
        return 0.0;
    }
    let sum: f64 = pcm.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    (sum / pcm.len() as f64) as f32
}
