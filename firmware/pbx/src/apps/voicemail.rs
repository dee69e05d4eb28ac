//! Leaving a voicemail message (SPEC.md §6): greeting, beep, recording until `#`, hang-up,
//! silence or the maximum length; then the message is handed to the call code to store and mail.
use super::outbox::{Outbox, PlayEvent};
use super::{App, AppCommand, AppInput};
use crate::media::{Playback, RecordEnd, RecordSpec};
use media::dsp::tone::{SystemSound, ToneKind};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// After `#` the media side should report the end of the recording at once; if it does not,
/// the message is taken as ended after this long.
const STOP_GUARD: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct VmConfig {
    pub box_id: String,
    /// The box's prompt, or `Playback::System(SystemSound::VoicemailGreeting)`.
    pub greeting: Playback,
    /// Where the message is recorded (8 kHz mono WAV, absolute path).
    pub file: PathBuf,
    /// Longest message (180 s).
    pub max: Duration,
    /// Continuous silence that ends the message (5 s).
    pub silence: Duration,
    /// Shorter messages are discarded (1 s): a caller who hung up at the beep left nothing.
    pub min: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    Beep,
    Recording {
        started: Instant,
        /// When the caller pressed `#` (the recording is being stopped).
        stopped: Option<Instant>,
    },
    Goodbye,
}

/// The voicemail deposit machine: greeting (`#` or `*` skips it) → beep → record → on the
/// recording's end `SaveVoicemail` (when long enough) → "Adiós" → `Hangup`.
///
/// If the caller hangs up while recording, the message is kept: `StopRecord` then
/// `SaveVoicemail` with the length measured in (virtual) time since the recording started; the
/// call code must carry out the `StopRecord` (close the file) before storing the message. A
/// hang-up during the greeting or the beep leaves no message.
///
/// A recording that ended on silence counts without its trailing silence for the `min` check,
/// so a caller who said nothing leaves no message; the saved duration is the file's.
pub struct VoicemailDeposit {
    config: VmConfig,
    out: Outbox,
    state: State,
}

impl VoicemailDeposit {
    pub fn new(config: VmConfig) -> VoicemailDeposit {
        VoicemailDeposit {
            config,
            out: Outbox::default(),
            state: State::Greeting,
        }
    }

    fn beep(&mut self, now: Instant) {
        self.state = State::Beep;
        self.out.play(Playback::Tone(ToneKind::Beep), now);
    }

    fn record(&mut self, now: Instant) {
        self.state = State::Recording {
            started: now,
            stopped: None,
        };
        let spec = RecordSpec {
            path: self.config.file.clone(),
            max: self.config.max,
            silence: Some(self.config.silence),
        };
        self.out.record(spec, now);
    }

    fn save_if_long_enough(&mut self, end: RecordEnd, duration: Duration) {
        let speech = match end {
            RecordEnd::Silence => duration.saturating_sub(self.config.silence),
            RecordEnd::MaxLength | RecordEnd::Stopped => duration,
        };
        if speech >= self.config.min {
            self.out.push(AppCommand::SaveVoicemail {
                box_id: self.config.box_id.clone(),
                file: self.config.file.clone(),
                duration,
            });
        }
    }

    fn recorded(&mut self, end: RecordEnd, duration: Duration, now: Instant) {
        self.save_if_long_enough(end, duration);
        self.state = State::Goodbye;
        self.out.play(Playback::System(SystemSound::Goodbye), now);
    }

    /// Length of the recording as seen from here (when the media side could not tell).
    fn measured(&self, started: Instant, stopped: Option<Instant>, now: Instant) -> Duration {
        stopped
            .unwrap_or(now)
            .saturating_duration_since(started)
            .min(self.config.max)
    }

    fn play_done(&mut self, now: Instant) {
        match self.state {
            State::Greeting => self.beep(now),
            State::Beep => self.record(now),
            State::Goodbye => self.out.finish(AppCommand::Hangup),
            State::Recording { .. } => {}
        }
    }

    fn dtmf(&mut self, key: char, now: Instant) {
        match self.state {
            State::Greeting if key == '#' || key == '*' => {
                self.out.stop_play();
                self.beep(now);
            }
            State::Recording {
                started,
                stopped: None,
            } if key == '#' => {
                self.state = State::Recording {
                    started,
                    stopped: Some(now),
                };
                self.out.stop_record();
                self.out.set_deadline(Some(now + STOP_GUARD));
            }
            // Other keys during the message are just part of it.
            _ => {}
        }
    }
}

impl App for VoicemailDeposit {
    fn start(&mut self, now: Instant) {
        self.state = State::Greeting;
        self.out.play(self.config.greeting.clone(), now);
    }

    fn handle(&mut self, input: AppInput, now: Instant) {
        if self.out.is_finished() {
            return;
        }
        match input {
            AppInput::Dtmf(key) => self.dtmf(key, now),
            AppInput::PlayDone(token) => {
                if self.out.play_done(token, now) == PlayEvent::Finished {
                    self.play_done(now);
                }
            }
            AppInput::RecordDone {
                token,
                end,
                duration,
            } => {
                if self.out.record_done(token) {
                    self.recorded(end, duration, now);
                }
            }
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if !self.out.due(now) {
            return;
        }
        match self.state {
            State::Recording { started, stopped } => {
                // The media side never reported the end: ask once more and keep what we have.
                self.out.stop_record();
                self.out.forget_record();
                let end = if stopped.is_some() {
                    RecordEnd::Stopped
                } else {
                    RecordEnd::MaxLength
                };
                let duration = self.measured(started, stopped, now);
                self.recorded(end, duration, now);
            }
            _ => {
                // The playback guard: the phrase's end was never reported.
                self.out.stop_play();
                self.play_done(now);
            }
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.out.deadline()
    }

    fn poll_command(&mut self) -> Option<AppCommand> {
        self.out.pop()
    }

    fn caller_gone(&mut self, now: Instant) {
        if self.out.is_finished() {
            return;
        }
        if let State::Recording { started, stopped } = self.state {
            if self.out.is_recording() {
                if stopped.is_none() {
                    self.out.stop_record();
                }
                self.out.forget_record();
                let duration = self.measured(started, stopped, now);
                self.save_if_long_enough(RecordEnd::Stopped, duration);
            }
        }
        self.out.end_silently();
    }
}
