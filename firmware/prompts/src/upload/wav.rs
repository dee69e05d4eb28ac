//! WAV uploads go through `media::wav` (the same lenient reader as recordings) rather
//! than symphonia, plus a check that the data chunk is as long as it says.

use media::wav::{self, WavError};

use super::sink::Sink;
use crate::{ImportError, Limits};

fn map(e: WavError) -> ImportError {
    match e {
        WavError::NotRiff | WavError::NotWave { .. } => ImportError::NotAudio {
            what: "a RIFF file that is not WAVE",
        },
        WavError::Unsupported { tag, bits } => ImportError::UnsupportedWav { tag, bits },
        WavError::BadSampleRate(hz) => ImportError::UnsupportedRate { hz },
        WavError::MissingFmt => ImportError::Corrupt {
            detail: "WAV without a fmt chunk",
        },
        WavError::FmtTooShort { .. } => ImportError::Corrupt {
            detail: "WAV fmt chunk cut short",
        },
        WavError::MissingData => ImportError::Corrupt {
            detail: "WAV without a data chunk",
        },
        WavError::BadChannels(_) => ImportError::Corrupt {
            detail: "WAV with zero channels",
        },
    }
}

/// Declared and present length of the data chunk, if its header is there.
fn data_sizes(bytes: &[u8]) -> Option<(u64, u64)> {
    let mut pos = 12usize;
    loop {
        let id = bytes.get(pos..pos.checked_add(4)?)?;
        let size = bytes.get(pos + 4..pos.checked_add(8)?)?;
        let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]);
        let body = pos + 8;
        if id == b"data" {
            let present = bytes.len().saturating_sub(body) as u64;
            return Some((u64::from(size), present));
        }
        let size = usize::try_from(size).ok()?;
        pos = body.checked_add(size)?.checked_add(size & 1)?;
    }
}

pub(super) fn decode(bytes: &[u8], limits: &Limits) -> Result<Vec<i16>, ImportError> {
    let audio = wav::decode(bytes).map_err(map)?;
    if let Some((declared, present)) = data_sizes(bytes) {
        // 0 and 0xFFFFFFFF are what streaming writers leave when they cannot seek back:
        // the file is complete, its header just was never patched.
        if declared != 0 && declared != u64::from(u32::MAX) && present < declared {
            return Err(ImportError::Truncated {
                have: present,
                declared,
                unit: "bytes",
            });
        }
    }
    let mut sink = Sink::new(audio.format.sample_rate, limits)?;
    let channels = usize::from(audio.format.channels);
    sink.check_declared((audio.samples.len() / channels.max(1)) as u64)?;
    sink.push_i16(&audio.samples, channels)?;
    sink.finish()
}
