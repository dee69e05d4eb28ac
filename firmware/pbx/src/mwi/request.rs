//! Reading a SUBSCRIBE: what it asks for, and the typed reasons to refuse it.
use super::{CONTENT_TYPE, EVENT_PACKAGE};
pub use crate::subscribe_request::Parsed;
use crate::subscribe_request::ReadError;
use sip::message::Request;

/// Which cap refused a new subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Account,
    Mailbox,
    Total,
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scope::Account => "account",
            Scope::Mailbox => "mailbox",
            Scope::Total => "box-wide table",
        })
    }
}

/// Why a SUBSCRIBE was refused; [`SubscribeError::status`] is the response code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubscribeError {
    #[error("event package {event:?} is not message-summary")]
    BadEvent { event: Option<String> },
    #[error("unreadable Expires value")]
    BadExpires,
    #[error("SUBSCRIBE without a usable Contact")]
    MissingContact,
    #[error("SUBSCRIBE without a From tag")]
    MissingFromTag,
    #[error("a header is longer than a subscription may store")]
    HeaderTooLarge,
    #[error("the subscriber does not accept application/simple-message-summary")]
    NotAcceptable,
    #[error("no subscription matches this dialog")]
    UnknownDialog,
    #[error("no mailbox this account may watch")]
    NoMailbox,
    #[error("refresh of another account's subscription")]
    WrongAccount,
    #[error("CSeq {got} is lower than the dialog's {last}")]
    OutOfOrder { got: u32, last: u32 },
    #[error("too many subscriptions for this {scope}")]
    TooMany { scope: Scope },
}

impl SubscribeError {
    pub fn status(&self) -> u16 {
        match self {
            SubscribeError::BadEvent { .. } => 489,
            SubscribeError::BadExpires
            | SubscribeError::MissingContact
            | SubscribeError::MissingFromTag
            | SubscribeError::HeaderTooLarge => 400,
            SubscribeError::NotAcceptable => 406,
            SubscribeError::UnknownDialog => 481,
            SubscribeError::NoMailbox => 404,
            SubscribeError::WrongAccount => 403,
            // RFC 3261 §12.2.2: a lower CSeq inside a dialog is answered 500.
            SubscribeError::OutOfOrder { .. } => 500,
            SubscribeError::TooMany { .. } => 503,
        }
    }
}

impl From<ReadError> for SubscribeError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::BadEvent { event } => SubscribeError::BadEvent { event },
            ReadError::BadExpires => SubscribeError::BadExpires,
            ReadError::MissingContact => SubscribeError::MissingContact,
            ReadError::MissingFromTag => SubscribeError::MissingFromTag,
            ReadError::HeaderTooLarge => SubscribeError::HeaderTooLarge,
            ReadError::NotAcceptable => SubscribeError::NotAcceptable,
        }
    }
}

/// Reads a SUBSCRIBE for this package (the shared RFC 6665 reader, `crate::subscribe_request`).
pub fn parse(req: &Request) -> Result<Parsed, SubscribeError> {
    Ok(crate::subscribe_request::parse(
        req,
        EVENT_PACKAGE,
        CONTENT_TYPE,
    )?)
}
