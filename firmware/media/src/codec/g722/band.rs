//! The part of G.722's sub-band ADPCM common to both bands and to encoder and decoder:
//! the logarithmic scale factor adaptation (blocks 3L/3H) and the adaptive predictor
//! with two poles and six zeros (block 4).
//!
//! Everything is the standard's fixed-point arithmetic on 16-bit quantities held in
//! i32, with its saturations and arithmetic right shifts, because encoder and decoder
//! only stay in step (and match other implementations bit for bit) if they round alike.

use super::tables::{ILB, RH2, RL42, WH, WL};

/// The standard's LIMIT: saturate to the 16-bit two's complement range.
fn sat16(x: i32) -> i32 {
    x.clamp(-32768, 32767)
}

/// The sign of a 16-bit quantity as the standard compares it: 0 or -1.
fn sign(x: i32) -> i32 {
    x >> 15
}

/// State of one sub-band's ADPCM loop.
#[derive(Debug, Clone)]
pub(super) struct Band {
    /// Signal estimate: what the predictor expects next (SL/SH).
    pub(super) s: i32,
    /// Pole and zero parts of the estimate (SPL, SZL).
    sp: i32,
    sz: i32,
    /// Reconstructed signal r(n-1), r(n-2) at [1], [2] (index 0 unused).
    r: [i32; 3],
    /// Partially reconstructed signal p(n-1), p(n-2).
    p: [i32; 3],
    /// Quantised difference signal d(n-1)..d(n-6).
    d: [i32; 7],
    /// Pole coefficients a1, a2 and zero coefficients b1..b6.
    a: [i32; 3],
    b: [i32; 7],
    /// Log scale factor (NBL/NBH) and the linear scale factor derived from it (DETL/DETH).
    nb: i32,
    pub(super) det: i32,
}

impl Band {
    /// Reset state (G.722 §6.2: everything zero but the scale factor at its minimum).
    pub(super) fn new(det: i32) -> Self {
        Band {
            s: 0,
            sp: 0,
            sz: 0,
            r: [0; 3],
            p: [0; 3],
            d: [0; 7],
            a: [0; 3],
            b: [0; 7],
            nb: 0,
            det,
        }
    }

    /// Blocks 3L LOGSCL and SCALEL, from the 4-bit code `ril` of the lower band.
    pub(super) fn adapt_low_scale(&mut self, ril: usize) {
        let class = RL42.get(ril).copied().unwrap_or(0);
        let w = WL.get(class).copied().unwrap_or(0);
        self.nb = (((self.nb * 127) >> 7) + w).clamp(0, 18432);
        self.det = scale(self.nb, 8);
    }

    /// Blocks 3H LOGSCH and SCALEH, from the 2-bit code of the higher band.
    pub(super) fn adapt_high_scale(&mut self, code: usize) {
        let class = RH2.get(code).copied().unwrap_or(0);
        let w = WH.get(class).copied().unwrap_or(0);
        self.nb = (((self.nb * 127) >> 7) + w).clamp(0, 22528);
        self.det = scale(self.nb, 10);
    }

    /// Block 4: takes the quantised difference `d` of this sample, adapts the predictor
    /// coefficients (sign-sign LMS) and computes the next estimate `s`.
    pub(super) fn update(&mut self, d: i32) {
        // RECONS and PARREC.
        let r0 = sat16(self.s + d);
        let p0 = sat16(self.sz + d);

        // UPPOL2: second pole, leaking towards zero, pushed by the sign agreement of p.
        let sg0 = sign(p0);
        let sg1 = sign(self.p[1]);
        let sg2 = sign(self.p[2]);
        let wd1 = sat16(self.a[1] << 2);
        let wd2 = (if sg0 == sg1 { -wd1 } else { wd1 }).min(32767);
        let wd3 = (if sg0 == sg2 { 128 } else { -128 }) + (wd2 >> 7) + ((self.a[2] * 32512) >> 15);
        let a2 = wd3.clamp(-12288, 12288);

        // UPPOL1: first pole, bounded so that the pair stays stable (|a1| <= 1 - 2^-4 - a2).
        let wd1 = if sg0 == sg1 { 192 } else { -192 };
        let wd2 = (self.a[1] * 32640) >> 15;
        let bound = sat16(15360 - a2);
        let a1 = sat16(wd1 + wd2).clamp(-bound, bound);

        // UPZERO: the six zeros, leaking, pushed by the sign agreement of d (not when d = 0).
        let step = if d == 0 { 0 } else { 128 };
        let sgd = sign(d);
        let mut b = [0i32; 7];
        for ((new, &old), &past_d) in b.iter_mut().zip(&self.b).zip(&self.d).skip(1) {
            let push = if sign(past_d) == sgd { step } else { -step };
            *new = sat16(push + ((old * 32640) >> 15));
        }

        // DELAYA: shift the histories by one sample.
        self.d.copy_within(1..6, 2);
        self.d[1] = d;
        self.b = b;
        self.r = [0, r0, self.r[1]];
        self.p = [0, p0, self.p[1]];
        self.a = [0, a1, a2];

        // FILTEP and FILTEZ, then PREDIC.
        let pole1 = (self.a[1] * sat16(self.r[1] + self.r[1])) >> 15;
        let pole2 = (self.a[2] * sat16(self.r[2] + self.r[2])) >> 15;
        self.sp = sat16(pole1 + pole2);
        let zeros: i32 = (1..7)
            .map(|i| (self.b[i] * sat16(self.d[i] + self.d[i])) >> 15)
            .sum();
        self.sz = sat16(zeros);
        self.s = sat16(self.sp + self.sz);
    }
}

/// SCALEL/SCALEH: the linear scale factor from the log one, 2^(nb/2048) in the band's
/// fixed-point format (`base` is 8 for the lower band, 10 for the higher).
fn scale(nb: i32, base: i32) -> i32 {
    let fraction = ((nb >> 6) & 31) as usize;
    let mantissa = ILB.get(fraction).copied().unwrap_or(2048);
    let shift = base - (nb >> 11);
    let linear = if shift < 0 {
        mantissa << -shift
    } else {
        mantissa >> shift
    };
    linear << 2
}
