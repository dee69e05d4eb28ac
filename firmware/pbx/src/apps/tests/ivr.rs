//! IVR paths in virtual time: a table of scripts, each with the expected end and prompt count.
use super::harness::Sim;
use crate::apps::ivr::MAX_INVALID;
use crate::apps::outbox::PLAY_GUARD;
use crate::apps::{AppCommand, AppInput, Ivr, IvrConfig};
use crate::media::Playback;
use crate::routing::Destination;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

const NO_INPUT_SECS: u64 = 5;

fn prompt() -> Playback {
    Playback::File(PathBuf::from("/data/prompts/1/menu.wav"))
}

fn queue(name: &str) -> Destination {
    Destination::Queue(name.to_string())
}

fn no_input() -> Destination {
    Destination::Voicemail("700".into())
}

fn ext(n: &str) -> Destination {
    Destination::Extension(n.to_string())
}

pub fn config(allow_extensions: bool, extensions: &[&str]) -> IvrConfig {
    let mut options = BTreeMap::new();
    options.insert('1', queue("ventas"));
    options.insert('2', queue("soporte"));
    options.insert('3', Destination::Hangup);
    IvrConfig {
        id: "entrada".into(),
        prompt: prompt(),
        allow_extensions,
        extensions: Arc::new(
            extensions
                .iter()
                .map(|e| e.to_string())
                .collect::<BTreeSet<_>>(),
        ),
        options,
        no_input: no_input(),
        no_input_timeout: Duration::from_secs(NO_INPUT_SECS),
        inter_digit: Duration::from_secs(3),
    }
}

#[derive(Debug, Clone, Copy)]
enum Step {
    /// A key press.
    K(char),
    /// The current playback ended.
    Done,
    /// Seconds pass (deadlines fire).
    Wait(u64),
}
use Step::*;

struct Case {
    name: &'static str,
    allow: bool,
    extensions: &'static [&'static str],
    script: &'static [Step],
    /// `None`: still in the IVR at the end of the script.
    end: Option<Destination>,
    prompts: usize,
}

fn run(case: &Case) -> Sim<Ivr> {
    let (mut sim, first) = Sim::start(Ivr::new(config(case.allow, case.extensions)));
    assert!(matches!(&first[..], [AppCommand::Play { what, .. }] if *what == prompt()));
    for step in case.script {
        assert!(!sim.ended, "{}: ended before {step:?}", case.name);
        match *step {
            K(key) => sim.key(key),
            Done => sim.play_done(),
            Wait(secs) => sim.secs(secs),
        };
    }
    let routed = sim.log.iter().find_map(|c| match c {
        AppCommand::Route(d) => Some(d.clone()),
        _ => None,
    });
    assert_eq!(routed, case.end, "{}: destination", case.name);
    let prompts = sim
        .log
        .iter()
        .filter(|c| matches!(c, AppCommand::Play { what, .. } if *what == prompt()))
        .count();
    assert_eq!(prompts, case.prompts, "{}: prompt plays", case.name);
    assert!(
        !sim.log.iter().any(|c| matches!(c, AppCommand::Hangup)),
        "{}: an IVR leaves by Route only",
        case.name
    );
    sim
}

const SMALL: &[&str] = &["2", "20", "21", "100", "101"];
const NO_TWO: &[&str] = &["20", "21"];

#[test]
fn ivr_paths() {
    let cases = [
        Case {
            name: "digit during the prompt",
            allow: false,
            extensions: &[],
            script: &[K('1')],
            end: Some(queue("ventas")),
            prompts: 1,
        },
        Case {
            name: "digit after the prompt",
            allow: false,
            extensions: &[],
            script: &[Done, Wait(2), K('2')],
            end: Some(queue("soporte")),
            prompts: 1,
        },
        Case {
            name: "option to hang up is a route",
            allow: false,
            extensions: &[],
            script: &[K('3')],
            end: Some(Destination::Hangup),
            prompts: 1,
        },
        Case {
            name: "no input: still waiting before the timeout",
            allow: false,
            extensions: &[],
            script: &[Done, Wait(NO_INPUT_SECS - 1)],
            end: None,
            prompts: 1,
        },
        Case {
            name: "no input: one replay",
            allow: false,
            extensions: &[],
            script: &[Done, Wait(NO_INPUT_SECS)],
            end: None,
            prompts: 2,
        },
        Case {
            name: "no input twice: no-input destination",
            allow: false,
            extensions: &[],
            script: &[Done, Wait(NO_INPUT_SECS), Done, Wait(NO_INPUT_SECS)],
            end: Some(no_input()),
            prompts: 2,
        },
        Case {
            name: "digit after the replay",
            allow: false,
            extensions: &[],
            script: &[Done, Wait(NO_INPUT_SECS), Done, Wait(1), K('1')],
            end: Some(queue("ventas")),
            prompts: 2,
        },
        Case {
            name: "no timer while the prompt plays",
            allow: false,
            extensions: &[],
            script: &[Wait(60)],
            end: None,
            prompts: 1,
        },
        Case {
            name: "invalid digit replays",
            allow: false,
            extensions: &[],
            script: &[K('9')],
            end: None,
            prompts: 2,
        },
        Case {
            name: "invalid star replays",
            allow: false,
            extensions: &[],
            script: &[Done, K('*')],
            end: None,
            prompts: 2,
        },
        Case {
            name: "invalid then valid",
            allow: false,
            extensions: &[],
            script: &[K('9'), K('1')],
            end: Some(queue("ventas")),
            prompts: 2,
        },
        Case {
            name: "invalid cap",
            allow: false,
            extensions: &[],
            script: &[K('9'), K('8'), K('7')],
            end: Some(no_input()),
            prompts: 3,
        },
        Case {
            name: "invalid re-arms the no-input replay",
            allow: false,
            extensions: &[],
            script: &[Done, Wait(NO_INPUT_SECS), K('9'), Done, Wait(NO_INPUT_SECS)],
            end: None,
            prompts: 4,
        },
        Case {
            name: "lone # ignored",
            allow: false,
            extensions: &[],
            script: &[K('#')],
            end: None,
            prompts: 1,
        },
        Case {
            name: "extensions off: digits are options",
            allow: false,
            extensions: SMALL,
            script: &[K('2')],
            end: Some(queue("soporte")),
            prompts: 1,
        },
        Case {
            name: "option without extension prefix routes at once",
            allow: true,
            extensions: SMALL,
            script: &[K('3')],
            end: Some(Destination::Hangup),
            prompts: 1,
        },
        Case {
            name: "ambiguous 2: waits",
            allow: true,
            extensions: SMALL,
            script: &[K('2'), Wait(2)],
            end: None,
            prompts: 1,
        },
        Case {
            name: "ambiguous 2: timeout picks extension 2",
            allow: true,
            extensions: SMALL,
            script: &[K('2'), Wait(3)],
            end: Some(ext("2")),
            prompts: 1,
        },
        Case {
            name: "ambiguous 2: # picks extension 2",
            allow: true,
            extensions: SMALL,
            script: &[K('2'), K('#')],
            end: Some(ext("2")),
            prompts: 1,
        },
        Case {
            name: "20 is complete at once",
            allow: true,
            extensions: SMALL,
            script: &[K('2'), K('0')],
            end: Some(ext("20")),
            prompts: 1,
        },
        Case {
            name: "slow but within the inter-digit time",
            allow: true,
            extensions: SMALL,
            script: &[K('2'), Wait(2), K('1')],
            end: Some(ext("21")),
            prompts: 1,
        },
        Case {
            name: "no such number: invalid at once",
            allow: true,
            extensions: SMALL,
            script: &[K('2'), K('5')],
            end: None,
            prompts: 2,
        },
        Case {
            name: "2 of 20/21 only: timeout picks option 2",
            allow: true,
            extensions: NO_TWO,
            script: &[K('2'), Wait(3)],
            end: Some(queue("soporte")),
            prompts: 1,
        },
        Case {
            name: "2 of 20/21 only: # picks option 2",
            allow: true,
            extensions: NO_TWO,
            script: &[K('2'), K('#')],
            end: Some(queue("soporte")),
            prompts: 1,
        },
        Case {
            name: "1 of 100/101 is collected, not option 1",
            allow: true,
            extensions: SMALL,
            script: &[K('1'), K('0'), K('1')],
            end: Some(ext("101")),
            prompts: 1,
        },
        Case {
            name: "10 then timeout: invalid",
            allow: true,
            extensions: SMALL,
            script: &[K('1'), K('0'), Wait(3)],
            end: None,
            prompts: 2,
        },
        Case {
            name: "10#: invalid",
            allow: true,
            extensions: SMALL,
            script: &[K('1'), K('0'), K('#')],
            end: None,
            prompts: 2,
        },
        Case {
            name: "unknown key with extensions: invalid",
            allow: true,
            extensions: SMALL,
            script: &[K('7')],
            end: None,
            prompts: 2,
        },
        Case {
            name: "extension dialled after the prompt",
            allow: true,
            extensions: SMALL,
            script: &[Done, Wait(4), K('1'), K('0'), K('0')],
            end: Some(ext("100")),
            prompts: 1,
        },
        Case {
            name: "no input with extensions",
            allow: true,
            extensions: SMALL,
            script: &[Done, Wait(NO_INPUT_SECS), Done, Wait(NO_INPUT_SECS)],
            end: Some(no_input()),
            prompts: 2,
        },
        Case {
            name: "invalid cap with extensions",
            allow: true,
            extensions: SMALL,
            script: &[K('2'), K('5'), K('7'), K('1'), K('0'), Wait(3)],
            end: Some(no_input()),
            prompts: 3,
        },
    ];
    for case in &cases {
        run(case);
    }
}

#[test]
fn a_key_during_the_prompt_stops_it_before_routing() {
    let (mut sim, _) = Sim::start(Ivr::new(config(false, &[])));
    assert_eq!(
        sim.key('1'),
        vec![AppCommand::StopPlay, AppCommand::Route(queue("ventas"))]
    );
    // After the end, nothing more happens.
    assert!(sim.key('2').is_empty());
    assert!(sim.play_done().is_empty());
}

#[test]
fn a_key_after_the_prompt_routes_without_stopping_anything() {
    let (mut sim, _) = Sim::start(Ivr::new(config(false, &[])));
    sim.play_done();
    assert_eq!(sim.key('2'), vec![AppCommand::Route(queue("soporte"))]);
}

#[test]
fn collecting_stops_the_prompt_at_the_first_digit() {
    let (mut sim, _) = Sim::start(Ivr::new(config(true, SMALL)));
    assert_eq!(sim.key('1'), vec![AppCommand::StopPlay]);
    assert_eq!(sim.key('0'), vec![]);
    assert_eq!(sim.key('1'), vec![AppCommand::Route(ext("101"))]);
}

#[test]
fn a_stale_play_done_is_ignored() {
    let (mut sim, first) = Sim::start(Ivr::new(config(false, &[])));
    let AppCommand::Play { token: old, .. } = first[0] else {
        panic!("prompt first")
    };
    sim.key('9'); // replay: a new token
    assert_ne!(sim.last_play, Some(old));
    assert!(sim.input(AppInput::PlayDone(old)).is_empty());
    // The stale end did not start the no-input wait: the replay is still playing.
    assert!(sim.secs(NO_INPUT_SECS * 2).is_empty());
}

#[test]
fn the_playback_guard_starts_the_wait_if_the_prompt_end_never_comes() {
    let (mut sim, _) = Sim::start(Ivr::new(config(false, &[])));
    let out = sim.advance(PLAY_GUARD);
    assert_eq!(out, vec![AppCommand::StopPlay]);
    let out = sim.secs(NO_INPUT_SECS);
    assert!(matches!(&out[..], [AppCommand::Play { .. }]));
}

#[test]
fn caller_gone_ends_quietly() {
    let (mut sim, _) = Sim::start(Ivr::new(config(true, SMALL)));
    sim.key('2');
    assert!(sim.gone().is_empty());
}

#[test]
fn an_endless_number_is_cut_and_counted_invalid() {
    let long = "1".repeat(40);
    let (mut sim, _) = Sim::start(Ivr::new(config(true, &[long.as_str()])));
    for _ in 0..32 {
        sim.key('1');
    }
    assert_eq!(
        super::harness::plays(&sim.log)
            .iter()
            .filter(|p| **p == prompt())
            .count(),
        1
    );
    sim.key('1');
    assert_eq!(
        super::harness::plays(&sim.log)
            .iter()
            .filter(|p| **p == prompt())
            .count(),
        2
    );
    assert!(!sim.ended);
    assert_eq!(MAX_INVALID, 3);
}
