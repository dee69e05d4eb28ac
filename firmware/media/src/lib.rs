//! Media: the sans-IO side of calls.
//!
//! What this crate implements today (issue 2, media anchored on the box):
//!
//! * [`sdp`] — SDP parser and printer (RFC 8866, which obsoletes RFC 4566), tolerant of
//!   real phones (LF or CRLF line ends, blank lines, unknown line types, IPv6 without
//!   brackets), plus [`sdp::offer_answer`]: the RFC 3264 offer/answer rewriting an
//!   anchoring B2BUA does so that both legs send their RTP to the box.
//! * [`rtp`] — RFC 3550 §5.1 fixed header view without allocation, and RTP/RTCP
//!   demultiplexing by payload type (RFC 5761 §4).
//! * [`rtcp`] — RFC 3550 §6.4 common header walk over a compound packet.
//! * [`dtmf`] — RFC 4733 §2.3 telephone-event payload.
//!
//! Nothing here touches sockets, the clock or an RNG: callers pass identifiers and
//! times in. Every parser returns a typed error on bad input and never panics.

// Tests may unwrap (team rule); production code may not (workspace lint).
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod codec;
pub mod conference;
pub mod dsp;
pub mod dtmf;
pub mod error;
pub mod resample;
pub mod rtcp;
pub mod rtp;
pub mod sdp;
pub mod wav;

pub use error::{DtmfError, OfferAnswerError, RtcpError, RtpError, SdpError};
