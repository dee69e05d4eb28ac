//! Every RFC 4475 / RFC 5118 torture vector through parse_datagram + reply_for_malformed +
//! uas_checks::check_request, checked against the outcome `index.tsv` demands.
#![allow(clippy::unwrap_used)] // tests unwrap on purpose: a failure is the assertion

mod torture_support;

use sip::parse::{parse_datagram, reply_for_malformed};
use sip::uas_checks::check_request;
use sip::Message;
use torture_support::{load_vectors, pbx_policy};

/// What the stack does with one datagram.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// A request the core gets to see.
    Accepted,
    /// A response handed to the transaction layer (which drops it if it matches nothing).
    Response,
    /// A response sent back, with its status.
    Replied(u16),
    /// Silently discarded.
    Dropped,
}

fn outcome(bytes: &[u8]) -> Outcome {
    match parse_datagram(bytes) {
        Ok(Message::Request(r)) => match check_request(&r, &pbx_policy()) {
            None => Outcome::Accepted,
            Some(resp) => Outcome::Replied(resp.status),
        },
        Ok(Message::Response(_)) => Outcome::Response,
        Err(e) => match reply_for_malformed(bytes, &e) {
            Some(resp) => Outcome::Replied(resp.status),
            None => Outcome::Dropped,
        },
    }
}

/// Whether `got` satisfies the index's machine code for vector `name`.
fn satisfies(name: &str, code: &str, got: &Outcome) -> bool {
    use Outcome::*;
    match (name, code) {
        // Registrar-level outcomes: the message must parse and pass the generic UAS checks; the
        // registrar (pbx crate) answers 400 for a non-SIP To and 401 for an unknown auth scheme.
        ("unksm2", "400") | ("regaut01", "401") => *got == Accepted,
        (_, "accept") => matches!(got, Accepted | Response),
        (_, "drop") => matches!(got, Dropped | Response),
        (_, "400-or-liberal") | (_, "400-or-2543") => matches!(got, Accepted | Replied(400)),
        (_, "accept-or-483") => matches!(got, Accepted | Replied(483)),
        (_, n) => n.parse::<u16>().is_ok_and(|n| *got == Replied(n)),
    }
}

#[test]
fn every_vector_has_the_expected_outcome() {
    let vectors = load_vectors();
    assert_eq!(vectors.len(), 61, "index.tsv rows");
    let mut failures = Vec::new();
    for v in &vectors {
        let got = outcome(&v.bytes);
        println!("{:32} {:16} {:?}", v.name, v.code, got);
        if !satisfies(&v.name, &v.code, &got) {
            failures.push(format!("{}: expected {}, got {:?}", v.name, v.code, got));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn error_replies_are_routable_and_echo_the_transaction() {
    use sip::message::SipHeaders;
    for v in load_vectors() {
        let Err(e) = parse_datagram(&v.bytes) else {
            continue;
        };
        let Some(reply) = reply_for_malformed(&v.bytes, &e) else {
            continue;
        };
        let printed = String::from_utf8(reply.to_bytes()).unwrap();
        assert!(printed.starts_with("SIP/2.0 "), "{}", v.name);
        assert!(reply.top_via().is_some(), "{}: reply without Via", v.name);
        assert!(
            reply.headers.get(&sip::HeaderName::CSeq).is_some(),
            "{}: no CSeq",
            v.name
        );
    }
}

#[test]
fn specific_semantics() {
    use sip::message::SipHeaders;
    let vectors = load_vectors();
    let get = |name: &str| {
        let v = vectors.iter().find(|v| v.name == name).unwrap();
        parse_datagram(&v.bytes).unwrap()
    };
    let Message::Request(wsinv) = get("wsinv") else {
        panic!()
    };
    assert_eq!(wsinv.vias().len(), 3);
    assert_eq!(wsinv.cseq().unwrap().seq, 9);
    assert_eq!(wsinv.to_header().unwrap().tag(), Some("1918181833n"));
    assert_eq!(wsinv.body.len(), 150);
    assert_eq!(sip::parse::max_forwards(&wsinv.headers), Some(68));
    let c = &wsinv.contacts()[0];
    assert_eq!(
        c.to_string(),
        r#""Quoted string \"\"" <sip:jdrosen@example.com>;newparam=newvalue;secondparam;q=0.33"#
    );

    let Message::Request(dbl) = get("dblreq") else {
        panic!()
    };
    assert_eq!(dbl.method, sip::Method::Register);
    assert!(dbl.body.is_empty());

    let Message::Request(esc02) = get("esc02") else {
        panic!()
    };
    assert_eq!(esc02.contacts().len(), 2);
    assert_eq!(esc02.method, sip::Method::Other("RE%47IST%45R".into()));

    let Message::Request(semi) = get("semiuri") else {
        panic!()
    };
    assert_eq!(
        semi.uri.user_unescaped().as_deref(),
        Some("user;par=u@example.net")
    );

    let Message::Request(c1) = get("cparam01") else {
        panic!()
    };
    let sip::header::Contact::Addr(a) = &c1.contacts()[0] else {
        panic!()
    };
    assert!(a.params.has("unknownparam") && !a.uri.params.has("unknownparam"));
    let Message::Request(c2) = get("cparam02") else {
        panic!()
    };
    let sip::header::Contact::Addr(a) = &c2.contacts()[0] else {
        panic!()
    };
    assert!(!a.params.has("unknownparam") && a.uri.params.has("unknownparam"));

    let Message::Request(mp) = get("mpart01") else {
        panic!()
    };
    assert!(mp.body.contains(&0));

    let Message::Request(inv) = get("inv2543") else {
        panic!()
    };
    assert!(!inv.body.is_empty());

    let Message::Request(amb) = get("port-ambiguous") else {
        panic!()
    };
    assert_eq!(
        (amb.uri.host.as_str(), amb.uri.port),
        ("[2001:db8::10:5070]", None)
    );
    let Message::Request(unamb) = get("port-unambiguous") else {
        panic!()
    };
    assert_eq!(
        (unamb.uri.host.as_str(), unamb.uri.port),
        ("[2001:db8::10]", Some(5070))
    );

    let bext = vectors.iter().find(|v| v.name == "bext01").unwrap();
    let Message::Request(r) = parse_datagram(&bext.bytes).unwrap() else {
        panic!()
    };
    let resp = check_request(&r, &pbx_policy()).unwrap();
    assert_eq!(
        resp.headers.get(&sip::HeaderName::Unsupported),
        Some("nothingSupportsThis, nothingSupportsThisEither")
    );
    let intmeth = vectors.iter().find(|v| v.name == "intmeth").unwrap();
    let Message::Request(r) = parse_datagram(&intmeth.bytes).unwrap() else {
        panic!()
    };
    let resp = check_request(&r, &pbx_policy()).unwrap();
    assert!(resp
        .headers
        .get(&sip::HeaderName::Allow)
        .unwrap()
        .contains("INVITE"));
    let invut = vectors.iter().find(|v| v.name == "invut").unwrap();
    let Message::Request(r) = parse_datagram(&invut.bytes).unwrap() else {
        panic!()
    };
    let resp = check_request(&r, &pbx_policy()).unwrap();
    assert!(resp
        .headers
        .get(&sip::HeaderName::Accept)
        .unwrap()
        .contains("application/sdp"));
}

#[test]
fn accepted_vectors_round_trip_through_the_printer() {
    for v in load_vectors() {
        let Ok(m) = parse_datagram(&v.bytes) else {
            continue;
        };
        let printed = m.to_bytes();
        let again = parse_datagram(&printed)
            .unwrap_or_else(|e| panic!("{}: reprint does not parse: {e}", v.name));
        assert_eq!(
            again.to_bytes(),
            printed,
            "{}: print is not a fixed point",
            v.name
        );
    }
}
