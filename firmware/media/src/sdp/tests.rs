//! Parser/printer tests: round trips on the SDP bodies of the SIP torture vectors
//! (RFC 4475 §3.3.15, RFC 5118 §4.6, §4.8, §4.9) and on offers captured from the
//! phones the box talks to.

use super::*;
use crate::error::SdpError;

fn crlf(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\r\n")).collect()
}

/// RFC 4475 sdp01.
const SDP01: &[&str] = &[
    "v=0",
    "o=mhandley 29739 7272939 IN IP4 192.0.2.5",
    "s=-",
    "c=IN IP4 192.0.2.5",
    "t=0 0",
    "m=audio 49217 RTP/AVP 0 12",
    "m=video 3227 RTP/AVP 31",
    "a=rtpmap:31 LPC",
];

/// RFC 5118 §4.6 ipv6-in-sdp.
const IPV6_IN_SDP: &[&str] = &[
    "v=0",
    "o=assistant 971731711378798081 0 IN IP6 2001:db8::20",
    "s=Live video feed for today's meeting",
    "c=IN IP6 2001:db8::20",
    "t=3338481189 3370017201",
    "m=audio 6000 RTP/AVP 2",
    "a=rtpmap:2 G726-32/8000",
    "m=video 6024 RTP/AVP 107",
    "a=rtpmap:107 H263-1998/90000",
];

/// RFC 5118 §4.8 mult-ip-in-sdp (note the empty `s=`).
const MULT_IP_IN_SDP: &[&str] = &[
    "v=0",
    "o=bob 280744730 28977631 IN IP4 host.example.com",
    "s=",
    "t=0 0",
    "m=audio 22334 RTP/AVP 0",
    "c=IN IP4 192.0.2.1",
    "m=video 6024 RTP/AVP 107",
    "c=IN IP6 2001:db8::1",
    "a=rtpmap:107 H263-1998/90000",
];

/// RFC 5118 §4.9 ipv4-mapped-ipv6.
const IPV4_MAPPED: &[&str] = &[
    "v=0",
    "o=assistant 971731711378798081 0 IN IP6 ::ffff:192.0.2.2",
    "s=Call me soon, please!",
    "c=IN IP6 ::ffff:192.0.2.2",
    "t=3338481189 3370017201",
    "m=audio 6000 RTP/AVP 2",
    "a=rtpmap:2 G726-32/8000",
    "m=video 6024 RTP/AVP 107",
    "a=rtpmap:107 H263-1998/90000",
];

/// What baresip 1.x/3.x offers (shape of a real capture).
const BARESIP: &[&str] = &[
    "v=0",
    "o=- 1697026385 3479476431 IN IP4 127.0.0.1",
    "s=-",
    "c=IN IP4 127.0.0.1",
    "t=0 0",
    "m=audio 10186 RTP/AVP 0 8 9 101",
    "b=AS:64",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:9 G722/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-15",
    "a=rtcp-rsize",
    "a=ptime:20",
    "a=sendrecv",
    "a=label:1",
    "a=ssrc:1732871205 cname:7f2d5e5c-7f5f-4a0d",
];

/// SIPp's uac_pcap.xml style offer, with the session-level direction some phones use.
const SIPP: &[&str] = &[
    "v=0",
    "o=user1 53655765 2353687637 IN IP4 127.0.1.1",
    "s=-",
    "c=IN IP4 127.0.1.1",
    "t=0 0",
    "a=sendrecv",
    "m=audio 6000 RTP/AVP 8 101",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-11,16",
];

#[test]
fn vectors_round_trip_byte_for_byte() {
    for vector in [
        SDP01,
        IPV6_IN_SDP,
        MULT_IP_IN_SDP,
        IPV4_MAPPED,
        BARESIP,
        SIPP,
    ] {
        let text = crlf(vector);
        let sdp = SessionDescription::parse(text.as_bytes()).unwrap();
        assert_eq!(sdp.to_string(), text);
        let again: SessionDescription = sdp.to_string().parse().unwrap();
        assert_eq!(again, sdp);
    }
}

#[test]
fn reads_the_fields_the_box_needs() {
    let sdp = SessionDescription::parse(crlf(MULT_IP_IN_SDP).as_bytes()).unwrap();
    assert_eq!(sdp.session_name, "");
    assert_eq!(
        sdp.origin.address,
        Address::Host("host.example.com".to_string())
    );
    assert_eq!(sdp.media.len(), 2);
    let audio = sdp.media_connection(0).unwrap();
    assert_eq!(audio.address.ip(), Some("192.0.2.1".parse().unwrap()));
    let video = sdp.media_connection(1).unwrap();
    assert_eq!(video.address_type, AddressType::Ip6);
    assert_eq!(video.address.ip(), Some("2001:db8::1".parse().unwrap()));

    let sdp = SessionDescription::parse(crlf(IPV4_MAPPED).as_bytes()).unwrap();
    assert_eq!(
        sdp.media_connection(0).unwrap().address.ip(),
        Some("::ffff:192.0.2.2".parse().unwrap())
    );
    assert_eq!(sdp.origin.session_id, "971731711378798081");

    let sdp = SessionDescription::parse(crlf(BARESIP).as_bytes()).unwrap();
    let m = &sdp.media[0];
    assert_eq!(m.port, 10186);
    assert_eq!(m.formats, ["0", "8", "9", "101"]);
    assert_eq!(m.codec("9"), Some(("G722", 8000)));
    assert_eq!(m.rtpmap("101").unwrap().encoding, "telephone-event");
    assert!(m.attributes.contains(&Attribute::Ptime(20)));
    assert_eq!(sdp.media_direction(0), Direction::SendRecv);

    let sdp = SessionDescription::parse(crlf(SIPP).as_bytes()).unwrap();
    assert_eq!(sdp.direction(), Some(Direction::SendRecv));
    assert_eq!(sdp.media[0].codec("8"), Some(("PCMA", 8000)));
    assert_eq!(sdp.media[0].codec("0"), Some(("PCMU", 8000)));
    assert_eq!(sdp.media[0].codec("101").unwrap().0, "telephone-event");
    assert_eq!(sdp.media[0].codec("96"), None);

    // sdp01's `a=rtpmap:31 LPC` has no clock rate: kept verbatim, not an error.
    let sdp = SessionDescription::parse(crlf(SDP01).as_bytes()).unwrap();
    assert_eq!(sdp.media[1].codec("31"), None);
    assert_eq!(sdp.media[1].attributes[0].name(), "rtpmap");
}

#[test]
fn tolerates_what_phones_do() {
    // LF only, trailing blanks, blank lines, no s=, no t=, bracketed IPv6, unknown line,
    // odd ptime, multicast suffix.
    let body = "v=0\n\
                o=- 1 1 IN IP6 [2001:db8::7]  \n\
                \n\
                c=IN IP6 [2001:db8::7]\n\
                y=unknown line type\n\
                m=audio 4000 RTP/AVP 0\n\
                c=IN IP4 224.2.1.1/127/3\n\
                a=ptime:20.5\n\
                a=recvonly\n";
    let sdp = SessionDescription::parse(body.as_bytes()).unwrap();
    assert_eq!(sdp.session_name, "-");
    assert_eq!(
        sdp.connection.as_ref().unwrap().address.ip(),
        Some("2001:db8::7".parse().unwrap())
    );
    assert_eq!(sdp.extra[0].kind, 'y');
    assert_eq!(
        sdp.media[0].connections[0].multicast.as_deref(),
        Some("127/3")
    );
    assert_eq!(sdp.media_direction(0), Direction::RecvOnly);
    let printed = sdp.to_string();
    assert!(printed.contains("c=IN IP6 2001:db8::7\r\n"), "{printed}");
    assert!(printed.contains("a=ptime:20.5\r\n"));
    assert!(printed.contains("c=IN IP4 224.2.1.1/127/3\r\n"));
    assert_eq!(SessionDescription::parse(printed.as_bytes()).unwrap(), sdp);
}

#[test]
fn rejects_malformed_bodies() {
    let cases: &[(&str, SdpError)] = &[
        ("", SdpError::Empty),
        ("\r\n\r\n", SdpError::Empty),
        (
            "o=- 1 1 IN IP4 1.2.3.4\r\n",
            SdpError::MissingVersion { line: 1 },
        ),
        (
            "v=1\r\n",
            SdpError::UnsupportedVersion {
                line: 1,
                found: "1".to_string(),
            },
        ),
        ("v=0\r\ns=-\r\n", SdpError::MissingOrigin),
        ("v=0\r\nhello\r\n", SdpError::LineSyntax { line: 2 }),
        ("v=0\r\n=x\r\n", SdpError::LineSyntax { line: 2 }),
        (
            "v=0\r\no=- x 1 IN IP4 1.2.3.4\r\n",
            SdpError::BadOrigin { line: 2 },
        ),
        ("v=0\r\no=- 1 1 IN IP4\r\n", SdpError::BadOrigin { line: 2 }),
        (
            "v=0\r\no=- 1 1 ATM IP4 1.2.3.4\r\n",
            SdpError::BadOrigin { line: 2 },
        ),
    ];
    for (body, want) in cases {
        assert_eq!(
            &SessionDescription::parse(body.as_bytes()).unwrap_err(),
            want,
            "{body:?}"
        );
    }
    let head = "v=0\r\no=- 1 1 IN IP4 1.2.3.4\r\ns=-\r\n";
    type Check = fn(&SdpError) -> bool;
    let bad_lines: &[(&str, Check)] = &[
        ("c=IN IP4 not an address", |e| {
            matches!(e, SdpError::BadConnection { line: 4 })
        }),
        ("c=IN IP5 1.2.3.4", |e| {
            matches!(e, SdpError::BadConnection { .. })
        }),
        ("c=IN IP4 1.2.3.4:80", |e| {
            matches!(e, SdpError::BadConnection { .. })
        }),
        ("m=audio", |e| matches!(e, SdpError::BadMedia { line: 4 })),
        ("m=audio 70000 RTP/AVP 0", |e| {
            matches!(e, SdpError::BadMedia { .. })
        }),
        ("m=audio 4000 RTP/AVP", |e| {
            matches!(e, SdpError::BadMedia { .. })
        }),
        ("m=audio x/2 RTP/AVP 0", |e| {
            matches!(e, SdpError::BadMedia { .. })
        }),
        ("a=rtpmap:0", |e| matches!(e, SdpError::BadAttribute { .. })),
        ("a=rtpmap:200 PCMU/8000", |e| {
            matches!(e, SdpError::BadAttribute { .. })
        }),
        ("a=rtpmap:x PCMU/8000", |e| {
            matches!(e, SdpError::BadAttribute { .. })
        }),
        ("a=fmtp", |e| matches!(e, SdpError::BadAttribute { .. })),
        ("b=AS64", |e| matches!(e, SdpError::BadBandwidth { .. })),
    ];
    for (line, check) in bad_lines {
        let body = format!("{head}{line}\r\n");
        let err = SessionDescription::parse(body.as_bytes()).unwrap_err();
        assert!(check(&err), "{line}: {err:?}");
    }
    assert_eq!(
        SessionDescription::parse(&[b'v', b'=', b'0', b'\n', 0xff]).unwrap_err(),
        SdpError::NotUtf8
    );
    let huge = format!("{head}{}", "a=x\r\n".repeat(20_000));
    assert!(matches!(
        SessionDescription::parse(huge.as_bytes()),
        Err(SdpError::TooLarge { .. })
    ));
}

#[test]
fn every_prefix_of_a_valid_body_parses_or_errors() {
    let text = crlf(BARESIP);
    for end in 0..=text.len() {
        let _ = SessionDescription::parse(&text.as_bytes()[..end]);
    }
}

proptest::proptest! {
    #[test]
    fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..400)) {
        let _ = SessionDescription::parse(&bytes);
    }

    #[test]
    fn parse_of_printed_is_identity(lines in proptest::collection::vec("[a-z]=[ -~]{0,20}", 0..12)) {
        let body = format!("v=0\r\no=- 1 2 IN IP4 10.0.0.1\r\n{}", lines.join("\r\n"));
        if let Ok(sdp) = SessionDescription::parse(body.as_bytes()) {
            let printed = sdp.to_string();
            let again = SessionDescription::parse(printed.as_bytes());
            proptest::prop_assert_eq!(again, Ok(sdp));
        }
    }
}

/// Every SDP body of the SIP torture vectors (shared/vectors/sip-torture beside the
/// repository, when present) parses and round-trips.
#[test]
fn torture_vector_bodies_parse() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/vectors/sip-torture");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return; // the shared vectors are not checked out here
    };
    let mut parsed = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("sip") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let Some(split) = bytes.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let head = String::from_utf8_lossy(&bytes[..split]).to_ascii_lowercase();
        if !head.contains("application/sdp") {
            continue;
        }
        let body = &bytes[split + 4..];
        if body.is_empty() {
            continue; // e.g. badbranch: Content-Type without a body is "no offer"
        }
        let sdp =
            SessionDescription::parse(body).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let again = SessionDescription::parse(sdp.to_string().as_bytes()).unwrap();
        assert_eq!(again, sdp, "{}", path.display());
        parsed += 1;
    }
    assert!(
        parsed >= 4,
        "only {parsed} SDP bodies found in {}",
        dir.display()
    );
}
