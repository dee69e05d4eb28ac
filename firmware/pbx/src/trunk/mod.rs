//! SIP trunk: the box registering to the tenant's provider(s) (RFC 3261 §10.2), finding them
//! (RFC 3263), keeping the customer's NAT open (RFC 3581 `rport`, keep-alives) and choosing the
//! provider outbound calls use (primary, or the secondary when the primary fails).
//!
//! Sans-IO: nothing here reads the clock, the RNG, DNS or a socket.
//!
//! # Pieces
//! * [`ProviderConfig`] — one account (username, password, domain, outbound proxy) with its
//!   [`TrunkTiming`] and [`KeepAlive`] policy.
//! * [`RegistrationClient`] — one provider's registration: REGISTER with Expires; 401/407 answered
//!   once with digest credentials (MD5 or SHA-256, qop=auth with nc/cnonce; `stale=true` may be
//!   answered again); the granted expiry read from our Contact's `expires` or the Expires header;
//!   refresh at `max(granted/2, granted − refresh_margin)`; 423 raises Expires to Min-Expires;
//!   failures and timeouts retried after 30 s doubling to 30 min with 0–25 % jitter (503
//!   Retry-After honoured); one Call-ID and an increasing CSeq for every REGISTER (§10.2.4);
//!   `rport` in Via, the Contact moved to the public address learned from the responses'
//!   `received`/`rport` (the stale contact removed with `expires=0` in the same REGISTER);
//!   OPTIONS or CRLF keep-alives while registered; REGISTER with Expires 0 on shutdown.
//! * [`TrunkGroup`] — primary + optional secondary; [`TrunkGroup::active`] says which one calls
//!   use; [`TrunkGroup::report_invite_failure`] is the call code's hook for 5xx/timeouts.
//! * [`called_number`] — the DID an INVITE from the provider is for (Request-URI, else
//!   P-Called-Party-ID, else To: registration trunks send to our Contact, whose user is the
//!   account username).
//! * [`resolve`] — RFC 3263 server location as a step machine over DNS answers
//!   ([`Resolution`]); the daemon's `resolver` performs the lookups.
//!
//! # Run-loop contract (the Pbx side)
//!
//! The client does not own the transaction layer; it produces requests and consumes the events
//! of its own transactions:
//!
//! ```text
//! while let Some((role, target)) = group.poll_resolve(now) {
//!     // daemon: resolve `target` (async), later:
//!     group.handle_resolved(role, peers, now);
//! }
//! while let Some((request, peer)) = group.poll_request(now, &mut ids, &local) {
//!     txn.send_request(request, peer, now);
//! }
//! while let Some(datagram) = group.poll_keepalive(now) { /* send bytes to peer */ }
//! // TxEvent::Response { key, response } where group.owns(&key):
//! group.handle_response(&key, &response, now);   // then poll_request again
//! // TxEvent::Timeout { key } where group.owns(&key):
//! group.handle_timeout_of(&key, now);
//! // wake up at min(group.poll_timeout(), txn.poll_timeout(), ...)
//! ```
//!
//! `owns` must be asked before the transaction ends: the client forgets a key once its final
//! response or timeout has been handled. `poll_resolve`, `poll_request` and (with CRLF
//! keep-alives) `poll_keepalive` must be drained whenever `poll_timeout` is due, otherwise it
//! keeps reporting the same past instant. State for `centralita status`: [`TrunkGroup::status`]
//! and [`TrunkState::describe`]. Groups are built from the directory with
//! [`TrunkGroup::from_accounts`]; addresses a provider may call from are
//! [`RegistrationClient::resolved`].
//!
//! # Behaviour worth knowing
//!
//! * A failed refresh makes the state `Failed` at once, although the provider may still hold the
//!   old binding until it expires: calls move to the secondary rather than risk the primary.
//!   A retry keeps `Failed` (and its reason) until it succeeds.
//! * A timeout or 5xx moves on to the next resolved address; after the last one the name is
//!   resolved again at the next attempt (the provider may have moved).
//! * A changed public address is followed by at most two immediate re-REGISTERs in a row; a
//!   provider whose SBCs each report another port then waits for the normal refresh.
//! * Granted expiry and Min-Expires are believed up to one day.
//! * Credentials are cached and sent pre-emptively on refreshes (nc counting up); one new
//!   challenge of each kind per attempt is answered (a 407 from an outbound proxy and a 401
//!   from the registrar both), more only when flagged `stale=true`.
//! * Missing pieces: no TLS-specific handling (a `sips:` target resolves to TLS peers, but the
//!   daemon must be able to dial them), no RFC 5626 outbound (`reg-id`/`+sip.instance`), no
//!   periodic DNS refresh while registered (re-resolution happens after every address failed).
mod auth;
mod backoff;
mod client;
mod config;
mod group;
mod inbound;
mod message;
pub mod resolve;
mod state;

pub use backoff::Backoff;
pub use client::RegistrationClient;
pub use config::{KeepAlive, LocalContact, ProviderConfig, TrunkTiming};
pub use group::{ProviderRole, ProviderStatus, TrunkGroup};
pub use inbound::called_number;
pub use resolve::{Answer, NaptrRecord, Query, Resolution, SrvRecord, Step, Target};
pub use state::{FailureReason, TrunkState};

/// Errors in provider settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrunkError {
    #[error("provider {field} is empty")]
    EmptyField { field: &'static str },
    #[error("{value:?} is not a SIP host, host:port or sip: URI")]
    BadHost { value: String },
}
