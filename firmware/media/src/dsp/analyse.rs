//! Audio analysis helpers used by tests (unit and end-to-end) to check what a caller heard:
//! the power of one frequency and the dominant frequency of a signal.
//!
//! Not tuned for the hot path: these run on whole captures, once.

use std::f64::consts::PI;

/// Largest FFT used by the coarse scan of [`dominant_frequency`]; longer input is scanned in
/// segments of this size (the refinement still uses the whole input).
const MAX_FFT: usize = 1 << 16;

/// Power of the component of `pcm` at `freq_hz`, in full-scale-squared units: a sine of
/// amplitude `A` (1.0 = full scale, 32 768) gives about `A² / 2`, so the result is directly
/// comparable with the mean square of the signal (a clean tone at `freq_hz` gives ≈ its mean
/// square). Goertzel with a non-integer bin, so any frequency may be asked for.
///
/// Returns 0.0 for empty input or a zero sample rate.
pub fn goertzel_power(pcm: &[i16], sample_rate: u32, freq_hz: f32) -> f32 {
    if pcm.is_empty() || sample_rate == 0 {
        return 0.0;
    }
    let w = 2.0 * PI * f64::from(freq_hz) / f64::from(sample_rate);
    let (re, im) = dtft(pcm.iter().map(|&s| f64::from(s) / 32768.0), w);
    let n = pcm.len() as f64;
    // |X|² · 2 / N² turns the DFT magnitude of a sine into its mean-square power (A²/2).
    ((re * re + im * im) * 2.0 / (n * n)) as f32
}

/// The frequency (Hz) carrying the most energy in `pcm`; 0.0 for empty input or silence.
///
/// Accurate to well within ±5 Hz for a clean tone of 0.2 s or more at 8, 16 or 48 kHz: a
/// Hann-windowed, zero-padded FFT finds the peak bin, then a golden-section search on the
/// windowed spectrum (evaluated exactly, Goertzel-style) refines it over the whole input.
/// Frequencies below 20 Hz are ignored so a DC offset is never "dominant".
pub fn dominant_frequency(pcm: &[i16], sample_rate: u32) -> f32 {
    if pcm.len() < 4 || sample_rate == 0 || pcm.iter().all(|&s| s == 0) {
        return 0.0;
    }
    let fs = f64::from(sample_rate);
    let coarse = coarse_peak(pcm, fs);
    // Refine within ± one coarse bin: the windowed main lobe is 4 bins wide, so the true
    // peak is inside this bracket and the magnitude is unimodal there.
    let scan_len = pcm.len().min(MAX_FFT);
    let fft_len = scan_len.next_power_of_two().max(4);
    let bin = fs / fft_len as f64;
    let lo = (coarse - bin).max(0.0);
    let hi = (coarse + bin).min(fs / 2.0);
    let window = hann(pcm.len());
    let magnitude = |f: f64| {
        let w = 2.0 * PI * f / fs;
        let (re, im) = dtft(
            pcm.iter()
                .zip(window.iter())
                .map(|(&s, &h)| f64::from(s) * h),
            w,
        );
        re * re + im * im
    };
    golden_max(magnitude, lo, hi, 0.01) as f32
}

/// Hann window of `n` points (periodic form is not needed here: this is analysis, not
/// overlap-add).
fn hann(n: usize) -> Vec<f64> {
    if n < 2 {
        return vec![1.0; n];
    }
    let d = (n - 1) as f64;
    (0..n)
        .map(|i| 0.5 - 0.5 * (2.0 * PI * i as f64 / d).cos())
        .collect()
}

/// Real and imaginary parts of the DTFT of `x` at angular frequency `w` (radians/sample),
/// by the Goertzel recurrence (one multiply-add per sample).
fn dtft(x: impl Iterator<Item = f64>, w: f64) -> (f64, f64) {
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for v in x {
        let s0 = v + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    // Standard Goertzel output; the phase term is irrelevant as callers take |X|².
    (s1 - s2 * w.cos(), s2 * w.sin())
}

/// Peak of the Hann-windowed, zero-padded power spectrum, with parabolic interpolation on the
/// log magnitude (near-exact for a Gaussian-like main lobe such as Hann's). Input longer than
/// [`MAX_FFT`] is cut into half-overlapping segments whose power spectra are summed (Welch), so
/// a tone anywhere in a long capture is found.
fn coarse_peak(pcm: &[i16], fs: f64) -> f64 {
    let len = pcm.len().min(MAX_FFT);
    let n = len.next_power_of_two().max(4);
    let window = hann(len);
    let mut power = vec![0.0f64; n / 2 + 1];
    let mut re = vec![0.0f64; n];
    let mut im = vec![0.0f64; n];
    // Segments overlap by half (no blind spot at window edges); the last one ends with the
    // input so the tail is analysed too.
    let hop = (len / 2).max(1);
    let last = pcm.len() - len;
    let starts = (0..last).step_by(hop).chain(std::iter::once(last));
    for segment in starts.map(|s| &pcm[s..s + len]) {
        re.fill(0.0);
        im.fill(0.0);
        for (i, (&s, &h)) in segment.iter().zip(window.iter()).enumerate() {
            re[i] = f64::from(s) * h;
        }
        fft(&mut re, &mut im);
        for (p, (r, i)) in power.iter_mut().zip(re.iter().zip(im.iter())) {
            *p += r * r + i * i;
        }
    }
    let min_bin = ((20.0 * n as f64 / fs).ceil() as usize).max(1);
    let mut best = min_bin.min(n / 2);
    for k in min_bin..=n / 2 {
        if power[k] > power[best] {
            best = k;
        }
    }
    let mut offset = 0.0;
    if best > 0 && best < n / 2 {
        let (a, b, c) = (
            (power[best - 1] + 1e-30).ln(),
            (power[best] + 1e-30).ln(),
            (power[best + 1] + 1e-30).ln(),
        );
        let denom = a - 2.0 * b + c;
        if denom.abs() > 1e-12 {
            offset = (0.5 * (a - c) / denom).clamp(-0.5, 0.5);
        }
    }
    (best as f64 + offset) * fs / n as f64
}

/// In-place iterative radix-2 FFT; `re.len()` must be a power of two (callers guarantee it).
fn fft(re: &mut [f64], im: &mut [f64]) {
    let n = re.len();
    if n < 2 || !n.is_power_of_two() || im.len() != n {
        return;
    }
    // Bit-reversal permutation.
    let mut j = 0usize;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let ang = -2.0 * PI / len as f64;
        let (wr, wi) = (ang.cos(), ang.sin());
        for start in (0..n).step_by(len) {
            let (mut cr, mut ci) = (1.0f64, 0.0f64);
            for k in 0..len / 2 {
                let a = start + k;
                let b = a + len / 2;
                let tr = re[b] * cr - im[b] * ci;
                let ti = re[b] * ci + im[b] * cr;
                re[b] = re[a] - tr;
                im[b] = im[a] - ti;
                re[a] += tr;
                im[a] += ti;
                let next = cr * wr - ci * wi;
                ci = cr * wi + ci * wr;
                cr = next;
            }
        }
        len <<= 1;
    }
}

/// Maximum of a unimodal `f` on `[lo, hi]` by golden-section search, to within `tol`.
fn golden_max(f: impl Fn(f64) -> f64, mut lo: f64, mut hi: f64, tol: f64) -> f64 {
    let ratio = (5f64.sqrt() - 1.0) / 2.0;
    let mut x1 = hi - ratio * (hi - lo);
    let mut x2 = lo + ratio * (hi - lo);
    let (mut f1, mut f2) = (f(x1), f(x2));
    // Bounded: the bracket shrinks by 0.618 per step, 80 steps is far below any tolerance.
    for _ in 0..80 {
        if hi - lo <= tol {
            break;
        }
        if f1 < f2 {
            lo = x1;
            x1 = x2;
            f1 = f2;
            x2 = lo + ratio * (hi - lo);
            f2 = f(x2);
        } else {
            hi = x2;
            x2 = x1;
            f2 = f1;
            x1 = hi - ratio * (hi - lo);
            f1 = f(x1);
        }
    }
    (lo + hi) / 2.0
}

#[cfg(test)]
#[path = "analyse_tests.rs"]
mod tests;
