//! Join and leave tones: a short rising pair when someone enters, a falling pair when
//! someone leaves, mixed into what every participant hears. Built once per room from
//! [`crate::dsp::tone::sine`] with short fades so neither end clicks.

use crate::dsp::tone::sine;
use std::collections::VecDeque;

/// The two notes (a fifth apart: C5 and G5, clear of the 425 Hz call-progress tones).
const LOW_HZ: f32 = 523.25;
const HIGH_HZ: f32 = 783.99;
/// Level of each note: well audible, but below speech peaks.
const LEVEL_DBFS: f32 = -16.0;
const NOTE_MS: u32 = 100;
const GAP_MS: u32 = 30;
const FADE_MS: u32 = 8;
/// Cues waiting at most; a burst of joins plays a few tones, not a long queue of them.
const MAX_QUEUED: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cue {
    Join,
    Leave,
}

#[derive(Debug, Clone)]
pub(crate) struct CuePlayer {
    join: Vec<i16>,
    leave: Vec<i16>,
    queue: VecDeque<Cue>,
    /// Position inside the cue at the front of the queue.
    pos: usize,
}

/// One note with raised-cosine fades at both ends.
fn note(freq: f32, rate: u32) -> Vec<i16> {
    let len = (rate * NOTE_MS / 1000) as usize;
    let fade = ((rate * FADE_MS / 1000) as usize).max(1);
    let mut pcm = sine(freq, LEVEL_DBFS, rate, len);
    for i in 0..fade.min(len) {
        let g = 0.5 - 0.5 * (std::f32::consts::PI * (i as f32 + 0.5) / fade as f32).cos();
        pcm[i] = (f32::from(pcm[i]) * g) as i16;
        let j = len - 1 - i;
        pcm[j] = (f32::from(pcm[j]) * g) as i16;
    }
    pcm
}

fn pair(first: f32, second: f32, rate: u32) -> Vec<i16> {
    let mut pcm = note(first, rate);
    pcm.resize(pcm.len() + (rate * GAP_MS / 1000) as usize, 0);
    pcm.extend(note(second, rate));
    pcm
}

impl CuePlayer {
    pub(crate) fn new(rate: u32) -> CuePlayer {
        CuePlayer {
            join: pair(LOW_HZ, HIGH_HZ, rate),
            leave: pair(HIGH_HZ, LOW_HZ, rate),
            queue: VecDeque::new(),
            pos: 0,
        }
    }

    pub(crate) fn enqueue(&mut self, cue: Cue) {
        if self.queue.len() < MAX_QUEUED {
            self.queue.push_back(cue);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.pos = 0;
    }

    /// Adds the next `sums.len()` samples of the playing cue into `sums`; false when no cue
    /// is playing (nothing added).
    pub(crate) fn mix_into(&mut self, sums: &mut [i32]) -> bool {
        let mut any = false;
        let mut filled = 0;
        while filled < sums.len() {
            let Some(&cue) = self.queue.front() else {
                break;
            };
            let pcm = match cue {
                Cue::Join => &self.join,
                Cue::Leave => &self.leave,
            };
            let rest = pcm.get(self.pos..).unwrap_or_default();
            let n = rest.len().min(sums.len() - filled);
            for (s, &c) in sums[filled..filled + n].iter_mut().zip(rest) {
                *s += i32::from(c);
            }
            any = true;
            filled += n;
            self.pos += n;
            if self.pos >= pcm.len() {
                self.queue.pop_front();
                self.pos = 0;
            }
        }
        any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::analyse::goertzel_power;

    fn render(player: &mut CuePlayer, frames: usize) -> Vec<i16> {
        let mut pcm = Vec::new();
        for _ in 0..frames {
            let mut sums = vec![0i32; 320];
            player.mix_into(&mut sums);
            pcm.extend(sums.iter().map(|&s| s as i16));
        }
        pcm
    }

    #[test]
    fn join_rises_and_leave_falls() {
        let mut p = CuePlayer::new(16_000);
        p.enqueue(Cue::Join);
        p.enqueue(Cue::Leave);
        let pcm = render(&mut p, 30);
        let note = 1600;
        let (join, leave) = pcm.split_at(3680);
        assert!(goertzel_power(&join[..note], 16_000, LOW_HZ) > 0.004);
        assert!(goertzel_power(&join[join.len() - note..], 16_000, HIGH_HZ) > 0.004);
        assert!(goertzel_power(&leave[..note], 16_000, HIGH_HZ) > 0.004);
        assert!(goertzel_power(&leave[2080..3680], 16_000, LOW_HZ) > 0.004);
        // Then silence, and no more cue.
        assert!(pcm[7360..].iter().all(|&s| s == 0));
        let mut sums = vec![0; 320];
        assert!(!p.mix_into(&mut sums));
    }

    #[test]
    fn a_burst_of_joins_is_capped() {
        let mut p = CuePlayer::new(8000);
        for _ in 0..50 {
            p.enqueue(Cue::Join);
        }
        assert_eq!(p.queue.len(), MAX_QUEUED);
    }
}
