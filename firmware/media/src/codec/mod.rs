//! Audio codecs the box speaks: G.711 µ-law and A-law (ITU-T G.711), G.722 (ITU-T G.722,
//! 64 kbit/s mode) and Opus (RFC 6716, RTP payload per RFC 7587).
//!
//! Every codec works on 20 ms frames of mono 16-bit PCM at its own edge rate
//! ([`CodecKind::sample_rate`]); the caller resamples between codecs when it transcodes.
//! [`encoder`] and [`decoder`] build a fresh, independent state per RTP stream.

mod conceal;
pub mod g711;
pub mod g722;
pub mod opus;

#[cfg(test)]
mod bench_tests;
#[cfg(test)]
mod g711_tests;
#[cfg(test)]
mod g722_tests;
#[cfg(test)]
mod opus_tests;
#[cfg(test)]
mod robustness_tests;
#[cfg(test)]
mod test_signal;
#[cfg(test)]
mod tone_tests;

use thiserror::Error;

/// A codec the box can negotiate, play, record and transcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    Pcmu,
    Pcma,
    G722,
    Opus,
}

impl CodecKind {
    /// Every codec, in the box's order of preference when it makes an offer itself.
    pub const ALL: [CodecKind; 4] = [
        CodecKind::Opus,
        CodecKind::G722,
        CodecKind::Pcmu,
        CodecKind::Pcma,
    ];

    /// The encoding name of its `a=rtpmap` (RFC 3551 §6, RFC 7587 §7 spells opus in lower case).
    pub fn encoding_name(self) -> &'static str {
        match self {
            CodecKind::Pcmu => "PCMU",
            CodecKind::Pcma => "PCMA",
            CodecKind::G722 => "G722",
            CodecKind::Opus => "opus",
        }
    }

    /// The RTP clock rate. G.722 samples at 16 kHz but RFC 3551 §4.5.2 fixes its RTP
    /// clock at 8000 for historical reasons; Opus always says 48000 (RFC 7587 §4.1).
    pub fn rtp_clock_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma | CodecKind::G722 => 8000,
            CodecKind::Opus => 48_000,
        }
    }

    /// The PCM rate at the codec's edge: what `encode` takes and `decode` gives.
    pub fn sample_rate(self) -> u32 {
        match self {
            CodecKind::Pcmu | CodecKind::Pcma => 8000,
            CodecKind::G722 => 16_000,
            CodecKind::Opus => 48_000,
        }
    }

    /// The static payload type of RFC 3551 table 4, if it has one.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            CodecKind::Pcmu => Some(0),
            CodecKind::Pcma => Some(8),
            CodecKind::G722 => Some(9),
            CodecKind::Opus => None,
        }
    }

    /// The payload type the box uses when it chooses: the static one, else 111 for Opus
    /// (the dynamic number most phones and WebRTC stacks use, so answers rarely renumber).
    pub fn default_payload_type(self) -> u8 {
        self.static_payload_type().unwrap_or(111)
    }

    /// The codec named by an `a=rtpmap` encoding (case-insensitive, RFC 4855 §3) and clock
    /// rate; `None` for codecs the box does not speak or a clock rate that does not fit.
    pub fn from_rtpmap(name: &str, clock_rate: u32) -> Option<CodecKind> {
        CodecKind::ALL.into_iter().find(|kind| {
            name.eq_ignore_ascii_case(kind.encoding_name()) && clock_rate == kind.rtp_clock_rate()
        })
    }

    /// PCM samples in 20 ms at [`Self::sample_rate`].
    pub fn frame_samples(self) -> usize {
        // Every rate is a multiple of 50 Hz, so the division is exact.
        (self.sample_rate() / 50) as usize
    }

    /// RTP timestamp step of a 20 ms packet (at [`Self::rtp_clock_rate`]).
    pub fn frame_ticks(self) -> u32 {
        self.rtp_clock_rate() / 50
    }
}

/// Why a codec refused a frame or could not start.
#[derive(Debug, Error)]
pub enum CodecError {
    /// An RTP packet without payload: there is nothing to decode.
    #[error("{codec:?}: empty payload")]
    EmptyPayload { codec: CodecKind },
    /// PCM handed to an encoder whose length the codec cannot take (G.722 needs sample
    /// pairs; Opus needs 2.5, 5, 10, 20, 40 or 60 ms).
    #[error("{codec:?}: cannot encode a frame of {samples} samples")]
    BadFrameLength { codec: CodecKind, samples: usize },
    /// libopus refused (a corrupt packet, or it could not create its state).
    #[error("opus: {0}")]
    Opus(#[from] audiopus::Error),
}

/// Turns 20 ms of PCM into one RTP payload. One instance per outgoing stream.
pub trait Encoder: Send {
    fn kind(&self) -> CodecKind;
    /// One 20 ms frame of PCM at `kind().sample_rate()` in; payload bytes appended to `out`.
    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError>;
}

/// Turns RTP payloads back into PCM. One instance per incoming stream.
pub trait Decoder: Send {
    fn kind(&self) -> CodecKind;
    /// One RTP payload in; PCM at `kind().sample_rate()` appended to `out`; returns samples appended.
    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError>;
    /// A lost 20 ms frame: concealment (or silence) appended to `out`.
    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError>;
    /// The lost 20 ms frame just before `next_payload` (which arrived): Opus rebuilds it
    /// from the in-band FEC copy that packet carries (RFC 7587 §3.3); codecs without FEC
    /// conceal. Call it for the last lost frame, then `decode(next_payload)` as usual.
    fn recover(&mut self, next_payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        let _ = next_payload;
        self.conceal(out)
    }
}

/// A fresh encoder of `kind` (only Opus can fail: libopus allocates its state).
pub fn encoder(kind: CodecKind) -> Result<Box<dyn Encoder>, CodecError> {
    Ok(match kind {
        CodecKind::Pcmu => Box::new(g711::G711Encoder::new(g711::Law::Mu)),
        CodecKind::Pcma => Box::new(g711::G711Encoder::new(g711::Law::A)),
        CodecKind::G722 => Box::new(g722::G722Encoder::new()),
        CodecKind::Opus => Box::new(opus::OpusEncoder::new()?),
    })
}

/// An encoder of `kind` for audio decoded from a codec sampled at `source_rate` (transcoding):
/// Opus spends no effort on bandwidth the source never had.
pub fn encoder_for_source(
    kind: CodecKind,
    source_rate: u32,
) -> Result<Box<dyn Encoder>, CodecError> {
    match kind {
        CodecKind::Opus => Ok(Box::new(opus::OpusEncoder::for_source_rate(source_rate)?)),
        other => encoder(other),
    }
}

/// A fresh decoder of `kind` (only Opus can fail: libopus allocates its state).
pub fn decoder(kind: CodecKind) -> Result<Box<dyn Decoder>, CodecError> {
    Ok(match kind {
        CodecKind::Pcmu => Box::new(g711::G711Decoder::new(g711::Law::Mu)),
        CodecKind::Pcma => Box::new(g711::G711Decoder::new(g711::Law::A)),
        CodecKind::G722 => Box::new(g722::G722Decoder::new()),
        CodecKind::Opus => Box::new(opus::OpusDecoder::new()?),
    })
}
