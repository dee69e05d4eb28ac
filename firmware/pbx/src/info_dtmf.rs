//! DTMF carried in SIP INFO bodies, the way phones without RFC 4733 (or configured for "SIP INFO")
//! send key presses:
//!
//! * `application/dtmf-relay` (the de-facto Cisco format): `Signal=5\r\nDuration=160\r\n`. Phones
//!   differ in case, white space, line endings and whether `*`/`#` are sent as characters or as
//!   the RFC 4733 event numbers 10/11 (12–15 for A–D), so all of those are accepted.
//! * `application/dtmf`: the body is the key itself (`5`), or its event number.
//!
//! Anything else (other body types, flash-hook, several signals, garbage) yields `None`: an INFO we
//! cannot read is answered 200 by the B2BUA anyway and simply produces no digit.

/// Bodies longer than this are not DTMF: scanning them is wasted work on a hostile peer's input.
const MAX_BODY: usize = 512;

/// The key pressed, as `0`-`9`, `*`, `#` or `A`-`D`, or `None` when the body is not a DTMF INFO.
pub fn parse(content_type: &str, body: &[u8]) -> Option<char> {
    if body.len() > MAX_BODY {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    match media_type(content_type)?.as_str() {
        "application/dtmf-relay" => relay_signal(text),
        // Some phones label a dtmf-relay body as application/dtmf: read both shapes.
        "application/dtmf" => match text.contains('=') {
            true => relay_signal(text),
            false => key(text),
        },
        _ => None,
    }
}

/// `type/subtype` lower-cased, without parameters (`; charset=...`).
fn media_type(content_type: &str) -> Option<String> {
    let essence = content_type.split(';').next()?.trim();
    (!essence.is_empty()).then(|| essence.to_ascii_lowercase())
}

/// The value of the single `Signal=` line. Two different Signal lines are ambiguous: no digit.
fn relay_signal(text: &str) -> Option<char> {
    let mut found: Option<char> = None;
    for line in text.split(['\r', '\n']) {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("signal") {
            continue;
        }
        let digit = key(value)?;
        if found.is_some_and(|d| d != digit) {
            return None;
        }
        found = Some(digit);
    }
    found
}

/// One key: a character or an RFC 4733 event number (0-15), surrounding white space ignored.
fn key(value: &str) -> Option<char> {
    let value = value.trim();
    let mut chars = value.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return match c.to_ascii_uppercase() {
            c @ ('0'..='9' | '*' | '#' | 'A'..='D') => Some(c),
            _ => None,
        };
    }
    // Two digits at most: "0010" is not a key anyone sends, and a long number is garbage.
    if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match value.parse::<u8>().ok()? {
        10 => Some('*'),
        11 => Some('#'),
        n @ 12..=15 => Some(char::from(b'A' + (n - 12))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RELAY: &str = "application/dtmf-relay";

    #[test]
    fn dtmf_relay_bodies() {
        let cases: &[(&str, &str, Option<char>)] = &[
            (RELAY, "Signal=5\r\nDuration=160\r\n", Some('5')),
            (RELAY, "Signal=5\r\nDuration=160", Some('5')),
            (RELAY, "signal = 9\nduration = 250\n", Some('9')),
            (RELAY, "SIGNAL=*\r\nDuration=100", Some('*')),
            (RELAY, "Signal=#", Some('#')),
            (RELAY, "Signal=10\r\nDuration=160", Some('*')),
            (RELAY, "Signal=11\r\nDuration=160", Some('#')),
            (RELAY, "Signal=12", Some('A')),
            (RELAY, "Signal=15", Some('D')),
            (RELAY, "Signal=a", Some('A')),
            (RELAY, "Signal=d\r\n", Some('D')),
            (RELAY, "Duration=160\r\nSignal=0\r\n", Some('0')),
            (RELAY, "  Signal\t=\t7  \r\n", Some('7')),
            (RELAY, "Signal=3\r\nSignal=3\r\n", Some('3')),
            (
                "Application/DTMF-Relay; charset=utf-8",
                "Signal=1",
                Some('1'),
            ),
            (" application/dtmf-relay ", "Signal=2", Some('2')),
            // Not DTMF or not readable.
            (RELAY, "Signal=16", None),
            (RELAY, "Signal=!", None),
            (RELAY, "Signal=E", None),
            (RELAY, "Signal=", None),
            (RELAY, "Signal=55", None),
            (RELAY, "Signal=010", None),
            (RELAY, "Signal=1\r\nSignal=2\r\n", None),
            (RELAY, "Duration=160", None),
            (RELAY, "", None),
            (RELAY, "5", None),
            (RELAY, "Signal 5", None),
            (RELAY, "Signal=-1", None),
            (RELAY, "Signal=+1", None),
        ];
        for (ct, body, want) in cases {
            assert_eq!(parse(ct, body.as_bytes()), *want, "{ct:?} {body:?}");
        }
    }

    #[test]
    fn dtmf_bodies() {
        let ct = "application/dtmf";
        let cases: &[(&str, Option<char>)] = &[
            ("5", Some('5')),
            ("5\r\n", Some('5')),
            (" # ", Some('#')),
            ("*", Some('*')),
            ("b", Some('B')),
            ("10", Some('*')),
            ("11", Some('#')),
            ("Signal=4\r\nDuration=100", Some('4')),
            ("", None),
            ("55", None),
            ("x", None),
            ("ñ", None),
        ];
        for (body, want) in cases {
            assert_eq!(parse(ct, body.as_bytes()), *want, "{body:?}");
        }
    }

    #[test]
    fn other_types_and_garbage() {
        assert_eq!(parse("application/sdp", b"Signal=5"), None);
        assert_eq!(parse("text/plain", b"5"), None);
        assert_eq!(parse("", b"5"), None);
        assert_eq!(parse(";", b"5"), None);
        assert_eq!(parse(RELAY, &[0xff, 0xfe, b'5']), None);
        assert_eq!(parse(RELAY, b"Signal=5\0"), None);
        let long = format!("Signal=5\r\n{}", " ".repeat(MAX_BODY));
        assert_eq!(parse(RELAY, long.as_bytes()), None);
    }

    proptest! {
        #[test]
        fn never_panics(ct in ".{0,40}", body in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse(&ct, &body);
            let _ = parse(RELAY, &body);
            let _ = parse("application/dtmf", &body);
        }

        #[test]
        fn result_is_a_key(body in "[ \t\r\nA-Za-z0-9=*#!]{0,40}") {
            for ct in [RELAY, "application/dtmf"] {
                if let Some(c) = parse(ct, body.as_bytes()) {
                    prop_assert!("0123456789*#ABCD".contains(c));
                }
            }
        }

        #[test]
        fn every_key_round_trips(idx in 0usize..16, duration in 0u32..10_000) {
            let k = "0123456789*#ABCD".as_bytes()[idx] as char;
            let body = format!("Signal={k}\r\nDuration={duration}\r\n");
            prop_assert_eq!(parse(RELAY, body.as_bytes()), Some(k));
            prop_assert_eq!(parse(RELAY, format!("Signal={idx}").as_bytes()), Some(k));
        }
    }
}
