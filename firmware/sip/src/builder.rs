//! Building responses and in-dialog requests from a request (RFC 3261 §8.2.6, §12.2.1).
use crate::message::{HeaderName, Headers, Request, Response, SipHeaders};

impl Response {
    /// A response to `req`: copies Via (all), From, To, Call-ID and CSeq (§8.2.6.2). When `to_tag` is
    /// given and To has no tag yet, appends it.
    pub fn for_request(req: &Request, status: u16, reason: &str, to_tag: Option<&str>) -> Response {
        let mut headers = Headers::new();
        for h in &req.headers.list {
            match h.name {
                HeaderName::Via | HeaderName::From | HeaderName::CallId | HeaderName::CSeq => {
                    headers.list.push(h.clone())
                }
                HeaderName::To => {
                    let mut value = h.value.clone();
                    if let Some(tag) = to_tag {
                        if !has_tag_param(&value) {
                            value.push_str(";tag=");
                            value.push_str(tag);
                        }
                    }
                    headers.list.push(crate::message::Header {
                        name: HeaderName::To,
                        value,
                    })
                }
                _ => {}
            }
        }
        Response {
            status,
            reason: reason.to_string(),
            headers,
            body: Vec::new(),
        }
    }

    /// The To tag of this response, if any.
    pub fn to_tag(&self) -> Option<String> {
        self.to_header().and_then(|n| n.tag().map(str::to_string))
    }
}

/// Whether a From/To value already carries `;tag=` (outside the URI's angle brackets).
fn has_tag_param(value: &str) -> bool {
    let after_uri = match value.rfind('>') {
        Some(i) => &value[i..],
        None => value,
    };
    after_uri
        .split(';')
        .skip(1)
        .any(|p| p.trim().to_ascii_lowercase().starts_with("tag="))
}

/// Standard reason phrases for the codes the PBX sends.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        603 => "Decline",
        _ => "Unknown",
    }
}
