//! Recording: one leg (a voicemail message, a prompt recorded from a phone) or the whole
//! call (both legs, stereo). Both work on 8 kHz PCM the leg's receive path decoded; the
//! files are written by the disk writer thread.

use super::mlib::dsp::level::SilenceDetector;
use super::mlib::wav::WavFormat;
use super::writer::{DiskWriter, Done};
use pbx::{RecordEnd, RecordSpec};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Rate of every recording (contract: voicemail and call recordings are 8 kHz).
pub const RECORD_RATE: u32 = 8000;
/// Samples in 20 ms at the recording rate.
pub const RECORD_FRAME: usize = 160;
/// Below this level a leg counts as silent for `RecordSpec::silence`.
pub const SILENCE_DBFS: f32 = -45.0;

/// How long a recorded leg may send nothing before the watchdog records silence in its
/// place: well above network jitter, and above the pauses the receive path fills itself.
pub const WATCHDOG_GRACE: Duration = Duration::from_millis(500);

/// A recording of what one leg sends, driven by that leg's receive path.
pub struct SideRecording {
    key: u64,
    started: Instant,
    /// When the leg's receive path last brought audio.
    last_heard: Instant,
    /// Silence (samples) the watchdog recorded since then.
    filled: u64,
    written: u64,
    max_samples: u64,
    silence: Option<SilenceDetector>,
    writer: Arc<DiskWriter>,
}

impl SideRecording {
    pub fn start(writer: Arc<DiskWriter>, spec: &RecordSpec, done: Done, now: Instant) -> Self {
        let key = writer.open(
            spec.path.clone(),
            WavFormat {
                sample_rate: RECORD_RATE,
                channels: 1,
            },
            Some(done),
        );
        let max_samples = spec.max.as_millis().saturating_mul(u128::from(RECORD_RATE)) / 1000;
        SideRecording {
            key,
            started: now,
            last_heard: now,
            filled: 0,
            written: 0,
            max_samples: u64::try_from(max_samples).unwrap_or(u64::MAX),
            silence: spec
                .silence
                .map(|hold| SilenceDetector::new(RECORD_RATE, SILENCE_DBFS, hold)),
            writer,
        }
    }

    /// Appends 8 kHz audio; `Some(end)` when the recording has reached a limit (the caller
    /// then calls `finish`).
    pub fn push(&mut self, pcm: &[i16]) -> Option<RecordEnd> {
        let room =
            usize::try_from(self.max_samples.saturating_sub(self.written)).unwrap_or(usize::MAX);
        let take = pcm.len().min(room);
        if take > 0 {
            self.writer.audio(self.key, pcm[..take].to_vec());
            self.written += take as u64;
        }
        if self.written >= self.max_samples {
            return Some(RecordEnd::MaxLength);
        }
        if let Some(s) = self.silence.as_mut() {
            if s.push(pcm) {
                return Some(RecordEnd::Silence);
            }
        }
        None
    }

    pub fn key(&self) -> u64 {
        self.key
    }

    /// The leg's receive path has audio for the recording. Returns the silence (samples)
    /// the watchdog recorded since the last packet, for the caller to reconcile with the gap
    /// it sees in the stream.
    pub fn heard(&mut self, now: Instant) -> u64 {
        self.last_heard = now;
        std::mem::take(&mut self.filled)
    }

    /// A leg that stops sending (muted phone, audio lost on the way) must still reach the
    /// silence and length limits: once it has sent nothing for `WATCHDOG_GRACE`, the time
    /// since the recording started that holds no audio is recorded as silence.
    pub fn catch_up(&mut self, now: Instant) -> Option<RecordEnd> {
        if now.saturating_duration_since(self.last_heard) < WATCHDOG_GRACE {
            return None;
        }
        let wall = now.saturating_duration_since(self.started);
        let due = wall.as_millis().saturating_mul(u128::from(RECORD_RATE)) / 1000;
        let missing = u64::try_from(due)
            .unwrap_or(u64::MAX)
            .saturating_sub(self.written)
            .min(u64::from(RECORD_RATE) * 60);
        if missing == 0 {
            return None;
        }
        self.filled += missing;
        let silence = vec![0i16; usize::try_from(missing).unwrap_or(0)];
        self.push(&silence)
    }

    /// Closes the file; the writer sends `RecordDone` once it is on disk.
    pub fn finish(self, end: RecordEnd) {
        self.writer.finish(self.key, end);
    }

    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.written.saturating_mul(1_000_000) / u64::from(RECORD_RATE))
    }
}

/// Most audio a leg may have queued for the call recording (1 s): a leg whose packets come
/// in bursts is smoothed, one that sends faster than real time cannot grow memory.
const TAP_LIMIT: usize = RECORD_RATE as usize;

/// The meeting point of a call recording: each leg's receive path pushes its decoded
/// audio, the mixer task takes 20 ms of each per tick.
#[derive(Debug, Default)]
pub struct CallTap {
    legs: Mutex<[VecDeque<i16>; 2]>,
}

impl CallTap {
    pub fn push(&self, leg: usize, pcm: &[i16]) {
        let mut legs = self.legs.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(q) = legs.get_mut(leg) else {
            return;
        };
        q.extend(pcm.iter().copied());
        let excess = q.len().saturating_sub(TAP_LIMIT);
        q.drain(..excess);
    }

    /// 20 ms of stereo, leg A left, leg B right; a leg with nothing queued is silent.
    pub fn take_frame(&self, out: &mut Vec<i16>) {
        out.clear();
        out.resize(2 * RECORD_FRAME, 0);
        let mut legs = self.legs.lock().unwrap_or_else(PoisonError::into_inner);
        for (channel, q) in legs.iter_mut().enumerate() {
            for (i, s) in q.drain(..RECORD_FRAME.min(q.len())).enumerate() {
                out[2 * i + channel] = s;
            }
        }
    }
}

/// A whole-call recording: the tap the legs feed and the mixer task's file.
#[derive(Debug)]
pub struct CallRecorder {
    pub tap: Arc<CallTap>,
    key: u64,
    writer: Arc<DiskWriter>,
    task: tokio::task::JoinHandle<()>,
}

impl CallRecorder {
    /// Opens the file and starts the 20 ms clock that aligns the two legs.
    pub fn start(writer: Arc<DiskWriter>, path: std::path::PathBuf) -> Self {
        let key = writer.open(
            path,
            WavFormat {
                sample_rate: RECORD_RATE,
                channels: 2,
            },
            None,
        );
        let tap = Arc::new(CallTap::default());
        let task = tokio::spawn(mix(Arc::clone(&tap), Arc::clone(&writer), key));
        CallRecorder {
            tap,
            key,
            writer,
            task,
        }
    }

    pub fn finish(self) {
        self.task.abort();
        self.writer.finish(self.key, RecordEnd::Stopped);
    }
}

async fn mix(tap: Arc<CallTap>, writer: Arc<DiskWriter>, key: u64) {
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    // A late tick must still write one frame per 20 ms of call, or the file would be
    // shorter than the call: catch up in a burst.
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut frame = Vec::with_capacity(2 * RECORD_FRAME);
    loop {
        tick.tick().await;
        tap.take_frame(&mut frame);
        writer.audio(key, frame.clone());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tap_interleaves_and_pads() {
        let tap = CallTap::default();
        tap.push(0, &[1; 200]);
        tap.push(1, &[2; 100]);
        let mut f = Vec::new();
        tap.take_frame(&mut f);
        assert_eq!(f.len(), 320);
        assert_eq!(&f[..4], &[1, 2, 1, 2]);
        assert_eq!(&f[200..202], &[1, 0]);
        tap.take_frame(&mut f);
        assert_eq!(&f[..4], &[1, 0, 1, 0]);
        assert_eq!(&f[80..82], &[0, 0]);
        tap.push(0, &[3; 20_000]);
        tap.take_frame(&mut f);
        assert_eq!(f[0], 3);
    }
}
