//! ITU-T G.711 companding: µ-law (PCMU) and A-law (PCMA), one byte per 8 kHz sample.
//!
//! G.711 describes µ-law on 14-bit and A-law on 13-bit linear samples; the box works in
//! 16 bits, so the reconstruction values here are the standard's scaled by 4 (µ-law)
//! and 8 (A-law), and the encoders compare the 16-bit input with the standard's
//! decision values scaled the same way. Both are computed from the segment structure
//! (eight chords of sixteen steps, each chord doubling the step) rather than tables.

use super::conceal::RepeatFade;
use super::{CodecError, CodecKind, Decoder, Encoder};

/// µ-law bias (33 in 14-bit units): it makes the chord boundaries powers of two.
const ULAW_BIAS: i32 = 33 << 2;

/// The µ-law code of a 16-bit sample.
///
/// The code for zero is always 0xFF ("positive zero"): 0x7F decodes to zero too, but an
/// encoder never needs to emit it.
pub fn ulaw_encode(s: i16) -> u8 {
    let negative = s < 0;
    let magnitude = i32::from(s).abs();
    // Clipping here lands on the top step of chord 7, the standard's overload region.
    let biased = (magnitude + ULAW_BIAS).min(0x7FFF);
    // biased >= 132 > 2^7, so the chord (0..=7) is the position of its top bit minus 7.
    let chord = (31 - biased.leading_zeros()).saturating_sub(7);
    let step = (biased >> (chord + 3)) & 0x0F;
    if chord == 0 && step == 0 {
        return 0xFF;
    }
    let sign = if negative { 0x80 } else { 0x00 };
    // u32 -> u8: chord < 8 and step < 16, so the value fits; `!` inverts all bits (G.711 sends
    // µ-law codes inverted so that silence has many ones).
    !((sign | (chord << 4) | step as u32) as u8)
}

/// The 16-bit value of a µ-law code.
pub fn ulaw_decode(b: u8) -> i16 {
    let c = !b;
    let chord = (c >> 4) & 0x07;
    let step = i32::from(c & 0x0F);
    let magnitude = (((step << 3) + ULAW_BIAS) << chord) - ULAW_BIAS;
    // magnitude <= 32124, so it fits an i16.
    let value = magnitude as i16;
    if c & 0x80 != 0 {
        -value
    } else {
        value
    }
}

/// The A-law code of a 16-bit sample.
pub fn alaw_encode(s: i16) -> u8 {
    // A-law has no zero level: the decision threshold between the two smallest codes
    // sits half a step below zero, which the one's complement of a negative sample
    // reproduces (-1 maps to the same magnitude as 0).
    let (sign, magnitude) = if s >= 0 {
        (0x80u8, i32::from(s))
    } else {
        (0x00u8, i32::from(!s))
    };
    let (chord, step) = if magnitude < 256 {
        (0u32, magnitude >> 4)
    } else {
        // 256..=32767: top bit 8..=14 gives chord 1..=7.
        let chord = (31 - magnitude.leading_zeros()) - 7;
        (chord, (magnitude >> (chord + 3)) & 0x0F)
    };
    // Even bits are inverted on the line (G.711 §"A-law"), hence the 0x55.
    (sign | ((chord as u8) << 4) | step as u8) ^ 0x55
}

/// The 16-bit value of an A-law code.
pub fn alaw_decode(b: u8) -> i16 {
    let c = b ^ 0x55;
    let chord = (c >> 4) & 0x07;
    let step = i32::from(c & 0x0F);
    let magnitude = if chord == 0 {
        (step << 4) + 8
    } else {
        ((step << 4) + 264) << (chord - 1)
    };
    // magnitude <= 32256.
    let value = magnitude as i16;
    if c & 0x80 != 0 {
        value
    } else {
        -value
    }
}

/// Which G.711 law.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Law {
    /// µ-law, RTP payload type 0 (PCMU).
    Mu,
    /// A-law, RTP payload type 8 (PCMA).
    A,
}

impl Law {
    fn kind(self) -> CodecKind {
        match self {
            Law::Mu => CodecKind::Pcmu,
            Law::A => CodecKind::Pcma,
        }
    }
}

/// G.711 encoder: stateless, one byte per sample, any frame length.
#[derive(Debug)]
pub struct G711Encoder {
    law: Law,
}

impl G711Encoder {
    pub fn new(law: Law) -> Self {
        G711Encoder { law }
    }
}

impl Encoder for G711Encoder {
    fn kind(&self) -> CodecKind {
        self.law.kind()
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        match self.law {
            Law::Mu => out.extend(pcm.iter().map(|&s| ulaw_encode(s))),
            Law::A => out.extend(pcm.iter().map(|&s| alaw_encode(s))),
        }
        Ok(())
    }
}

/// G.711 decoder: one sample per byte, with a replay-and-fade concealment.
#[derive(Debug)]
pub struct G711Decoder {
    law: Law,
    plc: RepeatFade,
}

impl G711Decoder {
    pub fn new(law: Law) -> Self {
        G711Decoder {
            law,
            plc: RepeatFade::default(),
        }
    }
}

impl Decoder for G711Decoder {
    fn kind(&self) -> CodecKind {
        self.law.kind()
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return Err(CodecError::EmptyPayload { codec: self.kind() });
        }
        let start = out.len();
        match self.law {
            Law::Mu => out.extend(payload.iter().map(|&b| ulaw_decode(b))),
            Law::A => out.extend(payload.iter().map(|&b| alaw_decode(b))),
        }
        self.plc.remember(out, start);
        Ok(payload.len())
    }

    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        Ok(self.plc.conceal(self.kind().frame_samples(), out))
    }
}
