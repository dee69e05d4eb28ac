//! Call pickup in virtual time: extension 12 takes a call ringing extension 11 with `**11`
//! (directed) or `*8` (group).
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod harness;

use harness::phones::*;
use harness::*;
use sip::message::Method;

const C: &str = "10.0.0.12:5066";

static ATTEMPT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn picker_invite(dialled: &str, cseq: u32, auth: &str) -> String {
    let n = ATTEMPT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    with_body(
        &format!(
            "INVITE sip:{dialled}@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {C};branch=z9hG4bKpick{cseq}-{n};rport
From: \"Carol\" <sip:ext2019112@192.0.2.1>;tag=carol1
To: <sip:{dialled}@192.0.2.1>
Call-ID: pick-{dialled}-{call}
CSeq: {cseq} INVITE
Contact: <sip:ext2019112@{C}>
Max-Forwards: 70
{auth}",
            call = CALL_OF.with(|c| c.get())
        ),
        &SDP_B
            .replace("10.0.0.11", "10.0.0.12")
            .replace("o=bob", "o=carol"),
    )
}

thread_local! {
    static CALL_OF: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

fn pick(w: &mut World, dialled: &str) -> Vec<sip::message::Response> {
    CALL_OF.with(|c| c.set(c.get() + 1));
    w.send(addr(C), &picker_invite(dialled, 1, ""));
    let challenge = w.responses(addr(C)).pop().unwrap();
    assert_eq!(challenge.status, 407);
    let uri = format!("sip:{dialled}@192.0.2.1");
    let auth = answer_challenge(&challenge, "INVITE", &uri, "ext2019112", "pc");
    w.send(
        addr(C),
        &picker_invite(dialled, 2, &format!("Proxy-Authorization: {auth}\n")),
    );
    w.responses(addr(C))
}

fn world3() -> World {
    let mut w = World::new(vec![
        account("10", "pa", 30),
        account("11", "pb", 30),
        account("12", "pc", 30),
    ]);
    assert_eq!(register(&mut w, B, "ext2019111", "pb", 600).status, 200);
    w
}

fn assert_picked(w: &mut World, to_picker: &[sip::message::Response]) {
    let ok = to_picker
        .iter()
        .find(|r| r.status == 200)
        .expect("picker answered");
    assert!(String::from_utf8(ok.body.clone())
        .unwrap()
        .contains("c=IN IP4 192.0.2.1"));
    assert!(
        w.responses(addr(A)).iter().any(|r| r.status == 200),
        "the caller is answered"
    );
    assert!(
        w.requests(addr(B))
            .iter()
            .any(|r| r.method == Method::Cancel),
        "the ringing phone stops"
    );
    let commands = w.media.take_commands();
    assert!(
        commands.iter().any(|c| c.starts_with("connect")),
        "{commands:?}"
    );
}

#[test]
fn directed_pickup_takes_the_call_ringing_that_extension() {
    let mut w = world3();
    let invites = call(&mut w, "11");
    respond(&mut w, &invites[0], 180, "Ringing", None);
    w.responses(addr(A));
    let to_picker = pick(&mut w, "**11");
    assert_picked(&mut w, &to_picker);
    // The picker hangs up: the caller gets a BYE and one answered CDR is written.
    let ok = to_picker.iter().find(|r| r.status == 200).unwrap();
    let bye = format!(
        "BYE sip:centralita@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {C};branch=z9hG4bKpickbye;rport
From: \"Carol\" <sip:ext2019112@192.0.2.1>;tag=carol1
To: <sip:**11@192.0.2.1>;tag={}
Call-ID: pick-**11-1
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0

",
        ok.to_tag().unwrap()
    );
    w.send(addr(C), &bye);
    assert!(w.responses(addr(C)).iter().any(|r| r.status == 200));
    assert!(w.requests(addr(A)).iter().any(|r| r.method == Method::Bye));
    let cdrs = w.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].disposition, pbx::Disposition::Answered);
    assert_eq!(cdrs[0].destination, "12", "the picker took it");
}

#[test]
fn group_pickup_takes_a_ringing_call_and_nothing_ringing_is_404() {
    let mut w = world3();
    let nothing = pick(&mut w, "*8");
    assert!(nothing.iter().any(|r| r.status == 404), "{nothing:?}");
    let invites = call(&mut w, "11");
    respond(&mut w, &invites[0], 180, "Ringing", None);
    w.responses(addr(A));
    let to_picker = pick(&mut w, "*8");
    assert_picked(&mut w, &to_picker);
}
