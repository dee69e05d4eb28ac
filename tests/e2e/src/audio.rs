//! Audio oracles of the media tests: G.711 (ITU-T G.711) both ways, test tones, and the
//! measurements a test makes on what a peer heard (tone power by Goertzel, dominant
//! frequency, level), plus the few WAV operations the tests need (write an upload,
//! read a voicemail or a recording).
//!
//! These are written independently of the media crate on purpose: a test that decoded
//! the box's audio with the box's own decoder, or measured it with the box's own
//! analyser, would agree with a bug in either.

use std::f32::consts::PI;

pub use wav::{read_wav, wav_pcm16, Wav};

#[path = "audio_wav.rs"]
mod wav;

/// The narrowband rate every G.711 stream and voicemail file uses.
pub const RATE_8K: u32 = 8_000;

/// µ-law compression of one linear sample (G.711 §3, with the usual 0x84 bias).
pub fn ulaw_encode(sample: i16) -> u8 {
    const BIAS: i32 = 0x84;
    const CLIP: i32 = 32_635;
    let mut s = i32::from(sample);
    let sign = if s < 0 { 0x80 } else { 0 };
    if s < 0 {
        s = -s;
    }
    let s = s.min(CLIP) + BIAS;
    // Segment = position of the highest set bit above bit 7 (0..=7).
    let exponent = (7..=14).rev().find(|bit| s & (1 << bit) != 0).unwrap_or(7) - 7;
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !((sign | (exponent << 4) | mantissa) as u8)
}

/// µ-law expansion to a linear sample.
pub fn ulaw_decode(byte: u8) -> i16 {
    let b = !byte;
    let exponent = i32::from((b >> 4) & 0x07);
    let mantissa = i32::from(b & 0x0f);
    let magnitude = (((mantissa << 3) + 0x84) << exponent) - 0x84;
    let value = if b & 0x80 != 0 { -magnitude } else { magnitude };
    value as i16
}

/// A-law compression of one linear sample (13-bit magnitude, even bits inverted).
pub fn alaw_encode(sample: i16) -> u8 {
    let mut p = i32::from(sample) >> 3;
    let mask = if p >= 0 {
        0xd5
    } else {
        p = -p - 1;
        0x55
    };
    // Segment ends of the 13-bit magnitude.
    let segment = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff]
        .iter()
        .position(|&end| p <= end);
    let value = match segment {
        None => 0x7f,
        Some(seg) => {
            let shift = if seg < 2 { 1 } else { seg };
            ((seg as i32) << 4) | ((p >> shift) & 0x0f)
        }
    };
    (value as u8) ^ mask
}

/// A-law expansion to a linear sample.
pub fn alaw_decode(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let mut t = i32::from(a & 0x0f) << 4;
    let segment = (a & 0x70) >> 4;
    match segment {
        0 => t += 8,
        1 => t += 0x108,
        s => {
            t += 0x108;
            t <<= s - 1;
        }
    }
    let value = if a & 0x80 != 0 { t } else { -t };
    value as i16
}

/// `samples` of a sine at `freq_hz`, peak `level_dbfs` below full scale.
pub fn sine(freq_hz: f32, level_dbfs: f32, rate: u32, samples: usize) -> Vec<i16> {
    let amplitude = 32_767.0 * 10f32.powf(level_dbfs / 20.0);
    (0..samples)
        .map(|n| {
            let phase = 2.0 * PI * freq_hz * n as f32 / rate as f32;
            (amplitude * phase.sin()).round() as i16
        })
        .collect()
}

/// `ms` milliseconds of a sine, at rate `rate`.
pub fn tone_ms(freq_hz: f32, level_dbfs: f32, rate: u32, ms: u32) -> Vec<i16> {
    sine(
        freq_hz,
        level_dbfs,
        rate,
        (u64::from(rate) * u64::from(ms) / 1000) as usize,
    )
}

/// Mean power of the signal (full-scale units squared, 0..=1).
fn mean_power(pcm: &[i16]) -> f32 {
    if pcm.is_empty() {
        return 0.0;
    }
    let sum: f64 = pcm
        .iter()
        .map(|&s| {
            let x = f64::from(s) / 32_768.0;
            x * x
        })
        .sum();
    (sum / pcm.len() as f64) as f32
}

/// RMS level in dBFS (a full-scale sine is about -3); -120 for digital silence.
pub fn rms_dbfs(pcm: &[i16]) -> f32 {
    let power = mean_power(pcm);
    if power <= 1e-12 {
        -120.0
    } else {
        10.0 * power.log10()
    }
}

/// Power of the component at `freq_hz` (Goertzel), in the same units as [`mean_power`]:
/// a pure sine of any frequency measured at its own frequency gives its whole power.
pub fn tone_power(pcm: &[i16], rate: u32, freq_hz: f32) -> f32 {
    if pcm.is_empty() {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * f64::from(freq_hz) / f64::from(rate);
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in pcm {
        let s0 = f64::from(x) / 32_768.0 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let magnitude2 = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let n = pcm.len() as f64;
    (2.0 * magnitude2 / (n * n)) as f32
}

/// Share of the signal's power that sits at `freq_hz` (0..=1, about 1 for a clean tone).
pub fn tone_fraction(pcm: &[i16], rate: u32, freq_hz: f32) -> f32 {
    let total = mean_power(pcm);
    if total <= 1e-9 {
        return 0.0;
    }
    (tone_power(pcm, rate, freq_hz) / total).min(1.0)
}

/// The strongest frequency between 100 Hz and just under Nyquist: a 10 Hz scan, then a
/// 1 Hz refinement around the peak (good to a few Hz on a clean tone of 100 ms or more).
pub fn dominant_frequency(pcm: &[i16], rate: u32) -> f32 {
    let top = (rate / 2).saturating_sub(100);
    let best = |candidates: &mut dyn Iterator<Item = u32>| {
        candidates
            .map(|f| (f, tone_power(pcm, rate, f as f32)))
            .fold((0u32, -1.0f32), |acc, x| if x.1 > acc.1 { x } else { acc })
            .0
    };
    let coarse = best(&mut (100..top).step_by(10));
    best(&mut (coarse.saturating_sub(10)..=coarse + 10)) as f32
}

/// A run of consecutive blocks where one tone dominates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Segment {
    /// Offset of the first block, in milliseconds from the start of the signal.
    pub start_ms: u32,
    pub len_ms: u32,
    /// RMS level over the run.
    pub level_dbfs: f32,
}

/// Block length of [`tone_segments`]: 100 ms gives 10 Hz bins, so the test tones (multiples
/// of 10 Hz) sit on a bin.
const BLOCK_MS: u32 = 100;

/// Runs of 100 ms blocks in which `freq_hz` carries at least `min_fraction` of the power
/// and the level is above -45 dBFS: where a prompt, a beep or a caller's tone is.
pub fn tone_segments(pcm: &[i16], rate: u32, freq_hz: f32, min_fraction: f32) -> Vec<Segment> {
    let block = (rate * BLOCK_MS / 1000) as usize;
    let mut segments: Vec<(u32, u32, Vec<i16>)> = Vec::new();
    let mut open = false;
    for (i, chunk) in pcm.chunks_exact(block.max(1)).enumerate() {
        let hit = rms_dbfs(chunk) > -45.0 && tone_fraction(chunk, rate, freq_hz) >= min_fraction;
        let at = i as u32 * BLOCK_MS;
        if hit {
            match segments.last_mut() {
                Some(last) if open => {
                    last.1 += BLOCK_MS;
                    last.2.extend_from_slice(chunk);
                }
                _ => segments.push((at, BLOCK_MS, chunk.to_vec())),
            }
        }
        open = hit;
    }
    segments
        .into_iter()
        .map(|(start_ms, len_ms, samples)| Segment {
            start_ms,
            len_ms,
            level_dbfs: rms_dbfs(&samples),
        })
        .collect()
}

/// The segments of [`tone_segments`] at least `min_ms` long.
pub fn tone_bursts(pcm: &[i16], rate: u32, freq_hz: f32, min_ms: u32) -> Vec<Segment> {
    tone_segments(pcm, rate, freq_hz, 0.6)
        .into_iter()
        .filter(|s| s.len_ms >= min_ms)
        .collect()
}

/// Every `factor`-th sample after a `factor`-tap moving average: a crude anti-aliasing
/// filter, enough to bring a 48 kHz dump of test tones (at most a few kHz) down to 8 kHz
/// (-0.2 dB at 1 kHz for 48 -> 8 kHz).
pub fn decimate(pcm: &[i16], factor: usize) -> Vec<i16> {
    let factor = factor.max(1);
    pcm.chunks_exact(factor)
        .map(|c| (c.iter().map(|&s| i32::from(s)).sum::<i32>() / factor as i32) as i16)
        .collect()
}

/// Left channel of interleaved stereo (or the mono signal itself).
pub fn channel(samples: &[i16], channels: u16, index: u16) -> Vec<i16> {
    let channels = usize::from(channels.max(1));
    samples
        .iter()
        .skip(usize::from(index))
        .step_by(channels)
        .copied()
        .collect()
}

#[cfg(test)]
#[path = "audio_tests.rs"]
mod tests;
