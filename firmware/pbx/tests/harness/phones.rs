//! Phones A (extension 10) and B (extension 11) as text SIP messages: register, call, answer.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]
use super::*;
use sip::message::{HeaderName, Response};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

/// Fresh numbers so repeated requests are new transactions, not retransmissions.
pub static SEQ: AtomicU32 = AtomicU32::new(1);

pub fn next() -> u32 {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

pub const A: &str = "10.0.0.10:5062";
pub const B: &str = "10.0.0.11:5064";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn register(w: &mut World, from: &str, user: &str, password: &str, expires: u32) -> Response {
    let base = next() * 10;
    let head = |cseq: u32, auth: &str| {
        let cseq = base + cseq;
        format!(
            "REGISTER sip:192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {from};branch=z9hG4bKreg{cseq}{user};rport
From: <sip:{user}@192.0.2.1>;tag=r{user}
To: <sip:{user}@192.0.2.1>
Call-ID: reg-{user}
CSeq: {cseq} REGISTER
Contact: <sip:{user}@{from}>
Expires: {expires}
Max-Forwards: 70
{auth}Content-Length: 0

"
        )
    };
    w.send(addr(from), &head(1, ""));
    let challenge = w.responses(addr(from)).pop().expect("a challenge");
    assert_eq!(challenge.status, 401);
    let auth = answer_challenge(&challenge, "REGISTER", "sip:192.0.2.1", user, password);
    w.send(addr(from), &head(2, &format!("Authorization: {auth}\n")));
    w.responses(addr(from)).pop().expect("a final response")
}

pub fn invite_head(to_ext: &str, branch: &str, cseq: u32, auth: &str) -> String {
    let call = CALL.with(|c| c.get());
    format!(
        "INVITE sip:{to_ext}@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {A};branch={branch};rport
From: \"Alice\" <sip:ext2019110@192.0.2.1>;tag=alice1
To: <sip:{to_ext}@192.0.2.1>
Call-ID: call-{call}
CSeq: {cseq} INVITE
Contact: <sip:ext2019110@{A}>
Max-Forwards: 70
{auth}"
    )
}

/// A calls `to_ext` with authentication; returns the box's INVITEs to B.
pub fn call(w: &mut World, to_ext: &str) -> Vec<sip::message::Request> {
    let n = next();
    CALL.with(|c| c.set(n));
    w.send(
        addr(A),
        &with_body(
            &invite_head(to_ext, &format!("z9hG4bKinv1-{n}"), 1, ""),
            SDP_A,
        ),
    );
    let challenge = w.responses(addr(A)).pop().expect("a challenge");
    assert_eq!(challenge.status, 407);
    w.send(
        addr(A),
        &format!(
            "ACK sip:{to_ext}@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {A};branch=z9hG4bKinv1-{n};rport
From: \"Alice\" <sip:ext2019110@192.0.2.1>;tag=alice1
To: <sip:{to_ext}@192.0.2.1>;tag={}
Call-ID: call-{n}
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

",
            challenge.to_tag().unwrap()
        ),
    );
    let uri = format!("sip:{to_ext}@192.0.2.1");
    let auth = answer_challenge(&challenge, "INVITE", &uri, "ext2019110", "pa");
    w.send(
        addr(A),
        &with_body(
            &invite_head(
                to_ext,
                &format!("z9hG4bKinv2-{n}"),
                2,
                &format!("Proxy-Authorization: {auth}\n"),
            ),
            SDP_A,
        ),
    );
    w.requests(addr(B))
}

pub fn respond(
    w: &mut World,
    invite: &sip::message::Request,
    status: u16,
    reason: &str,
    body: Option<&str>,
) {
    let mut resp = Response::for_request(invite, status, reason, Some("bobtag"));
    resp.headers
        .push(HeaderName::Contact, format!("<sip:bob@{B}>"));
    if let Some(body) = body {
        resp.headers
            .push(HeaderName::ContentType, "application/sdp");
        resp.body = body.replace('\n', "\r\n").into_bytes();
    }
    let bytes = resp.to_bytes();
    w.send(addr(B), std::str::from_utf8(&bytes).unwrap());
}

thread_local! {
    pub static CALL: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

pub fn call_id() -> String {
    format!("call-{}", CALL.with(|c| c.get()))
}

pub fn world() -> World {
    let mut w = World::new(vec![account("10", "pa", 30), account("11", "pb", 5)]);
    let ok = register(&mut w, B, "ext2019111", "pb", 600);
    assert_eq!(ok.status, 200);
    w
}

/// Answers the call set up by `call()`; returns A's dialog To tag.
pub fn answer(w: &mut World, invite: &sip::message::Request) -> String {
    respond(w, invite, 200, "OK", Some(SDP_B));
    w.requests(addr(B));
    let ok = w
        .responses(addr(A))
        .into_iter()
        .find(|r| r.status == 200)
        .expect("200 to A");
    ok.to_tag().unwrap()
}

pub fn in_dialog_from_a(
    method: &str,
    cseq: u32,
    a_tag: &str,
    body: Option<(&str, &str)>,
) -> String {
    let head = format!(
        "{method} sip:centralita@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {A};branch=z9hG4bK{method}{cseq}-{n};rport
From: \"Alice\" <sip:ext2019110@192.0.2.1>;tag=alice1
To: <sip:11@192.0.2.1>;tag={a_tag}
Call-ID: {cid}
CSeq: {cseq} {method}
Contact: <sip:ext2019110@{A}>
Max-Forwards: 70
",
        n = CALL.with(|c| c.get()),
        cid = call_id()
    );
    match body {
        Some((ct, b)) => {
            let b = b.replace('\n', "\r\n");
            format!(
                "{head}Content-Type: {ct}\nContent-Length: {}\n\n{}",
                b.len(),
                b.replace("\r\n", "\n")
            )
        }
        None => format!("{head}Content-Length: 0\n\n"),
    }
}
