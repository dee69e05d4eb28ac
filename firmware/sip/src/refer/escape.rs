//! %-escaping of a header value embedded in a URI (`?Replaces=...`, RFC 3261 §19.1.1 `hvalue`).
//! Decoding reuses [`crate::uri::unescape`].

/// Characters an `hvalue` may carry unescaped: `unreserved` and `hnv-unreserved`. Everything
/// else, notably `;`, `=`, `@`, `&` and `%`, is escaped so the URI parses back unambiguously.
fn is_hvalue_safe(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'_'
                | b'.'
                | b'!'
                | b'~'
                | b'*'
                | b'\''
                | b'('
                | b')'
                | b'['
                | b']'
                | b'/'
                | b'?'
                | b':'
                | b'+'
                | b'$'
        )
}

/// Escapes `value` for use as `hvalue` in a SIP URI's `?name=value` part, as phones expect for
/// an attended transfer (`Replaces=abc%40host%3Bto-tag%3D1%3Bfrom-tag%3D2`).
pub fn escape_header_value(value: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(value.len() * 3 / 2);
    for &b in value.as_bytes() {
        if is_hvalue_safe(b) {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0x0f)]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uri::unescape;

    #[test]
    fn escapes_separators_and_round_trips() {
        let v = "a8f3@10.0.0.5;to-tag=9a;from-tag=7%b&c";
        let e = escape_header_value(v);
        assert_eq!(e, "a8f3%4010.0.0.5%3Bto-tag%3D9a%3Bfrom-tag%3D7%25b%26c");
        assert_eq!(unescape(&e), v);
        assert_eq!(escape_header_value("sip:[::1]/x?y"), "sip:[::1]/x?y");
        assert_eq!(escape_header_value("ñ"), "%C3%B1");
    }
}
