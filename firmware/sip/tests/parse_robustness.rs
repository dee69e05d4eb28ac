//! The parser never panics: on arbitrary bytes, on every prefix of every torture vector, and on
//! randomly corrupted vectors. Typed header parsers likewise, and printing round-trips.
#![allow(clippy::unwrap_used)] // tests unwrap on purpose: a failure is the assertion

mod torture_support;

use proptest::prelude::*;
use sip::header::{AuthParams, CSeq, Contact, NameAddr, Params, Via};
use sip::parse::{parse_datagram, parse_stream, reply_for_malformed};
use sip::Uri;
use torture_support::load_vectors;

/// Feeds one buffer to every entry point that takes network bytes.
fn exercise(bytes: &[u8]) {
    match parse_datagram(bytes) {
        Ok(m) => {
            // Whatever parses must print to something that parses again.
            let printed = m.to_bytes();
            assert!(parse_datagram(&printed).is_ok());
        }
        Err(e) => {
            let _ = reply_for_malformed(bytes, &e);
        }
    }
    if let Err(e) = parse_stream(bytes) {
        let _ = reply_for_malformed(bytes, &e);
    }
}

fn exercise_text(s: &str) {
    let _ = Uri::parse(s);
    let _ = NameAddr::parse(s);
    let _ = Contact::parse(s);
    let _ = Via::parse(s);
    let _ = CSeq::parse(s);
    let _ = AuthParams::parse(s);
    let _ = Params::parse_header(s, "X");
    let _ = Params::parse_uri(s);
    let _ = sip::header::Credentials::from_header(s);
    let _ = sip::digest::authorize(s, "INVITE", "sip:a@b", "u", "p", "c", 1);
}

#[test]
fn every_prefix_of_every_vector() {
    for v in load_vectors() {
        for cut in 0..=v.bytes.len() {
            exercise(&v.bytes[..cut]);
        }
        if let Ok(text) = std::str::from_utf8(&v.bytes) {
            for line in text.lines() {
                if let Some((_, value)) = line.split_once(':') {
                    for (i, _) in value.char_indices() {
                        exercise_text(&value[..i]);
                    }
                }
            }
        }
    }
}

/// A stream holding every vector back to back: each parse either yields a message and a length,
/// asks for more, or fails; it never consumes more than it was given.
#[test]
fn stream_of_vectors() {
    let vectors = load_vectors();
    let mut buf = Vec::new();
    for v in &vectors {
        buf.extend_from_slice(&v.bytes);
    }
    let mut at = 0;
    while at < buf.len() {
        match parse_stream(&buf[at..]) {
            Ok(Some((_, used))) => {
                assert!(used > 0 && at + used <= buf.len());
                at += used;
            }
            // Framing lost (as a real connection would be closed): resynchronise on purpose
            // past the next empty line to keep exercising the parser.
            Ok(None) | Err(_) => {
                let rest = &buf[at..];
                let next = rest.windows(4).position(|w| w == b"\r\n\r\n");
                match next {
                    Some(p) => at += p + 4,
                    None => break,
                }
            }
        }
    }
}

fn sip_token() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9.!%*_+`'~-]{0,8}"
}

fn host() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9-]{0,8}(\\.[a-z][a-z0-9-]{0,8}){0,3}",
        "(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})(\\.(25[0-5]|2[0-4][0-9]|1?[0-9]{1,2})){3}",
        "\\[[0-9a-f]{1,4}(:[0-9a-f]{0,4}){2,7}\\]",
    ]
}

prop_compose! {
    fn arb_uri()(
        scheme in prop_oneof![Just("sip"), Just("sips")],
        user in proptest::option::of("[a-zA-Z0-9_.!~*'()&=+$,;?/-]{1,10}(%[0-9A-F]{2})?"),
        password in proptest::option::of("[a-zA-Z0-9&=+$,]{1,8}"),
        host in host(),
        port in proptest::option::of(1u16..),
        params in proptest::collection::vec(("[a-z][a-z0-9-]{0,6}", proptest::option::of("[a-zA-Z0-9.:\\[\\]/&+$-]{1,8}")), 0..4),
        headers in proptest::option::of("[a-zA-Z]{1,6}=[a-zA-Z0-9%]{1,8}"),
    ) -> String {
        let mut s = format!("{scheme}:");
        if let Some(u) = &user {
            s.push_str(u);
            if let Some(p) = &password {
                s.push(':');
                s.push_str(p);
            }
            s.push('@');
        }
        s.push_str(&host);
        if let Some(p) = port {
            s.push_str(&format!(":{p}"));
        }
        for (n, v) in &params {
            s.push(';');
            s.push_str(n);
            if let Some(v) = v {
                s.push('=');
                s.push_str(v);
            }
        }
        if let Some(h) = &headers {
            s.push('?');
            s.push_str(h);
        }
        s
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..1500)) {
        exercise(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,80}") {
        exercise_text(&s);
        let msg = format!("INVITE sip:a@b SIP/2.0\r\nVia: {s}\r\nFrom: {s}\r\nTo: {s}\r\nCall-ID: {s}\r\nCSeq: {s}\r\nContact: {s}\r\n\r\n");
        exercise(msg.as_bytes());
    }

    #[test]
    fn corrupted_vectors_never_panic(which in 0usize..61, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6)) {
        let vectors = load_vectors();
        let mut bytes = vectors[which % vectors.len()].bytes.clone();
        for (idx, byte, op) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = idx.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                _ => { bytes.remove(i); }
            }
        }
        exercise(&bytes);
    }

    #[test]
    fn uri_display_round_trips(s in arb_uri()) {
        let u = Uri::parse(&s).unwrap();
        prop_assert_eq!(u.to_string(), s);
        prop_assert_eq!(Uri::parse(&u.to_string()).unwrap(), u);
    }

    #[test]
    fn name_addr_display_round_trips(
        uri in arb_uri(),
        display in proptest::option::of("[ -~]{0,12}"),
        tag in proptest::option::of(sip_token()),
    ) {
        let mut s = match &display {
            Some(d) => format!("\"{}\" <{uri}>", d.replace('\\', "\\\\").replace('"', "\\\"")),
            None => format!("<{uri}>"),
        };
        if let Some(t) = &tag {
            s.push_str(";tag=");
            s.push_str(t);
        }
        let n = NameAddr::parse(&s).unwrap();
        prop_assert_eq!(n.display.as_deref(), display.as_deref());
        prop_assert_eq!(n.tag(), tag.as_deref());
        prop_assert_eq!(NameAddr::parse(&n.to_string()).unwrap(), n);
    }

    #[test]
    fn via_display_round_trips(
        transport in prop_oneof![Just("UDP"), Just("TCP"), Just("TLS"), Just("WS"), Just("XYZ")],
        host in host(),
        port in proptest::option::of(1u16..),
        branch in sip_token(),
        rport in any::<bool>(),
    ) {
        let mut s = format!("SIP/2.0/{transport} {host}");
        if let Some(p) = port {
            s.push_str(&format!(":{p}"));
        }
        s.push_str(&format!(";branch=z9hG4bK{branch}"));
        if rport {
            s.push_str(";rport");
        }
        let v = Via::parse(&s).unwrap();
        prop_assert_eq!(v.to_string(), s);
        prop_assert_eq!(v.port, port);
    }
}
