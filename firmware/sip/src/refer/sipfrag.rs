//! message/sipfrag (RFC 3420) bodies and the NOTIFY headers that report a REFER's progress
//! (RFC 3515 §2.4.4–2.4.7). The pbx owns the dialog, so it gets headers and body to put in its
//! own in-dialog NOTIFY rather than a whole request.
use super::ReferError;
use crate::builder::reason_phrase;
use crate::message::{HeaderName, Headers};

/// Longest reason phrase written or kept; longer ones are cut (on a character boundary).
const MAX_REASON: usize = 128;
/// Longest sipfrag status line read.
const MAX_STATUS_LINE: usize = 256;

/// The status line a sipfrag body carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipfragStatus {
    pub status: u16,
    pub reason: String,
}

/// Headers and body for one NOTIFY about a REFER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyParts {
    pub headers: Headers,
    pub body: Vec<u8>,
}

/// `SIP/2.0 <status> <reason>\r\n`. An empty reason takes the standard phrase; control
/// characters (a CR/LF would forge header lines in the fragment) become spaces.
pub fn sipfrag(status: u16, reason: &str) -> Result<String, ReferError> {
    if !(100..=699).contains(&status) {
        return Err(ReferError::Status { status });
    }
    let mut clean: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    truncate_chars(&mut clean, MAX_REASON);
    let clean = clean.trim();
    let reason = if clean.is_empty() {
        reason_phrase(status)
    } else {
        clean
    };
    Ok(format!("SIP/2.0 {status} {reason}\r\n"))
}

/// Reads the status line of a sipfrag body (a phone's NOTIFY when the box is the transferor).
/// Headers after the status line, which some phones add, are ignored.
pub fn parse_sipfrag(body: &[u8]) -> Result<SipfragStatus, ReferError> {
    let end = body.iter().position(|&b| b == b'\n').unwrap_or(body.len());
    if end > MAX_STATUS_LINE {
        return Err(ReferError::Sipfrag);
    }
    let line = String::from_utf8_lossy(&body[..end]);
    let line = line.trim_end_matches('\r');
    let rest = line
        .get(..8)
        .filter(|p| p.eq_ignore_ascii_case("SIP/2.0 "))
        .map(|_| line[8..].trim_start())
        .ok_or(ReferError::Sipfrag)?;
    let code = rest.get(..3).ok_or(ReferError::Sipfrag)?;
    if !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ReferError::Sipfrag);
    }
    let status: u16 = code.parse().map_err(|_| ReferError::Sipfrag)?;
    if !(100..=699).contains(&status) {
        return Err(ReferError::Sipfrag);
    }
    let after = &rest[3..];
    if !(after.is_empty() || after.starts_with(' ')) {
        return Err(ReferError::Sipfrag);
    }
    let mut reason = after.trim().to_string();
    truncate_chars(&mut reason, MAX_REASON);
    Ok(SipfragStatus { status, reason })
}

/// The NOTIFY pieces for REFER progress. `refer_cseq` is the CSeq number of the REFER (the
/// `id` that lets a phone tell several transfers in one dialog apart). A provisional status
/// keeps the implicit subscription `active` for `expires` seconds; a final one ends it with
/// `terminated;reason=noresource`, which phones take as "the transfer is over".
pub fn refer_notify(
    refer_cseq: u32,
    status: u16,
    reason: &str,
    expires: u32,
) -> Result<NotifyParts, ReferError> {
    let body = sipfrag(status, reason)?.into_bytes();
    let state = if status < 200 {
        format!("active;expires={expires}")
    } else {
        "terminated;reason=noresource".to_string()
    };
    let mut headers = Headers::new();
    headers.push(HeaderName::Event, format!("refer;id={refer_cseq}"));
    headers.push(HeaderName::Other("Subscription-State".into()), state);
    headers.push(HeaderName::ContentType, "message/sipfrag;version=2.0");
    Ok(NotifyParts { headers, body })
}

fn truncate_chars(s: &mut String, max: usize) {
    if s.len() > max {
        let mut cut = max;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        assert_eq!(sipfrag(200, "OK").unwrap(), "SIP/2.0 200 OK\r\n");
        assert_eq!(sipfrag(100, "").unwrap(), "SIP/2.0 100 Trying\r\n");
        assert_eq!(
            sipfrag(503, "Bad\r\nX-Evil: 1").unwrap(),
            "SIP/2.0 503 Bad  X-Evil: 1\r\n"
        );
        assert_eq!(sipfrag(99, "x"), Err(ReferError::Status { status: 99 }));
        assert_eq!(sipfrag(700, "x"), Err(ReferError::Status { status: 700 }));
        let long = sipfrag(486, &"ñ".repeat(200)).unwrap();
        assert!(long.len() < MAX_REASON + 20);
    }

    #[test]
    fn notify_parts() {
        let n = refer_notify(3, 100, "Trying", 60).unwrap();
        assert_eq!(n.body, b"SIP/2.0 100 Trying\r\n");
        assert_eq!(n.headers.get(&HeaderName::Event), Some("refer;id=3"));
        let state = HeaderName::Other("Subscription-State".into());
        assert_eq!(n.headers.get(&state), Some("active;expires=60"));
        assert_eq!(
            n.headers.get(&HeaderName::ContentType),
            Some("message/sipfrag;version=2.0")
        );
        let n = refer_notify(7, 200, "OK", 60).unwrap();
        assert_eq!(n.headers.get(&state), Some("terminated;reason=noresource"));
        assert_eq!(n.headers.get(&HeaderName::Event), Some("refer;id=7"));
        let n = refer_notify(7, 603, "", 60).unwrap();
        assert_eq!(n.body, b"SIP/2.0 603 Decline\r\n");
        assert!(refer_notify(1, 42, "x", 60).is_err());
    }

    #[test]
    fn reads_status_lines() {
        let ok = |body: &[u8], status, reason: &str| {
            let s = parse_sipfrag(body).unwrap();
            assert_eq!((s.status, s.reason.as_str()), (status, reason));
        };
        ok(b"SIP/2.0 200 OK\r\n", 200, "OK");
        ok(b"SIP/2.0 180 Ringing", 180, "Ringing");
        ok(b"sip/2.0 100\r\n", 100, "");
        ok(
            b"SIP/2.0 603 Declined\r\nContent-Length: 0\r\n\r\n",
            603,
            "Declined",
        );
        ok(b"SIP/2.0  486 Busy Here\n", 486, "Busy Here");
        for bad in [
            &b""[..],
            b"SIP/2.0",
            b"SIP/2.0 20",
            b"SIP/2.0 2000 OK",
            b"SIP/1.0 200 OK",
            b"SIP/2.0 099 x",
            b"SIP/2.0 abc",
            b"INVITE sip:a@b SIP/2.0\r\n",
        ] {
            assert_eq!(parse_sipfrag(bad), Err(ReferError::Sipfrag), "{bad:?}");
        }
        let long = format!("SIP/2.0 200 {}\r\n", "x".repeat(400));
        assert_eq!(parse_sipfrag(long.as_bytes()), Err(ReferError::Sipfrag));
    }
}
