//! Voicemail menu paths in virtual time.
use super::harness::{cmd, strip, sys, Cmd, Sim};
use crate::apps::vm_menu::{MENU_TIMEOUT, PIN_TIMEOUT};
use crate::apps::{AppCommand, MenuConfig, MessageInfo, VoicemailMenu};
use crate::media::Playback;
use media::dsp::tone::SystemSound::{self, *};
use std::path::PathBuf;

fn path(id: i64) -> PathBuf {
    PathBuf::from(format!("/data/voicemail/1/700/{id}.wav"))
}

fn message(id: i64, heard: bool) -> MessageInfo {
    MessageInfo {
        id,
        file: path(id),
        heard,
    }
}

fn menu(messages: Vec<MessageInfo>) -> VoicemailMenu {
    VoicemailMenu::new(MenuConfig {
        box_id: "700".into(),
        pin: "8411".into(),
        messages,
    })
}

fn file(id: i64) -> Cmd {
    Cmd::Play(Playback::File(path(id)))
}

/// Plays every phrase of a sequence to its end; returns everything emitted on the way.
fn play_through(sim: &mut Sim<VoicemailMenu>, phrases: usize) -> Vec<Cmd> {
    let mut out = Vec::new();
    for _ in 0..phrases {
        out.extend(strip(&sim.play_done()));
    }
    out
}

/// Two new messages (5, then 3 which is older) and one heard (1): PIN accepted, intro heard.
fn opened() -> Sim<VoicemailMenu> {
    let (mut sim, first) = Sim::start(menu(vec![
        message(5, false),
        message(1, true),
        message(3, false),
    ]));
    assert_eq!(strip(&first), vec![sys(EnterPin)]);
    let out = sim.keys("8411#");
    assert_eq!(
        strip(&out),
        vec![cmd(AppCommand::StopPlay), sys(YouHave)],
        "a key interrupts the phrase"
    );
    let out = play_through(&mut sim, 5);
    assert_eq!(
        out,
        vec![
            sys(Number(2)),
            sys(NewMessages),
            sys(Number(1)),
            sys(OldMessages),
            file(3)
        ]
    );
    sim
}

#[test]
fn right_pin_plays_new_oldest_first_then_old() {
    let mut sim = opened();
    // Message 3 to its end: marked heard, then the menu.
    assert_eq!(
        strip(&sim.play_done()),
        vec![cmd(AppCommand::MarkHeard(3)), sys(MessageMenu)]
    );
    assert_eq!(
        strip(&sim.key('9')),
        vec![cmd(AppCommand::StopPlay), file(5)]
    );
    assert_eq!(
        strip(&sim.play_done()),
        vec![cmd(AppCommand::MarkHeard(5)), sys(MessageMenu)]
    );
    sim.play_done();
    assert_eq!(strip(&sim.key('9')), vec![file(1)]);
    // An old message is not marked again.
    assert_eq!(strip(&sim.play_done()), vec![sys(MessageMenu)]);
    assert_eq!(
        strip(&sim.key('9')),
        vec![cmd(AppCommand::StopPlay), sys(NoMoreMessages)]
    );
    assert_eq!(strip(&sim.play_done()), vec![sys(Goodbye)]);
    assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
}

#[test]
fn nine_during_a_new_message_marks_it_heard_and_skips() {
    let mut sim = opened();
    assert_eq!(
        strip(&sim.key('9')),
        vec![
            cmd(AppCommand::StopPlay),
            cmd(AppCommand::MarkHeard(3)),
            file(5)
        ]
    );
}

#[test]
fn delete_then_next() {
    let mut sim = opened();
    assert_eq!(
        strip(&sim.key('7')),
        vec![
            cmd(AppCommand::StopPlay),
            cmd(AppCommand::DeleteMessage(3)),
            sys(MessageDeleted)
        ]
    );
    assert_eq!(strip(&sim.play_done()), vec![file(5)]);
    assert!(!sim.log.contains(&AppCommand::MarkHeard(3)));
}

#[test]
fn repeat_plays_the_same_message_and_marks_once() {
    let mut sim = opened();
    sim.play_done();
    assert_eq!(
        strip(&sim.key('1')),
        vec![cmd(AppCommand::StopPlay), file(3)]
    );
    assert_eq!(strip(&sim.play_done()), vec![sys(MessageMenu)]);
}

#[test]
fn hash_exits() {
    let mut sim = opened();
    assert_eq!(
        strip(&sim.key('#')),
        vec![cmd(AppCommand::StopPlay), sys(Goodbye)]
    );
    assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
}

#[test]
fn keys_during_the_intro() {
    let (mut sim, _) = Sim::start(menu(vec![message(1, false)]));
    sim.keys("8411#");
    assert_eq!(
        strip(&sim.key('5')),
        vec![cmd(AppCommand::StopPlay), file(1)]
    );

    let (mut sim, _) = Sim::start(menu(vec![message(1, false)]));
    sim.keys("8411#");
    assert_eq!(
        strip(&sim.key('#')),
        vec![cmd(AppCommand::StopPlay), sys(Goodbye)]
    );
}

#[test]
fn unknown_keys() {
    let mut sim = opened();
    assert!(sim.key('4').is_empty(), "ignored while the message plays");
    sim.play_done();
    assert_eq!(strip(&sim.key('4')), vec![sys(SystemSound::Invalid)]);
    assert_eq!(strip(&sim.play_done()), vec![sys(MessageMenu)]);
}

#[test]
fn menu_timeout_replays_once_then_goodbye() {
    let mut sim = opened();
    sim.play_done();
    sim.play_done(); // the menu phrase ended
    assert!(sim.advance(MENU_TIMEOUT / 2).is_empty());
    assert_eq!(
        strip(&sim.advance(MENU_TIMEOUT / 2)),
        vec![sys(MessageMenu)]
    );
    sim.play_done();
    assert_eq!(strip(&sim.advance(MENU_TIMEOUT)), vec![sys(Goodbye)]);
    assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
}

#[test]
fn a_key_after_the_menu_replay_rearms_it() {
    let mut sim = opened();
    sim.play_done();
    sim.play_done();
    sim.advance(MENU_TIMEOUT);
    sim.play_done();
    assert_eq!(strip(&sim.key('1')), vec![file(3)]);
    sim.play_done();
    sim.play_done();
    assert_eq!(strip(&sim.advance(MENU_TIMEOUT)), vec![sys(MessageMenu)]);
}

#[test]
fn wrong_pin_three_times() {
    let (mut sim, _) = Sim::start(menu(vec![message(1, false)]));
    for attempt in 1..=3 {
        let out = strip(&sim.keys("1234#"));
        if attempt < 3 {
            assert_eq!(
                out,
                vec![cmd(AppCommand::StopPlay), sys(WrongPin)],
                "attempt {attempt}"
            );
            assert_eq!(strip(&sim.play_done()), vec![sys(EnterPin)]);
        } else {
            assert_eq!(out, vec![cmd(AppCommand::StopPlay), sys(WrongPin)]);
            assert_eq!(strip(&sim.play_done()), vec![sys(Goodbye)]);
            assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
        }
    }
    assert!(!sim.log.iter().any(|c| matches!(
        c,
        AppCommand::Play {
            what: Playback::File(_),
            ..
        }
    )));
}

#[test]
fn wrong_then_right_pin() {
    let (mut sim, _) = Sim::start(menu(vec![message(1, false)]));
    sim.keys("0000#");
    sim.play_done();
    let out = strip(&sim.keys("8411#"));
    assert_eq!(out, vec![cmd(AppCommand::StopPlay), sys(YouHave)]);
}

#[test]
fn pin_ends_five_seconds_after_the_last_digit() {
    let (mut sim, _) = Sim::start(menu(vec![message(1, false)]));
    sim.keys("84");
    sim.advance(PIN_TIMEOUT / 2);
    sim.keys("11");
    assert!(sim.advance(PIN_TIMEOUT / 2).is_empty());
    assert_eq!(strip(&sim.advance(PIN_TIMEOUT / 2)), vec![sys(YouHave)]);
}

#[test]
fn silence_after_enter_pin_is_a_wrong_try() {
    let (mut sim, _) = Sim::start(menu(vec![message(1, false)]));
    for _ in 0..2 {
        sim.play_done();
        assert_eq!(strip(&sim.advance(PIN_TIMEOUT)), vec![sys(WrongPin)]);
        sim.play_done();
    }
    sim.play_done();
    assert_eq!(strip(&sim.advance(PIN_TIMEOUT)), vec![sys(WrongPin)]);
    assert_eq!(strip(&sim.play_done()), vec![sys(Goodbye)]);
}

#[test]
fn pin_edge_cases() {
    // (configured PIN, keys, opened)
    let cases = [
        ("8411", "8411#", true),
        ("8411", "84111#", false),
        ("8411", "841#", false),
        ("8411", "#", false),
        ("", "#", false),
        ("", "1#", false),
    ];
    for (pin, keys, opened) in cases {
        let (mut sim, _) = Sim::start(VoicemailMenu::new(MenuConfig {
            box_id: "700".into(),
            pin: pin.into(),
            messages: vec![message(1, false)],
        }));
        let out = strip(&sim.keys(keys));
        assert_eq!(out.contains(&sys(YouHave)), opened, "{pin:?} {keys:?}");
    }
}

#[test]
fn a_flood_of_pin_digits_stays_wrong_and_small() {
    let (mut sim, _) = Sim::start(menu(vec![message(1, false)]));
    for _ in 0..10_000 {
        sim.key('8');
    }
    sim.keys("8411");
    assert_eq!(strip(&sim.key('#')), vec![sys(WrongPin)]);
}

#[test]
fn no_messages() {
    let (mut sim, _) = Sim::start(menu(vec![]));
    sim.keys("8411#");
    assert_eq!(
        strip(&sim.log[1..]),
        vec![cmd(AppCommand::StopPlay), sys(NoMessages)]
    );
    assert_eq!(strip(&sim.play_done()), vec![sys(Goodbye)]);
    assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
}

#[test]
fn only_old_messages() {
    let (mut sim, _) = Sim::start(menu(vec![message(2, true)]));
    sim.keys("8411#");
    let out = play_through(&mut sim, 5);
    assert_eq!(
        out,
        vec![
            sys(Number(0)),
            sys(NewMessages),
            sys(Number(1)),
            sys(OldMessages),
            file(2)
        ]
    );
}

#[test]
fn many_messages_say_a_capped_number() {
    let messages = (0..300).map(|id| message(id, false)).collect();
    let (mut sim, _) = Sim::start(menu(messages));
    sim.keys("8411#");
    assert_eq!(strip(&sim.play_done()), vec![sys(Number(u8::MAX))]);
}

#[test]
fn deleting_the_last_message() {
    let (mut sim, _) = Sim::start(menu(vec![message(9, false)]));
    sim.keys("8411#");
    play_through(&mut sim, 4);
    sim.key('7');
    assert_eq!(strip(&sim.play_done()), vec![sys(NoMoreMessages)]);
}

#[test]
fn caller_gone_ends_quietly() {
    let mut sim = opened();
    assert!(sim.gone().is_empty());
}

#[test]
fn a_key_during_goodbye_hangs_up_at_once() {
    let mut sim = opened();
    sim.key('#');
    assert_eq!(sim.key('1'), vec![AppCommand::StopPlay, AppCommand::Hangup]);
}
