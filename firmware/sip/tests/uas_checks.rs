//! UAS pre-checks (RFC 3261 §8.2) on hand-made requests.
#![allow(clippy::unwrap_used)] // tests unwrap on purpose: a failure is the assertion

mod torture_support;

use sip::parse::parse_datagram;
use sip::uas_checks::{check_max_forwards, check_request};
use sip::{HeaderName, Message, Request};
use torture_support::pbx_policy;

fn req(method: &str, ruri: &str, extra: &str, body: &str) -> Request {
    let text = format!(
        "{method} {ruri} SIP/2.0\r\n\
Via: SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bKabc\r\n\
From: <sip:10@pbx>;tag=1\r\n\
To: <sip:11@pbx>\r\n\
Call-ID: c1\r\n\
CSeq: 1 {method}\r\n\
Max-Forwards: 70\r\n\
{extra}\
Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    match parse_datagram(text.as_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => panic!("not a request"),
    }
}

fn status(r: &Request) -> Option<u16> {
    check_request(r, &pbx_policy()).map(|resp| resp.status)
}

#[test]
fn ordinary_requests_pass() {
    let sdp = "v=0\r\n";
    assert_eq!(status(&req("INVITE", "sip:11@pbx", "Content-Type: application/sdp\r\nAccept: application/sdp\r\nRequire: timer\r\nSupported: replaces, 100rel\r\n", sdp)), None);
    assert_eq!(status(&req("INVITE", "tel:+34911234567", "", "")), None);
    assert_eq!(
        status(&req(
            "INFO",
            "sip:11@pbx",
            "Content-Type: application/dtmf-relay\r\n",
            "Signal=1\r\nDuration=160\r\n"
        )),
        None
    );
    assert_eq!(
        status(&req(
            "INVITE",
            "sips:11@pbx",
            "Accept: application/*\r\n",
            ""
        )),
        None
    );
    // A Content-Type without a body does not matter.
    assert_eq!(
        status(&req(
            "OPTIONS",
            "sip:pbx",
            "Content-Type: application/unknown\r\n",
            ""
        )),
        None
    );
}

#[test]
fn refusals_carry_the_right_headers() {
    let r = req("PUBLISH", "sip:11@pbx", "", "");
    let resp = check_request(&r, &pbx_policy()).unwrap();
    assert_eq!(resp.status, 501);
    assert!(resp
        .headers
        .get(&HeaderName::Allow)
        .unwrap()
        .starts_with("INVITE, ACK"));
    assert_eq!(resp.headers.get(&HeaderName::CallId), Some("c1"));

    let r = req("INVITE", "sip:11@pbx", "Require: 100rel, Timer\r\n", "");
    let resp = check_request(&r, &pbx_policy()).unwrap();
    assert_eq!(resp.status, 420);
    assert_eq!(resp.headers.get(&HeaderName::Unsupported), Some("100rel"));

    let r = req(
        "MESSAGE",
        "sip:11@pbx",
        "Content-Type: application/x-weird\r\n",
        "x",
    );
    let resp = check_request(&r, &pbx_policy()).unwrap();
    assert_eq!(resp.status, 415);
    assert!(resp
        .headers
        .get(&HeaderName::Accept)
        .unwrap()
        .contains("application/sdp"));

    let r = req(
        "INVITE",
        "sip:11@pbx",
        "Content-Type: application/sdp\r\nContent-Encoding: gzip\r\n",
        "x",
    );
    let resp = check_request(&r, &pbx_policy()).unwrap();
    assert_eq!(resp.status, 415);
    assert_eq!(
        resp.headers
            .get(&HeaderName::Other("Accept-Encoding".into())),
        Some("identity")
    );

    assert_eq!(status(&req("INVITE", "im:11@pbx", "", "")), Some(416));
    assert_eq!(
        status(&req("INVITE", "sip:11@pbx?Route=x", "", "")),
        Some(400)
    );
    assert_eq!(
        status(&req("INVITE", "sip:11@pbx", "Accept: text/html\r\n", "")),
        Some(406)
    );
}

#[test]
fn ack_and_cancel_exemptions() {
    // ACK is never answered; CANCEL ignores Require (RFC 3261 §8.2.2.3).
    assert_eq!(
        status(&req("ACK", "sip:11@pbx", "Require: nothing\r\n", "")),
        None
    );
    assert_eq!(
        status(&req("CANCEL", "sip:11@pbx", "Require: nothing\r\n", "")),
        None
    );
}

#[test]
fn unknown_method_with_other_cseq() {
    let text = "FOO sip:pbx SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\nCall-ID: x\r\nCSeq: 1 BAR\r\n\r\n";
    let Message::Request(r) = parse_datagram(text.as_bytes()).unwrap() else {
        panic!()
    };
    assert_eq!(status(&r), Some(501));
    let mut policy = pbx_policy();
    let methods = ["FOO"];
    policy.allowed_methods = &methods;
    assert_eq!(check_request(&r, &policy).map(|x| x.status), Some(400));
}

#[test]
fn max_forwards_only_when_forwarding() {
    let r = req("INVITE", "sip:11@pbx", "", "");
    assert!(check_max_forwards(&r).is_none());
    let mut zero = r.clone();
    zero.headers.set(HeaderName::MaxForwards, "0");
    assert_eq!(status(&zero), None);
    assert_eq!(check_max_forwards(&zero).unwrap().status, 483);
    zero.headers.set(HeaderName::MaxForwards, "300");
    assert_eq!(sip::parse::max_forwards(&zero.headers), Some(255));
}
