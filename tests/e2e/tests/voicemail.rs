//! Voicemail against the real daemon (issue 4 points 5, 6 and 8): an IVR nobody answers
//! sends the caller to a voicemail box (prompt, replay, greeting, beep, message kept as a
//! WAV and a row in `voicemail_messages`); the box's number opens its menu, where the
//! right PIN plays the message and three wrong PINs end the call.
//!
//! Tones stand for speech so the checks can be exact: the IVR prompt is 440 Hz, the box
//! greeting 660 Hz, the beep the box's own 1 kHz, and the caller "speaks" 800 Hz.
//! The message's email goes to a real SMTP server process (aiosmtpd, `src/mail_sink.rs`).
//!
//! ```sh
//! cargo build -p centralita && cargo test -p e2e --test voicemail
//! ```

use std::time::Duration;

use e2e::audio;
use e2e::mail_sink::MailSink;
use e2e::media_call::{self, MediaLeg, OFFER_G711};
use e2e::media_check::{sine_rms_dbfs, ToneCheck};
use e2e::media_flood::flood_beside_a_call;
use e2e::media_setup::{self, dest, ivr, voicemail_box, Prepared, TONE_DBFS};
use e2e::rtp::MediaInfo;
use e2e::sipp::{SippBuilder, SippOutcome};
use e2e::tenant::{EXT10, EXT11, EXT12, EXT13};
use e2e::{wait, Daemon, HarnessError, Result};
use serde_json::{json, Value};

const MENU_HZ: f32 = 440.0;
const GREETING_HZ: f32 = 660.0;
const BEEP_HZ: f32 = 1000.0;
const MESSAGE_HZ: f32 = 800.0;
const MESSAGE_MS: u32 = 2000;
const IVR_NUMBER: &str = "7000";
const BOX_NUMBER: &str = "700";
const PIN: &str = "1234";
/// Prompt 2 s + 1 s no-input + replay 2 s + 1 s + greeting 1 s + beep, on a slow box.
const DEPOSIT_LIMIT: Duration = Duration::from_secs(25);

fn assert_sipp(role: &str, outcome: &SippOutcome) {
    assert!(
        outcome.success(),
        "{role} scenario failed (exit {:?}):\n{}",
        outcome.code,
        outcome.log
    );
}

/// The tenant: IVR 7000 (menu prompt, key 2 -> extension 11, one second of patience,
/// then voicemail box 700 with the greeting prompt, PIN 1234, extension 11 its user).
fn voicemail_daemon(extra: &[&str]) -> Result<Daemon> {
    let setup = Prepared::new()?;
    setup.add_tone_prompt("p-menu", "Menú", MENU_HZ, 2000)?;
    setup.add_tone_prompt("p-greet", "Saludo buzón", GREETING_HZ, 1000)?;
    let mut doc = setup.export()?;
    doc["voicemail_boxes"] = json!([voicemail_box(
        "vm-main",
        BOX_NUMBER,
        "buzon@example.com",
        Some("p-greet"),
        PIN,
        &["u11"],
    )]);
    doc["ivrs"] = json!([ivr(
        "ivr-main",
        IVR_NUMBER,
        "p-menu",
        json!({ "2": dest("extension", "u11") }),
        dest("voicemail", "vm-main"),
        1
    )]);
    setup.start(&doc, extra)
}

/// Keeps the caller's microphone on the wire until `ok(heard)`, bounded.
fn listen_until(
    leg: &MediaLeg,
    what: &str,
    limit: Duration,
    ok: impl Fn(&[i16]) -> bool,
) -> Result<Vec<i16>> {
    leg.keep_talking_until(limit, || ok(&leg.peer.heard()))?;
    leg.peer.wait_heard(what, Duration::ZERO, ok)
}

fn bursts(pcm: &[i16], hz: f32, min_ms: u32) -> Vec<audio::Segment> {
    audio::tone_bursts(pcm, audio::RATE_8K, hz, min_ms)
}

/// Extension 10 calls the IVR, presses nothing, hears prompt, replay, greeting and beep,
/// "speaks" 2 s of 800 Hz and hangs up. Returns what it heard before speaking.
fn leave_message(daemon: &Daemon, dir: &tempfile::TempDir) -> Result<Vec<i16>> {
    let mut phone = media_call::caller(daemon, EXT10, IVR_NUMBER, OFFER_G711, dir)?;
    let leg = media_call::attach(&mut phone)?;
    let heard = listen_until(
        &leg,
        "prompt twice, greeting, then the beep",
        DEPOSIT_LIMIT,
        |pcm| {
            let beep = bursts(pcm, BEEP_HZ, 100);
            let greeting = bursts(pcm, GREETING_HZ, 700);
            // The beep after the greeting: a beep-like tone inside a prompt would not count.
            bursts(pcm, MENU_HZ, 1500).len() >= 2
                && greeting
                    .first()
                    .is_some_and(|g| beep.iter().any(|b| b.start_ms > g.start_ms))
        },
    )?;
    leg.play(&audio::tone_ms(
        MESSAGE_HZ,
        TONE_DBFS,
        audio::RATE_8K,
        MESSAGE_MS,
    ))?;
    leg.silence(300)?;
    assert_sipp(
        "caller leaving a message",
        &media_call::hang_up(phone, &leg)?,
    );
    Ok(heard)
}

/// The box's rows for `vm-main`, waited for (bounded) until there are `n`.
fn messages(daemon: &Daemon, n: usize) -> Result<Vec<Value>> {
    let sql = "SELECT id, box_id, caller, duration_ms, file, heard FROM voicemail_messages \
               WHERE box_id = 'vm-main' ORDER BY id";
    let mut last = Vec::new();
    let found = wait::until(
        "voicemail_messages rows",
        Duration::from_secs(10),
        Duration::from_millis(250),
        || {
            last = media_setup::query(daemon.data_dir(), sql)?;
            Ok((last.len() >= n).then(|| last.clone()))
        },
    );
    found.map_err(|e| match e {
        HarnessError::Timeout { what, waited } => HarnessError::Timeout {
            what: format!("{what}; rows: {last:?}"),
            waited,
        },
        other => other,
    })
}

/// The message's WAV holds the caller's tone: 8 kHz mono, 800 Hz for most of 2 s.
fn assert_message_file(daemon: &Daemon, row: &Value) -> Result<()> {
    let stored = row["file"].as_str().unwrap_or_default();
    let path = media_setup::stored_file(daemon.data_dir(), stored);
    let wav = audio::read_wav(&path)?;
    assert_eq!(
        (wav.sample_rate, wav.channels),
        (8000, 1),
        "voicemail format of {}",
        path.display()
    );
    let check = ToneCheck::of(&wav.samples, MESSAGE_HZ);
    let verdict = check.expect(
        MESSAGE_HZ,
        MESSAGE_MS - 500,
        5.0,
        Some((sine_rms_dbfs(TONE_DBFS), 3.0)),
        &wav.samples,
    );
    assert!(verdict.is_ok(), "{}: {verdict:?}", path.display());
    let ms = row["duration_ms"].as_i64().unwrap_or(-1);
    assert!(
        (1500..=10_000).contains(&ms),
        "duration_ms {ms} for a 2 s message: {row}"
    );
    Ok(())
}

#[test]
fn ivr_without_input_goes_to_voicemail_and_keeps_the_message() -> Result<()> {
    let daemon = voicemail_daemon(&[])?;
    let dir = e2e::call::scratch()?;
    let heard = leave_message(&daemon, &dir)?;
    let prompts = bursts(&heard, MENU_HZ, 1500);
    assert_eq!(
        prompts.len(),
        2,
        "the prompt once and one replay before voicemail: {prompts:?}"
    );
    let rows = messages(&daemon, 1)?;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert!(
        rows[0]["caller"]
            .as_str()
            .is_some_and(|c| c.contains(EXT10.extension)),
        "the caller is extension 10: {}",
        rows[0]
    );
    assert_message_file(&daemon, &rows[0])
}

/// Extension 11 dials the box number; returns its call and leg once the box answered.
fn open_box(daemon: &Daemon, dir: &tempfile::TempDir) -> Result<(e2e::call::Phone, MediaLeg)> {
    let mut phone = media_call::caller(daemon, EXT11, BOX_NUMBER, OFFER_G711, dir)?;
    let leg = media_call::attach(&mut phone)?;
    Ok((phone, leg))
}

/// Waits for a spoken phrase: at least `ms` of sound (any frequency) in what is heard.
fn phrase(leg: &MediaLeg, what: &str, ms: usize) -> Result<()> {
    listen_until(leg, what, Duration::from_secs(15), |pcm| {
        pcm.chunks(800)
            .filter(|c| c.len() == 800 && audio::rms_dbfs(c) > -40.0)
            .count()
            * 100
            >= ms
    })
    .map(|_| ())
}

#[test]
fn box_menu_with_the_right_pin_plays_the_message() -> Result<()> {
    let daemon = voicemail_daemon(&[])?;
    let dir = e2e::call::scratch()?;
    leave_message(&daemon, &dir)?;
    messages(&daemon, 1)?;

    let (phone, leg) = open_box(&daemon, &dir)?;
    phrase(&leg, "the PIN request", 500)?;
    leg.dial(&format!("{PIN}#"))?;
    leg.peer.clear();
    let heard = listen_until(
        &leg,
        "the message (800 Hz)",
        Duration::from_secs(30),
        |pcm| !bursts(pcm, MESSAGE_HZ, 1500).is_empty(),
    )?;
    let check = ToneCheck::of(&heard, MESSAGE_HZ);
    let verdict = check.expect(
        MESSAGE_HZ,
        1500,
        5.0,
        Some((sine_rms_dbfs(TONE_DBFS), 3.0)),
        &heard,
    );
    assert!(verdict.is_ok(), "the message as played: {verdict:?}");
    // Listen past the message's end (the menu after it): a new message played to its end
    // is marked heard.
    leg.keep_talking_until(Duration::from_secs(4), || false)?;
    assert_sipp("box owner", &media_call::hang_up(phone, &leg)?);
    let marked = wait::until(
        "the message marked heard",
        Duration::from_secs(10),
        Duration::from_millis(250),
        || {
            let rows = messages(&daemon, 1)?;
            Ok(rows
                .iter()
                .any(|r| r["heard"].as_i64() == Some(1))
                .then_some(()))
        },
    );
    assert!(marked.is_ok(), "{marked:?}");
    Ok(())
}

#[test]
fn box_menu_hangs_up_after_three_wrong_pins() -> Result<()> {
    let daemon = voicemail_daemon(&[])?;
    let dir = e2e::call::scratch()?;
    let (mut phone, leg) = open_box(&daemon, &dir)?;
    phrase(&leg, "the PIN request", 500)?;
    for attempt in 1..=3 {
        leg.peer.clear();
        leg.dial("9999#")?;
        if attempt < 3 {
            phrase(&leg, &format!("the answer to wrong PIN {attempt}"), 500)?;
        }
    }
    // Keep the microphone on until the box ends the call (its BYE ends the scenario).
    let sipp = &mut phone.sipp;
    leg.keep_talking_until(Duration::from_secs(20), || {
        matches!(sipp.exited(), Ok(Some(_)))
    })?;
    let outcome = phone.finish()?;
    assert_sipp("caller hung up by the box after three wrong PINs", &outcome);
    // Nothing of the box's content may have been played to a caller without the PIN.
    let heard = leg.peer.heard();
    assert!(
        bursts(&heard, MESSAGE_HZ, 300).is_empty(),
        "a message was played without the PIN"
    );
    Ok(())
}

#[test]
fn ten_thousand_digits_at_the_pin_prompt_do_not_disturb_another_call() -> Result<()> {
    // The box itself parses these events (PIN collection), unlike a relayed call's.
    let daemon = voicemail_daemon(&[])?;
    let dir = e2e::call::scratch()?;
    let (flood_phone, flooder) = open_box(&daemon, &dir)?;
    phrase(&flooder, "the PIN request", 500)?;
    let mut quiet_callee = media_call::callee(&daemon, EXT13, &dir)?;
    let mut quiet_phone = media_call::caller(&daemon, EXT12, EXT13.extension, OFFER_G711, &dir)?;
    let a = media_call::attach(&mut quiet_phone)?;
    let b = media_call::attach(&mut quiet_callee)?;
    // Never '#': one endless PIN the box must bound.
    let outcome = flood_beside_a_call(&daemon, &flooder, "1", &a, &b)?;
    eprintln!("{outcome:?}");
    assert_sipp("quiet caller", &media_call::hang_up(quiet_phone, &a)?);
    assert_sipp("quiet callee", &quiet_callee.finish()?);
    // The flooder's call may have been ended by the box (wrong PIN); either way its
    // scenario must end cleanly.
    assert_sipp(
        "flooding caller",
        &media_call::hang_up(flood_phone, &flooder)?,
    );
    assert!(outcome.undisturbed(), "{outcome:?}");
    Ok(())
}

#[test]
fn voicemail_is_emailed_once_with_the_message_as_a_wav_attachment() -> Result<()> {
    let sink = MailSink::start()?;
    let port = sink.port().to_string();
    let daemon = voicemail_daemon(&[
        "--smtp-host",
        "127.0.0.1",
        "--smtp-port",
        &port,
        "--smtp-tls",
        "none",
        "--smtp-from",
        "centralita@example.com",
    ])?;
    let dir = e2e::call::scratch()?;
    leave_message(&daemon, &dir)?;
    let rows = messages(&daemon, 1)?;
    let mails = sink
        .wait_for(1, Duration::from_secs(30))
        .map_err(|e| HarnessError::Timeout {
            what: format!(
                "{e}\nsink log: {}\ndaemon log:\n{}",
                sink.log(),
                daemon.stderr_tail()
            ),
            waited: Duration::from_secs(30),
        })?;
    let mail = &mails[0];
    eprintln!("mail: {}", mail.summary);
    assert_eq!(
        mail.recipients(),
        vec!["buzon@example.com".to_string()],
        "{}",
        mail.summary
    );
    assert!(
        mail.subject().contains("Nuevo mensaje de voz"),
        "subject: {:?}",
        mail.subject()
    );
    let attachments = mail.attachments();
    assert_eq!(attachments.len(), 1, "{}", mail.summary);
    let (name, content_type, path) = &attachments[0];
    assert!(name.ends_with(".wav"), "attachment name {name:?}");
    assert!(
        content_type.contains("wav"),
        "attachment type {content_type:?}"
    );
    // The attachment is the stored message, and it holds what the caller said.
    let attached = audio::read_wav(path)?;
    let stored = audio::read_wav(&media_setup::stored_file(
        daemon.data_dir(),
        rows[0]["file"].as_str().unwrap_or_default(),
    ))?;
    assert_eq!(
        attached.samples, stored.samples,
        "the attachment differs from the stored message"
    );
    let check = ToneCheck::of(&attached.samples, MESSAGE_HZ);
    let verdict = check.expect(
        MESSAGE_HZ,
        MESSAGE_MS - 500,
        5.0,
        Some((sine_rms_dbfs(TONE_DBFS), 3.0)),
        &attached.samples,
    );
    assert!(verdict.is_ok(), "the attached recording: {verdict:?}");
    // Once: nothing else arrives (no duplicate after a retry, say).
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(sink.received()?.len(), 1, "messages at the sink");
    Ok(())
}

/// The `.mwi` lines a subscribed phone's scenario wrote: "<yes|no> <new>/<old>".
fn mwi_lines(media_file: &std::path::Path) -> Vec<String> {
    let mut path = media_file.as_os_str().to_owned();
    path.push(".mwi");
    std::fs::read_to_string(std::path::PathBuf::from(path))
        .map(|t| t.lines().map(|l| l.trim().to_string()).collect())
        .unwrap_or_default()
}

#[test]
fn box_users_phone_is_told_a_message_is_waiting() -> Result<()> {
    let daemon = voicemail_daemon(&[])?;
    let dir = e2e::call::scratch()?;
    let media_file = dir.path().join("11-mwi.media");
    let sipp = SippBuilder::new("mwi_subscribe")
        .remote(daemon.sip)
        .service(BOX_NUMBER)
        .auth(&EXT11.username(), EXT11.password)
        .key("caller", EXT11.username())
        .key("media_file", media_file.display())
        .spawn()?;
    let subscribed = MediaInfo::wait(&media_file, Duration::from_secs(20))?;
    // The NOTIFY that follows the subscription: nothing waiting yet.
    let first = wait::until(
        "the first NOTIFY",
        Duration::from_secs(20),
        Duration::from_millis(100),
        || Ok(mwi_lines(&media_file).first().cloned()),
    )?;
    assert!(first.starts_with("no"), "an empty box says no: {first:?}");
    leave_message(&daemon, &dir)?;
    let waiting = wait::until(
        "a NOTIFY saying a message is waiting",
        Duration::from_secs(20),
        Duration::from_millis(200),
        || {
            Ok(mwi_lines(&media_file)
                .into_iter()
                .find(|l| l.starts_with("yes")))
        },
    );
    e2e::call::trigger(sipp.local(), &subscribed.call_id)?;
    let outcome = sipp.wait()?;
    let waiting = waiting?;
    assert_sipp("extension 11's subscription", &outcome);
    assert!(
        waiting.ends_with("1/0"),
        "one new, no old message: {waiting:?} (all: {:?})",
        mwi_lines(&media_file)
    );
    Ok(())
}
