//! Busy-lamp field (RFC 4235 dialog event package): SUBSCRIBE/NOTIFY dialog-info subscriptions
//! (RFC 6665), sans-IO. Modelled on [`crate::mwi`]: same table, caps, refresh, expiry and
//! one-NOTIFY-in-flight design.
//!
//! A desk phone subscribes (`Event: dialog`) to another extension's URI; the endpoint
//! authenticates the SUBSCRIBE, maps it to an account and hands it to
//! [`Subscriptions::handle_subscribe`] with a [`WatchLookup`]. The answer is the response plus the
//! NOTIFYs to start as client transactions. When an extension's calls change, the call side calls
//! [`Subscriptions::set_state`] with the extension's current calls; every watcher gets a full
//! `application/dialog-info+xml` document (version increasing per subscription). NOTIFY outcomes
//! come back through [`Subscriptions::handle_notify_response`] /
//! [`Subscriptions::handle_notify_timeout`]; expiry through [`Subscriptions::poll_timeout`] /
//! [`Subscriptions::handle_timeout`].
//!
//! Wiring in the endpoint (sketch, as `endpoint/mwi_wiring.rs` does for MWI):
//! ```text
//! Method::Subscribe with Event: dialog (or presence.has_dialog(req)) => authenticate like REGISTER,
//!     let out = presence.handle_subscribe(&req, &account.username, &lookup, source, now, &mut ids);
//!     reply(key, out.response); for n in out.notify { txn.send_request(n.request, n.peer, now) }
//! TxEvent::Response { key, response } =>
//!     if let Some(more) = presence.handle_notify_response(&key, response.status, now, &mut ids) { send more }
//! TxEvent::Timeout { key } => if presence.handle_notify_timeout(&key) { done }
//! a call of an extension changed (new leg ringing, answered, hung up) =>
//!     send presence.set_state(&ExtensionKey { tenant_id, extension }, &views, now, &mut ids)
//! extension deleted => send presence.remove_extension(&key, now, &mut ids)
//!     and, for its account as a watcher, send presence.remove_account(&username, now, &mut ids)
//! poll_timeout: include presence.poll_timeout(); handle_timeout: send presence.handle_timeout(now, &mut ids)
//! ```
//!
//! Choices worth knowing:
//! * `set_state` takes the whole list of the extension's current calls, not deltas: a lost or
//!   duplicated update cannot leave a lamp wrong. A call that was listed and is now missing is
//!   reported once as `terminated` in the NOTIFYs of that change; later documents omit it (state
//!   is always `full`, so a phone that missed the terminated report still sees it gone). An
//!   update identical to the last one sends nothing.
//! * Only watched extensions are stored (the entry goes with its last subscription), so memory is
//!   bounded by the caps whatever the call side reports.
//! * Watching stays inside the subscriber's tenant (another tenant's extension: 403); an unknown
//!   target is 404. Revealing which numbers exist is not a leak worth hiding here: the subscriber
//!   is an authenticated account of the tenant, and dialling a number already tells it the same.
//! * Storm protection: per-account, per-extension and total caps refuse new subscriptions with
//!   503 + Retry-After; stored header values, the number of dialogs per document and every string
//!   rendered are size-limited; every string is XML-escaped (identities come from the network).
mod body;
mod dialog;
mod fanout;
mod index;
mod request;
mod table;
#[cfg(test)]
mod tests;
mod xml;

pub use body::render as dialog_info_body;
pub use request::{Scope, SubscribeError};
pub use table::Subscriptions;

use sip::message::{Request, Response};
use sip::transaction::Peer;
use std::net::SocketAddr;
use std::time::Duration;

/// The event package this module serves.
pub const EVENT_PACKAGE: &str = "dialog";
/// The body type of its NOTIFYs (RFC 4235 §4.1).
pub const CONTENT_TYPE: &str = "application/dialog-info+xml";

/// A watched extension: its tenant and its number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ExtensionKey {
    pub tenant_id: u32,
    pub extension: String,
}

/// RFC 4235 §3.7.1 dialog states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// An INVITE was sent or received, nothing answered yet.
    Trying,
    /// A provisional response without a To tag (100 Trying is not one).
    Proceeding,
    /// Ringing (180/183 with a tag): what makes a lamp blink.
    Early,
    Confirmed,
    Terminated,
}

impl DialogState {
    pub fn as_str(self) -> &'static str {
        match self {
            DialogState::Trying => "trying",
            DialogState::Proceeding => "proceeding",
            DialogState::Early => "early",
            DialogState::Confirmed => "confirmed",
            DialogState::Terminated => "terminated",
        }
    }
}

/// Who started the call, seen from the watched extension (RFC 4235 §4.1.6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// The extension placed the call.
    Initiator,
    /// The extension is being called: with `Early` this is the "ringing, pick me up" lamp.
    Recipient,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Initiator => "initiator",
            Direction::Recipient => "recipient",
        }
    }
}

/// A party of a call: a URI and an optional display name (both may come from the network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub uri: String,
    pub display: Option<String>,
}

/// One call of the watched extension as the call side sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialogView {
    /// Unique among the extension's calls and stable for the life of the call (the `id`
    /// attribute phones use to follow a dialog across documents).
    pub id: String,
    pub state: DialogState,
    pub direction: Direction,
    /// The other party: the caller while ringing (desk phones show it and use it for pickup).
    /// Rendered as given; `None` leaves `<remote>` out.
    pub remote_identity: Option<Identity>,
    /// The SIP dialog between the box and the watched phone, when known, seen from the phone
    /// (RFC 4235 §4.1.6.2): `local_tag` is the phone's tag, `remote_tag` the box's. Phones that
    /// pick up with `Replaces` build it from these; leave them `None` where that must not work
    /// (the box's pickup feature codes do not need them).
    pub call_id: Option<String>,
    pub local_tag: Option<String>,
    pub remote_tag: Option<String>,
}

/// What the endpoint knows about extensions, asked while a SUBSCRIBE is handled.
pub trait WatchLookup {
    /// Tenant of the authenticated subscribing account (`None`: not an account; answered 403).
    fn tenant_of(&self, account_username: &str) -> Option<u32>;
    /// The extension `requested` (the Request-URI user) names, seen from `tenant_id`: a number
    /// of that tenant, or an account username anywhere on the box (which may be another
    /// tenant's: the table refuses that with 403). `None`: no such extension (404).
    fn extension(&self, tenant_id: u32, requested: &str) -> Option<ExtensionKey>;
    /// Current calls of `extension` (for the first NOTIFY when nobody watched it yet).
    fn dialogs(&self, extension: &ExtensionKey) -> Vec<DialogView>;
}

#[derive(Debug, Clone)]
pub struct PresenceConfig {
    /// Address the box advertises in Via and Contact.
    pub sip_addr: SocketAddr,
    pub min_expires: u32,
    pub max_expires: u32,
    /// Granted when the SUBSCRIBE has no Expires (RFC 4235 §3.3 suggests 3600).
    pub default_expires: u32,
    /// A phone with expansion modules watches dozens of lines, hence higher than MWI's cap.
    pub max_per_account: usize,
    /// Watchers of one extension (every phone of the office may watch the reception).
    pub max_per_extension: usize,
    pub max_total: usize,
    /// Calls listed per document (and stored per extension): keeps a NOTIFY within a datagram.
    pub max_dialogs: usize,
    /// Sent with a 503 when a cap is reached.
    pub retry_after_secs: u32,
    /// A NOTIFY whose outcome was never reported is forgotten after this (64·T1), so a lost
    /// event cannot block the dialog's later NOTIFYs for ever.
    pub notify_timeout: Duration,
}

impl PresenceConfig {
    pub fn new(sip_addr: SocketAddr) -> PresenceConfig {
        PresenceConfig {
            sip_addr,
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            max_per_account: 100,
            max_per_extension: 200,
            max_total: 4000,
            max_dialogs: 6,
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
