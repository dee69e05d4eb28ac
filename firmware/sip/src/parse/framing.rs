//! Where a message's header section ends and how long its body is (RFC 3261 §7.5, §18.3).
use crate::error::ParseError;
use crate::header::lex::parse_decimal;
use crate::message::{HeaderName, Headers};

/// Largest message accepted on any transport. SIP over UDP cannot exceed it anyway; over TCP it
/// bounds how much a peer can make us buffer before we see a complete message.
pub const MAX_MESSAGE: usize = 64 * 1024;

/// Number of leading CR/LF octets (stream keep-alives, RFC 3261 §7.5; RFC 5626 §4.4.1 CRLF
/// pings). The transport should drop them and, for a double CRLF, may answer with one CRLF.
pub fn skip_keepalives(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|b| matches!(b, b'\r' | b'\n'))
        .count()
}

/// Finds the empty line closing the header section. Returns (end of header text, start of body).
/// Bare LF line ends are tolerated because some old devices send them.
pub(crate) fn find_head_end(buf: &[u8]) -> Option<(usize, usize)> {
    let mut from = 0;
    while let Some(off) = buf[from..].iter().position(|&b| b == b'\n') {
        let p = from + off;
        match buf.get(p + 1) {
            Some(b'\n') => return Some((p + 1, p + 2)),
            Some(b'\r') if buf.get(p + 2) == Some(&b'\n') => return Some((p + 1, p + 3)),
            _ => from = p + 1,
        }
    }
    None
}

/// The Content-Length value, if any. Several lines with the same value are tolerated; differing
/// values (RFC 4475 mcl01), negative or non-numeric ones (ncl) are errors. A value above
/// [`MAX_MESSAGE`] is `TooLarge`: nothing is ever allocated from it.
pub(crate) fn content_length(headers: &Headers) -> Result<Option<usize>, ParseError> {
    let mut found: Option<u64> = None;
    for v in headers.lines(&HeaderName::ContentLength) {
        let n = parse_decimal(v.trim(), u64::MAX).ok_or(ParseError::ContentLength)?;
        if found.is_some_and(|f| f != n) {
            return Err(ParseError::ContentLength);
        }
        found = Some(n);
    }
    match found {
        None => Ok(None),
        Some(n) if n > MAX_MESSAGE as u64 => Err(ParseError::TooLarge),
        Some(n) => usize::try_from(n)
            .map(Some)
            .map_err(|_| ParseError::TooLarge),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn head_end() {
        assert_eq!(find_head_end(b"A\r\nB: c\r\n\r\nbody"), Some((9, 11)));
        assert_eq!(find_head_end(b"A\nB: c\n\nbody"), Some((7, 8)));
        assert_eq!(find_head_end(b"A\r\nB: c\r\n"), None);
        assert_eq!(skip_keepalives(b"\r\n\r\nINVITE"), 4);
    }

    #[test]
    fn lengths() {
        let mut h = Headers::new();
        assert_eq!(content_length(&h), Ok(None));
        h.push(HeaderName::ContentLength, "13");
        h.push(HeaderName::ContentLength, "13");
        assert_eq!(content_length(&h), Ok(Some(13)));
        h.push(HeaderName::ContentLength, "5");
        assert_eq!(content_length(&h), Err(ParseError::ContentLength));
        for bad in ["-999", "five", "", "1 2"] {
            let mut h = Headers::new();
            h.push(HeaderName::ContentLength, bad);
            assert_eq!(content_length(&h), Err(ParseError::ContentLength), "{bad}");
        }
        let mut h = Headers::new();
        h.push(HeaderName::ContentLength, "99999999999999999999999");
        assert_eq!(content_length(&h), Err(ParseError::ContentLength));
        let mut h = Headers::new();
        h.push(HeaderName::ContentLength, "70000");
        assert_eq!(content_length(&h), Err(ParseError::TooLarge));
    }
}
