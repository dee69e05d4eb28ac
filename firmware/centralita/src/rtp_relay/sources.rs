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

/// One file at one rate: decoded by the first player that wants it while the others wait
/// for the same result (two hundred callers arriving at once must not decode it 200 times).
#[derive(Debug)]
struct FileEntry {
    mtime: SystemTime,
    pcm: tokio::sync::OnceCell<Pcm>,
}

/// Decoded audio shared by all players of a relay table, keyed by rate.
#[derive(Debug, Default)]
pub struct SourceCache {
    files: Mutex<HashMap<(PathBuf, u32), Arc<FileEntry>>>,
    default_moh: Mutex<HashMap<u32, Shared>>,
    system: Mutex<HashMap<(SystemSound, u32), Shared>>,
}

/// Built once by whoever asks first; later callers wait for it.
type Shared = Arc<tokio::sync::OnceCell<Pcm>>;

/// The value of `map[key]`, built by `make` on the blocking pool the first time.
async fn build_once<K: std::hash::Hash + Eq>(
    map: &Mutex<HashMap<K, Shared>>,
    key: K,
    make: impl FnOnce() -> Pcm + Send + 'static,
) -> Pcm {
    let cell = Arc::clone(lock(map).entry(key).or_default());
    let pcm = cell
        .get_or_init(|| async {
            tokio::task::spawn_blocking(make)
                .await
                .unwrap_or_else(|_| Arc::from(Vec::new()))
        })
        .await;
    Arc::clone(pcm)
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
        let interrupted = || SourceError::Interrupted {
            path: path.to_path_buf(),
        };
        let owned = path.to_path_buf();
        let meta = tokio::task::spawn_blocking(move || std::fs::metadata(owned))
            .await
            .map_err(|_| interrupted())?
            .map_err(|source| SourceError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if meta.len() > MAX_FILE_BYTES {
            return Err(SourceError::TooLarge {
                path: path.to_path_buf(),
                size: meta.len(),
            });
        }
        let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let entry = {
            let mut files = lock(&self.files);
            let key = (path.to_path_buf(), rate);
            match files.get(&key) {
                Some(e) if e.mtime == mtime => Arc::clone(e),
                _ => {
                    if files.len() >= CACHE_FILES {
                        // Keep what players are using (or loading) now.
                        files.retain(|_, e| {
                            Arc::strong_count(e) > 1
                                || e.pcm.get().is_some_and(|p| Arc::strong_count(p) > 1)
                        });
                    }
                    let e = Arc::new(FileEntry {
                        mtime,
                        pcm: tokio::sync::OnceCell::new(),
                    });
                    files.insert(key, Arc::clone(&e));
                    e
                }
            }
        };
        let pcm = entry
            .pcm
            .get_or_try_init(|| async {
                let owned = path.to_path_buf();
                tokio::task::spawn_blocking(move || load(&owned, rate))
                    .await
                    .map_err(|_| interrupted())?
            })
            .await?;
        Ok(Arc::clone(pcm))
    }

    async fn default_moh(self: &Arc<Self>, rate: u32) -> Pcm {
        // Composing the track takes a moment of CPU: once per rate, off the async threads.
        build_once(&self.default_moh, rate, move || {
            dsp::moh::default_track(rate).into()
        })
        .await
    }

    async fn system(self: &Arc<Self>, sound: SystemSound, rate: u32) -> Pcm {
        build_once(&self.system, (sound, rate), move || {
            convert(system_sound(sound), INTERNAL_RATE, rate).unwrap_or_else(|error| {
                tracing::warn!(?sound, rate, %error, "built-in phrase not converted");
                Arc::from(Vec::new())
            })
        })
        .await
    }
}

/// Reads and decodes a WAV file, mono at `rate` (blocking: file I/O and CPU).
fn load(path: &Path, rate: u32) -> Result<Pcm, SourceError> {
    let bytes = std::fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let audio = wav::decode(&bytes).map_err(|source| SourceError::Wav {
        path: path.to_path_buf(),
        source,
    })?;
    let mono = downmix(&audio.samples, audio.format.channels);
    let from = audio.format.sample_rate;
    convert(mono, from, rate).map_err(|source| SourceError::Resample {
        path: path.to_path_buf(),
        from,
        to: rate,
        source,
    })
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

    fn clip_of(s: &Source) -> Pcm {
        match s {
            Source::Clip { pcm, .. } => Arc::clone(pcm),
            Source::Tone(_) => panic!("not a clip"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_arriving_together_share_one_decoded_copy() {
        let dir = std::env::temp_dir().join(format!("relay-sources-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.wav");
        let pcm = media::dsp::tone::sine(500.0, -12.0, 16_000, 16_000);
        std::fs::write(&path, wav::encode_pcm16(wav::WavFormat::mono(16_000), &pcm)).unwrap();
        let cache = Arc::new(SourceCache::default());
        let what = Playback::File(path.clone());
        let opens: Vec<_> = (0..50)
            .map(|_| {
                let (cache, what) = (Arc::clone(&cache), what.clone());
                tokio::spawn(async move { cache.open(&what, 8000).await.unwrap() })
            })
            .collect();
        let mut copies = Vec::new();
        for o in opens {
            copies.push(clip_of(&o.await.unwrap()));
        }
        assert_eq!(copies[0].len(), 8000, "converted to the asked rate");
        assert!(copies.iter().all(|c| Arc::ptr_eq(c, &copies[0])));
        let wide = clip_of(&cache.open(&what, 48_000).await.unwrap());
        assert_eq!(wide.len(), 48_000);
        let missing = cache
            .open(&Playback::File(dir.join("none.wav")), 8000)
            .await;
        assert!(matches!(missing, Err(SourceError::Io { .. })));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
