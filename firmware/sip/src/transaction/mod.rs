//! RFC 3261 §17 transactions, sans-IO, with the RFC 6026 corrections.
//!
//! Four state machines live behind one [`TransactionLayer`]:
//!
//! | machine | RFC | states | timers |
//! |---|---|---|---|
//! | INVITE client (ICT) | §17.1.1, RFC 6026 §7.2 | Calling, Proceeding, Completed, Accepted | A (retransmit, doubling, UDP), B (64·T1), D (≥32 s UDP, 0 reliable), M (64·T1) |
//! | non-INVITE client (NICT) | §17.1.2 | Trying, Proceeding, Completed | E (doubling up to T2, UDP), F (64·T1), K (T4 UDP, 0 reliable) |
//! | INVITE server (IST) | §17.2.1, RFC 6026 §7.1 | Proceeding, Completed, Confirmed, Accepted | 100-Trying after 200 ms, G (doubling up to T2, UDP), H (64·T1), I (T4 UDP, 0 reliable), L (64·T1) |
//! | non-INVITE server (NIST) | §17.2.2 | Trying, Proceeding, Completed | J (64·T1 UDP, 0 reliable) |
//!
//! # Run loop contract
//!
//! The owner (the daemon) feeds parsed messages with [`TransactionLayer::handle_message`] and the
//! TU's own sends with [`TransactionLayer::send_request`] / [`TransactionLayer::send_response`] /
//! [`TransactionLayer::send_stateless`]; after each input it drains
//! [`TransactionLayer::poll_transmit`] (datagrams/stream writes) and
//! [`TransactionLayer::poll_event`] (things for the TU), then sleeps until
//! [`TransactionLayer::poll_timeout`] and calls [`TransactionLayer::handle_timeout`]. Nothing in
//! here reads the clock: every `now` is passed in, so tests run in virtual time.
//!
//! # Choices worth knowing
//!
//! * **2xx retransmission (RFC 3261 §13.3.1.4) is done here**, not by the TU: after
//!   `send_response` with a 2xx to an INVITE, the layer re-sends it at T1, 2·T1, … capped at T2
//!   until the ACK arrives — over TCP too, as §13.3.1.4 asks (a later hop may be UDP). The ACK
//!   for a 2xx carries a new branch, so it is matched by Call-ID and CSeq number; it still
//!   reaches the TU as `TxEvent::Request { key: None, .. }`. If no
//!   ACK arrives within 64·T1 (Timer L), the TU gets [`TxEvent::AckTimeout`] and should send BYE.
//! * **Responses go to the source address and port of the request** (the [`Peer`] it came from),
//!   not to the Via sent-by: phones sit behind NAT and this is what RFC 3581 `rport` asks for; doing
//!   it for every request is the practical choice for a PBX. The layer still stamps
//!   `received=`/`rport=` into the top Via of incoming requests (RFC 3581 §4) so the TU and every
//!   response carry them.
//! * **CANCEL** is its own non-INVITE server transaction, delivered to the TU as a request; the TU
//!   finds the INVITE with [`TransactionLayer::matching_invite`]. On the client side, sending a
//!   CANCEL arms a 64·T1 guard on the INVITE (RFC 3261 §9.1: if no final response arrives the INVITE
//!   is considered cancelled and [`TxEvent::Timeout`] is raised for it).
//! * **A NIST that the TU never answers** is dropped after 64·T1: by then the client's Timer F has
//!   fired, so no answer could be useful. An IST waits for the TU indefinitely (calls may ring long);
//!   the TU must answer every INVITE.
//! * **Transport failures** reported by the owner with [`TransactionLayer::peer_unreachable`] end
//!   the pending client transactions towards that peer with [`TxEvent::Timeout`] (§17.1.4).
//! * **Memory**: a transaction lingering in Completed keeps its last message as a boxed slice plus
//!   ~450 bytes of bookkeeping (measured by `tests/transaction_memory.rs`). Over UDP a REGISTER's
//!   transaction lingers for Timer J = 64·T1 = 32 s; [`TransactionLayer::with_timer_j`] can
//!   shorten that when memory matters more than absorbing very late retransmissions.
//! * **Requests from RFC 2543 clients** (branch without the `z9hG4bK` cookie) are matched on
//!   Call-ID, From tag, CSeq number, top-Via sent-by and branch (§17.2.3 simplified: the
//!   Request-URI and To tag are not compared).
mod client;
mod ctx;
mod key;
mod layer;
mod nat;
mod server;
mod timers;

use std::net::SocketAddr;
use std::time::Duration;

use crate::message::{Request, Response};

pub use client::ClientState;
pub use key::{ClientTxKey, ServerTxKey};
pub use layer::TransactionLayer;
pub use server::ServerState;

/// RFC 3261 §17.1.1.1 timer base values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// RTT estimate (default 500 ms).
    pub t1: Duration,
    /// Maximum retransmit interval for non-INVITE requests and INVITE responses (default 4 s).
    pub t2: Duration,
    /// Maximum time a message stays in the network (default 5 s).
    pub t4: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
        }
    }
}

impl TimerConfig {
    /// The configuration actually used: T1 at least 1 ms (a zero T1 would make Timer A/E/G fire
    /// forever at the same instant), every value at most 10 minutes (so `Instant + 64·T1` cannot
    /// overflow), and T2 ≥ T1.
    pub fn sanitized(self) -> TimerConfig {
        const MAX: Duration = Duration::from_secs(600);
        let t1 = self.t1.clamp(Duration::from_millis(1), MAX);
        TimerConfig {
            t1,
            t2: self.t2.clamp(t1, MAX),
            t4: self.t4.min(MAX),
        }
    }

    /// 64·T1: Timers B, F, H, J (unreliable), L, M.
    pub fn transaction_timeout(&self) -> Duration {
        self.t1.saturating_mul(64)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TransportKind {
    Udp,
    Tcp,
    Tls,
}

impl TransportKind {
    /// Reliable transports get no retransmissions and zero-length linger timers (D, I, J, K).
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }
}

/// The far end of a message: transport plus remote address (for TCP/TLS the daemon maps it to
/// the connection).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Peer {
    pub transport: TransportKind,
    pub addr: SocketAddr,
}

/// Bytes the owner must write to `peer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    pub peer: Peer,
    pub bytes: Vec<u8>,
}

/// What the layer tells the TU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TxEvent {
    /// A new request for the TU (INVITE, non-INVITE, CANCEL, and ACK for a 2xx — an ACK for a 2xx
    /// is end-to-end and has no transaction, RFC 3261 §17.1.1.3/§13.2.2.4; `key` is None for ACK).
    Request {
        key: Option<ServerTxKey>,
        request: Request,
        source: Peer,
    },
    /// A response on a client transaction (provisional and final; 2xx retransmissions for INVITE
    /// too, so the TU can re-send its ACK).
    Response {
        key: ClientTxKey,
        response: Response,
    },
    /// Timer B/F fired (no final response), or a cancelled INVITE got no final response within
    /// 64·T1 — the TU acts as if 408 arrived.
    Timeout { key: ClientTxKey },
    /// An INVITE server transaction ended without an ACK (Timer H for non-2xx, Timer L for 2xx) —
    /// the TU may tear the call down (send BYE for a 2xx).
    AckTimeout { key: ServerTxKey },
    /// A response with no matching client transaction (stray; a B2BUA may want 2xx
    /// retransmissions).
    StrayResponse { response: Response, source: Peer },
}

/// Errors the TU can get back from the `try_*` calls. The plain `send_*` variants ignore them,
/// because after a transaction has ended there is nothing useful left to do with its response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("no live server transaction {key:?}")]
    UnknownTransaction { key: ServerTxKey },
    #[error("status {status} after the final response of server transaction {key:?}")]
    AfterFinal { key: ServerTxKey, status: u16 },
    #[error("status {status} is not a valid response code")]
    BadStatus { status: u16 },
    #[error("request has no top Via with a branch")]
    MissingBranch,
}
