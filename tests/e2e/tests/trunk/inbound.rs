//! The provider calling the tenant's DIDs: route rules, refusals, forwards, bad input.

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

#[test]
fn stranger_cannot_call_a_did_as_if_it_were_the_provider() -> Result<()> {
    let (daemon, _primary, dir) = inbound_setup(json!([rule(1, json!({}), "u11")]), |_| {})?;
    // Same INVITE as the provider's, from another port of the same host: the box must
    // not trust it (only the provider's exact address is), so it asks for credentials.
    let stranger = e2e::ports::free_port("stranger", false)?;
    let line = inbound_refused_from(&daemon, stranger, DID_MAIN, "407", &dir)?;
    assert!(line.starts_with("407"), "{line}");
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
fn destination_that_needs_the_media_server_gets_503_not_silence() -> Result<()> {
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
    let line = inbound_refused(&daemon, &primary, DID_MAIN, "503", &dir)?;
    assert!(line.starts_with("503"), "{line}");
    let cdr = incoming_cdr(&daemon)?;
    assert_ne!(cdr.disposition, "answered", "{:?}", cdr.raw);
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
fn route_cli_manual_examples_and_a_window_over_midnight() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let primary = Provider::primary()?;
    let mut doc = trunk::document(&primary, None);
    trunk::set_rules(
        &mut doc,
        json!([
            rule(
                1,
                json!({ "year": "202[1-5]", "description": "years" }),
                "u10"
            ),
            rule(
                2,
                json!({ "month": "(03|06)", "day": "0[5-9]|1[0-9]|2[0-5]",
                            "description": "spring days" }),
                "u11"
            ),
            rule(
                3,
                json!({ "start": "20:00", "end": "08:00", "description": "night" }),
                "u12"
            ),
        ]),
    );
    trunk::apply(&mut daemon, &doc)?;
    let route = |at: &str| -> Result<String> {
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
    let matched = |text: &str| -> Option<String> {
        text.lines()
            .find(|l| l.contains("MATCHES"))
            .and_then(|l| l.split_whitespace().nth(1))
            .map(str::to_string)
    };
    for (at, want) in [
        ("2024-07-01T12:00", Some("1")),
        ("2026-03-10T12:00", Some("2")),
        ("2026-06-25T12:00", Some("2")),
        ("2026-03-26T12:00", None),
        ("2026-03-26T02:00", Some("3")),
        ("2026-03-26T20:00", Some("3")),
        ("2026-03-26T08:00", Some("3")),
        ("2026-03-26T08:01", None),
        ("2026-03-26T19:59", None),
    ] {
        let text = route(at)?;
        assert_eq!(matched(&text).as_deref(), want, "at {at}:\n{text}");
        if want.is_none() {
            assert!(text.contains("480"), "at {at}:\n{text}");
        }
    }
    Ok(())
}

#[test]
fn invalid_rule_pattern_is_refused_at_import_with_its_location() -> Result<()> {
    let mut daemon = Daemon::start()?;
    let primary = Provider::primary()?;
    let mut doc = trunk::document(&primary, None);
    trunk::set_rules(
        &mut doc,
        json!([rule(1, json!({ "month": "(03|06" }), "u11")]),
    );
    let refused = trunk::apply(&mut daemon, &doc);
    let Err(e2e::HarnessError::Subcommand { stderr, .. }) = refused else {
        panic!("a document with the pattern (03|06 was not refused: {refused:?}");
    };
    assert!(stderr.contains("rules[0].month"), "{stderr}");
    assert!(stderr.contains("(03|06"), "{stderr}");
    assert!(daemon.is_running());
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
fn a_provider_cannot_reach_another_tenants_did() -> Result<()> {
    let (mut daemon, primary, dir) = inbound_setup(json!([rule(1, json!({}), "u11")]), |_| {})?;
    // A second tenant on the same box, with its own provider, DID and extension.
    let other_provider = Provider::secondary()?;
    let other_did = "915551234";
    let other = json!({
        "schema": 1,
        "tenant": { "id": 30303, "name": "Other", "max_extensions": 5,
                    "timezone": "UTC", "created": "2024-01-02" },
        "provider": {
            "username": other_provider.username,
            "password": other_provider.password,
            "domain": other_provider.domain(),
        },
        "dids": [{ "id": "o-main", "number": other_did,
                   "rules": [rule(1, json!({}), "o10")] }],
        "users": [{ "id": "o10", "extension": "10", "full_name": "Other 10",
                    "email": "o10@example.com", "sip_password": "other-secret-10" }],
    });
    trunk::apply_until(&mut daemon, &other, "the other tenant's trunk", |s| {
        s.contains("trunk tenant 30303")
    })?;
    // Tenant 20191's provider dials tenant 30303's DID: to that provider the number
    // does not exist (404, as for any unknown DID), whatever the box serves besides.
    let line = inbound_refused(&daemon, &primary, other_did, "404", &dir)?;
    assert!(line.starts_with("404"), "{line}");
    assert!(!line.contains("Other") && !line.contains("30303"), "{line}");
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
fn withheld_caller_is_routed_and_shown_as_anonymous() -> Result<()> {
    let rules = json!([
        rule(
            1,
            json!({ "caller_id": "6[0-9]+", "description": "mobiles" }),
            "u10"
        ),
        rule(2, json!({ "description": "everyone else" }), "u11"),
    ]);
    let (daemon, primary, dir) = inbound_setup(rules, |_| {})?;
    // What providers send for a withheld number (RFC 3323 style).
    let call = InboundCall {
        did: DID_MAIN,
        request_user: None,
        caller: "anonymous",
        display: "\"Anonymous\"",
    };
    let from = inbound_answered(&daemon, &primary, &call, EXT11, &dir)?;
    assert!(from.to_lowercase().contains("anonymous"), "{from}");
    let cdr = incoming_cdr(&daemon)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}
