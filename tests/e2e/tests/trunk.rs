//! Calls in and out through the tenant's SIP trunk (issue 3, point 8), against the real
//! daemon, with SIPp playing the provider: a registrar that challenges the box, a UAS
//! that answers (and challenges) the box's outbound INVITEs, a UAC that calls the
//! tenant's DIDs from the provider's address. Phones are SIPp as in `calls.rs`.
//!
//! Each test has its own daemon and its own provider port(s); see `src/trunk.rs` for how
//! the trunk document is applied and how the provider roles share the provider's port.

use std::time::Duration;

use e2e::call::{self, Phone};
use e2e::rtp;
use e2e::sipp::SippOutcome;
use e2e::tenant::{EXT10, EXT11};
use e2e::trunk::{self, CivilTime, InboundCall, Provider, DID_MAIN, DID_OUT, OUTSIDE};
use e2e::{Daemon, Result};
use serde_json::{json, Value};

/// Packets each side sends; the counts received are asserted, not their timing.
const PACKETS: usize = 30;
/// A relay may lose the odd first packet while it latches; anything beyond that is a bug.
const MIN_RELAYED: usize = PACKETS - 3;

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

// ---------------------------------------------------------------- registration

#[test]
fn box_registers_with_digest_refreshes_and_unregisters_on_sigterm() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let log = dir.path().join("primary.reg");
    // A 4-second grant: the box must refresh at about half of it, several times while
    // the test watches, each refresh carrying credentials the registrar verifies.
    let registrar = trunk::registrar(&primary, "trunk_registrar_refresh", 4, &log)?;
    trunk::apply(&mut daemon, &trunk::document(&primary, None))?;

    let status = trunk::wait_status(&mut daemon, "primary registered [active]", |s| {
        trunk::trunk_line(s, "primary")
            .is_some_and(|l| l.contains(": registered") && l.ends_with("[active]"))
    })?;
    assert!(
        status.contains(&format!("centralita1@{}", primary.domain())),
        "{status}"
    );
    e2e::wait::until(
        "two refreshes answered by the registrar",
        Duration::from_secs(20),
        Duration::from_millis(200),
        || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            Ok((text.matches("REFRESH ok").count() >= 2).then_some(()))
        },
    )?;
    daemon.stop()?;
    let outcome = registrar.wait()?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_sipp("registrar (refreshes, then Expires 0 at SIGTERM)", &outcome);
    assert!(text.starts_with("REGISTER challenged\nREGISTER ok\n"), "{text}");
    assert!(text.trim_end().ends_with("UNREGISTER"), "{text}");
    assert!(!text.contains("bad digest"), "{text}");
    Ok(())
}

#[test]
fn failover_to_secondary_when_primary_registration_gets_503() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let secondary = Provider::secondary()?;
    let broken = trunk::registrar(
        &primary,
        "trunk_reg503",
        3600,
        &dir.path().join("primary.reg"),
    )?;
    let good = trunk::registrar(
        &secondary,
        "trunk_registrar",
        3600,
        &dir.path().join("secondary.reg"),
    )?;
    trunk::apply(&mut daemon, &trunk::document(&primary, Some(&secondary)))?;
    assert_sipp("primary registrar (503)", &broken.wait()?);
    assert_sipp("secondary registrar", &good.wait()?);
    let status = trunk::wait_status(&mut daemon, "calls moved to the secondary", |s| {
        trunk::trunk_line(s, "secondary")
            .is_some_and(|l| l.contains(": registered") && l.ends_with("[active]"))
    })?;
    let primary_line = trunk::trunk_line(&status, "primary").unwrap_or_default();
    assert!(
        primary_line.contains("failed") && !primary_line.ends_with("[active]"),
        "{status}"
    );

    // An outbound call now goes to the secondary provider, with its credentials.
    let provider = trunk::provider_uas(&secondary, "trunk_uas_out", &dir, "secondary")?;
    let facts = outbound_answered(&daemon, &secondary, provider, "uac_call", OUTSIDE, &dir)?;
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", secondary.domain()),
        "{facts:?}"
    );
    let cdr = trunk::wait_cdr(&daemon, "outgoing CDR", |c| {
        trunk::field(c, "direction") == "outgoing"
    })?;
    assert_eq!(trunk::field(&cdr, "trunk"), secondary.trunk_name(), "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn invite_503_from_primary_is_retried_through_secondary() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let secondary = Provider::secondary()?;
    let doc = trunk::document(&primary, Some(&secondary));
    trunk::register(&mut daemon, &doc, &primary, Some(&secondary), &dir)?;

    let mut failing = trunk::provider_uas(&primary, "trunk_uas_503", &dir, "primary")?;
    let answering = trunk::provider_uas(&secondary, "trunk_uas_out", &dir, "secondary")?;
    let facts = outbound_answered(&daemon, &secondary, answering, "uac_call", OUTSIDE, &dir)?;
    let tried = trunk::read_marker(&mut failing, ".invite")?;
    assert_sipp("primary UAS (503)", &failing.finish()?);
    assert_eq!(
        fact(&invite_facts(&tried), "ruri"),
        format!("sip:{OUTSIDE}@{}", primary.domain())
    );
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", secondary.domain()),
        "{facts:?}"
    );
    Ok(())
}

// ---------------------------------------------------------------- outbound

/// Extension 10 dials `number` with the phone scenario `scenario`; the provider UAS
/// `provider` answers (after challenging the box); RTP both ways through the box; the
/// extension hangs up. Returns what the provider saw in the INVITE.
fn outbound_answered(
    daemon: &Daemon,
    account: &Provider,
    mut provider: Phone,
    scenario: &str,
    number: &str,
    dir: &tempfile::TempDir,
) -> Result<Vec<(String, String)>> {
    let mut caller = call::caller(daemon, EXT10, number, scenario, &[], dir)?;
    let a = caller.media()?;
    let b = provider.media()?;
    let exchange = rtp::exchange(&caller.rtp, a.relay, &provider.rtp, b.relay, PACKETS)?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    let facts = invite_facts(&trunk::read_marker(&mut provider, ".invite")?);
    // Shown with --nocapture: what the provider got is the point of these tests.
    eprintln!("provider saw: {facts:?}");
    let caller_outcome = caller.finish()?;
    let provider_outcome = provider.finish()?;
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

fn outbound_setup(doc_edit: impl FnOnce(&mut Value)) -> Result<(Daemon, Provider, tempfile::TempDir)> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let mut doc = trunk::document(&primary, None);
    doc_edit(&mut doc);
    trunk::register(&mut daemon, &doc, &primary, None, &dir)?;
    Ok((daemon, primary, dir))
}

#[test]
fn outbound_call_presents_the_users_did() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|_| {})?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let facts = outbound_answered(&daemon, &primary, provider, "uac_call", OUTSIDE, &dir)?;
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", primary.domain()),
        "{facts:?}"
    );
    assert_eq!(uri_user(&fact(&facts, "from")), DID_MAIN, "{facts:?}");
    assert!(fact(&facts, "privacy").is_empty(), "{facts:?}");

    let cdr = trunk::wait_cdr(&daemon, "outgoing CDR", |c| {
        trunk::field(c, "direction") == "outgoing"
    })?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    assert_eq!(trunk::field(&cdr, "trunk"), primary.trunk_name(), "{:?}", cdr.raw);
    assert_eq!(
        trunk::field(&cdr, "caller_id_presented"),
        DID_MAIN,
        "{:?}",
        cdr.raw
    );
    Ok(())
}

#[test]
fn outbound_call_anonymous_hides_the_number() -> Result<()> {
    let (daemon, primary, dir) =
        outbound_setup(|doc| trunk::set_user(doc, "u10", "caller_id", Value::Null))?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let facts = outbound_answered(&daemon, &primary, provider, "uac_call", OUTSIDE, &dir)?;
    let from = fact(&facts, "from");
    assert!(
        from.contains("sip:anonymous@anonymous.invalid"),
        "From must be anonymous: {facts:?}"
    );
    assert!(
        fact(&facts, "privacy").split(';').any(|p| p.trim() == "id"),
        "Privacy: id expected: {facts:?}"
    );
    assert!(
        !fact(&facts, "pai").is_empty(),
        "P-Asserted-Identity expected for the provider: {facts:?}"
    );
    let cdr = trunk::wait_cdr(&daemon, "outgoing CDR", |c| {
        trunk::field(c, "direction") == "outgoing"
    })?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn outbound_call_with_did_out_prefix_presents_that_did() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|doc| {
        doc["modules"] = json!([{
            "name": "did-out",
            "enabled": true,
            "config": { "rules": [{
                "prefix": "*81",
                "present": { "did": DID_OUT },
                "all_extensions": true
            }]}
        }]);
    })?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let dialled = format!("*81{OUTSIDE}");
    let facts = outbound_answered(&daemon, &primary, provider, "uac_call", &dialled, &dir)?;
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", primary.domain()),
        "the DID OUT prefix must be stripped: {facts:?}"
    );
    assert_eq!(uri_user(&fact(&facts, "from")), DID_OUT, "{facts:?}");
    let cdr = trunk::wait_cdr(&daemon, "outgoing CDR", |c| {
        trunk::field(c, "direction") == "outgoing"
    })?;
    assert_eq!(trunk::field(&cdr, "caller_id_presented"), DID_OUT, "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn alias_calls_its_real_number() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|doc| {
        doc["aliases"] = json!([{
            "id": "a-tienda",
            "alias": "55",
            "number": OUTSIDE,
            "display_name": "Tienda"
        }]);
    })?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let facts = outbound_answered(&daemon, &primary, provider, "uac_call", "55", &dir)?;
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", primary.domain()),
        "{facts:?}"
    );
    Ok(())
}

/// Extension 10 dials `number`; the box must refuse with 403 before anything reaches
/// the provider. Returns the status line.
fn outbound_refused(
    doc_edit: impl FnOnce(&mut Value),
    number: &str,
) -> Result<(String, Daemon)> {
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
    let leaked = provider.media_file.with_extension("media.invite");
    assert!(
        !leaked.exists(),
        "the refused call reached the provider: {:?}",
        std::fs::read_to_string(&leaked)
    );
    Ok((status_line.trim().to_string(), daemon))
}

#[test]
fn internal_only_user_cannot_call_out() -> Result<()> {
    let (status_line, daemon) = outbound_refused(
        |doc| trunk::set_user(doc, "u10", "internal_only", json!(true)),
        OUTSIDE,
    )?;
    assert!(status_line.starts_with("403"), "{status_line}");
    let cdr = trunk::wait_cdr(&daemon, "CDR of the refused call", |c| {
        c.destination.contains(OUTSIDE)
    })?;
    assert_ne!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn international_numbers_refused_by_default() -> Result<()> {
    let (status_line, _daemon) = outbound_refused(|_| {}, "00442071234567")?;
    assert!(status_line.starts_with("403"), "{status_line}");
    assert!(
        status_line.to_lowercase().contains("international"),
        "the reason must say why: {status_line}"
    );
    Ok(())
}
