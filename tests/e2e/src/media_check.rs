//! What a test concludes from audio a peer heard: the tone in it (frequency, level, how
//! clean) over its longest run, with a message that says what was heard instead.

use crate::audio::{self, Segment};
use crate::media_peer::describe;

/// Where `freq_hz` is in `pcm` (8 kHz): its longest run, the measurements over that run,
/// and how long it is present in all. The length checked is the total: a box on a loaded
/// machine may leave a short gap in a tone (its timestamps say so), which is not what
/// these tests are about; the stream's shape is checked on its own (`StreamReport`).
#[derive(Debug, Clone)]
pub struct ToneCheck {
    pub run: Option<Segment>,
    /// Milliseconds of all the runs together.
    pub total_ms: u32,
    /// Dominant frequency over the run (0 when there is none).
    pub frequency: f32,
    /// RMS level over the run.
    pub level_dbfs: f32,
}

impl ToneCheck {
    pub fn of(pcm: &[i16], freq_hz: f32) -> ToneCheck {
        ToneCheck::of_rate(pcm, audio::RATE_8K, freq_hz)
    }

    /// [`ToneCheck::of`] for audio at another rate.
    pub fn of_rate(pcm: &[i16], rate: u32, freq_hz: f32) -> ToneCheck {
        let per_ms = (rate / 1000) as usize;
        let runs = audio::tone_segments(pcm, rate, freq_hz, 0.6);
        let total_ms = runs.iter().map(|s| s.len_ms).sum();
        let run = runs.into_iter().max_by_key(|s| s.len_ms);
        let (frequency, level_dbfs) = match run {
            Some(s) => {
                let from = (s.start_ms as usize) * per_ms;
                let to = (from + (s.len_ms as usize) * per_ms).min(pcm.len());
                // A quarter of a second is plenty for the frequency and keeps the scan short.
                let part = &pcm[from..to.min(from + 250 * per_ms)];
                (audio::dominant_frequency(part, rate), s.level_dbfs)
            }
            None => (0.0, -120.0),
        };
        ToneCheck {
            run,
            total_ms,
            frequency,
            level_dbfs,
        }
    }

    /// Length of the longest run, in milliseconds.
    pub fn run_ms(&self) -> u32 {
        self.run.map(|s| s.len_ms).unwrap_or(0)
    }

    /// `Err` explaining what is wrong unless the tone was there for at least `min_ms` in
    /// all, within
    /// `freq_tol` Hz of `freq_hz`, at `level_dbfs` ± `level_tol` dB (RMS).
    pub fn expect(
        &self,
        freq_hz: f32,
        min_ms: u32,
        freq_tol: f32,
        level: Option<(f32, f32)>,
        heard: &[i16],
    ) -> Result<(), String> {
        let mut wrong = Vec::new();
        if self.total_ms < min_ms {
            wrong.push(format!(
                "{freq_hz} Hz present {} ms (longest run {} ms), wanted at least {min_ms} ms",
                self.total_ms,
                self.run_ms()
            ));
        } else if (self.frequency - freq_hz).abs() > freq_tol {
            wrong.push(format!(
                "frequency {:.0} Hz, wanted {freq_hz} ± {freq_tol}",
                self.frequency
            ));
        }
        if let Some((want, tol)) = level {
            if self.total_ms >= min_ms && (self.level_dbfs - want).abs() > tol {
                wrong.push(format!(
                    "level {:.1} dBFS, wanted {want} ± {tol}",
                    self.level_dbfs
                ));
            }
        }
        if wrong.is_empty() {
            Ok(())
        } else {
            Err(format!("{}; heard: {}", wrong.join(", "), describe(heard)))
        }
    }
}

/// RMS level of a sine whose peak is `peak_dbfs`: 3 dB lower.
pub fn sine_rms_dbfs(peak_dbfs: f32) -> f32 {
    peak_dbfs - 3.01
}
