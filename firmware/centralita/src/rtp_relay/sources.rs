//! What a player plays: decoded prompt files (cached and shared), music on hold, the
//! firmware's phrases and generated tones, as mono PCM at the rate of the leg's codec.
//!
//! Files are decoded once per (path, modification time, rate) and shared through an `Arc`,
//! so two hundred callers hearing the same welcome prompt hold one copy of it and none of
//! them resamples it (converting 20 ms costs more than encoding it in G.711); an upload that
//! replaces a prompt changes its mtime and is decoded afresh.

use super::mlib::dsp::tone::{SystemSound, ToneGenerator};
use super::mlib::{dsp, resample, system_sound, wav};
use pbx::Playback;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

/// The contract's internal prompt format (built-in phrases come at this rate).
pub const INTERNAL_RATE: u32 = 16_000;
/// Largest prompt file read (a 10-minute 16 kHz prompt is ~19 MB); a bigger file is refused
/// rather than read into memory.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Decoded files kept (per rate); beyond that, entries no player uses are evicted.
const CACHE_FILES: usize = 128;

#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is {size} bytes, more than a prompt may be")]
    TooLarge { path: PathBuf, size: u64 },
    #[error("{path} is not a usable WAV file: {source}")]
    Wav {
        path: PathBuf,
        source: wav::WavError,
    },
    #[error("{path}: cannot convert {from} Hz to {to} Hz: {source}")]
    Resample {
        path: PathBuf,
        from: u32,
        to: u32,
        source: resample::ResampleError,
    },
    #[error("loading {path} was interrupted")]
    Interrupted { path: PathBuf },
}

type Pcm = Arc<[i16]>;

/// Decoded audio shared by all players of a relay table, keyed by rate.
#[derive(Debug, Default)]
pub struct SourceCache {
    files: Mutex<HashMap<(PathBuf, u32), (SystemTime, Pcm)>>,
    default_moh: Mutex<HashMap<u32, Pcm>>,
    system: Mutex<HashMap<(SystemSound, u32), Pcm>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // Entries are inserted whole; a poisoned map is still consistent.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A playing source, pulled 20 ms at a time.
pub enum Source {
    Clip { pcm: Pcm, pos: usize, looped: bool },
    Tone(ToneGenerator),
}

impl Source {
    /// Where a clip is (samples played), to resume it at another rate.
    pub fn position(&self) -> Option<usize> {
        match self {
            Source::Clip { pos, .. } => Some(*pos),
            Source::Tone(_) => None,
        }
    }

    /// Resumes at `at` samples of the same audio at `old_rate` (the leg changed codec
    /// mid-play and the clip was reopened at the new rate). A tone just starts over.
    pub fn resume(&mut self, at: usize, old_rate: u32, new_rate: u32) {
        if let Source::Clip { pos, pcm, .. } = self {
            let scaled =
                (at as u64).saturating_mul(u64::from(new_rate)) / u64::from(old_rate.max(1));
            *pos = usize::try_from(scaled).unwrap_or(usize::MAX).min(pcm.len());
        }
    }

    /// Fills `out` (zero-padding after the end); returns how many samples came from the
    /// source, so fewer than `out.len()` means it has ended.
    pub fn fill(&mut self, out: &mut [i16]) -> usize {
        match self {
            Source::Clip { pcm, pos, looped } => {
                let mut n = 0;
                while n < out.len() {
                    if *pos >= pcm.len() {
                        if !*looped || pcm.is_empty() {
                            break;
                        }
                        *pos = 0;
                    }
                    let take = (out.len() - n).min(pcm.len() - *pos);
                    out[n..n + take].copy_from_slice(&pcm[*pos..*pos + take]);
                    n += take;
                    *pos += take;
                }
                out[n..].fill(0);
                n
            }
            Source::Tone(g) => {
                let n = g.fill(out).min(out.len());
                out[n..].fill(0);
                n
            }
        }
    }
}

impl SourceCache {
    /// Opens what `what` names, producing PCM at `rate`; file I/O, decoding and rate
    /// conversion run on the blocking pool.
    pub async fn open(self: &Arc<Self>, what: &Playback, rate: u32) -> Result<Source, SourceError> {
        let clip = |pcm, looped| Source::Clip {
            pcm,
            pos: 0,
            looped,
        };
        Ok(match what {
            Playback::File(path) => clip(self.file(path, rate).await?, false),
            Playback::MusicOnHold(Some(path)) => clip(self.file(path, rate).await?, true),
            Playback::MusicOnHold(None) => clip(self.default_moh(rate).await, true),
            Playback::System(sound) => clip(self.system(*sound, rate).await, false),
            Playback::Tone(kind) => Source::Tone(ToneGenerator::new(*kind, rate)),
        })
    }

    async fn file(self: &Arc<Self>, path: &Path, rate: u32) -> Result<Pcm, SourceError> {
        let cache = Arc::clone(self);
        let owned = path.to_path_buf();
        tokio::task::spawn_blocking(move || cache.file_blocking(&owned, rate))
            .await
            .map_err(|_| SourceError::Interrupted {
                path: path.to_path_buf(),
            })?
    }

    fn file_blocking(&self, path: &Path, rate: u32) -> Result<Pcm, SourceError> {
        let io = |source| SourceError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let key = (path.to_path_buf(), rate);
        if let Some((seen, pcm)) = lock(&self.files).get(&key) {
            if *seen == mtime {
                return Ok(Arc::clone(pcm));
            }
        }
        if meta.len() > MAX_FILE_BYTES {
            return Err(SourceError::TooLarge {
                path: path.to_path_buf(),
                size: meta.len(),
            });
        }
        let bytes = std::fs::read(path).map_err(io)?;
        let audio = wav::decode(&bytes).map_err(|source| SourceError::Wav {
            path: path.to_path_buf(),
            source,
        })?;
        let mono = downmix(&audio.samples, audio.format.channels);
        let from = audio.format.sample_rate;
        let pcm = convert(mono, from, rate).map_err(|source| SourceError::Resample {
            path: path.to_path_buf(),
            from,
            to: rate,
            source,
        })?;
        let mut files = lock(&self.files);
        if files.len() >= CACHE_FILES {
            files.retain(|_, (_, p)| Arc::strong_count(p) > 1);
        }
        files.insert(key, (mtime, Arc::clone(&pcm)));
        Ok(pcm)
    }

    async fn default_moh(self: &Arc<Self>, rate: u32) -> Pcm {
        if let Some(p) = lock(&self.default_moh).get(&rate) {
            return Arc::clone(p);
        }
        // Composing the track takes a moment of CPU: not on the async threads. Two first
        // callers at once may both compose it; the second copy replaces the first.
        let pcm: Pcm = tokio::task::spawn_blocking(move || dsp::moh::default_track(rate))
            .await
            .unwrap_or_default()
            .into();
        lock(&self.default_moh).insert(rate, Arc::clone(&pcm));
        pcm
    }

    async fn system(self: &Arc<Self>, sound: SystemSound, rate: u32) -> Pcm {
        if let Some(p) = lock(&self.system).get(&(sound, rate)) {
            return Arc::clone(p);
        }
        let built = tokio::task::spawn_blocking(move || {
            convert(system_sound(sound), INTERNAL_RATE, rate).unwrap_or_else(|error| {
                tracing::warn!(?sound, rate, %error, "built-in phrase not converted");
                Arc::from(Vec::new())
            })
        })
        .await;
        let pcm = built.unwrap_or_else(|_| Arc::from(Vec::new()));
        lock(&self.system).insert((sound, rate), Arc::clone(&pcm));
        pcm
    }
}

/// Mono PCM from `from` Hz to `to` Hz, once per file and rate.
fn convert(mono: Vec<i16>, from: u32, to: u32) -> Result<Pcm, resample::ResampleError> {
    if from == to {
        Ok(mono.into())
    } else {
        Ok(resample::resample(&mono, from, to)?.into())
    }
}

/// Averages interleaved channels into one.
fn downmix(samples: &[i16], channels: u16) -> Vec<i16> {
    let n = usize::from(channels.max(1));
    if n == 1 {
        return samples.to_vec();
    }
    samples
        .chunks_exact(n)
        .map(|c| {
            let sum: i32 = c.iter().map(|&s| i32::from(s)).sum();
            (sum / n as i32) as i16
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_ends_and_loops() {
        let pcm: Pcm = vec![1i16; 500].into();
        let mut once = Source::Clip {
            pcm: Arc::clone(&pcm),
            pos: 0,
            looped: false,
        };
        let mut out = [9i16; 320];
        assert_eq!(once.fill(&mut out), 320);
        assert_eq!(once.fill(&mut out), 180);
        assert_eq!(out[180], 0);
        let mut looped = Source::Clip {
            pcm,
            pos: 0,
            looped: true,
        };
        for _ in 0..10 {
            assert_eq!(looped.fill(&mut out), 320);
        }
        assert_eq!(downmix(&[2, 4, -6, -8], 2), vec![3, -7]);
    }
}
