//! Wire printer. Content-Length is always written from the body actually carried.
use crate::message::{HeaderName, Headers, Message, Request, Response};
use std::io::Write;

/// Header lines with canonical names, then Content-Length, the empty line and the body. Any
/// Content-Length in the list is skipped: a stale one would break framing for the receiver.
fn write_rest(out: &mut Vec<u8>, headers: &Headers, body: &[u8]) {
    for h in &headers.list {
        if h.name == HeaderName::ContentLength {
            continue;
        }
        out.extend_from_slice(h.name.as_str().as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(h.value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    // Writing to a Vec cannot fail.
    let _ = write!(out, "Content-Length: {}\r\n\r\n", body.len());
    out.extend_from_slice(body);
}

fn capacity(headers: &Headers, body: &[u8]) -> usize {
    64 + body.len()
        + headers
            .list
            .iter()
            .map(|h| h.name.as_str().len() + h.value.len() + 4)
            .sum::<usize>()
}

impl Request {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(capacity(&self.headers, &self.body) + 128);
        let _ = write!(out, "{} {} SIP/2.0\r\n", self.method, self.uri);
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}

impl Response {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(capacity(&self.headers, &self.body));
        let _ = write!(out, "SIP/2.0 {} {}\r\n", self.status, self.reason);
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}

impl Message {
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Message::Request(r) => r.to_bytes(),
            Message::Response(r) => r.to_bytes(),
        }
    }
}
