//! Signal builders shared by the dsp tests (test-only).

use crate::dsp::tone::{dbfs_to_amplitude, dtmf_frequencies, to_i16};

/// Deterministic white-ish noise (xorshift32, sum of 4 uniforms ≈ Gaussian) at `level_dbfs`
/// RMS (AES17, so the same scale as a sine of that level).
pub(crate) fn noise(level_dbfs: f32, samples: usize, seed: u32) -> Vec<i16> {
    let mut state = seed.max(1);
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        f64::from(state) / f64::from(u32::MAX) - 0.5
    };
    // Sum of 4 uniforms on [-0.5, 0.5]: variance 4/12; scale to the sine-equivalent RMS.
    let rms = dbfs_to_amplitude(level_dbfs) / 2f64.sqrt();
    let scale = rms / (4.0f64 / 12.0).sqrt();
    (0..samples)
        .map(|_| to_i16(scale * (next() + next() + next() + next())))
        .collect()
}

/// A DTMF key as two sines: `level_dbfs` is the level of the pair together (each tone 3 dB
/// less), `twist_db` > 0 makes the high tone louder than the low one.
pub(crate) fn dtmf(
    key: char,
    level_dbfs: f32,
    twist_db: f32,
    rate: u32,
    samples: usize,
) -> Vec<i16> {
    let (row, col) = dtmf_frequencies(key).unwrap_or((0.0, 0.0));
    two_tones(row, col, level_dbfs, twist_db, rate, samples)
}

/// Two sines at `low` and `high` Hz: `level_dbfs` for the pair together, `twist_db` > 0 makes
/// the high one louder.
pub(crate) fn two_tones(
    low: f32,
    high: f32,
    level_dbfs: f32,
    twist_db: f32,
    rate: u32,
    samples: usize,
) -> Vec<i16> {
    // Split the total power between both tones according to the twist.
    let t = 10f64.powf(f64::from(twist_db) / 10.0);
    let total = dbfs_to_amplitude(level_dbfs).powi(2);
    let a_row = (total / (1.0 + t)).sqrt();
    let a_col = (total * t / (1.0 + t)).sqrt();
    let tau = std::f64::consts::TAU;
    (0..samples)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            to_i16(
                a_row * (tau * f64::from(low) * t).sin()
                    + a_col * (tau * f64::from(high) * t).sin(),
            )
        })
        .collect()
}

/// Adds `b` into `a` from `offset`, saturating.
pub(crate) fn add_at(a: &mut [i16], b: &[i16], offset: usize) {
    for (x, y) in a.iter_mut().skip(offset).zip(b) {
        *x = x.saturating_add(*y);
    }
}

/// Reads a fixture under tests/fixtures/dsp as mono 8 kHz PCM.
pub(crate) fn fixture(name: &str) -> Vec<i16> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dsp")
        .join(name);
    let bytes = std::fs::read(&path).unwrap();
    let audio = crate::wav::decode(&bytes).unwrap();
    assert_eq!(audio.format.sample_rate, 8000);
    assert_eq!(audio.format.channels, 1);
    audio.samples
}

/// CPU time of the calling thread in ns (Linux schedstat), for benchmarks on a shared,
/// loaded machine where wall time says little. 0 where unavailable.
pub(crate) fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
