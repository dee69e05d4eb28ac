//! The box registering to the provider: digest, refreshes, unregister, failover.

use super::*;

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
    let tried = failing.sipp.marker(".invite", Duration::from_secs(5))?;
    assert_sipp("primary UAS (503)", &failing.sipp.finish()?);
    assert_eq!(
        fact(&invite_facts(&tried), "ruri"),
        format!("sip:{OUTSIDE}@{}", primary.domain())
    );
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", secondary.domain()),
        "{facts:?}"
    );

    // The primary is held down now: the next call goes straight to the secondary.
    let again = call::scratch()?;
    let failing = trunk::provider_uas(&primary, "trunk_uas_503", &again, "primary")?;
    let answering = trunk::provider_uas(&secondary, "trunk_uas_out", &again, "secondary")?;
    outbound_answered(&daemon, &secondary, answering, "uac_call", OUTSIDE, &again)?;
    assert!(
        !failing.sipp.marker_path(".invite").exists(),
        "the second call tried the primary again during its hold-down"
    );
    Ok(())
}

#[test]
fn box_sends_keepalives_on_their_own_call_id_while_registered() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let primary = Provider::primary()?;
    // A raw socket plays the registrar: REGISTER and OPTIONS arrive on different
    // Call-IDs, which one SIPp scenario cannot take in any order.
    let raw = trunk::raw_provider::RawProvider::bind(&primary)?;
    trunk::apply(&mut daemon, &trunk::document(&primary, None))?;
    // Keep-alives every 30 s: bounded at 50 s so a slow machine still gets there.
    let seen = raw.serve(3600, Duration::from_secs(50), |seen| {
        seen.iter().any(|s| s.method == "REGISTER")
            && seen
                .iter()
                .any(|s| s.method == "OPTIONS" || s.method == "CRLF")
    })?;
    let register = seen.iter().find(|s| s.method == "REGISTER");
    let keepalive = seen
        .iter()
        .find(|s| s.method == "OPTIONS" || s.method == "CRLF");
    if let (Some(register), Some(keepalive)) = (register, keepalive) {
        assert_eq!(
            register.from, daemon.sip,
            "REGISTER from the SIP port: {seen:?}"
        );
        assert_eq!(
            keepalive.from, daemon.sip,
            "keep-alive from the SIP port (the NAT binding): {seen:?}"
        );
        if keepalive.method == "OPTIONS" {
            assert_ne!(register.call_id, keepalive.call_id, "{seen:?}");
        }
    }
    let status = trunk::status(&daemon)?;
    assert!(
        trunk::trunk_line(&status, "primary").is_some_and(|l| l.contains(": registered")),
        "{status}"
    );
    Ok(())
}

#[test]
fn invite_timeout_on_primary_is_retried_through_secondary() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let secondary = Provider::secondary()?;
    let doc = trunk::document(&primary, Some(&secondary));
    trunk::register(&mut daemon, &doc, &primary, Some(&secondary), &dir)?;

    // The primary goes silent (a socket that never answers: a real timeout, not an
    // ICMP error), so the box's INVITE times out (timer B, 32 s) and the call must be
    // retried through the secondary.
    let _silent = std::net::UdpSocket::bind(primary.addr())
        .map_err(e2e::HarnessError::io("bind the silent primary"))?;
    let answering = trunk::provider_uas(&secondary, "trunk_uas_out", &dir, "secondary")?;
    let facts = outbound_answered_within(
        &daemon,
        &secondary,
        answering,
        "uac_call",
        OUTSIDE,
        &dir,
        Duration::from_secs(45),
        Hangup::Extension,
    )?;
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", secondary.domain()),
        "{facts:?}"
    );
    let status = trunk::wait_status(&mut daemon, "the secondary active", |s| {
        trunk::trunk_line(s, "secondary").is_some_and(|l| l.ends_with("[active]"))
    })?;
    eprintln!("{status}");
    Ok(())
}

#[test]
fn wrong_trunk_password_is_refused_and_shown_failed() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let log = dir.path().join("primary.reg");
    // The registrar expects another password than the one in the document.
    let expects_other = Provider {
        password: "not-what-the-box-has",
        ..primary.clone()
    };
    let registrar = trunk::registrar(&expects_other, "trunk_registrar", 3600, &log)?;
    trunk::apply(&mut daemon, &trunk::document(&primary, None))?;
    let outcome = registrar.wait()?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    // The scenario fails on purpose when the digest does not verify: this proves the
    // check in the other tests is a real one.
    assert!(
        !outcome.success(),
        "registrar accepted a wrong digest: {text}"
    );
    assert!(
        text.contains("REGISTER bad digest"),
        "{text}\n{}",
        outcome.log
    );
    let status = trunk::wait_status(&mut daemon, "the primary failed", |s| {
        trunk::trunk_line(s, "primary").is_some_and(|l| l.contains("failed"))
    })?;
    eprintln!("{status}");
    Ok(())
}

#[test]
fn refresh_rechallenged_with_a_new_nonce_is_answered() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let log = dir.path().join("primary.reg");
    let registrar = trunk::registrar(&primary, "trunk_registrar_rechallenge", 2, &log)?;
    trunk::apply(&mut daemon, &trunk::document(&primary, None))?;
    let outcome = registrar.wait()?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_sipp("registrar (new nonce at the refresh)", &outcome);
    assert!(text.trim_end().ends_with("REFRESH ok"), "{text}");
    trunk::wait_status(&mut daemon, "the primary registered", |s| {
        trunk::trunk_line(s, "primary").is_some_and(|l| l.contains(": registered"))
    })?;
    Ok(())
}

#[test]
fn busy_from_the_primary_is_final_no_failover() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let secondary = Provider::secondary()?;
    let doc = trunk::document(&primary, Some(&secondary));
    trunk::register(&mut daemon, &doc, &primary, Some(&secondary), &dir)?;

    let mut busy = trunk::provider_uas(&primary, "trunk_uas_486", &dir, "primary")?;
    let other = trunk::provider_uas(&secondary, "trunk_uas_out", &dir, "secondary")?;
    let mut caller = call::caller(
        &daemon,
        EXT10,
        OUTSIDE,
        "trunk_ext_reject",
        &[("__EXPECTED__", "486")],
        &dir,
    )?;
    let status_line = trunk::read_marker(&mut caller, ".final")?;
    assert_sipp("extension 10 (expects 486)", &caller.finish()?);
    busy.sipp.marker(".invite", Duration::from_secs(5))?;
    assert_sipp("primary UAS (486)", &busy.sipp.finish()?);
    assert!(status_line.starts_with("486"), "{status_line}");
    assert!(
        !other.sipp.marker_path(".invite").exists(),
        "a busy callee is not a provider failure: the secondary got the INVITE too"
    );
    let cdr = trunk::wait_cdr(&daemon, "outgoing CDR", |c| {
        trunk::field(c, "direction") == "outgoing"
    })?;
    assert_eq!(cdr.disposition, "busy", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn provider_removed_by_a_reload_is_unregistered() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let log = dir.path().join("primary.reg");
    // Registers, then waits in its refresh loop for an expiry-0 REGISTER.
    let registrar = trunk::registrar(&primary, "trunk_registrar_refresh", 3600, &log)?;
    let mut doc = trunk::document(&primary, None);
    trunk::apply(&mut daemon, &doc)?;
    trunk::wait_status(&mut daemon, "the primary registered", |s| {
        trunk::trunk_line(s, "primary").is_some_and(|l| l.contains(": registered"))
    })?;
    // The admin removes the provider: the box must release its binding at the provider
    // (not leave it to expire in an hour, still receiving calls for the tenant).
    doc["provider"] = Value::Null;
    trunk::apply_until(&mut daemon, &doc, "no trunk any more", |s| {
        s.contains("trunks: none configured")
    })?;
    let outcome = registrar.wait()?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_sipp(
        "registrar (expects REGISTER Expires 0 after the reload)",
        &outcome,
    );
    assert!(text.trim_end().ends_with("UNREGISTER"), "{text}");
    Ok(())
}

#[test]
fn outbound_proxy_carries_register_and_invite() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    // Nothing listens on the domain's port: everything must go to the proxy.
    let primary = Provider::primary()?.with_proxy()?;
    let doc = trunk::document(&primary, None);
    trunk::register(&mut daemon, &doc, &primary, None, &dir)?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "proxy")?;
    let facts = outbound_answered(&daemon, &primary, provider, "uac_call", OUTSIDE, &dir)?;
    // The Request-URI still names the provider's domain; only the next hop is the proxy.
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", primary.domain()),
        "{facts:?}"
    );
    Ok(())
}

#[test]
fn interval_too_brief_is_answered_with_min_expires() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let log = dir.path().join("primary.reg");
    let registrar = trunk::registrar(&primary, "trunk_registrar_423", 7200, &log)?;
    trunk::apply(&mut daemon, &trunk::document(&primary, None))?;
    let outcome = registrar.wait()?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_sipp("registrar (423, Min-Expires 7200)", &outcome);
    assert!(text.trim_end().ends_with("REGISTER ok"), "{text}");
    let status = trunk::wait_status(&mut daemon, "the primary registered", |s| {
        trunk::trunk_line(s, "primary").is_some_and(|l| l.contains(": registered"))
    })?;
    eprintln!("{status}");
    Ok(())
}

#[test]
fn calls_return_to_the_primary_once_it_registers_again() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let secondary = Provider::secondary()?;
    let broken = trunk::registrar(&primary, "trunk_reg503", 3600, &dir.path().join("p1.reg"))?;
    let good = trunk::registrar(
        &secondary,
        "trunk_registrar",
        3600,
        &dir.path().join("s.reg"),
    )?;
    trunk::apply(&mut daemon, &trunk::document(&primary, Some(&secondary)))?;
    assert_sipp("primary registrar (503)", &broken.wait()?);
    assert_sipp("secondary registrar", &good.wait()?);
    trunk::wait_status(&mut daemon, "the secondary active", |s| {
        trunk::trunk_line(s, "secondary").is_some_and(|l| l.ends_with("[active]"))
    })?;

    // The primary comes back: the box retries after its back-off (30 s plus up to 25 %
    // jitter), registers, and calls go back to it.
    let log = dir.path().join("p2.reg");
    let healed = trunk::registrar(&primary, "trunk_registrar", 3600, &log)?;
    let outcome = healed.wait()?;
    assert_sipp("primary registrar, healed", &outcome);
    let status = trunk::wait_status(&mut daemon, "the primary active again", |s| {
        trunk::trunk_line(s, "primary")
            .is_some_and(|l| l.contains(": registered") && l.ends_with("[active]"))
    })?;
    assert!(
        trunk::trunk_line(&status, "secondary").is_some_and(|l| !l.ends_with("[active]")),
        "{status}"
    );
    Ok(())
}

#[test]
fn sigterm_unregisters_from_both_providers() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let secondary = Provider::secondary()?;
    let (p_log, s_log) = (dir.path().join("p.reg"), dir.path().join("s.reg"));
    // Long grants: no refresh comes, the next REGISTER each gets is the expiry-0 one.
    let p = trunk::registrar(&primary, "trunk_registrar_refresh", 3600, &p_log)?;
    let s = trunk::registrar(&secondary, "trunk_registrar_refresh", 3600, &s_log)?;
    trunk::apply(&mut daemon, &trunk::document(&primary, Some(&secondary)))?;
    trunk::wait_status(&mut daemon, "both registered", |st| {
        ["primary", "secondary"]
            .iter()
            .all(|role| trunk::trunk_line(st, role).is_some_and(|l| l.contains(": registered")))
    })?;
    let exit = daemon.stop()?;
    assert!(exit.success(), "daemon exit status {exit}");
    for (role, sipp, log) in [("primary", p, p_log), ("secondary", s, s_log)] {
        let outcome = sipp.wait()?;
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        assert_sipp(&format!("{role} registrar (expects Expires 0)"), &outcome);
        assert!(text.trim_end().ends_with("UNREGISTER"), "{role}: {text}");
    }
    Ok(())
}

#[test]
fn public_address_from_rport_moves_the_registered_contact() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let log = dir.path().join("primary.reg");
    let registrar = trunk::registrar(&primary, "trunk_registrar_nat", 3600, &log)?;
    trunk::apply(&mut daemon, &trunk::document(&primary, None))?;
    let outcome = registrar.wait()?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert_sipp(
        "registrar (received/rport, then the public contact)",
        &outcome,
    );
    // The scenario itself enforces the order (challenge, ok, public contact); SIPp runs its
    // `<exec>` logging detached, so under load the log lines can land out of order.
    assert!(
        text.lines().any(|l| l.trim() == "REGISTER public contact"),
        "{text}"
    );
    let status = trunk::wait_status(&mut daemon, "the primary registered", |s| {
        trunk::trunk_line(s, "primary").is_some_and(|l| l.contains(": registered"))
    })?;
    eprintln!("{status}");
    Ok(())
}

#[test]
fn provider_replaced_by_a_reload_moves_the_registration() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let old = Provider::primary()?;
    let new = Provider::secondary()?;
    let (old_log, new_log) = (dir.path().join("old.reg"), dir.path().join("new.reg"));
    let old_registrar = trunk::registrar(&old, "trunk_registrar_refresh", 3600, &old_log)?;
    trunk::apply(&mut daemon, &trunk::document(&old, None))?;
    trunk::wait_status(&mut daemon, "the old provider registered", |s| {
        trunk::trunk_line(s, "primary").is_some_and(|l| l.contains(": registered"))
    })?;
    // The admin switches the tenant to another provider account.
    let new_registrar = trunk::registrar(&new, "trunk_registrar", 3600, &new_log)?;
    let domain = new.domain();
    trunk::apply_until(
        &mut daemon,
        &trunk::document(&new, None),
        "the new provider registered",
        |s| {
            trunk::trunk_line(s, "primary")
                .is_some_and(|l| l.contains(&domain) && l.contains(": registered"))
        },
    )?;
    assert_sipp("new provider's registrar", &new_registrar.wait()?);
    let outcome = old_registrar.wait()?;
    let text = std::fs::read_to_string(&old_log).unwrap_or_default();
    assert_sipp("old provider's registrar (expects Expires 0)", &outcome);
    assert!(text.trim_end().ends_with("UNREGISTER"), "{text}");
    Ok(())
}

#[test]
fn failover_to_secondary_when_the_primary_registrar_never_answers() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let secondary = Provider::secondary()?;
    // A socket that never answers: the REGISTER times out (timer F, 32 s).
    let _silent = std::net::UdpSocket::bind(primary.addr())
        .map_err(e2e::HarnessError::io("bind the silent primary"))?;
    let good = trunk::registrar(
        &secondary,
        "trunk_registrar",
        3600,
        &dir.path().join("secondary.reg"),
    )?;
    trunk::apply(&mut daemon, &trunk::document(&primary, Some(&secondary)))?;
    assert_sipp("secondary registrar", &good.wait()?);
    let mut last = String::new();
    e2e::wait::until(
        "the primary failed by timeout and the secondary active",
        Duration::from_secs(50),
        Duration::from_millis(500),
        || {
            last = trunk::status(&daemon).unwrap_or_default();
            let primary_failed =
                trunk::trunk_line(&last, "primary").is_some_and(|l| l.contains("failed"));
            let secondary_active = trunk::trunk_line(&last, "secondary")
                .is_some_and(|l| l.contains(": registered") && l.ends_with("[active]"));
            Ok((primary_failed && secondary_active).then_some(()))
        },
    )
    .map_err(|e| match e {
        e2e::HarnessError::Timeout { what, waited } => e2e::HarnessError::Timeout {
            what: format!("{what}; last status:\n{last}"),
            waited,
        },
        other => other,
    })?;
    eprintln!("{last}");
    assert!(daemon.is_running());
    Ok(())
}
