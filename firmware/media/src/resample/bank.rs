//! Polyphase filter bank: a Kaiser-windowed sinc low-pass evaluated at the fractional
//! positions between input samples that a conversion ratio needs.

/// Zero crossings of the sinc on each side, at the lower of the two rates. With the
/// Kaiser window below this gives a transition band from ~0.85 to 1.0 of the lower
/// Nyquist frequency with ~60 dB stop-band rejection: voice keeps its 3.4 kHz at 8 kHz
/// while anything that would alias is well under the 40 dB the box needs.
const ZERO_CROSSINGS: f64 = 22.0;
/// Cut-off (−6 dB point) as a fraction of the lower sample rate: the middle of the
/// transition band 0.425..0.5.
const CUTOFF: f64 = 0.4625;
/// Kaiser β for about 60 dB of attenuation (β = 0.1102 (A − 8.7)).
const KAISER_BETA: f64 = 5.65;
/// Above this many phases the table holds a quantised set of phases and interpolates
/// between neighbours instead of storing one row per exact phase.
const MAX_EXACT_PHASES: u32 = 1024;
/// Upper bound on the coefficients kept for quantised tables (4 MB of f32).
const MAX_TABLE_COEFFS: usize = 1 << 20;

/// Coefficient rows indexed by phase; every row has `taps` entries.
#[derive(Debug, Clone)]
pub(super) struct Bank {
    coeffs: Vec<f32>,
    pub(super) taps: usize,
    /// Half the taps: output at input position `i + frac` uses inputs
    /// `i + 1 - half ..= i + half`.
    pub(super) half: usize,
    /// Number of rows. Equal to the ratio's `up` factor when exact.
    rows: u32,
    exact: bool,
}

/// Modified Bessel function of the first kind, order 0 (power series; converges fast
/// for the β used here).
fn bessel_i0(x: f64) -> f64 {
    let mut sum = 1.0;
    let mut term = 1.0;
    let q = x * x / 4.0;
    for k in 1..64 {
        term *= q / (k * k) as f64;
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    sum
}

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-12 {
        1.0
    } else {
        let px = std::f64::consts::PI * x;
        px.sin() / px
    }
}

impl Bank {
    /// Filter bank for converting by `up / down` (already reduced).
    pub(super) fn new(up: u32, down: u32) -> Bank {
        // Cut-off in cycles per input sample: relative to the lower of the two rates.
        let ratio = (f64::from(up) / f64::from(down)).min(1.0);
        let fc = CUTOFF * ratio;
        let half = (ZERO_CROSSINGS / (2.0 * fc)).ceil().max(1.0) as usize;
        let taps = 2 * half;
        let (rows, exact) = if up <= MAX_EXACT_PHASES {
            (up, true)
        } else {
            let fit = (MAX_TABLE_COEFFS / taps).clamp(32, MAX_EXACT_PHASES as usize);
            (fit as u32, false)
        };
        // A quantised table has one extra row for frac = 1.0 so interpolation never wraps.
        let stored = if exact { rows } else { rows + 1 };
        let i0_beta = bessel_i0(KAISER_BETA);
        let mut coeffs = Vec::with_capacity(stored as usize * taps);
        for r in 0..stored {
            let frac = f64::from(r) / f64::from(rows);
            let start = coeffs.len();
            let mut sum = 0.0f64;
            let mut row = Vec::with_capacity(taps);
            for k in 0..taps {
                // Distance from the output position to input `i + 1 - half + k`.
                let t = frac + half as f64 - 1.0 - k as f64;
                let x = t / half as f64;
                let w = if x.abs() >= 1.0 {
                    0.0
                } else {
                    bessel_i0(KAISER_BETA * (1.0 - x * x).sqrt()) / i0_beta
                };
                let h = 2.0 * fc * sinc(2.0 * fc * t) * w;
                sum += h;
                row.push(h);
            }
            // Unity gain at DC for every phase, so a constant stays constant.
            let norm = if sum.abs() > 1e-12 { 1.0 / sum } else { 1.0 };
            coeffs.extend(row.into_iter().map(|h| (h * norm) as f32));
            debug_assert_eq!(coeffs.len() - start, taps);
        }
        Bank {
            coeffs,
            taps,
            half,
            rows,
            exact,
        }
    }

    /// Filters `window` (exactly `taps` inputs) at phase `phase / up`.
    #[inline]
    pub(super) fn apply(&self, window: &[f32], phase: u32, up: u32) -> f32 {
        if self.exact {
            dot(window, self.row(phase as usize))
        } else {
            // Position between quantised rows; linear interpolation of the two outputs
            // equals filtering with the interpolated coefficients.
            let pos = u64::from(phase) * u64::from(self.rows);
            let r = (pos / u64::from(up)) as usize;
            let t = (pos % u64::from(up)) as f32 / up as f32;
            let a = dot(window, self.row(r));
            let b = dot(window, self.row(r + 1));
            a + (b - a) * t
        }
    }

    fn row(&self, r: usize) -> &[f32] {
        let start = r * self.taps;
        self.coeffs.get(start..start + self.taps).unwrap_or(&[])
    }
}

/// Dot product with eight independent accumulators so the compiler can vectorise it
/// (a single f32 accumulator forces strict sequential adds).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let ca = a.chunks_exact(8);
    let cb = b.chunks_exact(8);
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for j in 0..8 {
            acc[j] += x[j] * y[j];
        }
    }
    let mut tail = 0.0;
    for (x, y) in ra.iter().zip(rb) {
        tail += x * y;
    }
    acc.iter().sum::<f32>() + tail
}
