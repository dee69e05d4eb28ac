//! The disk writer: one std thread per relay table that owns every open recording file.
//!
//! Media tasks never touch the file system: they queue jobs here without blocking. Audio
//! jobs are bounded (dropped and counted when the disk cannot keep up, so memory stays
//! bounded); open/finish jobs are always accepted, so a recording is always closed and its
//! `RecordDone` always sent. One thread for all recordings rather than one per file: a box
//! recording all its 800 calls would otherwise need 800 threads, and buffered appends of
//! 20 ms frames are cheap.

use super::events::EventSink;
use super::mlib::wav::{WavFormat, WavWriter};
use pbx::{MediaEvent, RecordEnd, Side};
use std::collections::{HashMap, VecDeque};
use std::fs::File;
use std::io::BufWriter;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::Duration;

/// Audio jobs waiting at most (each one 20 ms of one recording): ~0.4 s of 1,000 recordings.
const MAX_QUEUED_AUDIO: usize = 20_000;

/// Who to tell when a recording ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Done {
    pub id: u64,
    pub side: Side,
    pub token: u64,
}

#[derive(Debug)]
enum Job {
    Open {
        key: u64,
        path: PathBuf,
        format: WavFormat,
        done: Option<Done>,
    },
    Audio {
        key: u64,
        pcm: Vec<i16>,
    },
    Finish {
        key: u64,
        end: RecordEnd,
    },
}

#[derive(Debug, Default)]
struct Queue {
    jobs: VecDeque<Job>,
    audio_jobs: usize,
    stop: bool,
}

#[derive(Debug)]
struct Inner {
    queue: Mutex<Queue>,
    ready: Condvar,
    dropped_audio: AtomicU64,
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, Queue> {
        // Jobs are pushed/popped whole; a poisoned queue still holds valid jobs.
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Handle to the writer thread; dropping it lets the thread finish the queued jobs and exit.
#[derive(Debug)]
pub struct DiskWriter {
    inner: Arc<Inner>,
    next_key: AtomicU64,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl DiskWriter {
    pub fn start(events: EventSink) -> std::io::Result<DiskWriter> {
        let inner = Arc::new(Inner {
            queue: Mutex::new(Queue::default()),
            ready: Condvar::new(),
            dropped_audio: AtomicU64::new(0),
        });
        let thread_inner = Arc::clone(&inner);
        let thread = std::thread::Builder::new()
            .name("media-disk".into())
            .spawn(move || run(&thread_inner, &events))?;
        Ok(DiskWriter {
            inner,
            next_key: AtomicU64::new(1),
            thread: Some(thread),
        })
    }

    /// Starts a file; returns the key its audio and finish jobs name.
    pub fn open(&self, path: PathBuf, format: WavFormat, done: Option<Done>) -> u64 {
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        self.push(Job::Open {
            key,
            path,
            format,
            done,
        });
        key
    }

    /// Queues audio (interleaved for stereo files); never blocks.
    pub fn audio(&self, key: u64, pcm: Vec<i16>) {
        let mut q = self.inner.lock();
        if q.audio_jobs >= MAX_QUEUED_AUDIO {
            drop(q);
            let n = self.inner.dropped_audio.fetch_add(1, Ordering::Relaxed);
            if n.is_multiple_of(1000) {
                tracing::warn!(
                    dropped = n + 1,
                    "recording audio dropped: the disk is too slow"
                );
            }
            return;
        }
        q.audio_jobs += 1;
        q.jobs.push_back(Job::Audio { key, pcm });
        drop(q);
        self.inner.ready.notify_one();
    }

    /// Closes the file and (for a leg recording) sends `RecordDone` once it is on disk.
    pub fn finish(&self, key: u64, end: RecordEnd) {
        self.push(Job::Finish { key, end });
    }

    pub fn dropped_audio(&self) -> u64 {
        self.inner.dropped_audio.load(Ordering::Relaxed)
    }

    fn push(&self, job: Job) {
        self.inner.lock().jobs.push_back(job);
        self.inner.ready.notify_one();
    }
}

impl Drop for DiskWriter {
    fn drop(&mut self) {
        self.inner.lock().stop = true;
        self.inner.ready.notify_one();
        if let Some(t) = self.thread.take() {
            // The thread only ends after finishing the queue; a panic there is already logged.
            let _ = t.join();
        }
    }
}

struct OpenFile {
    writer: Option<WavWriter<BufWriter<File>>>,
    format: WavFormat,
    done: Option<Done>,
    path: PathBuf,
}

fn run(inner: &Inner, events: &EventSink) {
    let mut files: HashMap<u64, OpenFile> = HashMap::new();
    let mut batch: Vec<Job> = Vec::new();
    loop {
        {
            let mut q = inner.lock();
            while q.jobs.is_empty() && !q.stop {
                q = inner
                    .ready
                    .wait_timeout(q, Duration::from_secs(1))
                    .unwrap_or_else(PoisonError::into_inner)
                    .0;
            }
            if q.jobs.is_empty() && q.stop {
                break;
            }
            batch.extend(q.jobs.drain(..));
            q.audio_jobs = 0;
        }
        for job in batch.drain(..) {
            handle(job, &mut files, events);
        }
    }
    // Stopped with files still open (the table was dropped without close): finish them.
    for (_, file) in files.drain() {
        close(file, RecordEnd::Stopped, events);
    }
}

fn handle(job: Job, files: &mut HashMap<u64, OpenFile>, events: &EventSink) {
    match job {
        Job::Open {
            key,
            path,
            format,
            done,
        } => {
            let writer = match create(&path, format) {
                Ok(w) => Some(w),
                Err(error) => {
                    tracing::warn!(path = %path.display(), %error, "cannot create recording file");
                    None
                }
            };
            files.insert(
                key,
                OpenFile {
                    writer,
                    format,
                    done,
                    path,
                },
            );
        }
        Job::Audio { key, pcm } => {
            let Some(file) = files.get_mut(&key) else {
                return;
            };
            if let Some(w) = file.writer.as_mut() {
                if let Err(error) = w.write(&pcm) {
                    tracing::warn!(path = %file.path.display(), %error, "recording write failed");
                    file.writer = None;
                }
            }
        }
        Job::Finish { key, end } => {
            if let Some(file) = files.remove(&key) {
                close(file, end, events);
            }
        }
    }
}

fn create(
    path: &std::path::Path,
    format: WavFormat,
) -> std::io::Result<WavWriter<BufWriter<File>>> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    WavWriter::new(BufWriter::new(File::create(path)?), format)
}

fn close(file: OpenFile, end: RecordEnd, events: &EventSink) {
    let mut frames = 0u64;
    if let Some(w) = file.writer {
        frames = w.samples_written() / u64::from(file.format.channels.max(1));
        match w.finish() {
            Ok(mut inner) => {
                if let Err(error) = std::io::Write::flush(&mut inner) {
                    tracing::warn!(path = %file.path.display(), %error, "recording flush failed");
                }
            }
            Err(error) => {
                tracing::warn!(path = %file.path.display(), %error, "recording finish failed")
            }
        }
    }
    if let Some(done) = file.done {
        let rate = u64::from(file.format.sample_rate.max(1));
        events.send(MediaEvent::RecordDone {
            id: done.id,
            side: done.side,
            token: done.token,
            end,
            duration: Duration::from_micros(frames.saturating_mul(1_000_000) / rate),
        });
    }
}
