//! Micro benchmark of the hot path of a registration: parse an authenticated REGISTER, read the
//! typed headers the registrar needs, verify the digest and print the 200. Ignored by default;
//! run with `cargo test --release -p sip --test parse_bench -- --ignored --nocapture`.
#![allow(clippy::unwrap_used)] // tests unwrap on purpose: a failure is the assertion

use sip::header::Credentials;
use sip::message::SipHeaders;
use sip::parse::parse_datagram;
use sip::{HeaderName, Message, Response};
use std::time::Instant;

const REGISTER: &str = "REGISTER sip:192.168.1.2 SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK-524287-1---9c8a4b2e1f7d3a60;rport\r\n\
Max-Forwards: 70\r\n\
Contact: <sip:ext2019110@192.168.1.20:5060;rinstance=9f8e7d6c5b4a3921;transport=UDP>\r\n\
To: <sip:ext2019110@192.168.1.2>\r\n\
From: <sip:ext2019110@192.168.1.2>;tag=5d2a7c91\r\n\
Call-ID: OWE4ZjE3ZWQ2NjM0ZDI4YjU0ZGI3YjM2ZmRjZDA3ZTc\r\n\
CSeq: 2 REGISTER\r\n\
Expires: 60\r\n\
Allow: INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, MESSAGE, OPTIONS, INFO, SUBSCRIBE\r\n\
User-Agent: Zoiper rv2.10.20.3\r\n\
Authorization: Digest username=\"ext2019110\",realm=\"centralita\",nonce=\"00000000000003e8a1b2c3d4e5f60718293a4b5c6d7e8f90\",uri=\"sip:192.168.1.2\",response=\"6629fae49393a05397450978507c4ef1\",cnonce=\"0a4f113b\",nc=00000001,qop=auth,algorithm=MD5\r\n\
Allow-Events: presence, kpml, talk\r\n\
Content-Length: 0\r\n\r\n";

#[test]
#[ignore = "micro benchmark; run explicitly in release mode"]
fn register_hot_path() {
    let bytes = REGISTER.as_bytes();
    let n = 100_000u32;
    let start = Instant::now();
    let mut ok = 0u32;
    for _ in 0..n {
        let Message::Request(req) = parse_datagram(bytes).unwrap() else {
            panic!("not a request")
        };
        let _ = req.top_via().unwrap();
        let _ = req.contacts();
        let _ = req.to_header().unwrap();
        let creds =
            Credentials::from_header(req.headers.get(&HeaderName::Authorization).unwrap()).unwrap();
        if sip::digest::verify(&creds, "REGISTER", "secret") {
            ok += 1;
        }
        let resp = Response::for_request(&req, 200, "OK", Some("abc"));
        std::hint::black_box(resp.to_bytes());
    }
    let per = start.elapsed() / n;
    println!("REGISTER parse + typed reads + digest verify + 200 print: {per:?} each ({} /s on one core)", 1_000_000_000 / per.as_nanos().max(1));
    assert_eq!(ok, 0);
}

#[test]
#[ignore = "micro benchmark; run explicitly in release mode"]
fn parse_only() {
    let bytes = REGISTER.as_bytes();
    let n = 200_000u32;
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(parse_datagram(std::hint::black_box(bytes)).unwrap());
    }
    let per = start.elapsed() / n;
    println!("parse_datagram(REGISTER): {per:?} each");
}
