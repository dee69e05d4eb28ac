//! Streaming PCM16 WAV writer for recordings of live calls.
//!
//! The header goes out first with sizes of 0 so that a file cut by a crash is still a
//! valid WAV for [`super::decode`] (which reads a zero-sized data chunk to the end of the
//! file); `finish` patches the real sizes.

use std::io::{Seek, SeekFrom, Write};

use super::{pcm16_header, WavFormat};

/// Writes interleaved `i16` samples as they arrive.
#[derive(Debug)]
pub struct WavWriter<W: Write + Seek> {
    inner: W,
    format: WavFormat,
    /// Where the header starts (the writer may be handed a stream already positioned).
    start: u64,
    samples: u64,
    /// Reused conversion buffer so each write is a single `write_all` without allocating.
    scratch: Vec<u8>,
}

impl<W: Write + Seek> WavWriter<W> {
    /// Writes a header with zero sizes at the current position of `w`.
    pub fn new(mut w: W, format: WavFormat) -> std::io::Result<Self> {
        let start = w.stream_position()?;
        w.write_all(&pcm16_header(format, 0))?;
        w.flush()?;
        Ok(WavWriter {
            inner: w,
            format,
            start,
            samples: 0,
            scratch: Vec::new(),
        })
    }

    /// Appends samples (interleaved when stereo) and flushes them to `W`.
    pub fn write(&mut self, samples: &[i16]) -> std::io::Result<()> {
        self.scratch.clear();
        self.scratch.reserve(samples.len() * 2);
        for s in samples {
            self.scratch.extend_from_slice(&s.to_le_bytes());
        }
        self.inner.write_all(&self.scratch)?;
        self.inner.flush()?;
        self.samples += samples.len() as u64;
        Ok(())
    }

    /// Samples written so far (all channels counted).
    pub fn samples_written(&self) -> u64 {
        self.samples
    }

    /// The underlying stream (for example to read back what was written so far).
    pub fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The format given to `new`.
    pub fn format(&self) -> WavFormat {
        self.format
    }

    /// Patches the RIFF and data sizes, leaves the stream after the last sample and
    /// returns it.
    pub fn finish(mut self) -> std::io::Result<W> {
        let data_len = self.samples.saturating_mul(2);
        let end = self.start.saturating_add(44).saturating_add(data_len);
        self.inner.seek(SeekFrom::Start(self.start))?;
        self.inner.write_all(&pcm16_header(self.format, data_len))?;
        self.inner.seek(SeekFrom::Start(end))?;
        self.inner.flush()?;
        Ok(self.inner)
    }
}
