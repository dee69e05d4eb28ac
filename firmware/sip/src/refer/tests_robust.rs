//! Robustness: no parser here panics on any input, every prefix of a real value either parses
//! or returns a typed error, and whatever parses prints back to the same value.
#![allow(clippy::unwrap_used)]
use super::*;
use proptest::prelude::*;

const REAL: &[&str] = &[
    "<sip:202@pbx.local:5060?Replaces=1234567890%40192.168.1.50%3Bto-tag%3Das6e1b2c%3Bfrom-tag%3D2113408093>",
    "\"Bob\" <sip:202@pbx.local;user=phone?Replaces=x%3Bfrom-tag%3DB2%3Bto-tag%3Das7&Require=replaces>;p=1",
    "sip:202@pbx.local?Replaces=abc%40h%3Bto-tag%3Dx%3Bfrom-tag%3Dy",
    "98732@sip.example.com;from-tag=r33th4x0r;to-tag=ff87ff;early-only",
    "SIP/2.0 200 OK\r\n",
];

fn exercise(s: &str) {
    if let Ok(t) = ReferTo::parse(s) {
        assert_eq!(ReferTo::parse(&t.to_string()).unwrap(), t, "{s:?}");
    }
    if let Ok(r) = Replaces::parse(s) {
        assert_eq!(Replaces::parse(&r.to_string()).unwrap(), r, "{s:?}");
    }
    if let Ok(b) = ReferredBy::parse(s) {
        assert_eq!(ReferredBy::parse(&b.to_string()).unwrap(), b, "{s:?}");
    }
    let _ = parse_sipfrag(s.as_bytes());
}

#[test]
fn every_truncation_of_real_values() {
    for v in REAL {
        for cut in 0..=v.len() {
            if let Some(prefix) = v.get(..cut) {
                exercise(prefix);
            }
        }
    }
}

fn token() -> impl Strategy<Value = String> {
    "[A-Za-z0-9.!%*_+`'~-]{1,40}"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
        exercise(&s);
    }

    #[test]
    fn sip_flavoured_text_never_panics(s in "[<>\"?&=;%@:a-z0-9 .,3BDF]{0,200}") {
        exercise(&s);
        exercise(&format!("<sip:202@pbx?Replaces={s}>"));
        exercise(&format!("sip:202@pbx?{s}"));
    }

    #[test]
    fn arbitrary_bytes_as_sipfrag(b in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_sipfrag(&b);
    }

    #[test]
    fn replaces_survive_embedding(
        call_id in "[!-:<-~]{1,80}",
        to_tag in token(),
        from_tag in token(),
        early_only in any::<bool>(),
        user in "[0-9]{2,6}",
    ) {
        let r = Replaces { call_id, to_tag, from_tag, early_only };
        prop_assert_eq!(Replaces::parse(&r.to_string()).unwrap(), r.clone());
        let t = ReferTo::attended(crate::uri::Uri::sip(Some(&user), "pbx.local", None), r.clone());
        let back = ReferTo::parse(&t.to_string()).unwrap();
        prop_assert_eq!(back.replaces.clone(), Some(r));
        prop_assert_eq!(back.dialled(), Some(user));
    }

    #[test]
    fn sipfrag_round_trips(status in 100u16..700, reason in "\\PC{0,60}") {
        let body = sipfrag(status, &reason).unwrap();
        let back = parse_sipfrag(body.as_bytes()).unwrap();
        prop_assert_eq!(back.status, status);
        prop_assert!(!back.reason.is_empty());
    }
}
