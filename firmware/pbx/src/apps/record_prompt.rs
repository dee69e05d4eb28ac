//! Recording a prompt from a phone (the feature code of SPEC.md §6): instructions, beep, record
//! until `#` / silence / the maximum, play it back, then 1 keeps it and 2 records again.
use super::outbox::{Outbox, PlayEvent};
use super::{App, AppCommand, AppInput};
use crate::media::{Playback, RecordSpec};
use media::dsp::tone::{SystemSound, ToneKind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Continuous silence that ends the recording.
pub const PROMPT_SILENCE: Duration = Duration::from_secs(5);
/// Time to choose after "1 to save, 2 to record again"; without a choice the prompt is saved
/// (the caller went to the trouble of recording it).
pub const CHOICE_TIMEOUT: Duration = Duration::from_secs(10);
/// After `#` the media side should report the end of the recording at once.
const STOP_GUARD: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct RecConfig {
    /// Which prompt the recording becomes (the call code knows what it names).
    pub slot: String,
    /// Where the recording is written (absolute path); a retry overwrites it.
    pub file: PathBuf,
    /// Longest recording (120 s).
    pub max: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Instructions,
    Beep,
    Recording {
        stopping: bool,
    },
    /// The recording plays back, then "1 save, 2 retry", then the wait for the choice.
    Review,
    /// "Prompt saved", then `Hangup`.
    Saved,
}

/// The prompt recording machine. The prompt is only kept (`SavePrompt`) after the review: a
/// caller who hangs up before leaves nothing.
pub struct RecordPrompt {
    config: RecConfig,
    out: Outbox,
    state: State,
}

impl RecordPrompt {
    pub fn new(config: RecConfig) -> RecordPrompt {
        RecordPrompt {
            config,
            out: Outbox::default(),
            state: State::Instructions,
        }
    }

    fn beep(&mut self, now: Instant) {
        self.state = State::Beep;
        self.out.play(Playback::Tone(ToneKind::Beep), now);
    }

    fn record(&mut self, now: Instant) {
        self.state = State::Recording { stopping: false };
        let spec = RecordSpec {
            path: self.config.file.clone(),
            max: self.config.max,
            silence: Some(PROMPT_SILENCE),
        };
        self.out.record(spec, now);
    }

    fn review(&mut self, now: Instant) {
        self.state = State::Review;
        self.out.play_all(
            [
                Playback::File(self.config.file.clone()),
                Playback::System(SystemSound::SaveOrRetry),
            ],
            now,
        );
    }

    fn save(&mut self, now: Instant) {
        self.out.stop_play();
        self.out.push(AppCommand::SavePrompt {
            slot: self.config.slot.clone(),
            file: self.config.file.clone(),
        });
        self.state = State::Saved;
        self.out
            .play(Playback::System(SystemSound::PromptSaved), now);
    }

    fn sequence_done(&mut self, now: Instant) {
        match self.state {
            State::Instructions => self.beep(now),
            State::Beep => self.record(now),
            State::Review => self.out.set_deadline(Some(now + CHOICE_TIMEOUT)),
            State::Saved => self.out.finish(AppCommand::Hangup),
            State::Recording { .. } => {}
        }
    }

    fn dtmf(&mut self, key: char, now: Instant) {
        match (self.state, key) {
            (State::Instructions, _) => {
                self.out.stop_play();
                self.beep(now);
            }
            (State::Recording { stopping: false }, '#') => {
                self.state = State::Recording { stopping: true };
                self.out.stop_record();
                self.out.set_deadline(Some(now + STOP_GUARD));
            }
            (State::Review, '1') => self.save(now),
            (State::Review, '2') => {
                self.out.stop_play();
                self.beep(now);
            }
            (State::Saved, _) => self.out.finish(AppCommand::Hangup),
            _ => {}
        }
    }
}

impl App for RecordPrompt {
    fn start(&mut self, now: Instant) {
        self.state = State::Instructions;
        self.out
            .play(Playback::System(SystemSound::RecordPrompt), now);
    }

    fn handle(&mut self, input: AppInput, now: Instant) {
        if self.out.is_finished() {
            return;
        }
        match input {
            AppInput::Dtmf(key) => self.dtmf(key, now),
            AppInput::PlayDone(token) => {
                if self.out.play_done(token, now) == PlayEvent::Finished {
                    self.sequence_done(now);
                }
            }
            AppInput::RecordDone { token, .. } => {
                // However it ended, the caller hears it and decides.
                if self.out.record_done(token) {
                    self.review(now);
                }
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if !self.out.due(now) {
            return;
        }
        if let Some(token) = self.out.current_play() {
            // The playback guard: act as if the phrase's end had been reported.
            self.handle(AppInput::PlayDone(token), now);
            return;
        }
        match self.state {
            State::Recording { stopping } => {
                // The media side never reported the end of the recording.
                if !stopping {
                    self.out.stop_record();
                }
                self.out.forget_record();
                self.review(now);
            }
            State::Review => self.save(now),
            State::Instructions | State::Beep | State::Saved => self.out.finish(AppCommand::Hangup),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.out.deadline()
    }

    fn poll_command(&mut self) -> Option<AppCommand> {
        self.out.pop()
    }

    fn caller_gone(&mut self, _now: Instant) {
        self.out.end_silently();
    }
}
