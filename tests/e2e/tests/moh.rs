//! Music on hold (issue 4 point 3): when a phone puts the call on hold, the other party
//! hears the firmware's default track, or the tenant's own once it uploaded one
//! (`centralita moh add`); resuming reconnects the two and the music stops.
//!
//! ```sh
//! cargo build -p centralita && cargo test -p e2e --test moh
//! ```

use std::time::Duration;

use e2e::audio;
use e2e::call::{self, Phone, PhoneOptions};
use e2e::media_call::{self, MediaLeg};
use e2e::media_setup::{Prepared, TONE_DBFS};
use e2e::sipp::SippOutcome;
use e2e::tenant::{EXT10, EXT11};
use e2e::{Daemon, Result};

const TENANT_MOH_HZ: f32 = 523.0;
const CALLER_HZ: f32 = 1000.0;
const LISTEN: Duration = Duration::from_secs(15);

fn assert_sipp(role: &str, outcome: &SippOutcome) {
    assert!(
        outcome.success(),
        "{role} scenario failed (exit {:?}):\n{}",
        outcome.code,
        outcome.log
    );
}

/// Milliseconds of sound (100 ms blocks above -45 dBFS) in `pcm`.
fn sound_ms(pcm: &[i16]) -> usize {
    pcm.chunks_exact(800)
        .filter(|c| audio::rms_dbfs(c) > -45.0)
        .count()
        * 100
}

/// Extension 10 calls 11 and puts it on hold; returns both once the hold is answered.
fn held_call(
    daemon: &Daemon,
    dir: &tempfile::TempDir,
) -> Result<(Phone, MediaLeg, Phone, MediaLeg)> {
    let mut callee = call::callee(daemon, EXT11, "uas_hold", dir)?;
    let mut caller = call::caller_with(
        daemon,
        EXT10,
        EXT11.extension,
        "media_uac_hold",
        dir,
        &PhoneOptions::default(),
    )?;
    let a = media_call::attach(&mut caller)?;
    let b = media_call::attach(&mut callee)?;
    caller.wait_marker(".held")?;
    Ok((caller, a, callee, b))
}

/// Resumes (the caller's SIPp waits for a MESSAGE), then checks the legs are joined again
/// and the music stopped, and hangs up.
fn resume_and_hang_up(caller: Phone, a: &MediaLeg, callee: Phone, b: &MediaLeg) -> Result<()> {
    let mut caller = caller;
    call::trigger(caller.sipp.local(), &a.call_id)?;
    caller.wait_marker(".resumed")?;
    // The caller talks in short bursts until the callee hears it (bounded).
    let probe = audio::tone_ms(CALLER_HZ, TONE_DBFS, audio::RATE_8K, 200);
    let start = std::time::Instant::now();
    while start.elapsed() < LISTEN
        && audio::tone_bursts(&b.peer.heard(), audio::RATE_8K, CALLER_HZ, 100).is_empty()
    {
        b.peer.clear();
        a.play(&probe)?;
    }
    let reconnected =
        !audio::tone_bursts(&b.peer.heard(), audio::RATE_8K, CALLER_HZ, 100).is_empty();
    // Then a second of silence from the caller: the callee must hear (nearly) nothing.
    b.peer.clear();
    a.silence(1500)?;
    let after = sound_ms(&b.peer.heard());
    assert_sipp("caller (hold, resume)", &media_call::hang_up(caller, a)?);
    assert_sipp("callee (held)", &callee.finish()?);
    assert!(
        reconnected,
        "after the resume the callee never heard the caller"
    );
    assert!(
        after <= 300,
        "music still playing after the resume: {after} ms of sound"
    );
    Ok(())
}

#[test]
fn held_party_hears_the_default_music_until_the_resume() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let (caller, a, callee, b) = held_call(&daemon, &dir)?;
    b.keep_talking_until(LISTEN, || sound_ms(&b.peer.heard()) >= 3000)?;
    let heard = b.peer.heard();
    let music = sound_ms(&heard);
    assert!(
        music >= 3000,
        "the held callee heard {music} ms of sound: {}",
        e2e::media_peer::describe(&heard)
    );
    // Music, not a stuck buffer: the level changes over time (notes, not one held tone).
    let levels: Vec<i32> = heard
        .chunks_exact(800)
        .filter(|c| audio::rms_dbfs(c) > -45.0)
        .map(|c| audio::dominant_frequency(c, audio::RATE_8K) as i32 / 20)
        .collect();
    let mut distinct = levels.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(distinct.len() >= 2, "one frequency throughout: {levels:?}");
    resume_and_hang_up(caller, &a, callee, &b)
}

#[test]
fn held_party_hears_the_tenants_music() -> Result<()> {
    let setup = Prepared::new()?;
    setup.add_tone_moh("moh-tone", "Tono", TENANT_MOH_HZ, 5000)?;
    let doc = setup.export()?;
    assert_eq!(
        doc["music_on_hold"][0]["id"], "moh-tone",
        "moh add lists the track: {doc}"
    );
    let daemon = setup.start(&doc, &[])?;
    let dir = call::scratch()?;
    let (caller, a, callee, b) = held_call(&daemon, &dir)?;
    b.keep_talking_until(LISTEN, || {
        !audio::tone_bursts(&b.peer.heard(), audio::RATE_8K, TENANT_MOH_HZ, 2000).is_empty()
    })?;
    let heard = b.peer.heard();
    let runs = audio::tone_bursts(&heard, audio::RATE_8K, TENANT_MOH_HZ, 2000);
    assert!(
        !runs.is_empty(),
        "the tenant's 523 Hz music not heard: {}",
        e2e::media_peer::describe(&heard)
    );
    resume_and_hang_up(caller, &a, callee, &b)
}
