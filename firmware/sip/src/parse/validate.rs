//! Checks that make a message usable by the transaction layer and core: mandatory headers present
//! and well formed, single-valued headers single (RFC 3261 §8.1.1, §8.2, §20; RFC 4475 §3.1.2,
//! §3.3.1, §3.3.8).
use crate::error::ParseError;
use crate::header::lex::parse_decimal;
use crate::header::{CSeq, Contact, NameAddr, Via};
use crate::message::{HeaderName, Headers, Method};

/// Headers that may appear once only (Content-Length is handled by framing, which tolerates equal
/// duplicates).
const SINGLE: [(HeaderName, &str); 6] = [
    (HeaderName::From, "From"),
    (HeaderName::To, "To"),
    (HeaderName::CallId, "Call-ID"),
    (HeaderName::CSeq, "CSeq"),
    (HeaderName::MaxForwards, "Max-Forwards"),
    (HeaderName::ContentType, "Content-Type"),
];

/// Validates a parsed header list. `method` is the request method, `None` for a response.
///
/// The CSeq method must equal the request method — except for methods this crate does not know:
/// such a request is answered 501 by `uas_checks` (RFC 4475 mismatch02 prefers 501 over 400), and
/// `uas_checks` repeats the comparison for unknown methods a policy does allow.
pub(crate) fn validate(headers: &Headers, method: Option<&Method>) -> Result<(), ParseError> {
    for (name, label) in &SINGLE {
        if headers.count(name) > 1 {
            return Err(ParseError::Duplicate { header: label });
        }
    }
    let mut vias = 0usize;
    for v in headers.values(&HeaderName::Via) {
        Via::parse(v)?;
        vias += 1;
    }
    if vias == 0 {
        return Err(ParseError::Missing { header: "Via" });
    }
    for (name, label) in [(HeaderName::From, "From"), (HeaderName::To, "To")] {
        let v = headers
            .get(&name)
            .ok_or(ParseError::Missing { header: label })?;
        NameAddr::parse(v).map_err(|_| ParseError::Header { header: label })?;
    }
    match headers.get(&HeaderName::CallId) {
        None => return Err(ParseError::Missing { header: "Call-ID" }),
        Some("") => return Err(ParseError::Header { header: "Call-ID" }),
        Some(_) => {}
    }
    let cseq = headers
        .get(&HeaderName::CSeq)
        .ok_or(ParseError::Missing { header: "CSeq" })?;
    let cseq = CSeq::parse(cseq)?;
    if let Some(mf) = headers.get(&HeaderName::MaxForwards) {
        // Only the syntax matters here; an overlarge value is clamped by whoever reads it.
        if !mf.bytes().all(|b| b.is_ascii_digit()) || mf.is_empty() {
            return Err(ParseError::Header {
                header: "Max-Forwards",
            });
        }
    }
    for c in headers.values(&HeaderName::Contact) {
        Contact::parse(c).map_err(|_| ParseError::Header { header: "Contact" })?;
    }
    if let Some(m) = method {
        if !matches!(m, Method::Other(_)) && &cseq.method != m {
            return Err(ParseError::CSeqMismatch);
        }
    }
    Ok(())
}

/// Max-Forwards as a number, saturating at 255 (RFC 4475 scalar02: an overlarge value is not an
/// error by itself). `None` when absent or not numeric.
pub fn max_forwards(headers: &Headers) -> Option<u8> {
    let v = headers.get(&HeaderName::MaxForwards)?;
    match parse_decimal(v, u64::MAX) {
        Some(n) => Some(u8::try_from(n).unwrap_or(u8::MAX)),
        None if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) => Some(u8::MAX),
        None => None,
    }
}
