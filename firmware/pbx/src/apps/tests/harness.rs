//! A virtual-time driver for the applications: feeds inputs, fires deadlines, records commands
//! and checks the invariants every machine keeps (increasing tokens, nothing after the end).
use crate::apps::{App, AppCommand, AppInput};
use crate::media::{Playback, RecordEnd};
use std::time::{Duration, Instant};

pub struct Sim<A: App> {
    pub app: A,
    pub now: Instant,
    /// Every command the machine emitted, in order.
    pub log: Vec<AppCommand>,
    pub last_play: Option<u64>,
    pub last_record: Option<u64>,
    last_token: u64,
    pub ended: bool,
}

impl<A: App> Sim<A> {
    /// Starts the machine; returns the driver and the commands of `start`.
    pub fn start(app: A) -> (Sim<A>, Vec<AppCommand>) {
        let mut sim = Sim {
            app,
            now: Instant::now(),
            log: Vec::new(),
            last_play: None,
            last_record: None,
            last_token: 0,
            ended: false,
        };
        sim.app.start(sim.now);
        let first = sim.drain();
        (sim, first)
    }

    pub fn drain(&mut self) -> Vec<AppCommand> {
        let mut out = Vec::new();
        while let Some(command) = self.app.poll_command() {
            assert!(!self.ended, "command after the end: {command:?}");
            match &command {
                AppCommand::Play { token, .. } => {
                    assert!(*token > self.last_token, "tokens must increase");
                    self.last_token = *token;
                    self.last_play = Some(*token);
                }
                AppCommand::Record { token, .. } => {
                    assert!(*token > self.last_token, "tokens must increase");
                    self.last_token = *token;
                    self.last_record = Some(*token);
                }
                AppCommand::Route(_) | AppCommand::Hangup => self.ended = true,
                _ => {}
            }
            out.push(command);
        }
        if self.ended {
            assert_eq!(
                self.app.poll_timeout(),
                None,
                "a finished machine has no deadline"
            );
        }
        self.log.extend(out.iter().cloned());
        out
    }

    pub fn input(&mut self, input: AppInput) -> Vec<AppCommand> {
        self.app.handle(input, self.now);
        self.drain()
    }

    pub fn key(&mut self, key: char) -> Vec<AppCommand> {
        self.input(AppInput::Dtmf(key))
    }

    pub fn keys(&mut self, keys: &str) -> Vec<AppCommand> {
        let mut out = Vec::new();
        for key in keys.chars() {
            out.extend(self.key(key));
        }
        out
    }

    /// The current (last started) playback reached its end.
    pub fn play_done(&mut self) -> Vec<AppCommand> {
        let token = self.last_play.expect("something played");
        self.input(AppInput::PlayDone(token))
    }

    pub fn record_done(&mut self, end: RecordEnd, duration: Duration) -> Vec<AppCommand> {
        let token = self.last_record.expect("something recorded");
        self.input(AppInput::RecordDone {
            token,
            end,
            duration,
        })
    }

    /// Lets `by` pass, firing every deadline that falls in it.
    pub fn advance(&mut self, by: Duration) -> Vec<AppCommand> {
        let target = self.now + by;
        let mut out = Vec::new();
        for _ in 0..1000 {
            match self.app.poll_timeout() {
                Some(deadline) if deadline <= target => {
                    self.now = self.now.max(deadline);
                    self.app.handle_timeout(self.now);
                    out.extend(self.drain());
                }
                _ => break,
            }
        }
        self.now = target;
        out
    }

    pub fn secs(&mut self, secs: u64) -> Vec<AppCommand> {
        self.advance(Duration::from_secs(secs))
    }

    pub fn gone(&mut self) -> Vec<AppCommand> {
        self.app.caller_gone(self.now);
        let out = self.drain();
        assert_eq!(
            self.app.poll_timeout(),
            None,
            "nothing waits after the caller left"
        );
        self.ended = true;
        out
    }
}

/// The playbacks among `commands`.
pub fn plays(commands: &[AppCommand]) -> Vec<Playback> {
    commands
        .iter()
        .filter_map(|c| match c {
            AppCommand::Play { what, .. } => Some(what.clone()),
            _ => None,
        })
        .collect()
}

/// The commands without their tokens, for comparing whole sequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cmd {
    Play(Playback),
    Other(AppCommand),
}

pub fn strip(commands: &[AppCommand]) -> Vec<Cmd> {
    commands
        .iter()
        .map(|c| match c {
            AppCommand::Play { what, .. } => Cmd::Play(what.clone()),
            other => Cmd::Other(other.clone()),
        })
        .collect()
}

pub fn sys(sound: media::dsp::tone::SystemSound) -> Cmd {
    Cmd::Play(Playback::System(sound))
}

pub fn cmd(command: AppCommand) -> Cmd {
    Cmd::Other(command)
}
