//! Wire parser (RFC 3261 §7, §25; RFC 4475; RFC 5118).
//!
//! One pass over the header section: the start line, then unfolded header lines with names
//! normalised, then framing by Content-Length, then the checks that make the message usable
//! ([`validate`]). Strict where framing or transaction matching depends on it, liberal with
//! harmless oddities (extra spaces in the start line, LF line ends, unknown headers).
mod framing;
mod lines;
mod malformed;
mod start_line;
mod validate;

pub use framing::{skip_keepalives, MAX_MESSAGE};
pub use malformed::reply_for_malformed;
pub use validate::max_forwards;

use crate::error::ParseError;
use crate::message::{Header, HeaderName, Headers, Message, Request, Response};
use framing::{content_length, find_head_end};
use lines::HeaderLines;
use start_line::{parse_start_line, StartLine};

/// Parses one UDP datagram. Extra octets after Content-Length are ignored (§18.3); a missing
/// Content-Length over UDP means "the rest of the datagram".
pub fn parse_datagram(bytes: &[u8]) -> Result<Message, ParseError> {
    let bytes = &bytes[skip_keepalives(bytes)..];
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ParseError::Empty);
    }
    if bytes.len() > MAX_MESSAGE {
        return Err(ParseError::TooLarge);
    }
    // A datagram whose header section is not closed by an empty line (RFC 4475 baddn) ends its
    // headers at the end of the datagram.
    let (head_end, body_start) = find_head_end(bytes).unwrap_or((bytes.len(), bytes.len()));
    let (start, headers) = parse_head(&bytes[..head_end])?;
    let available = &bytes[body_start..];
    let body = match content_length(&headers)? {
        Some(n) => available.get(..n).ok_or(ParseError::Truncated)?,
        None => available,
    };
    finish(start, headers, body)
}

/// Parses one message from the front of a stream buffer (TCP/TLS). `Ok(None)` = need more bytes.
/// On success also returns how many bytes were consumed. Leading CRLFs (keep-alives) are skipped and
/// counted as consumed. A buffer holding only CRLFs gives `Ok(None)`: use [`skip_keepalives`] to
/// drain them. Messages over [`MAX_MESSAGE`] are `TooLarge`, decided from the header section alone,
/// so the caller never buffers more than that; after any error the stream's framing is lost and
/// the connection should be closed.
pub fn parse_stream(buf: &[u8]) -> Result<Option<(Message, usize)>, ParseError> {
    let skipped = skip_keepalives(buf);
    let rest = &buf[skipped..];
    if rest.is_empty() {
        return Ok(None);
    }
    let Some((head_end, body_start)) = find_head_end(rest) else {
        if rest.len() > MAX_MESSAGE {
            return Err(ParseError::TooLarge);
        }
        return Ok(None);
    };
    if body_start > MAX_MESSAGE {
        return Err(ParseError::TooLarge);
    }
    let (start, headers) = parse_head(&rest[..head_end])?;
    // Content-Length is mandatory on streams (§20.14); treating a missing one as 0 is the only
    // framing that cannot swallow the next message.
    let len = content_length(&headers)?.unwrap_or(0);
    let total = body_start + len;
    if total > MAX_MESSAGE {
        return Err(ParseError::TooLarge);
    }
    let Some(body) = rest.get(body_start..total) else {
        return Ok(None);
    };
    let msg = finish(start, headers, body)?;
    Ok(Some((msg, skipped + total)))
}

/// Start line and header lines of a header section (without the closing empty line).
fn parse_head(head: &[u8]) -> Result<(StartLine, Headers), ParseError> {
    // Lossy: a Latin-1 display name from an old phone should not cost the call; the grammar's
    // delimiters are all ASCII so the replacement character cannot change the structure.
    let text = String::from_utf8_lossy(head);
    let (first, rest) = text.split_once('\n').unwrap_or((&text, ""));
    let first = first.strip_suffix('\r').unwrap_or(first);
    let start = parse_start_line(first)?;
    let mut headers = Headers {
        list: Vec::with_capacity(16),
    };
    for h in HeaderLines::new(rest) {
        let h = h?;
        headers.list.push(Header {
            name: HeaderName::from_wire(h.name),
            value: h.value,
        });
    }
    Ok((start, headers))
}

fn finish(start: StartLine, headers: Headers, body: &[u8]) -> Result<Message, ParseError> {
    match start {
        StartLine::Request { method, uri } => {
            validate::validate(&headers, Some(&method))?;
            Ok(Message::Request(Request {
                method,
                uri,
                headers,
                body: body.to_vec(),
            }))
        }
        StartLine::Response { status, reason } => {
            validate::validate(&headers, None)?;
            Ok(Message::Response(Response {
                status,
                reason,
                headers,
                body: body.to_vec(),
            }))
        }
    }
}
