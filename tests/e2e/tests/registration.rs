//! Registrar behaviour seen from real clients: SIPp for the plain digest exchange, the
//! harness's raw client where exact headers matter (challenge shape, bindings).

use e2e::digest::Challenge;
use e2e::sip_client::{Register, Response, SipClient};
use e2e::sipp::SippBuilder;
use e2e::tenant::{EXT10, EXT11};
use e2e::{Daemon, Result};

#[test]
fn sipp_registers_with_digest_auth() -> Result<()> {
    let daemon = Daemon::start()?;
    let outcome = SippBuilder::new("reg_ok")
        .remote(daemon.sip)
        .auth(&EXT10.username(), EXT10.password)
        .key("caller", EXT10.username())
        .spawn()?
        .wait()?;
    assert!(
        outcome.success(),
        "REGISTER with the right password failed:\n{}",
        outcome.log
    );
    Ok(())
}

#[test]
fn sipp_wrong_password_is_refused() -> Result<()> {
    let daemon = Daemon::start()?;
    let outcome = SippBuilder::new("reg_wrong")
        .remote(daemon.sip)
        .auth(&EXT10.username(), "not-the-password")
        .key("caller", EXT10.username())
        .spawn()?
        .wait()?;
    assert!(
        outcome.success(),
        "REGISTER with a wrong password did not end in 401/403:\n{}",
        outcome.log
    );
    Ok(())
}

#[test]
fn wrong_password_gets_401_or_403() -> Result<()> {
    let daemon = Daemon::start()?;
    let mut client = SipClient::new(daemon.sip)?;
    let reg = Register {
        contact: Some(client.own_contact(&EXT10)),
        expires: Some(120),
    };
    let (_, response) = client.register_with(&EXT10.username(), "wrong", "MD5", &reg)?;
    assert!(
        matches!(response.code, 401 | 403),
        "wrong password answered {}:\n{}",
        response.code,
        response.raw
    );
    Ok(())
}

/// `centralita run` option that adds the RFC 8760 SHA-256 challenge (the default
/// offers MD5 only, see FINDINGS.md on baresip).
const WITH_SHA256: &[&str] = &["--digest", "md5,sha-256"];

#[test]
fn sha256_digest_registers() -> Result<()> {
    let daemon = Daemon::start_with_args(WITH_SHA256)?;
    let mut client = SipClient::new(daemon.sip)?;
    let reg = Register {
        contact: Some(client.own_contact(&EXT11)),
        expires: Some(120),
    };
    let (_, response) = client.register_with(&EXT11.username(), EXT11.password, "SHA-256", &reg)?;
    assert_eq!(response.code, 200, "{}", response.raw);
    Ok(())
}

/// Everything about a challenge an attacker could compare, minus the per-challenge
/// random values (nonce, opaque) whose lengths are kept instead.
fn shape(response: &Response) -> Result<String> {
    let names: Vec<String> = response
        .headers
        .iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .collect();
    let mut challenges = Vec::new();
    for challenge in response.challenges()? {
        let params: Vec<String> = challenge
            .params
            .iter()
            .map(|(k, v)| match k.as_str() {
                "nonce" | "opaque" => format!("{k}=<{} chars>", v.len()),
                _ => format!("{k}={v}"),
            })
            .collect();
        challenges.push(params.join(","));
    }
    Ok(format!(
        "{} {} | headers {:?} | challenges {:?} | body {} bytes",
        response.code,
        response.reason,
        names,
        challenges,
        response.body.len()
    ))
}

fn assert_same_challenge_for_everyone(daemon: &Daemon, algorithms: &[&str]) -> Result<()> {
    let mut known = SipClient::new(daemon.sip)?;
    let mut unknown = SipClient::new(daemon.sip)?;
    let mut stranger = SipClient::new(daemon.sip)?;
    let reg_known = Register {
        contact: Some(known.own_contact(&EXT10)),
        expires: Some(120),
    };
    let known_401 = known.register_unauthenticated(&EXT10.username(), &reg_known)?;
    // Same length as a real username, and a name outside the tenant scheme entirely.
    let unknown_user = format!("ext{}99", e2e::TENANT_ID);
    let reg_unknown = Register {
        contact: Some(format!("<sip:{unknown_user}@{}>", unknown.local)),
        expires: Some(120),
    };
    let unknown_401 = unknown.register_unauthenticated(&unknown_user, &reg_unknown)?;
    let reg_stranger = Register {
        contact: Some(format!("<sip:mallory@{}>", stranger.local)),
        expires: Some(120),
    };
    let stranger_401 = stranger.register_unauthenticated("mallory", &reg_stranger)?;

    assert_eq!(known_401.code, 401, "{}", known_401.raw);
    let offered: Vec<String> = known_401
        .challenges()?
        .iter()
        .map(Challenge::algorithm)
        .collect();
    assert_eq!(offered, algorithms, "offered digest algorithms");
    let realm = known_401
        .challenges()?
        .first()
        .and_then(|c| c.param("realm").map(str::to_string));
    assert_eq!(realm.as_deref(), Some("centralita"));
    assert_eq!(
        shape(&unknown_401)?,
        shape(&known_401)?,
        "unknown user is distinguishable"
    );
    assert_eq!(
        shape(&stranger_401)?,
        shape(&known_401)?,
        "stranger is distinguishable"
    );
    Ok(())
}

#[test]
fn unknown_user_gets_exactly_the_same_challenge() -> Result<()> {
    assert_same_challenge_for_everyone(&Daemon::start()?, &["MD5"])
}

#[test]
fn unknown_user_gets_exactly_the_same_challenge_with_sha256() -> Result<()> {
    let daemon = Daemon::start_with_args(WITH_SHA256)?;
    assert_same_challenge_for_everyone(&daemon, &["MD5", "SHA-256"])
}

fn has_contact(response: &Response, client: &SipClient) -> bool {
    let port = format!(":{}", client.local.port());
    response
        .contacts()
        .iter()
        .any(|c| c.contains(&port) && c.contains("127.0.0.1"))
}

#[test]
fn binding_query_and_unregister() -> Result<()> {
    let daemon = Daemon::start()?;
    let mut phone = SipClient::new(daemon.sip)?;
    let mut other = SipClient::new(daemon.sip)?;
    let mut query = SipClient::new(daemon.sip)?;

    let register = Register {
        contact: Some(phone.own_contact(&EXT10)),
        expires: Some(300),
    };
    let ok = phone.register(&EXT10, &register)?;
    assert_eq!(ok.code, 200, "REGISTER:\n{}", ok.raw);
    assert!(
        has_contact(&ok, &phone),
        "200 must list the new binding:\n{}",
        ok.raw
    );

    // A second device of the same user: both bindings coexist.
    let second = Register {
        contact: Some(other.own_contact(&EXT10)),
        expires: Some(300),
    };
    let ok2 = other.register(&EXT10, &second)?;
    assert_eq!(ok2.code, 200, "second REGISTER:\n{}", ok2.raw);

    let listed = query.register(&EXT10, &Register::default())?;
    assert_eq!(listed.code, 200, "binding query:\n{}", listed.raw);
    assert!(
        has_contact(&listed, &phone),
        "query must list the first binding:\n{}",
        listed.raw
    );
    assert!(
        has_contact(&listed, &other),
        "query must list the second binding:\n{}",
        listed.raw
    );

    let unregister = Register {
        contact: Some(phone.own_contact(&EXT10)),
        expires: Some(0),
    };
    let gone = phone.register(&EXT10, &unregister)?;
    assert_eq!(gone.code, 200, "unregister:\n{}", gone.raw);
    assert!(
        !has_contact(&gone, &phone),
        "unregistered contact still listed:\n{}",
        gone.raw
    );

    let after = query.register(&EXT10, &Register::default())?;
    assert_eq!(
        after.code, 200,
        "binding query after unregister:\n{}",
        after.raw
    );
    assert!(
        !has_contact(&after, &phone),
        "unregistered contact still listed:\n{}",
        after.raw
    );
    assert!(
        has_contact(&after, &other),
        "the other binding must survive:\n{}",
        after.raw
    );
    Ok(())
}

#[test]
fn options_is_answered() -> Result<()> {
    let daemon = Daemon::start()?;
    let mut client = SipClient::new(daemon.sip)?;
    let response = client.options()?;
    assert_eq!(response.code, 200, "{}", response.raw);
    Ok(())
}

#[test]
fn unknown_caller_gets_the_same_invite_challenge() -> Result<()> {
    let daemon = Daemon::start()?;
    let known = SipClient::new(daemon.sip)?.invite_unauthenticated(&EXT10.username(), "11")?;
    let unknown_user = format!("ext{}99", e2e::TENANT_ID);
    let unknown = SipClient::new(daemon.sip)?.invite_unauthenticated(&unknown_user, "11")?;
    assert_eq!(known.code, 407, "{}", known.raw);
    assert_eq!(
        shape(&unknown)?,
        shape(&known)?,
        "unknown caller is distinguishable"
    );
    Ok(())
}

#[test]
fn too_brief_interval_gets_423_with_min_expires() -> Result<()> {
    let daemon = Daemon::start()?;
    let mut phone = SipClient::new(daemon.sip)?;
    let reg = Register {
        contact: Some(phone.own_contact(&EXT10)),
        expires: Some(1),
    };
    let response = phone.register(&EXT10, &reg)?;
    assert_eq!(response.code, 423, "{}", response.raw);
    let min: Option<u32> = response
        .header("min-expires")
        .and_then(|v| v.trim().parse().ok());
    assert!(
        min.is_some_and(|m| m > 1),
        "423 without a usable Min-Expires:\n{}",
        response.raw
    );
    Ok(())
}

#[test]
fn contact_expires_parameter_is_honoured() -> Result<()> {
    let daemon = Daemon::start()?;
    let mut phone = SipClient::new(daemon.sip)?;
    let mut query = SipClient::new(daemon.sip)?;
    // The contact parameter wins over the Expires header (RFC 3261 §10.2.1.1).
    let register = Register {
        contact: Some(format!("{};expires=300", phone.own_contact(&EXT10))),
        expires: Some(0),
    };
    let ok = phone.register(&EXT10, &register)?;
    assert_eq!(ok.code, 200, "{}", ok.raw);
    assert!(
        has_contact(&ok, &phone),
        "binding with expires=300 missing:\n{}",
        ok.raw
    );

    let unregister = Register {
        contact: Some(format!("{};expires=0", phone.own_contact(&EXT10))),
        expires: Some(300),
    };
    let gone = phone.register(&EXT10, &unregister)?;
    assert_eq!(gone.code, 200, "{}", gone.raw);
    let listed = query.register(&EXT10, &Register::default())?;
    assert!(
        !has_contact(&listed, &phone),
        "expires=0 did not remove it:\n{}",
        listed.raw
    );
    Ok(())
}

/// Writes one request on a TCP connection and reads one response (framed by
/// Content-Length), skipping provisional ones.
fn tcp_exchange(stream: &mut std::net::TcpStream, request: &str) -> Result<Response> {
    use std::io::{Read, Write};
    stream
        .write_all(request.as_bytes())
        .map_err(e2e::HarnessError::io("write REGISTER over TCP"))?;
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(5)))
        .map_err(e2e::HarnessError::io("TCP timeout"))?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = Response::parse(&buf[..end + 4])?;
            let body_len: usize = head
                .header("content-length")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + body_len {
                let message: Vec<u8> = buf.drain(..end + 4 + body_len).collect();
                let response = Response::parse(&message)?;
                if response.code >= 200 {
                    return Ok(response);
                }
                continue;
            }
        }
        let n = stream
            .read(&mut chunk)
            .map_err(e2e::HarnessError::io("read response over TCP"))?;
        if n == 0 {
            return Err(e2e::HarnessError::BadResponse {
                reason: "connection closed before a final response".to_string(),
                text: String::from_utf8_lossy(&buf).into_owned(),
            });
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[test]
fn registers_over_tcp() -> Result<()> {
    let daemon = Daemon::start()?;
    let mut stream = std::net::TcpStream::connect(daemon.sip)
        .map_err(e2e::HarnessError::io("connect over TCP"))?;
    let local = stream
        .local_addr()
        .map_err(e2e::HarnessError::io("TCP local address"))?;
    // The raw client only builds the bytes here; they travel over the TCP stream.
    let mut builder = SipClient::new(daemon.sip)?;
    let reg = Register {
        contact: Some(format!("<sip:{}@{local};transport=tcp>", EXT11.username())),
        expires: Some(120),
    };
    let to_tcp = |msg: String| msg.replacen("SIP/2.0/UDP", "SIP/2.0/TCP", 1);
    let first = to_tcp(builder.register_bytes(&EXT11.username(), &reg, None));
    let challenge = tcp_exchange(&mut stream, &first)?;
    assert_eq!(challenge.code, 401, "{}", challenge.raw);
    let md5 = challenge
        .challenge_for("MD5")?
        .ok_or_else(|| e2e::HarnessError::BadChallenge {
            param: "algorithm=MD5".to_string(),
            header: challenge.raw.clone(),
        })?;
    let answer = md5.answer(
        &EXT11.username(),
        EXT11.password,
        "REGISTER",
        &format!("sip:{}", daemon.sip),
    )?;
    let second = to_tcp(builder.register_bytes(
        &EXT11.username(),
        &reg,
        Some(&format!("Authorization: {answer}")),
    ));
    let ok = tcp_exchange(&mut stream, &second)?;
    assert_eq!(ok.code, 200, "{}", ok.raw);
    Ok(())
}

#[test]
fn refreshing_a_binding_does_not_duplicate_it() -> Result<()> {
    let daemon = Daemon::start()?;
    let mut phone = SipClient::new(daemon.sip)?;
    let mut query = SipClient::new(daemon.sip)?;
    let register = Register {
        contact: Some(phone.own_contact(&EXT11)),
        expires: Some(300),
    };
    // Same Call-ID, growing CSeq: what a phone sends every refresh interval.
    for _ in 0..3 {
        let ok = phone.register(&EXT11, &register)?;
        assert_eq!(ok.code, 200, "{}", ok.raw);
    }
    let listed = query.register(&EXT11, &Register::default())?;
    let port = format!(":{}", phone.local.port());
    let copies = listed
        .contacts()
        .iter()
        .filter(|c| c.contains(&port))
        .count();
    assert_eq!(
        copies, 1,
        "refreshes duplicated the binding:\n{}",
        listed.raw
    );
    Ok(())
}
