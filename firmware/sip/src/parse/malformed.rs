//! The stateless error response to a request that failed to parse (RFC 3261 §8.2.6, §18.2.2;
//! RFC 4475 expects 400 / 505 for its invalid requests).
//!
//! Rule: reply only when the first line looks like a request (a method token, not `SIP/`, not
//! ACK, which never gets a response) and a top Via with a usable sent-by can be read, since
//! without it the response cannot be routed (§18.2.2). Everything else — responses, garbage,
//! keep-alives, requests without a Via — is dropped. The reply carries, as far as they can be read:
//! the Via values (the top one re-printed from what parsed, later ones only if fully valid), and
//! the first From, To, Call-ID and CSeq lines verbatim, so the client can match it to its
//! transaction. A Warning explains the refusal. No To tag is added: this crate has no RNG, and a
//! stateless 400 creates no dialog.
use super::framing::{find_head_end, skip_keepalives, MAX_MESSAGE};
use super::lines::HeaderLines;
use super::start_line::is_status_line;
use crate::error::ParseError;
use crate::header::lex::is_token;
use crate::header::Via;
use crate::message::{split_list, HeaderName, Headers, Response};

/// See the module documentation for when this returns `Some`.
pub fn reply_for_malformed(bytes: &[u8], error: &ParseError) -> Option<Response> {
    if matches!(error, ParseError::Empty | ParseError::Incomplete) {
        return None;
    }
    let bytes = &bytes[skip_keepalives(bytes)..];
    let bytes = &bytes[..bytes.len().min(MAX_MESSAGE)];
    let head = match find_head_end(bytes) {
        Some((end, _)) => &bytes[..end],
        None => bytes,
    };
    let text = String::from_utf8_lossy(head);
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    if is_status_line(first.trim_start()) {
        return None;
    }
    let method = first.split_ascii_whitespace().next()?;
    if !is_token(method) || method == "ACK" {
        return None;
    }

    let mut vias: Vec<String> = Vec::new();
    let mut copied = Headers::new();
    for h in HeaderLines::new(rest).flatten() {
        let name = HeaderName::from_wire(h.name);
        match name {
            HeaderName::Via => vias.extend(split_list(&h.value).map(str::to_string)),
            HeaderName::From | HeaderName::To | HeaderName::CallId | HeaderName::CSeq
                if copied.get(&name).is_none() =>
            {
                copied.push(name, h.value)
            }
            _ => {}
        }
    }

    let top = Via::parse_lenient(vias.first()?)?;
    let mut headers = Headers::new();
    headers.push(HeaderName::Via, top.to_string());
    for v in vias.iter().skip(1) {
        if Via::parse(v).is_ok() {
            headers.push(HeaderName::Via, v.clone());
        }
    }
    headers.list.extend(copied.list);
    let (status, reason) = match error {
        ParseError::Version { .. } => (505, "Version Not Supported"),
        _ => (400, "Bad Request"),
    };
    let why: String = error
        .to_string()
        .chars()
        .filter(|c| !matches!(c, '"' | '\\') && !c.is_control())
        .collect();
    headers.push(HeaderName::Warning, format!("399 centralita \"{why}\""));
    Some(Response {
        status,
        reason: reason.to_string(),
        headers,
        body: Vec::new(),
    })
}
