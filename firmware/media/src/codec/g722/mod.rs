//! ITU-T G.722 at 64 kbit/s: 16 kHz audio split by a quadrature mirror filter (QMF) into
//! two 8 kHz sub-bands, the lower coded with 6-bit ADPCM and the higher with 2-bit ADPCM;
//! each octet carries one sample pair (higher band in the two most significant bits).
//!
//! Input and output are 16-bit PCM (the standard's 14-bit codec with two extra bits of
//! headroom at the QMF), the layout most software G.722 implementations use, so the
//! bitstream interoperates with phones and other gateways.

mod band;
mod tables;

use super::conceal::RepeatFade;
use super::{CodecError, CodecKind, Decoder, Encoder};
use band::Band;
use tables::{IHN, IHP, ILN, ILP, Q2, Q6, QM2, QM4, QM6, QMF};

/// Reset value of the lower band's scale factor (DETL).
const DETL_RESET: i32 = 32;
/// Reset value of the higher band's scale factor (DETH).
const DETH_RESET: i32 = 8;

/// The lower band's reconstructed signal range (15 bits, block 6L LIMIT).
fn limit15(x: i32) -> i32 {
    x.clamp(-16384, 16383)
}

fn saturate_i16(x: i32) -> i16 {
    // Lossless after the clamp.
    x.clamp(i32::from(i16::MIN), i32::from(i16::MAX)) as i16
}

/// The 24 most recent QMF inputs, oldest first. Sample pairs enter at the end.
#[derive(Debug, Clone, Default)]
struct QmfHistory([i32; 24]);

impl QmfHistory {
    fn push(&mut self, older: i32, newer: i32) {
        self.0.copy_within(2.., 0);
        self.0[22] = older;
        self.0[23] = newer;
    }

    /// (Σ h(2i)·x(n-2i), Σ h(2i+1)·x(n-2i-1)): the filter over the newer samples of each
    /// pair and over the older ones (the coefficients are symmetric, so the second sum
    /// walks the same table forwards).
    fn sums(&self) -> (i32, i32) {
        let mut newer = 0;
        let mut older = 0;
        for (i, &c) in QMF.iter().enumerate() {
            newer += self.0[2 * i + 1] * QMF[11 - i];
            older += self.0[2 * i] * c;
        }
        (newer, older)
    }
}

/// G.722 64 kbit/s encoder.
#[derive(Debug, Clone)]
pub struct G722Encoder {
    qmf: QmfHistory,
    low: Band,
    high: Band,
}

impl Default for G722Encoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Encoder {
    pub fn new() -> Self {
        G722Encoder {
            qmf: QmfHistory::default(),
            low: Band::new(DETL_RESET),
            high: Band::new(DETH_RESET),
        }
    }

    /// Encodes one sample pair (16 kHz) into one octet.
    fn encode_pair(&mut self, older: i16, newer: i16) -> u8 {
        // Transmit QMF (block 1): the sum of the two polyphase branches is the lower band,
        // the difference the higher band, both decimated to 8 kHz.
        self.qmf.push(i32::from(older), i32::from(newer));
        let (xa, xb) = self.qmf.sums();
        let xl = (xa + xb) >> 14;
        let xh = (xa - xb) >> 14;
        let il = self.encode_low(xl);
        let ih = self.encode_high(xh);
        // Both codes are masked to their widths.
        (((ih & 0x03) << 6) | (il & 0x3F)) as u8
    }

    /// Lower sub-band: blocks 1L SUBTRA, 1L QUANTL, 2L INVQAL, 3L, 4L.
    fn encode_low(&mut self, xl: i32) -> i32 {
        let el = (xl - self.low.s).clamp(-32768, 32767);
        // The standard quantises the one's complement magnitude of negative values.
        let magnitude = if el >= 0 { el } else { -(el + 1) };
        let mut mil = 1;
        while mil < 30 && magnitude >= (Q6[mil] * self.low.det) >> 12 {
            mil += 1;
        }
        let code = if el < 0 { ILN[mil] } else { ILP[mil] };
        let ril = (code >> 2) as usize;
        let dl = (self.low.det * QM4[ril]) >> 15;
        self.low.adapt_low_scale(ril);
        self.low.update(dl);
        code
    }

    /// Higher sub-band: blocks 1H SUBTRA, 1H QUANTH, 2H INVQAH, 3H, 4H.
    fn encode_high(&mut self, xh: i32) -> i32 {
        let eh = (xh - self.high.s).clamp(-32768, 32767);
        let magnitude = if eh >= 0 { eh } else { -(eh + 1) };
        let mih = if magnitude >= (Q2 * self.high.det) >> 12 {
            2
        } else {
            1
        };
        let code = if eh < 0 { IHN[mih] } else { IHP[mih] };
        let dh = (self.high.det * QM2[code as usize]) >> 15;
        self.high.adapt_high_scale(code as usize);
        self.high.update(dh);
        code
    }
}

impl Encoder for G722Encoder {
    fn kind(&self) -> CodecKind {
        CodecKind::G722
    }

    fn encode(&mut self, pcm: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        let pairs = pcm.chunks_exact(2);
        if !pairs.remainder().is_empty() {
            return Err(CodecError::BadFrameLength {
                codec: CodecKind::G722,
                samples: pcm.len(),
            });
        }
        out.reserve(pcm.len() / 2);
        for pair in pairs {
            out.push(self.encode_pair(pair[0], pair[1]));
        }
        Ok(())
    }
}

/// G.722 64 kbit/s decoder, with a replay-and-fade concealment.
#[derive(Debug, Clone)]
pub struct G722Decoder {
    qmf: QmfHistory,
    low: Band,
    high: Band,
    plc: RepeatFade,
}

impl Default for G722Decoder {
    fn default() -> Self {
        Self::new()
    }
}

impl G722Decoder {
    pub fn new() -> Self {
        G722Decoder {
            qmf: QmfHistory::default(),
            low: Band::new(DETL_RESET),
            high: Band::new(DETH_RESET),
            plc: RepeatFade::default(),
        }
    }

    /// Decodes one octet into one sample pair (16 kHz), older sample first.
    fn decode_octet(&mut self, octet: u8) -> (i16, i16) {
        let il = usize::from(octet & 0x3F);
        let ih = usize::from(octet >> 6);

        // Lower band: 6-bit inverse quantiser for the output (5L INVQBL, RECONS, 6L LIMIT);
        // the predictor adapts on the 4-bit truncated code like the encoder's (2L INVQAL).
        let ril = il >> 2;
        let rl = limit15(self.low.s + ((self.low.det * QM6[il]) >> 15));
        let dl = (self.low.det * QM4[ril]) >> 15;
        self.low.adapt_low_scale(ril);
        self.low.update(dl);

        // Higher band (2H INVQAH, RECONS, 6H LIMIT).
        let dh = (self.high.det * QM2[ih]) >> 15;
        let rh = limit15(self.high.s + dh);
        self.high.adapt_high_scale(ih);
        self.high.update(dh);

        // Receive QMF: interpolate both bands back to 16 kHz and recombine.
        self.qmf.push(rl + rh, rl - rh);
        let (xout1, xout2) = self.qmf.sums();
        (saturate_i16(xout1 >> 11), saturate_i16(xout2 >> 11))
    }
}

impl Decoder for G722Decoder {
    fn kind(&self) -> CodecKind {
        CodecKind::G722
    }

    fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<usize, CodecError> {
        if payload.is_empty() {
            return Err(CodecError::EmptyPayload {
                codec: CodecKind::G722,
            });
        }
        let start = out.len();
        out.reserve(payload.len() * 2);
        for &octet in payload {
            let (older, newer) = self.decode_octet(octet);
            out.push(older);
            out.push(newer);
        }
        self.plc.remember(out, start);
        Ok(payload.len() * 2)
    }

    fn conceal(&mut self, out: &mut Vec<i16>) -> Result<usize, CodecError> {
        Ok(self.plc.conceal(CodecKind::G722.frame_samples(), out))
    }
}
