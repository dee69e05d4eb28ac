//! Client transactions: INVITE (RFC 3261 §17.1.1 with the RFC 6026 Accepted state) and non-INVITE
//! (§17.1.2).
use std::time::{Duration, Instant};

use super::ctx::{Ctx, Next};
use super::key::ClientTxKey;
use super::timers::{Slot, Target, TxTimers};
use super::{Peer, TxEvent};
use crate::message::{HeaderName, Headers, Method, Request, Response, SipHeaders};

/// Client transaction states. `Calling` is the INVITE's first state, `Trying` the non-INVITE's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientState {
    Calling,
    Trying,
    Proceeding,
    Completed,
    /// RFC 6026: an INVITE got a 2xx; further 2xx (retransmissions, forks) still reach the TU.
    Accepted,
}

#[derive(Debug)]
pub(crate) struct ClientTx {
    key: ClientTxKey,
    peer: Peer,
    state: ClientState,
    /// The INVITE itself, kept to build the ACK for a non-2xx (§17.1.1.3); `None` for non-INVITE.
    invite: Option<Box<Request>>,
    /// The request as sent, for retransmission (boxed slice: no spare capacity kept).
    bytes: Box<[u8]>,
    /// The ACK sent for a non-2xx final response, re-sent when that response is retransmitted.
    ack: Option<Box<[u8]>>,
    /// Current retransmission interval (Timer A or E).
    interval: Duration,
    /// The TU sent a CANCEL for this INVITE: the expiry timer is the §9.1 64·T1 guard.
    cancelled: bool,
    pub(crate) timers: TxTimers,
}

impl ClientTx {
    /// Sends `request` and starts Timer A/E (unreliable only) and Timer B/F.
    pub(crate) fn start(
        key: ClientTxKey,
        request: Request,
        peer: Peer,
        now: Instant,
        ctx: &mut Ctx,
    ) -> ClientTx {
        let bytes = request.to_bytes();
        ctx.send(peer, bytes.clone());
        let bytes = bytes.into_boxed_slice();
        let is_invite = request.method == Method::Invite;
        let mut tx = ClientTx {
            key,
            peer,
            state: if is_invite {
                ClientState::Calling
            } else {
                ClientState::Trying
            },
            invite: is_invite.then(|| Box::new(request)),
            bytes,
            ack: None,
            interval: ctx.config.t1,
            cancelled: false,
            timers: TxTimers::default(),
        };
        if !peer.transport.is_reliable() {
            tx.arm(ctx, Slot::Retransmit, now + tx.interval);
        }
        tx.arm(ctx, Slot::Expiry, now + ctx.config.transaction_timeout());
        tx
    }

    pub(crate) fn state(&self) -> ClientState {
        self.state
    }

    pub(crate) fn peer(&self) -> Peer {
        self.peer
    }

    /// Still waiting for a final response (a transport failure now means a Timeout for the TU).
    pub(crate) fn is_pending(&self) -> bool {
        matches!(
            self.state,
            ClientState::Calling | ClientState::Trying | ClientState::Proceeding
        )
    }

    fn is_invite(&self) -> bool {
        *self.key.method() == Method::Invite
    }

    fn arm(&mut self, ctx: &mut Ctx, slot: Slot, at: Instant) {
        ctx.arm(&mut self.timers, slot, at, Target::Client(self.key.clone()));
    }

    fn emit(&self, ctx: &mut Ctx, response: Response) {
        ctx.emit(TxEvent::Response {
            key: self.key.clone(),
            response,
        });
    }

    pub(crate) fn on_response(&mut self, response: Response, now: Instant, ctx: &mut Ctx) -> Next {
        if self.is_invite() {
            self.invite_response(response, now, ctx)
        } else {
            self.non_invite_response(response, now, ctx)
        }
    }

    fn invite_response(&mut self, response: Response, now: Instant, ctx: &mut Ctx) -> Next {
        let status = response.status;
        match self.state {
            ClientState::Calling | ClientState::Proceeding => {
                ctx.cancel(&mut self.timers, Slot::Retransmit);
                if status < 200 {
                    // Timer B only guards Calling; once the callee rings, how long to wait is the
                    // TU's decision (it sends CANCEL, which arms the §9.1 guard).
                    if self.state == ClientState::Calling && !self.cancelled {
                        ctx.cancel(&mut self.timers, Slot::Expiry);
                    }
                    self.state = ClientState::Proceeding;
                    self.emit(ctx, response);
                    Next::Keep
                } else if status < 300 {
                    self.state = ClientState::Accepted;
                    // Accepted never re-sends the INVITE nor builds an ACK (the TU ACKs 2xx):
                    // free both while the transaction lingers for Timer M.
                    self.invite = None;
                    self.bytes = Box::default();
                    self.arm(ctx, Slot::Expiry, now + ctx.config.transaction_timeout());
                    self.emit(ctx, response);
                    Next::Keep
                } else {
                    self.state = ClientState::Completed;
                    if let Some(invite) = self.invite.take() {
                        let ack = build_ack(&invite, &response).to_bytes();
                        self.ack = Some(ack.clone().into_boxed_slice());
                        ctx.send(self.peer, ack);
                    }
                    // Completed re-sends only the ACK: the INVITE bytes are no longer needed.
                    self.bytes = Box::default();
                    self.emit(ctx, response);
                    if self.peer.transport.is_reliable() {
                        return Next::Terminate;
                    }
                    // Timer D: long enough to absorb every retransmission of the final response.
                    let d = ctx
                        .config
                        .transaction_timeout()
                        .max(Duration::from_secs(32));
                    self.arm(ctx, Slot::Expiry, now + d);
                    Next::Keep
                }
            }
            ClientState::Completed => {
                if status >= 300 {
                    if let Some(ack) = &self.ack {
                        ctx.send(self.peer, ack.to_vec());
                    }
                }
                Next::Keep
            }
            // RFC 6026 §8.4: every 2xx goes up so the TU can ACK retransmissions and forks.
            ClientState::Accepted => {
                if (200..300).contains(&status) {
                    self.emit(ctx, response);
                }
                Next::Keep
            }
            ClientState::Trying => Next::Keep,
        }
    }

    fn non_invite_response(&mut self, response: Response, now: Instant, ctx: &mut Ctx) -> Next {
        match self.state {
            ClientState::Trying | ClientState::Proceeding => {
                if response.status < 200 {
                    self.state = ClientState::Proceeding;
                    self.emit(ctx, response);
                    return Next::Keep;
                }
                self.state = ClientState::Completed;
                ctx.timers.cancel_all(&mut self.timers);
                self.emit(ctx, response);
                if self.peer.transport.is_reliable() {
                    return Next::Terminate;
                }
                // Timer K absorbs retransmitted final responses.
                self.arm(ctx, Slot::Expiry, now + ctx.config.t4);
                Next::Keep
            }
            _ => Next::Keep,
        }
    }

    pub(crate) fn on_timer(&mut self, slot: Slot, now: Instant, ctx: &mut Ctx) -> Next {
        self.timers.fired(slot);
        match (slot, self.state) {
            (Slot::Retransmit, ClientState::Calling) => {
                // Timer A doubles without the T2 cap (§17.1.1.2): 7 sends before Timer B.
                ctx.send(self.peer, self.bytes.to_vec());
                self.interval = self.interval.saturating_mul(2);
                self.arm(ctx, Slot::Retransmit, now + self.interval);
                Next::Keep
            }
            (Slot::Retransmit, ClientState::Trying | ClientState::Proceeding) => {
                // Timer E: doubling up to T2 in Trying, T2 flat once a provisional arrived.
                ctx.send(self.peer, self.bytes.to_vec());
                self.interval = if self.state == ClientState::Trying {
                    self.interval.saturating_mul(2).min(ctx.config.t2)
                } else {
                    ctx.config.t2
                };
                self.arm(ctx, Slot::Retransmit, now + self.interval);
                Next::Keep
            }
            (
                Slot::Expiry,
                ClientState::Calling | ClientState::Trying | ClientState::Proceeding,
            ) => {
                // Timer B / F, or the §9.1 guard after CANCEL: the TU treats it as a 408.
                ctx.emit(TxEvent::Timeout {
                    key: self.key.clone(),
                });
                Next::Terminate
            }
            // Timers D, K, M.
            (Slot::Expiry, _) => Next::Terminate,
            (Slot::Retransmit, _) => Next::Keep,
        }
    }

    /// The TU sent a CANCEL for this INVITE (§9.1): if no final response arrives within 64·T1 the
    /// INVITE is given up with a Timeout.
    pub(crate) fn cancel_sent(&mut self, now: Instant, ctx: &mut Ctx) {
        if !self.is_invite() || self.cancelled {
            return;
        }
        self.cancelled = true;
        if matches!(self.state, ClientState::Calling | ClientState::Proceeding) {
            let guard = now + ctx.config.transaction_timeout();
            let earlier = self
                .timers
                .deadline(Slot::Expiry)
                .is_some_and(|at| at <= guard);
            if !earlier {
                self.arm(ctx, Slot::Expiry, guard);
            }
        }
    }
}

/// ACK for a non-2xx final response (§17.1.1.3): same Request-URI, Call-ID, From, CSeq number and
/// top Via as the INVITE, To from the response, the INVITE's Route set.
fn build_ack(invite: &Request, response: &Response) -> Request {
    let mut headers = Headers::new();
    if let Some(via) = invite.headers.values(&HeaderName::Via).next() {
        headers.push(HeaderName::Via, via);
    }
    headers.push(HeaderName::MaxForwards, "70");
    for route in invite.headers.lines(&HeaderName::Route) {
        headers.push(HeaderName::Route, route);
    }
    if let Some(from) = invite.headers.get(&HeaderName::From) {
        headers.push(HeaderName::From, from);
    }
    if let Some(to) = response.headers.get(&HeaderName::To) {
        headers.push(HeaderName::To, to);
    }
    if let Some(call_id) = invite.headers.get(&HeaderName::CallId) {
        headers.push(HeaderName::CallId, call_id);
    }
    let seq = invite.cseq().map(|c| c.seq).unwrap_or(0);
    headers.push(HeaderName::CSeq, format!("{seq} ACK"));
    Request {
        method: Method::Ack,
        uri: invite.uri.clone(),
        headers,
        body: Vec::new(),
    }
}
