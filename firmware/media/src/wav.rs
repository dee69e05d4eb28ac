//! WAV (RIFF) reading and writing of PCM audio.
//!
//! The box stores every audio file it makes as plain PCM16 WAV (prompts, voicemail,
//! recordings), so writing only needs that one format. Reading is more lenient because
//! phones, voicemail exports and recordings cut short by a crash all end up here:
//! PCM8/16/24/32, IEEE float, G.711 µ-law/A-law and `WAVE_FORMAT_EXTENSIBLE` wrapping any
//! of those are converted to `i16`.

mod read;
mod writer;

pub use read::decode;
pub use writer::WavWriter;

use thiserror::Error;

/// Size of the canonical header this module writes (RIFF + fmt(16) + data chunk header).
pub(crate) const HEADER_LEN: usize = 44;

/// Sample rate and channel count of PCM audio.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WavFormat {
    pub sample_rate: u32,
    pub channels: u16,
}

impl WavFormat {
    /// Mono at `sample_rate`.
    pub const fn mono(sample_rate: u32) -> WavFormat {
        WavFormat {
            sample_rate,
            channels: 1,
        }
    }
}

/// Decoded audio: `samples` are interleaved when `format.channels > 1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WavAudio {
    pub format: WavFormat,
    pub samples: Vec<i16>,
}

impl WavAudio {
    /// Samples per channel (frames).
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.format.channels.max(1))
    }
}

/// Why a byte string is not a WAV file this module can read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WavError {
    #[error("not a RIFF file (missing `RIFF` magic)")]
    NotRiff,
    #[error("RIFF file is not WAVE (form type {form:?})")]
    NotWave { form: [u8; 4] },
    #[error("WAV has no fmt chunk")]
    MissingFmt,
    #[error("WAV fmt chunk is {len} bytes, at least {min} needed")]
    FmtTooShort { len: usize, min: usize },
    #[error("WAV has no data chunk")]
    MissingData,
    #[error("WAV declares {0} channels")]
    BadChannels(u16),
    #[error("WAV declares a sample rate of {0} Hz")]
    BadSampleRate(u32),
    #[error("unsupported WAV encoding: format tag {tag:#06x} with {bits} bits per sample")]
    Unsupported { tag: u16, bits: u16 },
}

/// The RIFF/WAVE header of a PCM16 file holding `data_len` bytes of samples.
/// Sizes that do not fit 32 bits saturate (a reader then falls back on the file length).
pub(crate) fn pcm16_header(format: WavFormat, data_len: u64) -> [u8; HEADER_LEN] {
    let channels = format.channels.max(1);
    let block_align = channels.saturating_mul(2);
    let byte_rate = format.sample_rate.saturating_mul(u32::from(block_align));
    let data32 = u32::try_from(data_len).unwrap_or(u32::MAX);
    let riff32 = u32::try_from(data_len.saturating_add(36)).unwrap_or(u32::MAX);
    let mut h = [0u8; HEADER_LEN];
    h[0..4].copy_from_slice(b"RIFF");
    h[4..8].copy_from_slice(&riff32.to_le_bytes());
    h[8..12].copy_from_slice(b"WAVE");
    h[12..16].copy_from_slice(b"fmt ");
    h[16..20].copy_from_slice(&16u32.to_le_bytes());
    h[20..22].copy_from_slice(&1u16.to_le_bytes()); // WAVE_FORMAT_PCM
    h[22..24].copy_from_slice(&channels.to_le_bytes());
    h[24..28].copy_from_slice(&format.sample_rate.to_le_bytes());
    h[28..32].copy_from_slice(&byte_rate.to_le_bytes());
    h[32..34].copy_from_slice(&block_align.to_le_bytes());
    h[34..36].copy_from_slice(&16u16.to_le_bytes());
    h[36..40].copy_from_slice(b"data");
    h[40..44].copy_from_slice(&data32.to_le_bytes());
    h
}

/// A complete PCM16 WAV file of `samples` (interleaved if stereo).
pub fn encode_pcm16(format: WavFormat, samples: &[i16]) -> Vec<u8> {
    let data_len = samples.len() as u64 * 2;
    let mut out = Vec::with_capacity(HEADER_LEN + samples.len() * 2);
    out.extend_from_slice(&pcm16_header(format, data_len));
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests;
