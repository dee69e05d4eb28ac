//! The registrar and B2BUA end to end in virtual time: phones are text SIP messages.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod harness;

use harness::phones::*;
use harness::*;
use pbx::{Direction, Disposition};
use sip::message::{HeaderName, Method, Response, SipHeaders};
use std::time::Duration;

#[test]
fn register_lists_bindings_and_unregisters() {
    let mut w = world();
    assert!(w.pbx.registrar().is_registered("ext2019111", w.now));
    let ok = register(&mut w, B, "ext2019111", "pb", 0);
    assert_eq!(ok.status, 200);
    assert!(ok.contacts().is_empty());
    assert!(!w.pbx.registrar().is_registered("ext2019111", w.now));
}

#[test]
fn too_brief_interval_gets_423() {
    let mut w = World::new(vec![account("11", "pb", 5)]);
    let resp = register(&mut w, B, "ext2019111", "pb", 10);
    assert_eq!(resp.status, 423);
    assert_eq!(resp.headers.get(&HeaderName::MinExpires), Some("60"));
}

#[test]
fn wrong_password_and_unknown_user_look_the_same() {
    let mut w = World::new(vec![account("11", "pb", 5)]);
    let wrong = register(&mut w, B, "ext2019111", "nope", 600);
    let unknown = register(&mut w, A, "ext2019199", "nope", 600);
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    let shape = |r: &Response| {
        r.headers
            .lines(&HeaderName::WwwAuthenticate)
            .map(|v| v.split("nonce=").next().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&wrong), shape(&unknown));
}

#[test]
fn answered_call_then_caller_hangs_up() {
    let mut w = world();
    let invites = call(&mut w, "11");
    assert_eq!(invites.len(), 1, "one INVITE to B's one contact");
    let inv = &invites[0];
    assert_eq!(inv.method, Method::Invite);
    let offer = String::from_utf8(inv.body.clone()).unwrap();
    assert!(
        offer.contains("c=IN IP4 192.0.2.1"),
        "offer anchored on the box: {offer}"
    );
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 100));

    respond(&mut w, inv, 180, "Ringing", None);
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 180));
    respond(&mut w, inv, 200, "OK", Some(SDP_B));
    let acks = w.requests(addr(B));
    assert!(
        acks.iter().any(|r| r.method == Method::Ack),
        "box ACKs B's 200"
    );
    let ok = w
        .responses(addr(A))
        .into_iter()
        .find(|r| r.status == 200)
        .expect("200 to A");
    let answer = String::from_utf8(ok.body.clone()).unwrap();
    assert!(answer.contains("c=IN IP4 192.0.2.1"), "{answer}");
    assert!(!answer.contains("10.0.0.11"), "B's address never reaches A");
    let a_tag = ok.to_tag().unwrap();

    w.send(
        addr(A),
        &format!(
            "BYE sip:centralita@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {A};branch=z9hG4bKbye1;rport
From: \"Alice\" <sip:ext2019110@192.0.2.1>;tag=alice1
To: <sip:11@192.0.2.1>;tag={a_tag}
Call-ID: {}
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0

",
            call_id()
        ),
    );
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 200));
    let bye = w
        .requests(addr(B))
        .into_iter()
        .find(|r| r.method == Method::Bye)
        .expect("BYE to B");
    let resp = Response::for_request(&bye, 200, "OK", None);
    w.send(addr(B), std::str::from_utf8(&resp.to_bytes()).unwrap());
    let cdrs = w.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].disposition, Disposition::Answered);
    assert_eq!(cdrs[0].direction, Direction::Internal);
    assert_eq!(cdrs[0].hangup_cause, "caller-bye");
    assert_eq!(cdrs[0].source, "10");
    assert_eq!(cdrs[0].destination, "11");
    assert_eq!(w.pbx.active_calls(), 0);
    assert_eq!(w.media.0.lock().unwrap().open.len(), 0, "relay ports freed");
}

#[test]
fn callee_busy_is_relayed() {
    let mut w = world();
    let invites = call(&mut w, "11");
    respond(&mut w, &invites[0], 486, "Busy Here", None);
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 486));
    let cdrs = w.cdrs();
    assert_eq!(cdrs[0].disposition, Disposition::Busy);
}

#[test]
fn no_answer_times_out_with_480_and_cancels_b() {
    let mut w = world();
    let invites = call(&mut w, "11");
    respond(&mut w, &invites[0], 180, "Ringing", None);
    w.responses(addr(A));
    w.advance(Duration::from_secs(6));
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 480));
    assert!(w
        .requests(addr(B))
        .iter()
        .any(|r| r.method == Method::Cancel));
    assert_eq!(w.cdrs()[0].disposition, Disposition::NoAnswer);
}

#[test]
fn caller_cancels_while_ringing() {
    let mut w = world();
    let invites = call(&mut w, "11");
    respond(&mut w, &invites[0], 180, "Ringing", None);
    w.responses(addr(A));
    w.send(
        addr(A),
        &format!(
            "CANCEL sip:11@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {A};branch=z9hG4bKinv2-{n};rport
From: \"Alice\" <sip:ext2019110@192.0.2.1>;tag=alice1
To: <sip:11@192.0.2.1>
Call-ID: call-{n}
CSeq: 2 CANCEL
Max-Forwards: 70
Content-Length: 0

",
            n = CALL.with(|c| c.get())
        ),
    );
    let statuses: Vec<u16> = w.responses(addr(A)).iter().map(|r| r.status).collect();
    assert!(
        statuses.contains(&200) && statuses.contains(&487),
        "{statuses:?}"
    );
    let cancel = w
        .requests(addr(B))
        .into_iter()
        .find(|r| r.method == Method::Cancel)
        .expect("CANCEL to B");
    // The race: B answers at the same moment. The box must ACK and BYE it.
    respond(&mut w, &invites[0], 200, "OK", Some(SDP_B));
    let to_b = w.requests(addr(B));
    assert!(to_b.iter().any(|r| r.method == Method::Ack));
    assert!(to_b.iter().any(|r| r.method == Method::Bye));
    let _ = cancel;
    assert_eq!(w.cdrs()[0].hangup_cause, "cancel");
}

#[test]
fn unknown_number_404_and_unregistered_480_and_queue_503() {
    let mut w = World::new(vec![account("10", "pa", 30), account("11", "pb", 5)]);
    let _ = call(&mut w, "99");
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 404));
    let _ = call(&mut w, "11");
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 480));
    let _ = call(&mut w, "400");
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 503));
}

#[test]
fn codec_mismatch_gets_488_and_bad_sdp_400() {
    let mut w = world();
    // GSM is a codec the box neither relays nor transcodes.
    let gsm_only = "v=0\no=x 1 1 IN IP4 10.0.0.10\ns=-\nc=IN IP4 10.0.0.10\nt=0 0\nm=audio 20000 RTP/AVP 3\na=rtpmap:3 GSM/8000\n";
    let challenge = {
        w.send(
            addr(A),
            &with_body(&invite_head("11", "z9hG4bKc1", 1, ""), gsm_only),
        );
        w.responses(addr(A)).pop().unwrap()
    };
    let auth = answer_challenge(&challenge, "INVITE", "sip:11@192.0.2.1", "ext2019110", "pa");
    w.send(
        addr(A),
        &with_body(
            &invite_head(
                "11",
                "z9hG4bKc2",
                2,
                &format!("Proxy-Authorization: {auth}\n"),
            ),
            gsm_only,
        ),
    );
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 488));
}

#[test]
fn callee_hangs_up() {
    let mut w = world();
    let invites = call(&mut w, "11");
    let _a_tag = answer(&mut w, &invites[0]);
    // B's BYE: From is B's tag, To is the box's From tag of leg B.
    let from_box = invites[0]
        .headers
        .get(&HeaderName::From)
        .unwrap()
        .to_string();
    let bye = format!(
        "BYE sip:centralita@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {B};branch=z9hG4bKbbye;rport
From: <sip:11@192.0.2.1>;tag=bobtag
To: {from_box}
Call-ID: {}
CSeq: 1 BYE
Max-Forwards: 70
Content-Length: 0

",
        invites[0].call_id().unwrap()
    );
    w.send(addr(B), &bye);
    assert!(w.responses(addr(B)).iter().any(|r| r.status == 200));
    let to_a = w.requests(addr(A));
    let bye_a = to_a
        .iter()
        .find(|r| r.method == Method::Bye)
        .expect("BYE to A");
    assert_eq!(bye_a.call_id(), Some(call_id().as_str()));
    assert_eq!(bye_a.to_header().unwrap().tag(), Some("alice1"));
    assert_eq!(w.cdrs()[0].hangup_cause, "callee-bye");
}

#[test]
fn hold_reinvite_and_info_are_relayed() {
    let mut w = world();
    let invites = call(&mut w, "11");
    let a_tag = answer(&mut w, &invites[0]);
    let hold = SDP_A
        .replace("a=sendrecv", "a=sendonly")
        .replace("o=alice 1 1", "o=alice 1 2");
    w.send(
        addr(A),
        &in_dialog_from_a("INVITE", 5, &a_tag, Some(("application/sdp", &hold))),
    );
    let reinvite = w
        .requests(addr(B))
        .into_iter()
        .find(|r| r.method == Method::Invite)
        .expect("re-INVITE to B");
    let offer = String::from_utf8(reinvite.body.clone()).unwrap();
    assert!(offer.contains("a=sendonly"), "hold passes through: {offer}");
    assert!(offer.contains("192.0.2.1"));
    let commands = w.media.take_commands();
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("play 1 B") && c.contains("MusicOnHold(None)")),
        "the held leg hears the default music on hold: {commands:?}"
    );
    assert_eq!(reinvite.to_header().unwrap().tag(), Some("bobtag"));
    let held_answer = SDP_B.replace("a=sendrecv", "a=recvonly");
    let mut ok = Response::for_request(&reinvite, 200, "OK", None);
    ok.headers
        .push(HeaderName::Contact, format!("<sip:bob@{B}>"));
    ok.headers.push(HeaderName::ContentType, "application/sdp");
    ok.body = held_answer.replace('\n', "\r\n").into_bytes();
    w.send(addr(B), std::str::from_utf8(&ok.to_bytes()).unwrap());
    assert!(
        w.requests(addr(B)).iter().any(|r| r.method == Method::Ack),
        "box ACKs B's 2xx"
    );
    let to_a = w.responses(addr(A));
    let ok_a = to_a
        .iter()
        .find(|r| r.status == 200)
        .expect("200 relayed to A");
    assert!(String::from_utf8(ok_a.body.clone())
        .unwrap()
        .contains("a=recvonly"));

    let info = "Signal=5\nDuration=160\n";
    w.send(
        addr(A),
        &in_dialog_from_a("INFO", 6, &a_tag, Some(("application/dtmf-relay", info))),
    );
    let info_b = w
        .requests(addr(B))
        .into_iter()
        .find(|r| r.method == Method::Info)
        .expect("INFO to B");
    assert!(String::from_utf8(info_b.body.clone())
        .unwrap()
        .contains("Signal=5"));
    let ok = Response::for_request(&info_b, 200, "OK", None);
    w.send(addr(B), std::str::from_utf8(&ok.to_bytes()).unwrap());
    assert!(w
        .responses(addr(A))
        .iter()
        .any(|r| r.status == 200 && r.cseq().unwrap().seq == 6));
}

#[test]
fn early_media_183_carries_anchored_sdp() {
    let mut w = world();
    let invites = call(&mut w, "11");
    respond(&mut w, &invites[0], 183, "Session Progress", Some(SDP_B));
    let progress = w
        .responses(addr(A))
        .into_iter()
        .find(|r| r.status == 183)
        .expect("183 relayed");
    let sdp = String::from_utf8(progress.body.clone()).unwrap();
    assert!(
        sdp.contains("c=IN IP4 192.0.2.1") && !sdp.contains("10.0.0.11"),
        "{sdp}"
    );
    let remotes = w.media.0.lock().unwrap().remotes.clone();
    assert!(
        remotes.contains(&(1, pbx::Side::B, addr("10.0.0.11:30000"))),
        "{remotes:?}"
    );
    assert!(
        remotes.contains(&(1, pbx::Side::A, addr("10.0.0.10:20000"))),
        "{remotes:?}"
    );
}

#[test]
fn in_dialog_request_for_unknown_dialog_gets_481() {
    let mut w = world();
    CALL.with(|c| c.set(999));
    w.send(addr(A), &in_dialog_from_a("BYE", 2, "nosuchtag", None));
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 481));
}

#[test]
fn sha256_digest_registers() {
    let mut w = World::new(vec![account("11", "pb", 5)]);
    let req = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {B};branch=z9hG4bKsha{cseq};rport
From: <sip:ext2019111@192.0.2.1>;tag=s1
To: <sip:ext2019111@192.0.2.1>
Call-ID: sha-reg
CSeq: {cseq} REGISTER
Contact: <sip:ext2019111@{B}>
Max-Forwards: 70
{auth}Content-Length: 0

"
        )
    };
    w.send(addr(B), &req(1, ""));
    let challenge = w.responses(addr(B)).pop().unwrap();
    let sha = challenge
        .headers
        .lines(&HeaderName::WwwAuthenticate)
        .find(|c| c.contains("SHA-256"))
        .expect("a SHA-256 challenge (RFC 8760)")
        .to_string();
    let auth = sip::digest::authorize(
        &sha,
        "REGISTER",
        "sip:192.0.2.1",
        "ext2019111",
        "pb",
        "c0ffee",
        1,
    )
    .unwrap();
    assert!(auth.contains("SHA-256"));
    w.send(addr(B), &req(2, &format!("Authorization: {auth}\n")));
    assert_eq!(w.responses(addr(B)).pop().unwrap().status, 200);
}

#[test]
fn options_outside_a_dialog_is_answered() {
    let mut w = World::new(vec![]);
    w.send(
        addr(A),
        &format!(
            "OPTIONS sip:192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {A};branch=z9hG4bKopt1;rport
From: <sip:probe@example.com>;tag=o1
To: <sip:192.0.2.1>
Call-ID: opt-1
CSeq: 1 OPTIONS
Max-Forwards: 0
Content-Length: 0

"
        ),
    );
    let resp = w.responses(addr(A)).pop().unwrap();
    assert_eq!(resp.status, 200);
    assert!(resp
        .headers
        .get(&HeaderName::Allow)
        .unwrap()
        .contains("INVITE"));
}

#[test]
fn late_offer_callee_offers_in_200_caller_answers_in_ack() {
    let mut w = world();
    let n = next();
    CALL.with(|c| c.set(n));
    let head = |branch: &str, cseq: u32, auth: &str| {
        format!(
            "{}Content-Length: 0\n\n",
            invite_head("11", branch, cseq, auth)
        )
    };
    w.send(addr(A), &head(&format!("z9hG4bKlate1-{n}"), 1, ""));
    let challenge = w.responses(addr(A)).pop().unwrap();
    let auth = answer_challenge(&challenge, "INVITE", "sip:11@192.0.2.1", "ext2019110", "pa");
    w.send(
        addr(A),
        &head(
            &format!("z9hG4bKlate2-{n}"),
            2,
            &format!("Proxy-Authorization: {auth}\n"),
        ),
    );
    let invite = w
        .requests(addr(B))
        .into_iter()
        .find(|r| r.method == Method::Invite)
        .expect("INVITE without offer to B");
    assert!(invite.body.is_empty());
    respond(&mut w, &invite, 200, "OK", Some(SDP_B));
    assert!(
        w.requests(addr(B)).iter().all(|r| r.method != Method::Ack),
        "B's ACK waits for the caller's answer"
    );
    let ok = w
        .responses(addr(A))
        .into_iter()
        .find(|r| r.status == 200)
        .expect("200 with the box's offer");
    let offer = String::from_utf8(ok.body.clone()).unwrap();
    assert!(
        offer.contains("c=IN IP4 192.0.2.1") && !offer.contains("10.0.0.11"),
        "{offer}"
    );
    let ack = format!(
        "ACK sip:centralita@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {A};branch=z9hG4bKlateack-{n};rport
From: \"Alice\" <sip:ext2019110@192.0.2.1>;tag=alice1
To: <sip:11@192.0.2.1>;tag={}
Call-ID: {}
CSeq: 2 ACK
Max-Forwards: 70
",
        ok.to_tag().unwrap(),
        call_id()
    );
    w.send(addr(A), &with_body(&ack, SDP_A));
    let ack_b = w
        .requests(addr(B))
        .into_iter()
        .find(|r| r.method == Method::Ack)
        .expect("ACK to B with the answer");
    let answer = String::from_utf8(ack_b.body.clone()).unwrap();
    assert!(
        answer.contains("c=IN IP4 192.0.2.1") && !answer.contains("10.0.0.10"),
        "{answer}"
    );
}

#[test]
fn repeated_auth_failures_and_scanners_are_banned() {
    let mut w = World::new(vec![account("11", "pb", 5)]);
    let attacker = "198.51.100.66:5060";
    for _ in 0..5 {
        let resp = register(&mut w, attacker, "ext2019111", "guess", 600);
        assert_eq!(resp.status, 401);
    }
    // Banned now: even the right password gets no answer from that address.
    let n = next();
    w.send(
        addr(attacker),
        &format!(
            "REGISTER sip:192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {attacker};branch=z9hG4bKban{n};rport
From: <sip:ext2019111@192.0.2.1>;tag=b{n}
To: <sip:ext2019111@192.0.2.1>
Call-ID: ban-{n}
CSeq: 1 REGISTER
Contact: <sip:ext2019111@{attacker}>
Content-Length: 0

"
        ),
    );
    assert!(
        w.take(addr(attacker)).is_empty(),
        "banned address is dropped"
    );
    // A scanner is banned on its first request, and answered nothing.
    let scanner = "203.0.113.200:5070";
    w.send(
        addr(scanner),
        &format!(
            "OPTIONS sip:100@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {scanner};branch=z9hG4bKscan;rport
From: <sip:100@192.0.2.1>;tag=s1
To: <sip:100@192.0.2.1>
Call-ID: scan-1
CSeq: 1 OPTIONS
User-Agent: friendly-scanner
Content-Length: 0

"
        ),
    );
    assert!(w.take(addr(scanner)).is_empty());
    assert_eq!(w.pbx.guard().bans().count(), 2);
    // A legitimate phone elsewhere is unaffected.
    assert_eq!(register(&mut w, B, "ext2019111", "pb", 600).status, 200);
}

#[test]
fn an_invite_challenge_is_sent_once_not_retransmitted() {
    let mut w = world();
    let n = next();
    CALL.with(|c| c.set(n));
    w.send(
        addr(A),
        &with_body(
            &invite_head("11", &format!("z9hG4bKonce-{n}"), 1, ""),
            SDP_A,
        ),
    );
    w.advance(Duration::from_secs(40));
    let challenges: Vec<u16> = w
        .responses(addr(A))
        .iter()
        .map(|r| r.status)
        .filter(|s| *s == 407)
        .collect();
    assert_eq!(challenges, vec![407], "one 407, no Timer G retransmissions");
}
