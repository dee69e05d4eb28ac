//! The provider calling the tenant's DIDs: route rules, forwards, refusals, hold, CANCEL,
//! calls that go back out, secondary and proxy addresses.

use super::*;

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
    // trunk account, the DID in To. The caller in E.164, as many providers send it: the
    // national pattern must still match.
    let call = InboundCall {
        did: DID_MAIN,
        request_user: Some(primary.username),
        caller: "+34699111222",
        display: "",
    };
    // Only extension 10 is registered: a call routed to 11 would fail with 480.
    inbound_answered(&daemon, &primary, &call, EXT10, &dir)?;
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    assert_eq!(trunk::field(&cdr, "did"), DID_MAIN, "{:?}", cdr.raw);
    Ok(())
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
fn did_unconditional_forward_bypasses_the_rules() -> Result<()> {
    let rules = json!([rule(1, json!({}), "u11")]);
    let (daemon, primary, dir) = inbound_setup(rules, |doc| {
        if let Some(did) = doc["dids"].get_mut(0) {
            did["forward"] = json!({ "kind": "extension", "ref": "u10" });
        }
    })?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    // Only extension 10 answers; the rule's extension 11 is not even registered.
    inbound_answered(&daemon, &primary, &call, EXT10, &dir)?;
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn did_dialled_in_international_format_is_the_same_did() -> Result<()> {
    let (daemon, primary, dir) = inbound_setup(json!([rule(1, json!({}), "u11")]), |_| {})?;
    let international = format!("+34{DID_MAIN}");
    let call = InboundCall {
        did: &international,
        request_user: None,
        caller: "+34699111222",
        display: "\"Cliente\"",
    };
    inbound_answered(&daemon, &primary, &call, EXT11, &dir)?;
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(trunk::field(&cdr, "did"), DID_MAIN, "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn voicemail_destination_is_answered_by_the_box() -> Result<()> {
    // Until the media server existed this destination got 503; now the box answers the
    // call itself (what the caller hears is checked in tests/voicemail.rs).
    let rules = json!([{
        "order": 1,
        "destination": { "kind": "voicemail", "ref": "vm-main" },
        "description": "to voicemail",
    }]);
    let (daemon, primary, dir) = inbound_setup(rules, |doc| {
        doc["voicemail_boxes"] = json!([{
            "id": "vm-main",
            "name": "Buzon",
            "number": "80",
            "email": "buzon@example.com",
            "pin": "1234",
        }]);
    })?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    let mut provider = trunk::provider_uac(&daemon, &primary, &call, "trunk_uac_in", &[], &dir)?;
    let a = provider.media()?;
    call::trigger_hangup(provider.sipp.local(), &a.call_id)?;
    assert_sipp("provider UAC (answered by voicemail)", &provider.finish()?);
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn provider_cancels_while_the_extension_rings() -> Result<()> {
    let (daemon, primary, dir) = inbound_setup(json!([rule(1, json!({}), "u11")]), |_| {})?;
    let ringing = call::callee(&daemon, EXT11, "uas_ring_cancel", &dir)?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    let provider = trunk::provider_uac(&daemon, &primary, &call, "trunk_uac_in_cancel", &[], &dir)?;
    assert_sipp("provider UAC (CANCEL, 487)", &provider.finish()?);
    assert_sipp("extension 11 (CANCEL relayed)", &ringing.finish()?);
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "no_answer", "{:?}", cdr.raw);
    assert!(cdr.answer_utc.is_none(), "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn did_destination_follows_another_dids_rules() -> Result<()> {
    let rules = json!([{
        "order": 1,
        "destination": { "kind": "did", "ref": "did-out" },
        "description": "same as the sales line",
    }]);
    let (daemon, primary, dir) = inbound_setup(rules, |doc| {
        if let Some(did) = doc["dids"].get_mut(1) {
            did["rules"] = json!([rule(1, json!({ "prefix": "Ventas: " }), "u10")]);
        }
    })?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    let from = inbound_answered(&daemon, &primary, &call, EXT10, &dir)?;
    assert!(from.starts_with("\"Ventas: Cliente\""), "{from}");
    Ok(())
}

#[test]
fn provider_calls_through_its_outbound_proxy_address() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?.with_proxy()?;
    let mut doc = trunk::document(&primary, None);
    trunk::set_rules(&mut doc, json!([rule(1, json!({}), "u11")]));
    trunk::register(&mut daemon, &doc, &primary, None, &dir)?;
    // Calls from the provider arrive through its proxy (an SBC), the address the box
    // registered through.
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    inbound_answered(&daemon, &primary, &call, EXT11, &dir)?;
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(
        trunk::field(&cdr, "trunk"),
        primary.trunk_name(),
        "{:?}",
        cdr.raw
    );
    Ok(())
}

#[test]
fn did_rule_to_an_external_number_goes_back_out_through_the_trunk() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let secondary = Provider::secondary()?;
    let mut doc = trunk::document(&primary, Some(&secondary));
    doc["external_numbers"] = json!([{ "id": "x-guardia", "number": OUTSIDE }]);
    trunk::set_rules(
        &mut doc,
        json!([{
            "order": 1,
            "destination": { "kind": "external", "ref": "x-guardia" },
            "description": "on-call mobile",
        }]),
    );
    trunk::register(&mut daemon, &doc, &primary, Some(&secondary), &dir)?;
    // The call comes in from the secondary provider's address (so the primary's port is
    // free for the provider's UAS) and must go out through the active primary.
    let mut out = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "out")?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    let mut incoming = trunk::provider_uac(&daemon, &secondary, &call, "trunk_uac_in", &[], &dir)?;
    let b = out.sipp.media(ANSWER_LIMIT)?;
    let a = incoming.media()?;
    let exchange = rtp::exchange(&incoming.rtp, a.relay, &out.rtp, b.relay, PACKETS)?;
    call::trigger_hangup(incoming.sipp.local(), &a.call_id)?;
    let facts = invite_facts(&out.sipp.marker(".invite", ANSWER_LIMIT)?);
    eprintln!("provider saw: {facts:?}");
    assert_sipp("provider UAC (inbound)", &incoming.finish()?);
    assert_sipp("provider UAS (outbound leg)", &out.sipp.finish()?);
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", primary.domain()),
        "{facts:?}"
    );
    assert!(
        exchange.b_received.from_peer >= MIN_RELAYED
            && exchange.a_received.from_peer >= MIN_RELAYED,
        "RTP from trunk to trunk: {exchange:?}"
    );
    // The provider lets a call with a foreign caller out when it names our DID.
    assert_eq!(uri_user(&fact(&facts, "pai")), DID_MAIN, "{facts:?}");
    assert!(fact(&facts, "diversion").contains(DID_MAIN), "{facts:?}");
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    assert_eq!(trunk::field(&cdr, "did"), DID_MAIN, "{:?}", cdr.raw);
    // The incoming record names the trunk the call came in on (a call straight to an
    // extension from the secondary does: see the test below).
    assert_eq!(
        trunk::field(&cdr, "trunk"),
        secondary.trunk_name(),
        "the call came in through the secondary: {:?}",
        cdr.raw
    );
    // Every leg has its record (SPEC §9): the one that went back out too.
    let out = trunk::wait_cdr(&daemon, "the outgoing leg's CDR", |c| {
        trunk::field(c, "direction") == "outgoing"
    })?;
    assert_eq!(out.destination, OUTSIDE, "{:?}", out.raw);
    assert_eq!(
        trunk::field(&out, "trunk"),
        primary.trunk_name(),
        "{:?}",
        out.raw
    );
    Ok(())
}

#[test]
fn call_from_the_secondary_provider_is_recorded_with_that_trunk() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let primary = Provider::primary()?;
    let secondary = Provider::secondary()?;
    let mut doc = trunk::document(&primary, Some(&secondary));
    trunk::set_rules(&mut doc, json!([rule(1, json!({}), "u11")]));
    trunk::register(&mut daemon, &doc, &primary, Some(&secondary), &dir)?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    inbound_answered(&daemon, &secondary, &call, EXT11, &dir)?;
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(
        trunk::field(&cdr, "trunk"),
        secondary.trunk_name(),
        "the call came in through the secondary: {:?}",
        cdr.raw
    );
    Ok(())
}

#[test]
fn caller_known_as_an_alias_is_shown_by_the_alias_name() -> Result<()> {
    let rules = json!([rule(1, json!({ "prefix": "Ventas: " }), "u11")]);
    let (daemon, primary, dir) = inbound_setup(rules, |doc| {
        doc["aliases"] = json!([{
            "id": "a-tienda",
            "alias": "55",
            "number": "699111222",
            "display_name": "Tienda"
        }]);
    })?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "+34699111222",
        display: "\"Unknown\"",
    };
    let from = inbound_answered(&daemon, &primary, &call, EXT11, &dir)?;
    assert!(
        from.starts_with("\"Ventas: Tienda\""),
        "the alias's name (after the rule's prefix) instead of what the provider sent: {from}"
    );
    Ok(())
}

#[test]
fn provider_holds_and_resumes_an_inbound_call() -> Result<()> {
    let (daemon, primary, dir) = inbound_setup(json!([rule(1, json!({}), "u11")]), |_| {})?;
    let mut phone = call::callee(&daemon, EXT11, "uas_hold", &dir)?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    let mut provider =
        trunk::provider_uac(&daemon, &primary, &call, "trunk_uac_in_hold", &[], &dir)?;
    // Both scenarios check the sendonly / recvonly / sendrecv exchange themselves.
    let a = provider.media_after_resume()?;
    let b = phone.media_after_resume()?;
    let exchange = rtp::exchange(&provider.rtp, a.relay, &phone.rtp, b.relay, PACKETS)?;
    call::trigger_hangup(provider.sipp.local(), &a.call_id)?;
    assert_sipp("provider UAC (hold, resume)", &provider.finish()?);
    assert_sipp("extension 11 (re-INVITEs relayed)", &phone.finish()?);
    assert!(
        exchange.a_received.from_peer >= MIN_RELAYED
            && exchange.b_received.from_peer >= MIN_RELAYED,
        "RTP after the resume: {exchange:?}"
    );
    Ok(())
}

#[test]
fn provider_late_offer_invite_without_sdp() -> Result<()> {
    let (daemon, primary, dir) = inbound_setup(json!([rule(1, json!({}), "u11")]), |_| {})?;
    let mut phone = call::callee(&daemon, EXT11, "uas_late", &dir)?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    let mut provider =
        trunk::provider_uac(&daemon, &primary, &call, "trunk_uac_in_late", &[], &dir)?;
    // Provider: the box's offer arrived in the 200. Extension: the answer in the ACK.
    let a = provider.media()?;
    let b = phone.media()?;
    let exchange = rtp::exchange(&provider.rtp, a.relay, &phone.rtp, b.relay, PACKETS)?;
    call::trigger_hangup(provider.sipp.local(), &a.call_id)?;
    assert_sipp("provider UAC (late offer)", &provider.finish()?);
    assert_sipp("extension 11 (offer in its 200)", &phone.finish()?);
    assert!(
        exchange.a_received.from_peer >= MIN_RELAYED
            && exchange.b_received.from_peer >= MIN_RELAYED,
        "RTP after a late offer from the trunk: {exchange:?}"
    );
    Ok(())
}

#[test]
fn forward_on_no_answer_rings_the_other_extension() -> Result<()> {
    // Extension 12 rings for 2 seconds (the test tenant), then forwards to 10.
    let rules = json!([rule(1, json!({}), "u12")]);
    let (daemon, primary, dir) = inbound_setup(rules, |doc| {
        trunk::set_user(
            doc,
            "u12",
            "forward_no_answer",
            json!({ "kind": "extension", "ref": "u10" }),
        )
    })?;
    let ringing = call::callee(&daemon, e2e::tenant::EXT12, "uas_ring_cancel", &dir)?;
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "699111222",
        display: "\"Cliente\"",
    };
    inbound_answered(&daemon, &primary, &call, EXT10, &dir)?;
    assert_sipp(
        "extension 12 (rings, CANCEL after its ring time)",
        &ringing.finish()?,
    );
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn queue_destination_gets_503_until_queues_exist() -> Result<()> {
    // Queues come after the media server (issue 4 gave prompts, IVRs and voicemail; the
    // prompt-then-hangup half of this test now lives in tests/ivr.rs).
    let rules = json!([{
        "order": 1,
        "destination": { "kind": "queue", "ref": "q-ventas" },
    }]);
    let (daemon, primary, dir) = inbound_setup(rules, |doc| {
        doc["queues"] = json!([{
            "id": "q-ventas", "name": "Ventas", "number": "70", "strategy": "ring-all",
            "members": [{ "user": "u11" }],
        }]);
    })?;
    let line = inbound_refused(&daemon, &primary, DID_MAIN, "503", &dir)?;
    assert!(line.starts_with("503"), "{line}");
    Ok(())
}
