//! Sample-rate conversion between the rates the box uses (8, 16 and 48 kHz) and, for
//! uploads, any rate from 4 to 192 kHz.
//!
//! A rational polyphase resampler: the ratio is reduced to `up / down`, and every output
//! sample is a Kaiser-windowed sinc interpolation of the input at its exact fractional
//! position. The low-pass cut-off follows the lower of the two rates, so downsampling is
//! anti-aliased and upsampling suppresses images. For the small ratios of calls
//! (8k↔16k↔48k have `up` of at most 6) every phase is precomputed exactly.

mod bank;

use bank::Bank;
use thiserror::Error;

/// Lowest and highest sample rate accepted.
pub const MIN_RATE: u32 = 4_000;
pub const MAX_RATE: u32 = 192_000;

/// A conversion the resampler refuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum ResampleError {
    #[error("sample rate {hz} Hz is outside {MIN_RATE}..={MAX_RATE} Hz")]
    RateOutOfRange { hz: u32 },
}

/// Input fed to the filter per step by the one-shot function, so its working buffer
/// stays small however long the input is.
const ONE_SHOT_CHUNK: usize = 8192;

/// Streaming converter for one mono channel (state is kept between calls).
#[derive(Debug, Clone)]
pub struct Resampler {
    up: u32,
    down: u32,
    /// `None` when both rates are equal: samples pass through unchanged.
    bank: Option<Bank>,
    /// Input history (converted to f32 once) starting `half - 1` samples before `pos`.
    buf: Vec<f32>,
    /// Index in `buf` of the input sample at or just before the next output.
    pos: usize,
    /// Fractional part of the next output's position, in units of `1 / up`.
    phase: u32,
}

fn gcd(mut a: u32, mut b: u32) -> u32 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

fn check(hz: u32) -> Result<(), ResampleError> {
    if (MIN_RATE..=MAX_RATE).contains(&hz) {
        Ok(())
    } else {
        Err(ResampleError::RateOutOfRange { hz })
    }
}

fn to_i16(v: f32) -> i16 {
    // `as` saturates and maps NaN to 0; round first so a full-scale tone survives.
    v.round().clamp(-32768.0, 32767.0) as i16
}

impl Resampler {
    /// A causal resampler: every call returns as many samples as the input covers
    /// (160 in at 8 kHz gives exactly 960 out at 48 kHz), delayed by the filter's
    /// half-length ([`Resampler::delay_input_samples`]).
    pub fn new(from_hz: u32, to_hz: u32) -> Result<Resampler, ResampleError> {
        Self::with_delay(from_hz, to_hz, true)
    }

    fn with_delay(from_hz: u32, to_hz: u32, causal: bool) -> Result<Resampler, ResampleError> {
        check(from_hz)?;
        check(to_hz)?;
        let g = gcd(from_hz, to_hz);
        let (up, down) = (to_hz / g, from_hz / g);
        if up == down {
            return Ok(Resampler {
                up,
                down,
                bank: None,
                buf: Vec::new(),
                pos: 0,
                phase: 0,
            });
        }
        let bank = Bank::new(up, down);
        let half = bank.half;
        // `half - 1` zeros of left context; a causal instance also delays by `half`
        // inputs so an output never waits for input that has not arrived.
        let prefill = half - 1 + if causal { half } else { 0 };
        Ok(Resampler {
            up,
            down,
            buf: vec![0.0; prefill],
            pos: half - 1,
            phase: 0,
            bank: Some(bank),
        })
    }

    /// Delay the streaming resampler adds, in input samples.
    pub fn delay_input_samples(&self) -> usize {
        self.bank.as_ref().map_or(0, |b| b.half)
    }

    /// Converts `input` and appends the result to `out`.
    pub fn process(&mut self, input: &[i16], out: &mut Vec<i16>) {
        let Some(bank) = &self.bank else {
            out.extend_from_slice(input);
            return;
        };
        let half = bank.half;
        self.buf.extend(input.iter().map(|&s| f32::from(s)));
        let expected = (input.len() as u64 * u64::from(self.up) / u64::from(self.down)) as usize;
        out.reserve(expected + 1);
        while self.pos + half < self.buf.len() {
            let lo = self.pos + 1 - half;
            let window = &self.buf[lo..lo + bank.taps];
            out.push(to_i16(bank.apply(window, self.phase, self.up)));
            self.phase += self.down;
            self.pos += (self.phase / self.up) as usize;
            self.phase %= self.up;
        }
        // Drop history no future output can reach.
        let keep_from = (self.pos + 1 - half).min(self.buf.len());
        self.buf.drain(..keep_from);
        self.pos -= keep_from;
    }
}

/// Converts a whole signal, time-aligned (no filter delay) and with
/// `ceil(len * to / from)` output samples.
pub fn resample(input: &[i16], from_hz: u32, to_hz: u32) -> Result<Vec<i16>, ResampleError> {
    let mut r = Resampler::with_delay(from_hz, to_hz, false)?;
    let want = (input.len() as u128 * u128::from(r.up)).div_ceil(u128::from(r.down));
    let want = usize::try_from(want).unwrap_or(usize::MAX);
    let mut out = Vec::with_capacity(want);
    for chunk in input.chunks(ONE_SHOT_CHUNK) {
        r.process(chunk, &mut out);
    }
    // Zeros after the end let the last outputs see their full right-hand context.
    let tail = vec![0i16; r.delay_input_samples()];
    r.process(&tail, &mut out);
    out.truncate(want);
    Ok(out)
}

#[cfg(test)]
mod tests;
