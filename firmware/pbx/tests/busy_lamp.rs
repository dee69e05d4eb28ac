//! Busy-lamp field in virtual time: a phone subscribed to another extension's dialog state is
//! told when it rings, answers and hangs up (RFC 4235 over RFC 6665).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod harness;

use harness::phones::*;
use harness::*;
use sip::message::{Message, Method, Response};

/// A third phone (extension 12) that watches extension 11.
const C: &str = "10.0.0.12:5066";

fn subscribe_head(cseq: u32, auth: &str) -> String {
    format!(
        "SUBSCRIBE sip:11@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {C};branch=z9hG4bKblf{cseq};rport
From: <sip:ext2019112@192.0.2.1>;tag=blf1
To: <sip:11@192.0.2.1>
Call-ID: blf-call
CSeq: {cseq} SUBSCRIBE
Contact: <sip:ext2019112@{C}>
Event: dialog
Accept: application/dialog-info+xml
Expires: 3600
Max-Forwards: 70
{auth}Content-Length: 0

"
    )
}

/// NOTIFY bodies the watcher got (each answered 200), in order.
fn notifies(w: &mut World) -> Vec<String> {
    let mut bodies = Vec::new();
    for m in w.take(addr(C)) {
        if let Message::Request(r) = m {
            if r.method == Method::Notify {
                bodies.push(String::from_utf8(r.body.clone()).unwrap());
                let ok = Response::for_request(&r, 200, "OK", None);
                w.send(addr(C), std::str::from_utf8(&ok.to_bytes()).unwrap());
            }
        }
    }
    bodies
}

#[test]
fn a_watched_extension_lights_up_while_it_rings_and_talks() {
    let mut w = World::new(vec![
        account("10", "pa", 30),
        account("11", "pb", 30),
        account("12", "pc", 30),
    ]);
    assert_eq!(register(&mut w, B, "ext2019111", "pb", 600).status, 200);
    w.send(addr(C), &subscribe_head(1, ""));
    let challenge = w.responses(addr(C)).pop().unwrap();
    assert_eq!(challenge.status, 401);
    let auth = answer_challenge(
        &challenge,
        "SUBSCRIBE",
        "sip:11@192.0.2.1",
        "ext2019112",
        "pc",
    );
    w.send(
        addr(C),
        &subscribe_head(2, &format!("Authorization: {auth}\n")),
    );
    let first = notifies(&mut w);
    assert_eq!(first.len(), 1, "the idle state at once");
    assert!(!first[0].contains("<dialog "), "idle: {}", first[0]);

    let invites = call(&mut w, "11");
    let ringing = notifies(&mut w);
    assert!(
        ringing
            .iter()
            .any(|b| b.contains("<state>early</state>") && b.contains("recipient")),
        "ringing shows early, as recipient: {ringing:?}"
    );
    respond(&mut w, &invites[0], 200, "OK", Some(SDP_B));
    let talking = notifies(&mut w);
    assert!(
        talking
            .iter()
            .any(|b| b.contains("<state>confirmed</state>")),
        "answered shows confirmed: {talking:?}"
    );
    let ok = w
        .responses(addr(A))
        .into_iter()
        .find(|r| r.status == 200)
        .unwrap();
    w.send(
        addr(A),
        &in_dialog_from_a("BYE", 9, &ok.to_tag().unwrap(), None),
    );
    let ended = notifies(&mut w);
    assert!(
        ended
            .iter()
            .any(|b| b.contains("<state>terminated</state>")),
        "hung up shows terminated: {ended:?}"
    );
}
