//! One direction of a transcoded call: PCM decoded from one leg's codec, converted to the
//! other leg's codec rate and re-framed into 20 ms packets of the other codec.

use super::mlib::codec::{self, CodecError, CodecKind, Encoder};
use super::mlib::resample::{ResampleError, Resampler};

#[derive(Debug, thiserror::Error)]
pub enum TranscodeError {
    #[error("no {kind:?} encoder: {source}")]
    Encoder { kind: CodecKind, source: CodecError },
    #[error("cannot convert {from} Hz to {to} Hz: {source}")]
    Resampler {
        from: u32,
        to: u32,
        source: ResampleError,
    },
}

pub struct Transcoder {
    pub from: CodecKind,
    pub to: CodecKind,
    resampler: Option<Resampler>,
    encoder: Box<dyn Encoder>,
    /// PCM at the target rate waiting to fill a 20 ms frame (Opus frames of 10/40/60 ms
    /// and resampler latency make input and output frames differ).
    fifo: Vec<i16>,
    payload: Vec<u8>,
}

impl std::fmt::Debug for Transcoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcoder")
            .field("from", &self.from)
            .field("to", &self.to)
            .field("queued", &self.fifo.len())
            .finish()
    }
}

/// Most PCM kept waiting (200 ms at 48 kHz): a burst of decoded audio beyond it is old.
const FIFO_LIMIT: usize = 9600;

impl Transcoder {
    pub fn new(from: CodecKind, to: CodecKind) -> Result<Self, TranscodeError> {
        let (rate_in, rate_out) = (from.sample_rate(), to.sample_rate());
        let resampler = if rate_in == rate_out {
            None
        } else {
            Some(
                Resampler::new(rate_in, rate_out).map_err(|source| TranscodeError::Resampler {
                    from: rate_in,
                    to: rate_out,
                    source,
                })?,
            )
        };
        // Opus gets capped to the source's bandwidth (half the encoder's cost for G.711).
        let encoder = codec::encoder_for_source(to, rate_in)
            .map_err(|source| TranscodeError::Encoder { kind: to, source })?;
        Ok(Transcoder {
            from,
            to,
            resampler,
            encoder,
            fifo: Vec::with_capacity(2 * to.frame_samples()),
            payload: Vec::with_capacity(256),
        })
    }

    /// Feeds decoded PCM (at `from`'s rate); `emit` gets each encoded 20 ms payload.
    pub fn push(&mut self, pcm: &[i16], mut emit: impl FnMut(&[u8])) -> Result<(), CodecError> {
        match self.resampler.as_mut() {
            Some(r) => r.process(pcm, &mut self.fifo),
            None => self.fifo.extend_from_slice(pcm),
        }
        let excess = self.fifo.len().saturating_sub(FIFO_LIMIT);
        self.fifo.drain(..excess);
        let frame = self.to.frame_samples();
        let mut start = 0;
        let mut result = Ok(());
        while self.fifo.len() - start >= frame {
            self.payload.clear();
            match self
                .encoder
                .encode(&self.fifo[start..start + frame], &mut self.payload)
            {
                Ok(()) => emit(&self.payload),
                Err(e) => result = Err(e),
            }
            start += frame;
        }
        self.fifo.drain(..start);
        result
    }
}
