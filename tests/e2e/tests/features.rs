//! Feature codes of the media server (issue 4 points 2 and 6, README): `*77<n>` records a
//! prompt from the phone, `*97` opens the caller's own voicemail box, `*98<box>` any box.
//!
//! ```sh
//! cargo build -p centralita && cargo test -p e2e --test features
//! ```

use std::time::Duration;

use e2e::audio;
use e2e::media_call::{self, MediaLeg, OFFER_G711};
use e2e::media_check::ToneCheck;
use e2e::media_setup::{self, voicemail_box, Prepared, TONE_DBFS};
use e2e::sipp::SippOutcome;
use e2e::tenant::{EXT10, EXT11};
use e2e::{wait, Daemon, Result};
use serde_json::{json, Value};

const BEEP_HZ: f32 = 1000.0;
const SPOKEN_HZ: f32 = 700.0;
const LISTEN: Duration = Duration::from_secs(20);

fn assert_sipp(role: &str, outcome: &SippOutcome) {
    assert!(
        outcome.success(),
        "{role} scenario failed (exit {:?}):\n{}",
        outcome.code,
        outcome.log
    );
}

fn listen_until(leg: &MediaLeg, what: &str, ok: impl Fn(&[i16]) -> bool) -> Result<Vec<i16>> {
    leg.keep_talking_until(LISTEN, || ok(&leg.peer.heard()))?;
    leg.peer.wait_heard(what, Duration::ZERO, ok)
}

/// At least `ms` of sound (100 ms blocks above -40 dBFS): a spoken phrase.
fn sound(pcm: &[i16], ms: usize) -> bool {
    pcm.chunks_exact(800)
        .filter(|c| audio::rms_dbfs(c) > -40.0)
        .count()
        * 100
        >= ms
}

/// Keeps the microphone on until the box ends the call (its BYE ends the scenario).
fn until_hung_up(phone: &mut e2e::call::Phone, leg: &MediaLeg) -> Result<()> {
    let sipp = &mut phone.sipp;
    leg.keep_talking_until(LISTEN, || matches!(sipp.exited(), Ok(Some(_))))?;
    Ok(())
}

/// The tenant with voicemail box 700 (PIN 1234) for extension 11.
fn box_daemon() -> Result<Daemon> {
    let setup = Prepared::new()?;
    let mut doc = setup.export()?;
    doc["voicemail_boxes"] = json!([voicemail_box(
        "vm-main",
        "700",
        "buzon@example.com",
        None,
        "1234",
        &["u11"],
    )]);
    setup.start(&doc, &[])
}

#[test]
fn star_77_records_a_prompt_from_the_phone() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = e2e::call::scratch()?;
    let mut phone = media_call::caller(&daemon, EXT10, "*771", OFFER_G711, &dir)?;
    let leg = media_call::attach(&mut phone)?;
    listen_until(&leg, "the instructions, then the beep", |pcm| {
        !audio::tone_bursts(pcm, audio::RATE_8K, BEEP_HZ, 100).is_empty()
    })?;
    leg.play(&audio::tone_ms(SPOKEN_HZ, TONE_DBFS, audio::RATE_8K, 2000))?;
    leg.dial("#")?;
    leg.peer.clear();
    // The box plays the recording back before asking to keep it.
    listen_until(&leg, "the recording played back", |pcm| {
        !audio::tone_bursts(pcm, audio::RATE_8K, SPOKEN_HZ, 1500).is_empty()
    })?;
    leg.silence(1500)?;
    leg.dial("1")?;
    until_hung_up(&mut phone, &leg)?;
    assert_sipp(
        "extension 10 (hung up by the box once saved)",
        &phone.finish()?,
    );

    // The prompt is in the configuration as tel-1, in the internal format, holding the tone.
    let prompt: Value = wait::until(
        "prompt tel-1 in the tenant document",
        Duration::from_secs(10),
        Duration::from_millis(250),
        || {
            let doc: Value = serde_json::from_str(
                &daemon.subcommand("export", &[e2e::TENANT_ID.to_string().into()])?,
            )
            .unwrap_or(Value::Null);
            Ok(doc["prompts"]
                .as_array()
                .and_then(|a| a.iter().find(|p| p["id"] == "tel-1").cloned()))
        },
    )?;
    let path = media_setup::stored_file(
        daemon.data_dir(),
        prompt["file"].as_str().unwrap_or_default(),
    );
    let wav = audio::read_wav(&path)?;
    assert_eq!(
        (wav.sample_rate, wav.channels),
        (16_000, 1),
        "{}",
        path.display()
    );
    let at_8k = audio::decimate(&wav.samples, 2);
    let check = ToneCheck::of(&at_8k, SPOKEN_HZ);
    let verdict = check.expect(SPOKEN_HZ, 1500, 5.0, None, &at_8k);
    assert!(verdict.is_ok(), "the kept prompt: {verdict:?}");
    Ok(())
}

#[test]
fn star_97_opens_the_callers_own_box_and_star_98_any_box() -> Result<()> {
    let daemon = box_daemon()?;
    let dir = e2e::call::scratch()?;
    for (user, number) in [(EXT11, "*97"), (EXT10, "*98700")] {
        let mut phone = media_call::caller(&daemon, user, number, OFFER_G711, &dir)?;
        let leg = media_call::attach(&mut phone)?;
        listen_until(&leg, "the PIN request", |pcm| sound(pcm, 500))?;
        leg.dial("1234#")?;
        leg.peer.clear();
        // An empty box: "no messages", goodbye, and the box hangs up.
        listen_until(&leg, "the answer to the right PIN", |pcm| sound(pcm, 500))?;
        until_hung_up(&mut phone, &leg)?;
        assert_sipp(
            &format!("extension {} dialling {number}", user.extension),
            &phone.finish()?,
        );
    }
    Ok(())
}
