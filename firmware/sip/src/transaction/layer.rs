//! The transaction layer: routes messages to the four machines, owns their maps and the timer
//! queue. See the module docs for the run-loop contract and the choices made.
use std::collections::HashMap;
use std::time::Instant;

use super::client::{ClientState, ClientTx};
use super::ctx::{Ctx, Next};
use super::key::{self, ClientTxKey, ServerTxKey};
use super::nat;
use super::server::{AckMatch, ServerState, ServerTx};
use super::timers::Target;
use super::{Peer, TimerConfig, Transmit, TxError, TxEvent};
use crate::message::{Message, Method, Request, Response, SipHeaders};

#[derive(Debug)]
pub struct TransactionLayer {
    ctx: Ctx,
    clients: HashMap<ClientTxKey, ClientTx>,
    servers: HashMap<ServerTxKey, ServerTx>,
    /// INVITE server transactions in Accepted, by what the ACK for their 2xx carries.
    accepted: HashMap<AckMatch, ServerTxKey>,
}

impl TransactionLayer {
    /// `config` is [sanitized](TimerConfig::sanitized) first.
    pub fn new(config: TimerConfig) -> Self {
        TransactionLayer {
            ctx: Ctx::new(config.sanitized()),
            clients: HashMap::new(),
            servers: HashMap::new(),
            accepted: HashMap::new(),
        }
    }

    /// Shortens Timer J (how long a completed non-INVITE server transaction lingers over UDP to
    /// absorb retransmissions; RFC 3261 default 64·T1, never lengthened beyond it). Each lingering
    /// transaction holds its last response (~0.8 KB in all), so at 3,000 authenticated REGISTERs/s
    /// (two transactions each) the RFC value keeps ~190k of them alive. A shorter value trades
    /// memory for a small risk: a request retransmitted after its response was lost repeatedly
    /// reaches the TU again as a new request (a registrar then sees a repeated CSeq).
    pub fn with_timer_j(mut self, timer_j: std::time::Duration) -> Self {
        self.ctx.timer_j = timer_j.min(self.ctx.config.transaction_timeout());
        self
    }

    pub fn config(&self) -> &TimerConfig {
        &self.ctx.config
    }

    /// A parsed message from the network. Retransmitted requests are absorbed (the last response is
    /// re-sent), ACK for a non-2xx final response is absorbed by its INVITE server transaction,
    /// CANCEL is delivered as a Request event (the TU finds the INVITE with `matching_invite`).
    pub fn handle_message(&mut self, msg: Message, source: Peer, now: Instant) {
        match msg {
            Message::Request(request) => self.handle_request(request, source, now),
            Message::Response(response) => self.handle_response(response, source, now),
        }
    }

    fn handle_request(&mut self, mut request: Request, source: Peer, now: Instant) {
        // The parser refuses requests without a Via, so this only drops hand-made junk.
        let Some(mut via) = request.top_via() else {
            return;
        };
        nat::stamp_received(&mut request, &mut via, source.addr);
        let key = key::server_key(&request, &via);
        if request.method == Method::Ack {
            self.handle_ack(key, request, source, now);
            return;
        }
        if let Some(tx) = self.servers.get_mut(&key) {
            tx.on_retransmission(&mut self.ctx);
            return;
        }
        let tx = ServerTx::new(key.clone(), &request, source, now, &mut self.ctx);
        self.servers.insert(key.clone(), tx);
        self.ctx.emit(TxEvent::Request {
            key: Some(key),
            request,
            source,
        });
    }

    fn handle_ack(&mut self, key: ServerTxKey, request: Request, source: Peer, now: Instant) {
        if let Some(tx) = self.servers.get_mut(&key) {
            let (next, deliver) = tx.on_ack(now, &mut self.ctx);
            if next == Next::Terminate {
                self.remove_server(&key);
            }
            if !deliver {
                return;
            }
        } else if let Some(accepted) = request
            .call_id()
            .zip(request.cseq())
            .and_then(|(call_id, cseq)| self.accepted.get(&(call_id.to_string(), cseq.seq)))
        {
            if let Some(tx) = self.servers.get_mut(accepted) {
                tx.ack_for_2xx(now, &mut self.ctx);
            }
        }
        // An ACK for a 2xx is end-to-end: the TU (dialog) owns it.
        self.ctx.emit(TxEvent::Request {
            key: None,
            request,
            source,
        });
    }

    fn handle_response(&mut self, response: Response, source: Peer, now: Instant) {
        let tx = key::client_key_for_response(&response)
            .and_then(|key| self.clients.get_mut(&key).map(|tx| (key, tx)));
        let Some((key, tx)) = tx else {
            self.ctx.emit(TxEvent::StrayResponse { response, source });
            return;
        };
        if tx.on_response(response, now, &mut self.ctx) == Next::Terminate {
            self.remove_client(&key);
        }
    }

    /// Starts a client transaction (ICT for INVITE, NICT otherwise). The request must already carry
    /// its top Via with a fresh branch; without one the key falls back to an empty branch and
    /// responses may be mismatched (use [`Self::try_send_request`] to refuse that). An ACK is not a
    /// transaction: it is sent statelessly and no transaction is created.
    pub fn send_request(&mut self, request: Request, dest: Peer, now: Instant) -> ClientTxKey {
        let key = key::client_key_for_request(&request)
            .unwrap_or_else(|| ClientTxKey::new("", request.method.clone()));
        match request.method {
            Method::Ack => {
                self.ctx.send(dest, request.to_bytes());
                return key;
            }
            Method::Cancel => {
                let invite = ClientTxKey::new(key.branch(), Method::Invite);
                if let Some(ict) = self.clients.get_mut(&invite) {
                    ict.cancel_sent(now, &mut self.ctx);
                }
            }
            _ => {}
        }
        // A reused branch replaces the old transaction rather than leaking its timers.
        self.remove_client(&key);
        let tx = ClientTx::start(key.clone(), request, dest, now, &mut self.ctx);
        self.clients.insert(key.clone(), tx);
        key
    }

    /// Like [`Self::send_request`] but refuses a request whose top Via has no branch.
    pub fn try_send_request(
        &mut self,
        request: Request,
        dest: Peer,
        now: Instant,
    ) -> Result<ClientTxKey, TxError> {
        if key::client_key_for_request(&request).is_none() {
            return Err(TxError::MissingBranch);
        }
        Ok(self.send_request(request, dest, now))
    }

    /// Sends a response on a server transaction (provisional or final) to the request's source.
    /// Final responses are kept for retransmission: a non-2xx to an INVITE is re-sent with Timer G
    /// until the ACK (or Timer H), a 2xx to an INVITE with the same doubling until its ACK (or
    /// Timer L); non-INVITE finals are re-sent when the request is retransmitted. Responses on a
    /// transaction that is gone, or after its final response, are dropped
    /// ([`Self::try_send_response`] reports them).
    pub fn send_response(&mut self, key: &ServerTxKey, response: Response, now: Instant) {
        let _ignored = self.try_send_response(key, response, now);
    }

    pub fn try_send_response(
        &mut self,
        key: &ServerTxKey,
        response: Response,
        now: Instant,
    ) -> Result<(), TxError> {
        let Some(tx) = self.servers.get_mut(key) else {
            return Err(TxError::UnknownTransaction { key: key.clone() });
        };
        let next = tx.respond(&response, now, &mut self.ctx)?;
        if tx.state() == ServerState::Accepted {
            if let Some(m) = &tx.ack_match {
                self.accepted.insert(AckMatch::clone(m), key.clone());
            }
        }
        if next == Next::Terminate {
            self.remove_server(key);
        }
        Ok(())
    }

    /// Answers with a final response once and forgets the server transaction: no Timer G
    /// retransmissions, no waiting for the ACK. For digest challenges to INVITEs from peers not
    /// yet authenticated: a spoofed source cannot make the box send each challenge ten times.
    /// A lost challenge is recovered by the UAC's INVITE retransmission, which gets a new one.
    pub fn respond_and_forget(&mut self, key: &ServerTxKey, response: Response) {
        if let Some(peer) = self.servers.get(key).map(|tx| tx.peer()) {
            self.ctx.send(peer, response.to_bytes());
            self.remove_server(key);
        }
    }

    /// Sends bytes with no transaction (ACK for 2xx, stateless replies).
    pub fn send_stateless(&mut self, msg: &Message, dest: Peer) {
        self.ctx.send(dest, msg.to_bytes());
    }

    /// For CANCEL: the INVITE server transaction it targets (§9.2), if still alive.
    pub fn matching_invite(&self, cancel: &Request) -> Option<ServerTxKey> {
        let via = cancel.top_via()?;
        let key = key::server_key(cancel, &via).with_method(Method::Invite);
        self.servers.contains_key(&key).then_some(key)
    }

    /// The owner could not reach `peer` (TCP connect/write failed, ICMP unreachable): RFC 3261
    /// §17.1.4 — every client transaction towards it still waiting for a final response ends with
    /// a [`TxEvent::Timeout`] (the TU treats it like a 503/408). Finished ones are left to their
    /// timers. Scans all client transactions: meant for rare failures, not per packet.
    pub fn peer_unreachable(&mut self, peer: Peer) {
        let failed: Vec<ClientTxKey> = self
            .clients
            .iter()
            .filter(|(_, tx)| tx.peer() == peer && tx.is_pending())
            .map(|(key, _)| key.clone())
            .collect();
        for key in failed {
            self.remove_client(&key);
            self.ctx.emit(TxEvent::Timeout { key });
        }
    }

    pub fn client_state(&self, key: &ClientTxKey) -> Option<ClientState> {
        self.clients.get(key).map(ClientTx::state)
    }

    pub fn server_state(&self, key: &ServerTxKey) -> Option<ServerState> {
        self.servers.get(key).map(ServerTx::state)
    }

    /// Fires every timer due at or before `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((target, slot)) = self.ctx.timers.pop_due(now) {
            match target {
                Target::Client(key) => {
                    let Some(tx) = self.clients.get_mut(&key) else {
                        continue;
                    };
                    if tx.on_timer(slot, now, &mut self.ctx) == Next::Terminate {
                        self.remove_client(&key);
                    }
                }
                Target::Server(key) => {
                    let Some(tx) = self.servers.get_mut(&key) else {
                        continue;
                    };
                    if tx.on_timer(slot, now, &mut self.ctx) == Next::Terminate {
                        self.remove_server(&key);
                    }
                }
            }
        }
    }

    /// The earliest armed timer, exact (cancelled timers are removed from the queue).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.ctx.timers.next_deadline()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.ctx.transmits.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<TxEvent> {
        self.ctx.events.pop_front()
    }

    /// Live transactions (client + server).
    pub fn len(&self) -> usize {
        self.clients.len() + self.servers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn remove_client(&mut self, key: &ClientTxKey) {
        if let Some(mut tx) = self.clients.remove(key) {
            self.ctx.timers.cancel_all(&mut tx.timers);
        }
    }

    fn remove_server(&mut self, key: &ServerTxKey) {
        if let Some(mut tx) = self.servers.remove(key) {
            self.ctx.timers.cancel_all(&mut tx.timers);
            if let Some(m) = tx.ack_match.take() {
                if self.accepted.get(&*m) == Some(key) {
                    self.accepted.remove(&*m);
                }
            }
        }
    }
}
