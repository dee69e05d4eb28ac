//! Call recording (issue 4 point 7): with the tenant's `recording` on, an answered call
//! leaves a stereo 8 kHz WAV with the caller on the left and the callee on the right,
//! and the call's CDR references it (`centralita cdr`); `cdr --delete` removes both.
//!
//! ```sh
//! cargo build -p centralita && cargo test -p e2e --test recording
//! ```

use std::time::Duration;

use e2e::audio;
use e2e::media_call::{self, OFFER_G711};
use e2e::media_check::{sine_rms_dbfs, ToneCheck};
use e2e::media_setup::{self, Prepared, TONE_DBFS};
use e2e::sipp::SippOutcome;
use e2e::tenant::{EXT10, EXT11, TENANT_ID};
use e2e::{wait, HarnessError, Result};
use serde_json::Value;

const CALLER_HZ: f32 = 1000.0;
const CALLEE_HZ: f32 = 440.0;
const TALK_MS: u32 = 2000;

fn assert_sipp(role: &str, outcome: &SippOutcome) {
    assert!(
        outcome.success(),
        "{role} scenario failed (exit {:?}):\n{}",
        outcome.code,
        outcome.log
    );
}

/// The CDR rows joined with their recording, waited for (bounded) until one has a file.
fn recorded_cdr(data: &std::path::Path) -> Result<Value> {
    let sql = "SELECT c.call_id, c.disposition, c.recording_id, r.file, r.duration_ms \
               FROM cdrs c LEFT JOIN recordings r ON r.id = c.recording_id";
    let mut last = Vec::new();
    let found = wait::until(
        "a CDR with its recording",
        Duration::from_secs(10),
        Duration::from_millis(250),
        || {
            last = media_setup::query(data, sql)?;
            Ok(last.iter().find(|r| r["file"].is_string()).cloned())
        },
    );
    found.map_err(|e| match e {
        HarnessError::Timeout { what, waited } => HarnessError::Timeout {
            what: format!("{what}; cdrs: {last:?}"),
            waited,
        },
        other => other,
    })
}

#[test]
fn recorded_call_holds_caller_left_and_callee_right() -> Result<()> {
    let setup = Prepared::new()?;
    let mut doc = setup.export()?;
    doc["tenant"]["recording"] = Value::Bool(true);
    let daemon = setup.start(&doc, &[])?;
    let dir = e2e::call::scratch()?;

    let mut callee = media_call::callee(&daemon, EXT11, &dir)?;
    let mut caller = media_call::caller(&daemon, EXT10, EXT11.extension, OFFER_G711, &dir)?;
    let a = media_call::attach(&mut caller)?;
    let b = media_call::attach(&mut callee)?;
    let a_pcm = audio::tone_ms(CALLER_HZ, TONE_DBFS, audio::RATE_8K, TALK_MS);
    let b_pcm = audio::tone_ms(CALLEE_HZ, TONE_DBFS, audio::RATE_8K, TALK_MS);
    std::thread::scope(|s| {
        let other = s.spawn(|| b.play(&b_pcm));
        let mine = a.play(&a_pcm);
        mine.and(other.join().unwrap_or(Ok(())))
    })?;
    a.silence(300)?;
    assert_sipp("caller", &media_call::hang_up(caller, &a)?);
    assert_sipp("callee", &callee.finish()?);

    let row = recorded_cdr(daemon.data_dir())?;
    eprintln!("recorded CDR: {row}");
    assert_eq!(row["disposition"], "answered", "{row}");
    let stored = row["file"].as_str().unwrap_or_default();
    assert!(
        stored.contains(&format!("recordings/{TENANT_ID}/")),
        "recordings live under recordings/<tenant>/: {stored}"
    );
    let path = media_setup::stored_file(daemon.data_dir(), stored);
    let wav = audio::read_wav(&path)?;
    assert_eq!(
        (wav.sample_rate, wav.channels),
        (8000, 2),
        "{}",
        path.display()
    );
    let left = audio::channel(&wav.samples, 2, 0);
    let right = audio::channel(&wav.samples, 2, 1);
    let level = Some((sine_rms_dbfs(TONE_DBFS), 3.0));
    let l = ToneCheck::of(&left, CALLER_HZ).expect(CALLER_HZ, TALK_MS - 500, 5.0, level, &left);
    let r = ToneCheck::of(&right, CALLEE_HZ).expect(CALLEE_HZ, TALK_MS - 500, 5.0, level, &right);
    assert!(l.is_ok(), "left channel (caller): {l:?}");
    assert!(r.is_ok(), "right channel (callee): {r:?}");
    // Each side on its own channel: the other party's tone must not be there as well.
    let crosstalk_l = ToneCheck::of(&left, CALLEE_HZ).total_ms;
    let crosstalk_r = ToneCheck::of(&right, CALLER_HZ).total_ms;
    assert!(
        crosstalk_l < 300 && crosstalk_r < 300,
        "channels mixed: callee's tone {crosstalk_l} ms on the left, caller's {crosstalk_r} ms on the right"
    );

    // `centralita cdr` names the recording, and deleting the CDR removes both.
    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.raw["recording"].as_str(), Some(stored), "{}", cdr.raw);
    let id = cdr.raw["id"].to_string();
    daemon.subcommand("cdr", &["--delete".into(), id.clone().into()])?;
    assert!(
        !path.exists(),
        "{} left after cdr --delete {id}",
        path.display()
    );
    let rows = media_setup::query(daemon.data_dir(), "SELECT id FROM recordings")?;
    assert!(rows.is_empty(), "recording rows left: {rows:?}");
    assert!(
        daemon.cdrs(50)?.iter().all(|c| c.call_id != cdr.call_id),
        "the CDR is still listed"
    );
    Ok(())
}

#[test]
fn call_without_recording_leaves_no_recording() -> Result<()> {
    // The default tenant records nothing: the CDR must not point at any file.
    let daemon = e2e::Daemon::start()?;
    let dir = e2e::call::scratch()?;
    let mut callee = media_call::callee(&daemon, EXT11, &dir)?;
    let mut caller = media_call::caller(&daemon, EXT10, EXT11.extension, OFFER_G711, &dir)?;
    let a = media_call::attach(&mut caller)?;
    let _b = media_call::attach(&mut callee)?;
    a.play(&audio::tone_ms(CALLER_HZ, TONE_DBFS, audio::RATE_8K, 500))?;
    assert_sipp("caller", &media_call::hang_up(caller, &a)?);
    assert_sipp("callee", &callee.finish()?);
    daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    let rows = media_setup::query(
        daemon.data_dir(),
        "SELECT recording_id FROM cdrs WHERE recording_id IS NOT NULL",
    )?;
    assert!(rows.is_empty(), "recordings without recording on: {rows:?}");
    let recordings = daemon.data_dir().join("recordings");
    let files = std::fs::read_dir(&recordings)
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(files, 0, "files under {}", recordings.display());
    Ok(())
}
