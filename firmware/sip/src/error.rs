//! Errors of the SIP crate. A parse error never panics and always says what was wrong, so the
//! daemon can log it once and answer 400 (or drop the datagram).
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("message is empty or only whitespace (keep-alive)")]
    Empty,
    #[error("incomplete message: more bytes needed")]
    Incomplete,
    #[error("malformed start line")]
    StartLine,
    #[error("unsupported SIP version {version}")]
    Version { version: String },
    #[error("malformed header line {line}")]
    HeaderLine { line: usize },
    #[error("malformed {header} header")]
    Header { header: &'static str },
    #[error("missing mandatory {header} header")]
    Missing { header: &'static str },
    #[error("more than one {header} header")]
    Duplicate { header: &'static str },
    #[error("bad Content-Length")]
    ContentLength,
    #[error("body shorter than Content-Length")]
    Truncated,
    #[error("CSeq method does not match the request method")]
    CSeqMismatch,
    #[error("malformed URI")]
    Uri,
    #[error("bad status code")]
    Status,
    #[error("message too large")]
    TooLarge,
}

#[derive(Debug, Error)]
pub enum SipError {
    #[error(transparent)]
    Parse(#[from] ParseError),
}
