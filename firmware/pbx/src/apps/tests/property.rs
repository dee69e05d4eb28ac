//! Property: whatever the caller and the media side do, no machine panics, tokens increase,
//! nothing comes after the end, and once inputs stop every machine ends (Route or Hangup) within
//! a bounded number of steps — with a media side that reports nothing more, or one that
//! reports every end.
use super::harness::Sim;
use super::ivr::config as ivr_config;
use crate::apps::{
    App, AppCommand, AppInput, Ivr, MenuConfig, MessageInfo, PromptThenHangup, RecConfig,
    RecordPrompt, VmConfig, VoicemailDeposit, VoicemailMenu,
};
use crate::media::{Playback, RecordEnd};
use media::dsp::tone::SystemSound;
use proptest::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

impl App for Box<dyn App> {
    fn start(&mut self, now: Instant) {
        (**self).start(now)
    }
    fn handle(&mut self, input: AppInput, now: Instant) {
        (**self).handle(input, now)
    }
    fn handle_timeout(&mut self, now: Instant) {
        (**self).handle_timeout(now)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        (**self).poll_timeout()
    }
    fn poll_command(&mut self) -> Option<AppCommand> {
        (**self).poll_command()
    }
    fn caller_gone(&mut self, now: Instant) {
        (**self).caller_gone(now)
    }
}

fn machine(kind: u8) -> Box<dyn App> {
    match kind % 6 {
        0 => Box::new(Ivr::new(ivr_config(false, &[]))),
        1 => Box::new(Ivr::new(ivr_config(true, &["2", "20", "21", "100"]))),
        2 => Box::new(VoicemailDeposit::new(VmConfig {
            box_id: "700".into(),
            greeting: Playback::System(SystemSound::VoicemailGreeting),
            file: PathBuf::from("/v/1.wav"),
            max: Duration::from_secs(180),
            silence: Duration::from_secs(5),
            min: Duration::from_secs(1),
        })),
        3 => Box::new(VoicemailMenu::new(MenuConfig {
            box_id: "700".into(),
            pin: "12".into(),
            messages: vec![
                MessageInfo {
                    id: 1,
                    file: PathBuf::from("/v/1.wav"),
                    heard: false,
                },
                MessageInfo {
                    id: 2,
                    file: PathBuf::from("/v/2.wav"),
                    heard: true,
                },
            ],
        })),
        4 => Box::new(RecordPrompt::new(RecConfig {
            slot: "s".into(),
            file: PathBuf::from("/p/s.wav"),
            max: Duration::from_secs(120),
        })),
        _ => Box::new(PromptThenHangup::new(Playback::System(
            SystemSound::Goodbye,
        ))),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Key(char),
    PlayDone,
    StalePlay(u64),
    RecordDone(u8, u32),
    StaleRecord(u64),
    Advance(u32),
    Gone,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => prop::sample::select(vec!['0', '1', '2', '3', '7', '9', '*', '#']).prop_map(Op::Key),
        4 => Just(Op::PlayDone),
        1 => (0u64..20).prop_map(Op::StalePlay),
        2 => (0u8..3, 0u32..200_000).prop_map(|(e, ms)| Op::RecordDone(e, ms)),
        1 => (0u64..20).prop_map(Op::StaleRecord),
        4 => (0u32..30_000).prop_map(Op::Advance),
        1 => (0u32..2_000_000).prop_map(Op::Advance),
        1 => Just(Op::Gone),
    ]
}

fn end(code: u8) -> RecordEnd {
    match code {
        0 => RecordEnd::Silence,
        1 => RecordEnd::MaxLength,
        _ => RecordEnd::Stopped,
    }
}

fn apply(sim: &mut Sim<Box<dyn App>>, op: &Op) {
    match *op {
        Op::Key(key) => {
            sim.key(key);
        }
        Op::PlayDone => {
            if let Some(token) = sim.last_play {
                sim.input(AppInput::PlayDone(token));
            }
        }
        Op::StalePlay(token) => {
            sim.input(AppInput::PlayDone(token));
        }
        Op::RecordDone(code, ms) => {
            if let Some(token) = sim.last_record {
                sim.input(AppInput::RecordDone {
                    token,
                    end: end(code),
                    duration: Duration::from_millis(ms.into()),
                });
            }
        }
        Op::StaleRecord(token) => {
            sim.input(AppInput::RecordDone {
                token,
                end: RecordEnd::Stopped,
                duration: Duration::ZERO,
            });
        }
        Op::Advance(ms) => {
            sim.advance(Duration::from_millis(ms.into()));
        }
        Op::Gone => {
            sim.gone();
        }
    }
}

/// Steps (answered media events or fired deadlines) a machine may need to end on its own.
const BOUND: usize = 100;

fn run_out(sim: &mut Sim<Box<dyn App>>, media_answers: bool) {
    for _ in 0..BOUND {
        if sim.ended {
            return;
        }
        if media_answers {
            if let Some(token) = sim.last_play {
                sim.input(AppInput::PlayDone(token));
            }
            if let Some(token) = sim.last_record {
                sim.input(AppInput::RecordDone {
                    token,
                    end: RecordEnd::Silence,
                    duration: Duration::from_secs(8),
                });
            }
            if sim.ended {
                return;
            }
        }
        let deadline = sim.app.poll_timeout();
        match deadline {
            Some(deadline) => {
                sim.now = sim.now.max(deadline);
                let now = sim.now;
                sim.app.handle_timeout(now);
                sim.drain();
            }
            None if media_answers => {}
            None => panic!("waiting for nothing: {:?}", sim.log.last()),
        }
    }
    assert!(
        sim.ended,
        "did not end within {BOUND} steps: {:?}",
        &sim.log[sim.log.len().saturating_sub(6)..]
    );
}

proptest! {
    #[test]
    fn machines_never_panic_and_always_end(kind in 0u8..6, ops in prop::collection::vec(op(), 0..60), media_answers in any::<bool>()) {
        let (mut sim, _) = Sim::start(machine(kind));
        for op in &ops {
            if sim.ended {
                break;
            }
            apply(&mut sim, op);
        }
        run_out(&mut sim, media_answers);
        let last = sim.log.last();
        let left = matches!(last, Some(AppCommand::Route(_)) | Some(AppCommand::Hangup));
        let gone = ops.iter().any(|o| matches!(o, Op::Gone));
        prop_assert!(left || gone, "ended without Route/Hangup: {:?}", last);
        // Exactly one way out.
        let exits = sim.log.iter().filter(|c| matches!(c, AppCommand::Route(_) | AppCommand::Hangup)).count();
        prop_assert!(exits <= 1);
    }
}
