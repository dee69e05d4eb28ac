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
    assert!(
        text.starts_with("REGISTER challenged\nREGISTER ok\n"),
        "{text}"
    );
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
    assert_eq!(
        trunk::field(&cdr, "trunk"),
        secondary.trunk_name(),
        "{:?}",
        cdr.raw
    );
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
    assert_eq!(
        trunk::field(&cdr, "trunk"),
        primary.trunk_name(),
        "{:?}",
        cdr.raw
    );
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
    assert_eq!(
        trunk::field(&cdr, "caller_id_presented"),
        DID_OUT,
        "{:?}",
        cdr.raw
    );
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

// ---------------------------------------------------------------- inbound

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

#[test]
fn inbound_did_call_routed_by_the_rule_that_matches_now() -> Result<()> {
    let now = CivilTime::now_utc();
    let minute = |offset: i64| {
        let m = (i64::from(now.minute_of_day) + offset).rem_euclid(24 * 60);
        format!("{:02}:{:02}", m / 60, m % 60)
    };
    let today = now.weekday.to_string();
    // Windows are written modulo midnight on purpose: a window whose start is after
    // its end wraps midnight, so "later today" never contains now either way.
    let rules = json!([
        rule(
            1,
            json!({ "weekday": now.other_weekdays(), "description": "other days" }),
            "u12"
        ),
        rule(
            2,
            json!({ "weekday": today, "start": minute(60), "end": minute(120),
                        "description": "later today" }),
            "u12"
        ),
        rule(
            3,
            json!({ "weekday": today, "start": minute(-5), "end": minute(30),
                        "prefix": "Ventas: ", "description": "now" }),
            "u11"
        ),
        rule(4, json!({ "description": "fallback" }), "u12"),
    ]);
    let (daemon, primary, dir) = inbound_setup(rules, |_| {})?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    let from = inbound_answered(&daemon, &primary, &call, EXT11, &dir)?;
    assert!(
        from.starts_with("\"Ventas: Cliente\""),
        "the rule's prefix must lead the caller's name: {from}"
    );
    assert!(from.contains("699111222"), "caller number kept: {from}");

    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    assert_eq!(trunk::field(&cdr, "did"), DID_MAIN, "{:?}", cdr.raw);
    assert_eq!(
        trunk::field(&cdr, "trunk"),
        primary.trunk_name(),
        "{:?}",
        cdr.raw
    );
    Ok(())
}

#[test]
fn inbound_caller_id_rule_picks_the_extension() -> Result<()> {
    let rules = json!([
        rule(
            1,
            json!({ "caller_id": "699[0-9]+", "description": "VIP" }),
            "u10"
        ),
        rule(2, json!({ "description": "everyone else" }), "u11"),
    ]);
    let (daemon, primary, dir) = inbound_setup(rules, |_| {})?;
    // Registration trunks call the Contact the box registered: Request-URI user = the
    // trunk account, the DID in To.
    let call = InboundCall {
        did: DID_MAIN,
        request_user: Some(primary.username),
        caller: "699111222",
        display: "",
    };
    // Only extension 10 is registered: a call routed to 11 would fail with 480.
    inbound_answered(&daemon, &primary, &call, EXT10, &dir)?;
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    assert_eq!(trunk::field(&cdr, "did"), DID_MAIN, "{:?}", cdr.raw);
    Ok(())
}

/// The provider calls `did` and must be refused with `code`; returns the status line.
fn inbound_refused(
    daemon: &Daemon,
    primary: &Provider,
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
    let mut provider = trunk::provider_uac(
        daemon,
        primary,
        &call,
        "trunk_uac_in_reject",
        &[("__EXPECTED__", code)],
        dir,
    )?;
    let line = trunk::read_marker(&mut provider, ".final")?;
    assert_sipp(
        &format!("provider UAC (expects {code})"),
        &provider.finish()?,
    );
    Ok(line.trim().to_string())
}

#[test]
fn inbound_call_matching_no_rule_gets_480_and_an_unanswered_cdr() -> Result<()> {
    let now = CivilTime::now_utc();
    let rules = json!([rule(
        1,
        json!({ "weekday": now.other_weekdays(), "description": "never today" }),
        "u11"
    )]);
    let (daemon, primary, dir) = inbound_setup(rules, |_| {})?;
    let line = inbound_refused(&daemon, &primary, DID_MAIN, "480", &dir)?;
    assert!(line.starts_with("480"), "{line}");
    let cdr = incoming_cdr(&daemon)?;
    assert_ne!(cdr.disposition, "answered", "{:?}", cdr.raw);
    assert!(cdr.answer_utc.is_none(), "{:?}", cdr.raw);
    assert_eq!(trunk::field(&cdr, "did"), DID_MAIN, "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn inbound_call_to_unknown_did_gets_404() -> Result<()> {
    let (daemon, primary, dir) = inbound_setup(json!([rule(1, json!({}), "u11")]), |_| {})?;
    let line = inbound_refused(&daemon, &primary, trunk::DID_UNKNOWN, "404", &dir)?;
    assert!(line.starts_with("404"), "{line}");
    // No information leak: the refusal names nothing of the tenant.
    for secret in [DID_MAIN, DID_OUT, "Test", "20191"] {
        assert!(!line.contains(secret), "{line}");
    }
    Ok(())
}

#[test]
fn forward_on_busy_rings_the_other_extension() -> Result<()> {
    let rules = json!([rule(1, json!({}), "u11")]);
    let (daemon, primary, dir) = inbound_setup(rules, |doc| {
        trunk::set_user(
            doc,
            "u11",
            "forward_busy",
            json!({ "kind": "extension", "ref": "u10" }),
        )
    })?;
    let busy = call::callee(&daemon, EXT11, "uas_busy", &dir)?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    inbound_answered(&daemon, &primary, &call, EXT10, &dir)?;
    assert_sipp("extension 11 (486 busy)", &busy.finish()?);
    Ok(())
}

#[test]
fn route_cli_explains_saturday_night() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let primary = Provider::primary()?;
    let mut doc = trunk::document(&primary, None);
    trunk::set_rules(
        &mut doc,
        json!([
            rule(
                1,
                json!({ "weekday": "[1-5]", "start": "08:00", "end": "18:00",
                            "description": "office hours" }),
                "u10"
            ),
            rule(
                2,
                json!({ "weekday": "6", "start": "20:00", "end": "23:00",
                            "prefix": "Sabado: ", "description": "saturday night" }),
                "u11"
            ),
        ]),
    );
    trunk::apply(&mut daemon, &doc)?;
    let route = |at: &str| {
        daemon.subcommand(
            "route",
            &[
                "--did".into(),
                DID_MAIN.into(),
                "--from".into(),
                "699111222".into(),
                "--at".into(),
                at.into(),
            ],
        )
    };
    let saturday = route("2026-12-26T21:00")?;
    eprintln!("{saturday}");
    let lines: Vec<&str> = saturday.lines().collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("rule 1") && l.contains("no")),
        "rule 1 must be shown as not matching: {saturday}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("rule 2") && l.contains("MATCHES")),
        "{saturday}"
    );
    assert!(saturday.contains("weekday 6"), "{saturday}");
    assert!(saturday.contains("Sabado: "), "{saturday}");
    // The same time on a Monday matches nothing: 480.
    let monday = route("2026-12-28T21:00")?;
    eprintln!("{monday}");
    assert!(monday.contains("no rule matches"), "{monday}");
    assert!(monday.contains("480"), "{monday}");
    Ok(())
}

#[test]
fn provider_garbage_and_hostile_display_name_do_not_hurt() -> Result<()> {
    let rules = json!([rule(
        1,
        json!({ "prefix": "<i>VIP</i> & ", "description": "all" }),
        "u11"
    )]);
    let (mut daemon, primary, dir) = inbound_setup(rules, |_| {})?;

    // Garbage from the provider's own address: random datagrams, truncated and damaged
    // INVITEs. Sent from the very port the box trusts.
    {
        let socket = std::net::UdpSocket::bind(primary.addr())
            .map_err(e2e::HarnessError::io("bind the provider port for garbage"))?;
        let mut rng = e2e::rng::XorShift::new(0x0074_7275_6e6b);
        let invite = e2e::garbage::valid_invite(&daemon.sip.to_string(), primary.port);
        let mut datagrams = e2e::garbage::random_datagrams(&mut rng, 200);
        datagrams.extend(e2e::garbage::prefixes(&invite).into_iter().step_by(7));
        datagrams.extend(e2e::garbage::mutations(&mut rng, &invite, 100));
        for (i, d) in datagrams.iter().enumerate() {
            let _ = socket.send_to(d, daemon.sip);
            if i % 50 == 0 {
                // Paced a little so the loopback buffers never drop, which would make
                // the test prove less than it claims.
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }
    assert!(daemon.is_running(), "daemon died on provider garbage");

    let display = "\"Bob \\\"Boss\\\" <b>Ñandú</b> &amp; 😀 <script>x</script>\"";
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display,
    };
    let from = inbound_answered(&daemon, &primary, &call, EXT11, &dir)?;
    // The display name stays one well-formed quoted-string: every inner quote escaped,
    // the closing quote right before the URI.
    let inner = from
        .strip_prefix('"')
        .and_then(|rest| rest.split_once("\" <sip:"))
        .map(|(inner, _)| inner);
    let Some(inner) = inner else {
        panic!("From display name is not a quoted-string before the URI: {from}");
    };
    let mut escaped = false;
    for ch in inner.chars() {
        assert!(
            escaped || ch != '"',
            "unescaped quote inside the display name: {from}"
        );
        escaped = !escaped && ch == '\\';
    }
    assert!(inner.starts_with("<i>VIP</i> & "), "prefix first: {from}");
    assert!(inner.contains("Ñandú") && inner.contains("😀"), "{from}");

    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    assert!(daemon.is_running());
    // The box still tells its state after all that.
    let status = trunk::status(&daemon)?;
    assert!(trunk::trunk_line(&status, "primary").is_some(), "{status}");
    Ok(())
}
