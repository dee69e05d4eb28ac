//! What a player plays: decoded prompt files (cached and shared), music on hold, the
//! firmware's phrases and generated tones, all as 16 kHz mono PCM (the internal format).
//!
//! Files are decoded once per (path, modification time) and shared through an `Arc`, so
//! two hundred callers hearing the same welcome prompt hold one copy of it; an upload that
//! replaces a prompt changes its mtime and is decoded afresh.

use super::mlib::dsp::tone::{SystemSound, ToneGenerator};
use super::mlib::{dsp, resample, system_sound, wav};
use pbx::Playback;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::SystemTime;

/// The player's working rate: the contract's internal prompt format.
pub const INTERNAL_RATE: u32 = 16_000;
/// Samples of 20 ms at the internal rate.
pub const INTERNAL_FRAME: usize = 320;
/// Largest prompt file read (a 10-minute 16 kHz prompt is ~19 MB); a bigger file is refused
/// rather than read into memory.
const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Decoded files kept; beyond that, entries no player uses are evicted.
const CACHE_FILES: usize = 64;

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
    #[error("{path}: cannot convert {rate} Hz to the internal rate: {source}")]
    Resample {
        path: PathBuf,
        rate: u32,
        source: resample::ResampleError,
    },
    #[error("loading {path} was interrupted")]
    Interrupted { path: PathBuf },
}

type Pcm = Arc<[i16]>;

/// Decoded audio shared by all players of a relay table.
#[derive(Debug, Default)]
pub struct SourceCache {
    files: Mutex<HashMap<PathBuf, (SystemTime, Pcm)>>,
    default_moh: OnceLock<Pcm>,
    system: Mutex<HashMap<SystemSound, Pcm>>,
}

/// A playing source, pulled 20 ms at a time.
pub enum Source {
    Clip { pcm: Pcm, pos: usize, looped: bool },
    Tone(ToneGenerator),
}

impl Source {
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
    /// Opens what `what` names; file I/O and decoding run on the blocking pool.
    pub async fn open(self: &Arc<Self>, what: &Playback) -> Result<Source, SourceError> {
        Ok(match what {
            Playback::File(path) => Source::Clip {
                pcm: self.file(path).await?,
                pos: 0,
                looped: false,
            },
            Playback::MusicOnHold(Some(path)) => Source::Clip {
                pcm: self.file(path).await?,
                pos: 0,
                looped: true,
            },
            Playback::MusicOnHold(None) => Source::Clip {
                pcm: self.default_moh().await,
                pos: 0,
                looped: true,
            },
            Playback::System(sound) => Source::Clip {
                pcm: self.system(*sound).await,
                pos: 0,
                looped: false,
            },
            Playback::Tone(kind) => Source::Tone(ToneGenerator::new(*kind, INTERNAL_RATE)),
        })
    }

    async fn file(self: &Arc<Self>, path: &Path) -> Result<Pcm, SourceError> {
        let cache = Arc::clone(self);
        let owned = path.to_path_buf();
        tokio::task::spawn_blocking(move || cache.file_blocking(&owned))
            .await
            .map_err(|_| SourceError::Interrupted {
                path: path.to_path_buf(),
            })?
    }

    fn file_blocking(&self, path: &Path) -> Result<Pcm, SourceError> {
        let io = |source| SourceError::Io {
            path: path.to_path_buf(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if let Some((seen, pcm)) = self.files_lock().get(path) {
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
        let rate = audio.format.sample_rate;
        let pcm: Pcm = if rate == INTERNAL_RATE {
            mono.into()
        } else {
            // Prompts are stored at 16 kHz; anything else (a file copied in by hand) is
            // converted here once rather than refused.
            resample::resample(&mono, rate, INTERNAL_RATE)
                .map_err(|source| SourceError::Resample {
                    path: path.to_path_buf(),
                    rate,
                    source,
                })?
                .into()
        };
        let mut files = self.files_lock();
        if files.len() >= CACHE_FILES {
            files.retain(|_, (_, p)| Arc::strong_count(p) > 1);
        }
        files.insert(path.to_path_buf(), (mtime, Arc::clone(&pcm)));
        Ok(pcm)
    }

    fn files_lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, (SystemTime, Pcm)>> {
        // Entries are inserted whole; a poisoned map is still consistent.
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn default_moh(self: &Arc<Self>) -> Pcm {
        if let Some(p) = self.default_moh.get() {
            return Arc::clone(p);
        }
        // Composing the track takes a moment of CPU: not on the async threads.
        let cache = Arc::clone(self);
        let built = tokio::task::spawn_blocking(move || {
            Arc::clone(
                cache
                    .default_moh
                    .get_or_init(|| dsp::moh::default_track(INTERNAL_RATE).into()),
            )
        })
        .await;
        built.unwrap_or_else(|_| Arc::from(Vec::new()))
    }

    async fn system(self: &Arc<Self>, sound: SystemSound) -> Pcm {
        if let Some(p) = self
            .system
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&sound)
        {
            return Arc::clone(p);
        }
        let pcm: Pcm = tokio::task::spawn_blocking(move || system_sound(sound))
            .await
            .unwrap_or_default()
            .into();
        self.system
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(sound, Arc::clone(&pcm));
        pcm
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
        let mut out = [9i16; INTERNAL_FRAME];
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
