//! Traffic from the trunk side that is not a plain call: garbage, hostile display names,
//! strangers posing as the provider, other tenants' numbers, withheld callers, the
//! provider's OPTIONS pings.

use super::*;

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

#[test]
fn provider_options_ping_is_answered() -> Result<()> {
    let (daemon, primary, _dir) = inbound_setup(json!([rule(1, json!({}), "u11")]), |_| {})?;
    // Providers probe the PBX with OPTIONS and take it out of their routing when
    // nothing answers.
    let socket = std::net::UdpSocket::bind(primary.addr())
        .map_err(e2e::HarnessError::io("bind the provider port"))?;
    let client = e2e::sip_client::SipClient::with_socket(socket, daemon.sip)?;
    let ping = format!(
        "OPTIONS sip:{box_addr} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {me};branch=z9hG4bKprovping1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:ping@{me}>;tag=ping1\r\n\
         To: <sip:{box_addr}>\r\n\
         Call-ID: provider-ping-1@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n",
        box_addr = daemon.sip,
        me = primary.addr(),
    );
    client.send_raw(ping.as_bytes())?;
    let answer = client.recv_final(Duration::from_secs(5))?;
    let Some(answer) = answer else {
        panic!("the box did not answer its provider's OPTIONS");
    };
    eprintln!(
        "OPTIONS from the provider: {} {}",
        answer.code, answer.reason
    );
    assert_eq!(answer.code, 200, "{}", answer.raw);
    Ok(())
}

#[test]
fn provider_invite_with_an_oversized_display_name_is_answered_not_fatal() -> Result<()> {
    // Extension 13 never registers: a well-parsed call ends in 480.
    let (mut daemon, primary, _dir) = inbound_setup(json!([rule(1, json!({}), "u13")]), |_| {})?;
    let socket = std::net::UdpSocket::bind(primary.addr())
        .map_err(e2e::HarnessError::io("bind the provider port"))?;
    let client = e2e::sip_client::SipClient::with_socket(socket, daemon.sip)?;
    let name = "\\\"<b>&#x27;".repeat(300);
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
               m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n";
    let invite = format!(
        "INVITE sip:{DID_MAIN}@{box_addr} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {me};branch=z9hG4bKbigname1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: \"{name}\" <sip:699111222@{me}>;tag=big1\r\n\
         To: <sip:{DID_MAIN}@{box_addr}>\r\n\
         Call-ID: big-display-1@127.0.0.1\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:699111222@{me}>\r\n\
         Content-Type: application/sdp\r\n\
         Content-Length: {len}\r\n\r\n{sdp}",
        box_addr = daemon.sip,
        me = primary.addr(),
        len = sdp.len(),
    );
    client.send_raw(invite.as_bytes())?;
    let answer = client.recv_final(Duration::from_secs(10))?;
    let Some(answer) = answer else {
        panic!(
            "no final answer to an INVITE with a {}-byte display name",
            name.len()
        );
    };
    eprintln!("oversized display name: {} {}", answer.code, answer.reason);
    assert!(
        [400, 413, 480, 513].contains(&answer.code),
        "{}",
        answer.raw
    );
    assert!(daemon.is_running(), "the daemon died");
    assert!(trunk::status(&daemon)?.contains("trunk tenant"));
    Ok(())
}
