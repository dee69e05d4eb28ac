//! Opus (RFC 6716) through libopus, as RTP payload per RFC 7587: mono at 48 kHz, 20 ms
//! frames, VoIP application, in-band FEC on.
//!
//! RFC 7587 §7 always signals `opus/48000/2`, but a receiver may decode to mono whatever
//! the sender sends (libopus downmixes a stereo packet), so both directions are mono here.

use super::{CodecError, CodecKind, Decoder, Encoder};
use audiopus::coder::{Decoder as LibDecoder, Encoder as LibEncoder};
use audiopus::{Application, Bandwidth, Bitrate, Channels, SampleRate};

/// Target bitrate: wideband speech with headroom for the FEC copy (RFC 7587 §3.1.1 puts
/// fullband speech at 28-40 kbit/s; a phone call needs far less).
const BITRATE_BPS: i32 = 28_000;

/// The loss rate the encoder provisions FEC for. libopus only adds the redundant LBRR
/// copy when this is above zero; 10 % costs a few kbit/s and covers Wi-Fi phones.
const EXPECTED_LOSS_PERCENT: u8 = 10;

/// Encoder complexity (0-10). libopus defaults to 9 or 10; 5 halves the encoder's CPU
/// time (measured 208 -> 103 µs per 20 ms frame on the x86 development machine) for a
/// barely audible loss on wideband speech, and the box may encode dozens of streams at once.
pub(crate) const COMPLEXITY: u8 = 5;

/// RFC 6716 §3.4 R2: a single frame is at most 1275 bytes (and a packet of one
/// 20 ms frame never holds more).
const MAX_PACKET: usize = 1275;

/// The longest packet a peer may send: 120 ms at 48 kHz (RFC 6716 §3.2.5).
const MAX_PACKET_SAMPLES: usize = 5760;

/// Frame lengths libopus accepts at 48 kHz: 2.5, 5, 10, 20, 40 and 60 ms.
const VALID_FRAMES: [usize; 6] = [120, 240, 480, 960, 1920, 2880];

/// Opus encoder (libopus) configured for the box's outgoing RTP.
#[derive(Debug)]
pub struct OpusEncoder {
    inner: LibEncoder,
    buffer: Box<[u8; MAX_PACKET]>,
}

impl OpusEncoder {
    pub fn new() -> Result<Self, CodecError> {
        let mut inner = LibEncoder::new(SampleRate::Hz48000, Channels::Mono, Application::Voip)?;
        inner.set_bitrate(Bitrate::BitsPerSecond(BITRATE_BPS))?;
        inner.set_inband_fec(true)?;
        inner.set_packet_loss_perc(EXPECTED_LOSS_PERCENT)?;
        inner.set_complexity(COMPLEXITY)?;
        Ok(OpusEncoder {
            inner,
            buffer: Box::new([0; MAX_PACKET]),
        })
    }

    /// An encoder for audio that came from a codec sampled at `source_rate` (transcoding): Opus
    /// is capped to the bandwidth the source can carry. A G.711 caller has nothing above 4 kHz,
    /// and narrowband SILK costs libopus about half of the hybrid super-wideband mode it picks by
    /// itself (measured: ~50 µs against ~105 µs per 20 ms frame).
    pub fn for_source_rate(source_rate: u32) -> Result<Self, CodecError> {
        let mut encoder = OpusEncoder::new()?;
        let cap = match source_rate {
            0..=8_000 => Some(Bandwidth::Narrowband),
            8_001..=16_000 => Some(Bandwidth::Wideband),
            16_001..=24_000 => Some(Bandwidth::Superwideband),
            _ => None,
        };
        if let Some(cap) = cap {
            encoder.inner.set_max_bandwidth(cap)?;
        }
        Ok(encoder)
    }
}

impl Encoder for OpusEncoder {
    fn kind(&self) -> CodecKind {
        CodecKind::Opus
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        // libopus would refuse other lengths too, but with a generic "bad argument".
        if !VALID_FRAMES.contains(&pcm.len()) {
            return Err(CodecError::BadFrameLength {
                codec: CodecKind::Opus,
                samples: pcm.len(),
            });
        }
        let len = self.inner.encode(pcm, &mut self.buffer[..])?;
        out.extend_from_slice(self.buffer.get(..len).unwrap_or_default());
        Ok(())
    }
}

/// Opus decoder (libopus), mono 48 kHz, with libopus's own concealment.
#[derive(Debug)]
pub struct OpusDecoder {
    inner: LibDecoder,
    buffer: Box<[i16; MAX_PACKET_SAMPLES]>,
}

impl OpusDecoder {
    pub fn new() -> Result<Self, CodecError> {
        Ok(OpusDecoder {
            inner: LibDecoder::new(SampleRate::Hz48000, Channels::Mono)?,
            buffer: Box::new([0; MAX_PACKET_SAMPLES]),
        })
    }

    fn run(
        &mut self,
        payload: Option<&[u8]>,
        samples: usize,
        fec: bool,
    ) -> Result<usize, CodecError> {
        let output = &mut self.buffer[..samples.min(MAX_PACKET_SAMPLES)];
        Ok(self.inner.decode(payload, output, fec)?)
    }
}

impl Decoder for OpusDecoder {
    fn kind(&self) -> CodecKind {
        CodecKind::Opus
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return Err(CodecError::EmptyPayload {
                codec: CodecKind::Opus,
            });
        }
        let n = self.run(Some(payload), MAX_PACKET_SAMPLES, false)?;
        out.extend_from_slice(self.buffer.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        // For concealment libopus needs the exact duration to fill.
        let n = self.run(None, CodecKind::Opus.frame_samples(), false)?;
        out.extend_from_slice(self.buffer.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn recover(&mut self, next_payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        if next_payload.is_empty() {
            return self.conceal(out);
        }
        // As for concealment, the exact duration lost; without FEC data in the packet
        // libopus falls back to its concealment by itself.
        let n = self.run(Some(next_payload), CodecKind::Opus.frame_samples(), true)?;
        out.extend_from_slice(self.buffer.get(..n).unwrap_or_default());
        Ok(n)
    }
}
