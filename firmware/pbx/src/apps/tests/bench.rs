//! CPU cost of the machines (ignored: run with `cargo test -p pbx --release -- --ignored apps_cpu --nocapture`).
use super::harness::Sim;
use super::ivr::config as ivr_config;
use crate::apps::{Ivr, MenuConfig, MessageInfo, VoicemailMenu};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn per_run(name: &str, runs: u32, mut one: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..runs {
        one();
    }
    let each = start.elapsed() / runs;
    println!("{name}: {each:?} per call ({runs} runs)");
}

#[test]
#[ignore]
fn apps_cpu() {
    let extensions: Vec<String> = (100..1100).map(|n| n.to_string()).collect();
    let extensions: Vec<&str> = extensions.iter().map(String::as_str).collect();
    let config = ivr_config(true, &extensions);
    per_run(
        "IVR: prompt, no input, replay, 4-digit extension",
        100_000,
        || {
            let (mut sim, _) = Sim::start(Ivr::new(config.clone()));
            sim.play_done();
            sim.secs(5);
            sim.keys("1050");
            assert!(sim.ended);
        },
    );
    let messages: Vec<MessageInfo> = (0..20)
        .map(|id| MessageInfo {
            id,
            file: PathBuf::from(format!("/v/{id}.wav")),
            heard: id % 2 == 0,
        })
        .collect();
    per_run(
        "menu: PIN, intro, 20 messages skipped with 9",
        20_000,
        || {
            let (mut sim, _) = Sim::start(VoicemailMenu::new(MenuConfig {
                box_id: "700".into(),
                pin: "8411".into(),
                messages: messages.clone(),
            }));
            sim.keys("8411#");
            sim.key('5');
            for _ in 0..21 {
                sim.key('9');
            }
            sim.advance(Duration::from_secs(3600));
            assert!(sim.ended);
        },
    );
}
