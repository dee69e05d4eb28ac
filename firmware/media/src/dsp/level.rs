//! Signal levels and silence detection (voicemail ends a message after a stretch of silence).

use std::time::Duration;

/// Floor returned for digital silence (and empty input), instead of -inf.
pub const FLOOR_DBFS: f32 = -120.0;

/// Default silence threshold for voicemail recordings.
pub const VOICEMAIL_SILENCE_DBFS: f32 = -45.0;

/// RMS level of `pcm` in dBFS (AES17: a full-scale sine is 0 dBFS). Returns
/// [`FLOOR_DBFS`] for silence or empty input, never -inf or NaN.
pub fn rms_dbfs(pcm: &[i16]) -> f32 {
    if pcm.is_empty() {
        return FLOOR_DBFS;
    }
    let sum: f64 = pcm.iter().map(|&s| f64::from(s) * f64::from(s)).sum();
    mean_square_dbfs(sum / pcm.len() as f64)
}

/// dBFS of a mean square in sample units²: full-scale sine mean square is 32767² / 2.
fn mean_square_dbfs(mean_square: f64) -> f32 {
    let full_scale_sine = 32767.0f64 * 32767.0 / 2.0;
    if mean_square <= 0.0 {
        return FLOOR_DBFS;
    }
    let db = 10.0 * (mean_square / full_scale_sine).log10();
    (db as f32).max(FLOOR_DBFS)
}

/// Block over which the level is measured: 10 ms, short enough that the hold time is honoured
/// to within a block, long enough that one zero crossing does not look like silence.
const BLOCK_MS: u32 = 10;

/// Tells when audio has stayed below a level for a given time (streaming, no allocation).
#[derive(Debug, Clone)]
pub struct SilenceDetector {
    block_len: usize,
    /// Mean-square threshold in sample units², compared per block.
    threshold_ms: f64,
    hold_samples: u64,
    /// Partial block carried between calls.
    acc: f64,
    acc_len: usize,
    silent_samples: u64,
}

impl SilenceDetector {
    /// A detector for `sample_rate` audio reporting silence once the level stayed below
    /// `threshold_dbfs` (e.g. [`VOICEMAIL_SILENCE_DBFS`]) for `hold`.
    pub fn new(sample_rate: u32, threshold_dbfs: f32, hold: Duration) -> Self {
        let rate = u64::from(sample_rate.max(1));
        let block_len = (rate * u64::from(BLOCK_MS) / 1000).max(1) as usize;
        let full_scale_sine = 32767.0f64 * 32767.0 / 2.0;
        let hold_samples = (hold.as_micros().saturating_mul(u128::from(rate)) / 1_000_000)
            .min(u128::from(u64::MAX)) as u64;
        Self {
            block_len,
            threshold_ms: full_scale_sine * 10f64.powf(f64::from(threshold_dbfs) / 10.0),
            hold_samples,
            acc: 0.0,
            acc_len: 0,
            silent_samples: 0,
        }
    }

    /// Feeds the next samples; true once the audio has stayed below the threshold for `hold`
    /// (and as long as it stays there).
    pub fn push(&mut self, pcm: &[i16]) -> bool {
        for &s in pcm {
            self.acc += f64::from(s) * f64::from(s);
            self.acc_len += 1;
            if self.acc_len == self.block_len {
                if self.acc / self.block_len as f64 <= self.threshold_ms {
                    self.silent_samples = self.silent_samples.saturating_add(self.block_len as u64);
                } else {
                    self.silent_samples = 0;
                }
                self.acc = 0.0;
                self.acc_len = 0;
            }
        }
        self.is_silent()
    }

    /// Whether the silence has lasted `hold` (as of the last complete block).
    pub fn is_silent(&self) -> bool {
        self.silent_samples >= self.hold_samples
    }

    /// Forgets everything heard so far (e.g. when a new recording starts).
    pub fn reset(&mut self) {
        self.acc = 0.0;
        self.acc_len = 0;
        self.silent_samples = 0;
    }
}

#[cfg(test)]
#[path = "level_tests.rs"]
mod tests;
