//! Server transactions: INVITE (RFC 3261 §17.2.1 with the RFC 6026 Accepted state) and
//! non-INVITE (§17.2.2).
use std::time::{Duration, Instant};

use super::ctx::{Ctx, Next};
use super::key::ServerTxKey;
use super::timers::{Slot, Target, TxTimers};
use super::{Peer, TxError, TxEvent};
use crate::message::{Request, Response, SipHeaders};

/// RFC 3261 §17.2.1: send 100 Trying unless the TU answers within 200 ms.
const TRYING_DELAY: Duration = Duration::from_millis(200);

/// Server transaction states. `Trying` is the non-INVITE's first state, `Proceeding` the INVITE's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerState {
    Trying,
    Proceeding,
    /// A final response was sent (INVITE: non-2xx, waiting for the ACK).
    Completed,
    /// INVITE only: the ACK for the non-2xx arrived; lingering to absorb ACK retransmissions.
    Confirmed,
    /// RFC 6026: INVITE answered with 2xx; the layer re-sends the 2xx until its ACK arrives.
    Accepted,
}

/// Identifies the ACK for a 2xx, which has a new branch: Call-ID and CSeq number (§13.2.2.4).
pub(crate) type AckMatch = (String, u32);

#[derive(Debug)]
pub(crate) struct ServerTx {
    key: ServerTxKey,
    peer: Peer,
    invite: bool,
    state: ServerState,
    /// The last response sent, re-sent on request retransmissions and Timer G / 2xx timer. A boxed
    /// slice: no spare capacity kept for the ~100k NISTs lingering in Timer J at 3,000 REGISTERs/s.
    last: Option<Box<[u8]>>,
    /// IST: the 100 Trying to send if the TU stays silent for 200 ms (boxed: rarely used, and it
    /// would otherwise make every transaction in the map larger).
    trying: Option<Box<Response>>,
    interval: Duration,
    /// Accepted: the ACK for the 2xx has arrived.
    acked: bool,
    /// Accepted: how the layer finds this transaction from the ACK for its 2xx.
    pub(crate) ack_match: Option<Box<AckMatch>>,
    pub(crate) timers: TxTimers,
}

impl ServerTx {
    pub(crate) fn peer(&self) -> Peer {
        self.peer
    }

    pub(crate) fn new(
        key: ServerTxKey,
        request: &Request,
        peer: Peer,
        now: Instant,
        ctx: &mut Ctx,
    ) -> ServerTx {
        let invite = request.method == crate::message::Method::Invite;
        let mut tx = ServerTx {
            key,
            peer,
            invite,
            state: if invite {
                ServerState::Proceeding
            } else {
                ServerState::Trying
            },
            last: None,
            trying: invite.then(|| Box::new(Response::for_request(request, 100, "Trying", None))),
            interval: ctx.config.t1,
            acked: false,
            ack_match: None,
            timers: TxTimers::default(),
        };
        if invite {
            tx.arm(ctx, Slot::Retransmit, now + TRYING_DELAY);
        } else {
            // Guard: the client gives up after Timer F, so an unanswered NIST is useless by then.
            tx.arm(ctx, Slot::Expiry, now + ctx.config.transaction_timeout());
        }
        tx
    }

    pub(crate) fn state(&self) -> ServerState {
        self.state
    }

    fn arm(&mut self, ctx: &mut Ctx, slot: Slot, at: Instant) {
        ctx.arm(&mut self.timers, slot, at, Target::Server(self.key.clone()));
    }

    fn resend_last(&self, ctx: &mut Ctx) {
        if let Some(bytes) = &self.last {
            ctx.send(self.peer, bytes.to_vec());
        }
    }

    fn send_new(&mut self, response: &Response, ctx: &mut Ctx) {
        let bytes = response.to_bytes();
        self.last = Some(bytes.clone().into_boxed_slice());
        ctx.send(self.peer, bytes);
    }

    /// The same request arrived again (not an ACK).
    pub(crate) fn on_retransmission(&mut self, ctx: &mut Ctx) {
        match self.state {
            ServerState::Proceeding if self.invite && self.last.is_none() => {
                // The client is already retransmitting: no point waiting for the 200 ms mark.
                if let Some(trying) = self.trying.take() {
                    ctx.cancel(&mut self.timers, Slot::Retransmit);
                    self.send_new(&trying, ctx);
                }
            }
            ServerState::Proceeding | ServerState::Completed => self.resend_last(ctx),
            // Trying (NIST): the TU is still working, nothing to repeat. Confirmed absorbs, and
            // Accepted absorbs too (RFC 6026 §7.1): the 2xx timer does the re-sending.
            ServerState::Trying | ServerState::Confirmed | ServerState::Accepted => {}
        }
    }

    /// An ACK with this INVITE's branch. Returns whether the TU should see it (only an ACK for a
    /// 2xx is end-to-end; the ACK for a non-2xx belongs to this transaction).
    pub(crate) fn on_ack(&mut self, now: Instant, ctx: &mut Ctx) -> (Next, bool) {
        match self.state {
            ServerState::Completed => {
                self.state = ServerState::Confirmed;
                ctx.timers.cancel_all(&mut self.timers);
                if self.peer.transport.is_reliable() {
                    return (Next::Terminate, false);
                }
                // Timer I absorbs ACK retransmissions.
                self.arm(ctx, Slot::Expiry, now + ctx.config.t4);
                (Next::Keep, false)
            }
            ServerState::Accepted => {
                self.ack_for_2xx(now, ctx);
                (Next::Keep, true)
            }
            _ => (Next::Keep, false),
        }
    }

    /// The ACK for our 2xx arrived (matched by Call-ID and CSeq): stop re-sending the 2xx and
    /// free the response. The transaction then lingers only T4, not the rest of Timer L: the UAC
    /// stopped retransmitting its INVITE at our first provisional and has now ACKed, so only a
    /// straggler still in the network (at most T4, §17) can arrive. This is what keeps memory per
    /// call set-up low at thousands of calls per second.
    pub(crate) fn ack_for_2xx(&mut self, now: Instant, ctx: &mut Ctx) {
        if self.state == ServerState::Accepted && !self.acked {
            self.acked = true;
            self.last = None;
            ctx.cancel(&mut self.timers, Slot::Retransmit);
            ctx.cancel(&mut self.timers, Slot::Expiry);
            self.arm(ctx, Slot::Expiry, now + ctx.config.t4);
        }
    }

    /// The TU responds on this transaction.
    pub(crate) fn respond(
        &mut self,
        response: &Response,
        now: Instant,
        ctx: &mut Ctx,
    ) -> Result<Next, TxError> {
        let status = response.status;
        if !(100..=699).contains(&status) {
            return Err(TxError::BadStatus { status });
        }
        match self.state {
            ServerState::Completed | ServerState::Confirmed => {
                return Err(TxError::AfterFinal {
                    key: self.key.clone(),
                    status,
                })
            }
            ServerState::Accepted => {
                if !(200..300).contains(&status) {
                    return Err(TxError::AfterFinal {
                        key: self.key.clone(),
                        status,
                    });
                }
                // A second 2xx from the TU replaces the one being re-sent.
                self.send_new(response, ctx);
                return Ok(Next::Keep);
            }
            ServerState::Trying | ServerState::Proceeding => {}
        }
        if self.trying.take().is_some() {
            ctx.cancel(&mut self.timers, Slot::Retransmit);
        }
        self.send_new(response, ctx);
        if status < 200 {
            self.state = ServerState::Proceeding;
            return Ok(Next::Keep);
        }
        let reliable = self.peer.transport.is_reliable();
        let timeout = ctx.config.transaction_timeout();
        if !self.invite {
            self.state = ServerState::Completed;
            ctx.cancel(&mut self.timers, Slot::Expiry);
            if reliable {
                return Ok(Next::Terminate);
            }
            // Timer J absorbs request retransmissions.
            self.arm(ctx, Slot::Expiry, now + ctx.timer_j);
            return Ok(Next::Keep);
        }
        self.interval = ctx.config.t1;
        let is_2xx = status < 300;
        // Timer G only over UDP; a 2xx is re-sent over every transport (§13.3.1.4: it travels
        // end-to-end and a hop between us and the UAC may be UDP). Over a direct TCP link the ACK
        // normally arrives within T1, so this costs nothing.
        if is_2xx || !reliable {
            self.arm(ctx, Slot::Retransmit, now + self.interval);
        }
        self.arm(ctx, Slot::Expiry, now + timeout);
        if is_2xx {
            // Timer L; the retransmit slot re-sends the 2xx (§13.3.1.4) until the ACK.
            self.state = ServerState::Accepted;
            self.ack_match = response
                .call_id()
                .zip(response.cseq())
                .map(|(call_id, cseq)| Box::new((call_id.to_string(), cseq.seq)));
        } else {
            // Timer G (retransmit) and Timer H (give up waiting for the ACK).
            self.state = ServerState::Completed;
        }
        Ok(Next::Keep)
    }

    pub(crate) fn on_timer(&mut self, slot: Slot, now: Instant, ctx: &mut Ctx) -> Next {
        self.timers.fired(slot);
        match (slot, self.state) {
            (Slot::Retransmit, ServerState::Proceeding) => {
                if let Some(trying) = self.trying.take() {
                    self.send_new(&trying, ctx);
                }
                Next::Keep
            }
            (Slot::Retransmit, ServerState::Completed | ServerState::Accepted) => {
                if !self.acked {
                    self.resend_last(ctx);
                    self.interval = self.interval.saturating_mul(2).min(ctx.config.t2);
                    self.arm(ctx, Slot::Retransmit, now + self.interval);
                }
                Next::Keep
            }
            (Slot::Retransmit, _) => Next::Keep,
            (Slot::Expiry, ServerState::Completed) if self.invite => {
                // Timer H: the ACK never came.
                ctx.emit(TxEvent::AckTimeout {
                    key: self.key.clone(),
                });
                Next::Terminate
            }
            (Slot::Expiry, ServerState::Accepted) => {
                // Timer L: if the 2xx was never acknowledged the TU should hang up (§13.3.1.4).
                if !self.acked {
                    ctx.emit(TxEvent::AckTimeout {
                        key: self.key.clone(),
                    });
                }
                Next::Terminate
            }
            // Timer I, Timer J, and the unanswered-NIST guard.
            (Slot::Expiry, _) => Next::Terminate,
        }
    }
}
