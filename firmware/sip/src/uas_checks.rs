//! Checks a UAS makes before handing a request to its core (RFC 3261 §8.2): method support (501 with
//! Allow), URI scheme (416), Require (420 with Unsupported), Content-Type/Encoding (415 with Accept),
//! Accept (406), Max-Forwards (483 when the request would be forwarded).
//!
//! Responses are built with [`Response::for_request`] without a To tag: this crate has no RNG, so
//! a caller that wants one (RFC 3261 §8.2.6.2) adds it. ACK never gets a response (§17.2.1) and is
//! never refused here.
use crate::builder::reason_phrase;
use crate::message::{HeaderName, Method, Request, Response, SipHeaders};
use crate::uri::Scheme;

/// What this UAS supports.
pub struct UasPolicy<'a> {
    pub allowed_methods: &'a [&'a str],
    pub supported_extensions: &'a [&'a str],
    pub accepted_body_types: &'a [&'a str],
}

fn reply(req: &Request, status: u16) -> Response {
    Response::for_request(req, status, reason_phrase(status), None)
}

/// The media type of a Content-Type / Accept element, without parameters.
fn media_type(value: &str) -> &str {
    value.split(';').next().unwrap_or("").trim()
}

/// `Some(response)` when the request must be rejected before the core sees it.
///
/// Order follows RFC 3261 §8.2: method (501), then header inspection (CSeq method of an unknown
/// method, Request-URI scheme and headers), then extensions (420), then content (415, 406).
pub fn check_request(req: &Request, policy: &UasPolicy<'_>) -> Option<Response> {
    if req.method == Method::Ack {
        return None;
    }
    let method = req.method.as_str();
    if !policy.allowed_methods.contains(&method) {
        let mut r = reply(req, 501);
        r.headers
            .push(HeaderName::Allow, policy.allowed_methods.join(", "));
        return Some(r);
    }
    // The parser only compares CSeq for methods it knows (see `parse::validate`).
    if req.cseq().is_some_and(|c| c.method != req.method) {
        return Some(reply(req, 400));
    }
    if !matches!(req.uri.scheme, Scheme::Sip | Scheme::Sips | Scheme::Tel) {
        return Some(reply(req, 416));
    }
    // Headers in a Request-URI (RFC 4475 escruri) must never become real headers or be forwarded;
    // refusing them is the simple safe choice.
    if req.uri.headers.is_some() {
        return Some(reply(req, 400));
    }
    if req.method != Method::Cancel {
        if let Some(r) = check_require(req, policy) {
            return Some(r);
        }
    }
    if let Some(r) = check_content(req, policy) {
        return Some(r);
    }
    check_accept(req)
}

/// 420 listing every Require option not in `supported_extensions` (case-insensitive).
fn check_require(req: &Request, policy: &UasPolicy<'_>) -> Option<Response> {
    let unsupported: Vec<&str> = req
        .headers
        .values(&HeaderName::Require)
        .filter(|opt| {
            !policy
                .supported_extensions
                .iter()
                .any(|s| s.eq_ignore_ascii_case(opt))
        })
        .collect();
    if unsupported.is_empty() {
        return None;
    }
    let mut r = reply(req, 420);
    r.headers
        .push(HeaderName::Unsupported, unsupported.join(", "));
    Some(r)
}

/// 415 for a body whose type or encoding we do not understand (RFC 3261 §8.2.3).
fn check_content(req: &Request, policy: &UasPolicy<'_>) -> Option<Response> {
    if req.body.is_empty() {
        return None;
    }
    let bad_encoding = req
        .headers
        .values(&HeaderName::ContentEncoding)
        .any(|e| !e.eq_ignore_ascii_case("identity"));
    if bad_encoding {
        let mut r = reply(req, 415);
        r.headers
            .push(HeaderName::Other("Accept-Encoding".into()), "identity");
        return Some(r);
    }
    let ct = req.content_type().map(media_type)?;
    let known = policy
        .accepted_body_types
        .iter()
        .any(|t| t.eq_ignore_ascii_case(ct));
    if known {
        return None;
    }
    let mut r = reply(req, 415);
    r.headers
        .push(HeaderName::Accept, policy.accepted_body_types.join(", "));
    Some(r)
}

/// 406 when an INVITE's Accept rules out SDP, the only body the PBX answers an INVITE with
/// (RFC 4475 sdp01). An empty Accept header is treated as absent.
fn check_accept(req: &Request) -> Option<Response> {
    if req.method != Method::Invite || req.headers.count(&HeaderName::Accept) == 0 {
        return None;
    }
    let mut any = false;
    let sdp_ok = req.headers.values(&HeaderName::Accept).any(|a| {
        any = true;
        let t = media_type(a);
        ["application/sdp", "application/*", "*/*"]
            .iter()
            .any(|ok| ok.eq_ignore_ascii_case(t))
    });
    if sdp_ok || !any {
        return None;
    }
    let mut r = reply(req, 406);
    r.headers.push(
        HeaderName::Warning,
        "399 centralita \"only application/sdp bodies can be sent\"",
    );
    Some(r)
}

/// For a request the B2BUA is about to forward (a new leg): 483 when Max-Forwards is 0
/// (RFC 3261 §16.3; RFC 4475 zeromf). An endpoint answering the request itself skips this.
pub fn check_max_forwards(req: &Request) -> Option<Response> {
    match crate::parse::max_forwards(&req.headers) {
        Some(0) => Some(reply(req, 483)),
        _ => None,
    }
}
