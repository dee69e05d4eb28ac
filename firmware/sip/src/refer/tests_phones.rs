//! Table tests with REFERs written the way deployed phones write them: blind transfers to a bare
//! extension, attended transfers with the Replaces %-encoded in the Refer-To URI, compact header
//! names, odd escapes. Each REFER goes through the real wire parser first.
#![allow(clippy::unwrap_used)]
use super::*;
use crate::message::{HeaderName, Headers, Message, Method, Request};
use crate::parse::parse_datagram;
use crate::uri::Uri;

fn refer_with(lines: &str) -> Request {
    let text = format!(
        "REFER sip:201@192.168.1.10:5060 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.168.1.50:5062;branch=z9hG4bK-refer-1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:200@pbx.local>;tag=1597382456\r\n\
         To: <sip:201@pbx.local>;tag=as5f3c01\r\n\
         Call-ID: 0_2746376@192.168.1.50\r\n\
         CSeq: 3 REFER\r\n\
         Contact: <sip:200@192.168.1.50:5062>\r\n\
         {lines}\
         Content-Length: 0\r\n\r\n"
    );
    match parse_datagram(text.as_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => panic!("parsed a response"),
    }
}

struct Case {
    style: &'static str,
    headers: &'static str,
    dialled: &'static str,
    host: &'static str,
    /// (call_id, to_tag, from_tag, early_only)
    replaces: Option<(&'static str, &'static str, &'static str, bool)>,
    referred_by_user: Option<&'static str>,
    wants_notify: bool,
}

const CASES: &[Case] = &[
    Case {
        style: "Yealink blind",
        headers: "Refer-To: <sip:202@pbx.local:5060>\r\nReferred-By: <sip:200@pbx.local:5060>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: None,
        referred_by_user: Some("200"),
        wants_notify: true,
    },
    Case {
        style: "Yealink attended",
        headers: "Refer-To: <sip:202@pbx.local:5060?Replaces=1234567890%40192.168.1.50%3Bto-tag%3Das6e1b2c%3Bfrom-tag%3D2113408093>\r\n\
                  Referred-By: <sip:200@pbx.local:5060>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: Some(("1234567890@192.168.1.50", "as6e1b2c", "2113408093", false)),
        referred_by_user: Some("200"),
        wants_notify: true,
    },
    Case {
        style: "Grandstream blind, bare addr-spec",
        headers: "Refer-To: sip:202@pbx.local\r\nReferred-By: <sip:200@pbx.local>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: None,
        referred_by_user: Some("200"),
        wants_notify: true,
    },
    Case {
        style: "Grandstream attended with Require",
        headers: "Refer-To: <sip:202@pbx.local?Replaces=5f3c1a2b-8e%40192.168.1.51%3Bto-tag%3D8a7b6c%3Bfrom-tag%3D1936447245&Require=replaces>\r\n\
                  Referred-By: <sip:200@pbx.local>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: Some(("5f3c1a2b-8e@192.168.1.51", "8a7b6c", "1936447245", false)),
        referred_by_user: Some("200"),
        wants_notify: true,
    },
    Case {
        style: "Polycom attended, from-tag first, user=phone",
        headers: "Refer-To: <sip:202@pbx.local;user=phone?Replaces=9a2e1f44-7c1b2d3e-5a6b7c8d%40192.168.1.52%3Bfrom-tag%3DB2C3D4E5-1A2B3C4D%3Bto-tag%3Das7f2e1d>\r\n\
                  Referred-By: \"Ana Garcia\" <sip:200@pbx.local>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: Some(("9a2e1f44-7c1b2d3e-5a6b7c8d@192.168.1.52", "as7f2e1d", "B2C3D4E5-1A2B3C4D", false)),
        referred_by_user: Some("200"),
        wants_notify: true,
    },
    Case {
        style: "baresip blind, compact names",
        headers: "r: sip:202@pbx.local\r\nb: <sip:200@pbx.local>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: None,
        referred_by_user: Some("200"),
        wants_notify: true,
    },
    Case {
        style: "baresip attended, Call-ID without host",
        headers: "Refer-To: <sip:202@pbx.local?Replaces=a1b2c3d4e5f6a7b8%3Bto-tag%3D7d8e9f00%3Bfrom-tag%3D0a1b2c3d>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: Some(("a1b2c3d4e5f6a7b8", "7d8e9f00", "0a1b2c3d", false)),
        referred_by_user: None,
        wants_notify: true,
    },
    Case {
        style: "lower-case escapes and header name",
        headers: "Refer-To: <sip:202@pbx.local?replaces=3c26700c%40pbx%3bto-tag%3dabc%3bfrom-tag%3ddef>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: Some(("3c26700c@pbx", "abc", "def", false)),
        referred_by_user: None,
        wants_notify: true,
    },
    Case {
        style: "unescaped Replaces inside <>",
        headers: "Refer-To: <sip:202@pbx.local?Replaces=abc@1.2.3.4;to-tag=x1;from-tag=y2>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: Some(("abc@1.2.3.4", "x1", "y2", false)),
        referred_by_user: None,
        wants_notify: true,
    },
    Case {
        style: "unbracketed URI with headers",
        headers: "Refer-To: sip:202@pbx.local?Replaces=abc%40h%3Bto-tag%3Dx%3Bfrom-tag%3Dy\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: Some(("abc@h", "x", "y", false)),
        referred_by_user: None,
        wants_notify: true,
    },
    Case {
        style: "pickup style early-only",
        headers: "Refer-To: <sip:202@pbx.local?Replaces=cid9%3Bto-tag%3Da%3Bfrom-tag%3Db%3Bearly-only>\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: Some(("cid9", "a", "b", true)),
        referred_by_user: None,
        wants_notify: true,
    },
    Case {
        style: "bare extension as host",
        headers: "Refer-To: <sip:202>\r\n",
        dialled: "202",
        host: "202",
        replaces: None,
        referred_by_user: None,
        wants_notify: true,
    },
    Case {
        style: "display name, escaped user",
        headers: "Refer-To: \"Bob\" <sip:%32%30%32@192.168.1.10>\r\n",
        dialled: "202",
        host: "192.168.1.10",
        replaces: None,
        referred_by_user: None,
        wants_notify: true,
    },
    Case {
        style: "tel URI",
        headers: "Refer-To: <tel:+34911234567>\r\n",
        dialled: "+34911234567",
        host: "+34911234567",
        replaces: None,
        referred_by_user: None,
        wants_notify: true,
    },
    Case {
        style: "Refer-Sub false, odd Referred-By ignored",
        headers: "Refer-To: <sip:202@pbx.local>\r\nRefer-Sub: false\r\nReferred-By: <sip:200@pbx\r\n",
        dialled: "202",
        host: "pbx.local",
        replaces: None,
        referred_by_user: None,
        wants_notify: false,
    },
];

#[test]
fn phone_refers() {
    for c in CASES {
        let req = refer_with(c.headers);
        let got = ReferRequest::from_request(&req).unwrap_or_else(|e| panic!("{}: {e}", c.style));
        let t = &got.refer_to;
        assert_eq!(t.dialled().as_deref(), Some(c.dialled), "{}", c.style);
        assert_eq!(t.uri.host, c.host, "{}", c.style);
        assert_eq!(t.uri.headers, None, "{}", c.style);
        let replaces = t.replaces.as_ref().map(|r| {
            (
                r.call_id.as_str(),
                r.to_tag.as_str(),
                r.from_tag.as_str(),
                r.early_only,
            )
        });
        assert_eq!(replaces, c.replaces, "{}", c.style);
        let by = got
            .referred_by
            .as_ref()
            .and_then(|b| b.addr.uri.user.as_deref());
        assert_eq!(by, c.referred_by_user, "{}", c.style);
        assert_eq!(got.wants_notify, c.wants_notify, "{}", c.style);
        // What we print parses back to the same transfer.
        assert_eq!(ReferTo::parse(&t.to_string()).unwrap(), *t, "{}", c.style);
    }
}

#[test]
fn grandstream_require_is_kept_decoded() {
    let req = refer_with(CASES[3].headers);
    let t = ReferRequest::from_request(&req).unwrap().refer_to;
    assert_eq!(
        t.embedded,
        vec![("Require".to_string(), "replaces".to_string())]
    );
    assert!(t.to_string().ends_with("&Require=replaces>"));
}

#[test]
fn bad_refers() {
    use ReferError::*;
    let cases: &[(&str, ReferError)] = &[
        ("", MissingHeader { header: "Refer-To" }),
        (
            "Refer-To: <sip:202@pbx>\r\nRefer-To: <sip:203@pbx>\r\n",
            DuplicateHeader { header: "Refer-To" },
        ),
        (
            "Refer-To: <sip:202@pbx>, <sip:203@pbx>\r\n",
            DuplicateHeader { header: "Refer-To" },
        ),
        (
            "Refer-To: <sip:202@pbx?Replaces=abc%3Bto-tag%3Dx>\r\n",
            MissingParam { param: "from-tag" },
        ),
        (
            "Refer-To: <sip:202@pbx?Replaces=a%3Bto-tag%3Dx%3Bfrom-tag%3Dy&Replaces=a%3Bto-tag%3Dx%3Bfrom-tag%3Dy>\r\n",
            DuplicateHeader { header: "Replaces" },
        ),
        ("Refer-To: <sip:202@pbx?Replaces>\r\n", EmbeddedHeader),
        ("Refer-To: <sip:202@pbx?Re%20places=x>\r\n", EmbeddedHeader),
    ];
    for (lines, want) in cases {
        let req = refer_with(lines);
        assert_eq!(
            ReferRequest::from_request(&req).unwrap_err(),
            *want,
            "{lines}"
        );
    }
    let req = refer_with("Refer-To: <sip:202@pbx\r\n");
    assert!(matches!(
        ReferRequest::from_request(&req),
        Err(Address {
            header: "Refer-To",
            ..
        })
    ));
    let many = format!(
        "Refer-To: <sip:202@pbx?{}>\r\n",
        ["X=1"; MAX_EMBEDDED_HEADERS + 1].join("&")
    );
    assert_eq!(
        ReferRequest::from_request(&refer_with(&many)).unwrap_err(),
        TooManyEmbedded {
            max: MAX_EMBEDDED_HEADERS
        }
    );
}

/// The attended transfer as the pbx sees it: the transferor's REFER names the consultation
/// dialog between the box and the transferor; the box looks it up with its own tags.
#[test]
fn attended_transfer_names_the_consultation_dialog() {
    let req = refer_with(CASES[1].headers);
    let r = ReferRequest::from_request(&req)
        .unwrap()
        .refer_to
        .replaces
        .unwrap();
    let consultation = ReplacedDialog {
        call_id: "1234567890@192.168.1.50",
        local_tag: "as6e1b2c",
        remote_tag: "2113408093",
        state: DialogState::Confirmed,
    };
    assert_eq!(r.verdict(Some(&consultation)), ReplacesVerdict::Replace);
    let swapped = ReplacedDialog {
        local_tag: "2113408093",
        remote_tag: "as6e1b2c",
        ..consultation
    };
    assert_eq!(r.verdict(Some(&swapped)), ReplacesVerdict::NoDialog);
    assert!(r.names_either_way(swapped.call_id, swapped.local_tag, swapped.remote_tag));
}

#[test]
fn box_built_attended_refer_to_looks_like_a_phones() {
    let replaces = Replaces::parse("c0ffee@10.0.0.1;to-tag=t1;from-tag=f1").unwrap();
    let t = ReferTo::attended(Uri::sip(Some("202"), "pbx.local", None), replaces);
    assert_eq!(
        t.to_string(),
        "<sip:202@pbx.local?Replaces=c0ffee%4010.0.0.1%3Bto-tag%3Dt1%3Bfrom-tag%3Df1>"
    );
    let blind = ReferTo::blind(Uri::sip(Some("202"), "pbx.local", None));
    assert_eq!(blind.to_string(), "<sip:202@pbx.local>");
    assert!(!blind.is_attended());
}

fn invite_with(lines: &str) -> Request {
    let text = format!(
        "INVITE sip:201@192.168.1.10 SIP/2.0\r\n\
         Via: SIP/2.0/UDP 192.168.1.53:5060;branch=z9hG4bK-inv-1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:203@pbx.local>;tag=77\r\n\
         To: <sip:201@pbx.local>\r\n\
         Call-ID: inv-1@192.168.1.53\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:203@192.168.1.53>\r\n\
         {lines}\
         Content-Length: 0\r\n\r\n"
    );
    match parse_datagram(text.as_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => panic!("parsed a response"),
    }
}

#[test]
fn invite_with_replaces() {
    assert_eq!(replaces_of(&invite_with("")).unwrap(), None);
    let r = replaces_of(&invite_with(
        "Replaces: 425928@bobster.example.org;to-tag=7743;from-tag=6472\r\n",
    ))
    .unwrap()
    .unwrap();
    assert_eq!(r.call_id, "425928@bobster.example.org");
    assert_eq!(
        replaces_of(&invite_with(
            "Replaces: a;to-tag=1;from-tag=2\r\nReplaces: b;to-tag=1;from-tag=2\r\n"
        )),
        Err(ReferError::DuplicateHeader { header: "Replaces" })
    );
    assert_eq!(
        replaces_of(&invite_with("Replaces: a;to-tag=1\r\n")),
        Err(ReferError::MissingParam { param: "from-tag" })
    );
}

/// The pbx's NOTIFY, assembled from [`refer_notify`], survives the wire and a phone (or the box
/// as transferor) reads the progress back.
#[test]
fn notify_round_trips_through_the_wire() {
    for (status, reason) in [
        (100, "Trying"),
        (180, "Ringing"),
        (200, "OK"),
        (486, "Busy Here"),
    ] {
        let parts = refer_notify(3, status, reason, 60).unwrap();
        let mut headers = Headers::new();
        headers.push(
            HeaderName::Via,
            "SIP/2.0/UDP 192.168.1.10:5060;branch=z9hG4bK-n1",
        );
        headers.push(HeaderName::MaxForwards, "70");
        headers.push(HeaderName::From, "<sip:201@pbx.local>;tag=as5f3c01");
        headers.push(HeaderName::To, "<sip:200@pbx.local>;tag=1597382456");
        headers.push(HeaderName::CallId, "0_2746376@192.168.1.50");
        headers.push(HeaderName::CSeq, "102 NOTIFY");
        headers.list.extend(parts.headers.list);
        let notify = Request {
            method: Method::Notify,
            uri: Uri::sip(Some("200"), "192.168.1.50", Some(5062)),
            headers,
            body: parts.body,
        };
        let Message::Request(back) = parse_datagram(&notify.to_bytes()).unwrap() else {
            panic!("not a request");
        };
        let frag = parse_sipfrag(&back.body).unwrap();
        assert_eq!((frag.status, frag.reason.as_str()), (status, reason));
        assert_eq!(back.headers.get(&HeaderName::Event), Some("refer;id=3"));
        let state = back
            .headers
            .list
            .iter()
            .find(|h| h.name.is("subscription-state"))
            .map(|h| h.value.clone())
            .unwrap();
        assert_eq!(state.starts_with("terminated"), status >= 200);
    }
}
