//! Blind transfer in virtual time: the callee REFERs the caller to another extension.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod harness;

use harness::phones::*;
use harness::*;
use sip::message::{HeaderName, Method, Request, SipHeaders};

const C: &str = "10.0.0.12:5066";

/// A REFER from B inside the dialog the box's INVITE (`invite`) created.
fn refer_from_b(invite: &Request, target: &str) -> String {
    let from = invite.headers.get(&HeaderName::From).unwrap();
    let to = invite.headers.get(&HeaderName::To).unwrap();
    format!(
        "REFER sip:centralita@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {B};branch=z9hG4bKrefer1;rport
From: {to};tag=bobtag
To: {from}
Call-ID: {}
CSeq: 2 REFER
Contact: <sip:bob@{B}>
Refer-To: <sip:{target}@192.0.2.1>
Referred-By: <sip:ext2019111@192.0.2.1>
Max-Forwards: 70
Content-Length: 0

",
        invite.call_id().unwrap()
    )
}

fn world3() -> World {
    let mut w = World::new(vec![
        account("10", "pa", 30),
        account("11", "pb", 30),
        account("12", "pc", 30),
    ]);
    assert_eq!(register(&mut w, B, "ext2019111", "pb", 600).status, 200);
    assert_eq!(register(&mut w, C, "ext2019112", "pc", 600).status, 200);
    w
}

#[test]
fn the_callee_transfers_the_caller_to_another_extension() {
    let mut w = world3();
    let invites = call(&mut w, "11");
    respond(&mut w, &invites[0], 200, "OK", Some(SDP_B));
    w.responses(addr(A));
    w.requests(addr(B));
    w.media.take_commands();

    w.send(addr(B), &refer_from_b(&invites[0], "12"));
    let to_b = w.take(addr(B));
    let accepted = to_b
        .iter()
        .any(|m| matches!(m, sip::message::Message::Response(r) if r.status == 202));
    assert!(accepted, "REFER accepted: {to_b:?}");
    let notify = to_b.iter().find_map(|m| match m {
        sip::message::Message::Request(r) if r.method == Method::Notify => Some(r.clone()),
        _ => None,
    });
    let notify = notify.expect("the transferor is told");
    assert!(String::from_utf8(notify.body)
        .unwrap()
        .starts_with("SIP/2.0 200"));
    assert!(
        to_b.iter()
            .any(|m| matches!(m, sip::message::Message::Request(r) if r.method == Method::Bye)),
        "the transferor's leg is hung up"
    );
    let to_c = w.requests(addr(C));
    let invite_c = to_c
        .iter()
        .find(|r| r.method == Method::Invite)
        .expect("the target rings");
    let commands = w.media.take_commands();
    assert!(
        commands.iter().any(|c| c.contains("Ringback")),
        "{commands:?}"
    );

    let mut ok = sip::message::Response::for_request(invite_c, 200, "OK", Some("caroltag"));
    ok.headers
        .push(HeaderName::Contact, format!("<sip:carol@{C}>"));
    ok.headers.push(HeaderName::ContentType, "application/sdp");
    ok.body = SDP_B
        .replace("10.0.0.11", "10.0.0.12")
        .replace('\n', "\r\n")
        .into_bytes();
    w.send(addr(C), std::str::from_utf8(&ok.to_bytes()).unwrap());
    let commands = w.media.take_commands();
    assert!(
        commands.iter().any(|c| c.starts_with("connect")),
        "{commands:?}"
    );
    assert!(
        w.requests(addr(A)).iter().all(|r| r.method != Method::Bye),
        "the caller stays"
    );
}

#[test]
fn a_transfer_outside_the_company_is_refused() {
    let mut w = world3();
    let invites = call(&mut w, "11");
    respond(&mut w, &invites[0], 200, "OK", Some(SDP_B));
    w.send(addr(B), &refer_from_b(&invites[0], "ext2020110"));
    let refused = w.responses(addr(B));
    assert!(refused.iter().any(|r| r.status == 403), "{refused:?}");
    assert!(w.requests(addr(A)).iter().all(|r| r.method != Method::Bye));
}
