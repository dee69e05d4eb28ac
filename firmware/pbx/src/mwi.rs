//! Message-waiting indication (RFC 3842): SUBSCRIBE/NOTIFY `message-summary` subscriptions
//! (RFC 6665), sans-IO.
//!
//! The endpoint authenticates a SUBSCRIBE, maps it to an account and hands it to
//! [`Subscriptions::handle_subscribe`] together with a [`MailboxLookup`] (which box the
//! subscriber may watch, and its counts). What comes back is the response to send and the NOTIFY
//! requests to start as client transactions. When a box's counts change the voicemail side calls
//! [`Subscriptions::notify_all`]; NOTIFY outcomes come back through
//! [`Subscriptions::handle_notify_response`] / [`Subscriptions::handle_notify_timeout`]; expiry is
//! driven by [`Subscriptions::poll_timeout`] / [`Subscriptions::handle_timeout`].
//!
//! Wiring in the endpoint (sketch):
//! ```text
//! Method::Subscribe (in or out of dialog) => authenticate like REGISTER, then
//!     let out = mwi.handle_subscribe(&req, &account.username, &lookup, source, now, &mut ids);
//!     reply(key, out.response); for n in out.notify { txn.send_request(n.request, n.peer, now) }
//! TxEvent::Response { key, response } => first
//!     if let Some(more) = mwi.handle_notify_response(&key, response.status, now, &mut ids) { send more }
//! TxEvent::Timeout { key } => first  if mwi.handle_notify_timeout(&key) { done }
//! counts of a box changed => send mwi.notify_all(&MailboxKey { tenant_id, number }, summary, now, &mut ids)
//! poll_timeout: include mwi.poll_timeout(); handle_timeout: send mwi.handle_timeout(now, &mut ids)
//! ```
//!
//! Choices worth knowing:
//! * Every SUBSCRIBE (initial or in-dialog refresh) goes through `handle_subscribe`: a refresh is
//!   recognised by its dialog (Call-ID + From tag), so the endpoint need not resolve a box for it.
//! * One NOTIFY in flight per dialog (RFC 6665 §4.2.2): a change that arrives meanwhile is sent
//!   when the pending NOTIFY completes, with the latest counts (changes coalesce).
//! * Storm protection: per-account, per-box and total caps refuse new subscriptions with 503 +
//!   Retry-After, and stored header values are size-limited, so memory stays bounded whatever
//!   subscribers send. A phone that re-subscribes from the same Contact to the same box (after a
//!   reboot it forgot its dialog) replaces its old subscription instead of using up the cap.
mod body;
mod dialog;
mod request;
mod table;
#[cfg(test)]
mod tests;

pub use body::render as summary_body;
pub use request::SubscribeError;
pub use table::Subscriptions;

use sip::message::{Request, Response};
use sip::transaction::Peer;
use std::net::SocketAddr;
use std::time::Duration;

/// The event package this module serves.
pub const EVENT_PACKAGE: &str = "message-summary";
/// The body type of its NOTIFYs (RFC 3842 §4.1).
pub const CONTENT_TYPE: &str = "application/simple-message-summary";

/// A voicemail box: its tenant and the number it is dialled at (what `Destination::Voicemail`
/// names and what `Message-Account` shows).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailboxKey {
    pub tenant_id: u32,
    pub number: String,
}

/// Message counts of a box.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    pub new: u32,
    pub old: u32,
}

/// What the endpoint knows about boxes, asked while a SUBSCRIBE is handled.
pub trait MailboxLookup {
    /// The box an initial SUBSCRIBE from `account_username` is about. `requested` is the
    /// Request-URI user: a box number, or the subscriber's own extension (phones subscribe to
    /// themselves, meaning "the box I am a user of"). `None` (no such box, or not one of this
    /// account's boxes) answers 404.
    fn mailbox(&self, account_username: &str, requested: Option<&str>) -> Option<MailboxKey>;
    /// Current counts of `mailbox` (for the immediate NOTIFY after a subscribe or refresh).
    fn summary(&self, mailbox: &MailboxKey) -> Summary;
}

#[derive(Debug, Clone)]
pub struct MwiConfig {
    /// Address the box advertises in Via and Contact.
    pub sip_addr: SocketAddr,
    pub min_expires: u32,
    pub max_expires: u32,
    /// Granted when the SUBSCRIBE has no Expires (RFC 6665 §4.1.2.1 lets the package choose).
    pub default_expires: u32,
    pub max_per_account: usize,
    pub max_per_box: usize,
    pub max_total: usize,
    /// Sent with a 503 when a cap is reached.
    pub retry_after_secs: u32,
    /// A NOTIFY whose outcome was never reported is forgotten after this (64·T1), so a lost
    /// event cannot block the dialog's later NOTIFYs for ever.
    pub notify_timeout: Duration,
}

impl MwiConfig {
    pub fn new(sip_addr: SocketAddr) -> MwiConfig {
        MwiConfig {
            sip_addr,
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            max_per_account: 10,
            max_per_box: 100,
            max_total: 2000,
            retry_after_secs: 60,
            notify_timeout: Duration::from_secs(32),
        }
    }
}

/// A NOTIFY to send as a client transaction (`TransactionLayer::send_request(request, peer, now)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    pub request: Request,
    /// Where the subscriber's last SUBSCRIBE came from (NAT-friendly, as the registrar does).
    pub peer: Peer,
}

/// What to do after a SUBSCRIBE: send `response` on its server transaction, then start `notify`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscribeOutcome {
    pub response: Response,
    pub notify: Vec<Notify>,
}
