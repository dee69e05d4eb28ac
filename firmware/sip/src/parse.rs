//! Wire parser (RFC 3261 §7, §25; RFC 4475; RFC 5118).
use crate::error::ParseError;
use crate::message::{Message, Response};

/// Parses one UDP datagram. Extra octets after Content-Length are ignored (§18.3); a missing
/// Content-Length over UDP means "the rest of the datagram".
pub fn parse_datagram(bytes: &[u8]) -> Result<Message, ParseError> {
    let _ = bytes;
    todo!("sip parser engineer")
}

/// Parses one message from the front of a stream buffer (TCP/TLS). `Ok(None)` = need more bytes.
/// On success also returns how many bytes were consumed. Leading CRLFs (keep-alives) are skipped and
/// counted as consumed.
pub fn parse_stream(buf: &[u8]) -> Result<Option<(Message, usize)>, ParseError> {
    let _ = buf;
    todo!("sip parser engineer")
}

/// For a request that failed to parse: the error response to send (400, or 505 for a bad version),
/// built from whatever Via/From/To/Call-ID/CSeq could be read, or `None` when not even that could be
/// read (or it was a response): then the datagram is dropped.
pub fn reply_for_malformed(bytes: &[u8], error: &ParseError) -> Option<Response> {
    let _ = (bytes, error);
    todo!("sip parser engineer")
}
