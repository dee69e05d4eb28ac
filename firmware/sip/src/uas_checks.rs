//! Checks a UAS makes before handing a request to its core (RFC 3261 §8.2): method support (501 with
//! Allow), URI scheme (416), Require (420 with Unsupported), Content-Type/Encoding (415 with Accept),
//! Accept (406), Max-Forwards (483 when the request would be forwarded).
use crate::message::{Request, Response};

/// What this UAS supports.
pub struct UasPolicy<'a> {
    pub allowed_methods: &'a [&'a str],
    pub supported_extensions: &'a [&'a str],
    pub accepted_body_types: &'a [&'a str],
}

/// `Some(response)` when the request must be rejected before the core sees it.
pub fn check_request(req: &Request, policy: &UasPolicy<'_>) -> Option<Response> {
    let _ = (req, policy);
    todo!("sip parser engineer")
}
