//! Typed errors of the media crate, one enum per protocol so the daemon can map each
//! to the right reaction (400 for malformed SDP, 488 for no common codec, drop for a
//! bad datagram).

use thiserror::Error;

/// A session description that cannot be understood. The daemon answers 400.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SdpError {
    #[error("SDP body is empty")]
    Empty,
    #[error("SDP body is larger than {max} bytes")]
    TooLarge { max: usize },
    #[error("SDP body is not valid UTF-8")]
    NotUtf8,
    #[error("line {line}: expected `<letter>=<value>`")]
    LineSyntax { line: usize },
    #[error("first line must be v=0 (line {line})")]
    MissingVersion { line: usize },
    #[error("line {line}: unsupported SDP version `{found}`")]
    UnsupportedVersion { line: usize, found: String },
    #[error("no o= line in the session section")]
    MissingOrigin,
    #[error("line {line}: malformed o= line")]
    BadOrigin { line: usize },
    #[error("line {line}: malformed c= line")]
    BadConnection { line: usize },
    #[error("line {line}: malformed m= line")]
    BadMedia { line: usize },
    #[error("line {line}: malformed a={name} attribute")]
    BadAttribute { line: usize, name: String },
    #[error("line {line}: malformed b= line")]
    BadBandwidth { line: usize },
}

/// Offer/answer failures of the anchoring B2BUA (RFC 3264).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OfferAnswerError {
    /// No audio stream with a codec the box can relay: the daemon answers 488.
    #[error("no common audio codec (offered payload types: {offered:?})")]
    NoCommonCodec { offered: Vec<String> },
    /// An answer must have exactly one m= line per offered m= line (RFC 3264 §6).
    #[error("answer has {answer} media lines, the offer had {offer}")]
    MediaCountMismatch { offer: usize, answer: usize },
    /// The stream has no usable connection address (no c= at media or session level).
    #[error("media line {index} has no connection address")]
    NoConnection { index: usize },
}

/// An RTP packet that cannot be parsed (RFC 3550 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtpError {
    #[error("packet of {len} bytes is shorter than the {needed} bytes its header needs")]
    Truncated { len: usize, needed: usize },
    #[error("RTP version {found}, expected 2")]
    BadVersion { found: u8 },
    #[error("padding count {count} exceeds the {available} payload bytes")]
    BadPadding { count: usize, available: usize },
}

/// An RTCP packet that cannot be parsed (RFC 3550 §6.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum RtcpError {
    #[error("packet of {len} bytes is shorter than the {needed} bytes it declares")]
    Truncated { len: usize, needed: usize },
    #[error("RTCP version {found}, expected 2")]
    BadVersion { found: u8 },
    #[error("payload type {found} is not an RTCP packet type")]
    NotRtcp { found: u8 },
}

/// A telephone-event payload that cannot be parsed (RFC 4733 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DtmfError {
    #[error("telephone-event payload of {len} bytes, needs 4")]
    Truncated { len: usize },
}
