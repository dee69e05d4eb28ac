//! Office call features against the real daemon (issue 5, started): a desk phone's busy lamp
//! follows another extension's call (RFC 4235 dialog event package, SIPp as the watching phone).
use std::time::Duration;

use e2e::call;
use e2e::rtp::MediaInfo;
use e2e::sipp::{SippBuilder, SippOutcome};
use e2e::tenant::{EXT10, EXT11, EXT12};
use e2e::{wait, Daemon, Result};

fn assert_sipp(what: &str, outcome: &SippOutcome) {
    assert!(outcome.success(), "{what}: {outcome:?}");
}

fn blf_states(media_file: &std::path::Path) -> Vec<String> {
    let mut path = media_file.as_os_str().to_owned();
    path.push(".blf");
    std::fs::read_to_string(std::path::PathBuf::from(path))
        .map(|t| {
            t.lines()
                .map(|l| l.trim().trim_start_matches("state").trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn busy_lamp_follows_a_call_ringing_answered_and_ended() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let media_file = dir.path().join("12-blf.media");
    let watcher = SippBuilder::new("blf_subscribe")
        .remote(daemon.sip)
        .service(EXT11.extension)
        .auth(&EXT12.username(), EXT12.password)
        .key("caller", EXT12.username())
        .key("media_file", media_file.display())
        .spawn()?;
    let subscribed = MediaInfo::wait(&media_file, Duration::from_secs(20))?;
    let idle = wait::until(
        "the first NOTIFY",
        Duration::from_secs(20),
        Duration::from_millis(100),
        || Ok(blf_states(&media_file).first().cloned()),
    )?;
    assert!(idle.is_empty(), "an idle extension has no dialog: {idle:?}");

    let mut callee = call::callee(&daemon, EXT11, "uas_answer", &dir)?;
    let mut caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_call", &[], &dir)?;
    let a = caller.media()?;
    callee.media()?;
    let confirmed = wait::until(
        "a NOTIFY saying the call is answered",
        Duration::from_secs(20),
        Duration::from_millis(100),
        || {
            Ok(blf_states(&media_file)
                .into_iter()
                .find(|s| s == "confirmed"))
        },
    )?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    let caller_outcome = caller.finish()?;
    let callee_outcome = callee.finish()?;
    let ended = wait::until(
        "a NOTIFY saying the call ended",
        Duration::from_secs(20),
        Duration::from_millis(100),
        || {
            Ok(blf_states(&media_file)
                .into_iter()
                .find(|s| s == "terminated"))
        },
    );
    call::trigger(watcher.local(), &subscribed.call_id)?;
    let watcher_outcome = watcher.wait()?;
    let ended = ended?;
    assert_sipp("caller", &caller_outcome);
    assert_sipp("callee", &callee_outcome);
    assert_sipp("extension 12's busy-lamp subscription", &watcher_outcome);
    let states = blf_states(&media_file);
    assert_eq!(confirmed, "confirmed");
    assert_eq!(ended, "terminated");
    let early = states.iter().position(|s| s == "early");
    let answered = states.iter().position(|s| s == "confirmed");
    assert!(
        early.is_some() && early < answered,
        "the lamp showed the ringing before the answer: {states:?}"
    );
    Ok(())
}

/// Packets each way in the transfer test, and how many must cross (loopback, a few may be
/// dropped while the relay latches).
const PACKETS: usize = 50;
const MIN_RELAYED: usize = PACKETS - 3;

#[test]
fn callee_blind_transfers_the_caller_and_both_ends_hear_each_other() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    // The scenario transfers to extension 12 (EXT12).
    let mut agent = call::callee(&daemon, EXT11, "uas_transfer", &dir)?;
    let mut target = call::callee(&daemon, EXT12, "uas_answer", &dir)?;
    let mut caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_call", &[], &dir)?;
    let a = caller.media()?;
    let b = agent.media()?;
    let before = e2e::rtp::exchange(&caller.rtp, a.relay, &agent.rtp, b.relay, PACKETS)?;
    assert!(before.a_received.from_peer >= MIN_RELAYED, "{before:?}");

    // The agent transfers the caller to extension 12, which answers.
    call::trigger(agent.sipp.local(), &b.call_id)?;
    let c = target.media()?;
    let after = e2e::rtp::exchange(&caller.rtp, a.relay, &target.rtp, c.relay, PACKETS)?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    let agent_outcome = agent.finish()?;
    let caller_outcome = caller.finish()?;
    let target_outcome = target.finish()?;
    assert_sipp("agent (REFER, NOTIFY, BYE)", &agent_outcome);
    assert_sipp("caller", &caller_outcome);
    assert_sipp("transfer target", &target_outcome);
    assert!(
        after.a_received.from_peer >= MIN_RELAYED && after.b_received.from_peer >= MIN_RELAYED,
        "caller and target hear each other after the transfer: {after:?}"
    );
    Ok(())
}
