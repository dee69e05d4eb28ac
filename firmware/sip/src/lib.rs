//! Sans-IO SIP (RFC 3261) for Centralita.
//!
//! * [`message`] — the message model (request, response, header list) shared by every layer.
//! * [`parse`] / [`print`] — wire format, tolerant of harmless oddities, strict where framing matters
//!   (RFC 3261 §7, §18.3; RFC 4475 and RFC 5118 torture vectors are the test bed).
//! * [`header`] — typed views of the headers the stack reasons about (Via, From/To/Contact, CSeq,
//!   digest auth parameters).
//! * [`uri`] — SIP/SIPS URIs with RFC 3261 §19.1 escaping.
//! * [`digest`] — HTTP digest (RFC 2617 / RFC 8760 MD5 and SHA-256) challenge and verification.
//! * [`transaction`] — the four transaction state machines of RFC 3261 §17 with timers A–K, driven by
//!   `handle_*(input, now)` and drained with `poll_*`; no clock or socket inside.
pub mod builder;
pub mod digest;
pub mod error;
pub mod header;
pub mod message;
pub mod parse;
pub mod print;
pub mod refer;
pub mod transaction;
pub mod uas_checks;
pub mod uri;

pub use error::{ParseError, SipError};
pub use message::{Header, HeaderName, Headers, Message, Method, Request, Response};
pub use uri::Uri;
