//! The "play a prompt then hang up" destination (SPEC.md §2).
use super::outbox::{Outbox, PlayEvent};
use super::{App, AppCommand, AppInput};
use crate::media::Playback;
use std::time::Instant;

/// Plays the prompt once (keys are ignored), then `Hangup`.
pub struct PromptThenHangup {
    prompt: Playback,
    out: Outbox,
}

impl PromptThenHangup {
    pub fn new(prompt: Playback) -> PromptThenHangup {
        PromptThenHangup {
            prompt,
            out: Outbox::default(),
        }
    }
}

impl App for PromptThenHangup {
    fn start(&mut self, now: Instant) {
        self.out.play(self.prompt.clone(), now);
    }

    fn handle(&mut self, input: AppInput, now: Instant) {
        if let AppInput::PlayDone(token) = input {
            if self.out.play_done(token, now) == PlayEvent::Finished {
                self.out.finish(AppCommand::Hangup);
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        // Only the playback guard can expire: the prompt's end was never reported.
        if self.out.due(now) {
            self.out.finish(AppCommand::Hangup);
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
