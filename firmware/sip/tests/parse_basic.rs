//! Parser and printer on ordinary phone traffic: framing, round trips, typed accessors.
#![allow(clippy::unwrap_used)] // tests unwrap on purpose: a failure is the assertion
use sip::message::SipHeaders;
use sip::parse::{parse_datagram, parse_stream, reply_for_malformed};
use sip::{HeaderName, Message, Method, ParseError};

const REGISTER: &str = "REGISTER sip:pbx.local SIP/2.0\r\n\
v: SIP/2.0/UDP 192.168.1.20:5060;branch=z9hG4bK776asdhds;rport\r\n\
Max-Forwards: 70\r\n\
t: <sip:10@pbx.local>\r\n\
f: \"Ext 10\" <sip:10@pbx.local>;tag=1928301774\r\n\
i: a84b4c76e66710@192.168.1.20\r\n\
CSeq: 1 REGISTER\r\n\
m: <sip:10@192.168.1.20:5060;transport=udp>;expires=3600\r\n\
Expires: 3600\r\n\
l: 0\r\n\r\n";

fn request(bytes: &[u8]) -> sip::Request {
    match parse_datagram(bytes).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => panic!("expected a request"),
    }
}

#[test]
fn register_parses_and_round_trips() {
    let r = request(REGISTER.as_bytes());
    assert_eq!(r.method, Method::Register);
    assert_eq!(r.uri.host, "pbx.local");
    assert_eq!(r.call_id(), Some("a84b4c76e66710@192.168.1.20"));
    let cseq = r.cseq().unwrap();
    assert_eq!((cseq.seq, cseq.method), (1, Method::Register));
    let via = r.top_via().unwrap();
    assert_eq!(via.port, Some(5060));
    assert!(via.params.has("rport"));
    assert_eq!(r.from_header().unwrap().tag(), Some("1928301774"));
    assert_eq!(r.contacts().len(), 1);
    assert_eq!(r.expires(), Some(3600));
    let printed = r.to_bytes();
    let text = String::from_utf8(printed.clone()).unwrap();
    assert!(text.starts_with("REGISTER sip:pbx.local SIP/2.0\r\nVia: SIP/2.0/UDP"));
    assert!(text.contains("\r\nCall-ID: a84b4c76e66710@192.168.1.20\r\n"));
    assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    assert_eq!(request(&printed), r);
}

#[test]
fn content_length_recomputed_on_print() {
    let mut r = request(REGISTER.as_bytes());
    r.body = b"hello".to_vec();
    r.headers.push(HeaderName::ContentType, "text/plain");
    let text = String::from_utf8(r.to_bytes()).unwrap();
    assert_eq!(text.matches("Content-Length").count(), 1);
    assert!(text.ends_with("Content-Length: 5\r\n\r\nhello"));
    assert_eq!(request(text.as_bytes()).body, b"hello");
}

#[test]
fn udp_framing() {
    // Missing Content-Length: the body is the rest of the datagram.
    let no_cl = REGISTER.replace("l: 0\r\n", "");
    let with_body = format!("{no_cl}abc");
    assert_eq!(request(with_body.as_bytes()).body, b"abc");
    // Extra octets after Content-Length are ignored.
    let extra = format!("{REGISTER}garbage");
    assert!(request(extra.as_bytes()).body.is_empty());
    // Body shorter than Content-Length.
    let short = REGISTER.replace("l: 0", "l: 10");
    assert_eq!(parse_datagram(short.as_bytes()), Err(ParseError::Truncated));
    assert_eq!(parse_datagram(b"\r\n\r\n"), Err(ParseError::Empty));
    assert_eq!(parse_datagram(b""), Err(ParseError::Empty));
    // Bare LF line ends are tolerated.
    let lf = REGISTER.replace("\r\n", "\n");
    assert_eq!(request(lf.as_bytes()).method, Method::Register);
}

#[test]
fn stream_framing() {
    let two = format!("\r\n\r\n{REGISTER}{REGISTER}");
    let bytes = two.as_bytes();
    for cut in 0..4 + REGISTER.len() {
        assert_eq!(parse_stream(&bytes[..cut]), Ok(None), "cut at {cut}");
    }
    let (m, used) = parse_stream(bytes).unwrap().unwrap();
    assert_eq!(used, 4 + REGISTER.len());
    assert!(matches!(m, Message::Request(_)));
    let (_, used2) = parse_stream(&bytes[used..]).unwrap().unwrap();
    assert_eq!(used2, REGISTER.len());
    // Content-Length larger than the limit is refused before buffering.
    let big = REGISTER.replace("l: 0", "l: 70000");
    assert_eq!(parse_stream(big.as_bytes()), Err(ParseError::TooLarge));
    // A header section that never ends is refused once it passes the limit.
    let mut endless = b"INVITE sip:a@b SIP/2.0\r\n".to_vec();
    while endless.len() <= sip::parse::MAX_MESSAGE {
        endless.extend_from_slice(b"X-Pad: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
    }
    assert_eq!(parse_stream(&endless), Err(ParseError::TooLarge));
    // Body arrives later.
    let with_body = REGISTER.replace("l: 0", "l: 3") + "ab";
    assert_eq!(parse_stream(with_body.as_bytes()), Ok(None));
    let done = with_body + "c";
    assert_eq!(
        parse_stream(done.as_bytes()).unwrap().unwrap().1,
        done.len()
    );
}

#[test]
fn response_round_trip() {
    let text = "SIP/2.0 180 Ringing\r\n\
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKnashds8;received=10.0.0.1\r\n\
To: Bob <sip:bob@biloxi.com>;tag=a6c85cf\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\n\
Contact: <sip:bob@192.0.2.4>\r\n\
CSeq: 314159 INVITE\r\n\
Content-Length: 0\r\n\r\n";
    let Message::Response(r) = parse_datagram(text.as_bytes()).unwrap() else {
        panic!("expected a response")
    };
    assert_eq!((r.status, r.reason.as_str()), (180, "Ringing"));
    assert_eq!(r.to_tag().as_deref(), Some("a6c85cf"));
    let again = parse_datagram(&r.to_bytes()).unwrap();
    assert_eq!(again, Message::Response(r));
}

#[test]
fn malformed_replies() {
    let bad = REGISTER.replace("i: a84b4c76e66710@192.168.1.20\r\n", "");
    let err = parse_datagram(bad.as_bytes()).unwrap_err();
    assert_eq!(err, ParseError::Missing { header: "Call-ID" });
    let reply = reply_for_malformed(bad.as_bytes(), &err).unwrap();
    assert_eq!(reply.status, 400);
    assert_eq!(reply.top_via().unwrap().branch(), Some("z9hG4bK776asdhds"));
    assert_eq!(reply.cseq().unwrap().seq, 1);
    assert!(reply.call_id().is_none());
    // The reply itself is a well-formed message apart from the missing Call-ID.
    assert!(String::from_utf8(reply.to_bytes())
        .unwrap()
        .starts_with("SIP/2.0 400 Bad Request\r\n"));
    // Responses, ACKs and garbage are dropped.
    assert!(reply_for_malformed(b"SIP/2.0 200 OK\r\n\r\n", &ParseError::StartLine).is_none());
    let ack = bad.replace("REGISTER sip", "ACK sip");
    assert!(
        reply_for_malformed(ack.as_bytes(), &ParseError::Missing { header: "Call-ID" }).is_none()
    );
    assert!(reply_for_malformed(b"\x00\x01\x02", &ParseError::StartLine).is_none());
    assert!(reply_for_malformed(b"", &ParseError::Empty).is_none());
}
