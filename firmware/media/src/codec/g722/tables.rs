//! Constant tables of ITU-T G.722 (11/1988 and later editions, tables 6/G.722 to 13/G.722
//! and the QMF coefficients of table 11), in the standard's fixed-point units.

/// Lower sub-band quantiser decision levels (table 6, as 12-bit multipliers of DETL).
pub(super) const Q6: [i32; 31] = [
    0, 35, 72, 110, 150, 190, 233, 276, 323, 370, 422, 473, 530, 587, 650, 714, 786, 858, 940,
    1023, 1121, 1219, 1339, 1458, 1612, 1765, 1980, 2195, 2557, 2919, 0,
];

/// 6-bit code of quantiser interval `mil` for a negative difference signal.
pub(super) const ILN: [i32; 31] = [
    0, 63, 62, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11,
    10, 9, 8, 7, 6, 5, 4,
];

/// 6-bit code of quantiser interval `mil` for a positive (or zero) difference signal.
pub(super) const ILP: [i32; 31] = [
    0, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43, 42, 41, 40, 39,
    38, 37, 36, 35, 34, 33, 32,
];

/// Lower sub-band 6-bit inverse quantiser outputs (64 kbit/s mode), Q15 multipliers of DETL.
pub(super) const QM6: [i32; 64] = [
    -136, -136, -136, -136, -24808, -21904, -19008, -16704, -14984, -13512, -12280, -11192, -10232,
    -9360, -8576, -7856, -7192, -6576, -6000, -5456, -4944, -4464, -4008, -3576, -3168, -2776,
    -2400, -2032, -1688, -1360, -1040, -728, 24808, 21904, 19008, 16704, 14984, 13512, 12280,
    11192, 10232, 9360, 8576, 7856, 7192, 6576, 6000, 5456, 4944, 4464, 4008, 3576, 3168, 2776,
    2400, 2032, 1688, 1360, 1040, 728, 432, 136, -432, -136,
];

/// Lower sub-band 4-bit inverse quantiser outputs: the predictor adapts on the code's
/// four most significant bits only, so 48/56/64 kbit/s decoders stay in step.
pub(super) const QM4: [i32; 16] = [
    0, -20456, -12896, -8968, -6288, -4240, -2584, -1200, 20456, 12896, 8968, 6288, 4240, 2584,
    1200, 0,
];

/// 4-bit code to magnitude class for the lower sub-band log scale factor.
pub(super) const RL42: [usize; 16] = [0, 7, 6, 5, 4, 3, 2, 1, 7, 6, 5, 4, 3, 2, 1, 0];

/// Lower sub-band log scale factor multipliers (table 8).
pub(super) const WL: [i32; 8] = [-60, -30, 58, 172, 334, 538, 1198, 3042];

/// Inverse log base 2 of the scale factor's fractional part: 2048 * 2^(i/32).
pub(super) const ILB: [i32; 32] = [
    2048, 2093, 2139, 2186, 2233, 2282, 2332, 2383, 2435, 2489, 2543, 2599, 2656, 2714, 2774, 2834,
    2896, 2960, 3025, 3091, 3158, 3228, 3298, 3371, 3444, 3520, 3597, 3676, 3756, 3838, 3922, 4008,
];

/// Higher sub-band 2-bit inverse quantiser outputs, Q15 multipliers of DETH.
pub(super) const QM2: [i32; 4] = [-7408, -1616, 7408, 1616];

/// Higher sub-band codes of interval 1 (small) and 2 (large), negative then positive.
pub(super) const IHN: [i32; 3] = [0, 1, 0];
pub(super) const IHP: [i32; 3] = [0, 3, 2];

/// 2-bit code to magnitude class for the higher sub-band log scale factor.
pub(super) const RH2: [usize; 4] = [2, 1, 2, 1];

/// Higher sub-band log scale factor multipliers (table 10).
pub(super) const WH: [i32; 3] = [0, -214, 798];

/// Higher sub-band quantiser decision level (a 12-bit multiplier of DETH).
pub(super) const Q2: i32 = 564;

/// Even-indexed QMF coefficients h(0), h(2), ..., h(22); the filter is symmetric, so the
/// odd-indexed ones are the same list reversed (h(2i+1) = h(22-2i)).
pub(super) const QMF: [i32; 12] = [3, -11, 12, 32, -210, 951, 3876, -805, 362, -156, 53, -11];
