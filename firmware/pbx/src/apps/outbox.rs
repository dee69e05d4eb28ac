//! The bookkeeping every application shares: the queue of commands, the play/record tokens, a
//! sequence of phrases played back to back, the single deadline, and the end of the machine.
use super::AppCommand;
use crate::media::{Playback, RecordSpec};
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// A playback whose `PlayDone` never comes (a media side that lost it, a file it could not
/// open) is taken as finished after this long, so a call cannot stay in an app forever.
/// Longer than the longest prompt an upload may have (600 s) and any voicemail message.
pub(crate) const PLAY_GUARD: Duration = Duration::from_secs(20 * 60);

/// A recording's `RecordDone` is expected at most this long after its maximum length.
pub(crate) const RECORD_GRACE: Duration = Duration::from_secs(30);

/// What a `PlayDone` meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PlayEvent {
    /// Not the current playback (stopped or replaced since): ignore it.
    Stale,
    /// The next phrase of the sequence started.
    Continues,
    /// The whole sequence was played.
    Finished,
}

#[derive(Debug, Default)]
pub(crate) struct Outbox {
    commands: VecDeque<AppCommand>,
    last_token: u64,
    playing: Option<u64>,
    /// Phrases still to play after the current one.
    queue: VecDeque<Playback>,
    recording: Option<u64>,
    deadline: Option<Instant>,
    finished: bool,
}

impl Outbox {
    fn token(&mut self) -> u64 {
        self.last_token += 1;
        self.last_token
    }

    /// Plays `items` one after another, replacing what plays now. Returns false (and plays
    /// nothing) when `items` is empty.
    pub(crate) fn play_all(
        &mut self,
        items: impl IntoIterator<Item = Playback>,
        now: Instant,
    ) -> bool {
        self.queue = items.into_iter().collect();
        match self.queue.pop_front() {
            Some(first) => {
                self.start_play(first, now);
                true
            }
            None => {
                self.stop_play();
                false
            }
        }
    }

    pub(crate) fn play(&mut self, what: Playback, now: Instant) {
        self.play_all([what], now);
    }

    fn start_play(&mut self, what: Playback, now: Instant) {
        let token = self.token();
        // `play` replaces a playback on the media side, so no StopPlay is needed first.
        self.commands.push_back(AppCommand::Play { what, token });
        self.playing = Some(token);
        self.deadline = Some(now + PLAY_GUARD);
    }

    /// Stops the current playback and forgets the rest of its sequence.
    pub(crate) fn stop_play(&mut self) {
        self.queue.clear();
        if self.playing.take().is_some() {
            self.commands.push_back(AppCommand::StopPlay);
            self.deadline = None;
        }
    }

    pub(crate) fn current_play(&self) -> Option<u64> {
        self.playing
    }

    /// A `PlayDone`: starts the next phrase of the sequence if there is one.
    pub(crate) fn play_done(&mut self, token: u64, now: Instant) -> PlayEvent {
        if self.finished || self.playing != Some(token) {
            return PlayEvent::Stale;
        }
        match self.queue.pop_front() {
            Some(next) => {
                self.start_play(next, now);
                PlayEvent::Continues
            }
            None => {
                self.playing = None;
                self.deadline = None;
                PlayEvent::Finished
            }
        }
    }

    pub(crate) fn record(&mut self, spec: RecordSpec, now: Instant) -> u64 {
        let token = self.token();
        self.deadline = Some(now + spec.max + RECORD_GRACE);
        self.commands.push_back(AppCommand::Record { spec, token });
        self.recording = Some(token);
        token
    }

    /// Asks the media side to end the recording; it stays current until its `RecordDone`.
    pub(crate) fn stop_record(&mut self) {
        if self.recording.is_some() {
            self.commands.push_back(AppCommand::StopRecord);
        }
    }

    pub(crate) fn is_recording(&self) -> bool {
        self.recording.is_some()
    }

    /// A `RecordDone`: true when it is the current recording's (which then is over).
    pub(crate) fn record_done(&mut self, token: u64) -> bool {
        if self.finished || self.recording != Some(token) {
            return false;
        }
        self.recording = None;
        true
    }

    /// The recording is over without its `RecordDone` (guard expired, caller gone).
    pub(crate) fn forget_record(&mut self) {
        self.recording = None;
    }

    pub(crate) fn set_deadline(&mut self, deadline: Option<Instant>) {
        self.deadline = deadline;
    }

    pub(crate) fn deadline(&self) -> Option<Instant> {
        if self.finished {
            None
        } else {
            self.deadline
        }
    }

    /// Whether `handle_timeout(now)` has something to do (early or spurious calls are ignored).
    pub(crate) fn due(&self, now: Instant) -> bool {
        self.deadline().is_some_and(|d| now >= d)
    }

    pub(crate) fn push(&mut self, command: AppCommand) {
        self.commands.push_back(command);
    }

    /// Ends the machine with `last` (`Route` or `Hangup`), stopping what still plays or records.
    pub(crate) fn finish(&mut self, last: AppCommand) {
        if self.finished {
            return;
        }
        self.stop_play();
        if self.recording.take().is_some() {
            self.commands.push_back(AppCommand::StopRecord);
        }
        self.commands.push_back(last);
        self.end_silently();
    }

    /// Ends the machine without a last command (the caller is gone).
    pub(crate) fn end_silently(&mut self) {
        self.finished = true;
        self.deadline = None;
        self.playing = None;
        self.queue.clear();
        self.recording = None;
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished
    }

    pub(crate) fn pop(&mut self) -> Option<AppCommand> {
        self.commands.pop_front()
    }
}
