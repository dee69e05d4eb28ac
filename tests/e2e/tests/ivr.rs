//! Calls from the provider to the tenant's DID that meet the media server (issue 4):
//! DID -> IVR -> key 2 -> extension; the "play prompt then hang up" destination; a route
//! rule with a prompt before its destination. SIPp plays the provider (as in `trunk.rs`)
//! and the phones, [`e2e::media_peer::MediaPeer`]s hear and talk.
//!
//! Prompts are tones uploaded through `centralita prompt add` (440 Hz menu, 660 Hz
//! closed message, 550 Hz welcome), so what the caller heard can be told apart by
//! frequency, and the prompt stream's shape (20 ms, timestamps +160, marker) is checked.
//!
//! ```sh
//! cargo build -p centralita && cargo test -p e2e --test ivr
//! ```

use std::time::Duration;

use e2e::audio;
use e2e::media_call::{self, MediaLeg, OFFER_G711};
use e2e::media_check::{sine_rms_dbfs, ToneCheck};
use e2e::media_peer::StreamReport;
use e2e::media_setup::{dest, hangup, ivr, Prepared, TONE_DBFS};
use e2e::sipp::SippOutcome;
use e2e::tenant::EXT11;
use e2e::trunk::{self, InboundCall, Provider, DID_MAIN};
use e2e::{Daemon, Result};
use serde_json::{json, Value};

const MENU_HZ: f32 = 440.0;
const CLOSED_HZ: f32 = 660.0;
const WELCOME_HZ: f32 = 550.0;
const CALLER_HZ: f32 = 1000.0;
const CALLEE_HZ: f32 = 770.0;
/// Bound on hearing a prompt that starts at the answer (a debug daemon on a busy box).
const HEAR_LIMIT: Duration = Duration::from_secs(15);

fn assert_sipp(role: &str, outcome: &SippOutcome) {
    assert!(
        outcome.success(),
        "{role} scenario failed (exit {:?}):\n{}",
        outcome.code,
        outcome.log
    );
}

/// A daemon whose tenant has the tone prompts, the provider registered, and `DID_MAIN`
/// routed by `rules`; `edit` adds IVRs and the like to the document first.
fn trunk_media_daemon(
    rules: Value,
    edit: impl FnOnce(&mut Value),
) -> Result<(Daemon, Provider, tempfile::TempDir)> {
    let dir = e2e::call::scratch()?;
    let setup = Prepared::new()?;
    setup.add_tone_prompt("p-menu", "Menú", MENU_HZ, 2000)?;
    setup.add_tone_prompt("p-closed", "Cerrado", CLOSED_HZ, 1500)?;
    setup.add_tone_prompt("p-welcome", "Bienvenida", WELCOME_HZ, 1000)?;
    let uploaded = setup.export()?;
    let primary = Provider::primary()?;
    let mut doc = trunk::document(&primary, None);
    doc["prompts"] = uploaded["prompts"].clone();
    trunk::set_rules(&mut doc, rules);
    edit(&mut doc);
    // The registrar listens before the daemon starts, so the first REGISTER finds it.
    let registrar = trunk::registrar(
        &primary,
        "trunk_registrar",
        3600,
        &dir.path().join("primary.reg"),
    )?;
    let mut daemon = setup.start(&doc, &[])?;
    trunk::expect_success("provider registrar", registrar.wait()?)?;
    trunk::wait_status(&mut daemon, "the primary trunk registered", |s| {
        trunk::trunk_line(s, "primary").is_some_and(|l| l.contains(": registered"))
    })?;
    Ok((daemon, primary, dir))
}

fn rule(destination: Value, prompt: Option<&str>) -> Value {
    json!([{ "order": 1, "destination": destination, "prompt": prompt, "description": "all" }])
}

fn inbound_call() -> InboundCall<'static> {
    InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    }
}

/// Keeps the caller's microphone on the wire until it heard `freq_hz` for `min_ms`.
fn hear(leg: &MediaLeg, freq_hz: f32, min_ms: u32) -> Result<Vec<i16>> {
    let heard_it =
        || !audio::tone_bursts(&leg.peer.heard(), audio::RATE_8K, freq_hz, min_ms).is_empty();
    leg.keep_talking_until(HEAR_LIMIT, heard_it)?;
    // One last look, with the reason in the message if it is still missing.
    leg.peer.wait_heard(
        &format!("{freq_hz} Hz for {min_ms} ms"),
        Duration::ZERO,
        |pcm| !audio::tone_bursts(pcm, audio::RATE_8K, freq_hz, min_ms).is_empty(),
    )
}

/// Prompt pacing as issue 4 asks: 20 ms packets, timestamps +160 at sequence +1, the
/// marker on the first packet of the playback.
fn assert_prompt_stream(report: &StreamReport, what: &str) {
    assert!(report.packets() >= 50, "{what}: {report:?}");
    assert_eq!(
        report.unmarked_spurts(10),
        0,
        "{what}: marker bit: {report:?}"
    );
    assert_eq!(report.seq_jumps(), 0, "{what}: sequence: {report:?}");
    assert_eq!(report.ts_errors(), 0, "{what}: timestamps: {report:?}");
    assert_eq!(report.odd_sizes(), 0, "{what}: 20 ms payloads: {report:?}");
    assert_eq!(report.bursts(25), 0, "{what}: sent in a burst: {report:?}");
}

/// Both legs talk at once; each must hear the other's tone at its level. The box joins
/// the legs a moment after the extension answers (later on a loaded machine), so the
/// caller first talks in short bursts until the callee hears it (bounded), and only the
/// conversation after that is checked.
fn assert_two_way(a: &MediaLeg, b: &MediaLeg) -> Result<()> {
    let probe = audio::tone_ms(CALLER_HZ, TONE_DBFS, audio::RATE_8K, 200);
    let start = std::time::Instant::now();
    while start.elapsed() < HEAR_LIMIT
        && audio::tone_bursts(&b.peer.heard(), audio::RATE_8K, CALLER_HZ, 100).is_empty()
    {
        a.play(&probe)?;
    }
    a.silence(100)?;
    a.peer.clear();
    b.peer.clear();
    let a_pcm = audio::tone_ms(CALLER_HZ, TONE_DBFS, audio::RATE_8K, 2000);
    let b_pcm = audio::tone_ms(CALLEE_HZ, TONE_DBFS, audio::RATE_8K, 2000);
    std::thread::scope(|s| {
        let other = s.spawn(|| b.play(&b_pcm));
        let mine = a.play(&a_pcm);
        mine.and(other.join().unwrap_or(Ok(())))
    })?;
    std::thread::sleep(Duration::from_millis(300));
    let level = Some((sine_rms_dbfs(TONE_DBFS), 2.0));
    let (by_b, by_a) = (b.peer.heard(), a.peer.heard());
    let r1 = ToneCheck::of(&by_b, CALLER_HZ).expect(CALLER_HZ, 1700, 5.0, level, &by_b);
    let r2 = ToneCheck::of(&by_a, CALLEE_HZ).expect(CALLEE_HZ, 1700, 5.0, level, &by_a);
    assert!(
        r1.is_ok() && r2.is_ok(),
        "callee heard: {r1:?}\ncaller heard: {r2:?}"
    );
    Ok(())
}

#[test]
fn did_to_ivr_key_two_reaches_the_extension() -> Result<()> {
    let (daemon, primary, dir) = trunk_media_daemon(rule(dest("ivr", "ivr-main"), None), |doc| {
        doc["ivrs"] = json!([ivr(
            "ivr-main",
            "7000",
            "p-menu",
            json!({ "2": dest("extension", "u11"), "0": hangup() }),
            hangup(),
            10
        )]);
    })?;
    let mut callee = media_call::callee(&daemon, EXT11, &dir)?;
    let mut provider =
        media_call::provider_caller(&daemon, &primary, &inbound_call(), OFFER_G711, &dir)?;
    let a = media_call::attach(&mut provider)?;

    // The menu, heard for most of its two seconds, at the level it was uploaded.
    let heard = hear(&a, MENU_HZ, 1500)?;
    let menu = ToneCheck::of(&heard, MENU_HZ);
    let level = Some((sine_rms_dbfs(TONE_DBFS), 3.0));
    if let Err(why) = menu.expect(MENU_HZ, 1500, 5.0, level, &heard) {
        panic!("the IVR prompt: {why}");
    }
    let prompt_shape = a.peer.stream_report();
    assert_prompt_stream(&prompt_shape, "IVR prompt");

    a.dial("2")?;
    let b = media_call::attach(&mut callee)?;
    assert_two_way(&a, &b)?;

    assert_sipp("provider (caller)", &media_call::hang_up(provider, &a)?);
    assert_sipp("extension 11", &callee.finish()?);
    let cdr = trunk::wait_cdr(&daemon, "incoming CDR", |c| {
        trunk::field(c, "direction") == "incoming"
    })?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn prompt_then_hangup_plays_the_prompt_and_hangs_up() -> Result<()> {
    let (daemon, primary, dir) =
        trunk_media_daemon(rule(dest("prompt-then-hangup", "p-closed"), None), |_| {})?;
    let mut provider =
        media_call::provider_caller(&daemon, &primary, &inbound_call(), OFFER_G711, &dir)?;
    let a = media_call::attach(&mut provider)?;
    let heard = hear(&a, CLOSED_HZ, 1200)?;
    assert_prompt_stream(&a.peer.stream_report(), "closed prompt");
    // No MESSAGE from the harness: the scenario ends only if the box sends BYE.
    let outcome = provider.finish()?;
    assert_sipp("provider (hung up by the box)", &outcome);
    let check = ToneCheck::of(&heard, CLOSED_HZ);
    assert!(
        check.expect(CLOSED_HZ, 1200, 5.0, None, &heard).is_ok(),
        "{check:?}"
    );
    drop(a);
    Ok(())
}

#[test]
fn route_rule_prompt_plays_before_the_destination() -> Result<()> {
    let (daemon, primary, dir) =
        trunk_media_daemon(rule(dest("extension", "u11"), Some("p-welcome")), |_| {})?;
    let mut callee = media_call::callee(&daemon, EXT11, &dir)?;
    let mut provider =
        media_call::provider_caller(&daemon, &primary, &inbound_call(), OFFER_G711, &dir)?;
    let a = media_call::attach(&mut provider)?;
    let heard = hear(&a, WELCOME_HZ, 800)?;
    // The extension must not have been answered before the welcome was heard: it is
    // called after the prompt (its SIPp writes its media file when the INVITE comes).
    let welcome = audio::tone_bursts(&heard, audio::RATE_8K, WELCOME_HZ, 800);
    assert_eq!(welcome.len(), 1, "the welcome once: {welcome:?}");
    let b = media_call::attach(&mut callee)?;
    assert_two_way(&a, &b)?;
    assert_sipp("provider (caller)", &media_call::hang_up(provider, &a)?);
    assert_sipp("extension 11", &callee.finish()?);
    Ok(())
}

#[test]
fn sipp_pcap_key_two_in_the_ivr_reaches_the_extension() -> Result<()> {
    // SIPp's own RTP this time: Debian's dtmf_2833_2.pcap is the caller's key press,
    // played 1 s into the menu (during the prompt: it must interrupt it).
    let (daemon, _primary, dir) = trunk_media_daemon(rule(hangup(), None), |doc| {
        doc["ivrs"] = json!([ivr(
            "ivr-main",
            "7000",
            "p-menu",
            json!({ "2": dest("extension", "u11") }),
            hangup(),
            10
        )]);
    })?;
    let mut callee = media_call::callee(&daemon, EXT11, &dir)?;
    let subs = [
        ("__OFFER_PTS__", "0"),
        ("__PCAP__", "/usr/share/sip-tester/dtmf_2833_2.pcap"),
        ("__DELAY_MS__", "1000"),
    ];
    let options = e2e::call::PhoneOptions {
        substitutions: &subs,
        ..e2e::call::PhoneOptions::default()
    };
    let mut caller = e2e::call::caller_with(
        &daemon,
        e2e::tenant::EXT10,
        "7000",
        "media_uac_pcap",
        &dir,
        &options,
    )?;
    let a = caller.media()?;
    // Extension 11 rings (and its SIPp answers) only if the box understood the key.
    let b = media_call::attach(&mut callee)?;
    b.silence(200)?;
    e2e::call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    assert_sipp("caller (SIPp playing the pcap)", &caller.finish()?);
    assert_sipp("extension 11", &callee.finish()?);
    Ok(())
}

/// IVR 7000 dialled by an extension (no trunk): menu prompt, key 2 -> extension 11.
fn extension_ivr_daemon() -> Result<Daemon> {
    let setup = Prepared::new()?;
    setup.add_tone_prompt("p-menu", "Menú", MENU_HZ, 2000)?;
    let mut doc = setup.export()?;
    doc["ivrs"] = json!([ivr(
        "ivr-main",
        "7000",
        "p-menu",
        json!({ "2": dest("extension", "u11") }),
        hangup(),
        10
    )]);
    setup.start(&doc, &[])
}

/// Extension 10 in the IVR presses 2 by `press` once the menu is heard; extension 11 must
/// ring, answer and talk both ways.
fn key_two_reaches_the_extension(
    daemon: &Daemon,
    scenario: &str,
    subs: &[(&str, &str)],
    press: impl FnOnce(&mut e2e::call::Phone, &MediaLeg) -> Result<()>,
) -> Result<()> {
    let dir = e2e::call::scratch()?;
    let mut callee = media_call::callee(daemon, EXT11, &dir)?;
    let options = e2e::call::PhoneOptions {
        substitutions: subs,
        ..e2e::call::PhoneOptions::default()
    };
    let mut caller =
        e2e::call::caller_with(daemon, e2e::tenant::EXT10, "7000", scenario, &dir, &options)?;
    let a = media_call::attach(&mut caller)?;
    hear(&a, MENU_HZ, 1000)?;
    press(&mut caller, &a)?;
    let b = media_call::attach(&mut callee)?;
    assert_two_way(&a, &b)?;
    assert_sipp("extension 10 (caller)", &media_call::hang_up(caller, &a)?);
    assert_sipp("extension 11", &callee.finish()?);
    Ok(())
}

#[test]
fn ivr_key_by_sip_info_reaches_the_extension() -> Result<()> {
    let daemon = extension_ivr_daemon()?;
    for (content_type, body) in [
        ("application/dtmf-relay", "Signal=2\nDuration=160"),
        ("application/dtmf", "2"),
    ] {
        let subs = [
            ("__OFFER_PTS__", OFFER_G711),
            ("__INFO_TYPE__", content_type),
            ("__INFO_BODY__", body),
        ];
        // The scenario sends the INFO on the harness's first MESSAGE.
        key_two_reaches_the_extension(&daemon, "media_uac_info", &subs, |phone, leg| {
            e2e::call::trigger(phone.sipp.local(), &leg.call_id)
        })?;
    }
    Ok(())
}

#[test]
fn ivr_key_as_in_band_tones_reaches_the_extension() -> Result<()> {
    // No telephone-event in the offer: the key can only be heard, as Q.23 tones (697 Hz
    // + 1336 Hz for 2) in the audio, which the box must detect itself.
    let daemon = extension_ivr_daemon()?;
    let subs = [
        ("RTP/AVP __OFFER_PTS__ 101", "RTP/AVP 0"),
        ("a=rtpmap:101 telephone-event/8000", "a=rtpmap:0 PCMU/8000"),
        ("a=fmtp:101 0-15", "a=ptime:20"),
    ];
    key_two_reaches_the_extension(&daemon, "media_uac", &subs, |_, leg| {
        let low = audio::tone_ms(697.0, -12.0, audio::RATE_8K, 150);
        let high = audio::tone_ms(1336.0, -12.0, audio::RATE_8K, 150);
        let key: Vec<i16> = low
            .iter()
            .zip(&high)
            .map(|(l, h)| l.saturating_add(*h))
            .collect();
        leg.play(&key)?;
        leg.silence(300)
    })
}

#[test]
fn ivr_prompt_reaches_an_opus_caller_paced() -> Result<()> {
    // The box plays prompts in the caller's codec: Opus here, 20 ms packets with
    // timestamps +960 (48 kHz clock), decoded by libopus at the harness's end.
    let daemon = extension_ivr_daemon()?;
    let dir = e2e::call::scratch()?;
    let mut caller = media_call::opus_caller(&daemon, e2e::tenant::EXT10, "7000", &dir)?;
    let a = media_call::attach(&mut caller)?;
    assert!(a.peer.codec.is_opus(), "answered with {:?}", a.peer.codec);
    let heard = hear(&a, MENU_HZ, 1500)?;
    let menu = ToneCheck::of(&heard, MENU_HZ);
    let level = Some((sine_rms_dbfs(TONE_DBFS), 3.0));
    if let Err(why) = menu.expect(MENU_HZ, 1500, 5.0, level, &heard) {
        panic!("the IVR prompt over Opus: {why}");
    }
    let shape = a.peer.stream_report();
    assert!(shape.packets() >= 50, "{shape:?}");
    assert_eq!(shape.unmarked_spurts(10), 0, "marker bit: {shape:?}");
    assert_eq!((shape.seq_jumps(), shape.ts_errors()), (0, 0), "{shape:?}");
    assert_eq!(shape.bursts(25), 0, "sent in a burst: {shape:?}");
    assert_sipp("Opus caller", &media_call::hang_up(caller, &a)?);
    Ok(())
}
