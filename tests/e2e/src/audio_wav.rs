//! The WAV (RIFF) subset the tests need: writing PCM16 uploads, reading the box's PCM16
//! voicemail and recording files and baresip's sndfile dumps (PCM16, possibly stereo,
//! possibly WAVE_FORMAT_EXTENSIBLE).

use std::path::Path;

use crate::error::{HarnessError, Result};

/// Decoded PCM16 audio.
#[derive(Debug, Clone)]
pub struct Wav {
    pub sample_rate: u32,
    pub channels: u16,
    /// Interleaved samples.
    pub samples: Vec<i16>,
}

impl Wav {
    /// Length in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        let frames = self.samples.len() as u64 / u64::from(self.channels.max(1));
        frames * 1000 / u64::from(self.sample_rate.max(1))
    }
}

/// A canonical 44-byte-header PCM16 WAV of `samples` (interleaved when `channels` > 1).
pub fn wav_pcm16(sample_rate: u32, channels: u16, samples: &[i16]) -> Vec<u8> {
    let data_len = (samples.len() * 2) as u32;
    let block_align = channels * 2;
    let mut out = Vec::with_capacity(44 + samples.len() * 2);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&channels.to_le_bytes());
    out.extend_from_slice(&sample_rate.to_le_bytes());
    out.extend_from_slice(&(sample_rate * u32::from(block_align)).to_le_bytes());
    out.extend_from_slice(&block_align.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for s in samples {
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}

fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        *b.get(at + 3)?,
    ]))
}

/// Parses a PCM16 WAV. A data chunk whose size is 0 or larger than the file (a
/// recording still open, or cut by a crash) is read to the end of the file.
pub fn parse_wav(bytes: &[u8]) -> std::result::Result<Wav, String> {
    if bytes.get(..4) != Some(b"RIFF") || bytes.get(8..12) != Some(b"WAVE") {
        return Err("not a RIFF/WAVE file".to_string());
    }
    let mut at = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = le32(bytes, at + 4).unwrap_or(0) as usize;
        let body = at + 8;
        if id == b"fmt " {
            let f = (|| {
                Some((
                    le16(bytes, body)?,
                    le16(bytes, body + 2)?,
                    le32(bytes, body + 4)?,
                    le16(bytes, body + 14)?,
                ))
            })()
            .ok_or("truncated fmt chunk")?;
            format = Some(f);
        } else if id == b"data" {
            let (tag, channels, rate, bits) = format.ok_or("data chunk before fmt chunk")?;
            // 0xFFFE = WAVE_FORMAT_EXTENSIBLE; its sub-format is PCM for every writer used here.
            if !(tag == 1 || tag == 0xfffe) || bits != 16 {
                return Err(format!("format tag {tag:#x} with {bits} bits, not PCM16"));
            }
            let end = if size == 0 || body + size > bytes.len() {
                bytes.len()
            } else {
                body + size
            };
            let samples = bytes[body..end]
                .chunks_exact(2)
                .map(|c| i16::from_le_bytes([c[0], c[1]]))
                .collect();
            return Ok(Wav {
                sample_rate: rate,
                channels,
                samples,
            });
        }
        // Chunks are padded to an even size.
        at = body.saturating_add(size).saturating_add(size & 1);
    }
    Err("no data chunk".to_string())
}

/// Reads and parses a PCM16 WAV file.
pub fn read_wav(path: &Path) -> Result<Wav> {
    let bytes =
        std::fs::read(path).map_err(HarnessError::io(format!("read {}", path.display())))?;
    parse_wav(&bytes).map_err(|reason| HarnessError::BadFile {
        path: path.to_path_buf(),
        reason,
    })
}
