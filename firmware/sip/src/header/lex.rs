//! Small byte-level helpers shared by the header, URI and message parsers (RFC 3261 §25.1 basic
//! rules). Kept allocation-free: they return indices or borrowed slices.

/// `token` characters (RFC 3261 §25.1): alphanumerics and `-.!%*_+`'~`.
pub(crate) fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.' | b'!' | b'%' | b'*' | b'_' | b'+' | b'`' | b'\'' | b'~'
        )
}

/// A non-empty token.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(is_token_byte)
}

/// Linear white space inside one (already unfolded) header value.
pub(crate) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Index of the first byte at or after `i` that is not white space.
pub(crate) fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && is_ws(s[i]) {
        i += 1;
    }
    i
}

/// `s[start]` must be `"`; returns the index just past the closing quote, honouring `\x`
/// quoted-pairs, or `None` when the string is unterminated (RFC 4475 quotbal).
pub(crate) fn quoted_end(s: &[u8], start: usize) -> Option<usize> {
    let mut i = start + 1;
    while i < s.len() {
        match s[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The content of a quoted string (with or without its quotes) with quoted-pairs resolved.
pub(crate) fn unquote(s: &str) -> String {
    let inner = s
        .strip_prefix('"')
        .and_then(|x| x.strip_suffix('"'))
        .unwrap_or(s);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(next) = chars.next() {
                out.push(next);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Writes `s` as a quoted string, escaping `"` and `\` (the only characters that need it).
pub(crate) fn write_quoted(f: &mut std::fmt::Formatter<'_>, s: &str) -> std::fmt::Result {
    use std::fmt::Write;
    f.write_char('"')?;
    for c in s.chars() {
        if c == '"' || c == '\\' {
            f.write_char('\\')?;
        }
        f.write_char(c)?;
    }
    f.write_char('"')
}

/// Parses a decimal number of at most `max` value, tolerating leading zeros (RFC 4475 wsinv has
/// `CSeq: 0009`) but never overflowing on absurdly long digit strings (scalar02).
pub(crate) fn parse_decimal(s: &str, max: u64) -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = s.trim_start_matches('0');
    if significant.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for b in significant.bytes() {
        v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    (v <= max).then_some(v)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn decimal_bounds() {
        assert_eq!(parse_decimal("0009", 100), Some(9));
        assert_eq!(
            parse_decimal("4294967295", u32::MAX as u64),
            Some(4294967295)
        );
        assert_eq!(parse_decimal("4294967296", u32::MAX as u64), None);
        assert_eq!(parse_decimal("36893488147419103232", u64::MAX), None);
        assert_eq!(parse_decimal("-1", 10), None);
        assert_eq!(parse_decimal("", 10), None);
    }

    #[test]
    fn quoted() {
        let s = br#""a\"b" x"#;
        assert_eq!(quoted_end(s, 0), Some(6));
        assert_eq!(quoted_end(b"\"abc", 0), None);
        assert_eq!(unquote(r#""a\"b""#), "a\"b");
    }
}
