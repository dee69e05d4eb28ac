//! Lenient WAV reader: walks RIFF chunks, understands the common PCM encodings and
//! recovers files whose sizes were never patched (a crash while recording).

use super::{WavAudio, WavError, WavFormat};
use crate::codec::g711::{alaw_decode, ulaw_decode};

const TAG_PCM: u16 = 0x0001;
const TAG_FLOAT: u16 = 0x0003;
const TAG_ALAW: u16 = 0x0006;
const TAG_ULAW: u16 = 0x0007;
const TAG_EXTENSIBLE: u16 = 0xFFFE;

/// What the fmt chunk says, reduced to what decoding needs.
#[derive(Debug, Clone, Copy)]
struct Fmt {
    tag: u16,
    channels: u16,
    sample_rate: u32,
    bits: u16,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    let s = b.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    let s = b.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn parse_fmt(body: &[u8]) -> Result<Fmt, WavError> {
    let short = WavError::FmtTooShort {
        len: body.len(),
        min: 16,
    };
    let mut tag = u16_at(body, 0).ok_or(short.clone())?;
    let channels = u16_at(body, 2).ok_or(short.clone())?;
    let sample_rate = u32_at(body, 4).ok_or(short.clone())?;
    let bits = u16_at(body, 14).ok_or(short)?;
    if tag == TAG_EXTENSIBLE {
        // WAVEFORMATEXTENSIBLE: cbSize(2) validBits(2) channelMask(4) then a GUID whose
        // first two bytes are the real format tag.
        tag = u16_at(body, 24).ok_or(WavError::FmtTooShort {
            len: body.len(),
            min: 40,
        })?;
    }
    if channels == 0 {
        return Err(WavError::BadChannels(channels));
    }
    if sample_rate == 0 {
        return Err(WavError::BadSampleRate(sample_rate));
    }
    Ok(Fmt {
        tag,
        channels,
        sample_rate,
        bits,
    })
}

/// Bytes per sample of a supported encoding; an error for everything else.
fn sample_width(fmt: &Fmt) -> Result<usize, WavError> {
    let unsupported = WavError::Unsupported {
        tag: fmt.tag,
        bits: fmt.bits,
    };
    match (fmt.tag, fmt.bits) {
        (TAG_PCM, 8) | (TAG_ALAW, 8) | (TAG_ULAW, 8) => Ok(1),
        (TAG_PCM, 16) => Ok(2),
        (TAG_PCM, 24) => Ok(3),
        (TAG_PCM, 32) | (TAG_FLOAT, 32) => Ok(4),
        _ => Err(unsupported),
    }
}

fn convert(fmt: &Fmt, data: &[u8]) -> Vec<i16> {
    match (fmt.tag, fmt.bits) {
        // 8-bit PCM is unsigned with 128 as zero.
        (TAG_PCM, 8) => data.iter().map(|&b| (i16::from(b) - 128) << 8).collect(),
        (TAG_ULAW, _) => data.iter().map(|&b| ulaw_decode(b)).collect(),
        (TAG_ALAW, _) => data.iter().map(|&b| alaw_decode(b)).collect(),
        (TAG_PCM, 16) => data
            .chunks_exact(2)
            .map(|c| i16::from_le_bytes([c[0], c[1]]))
            .collect(),
        // Higher resolutions keep their most significant 16 bits.
        (TAG_PCM, 24) => data
            .chunks_exact(3)
            .map(|c| i16::from_le_bytes([c[1], c[2]]))
            .collect(),
        (TAG_PCM, 32) => data
            .chunks_exact(4)
            .map(|c| i16::from_le_bytes([c[2], c[3]]))
            .collect(),
        (TAG_FLOAT, _) => data
            .chunks_exact(4)
            .map(|c| {
                let f = f32::from_le_bytes([c[0], c[1], c[2], c[3]]);
                // NaN maps to 0 with `as`; the clamp keeps out-of-range floats at full scale.
                (f.clamp(-1.0, 1.0) * 32767.0).round() as i16
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// Reads a WAV file into interleaved `i16` samples.
///
/// A data chunk whose size is 0 or runs past the end of the input (the header of a file
/// whose writer died before `finish`) is read to the end of the input, cut to whole frames.
pub fn decode(bytes: &[u8]) -> Result<WavAudio, WavError> {
    if bytes.get(0..4) != Some(b"RIFF".as_slice()) {
        return Err(WavError::NotRiff);
    }
    match bytes.get(8..12) {
        Some(b"WAVE") => {}
        Some(other) => {
            let mut form = [0u8; 4];
            form.copy_from_slice(other);
            return Err(WavError::NotWave { form });
        }
        None => return Err(WavError::NotWave { form: [0; 4] }),
    }
    // The RIFF size field is ignored on purpose: it is as unreliable as the data size.
    let mut fmt: Option<Fmt> = None;
    let mut data: Option<&[u8]> = None;
    let mut pos = 12usize;
    while let (Some(id), Some(size)) = (
        bytes.get(pos..pos.saturating_add(4)),
        u32_at(bytes, pos.saturating_add(4)),
    ) {
        let body_start = pos.saturating_add(8);
        let rest = bytes.get(body_start..).unwrap_or(&[]);
        let size = usize::try_from(size).unwrap_or(usize::MAX);
        if id == b"data" {
            // Size 0 or past the end: the writer never patched it; take what is there.
            let body = if size == 0 || size > rest.len() {
                rest
            } else {
                &rest[..size]
            };
            data = Some(body);
            if size == 0 || size > rest.len() || fmt.is_some() {
                break;
            }
        } else if id == b"fmt " {
            let body = &rest[..size.min(rest.len())];
            fmt = Some(parse_fmt(body)?);
            if data.is_some() {
                break;
            }
        }
        // Chunks are padded to an even length.
        pos = match body_start
            .checked_add(size)
            .and_then(|p| p.checked_add(size & 1))
        {
            Some(p) => p,
            None => break,
        };
    }
    let fmt = fmt.ok_or(WavError::MissingFmt)?;
    let width = sample_width(&fmt)?;
    let data = data.ok_or(WavError::MissingData)?;
    let frame = width * usize::from(fmt.channels);
    let whole = data.len() - data.len() % frame;
    Ok(WavAudio {
        format: WavFormat {
            sample_rate: fmt.sample_rate,
            channels: fmt.channels,
        },
        samples: convert(&fmt, &data[..whole]),
    })
}
