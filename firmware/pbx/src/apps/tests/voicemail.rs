//! Voicemail deposit paths in virtual time.
use super::harness::{cmd, strip, sys, Cmd, Sim};
use crate::apps::outbox::{PLAY_GUARD, RECORD_GRACE};
use crate::apps::{AppCommand, VmConfig, VoicemailDeposit};
use crate::media::{Playback, RecordEnd, RecordSpec};
use media::dsp::tone::{SystemSound, ToneKind};
use std::path::PathBuf;
use std::time::Duration;

fn greeting() -> Playback {
    Playback::File(PathBuf::from("/data/prompts/1/buzon.wav"))
}

fn file() -> PathBuf {
    PathBuf::from("/data/voicemail/1/700/1700000000000-1.wav")
}

fn config() -> VmConfig {
    VmConfig {
        box_id: "700".into(),
        greeting: greeting(),
        file: file(),
        max: Duration::from_secs(180),
        silence: Duration::from_secs(5),
        min: Duration::from_secs(1),
    }
}

fn save(secs: f64) -> AppCommand {
    AppCommand::SaveVoicemail {
        box_id: "700".into(),
        file: file(),
        duration: Duration::from_secs_f64(secs),
    }
}

fn beep() -> Cmd {
    Cmd::Play(Playback::Tone(ToneKind::Beep))
}

/// Started, greeting and beep played: the recording runs.
fn recording() -> Sim<VoicemailDeposit> {
    let (mut sim, first) = Sim::start(VoicemailDeposit::new(config()));
    assert_eq!(strip(&first), vec![Cmd::Play(greeting())]);
    assert_eq!(strip(&sim.play_done()), vec![beep()]);
    let out = sim.play_done();
    let spec = RecordSpec {
        path: file(),
        max: Duration::from_secs(180),
        silence: Some(Duration::from_secs(5)),
    };
    assert!(matches!(&out[..], [AppCommand::Record { spec: s, .. }] if *s == spec));
    sim
}

#[test]
fn a_message_is_saved_then_goodbye_and_hangup() {
    let mut sim = recording();
    sim.secs(12);
    let out = sim.record_done(RecordEnd::Stopped, Duration::from_secs(12));
    assert_eq!(
        strip(&out),
        vec![cmd(save(12.0)), sys(SystemSound::Goodbye)]
    );
    assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
}

#[test]
fn record_ends() {
    // (how it ended, its length, whether it is kept)
    let cases = [
        (RecordEnd::MaxLength, 180.0, true),
        (RecordEnd::Stopped, 0.5, false),
        (RecordEnd::Stopped, 1.0, true),
        // A silence end counts without its trailing 5 s of silence.
        (RecordEnd::Silence, 5.5, false),
        (RecordEnd::Silence, 5.0, false),
        (RecordEnd::Silence, 6.0, true),
        (RecordEnd::Silence, 30.0, true),
    ];
    for (end, secs, kept) in cases {
        let mut sim = recording();
        let out = sim.record_done(end, Duration::from_secs_f64(secs));
        let mut expected = Vec::new();
        if kept {
            expected.push(cmd(save(secs)));
        }
        expected.push(sys(SystemSound::Goodbye));
        assert_eq!(strip(&out), expected, "{end:?} {secs}");
        assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
    }
}

#[test]
fn hash_or_star_skips_the_greeting_other_keys_do_not() {
    for key in ['#', '*'] {
        let (mut sim, _) = Sim::start(VoicemailDeposit::new(config()));
        assert!(sim.key('5').is_empty());
        assert_eq!(
            strip(&sim.key(key)),
            vec![cmd(AppCommand::StopPlay), beep()]
        );
        assert!(matches!(&sim.play_done()[..], [AppCommand::Record { .. }]));
    }
}

#[test]
fn hash_while_recording_stops_it() {
    let mut sim = recording();
    sim.secs(4);
    assert!(
        sim.key('3').is_empty(),
        "other keys are part of the message"
    );
    assert_eq!(sim.key('#'), vec![AppCommand::StopRecord]);
    assert!(sim.key('#').is_empty(), "stopping once is enough");
    let out = sim.record_done(RecordEnd::Stopped, Duration::from_secs(4));
    assert_eq!(strip(&out), vec![cmd(save(4.0)), sys(SystemSound::Goodbye)]);
}

#[test]
fn hash_while_recording_without_an_answer_from_media_keeps_the_message() {
    let mut sim = recording();
    sim.secs(4);
    sim.key('#');
    let out = sim.secs(5);
    assert_eq!(
        strip(&out),
        vec![
            cmd(AppCommand::StopRecord),
            cmd(save(4.0)),
            sys(SystemSound::Goodbye)
        ]
    );
    assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
}

#[test]
fn hang_up_during_the_greeting_or_beep_leaves_no_message() {
    let (mut sim, _) = Sim::start(VoicemailDeposit::new(config()));
    sim.secs(2);
    assert!(sim.gone().is_empty());

    let (mut sim, _) = Sim::start(VoicemailDeposit::new(config()));
    sim.play_done();
    assert!(sim.gone().is_empty());
}

#[test]
fn hang_up_during_the_recording_keeps_the_message() {
    let mut sim = recording();
    sim.secs(7);
    assert_eq!(sim.gone(), vec![AppCommand::StopRecord, save(7.0)]);
    // A late RecordDone changes nothing.
    assert!(sim
        .record_done(RecordEnd::Stopped, Duration::from_secs(7))
        .is_empty());
}

#[test]
fn hang_up_right_after_the_beep_is_too_short() {
    let mut sim = recording();
    sim.advance(Duration::from_millis(500));
    assert_eq!(sim.gone(), vec![AppCommand::StopRecord]);
}

#[test]
fn hang_up_after_hash_measures_to_the_hash() {
    let mut sim = recording();
    sim.secs(3);
    sim.key('#');
    sim.advance(Duration::from_millis(200));
    assert_eq!(sim.gone(), vec![save(3.0)]);
}

#[test]
fn hang_up_during_goodbye_emits_nothing_more() {
    let mut sim = recording();
    sim.record_done(RecordEnd::Silence, Duration::from_secs(20));
    assert!(sim.gone().is_empty());
}

#[test]
fn the_default_greeting_is_a_system_sound() {
    let mut config = config();
    config.greeting = Playback::System(SystemSound::VoicemailGreeting);
    let (_, first) = Sim::start(VoicemailDeposit::new(config));
    assert_eq!(strip(&first), vec![sys(SystemSound::VoicemailGreeting)]);
}

#[test]
fn guards_end_the_deposit_when_media_never_answers() {
    let (mut sim, _) = Sim::start(VoicemailDeposit::new(config()));
    assert_eq!(
        strip(&sim.advance(PLAY_GUARD)),
        vec![cmd(AppCommand::StopPlay), beep()]
    );
    let out = sim.advance(PLAY_GUARD);
    assert!(matches!(
        &out[..],
        [AppCommand::StopPlay, AppCommand::Record { .. }]
    ));
    let out = sim.advance(Duration::from_secs(180) + RECORD_GRACE);
    assert_eq!(
        strip(&out),
        vec![
            cmd(AppCommand::StopRecord),
            cmd(save(180.0)),
            sys(SystemSound::Goodbye)
        ]
    );
    let out = sim.advance(PLAY_GUARD);
    assert_eq!(out, vec![AppCommand::StopPlay, AppCommand::Hangup]);
}
