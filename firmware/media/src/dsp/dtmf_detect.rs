//! In-band DTMF detection (ITU-T Q.24 receiver), for callers whose phones send digits as
//! audio instead of RFC 4733 events.
//!
//! Goertzel filters on the eight Q.23 frequencies (and the four column 2nd harmonics) over
//! blocks of 12.75 ms (102 samples at 8 kHz; scaled with the rate, so 16 and 48 kHz use the same
//! code). A block is *valid* for a key only if every check passes — the checks are what keep
//! speech and music from dialling:
//!
//! * level: each tone above [`MIN_TONE_DBFS`];
//! * twist: the high-group tone at most [`FORWARD_TWIST_DB`] above the low one, and at most
//!   [`REVERSE_TWIST_DB`] below it;
//! * relative peak: each tone dominates the other three of its group by [`RELATIVE_PEAK_DB`]
//!   (speech harmonics spread over neighbouring bins; a DTMF tone does not);
//! * total energy: the two tones hold at least [`TONE_TO_TOTAL`] of the block's energy, which
//!   rejects voiced speech and music (their energy is in many harmonics, not in two pure tones);
//! * second harmonic: the column tone's 2nd harmonic (2418-3266 Hz) is at least
//!   [`HARMONIC_DB`] below it. A voice whose n-th harmonic lands on a column frequency has its
//!   2n-th there too; a DTMF generator does not. Rows are not tested: with 12.75 ms blocks their
//!   2nd harmonics (1394, 1540, 1704 Hz) sit inside the main lobe of neighbouring column tones.
//!
//! Hysteresis: a block names a candidate pair when the strongest row and column are loud
//! enough and within the twist limits; it is *valid* when the pair also passes the other
//! checks. A key is reported once [`MIN_ON_BLOCKS`] valid blocks fall inside one unbroken run
//! of that pair (≈ 38 ms, the minimum duration; a lossy codec may spoil a block in between
//! without losing the key), and only once per press: the key is released only after
//! [`MIN_OFF_BLOCKS`] blocks whose strongest pair is not that key, so speech masking a tone
//! for a block or two does not split one press into two.

use std::f32::consts::TAU;

/// Q.23 low group (rows), high group (columns), then the columns' 2nd harmonics.
const FREQS: [f32; FILTERS] = [
    697.0, 770.0, 852.0, 941.0, 1209.0, 1336.0, 1477.0, 1633.0, 2418.0, 2672.0, 2954.0, 3266.0,
];
const FILTERS: usize = 12;
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];

/// Block length at 8 kHz; 102 samples puts the eight frequencies ≥ 0.9 bin apart while
/// keeping blocks short enough for a 40 ms tone to fill three of them.
const BLOCK_AT_8K: u32 = 102;
/// Weakest tone accepted (each of the two), dBFS.
pub const MIN_TONE_DBFS: f32 = -42.0;
/// How much louder the high-group tone may be than the low-group one.
pub const FORWARD_TWIST_DB: f32 = 8.0;
/// How much louder the low-group tone may be than the high-group one.
pub const REVERSE_TWIST_DB: f32 = 6.0;
/// Margin by which a tone must exceed the others of its group.
pub const RELATIVE_PEAK_DB: f32 = 8.0;
/// How far below the column tone its 2nd harmonic must be.
pub const HARMONIC_DB: f32 = 15.0;
/// Share of the block's energy the two tones must hold. Tuned on espeak-ng speech: in blocks
/// passing the other checks speech peaked at 0.61 (fixtures) and 0.66 (5 more minutes, many
/// voices and pitches), while keys 10 dB above speech dip to about 0.9.
pub const TONE_TO_TOTAL: f32 = 0.8;
/// Valid blocks, within one run of the same pair, needed to report a key.
pub const MIN_ON_BLOCKS: u32 = 3;
/// Consecutive blocks without the held pair needed to release a key.
pub const MIN_OFF_BLOCKS: u32 = 2;

fn db_to_ratio(db: f32) -> f32 {
    10f32.powf(db / 10.0)
}

/// Streaming in-band DTMF detector. No allocation: all state is fixed-size.
#[derive(Debug, Clone)]
pub struct DtmfDetector {
    block_len: usize,
    coeff: [f32; FILTERS],
    s1: [f32; FILTERS],
    s2: [f32; FILTERS],
    /// Sum of squares of the current block (full scale = 1.0).
    energy: f32,
    count: usize,
    min_power: f32,
    forward_twist: f32,
    reverse_twist: f32,
    relative_peak: f32,
    harmonic: f32,
    /// Candidate pair of the previous blocks, how many blocks in a row it has lasted, and how
    /// many of those passed every check.
    pair: Option<char>,
    pair_run: u32,
    valid_in_run: u32,
    /// The key being held (already reported), if any, and how many blocks it has been absent.
    held: Option<char>,
    off_run: u32,
}

impl DtmfDetector {
    /// A detector for PCM at `sample_rate` Hz: 8000, 16000 and 48000 are tested; any rate of
    /// 8 kHz or more works (the highest filter, 3266 Hz, stays below Nyquist). Lower rates are
    /// accepted without panicking but their harmonic check is meaningless.
    pub fn new(sample_rate: u32) -> DtmfDetector {
        let rate = sample_rate.max(4000);
        let block_len = ((u64::from(BLOCK_AT_8K) * u64::from(rate) + 4000) / 8000) as usize;
        let coeff = FREQS.map(|f| 2.0 * (TAU * f / rate as f32).cos());
        // Mean-square power of a sine at MIN_TONE_DBFS (full-scale sine = 0.5).
        let min_power = 0.5 * db_to_ratio(MIN_TONE_DBFS);
        DtmfDetector {
            block_len,
            coeff,
            s1: [0.0; FILTERS],
            s2: [0.0; FILTERS],
            energy: 0.0,
            count: 0,
            min_power,
            forward_twist: db_to_ratio(FORWARD_TWIST_DB),
            reverse_twist: db_to_ratio(REVERSE_TWIST_DB),
            relative_peak: db_to_ratio(RELATIVE_PEAK_DB),
            harmonic: db_to_ratio(HARMONIC_DB),
            pair: None,
            pair_run: 0,
            valid_in_run: 0,
            held: None,
            off_run: 0,
        }
    }

    /// Appends to `digits` each key press that *starts* in this PCM (one report per press),
    /// as '0'-'9', '*', '#', 'A'-'D'. Any slicing of the stream gives the same result.
    pub fn process(&mut self, pcm: &[i16], digits: &mut Vec<char>) {
        // Filter state in locals (fixed-size arrays: no bounds checks, and the twelve
        // independent recurrences vectorise).
        let coeff = self.coeff;
        let (mut s1, mut s2) = (self.s1, self.s2);
        let mut energy = self.energy;
        for &s in pcm {
            let x = f32::from(s) / 32768.0;
            energy += x * x;
            for k in 0..FILTERS {
                let s0 = x + coeff[k] * s1[k] - s2[k];
                s2[k] = s1[k];
                s1[k] = s0;
            }
            self.count += 1;
            if self.count == self.block_len {
                (self.s1, self.s2, self.energy) = (s1, s2, energy);
                let block = self.classify_block();
                self.reset_block();
                (s1, s2, energy) = (self.s1, self.s2, self.energy);
                self.update(block, digits);
            }
        }
        (self.s1, self.s2, self.energy) = (s1, s2, energy);
    }

    /// Forgets any partial block and held key (e.g. when the stream is re-anchored).
    pub fn reset(&mut self) {
        self.reset_block();
        self.pair = None;
        self.pair_run = 0;
        self.valid_in_run = 0;
        self.held = None;
        self.off_run = 0;
    }

    fn reset_block(&mut self) {
        self.s1 = [0.0; FILTERS];
        self.s2 = [0.0; FILTERS];
        self.energy = 0.0;
        self.count = 0;
    }

    /// What this block carries: the candidate pair (loose) and whether it passes every check.
    fn classify_block(&self) -> Block {
        let n = self.block_len as f32;
        // Goertzel |X|² scaled to the mean square of the tone (A²/2), like analyse::goertzel_power.
        let power: [f32; FILTERS] = std::array::from_fn(|k| {
            let (a, b, c) = (self.s1[k], self.s2[k], self.coeff[k]);
            (a * a + b * b - c * a * b).max(0.0) * 2.0 / (n * n)
        });
        let none = Block {
            pair: None,
            valid: false,
        };
        let (row, row_p) = strongest(&power[..4]);
        let (col, col_p) = strongest(&power[4..8]);
        if row_p < self.min_power || col_p < self.min_power {
            return none;
        }
        if col_p > row_p * self.forward_twist || row_p > col_p * self.reverse_twist {
            return none;
        }
        let pair = Some(KEYS[row][col]);
        let dominates = |group: &[f32], best: usize, p: f32| {
            group
                .iter()
                .enumerate()
                .all(|(i, &q)| i == best || q * self.relative_peak <= p)
        };
        let valid = dominates(&power[..4], row, row_p)
            && dominates(&power[4..8], col, col_p)
            && power[8 + col] * self.harmonic <= col_p
            && row_p + col_p >= TONE_TO_TOTAL * (self.energy / n);
        Block { pair, valid }
    }

    fn update(&mut self, block: Block, digits: &mut Vec<char>) {
        if block.pair == self.pair {
            self.pair_run = self.pair_run.saturating_add(1);
        } else {
            self.pair = block.pair;
            self.pair_run = 1;
            self.valid_in_run = 0;
        }
        if block.valid {
            self.valid_in_run = self.valid_in_run.saturating_add(1);
        }
        if self.held.is_some() {
            if block.pair == self.held {
                self.off_run = 0;
            } else {
                self.off_run = self.off_run.saturating_add(1);
                if self.off_run >= MIN_OFF_BLOCKS {
                    self.held = None;
                }
            }
        }
        if let Some(key) = self.pair {
            if self.valid_in_run >= MIN_ON_BLOCKS && self.held != Some(key) {
                digits.push(key);
                self.held = Some(key);
                self.off_run = 0;
            }
        }
    }
}

/// One block's verdict.
#[derive(Debug, Clone, Copy)]
struct Block {
    /// The strongest row and column, if both are loud enough and within the twist limits.
    pair: Option<char>,
    /// Whether the pair also passes the relative-peak, harmonic and energy-share checks.
    valid: bool,
}

/// Index and value of the largest element (first on ties); `(0, 0.0)` for an empty slice.
fn strongest(p: &[f32]) -> (usize, f32) {
    p.iter().copied().enumerate().fold(
        (0, 0.0),
        |best, (i, v)| if v > best.1 { (i, v) } else { best },
    )
}

#[cfg(test)]
#[path = "dtmf_detect_tests.rs"]
mod tests;
