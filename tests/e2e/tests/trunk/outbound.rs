//! Extensions calling out through the trunk: caller-ID modes, aliases, permissions.

use super::*;

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
    // The record names the number called, not the prefixed string dialled.
    assert_eq!(cdr.destination, OUTSIDE, "{:?}", cdr.raw);
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
    // The record names the number called, not the alias dialled.
    assert_eq!(cdr.destination, OUTSIDE, "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn internal_only_user_cannot_call_out() -> Result<()> {
    let (status_line, daemon) = outbound_refused(
        |doc| trunk::set_user(doc, "u10", "internal_only", json!(true)),
        OUTSIDE,
    )?;
    assert!(status_line.starts_with("403"), "{status_line}");
    assert!(
        status_line.to_lowercase().contains("internal"),
        "the reason must say why: {status_line}"
    );
    let cdr = trunk::wait_cdr(&daemon, "CDR of the refused call", |c| {
        c.destination.contains(OUTSIDE)
    })?;
    assert_ne!(cdr.disposition, "answered", "{:?}", cdr.raw);
    assert_eq!(trunk::field(&cdr, "direction"), "outgoing", "{:?}", cdr.raw);
    // The record must say what the phone was told: the user may not call out at all,
    // not that this class of number is barred.
    assert!(
        cdr.hangup_cause.contains("internal"),
        "CDR cause {:?} hides that the user is internal-only: {:?}",
        cdr.hangup_cause,
        cdr.raw
    );
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

#[test]
fn provider_hangs_up_an_outbound_call() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|_| {})?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    outbound_answered_within(
        &daemon,
        &primary,
        provider,
        "uac_call",
        OUTSIDE,
        &dir,
        Duration::ZERO,
        Hangup::Provider,
    )?;
    let cdr = trunk::wait_cdr(&daemon, "outgoing CDR", |c| {
        trunk::field(c, "direction") == "outgoing"
    })?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn busy_forward_to_an_external_number_goes_out_through_the_trunk() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|doc| {
        doc["external_numbers"] = json!([{ "id": "x-movil", "number": OUTSIDE }]);
        trunk::set_user(
            doc,
            "u11",
            "forward_busy",
            json!({ "kind": "external", "ref": "x-movil" }),
        );
    })?;
    let busy = call::callee(&daemon, EXT11, "uas_busy", &dir)?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let facts = outbound_answered(&daemon, &primary, provider, "uac_call", "11", &dir)?;
    assert_sipp("extension 11 (486 busy)", &busy.finish()?);
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", primary.domain()),
        "{facts:?}"
    );
    Ok(())
}

#[test]
fn mobile_twinning_rings_the_mobile_through_the_trunk() -> Result<()> {
    let mobile = "600999888";
    let (daemon, primary, dir) =
        outbound_setup(|doc| trunk::set_user(doc, "u11", "mobile", json!(mobile)))?;
    // The desk phone rings and is cancelled when the mobile (the provider) answers.
    let desk = call::callee(&daemon, EXT11, "uas_ring_cancel", &dir)?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let facts = outbound_answered(&daemon, &primary, provider, "uac_call", "11", &dir)?;
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{mobile}@{}", primary.domain()),
        "{facts:?}"
    );
    assert_sipp("extension 11 (rings, then CANCEL)", &desk.finish()?);
    Ok(())
}

#[test]
fn international_call_allowed_for_one_extension_goes_out() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|doc| {
        doc["modules"] = json!([{
            "name": "call-permissions",
            "enabled": true,
            "config": { "extensions": { "10": { "allow": ["international"] } } }
        }]);
    })?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let facts = outbound_answered(
        &daemon,
        &primary,
        provider,
        "uac_call",
        "00442071234567",
        &dir,
    )?;
    let ruri = fact(&facts, "ruri");
    assert!(
        ruri.contains("442071234567") && ruri.ends_with(&format!("@{}", primary.domain())),
        "{facts:?}"
    );
    Ok(())
}

#[test]
fn concurrent_outbound_cap_refuses_the_second_call_with_503() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|doc| {
        doc["modules"] = json!([{
            "name": "call-permissions",
            "enabled": true,
            "config": { "max_outbound_calls": 1 }
        }]);
    })?;
    let mut provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let mut first = call::caller(&daemon, EXT10, OUTSIDE, "uac_call", &[], &dir)?;
    provider.sipp.media(ANSWER_LIMIT)?;
    let a = first.media()?;

    // One call is up: the tenant's only trunk channel is taken.
    let mut second = call::caller(
        &daemon,
        EXT11,
        "600654321",
        "trunk_ext_reject",
        &[("__EXPECTED__", "503")],
        &dir,
    )?;
    let status_line = trunk::read_marker(&mut second, ".final")?;
    assert_sipp("extension 11 (expects 503, cap reached)", &second.finish()?);
    assert!(status_line.starts_with("503"), "{status_line}");

    call::trigger_hangup(first.sipp.local(), &a.call_id)?;
    assert_sipp("extension 10 (the call that fits)", &first.finish()?);
    assert_sipp("provider UAS", &provider.sipp.finish()?);
    let cdr = trunk::wait_cdr(&daemon, "the refused call's CDR", |c| {
        c.destination.contains("600654321")
    })?;
    assert_eq!(cdr.hangup_cause, "outbound-cap", "{:?}", cdr.raw);

    // The first call ended: its slot is free again. (A fresh folder: the media files
    // of extension 10's first call must not be read as this call's.)
    let again = call::scratch()?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &again, "primary")?;
    outbound_answered(&daemon, &primary, provider, "uac_call", OUTSIDE, &again)?;
    Ok(())
}

#[test]
fn e164_trunk_format_is_what_the_provider_gets() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|doc| {
        doc["modules"] = json!([{
            "name": "call-permissions",
            "enabled": true,
            "config": { "numbering": { "trunk_format": "e164" } }
        }]);
    })?;
    let provider = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "primary")?;
    let facts = outbound_answered(
        &daemon,
        &primary,
        provider,
        "uac_call",
        "0034600123456",
        &dir,
    )?;
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:+34{OUTSIDE}@{}", primary.domain()),
        "{facts:?}"
    );
    Ok(())
}

#[test]
fn each_tenant_calls_out_through_its_own_provider() -> Result<()> {
    let (mut daemon, primary, dir) = outbound_setup(|_| {})?;
    let other_provider = Provider::secondary()?;
    let other = json!({
        "schema": 1,
        "tenant": { "id": 30303, "name": "Other", "max_extensions": 5,
                    "timezone": "UTC", "created": "2024-01-02" },
        "provider": {
            "username": other_provider.username,
            "password": other_provider.password,
            "domain": other_provider.domain(),
        },
        "dids": [{ "id": "o-main", "number": "915551234" }],
        "users": [{ "id": "o10", "extension": "10", "full_name": "Other 10",
                    "email": "o10@example.com", "sip_password": "other-secret-10",
                    "caller_id": "o-main" }],
    });
    let registrar = trunk::registrar(
        &other_provider,
        "trunk_registrar",
        3600,
        &dir.path().join("other.reg"),
    )?;
    trunk::apply_until(&mut daemon, &other, "the other tenant registered", |s| {
        s.lines()
            .any(|l| l.starts_with("trunk tenant 30303") && l.contains(": registered"))
    })?;
    assert_sipp("other tenant's registrar", &registrar.wait()?);

    // Both providers listen; only the other tenant's may get its extension's call.
    let own = trunk::provider_uas(&primary, "trunk_uas_out", &dir, "own")?;
    let mut theirs = trunk::provider_uas(&other_provider, "trunk_uas_out", &dir, "theirs")?;
    let rtp = e2e::rtp::RtpEndpoint::new(*b"E2EO")?;
    let media_file = dir.path().join("other-10.media");
    let caller = e2e::sipp::SippBuilder::new("uac_call")
        .remote(daemon.sip)
        .service(OUTSIDE)
        .auth("ext3030310", "other-secret-10")
        .key("caller", "ext3030310")
        .key("rtp_ip", "127.0.0.1")
        .key("rtp_port", rtp.local.port())
        .key("media_file", media_file.display())
        .spawn()?;
    theirs.sipp.media(ANSWER_LIMIT)?;
    let a = e2e::rtp::MediaInfo::wait(&media_file, ANSWER_LIMIT)?;
    call::trigger_hangup(caller.local(), &a.call_id)?;
    let facts = invite_facts(&theirs.sipp.marker(".invite", ANSWER_LIMIT)?);
    assert_sipp("tenant 30303 extension 10", &caller.wait()?);
    assert_sipp("tenant 30303's provider", &theirs.sipp.finish()?);
    assert_eq!(uri_user(&fact(&facts, "from")), "915551234", "{facts:?}");
    if let Err(why) = trunk::check_invite_digest(&fact(&facts, "proxy_auth"), &other_provider) {
        panic!("tenant 30303's call authenticated with the wrong account: {why}");
    }
    assert!(
        !own.sipp.marker_path(".invite").exists(),
        "tenant 30303's call went to tenant 20191's provider"
    );
    Ok(())
}

#[test]
fn early_media_from_the_provider_reaches_the_extension_before_the_answer() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|_| {})?;
    let mut provider = trunk::provider_uas(&primary, "trunk_uas_out_early", &dir, "primary")?;
    let mut caller = call::caller(&daemon, EXT10, OUTSIDE, "uac_early", &[], &dir)?;
    let b = provider.sipp.media(ANSWER_LIMIT)?;
    // The extension learns the box's media address from the relayed 183.
    let a = caller.media()?;
    let early = rtp::exchange(&caller.rtp, a.relay, &provider.rtp, b.relay, PACKETS)?;
    // Ringback/announcements: the network's early media must reach the phone.
    assert!(
        early.a_received.from_peer >= MIN_RELAYED,
        "early media from the provider did not reach the extension: {early:?}"
    );
    call::trigger(provider.sipp.local(), &b.call_id)?;
    caller.wait_marker(".answered")?;
    let after = rtp::exchange(&caller.rtp, a.relay, &provider.rtp, b.relay, PACKETS)?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    assert_sipp("extension 10 (183, then 200)", &caller.finish()?);
    assert_sipp("provider UAS (early media)", &provider.sipp.finish()?);
    assert!(
        after.a_received.from_peer >= MIN_RELAYED && after.b_received.from_peer >= MIN_RELAYED,
        "RTP after the answer: {after:?}"
    );
    let cdr = trunk::wait_cdr(&daemon, "outgoing CDR", |c| {
        trunk::field(c, "direction") == "outgoing"
    })?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn extension_gives_up_while_the_outside_number_rings() -> Result<()> {
    let (daemon, primary, dir) = outbound_setup(|_| {})?;
    let mut provider = trunk::provider_uas(&primary, "trunk_uas_ring_cancel", &dir, "primary")?;
    // uac_cancel waits for the 180, then CANCELs and expects 487.
    let caller = call::caller(&daemon, EXT10, OUTSIDE, "uac_cancel", &[], &dir)?;
    let facts = invite_facts(&provider.sipp.marker(".invite", ANSWER_LIMIT)?);
    assert_sipp("extension 10 (CANCEL, 487)", &caller.finish()?);
    assert_sipp("provider UAS (CANCEL relayed)", &provider.sipp.finish()?);
    assert_eq!(
        fact(&facts, "ruri"),
        format!("sip:{OUTSIDE}@{}", primary.domain()),
        "{facts:?}"
    );
    let cdr = trunk::wait_cdr(&daemon, "outgoing CDR", |c| {
        trunk::field(c, "direction") == "outgoing"
    })?;
    assert_eq!(cdr.disposition, "no_answer", "{:?}", cdr.raw);
    assert!(cdr.answer_utc.is_none(), "{:?}", cdr.raw);
    Ok(())
}
