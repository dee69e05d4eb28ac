//! Gain protection for one listener's mix: several loud talkers summed can exceed full scale,
//! and hard clipping them (what a saturating add does) sounds harsh. So the sum is taken in
//! i32, then:
//!
//! 1. a frame-rate gain follows the peak: it drops at once when the frame's peak would pass
//!    [`KNEE`] and recovers by [`RELEASE_DB_PER_FRAME`] per frame, ramped across the frame so
//!    the gain change itself does not click;
//! 2. whatever still passes the knee (the first samples of a sudden peak) is bent smoothly
//!    towards full scale by a tanh curve instead of being cut flat.
//!
//! A normal conversation (one or two talkers at speech level) never reaches the knee, so it
//! passes bit-exact.

/// Peak level where limiting starts: about -3 dBFS.
const KNEE: f32 = 23_197.0;
/// Headroom between the knee and full scale, where the soft clip bends.
const SPAN: f32 = 32_767.0 - KNEE;
/// Recovery speed: 1 dB per 20 ms frame, so a 12 dB reduction fades out in about 0.25 s.
const RELEASE_DB_PER_FRAME: f32 = 1.0;

#[derive(Debug, Clone)]
pub(crate) struct Limiter {
    gain: f32,
    release: f32,
}

impl Default for Limiter {
    fn default() -> Self {
        Limiter {
            gain: 1.0,
            release: 10f32.powf(RELEASE_DB_PER_FRAME / 20.0),
        }
    }
}

impl Limiter {
    /// Current gain (1.0 = untouched).
    #[cfg(test)]
    pub(crate) fn gain(&self) -> f32 {
        self.gain
    }

    /// Limits one frame of sums into `out` (cleared first).
    pub(crate) fn process(&mut self, sums: &[i32], out: &mut Vec<i16>) {
        out.clear();
        let peak = sums.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0) as f32;
        let wanted = if peak > KNEE { KNEE / peak } else { 1.0 };
        let from = self.gain;
        let to = if wanted < from {
            wanted
        } else {
            (from * self.release).min(wanted)
        };
        self.gain = to;
        if from == 1.0 && to == 1.0 && peak <= KNEE {
            // The common case: nothing to do but narrow (cannot overflow below the knee).
            out.extend(sums.iter().map(|&s| s as i16));
            return;
        }
        let step = (to - from) / sums.len().max(1) as f32;
        out.extend(sums.iter().enumerate().map(|(i, &s)| {
            let g = from + step * (i + 1) as f32;
            soft_clip(s as f32 * g)
        }));
    }
}

/// Linear below the knee, then a tanh bend that approaches but never passes full scale.
fn soft_clip(x: f32) -> i16 {
    let magnitude = x.abs();
    let y = if magnitude <= KNEE {
        magnitude
    } else {
        KNEE + SPAN * ((magnitude - KNEE) / SPAN).tanh()
    };
    // `as` saturates (and maps NaN to 0), so this cannot wrap.
    (y.copysign(x)).round() as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quiet_mixes_pass_unchanged() {
        let mut l = Limiter::default();
        let sums: Vec<i32> = (0..320).map(|i| (i * 37 % 20_000) - 10_000).collect();
        let mut out = Vec::new();
        l.process(&sums, &mut out);
        let expect: Vec<i16> = sums.iter().map(|&s| s as i16).collect();
        assert_eq!(out, expect);
        assert_eq!(l.gain(), 1.0);
    }

    #[test]
    fn loud_sums_never_clip_and_the_gain_recovers() {
        let mut l = Limiter::default();
        let mut out = Vec::new();
        // Four full-scale talkers in phase: four times full scale.
        let loud: Vec<i32> = (0..320)
            .map(|i| if i % 2 == 0 { 4 * 32_767 } else { -4 * 32_768 })
            .collect();
        l.process(&loud, &mut out);
        // The attack frame ramps the gain down; its first samples are bent, not wrapped.
        assert!(out.iter().step_by(2).all(|&s| s > 20_000));
        for _ in 0..5 {
            l.process(&loud, &mut out);
            // Once the gain has settled the mix sits at the knee: no clipping at all.
            assert!(out.iter().all(|&s| i32::from(s).abs() <= KNEE as i32 + 1));
        }
        assert!(l.gain() < 0.2);
        let quiet = vec![1000i32; 320];
        for _ in 0..100 {
            l.process(&quiet, &mut out);
        }
        assert_eq!(l.gain(), 1.0);
        assert!(out.iter().all(|&s| s == 1000));
    }

    #[test]
    fn soft_clip_is_monotonic_and_bounded() {
        let mut last = i16::MIN;
        for x in (-200_000..200_000).step_by(997) {
            let y = soft_clip(x as f32);
            assert!(y >= last);
            last = y;
        }
        assert_eq!(soft_clip(1e9), i16::MAX);
        assert_eq!(soft_clip(-1e9), -i16::MAX);
        assert_eq!(soft_clip(f32::NAN), 0);
    }
}
