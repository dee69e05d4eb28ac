//! Prompt recording and prompt-then-hangup paths in virtual time.
use super::harness::{cmd, strip, sys, Cmd, Sim};
use crate::apps::outbox::PLAY_GUARD;
use crate::apps::record_prompt::CHOICE_TIMEOUT;
use crate::apps::{AppCommand, PromptThenHangup, RecConfig, RecordPrompt};
use crate::media::{Playback, RecordEnd, RecordSpec};
use media::dsp::tone::SystemSound::*;
use media::dsp::tone::ToneKind;
use std::path::PathBuf;
use std::time::Duration;

fn file() -> PathBuf {
    PathBuf::from("/data/prompts/1/tel-bienvenida.rec.wav")
}

fn save() -> AppCommand {
    AppCommand::SavePrompt {
        slot: "bienvenida".into(),
        file: file(),
    }
}

fn beep() -> Cmd {
    Cmd::Play(Playback::Tone(ToneKind::Beep))
}

fn recorded_back() -> Cmd {
    Cmd::Play(Playback::File(file()))
}

fn is_record(commands: &[AppCommand]) -> bool {
    let spec = RecordSpec {
        path: file(),
        max: Duration::from_secs(120),
        silence: Some(Duration::from_secs(5)),
    };
    matches!(commands, [AppCommand::Record { spec: s, .. }] if *s == spec)
}

/// Instructions and beep heard, recording ended by `#`: the recording plays back.
fn reviewing() -> Sim<RecordPrompt> {
    let (mut sim, first) = Sim::start(RecordPrompt::new(RecConfig {
        slot: "bienvenida".into(),
        file: file(),
        max: Duration::from_secs(120),
    }));
    assert_eq!(strip(&first), vec![sys(RecordPrompt)]);
    assert_eq!(strip(&sim.play_done()), vec![beep()]);
    assert!(is_record(&sim.play_done()));
    sim.secs(6);
    assert_eq!(sim.key('#'), vec![AppCommand::StopRecord]);
    let out = sim.record_done(RecordEnd::Stopped, Duration::from_secs(6));
    assert_eq!(strip(&out), vec![recorded_back()]);
    sim
}

#[test]
fn one_saves() {
    let mut sim = reviewing();
    assert_eq!(strip(&sim.play_done()), vec![sys(SaveOrRetry)]);
    assert_eq!(
        strip(&sim.key('1')),
        vec![cmd(AppCommand::StopPlay), cmd(save()), sys(PromptSaved)]
    );
    assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
}

#[test]
fn one_during_the_playback_saves() {
    let mut sim = reviewing();
    assert_eq!(
        strip(&sim.key('1')),
        vec![cmd(AppCommand::StopPlay), cmd(save()), sys(PromptSaved)]
    );
}

#[test]
fn two_records_again_into_the_same_file() {
    let mut sim = reviewing();
    sim.play_done();
    assert_eq!(
        strip(&sim.key('2')),
        vec![cmd(AppCommand::StopPlay), beep()]
    );
    assert!(is_record(&sim.play_done()));
    let out = sim.record_done(RecordEnd::Silence, Duration::from_secs(9));
    assert_eq!(strip(&out), vec![recorded_back()]);
    assert!(!sim.log.contains(&save()));
}

#[test]
fn no_choice_saves() {
    let mut sim = reviewing();
    sim.play_done();
    sim.play_done();
    assert!(sim.advance(CHOICE_TIMEOUT / 2).is_empty());
    assert_eq!(
        strip(&sim.advance(CHOICE_TIMEOUT / 2)),
        vec![cmd(save()), sys(PromptSaved)]
    );
    assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);
}

#[test]
fn max_length_and_silence_end_go_to_review_too() {
    for end in [RecordEnd::MaxLength, RecordEnd::Silence] {
        let (mut sim, _) = Sim::start(RecordPrompt::new(RecConfig {
            slot: "x".into(),
            file: file(),
            max: Duration::from_secs(120),
        }));
        sim.key('5'); // skips the instructions
        sim.play_done();
        let out = sim.record_done(end, Duration::from_secs(120));
        assert_eq!(strip(&out), vec![recorded_back()]);
    }
}

#[test]
fn hang_up_before_saving_keeps_nothing() {
    let mut sim = reviewing();
    assert!(sim.gone().is_empty());
}

#[test]
fn prompt_then_hangup() {
    let prompt = Playback::File(PathBuf::from("/data/prompts/1/cerrado.wav"));
    let (mut sim, first) = Sim::start(PromptThenHangup::new(prompt.clone()));
    assert_eq!(strip(&first), vec![Cmd::Play(prompt.clone())]);
    assert!(sim.key('1').is_empty(), "keys are ignored");
    assert_eq!(sim.play_done(), vec![AppCommand::Hangup]);

    let (mut sim, _) = Sim::start(PromptThenHangup::new(prompt.clone()));
    assert_eq!(
        sim.advance(PLAY_GUARD),
        vec![AppCommand::StopPlay, AppCommand::Hangup]
    );

    let (mut sim, _) = Sim::start(PromptThenHangup::new(prompt));
    assert!(sim.gone().is_empty());
}
