//! Calls in and out through the tenant's SIP trunk (issue 3, point 8), against the real
//! daemon, with SIPp playing the provider: a registrar that challenges the box, a UAS
//! that answers (and challenges) the box's outbound INVITEs, a UAC that calls the
//! tenant's DIDs from the provider's address. Phones are SIPp as in `calls.rs`.
//!
//! Each test has its own daemon and its own provider port(s); see `src/trunk.rs` for how
//! the trunk document is applied and how the provider roles share the provider's port.
//! This file holds the call set-ups the tests share; the tests are in `trunk/`.
//!
//! ```sh
//! cargo build -p centralita && cargo test -p e2e --test trunk
//! ```
//!
//! About three minutes on two cores; the longest tests wait on the daemon's own timers
//! (keep-alives every 30 s, timer B 32 s, registration back-off 30 s), each bounded.
//! Findings for the daemon owners: `FINDINGS-trunk.md`.

// A test crate's root looks for modules beside it; these live in `tests/trunk/` so
// cargo does not build each of them as a test crate of its own.
#[path = "trunk/hostile.rs"]
mod hostile;
#[path = "trunk/inbound.rs"]
mod inbound;
#[path = "trunk/outbound.rs"]
mod outbound;
#[path = "trunk/registration.rs"]
mod registration;
#[path = "trunk/routing.rs"]
mod routing;

use std::time::Duration;

use e2e::call;
use e2e::rtp;
use e2e::sipp::SippOutcome;
use e2e::tenant::{EXT10, EXT11};
use e2e::trunk::{self, CivilTime, InboundCall, Provider, ProviderUas, DID_MAIN, DID_OUT, OUTSIDE};
use e2e::{Daemon, Result};
use serde_json::{json, Value};

/// Packets each side sends; the counts received are asserted, not their timing.
const PACKETS: usize = 30;
/// A relay may lose the odd first packet while it latches; anything beyond that is a bug.
const MIN_RELAYED: usize = PACKETS - 3;
/// Bound on a call reaching the provider and being answered (no failover involved).
const ANSWER_LIMIT: Duration = Duration::from_secs(20);

fn assert_sipp(role: &str, outcome: &SippOutcome) {
    assert!(
        outcome.success(),
        "{role} scenario failed (exit {:?}):\n{}",
        outcome.code,
        outcome.log
    );
}

/// `name=value` lines a provider scenario wrote about the INVITE it got.
fn invite_facts(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn fact(facts: &[(String, String)], key: &str) -> String {
    facts
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// The user part of the first SIP URI in a header value.
fn uri_user(header: &str) -> String {
    header
        .split("sip:")
        .nth(1)
        .and_then(|rest| rest.split('@').next())
        .unwrap_or_default()
        .to_string()
}

/// Extension 10 dials `number` with the phone scenario `scenario`; the provider UAS
/// `provider` answers (after challenging the box); RTP both ways through the box; the
/// extension hangs up. Returns what the provider saw in the INVITE.
fn outbound_answered(
    daemon: &Daemon,
    account: &Provider,
    provider: ProviderUas,
    scenario: &str,
    number: &str,
    dir: &tempfile::TempDir,
) -> Result<Vec<(String, String)>> {
    outbound_answered_within(
        daemon,
        account,
        provider,
        scenario,
        number,
        dir,
        Duration::ZERO,
        Hangup::Extension,
    )
}

/// Who ends an answered call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hangup {
    Extension,
    Provider,
}

/// [`outbound_answered`] for calls that reach the provider only after `patience` (a
/// failover after timer B): waits that long for the provider's answer before the
/// shared harness's own (shorter) waits start. `hangup` says who sends the BYE.
#[allow(clippy::too_many_arguments)]
fn outbound_answered_within(
    daemon: &Daemon,
    account: &Provider,
    mut provider: ProviderUas,
    scenario: &str,
    number: &str,
    dir: &tempfile::TempDir,
    patience: Duration,
    hangup: Hangup,
) -> Result<Vec<(String, String)>> {
    let mut caller = call::caller(daemon, EXT10, number, scenario, &[], dir)?;
    // The provider answers first; only then do the shared harness's (shorter) waits
    // on the caller start.
    let b = provider.sipp.media(ANSWER_LIMIT + patience)?;
    let a = caller.media()?;
    let exchange = rtp::exchange(&caller.rtp, a.relay, &provider.rtp, b.relay, PACKETS)?;
    match hangup {
        Hangup::Extension => call::trigger_hangup(caller.sipp.local(), &a.call_id)?,
        Hangup::Provider => call::trigger_hangup(provider.sipp.local(), &b.call_id)?,
    }
    let facts = invite_facts(&provider.sipp.marker(".invite", ANSWER_LIMIT)?);
    // Shown with --nocapture: what the provider got is the point of these tests.
    eprintln!("provider saw: {facts:?}");
    let caller_outcome = caller.finish()?;
    let provider_outcome = provider.sipp.finish()?;
    assert_sipp("extension 10 (caller)", &caller_outcome);
    assert_sipp("provider UAS (407, then answer)", &provider_outcome);
    if let Err(why) = trunk::check_invite_digest(&fact(&facts, "proxy_auth"), account) {
        panic!("the box's answer to the provider's 407 is wrong: {why}");
    }
    assert!(
        exchange.b_received.from_peer >= MIN_RELAYED
            && exchange.a_received.from_peer >= MIN_RELAYED,
        "RTP through the trunk call: {exchange:?}"
    );
    Ok(facts)
}

fn outbound_setup(
    doc_edit: impl FnOnce(&mut Value),
) -> Result<(Daemon, Provider, tempfile::TempDir)> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let mut doc = trunk::document(&primary, None);
    doc_edit(&mut doc);
    trunk::register(&mut daemon, &doc, &primary, None, &dir)?;
    Ok((daemon, primary, dir))
}

/// Extension 10 dials `number`; the box must refuse with 403 before anything reaches
/// the provider. Returns the status line.
fn outbound_refused(doc_edit: impl FnOnce(&mut Value), number: &str) -> Result<(String, Daemon)> {
    let (daemon, primary, dir) = outbound_setup(doc_edit)?;
    // The provider listens, so a call leaking out would be seen (and would not fail
    // for want of a peer).
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let mut caller = call::caller(
        &daemon,
        EXT10,
        number,
        "trunk_ext_reject",
        &[("__EXPECTED__", "403")],
        &dir,
    )?;
    let status_line = trunk::read_marker(&mut caller, ".final")?;
    assert_sipp("extension 10 (expects 403)", &caller.finish()?);
    let leaked = provider.sipp.marker_path(".invite");
    assert!(
        !leaked.exists(),
        "the refused call reached the provider: {:?}",
        std::fs::read_to_string(&leaked)
    );
    Ok((status_line.trim().to_string(), daemon))
}

/// A provider that registered the box, and a daemon whose DID_MAIN has `rules`.
fn inbound_setup(
    rules: Value,
    doc_edit: impl FnOnce(&mut Value),
) -> Result<(Daemon, Provider, tempfile::TempDir)> {
    outbound_setup(|doc| {
        trunk::set_rules(doc, rules);
        doc_edit(doc);
    })
}

fn rule(order: u32, fields: Value, to_user: &str) -> Value {
    let mut r = json!({
        "order": order,
        "destination": { "kind": "extension", "ref": to_user },
    });
    if let (Some(r), Some(fields)) = (r.as_object_mut(), fields.as_object()) {
        r.extend(fields.clone());
    }
    r
}

/// The provider calls `call.did`; extension `callee` (SIPp `trunk_uas_ext`) must get it
/// and answer; RTP both ways; the provider hangs up. Returns the From header the
/// extension saw.
fn inbound_answered(
    daemon: &Daemon,
    primary: &Provider,
    call: &InboundCall,
    callee: e2e::TestUser,
    dir: &tempfile::TempDir,
) -> Result<String> {
    let mut phone = call::callee(daemon, callee, "trunk_uas_ext", dir)?;
    let mut provider = trunk::provider_uac(daemon, primary, call, "trunk_uac_in", &[], dir)?;
    let a = provider.media()?;
    let b = phone.media()?;
    let exchange = rtp::exchange(&provider.rtp, a.relay, &phone.rtp, b.relay, PACKETS)?;
    let from = trunk::read_marker(&mut phone, ".from")?;
    call::trigger_hangup(provider.sipp.local(), &a.call_id)?;
    let provider_outcome = provider.finish()?;
    let phone_outcome = phone.finish()?;
    assert_sipp("provider UAC (inbound call)", &provider_outcome);
    assert_sipp(&format!("extension {}", callee.extension), &phone_outcome);
    assert!(
        exchange.b_received.from_peer >= MIN_RELAYED
            && exchange.a_received.from_peer >= MIN_RELAYED,
        "RTP through the inbound trunk call: {exchange:?}"
    );
    eprintln!("extension {} saw From: {from}", callee.extension);
    Ok(from.trim().to_string())
}

fn incoming_cdr(daemon: &Daemon) -> Result<e2e::Cdr> {
    trunk::wait_cdr(daemon, "incoming CDR", |c| {
        trunk::field(c, "direction") == "incoming"
    })
}

/// The provider calls `did` and must be refused with `code`; returns the status line.
fn inbound_refused(
    daemon: &Daemon,
    primary: &Provider,
    did: &str,
    code: &str,
    dir: &tempfile::TempDir,
) -> Result<String> {
    inbound_refused_from(daemon, primary.port, did, code, dir)
}

/// [`inbound_refused`] sent from `from_port` (the provider's, or a stranger's).
fn inbound_refused_from(
    daemon: &Daemon,
    from_port: u16,
    did: &str,
    code: &str,
    dir: &tempfile::TempDir,
) -> Result<String> {
    let call = InboundCall {
        did,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    let mut provider = trunk::inbound_uac(
        daemon,
        from_port,
        &call,
        "trunk_uac_in_reject",
        &[("__EXPECTED__", code)],
        dir,
    )?;
    let line = trunk::read_marker(&mut provider, ".final")?;
    assert_sipp(
        &format!("UAC calling a DID (expects {code})"),
        &provider.finish()?,
    );
    Ok(line.trim().to_string())
}
