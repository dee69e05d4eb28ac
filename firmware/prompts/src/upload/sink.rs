//! Where decoded audio goes: downmixed to mono, resampled to the internal rate as it
//! arrives (so memory holds only the 16 kHz result) and counted against the duration
//! limit before each block is accepted.

use media::resample::{Resampler, MAX_RATE, MIN_RATE};

use crate::{ImportError, Limits, INTERNAL_RATE};

pub(super) struct Sink {
    rate: u32,
    resampler: Resampler,
    /// Source frames accepted so far.
    frames: u64,
    max_frames: u64,
    limit_seconds: u32,
    mono: Vec<i16>,
    out: Vec<i16>,
}

impl Sink {
    pub(super) fn new(rate: u32, limits: &Limits) -> Result<Sink, ImportError> {
        if !(MIN_RATE..=MAX_RATE).contains(&rate) {
            return Err(ImportError::UnsupportedRate { hz: rate });
        }
        let resampler = Resampler::new(rate, INTERNAL_RATE)
            .map_err(|_| ImportError::UnsupportedRate { hz: rate })?;
        let max_frames = u64::from(limits.max_seconds) * u64::from(rate);
        Ok(Sink {
            rate,
            resampler,
            frames: 0,
            max_frames,
            limit_seconds: limits.max_seconds,
            mono: Vec::new(),
            out: Vec::new(),
        })
    }

    pub(super) fn rate(&self) -> u32 {
        self.rate
    }

    /// Refuses up front a stream whose header already declares more than the limit.
    pub(super) fn check_declared(&self, frames: u64) -> Result<(), ImportError> {
        if frames > self.max_frames {
            return Err(self.too_long());
        }
        Ok(())
    }

    fn too_long(&self) -> ImportError {
        ImportError::TooLong {
            limit_seconds: self.limit_seconds,
        }
    }

    fn admit(&mut self, frames: usize) -> Result<(), ImportError> {
        self.frames += frames as u64;
        if self.frames > self.max_frames {
            return Err(self.too_long());
        }
        Ok(())
    }

    /// Source frames accepted so far.
    pub(super) fn frames(&self) -> u64 {
        self.frames
    }

    /// Interleaved `f32` samples in [-1, 1] with `channels` channels.
    pub(super) fn push_f32(&mut self, data: &[f32], channels: usize) -> Result<(), ImportError> {
        let channels = channels.max(1);
        self.admit(data.len() / channels)?;
        self.mono.clear();
        let scale = 32767.0 / channels as f32;
        self.mono.extend(data.chunks_exact(channels).map(|frame| {
            // `as` saturates and maps NaN to 0.
            (frame.iter().sum::<f32>() * scale).round() as i16
        }));
        self.resampler.process(&self.mono, &mut self.out);
        Ok(())
    }

    /// Interleaved `i16` samples with `channels` channels.
    pub(super) fn push_i16(&mut self, data: &[i16], channels: usize) -> Result<(), ImportError> {
        let channels = channels.max(1);
        self.admit(data.len() / channels)?;
        self.mono.clear();
        let n = channels as i32;
        self.mono.extend(data.chunks_exact(channels).map(|frame| {
            let sum: i32 = frame.iter().map(|&s| i32::from(s)).sum();
            // The mean of i16 values is always an i16.
            i16::try_from(sum / n).unwrap_or(0)
        }));
        self.resampler.process(&self.mono, &mut self.out);
        Ok(())
    }

    /// Flushes the resampler and returns 16 kHz mono aligned with the source.
    pub(super) fn finish(mut self) -> Result<Vec<i16>, ImportError> {
        if self.frames == 0 {
            return Err(ImportError::NoAudio);
        }
        let delay = self.resampler.delay_input_samples();
        let tail = vec![0i16; delay];
        self.resampler.process(&tail, &mut self.out);
        // The causal resampler's delay, in output samples, is dropped from the front.
        let lead = (delay as u64 * u64::from(INTERNAL_RATE) / u64::from(self.rate)) as usize;
        let want = (self.frames * u64::from(INTERNAL_RATE)).div_ceil(u64::from(self.rate)) as usize;
        let mut out = self.out;
        out.drain(..lead.min(out.len()));
        out.truncate(want);
        Ok(out)
    }
}
