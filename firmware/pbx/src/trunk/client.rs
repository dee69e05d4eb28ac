//! One provider registration (RFC 3261 §10.2) as a sans-IO machine. See the module doc of
//! [`crate::trunk`] for the run-loop contract.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::RngCore;
use sip::message::{Method, Request, Response};
use sip::transaction::{ClientTxKey, Peer, Transmit};

use super::auth::AuthCache;
use super::backoff::Backoff;
use super::config::{KeepAlive, LocalContact, ProviderConfig};
use super::message::{self, Outgoing};
use super::resolve::Target;
use super::state::{FailureReason, TrunkState};
use crate::ids::Ids;

/// At most this many 423s per attempt (each must raise the interval).
const MAX_TOO_BRIEF: u8 = 2;
/// Longest binding we believe in (a day): a registrar granting more, or demanding a longer
/// Min-Expires, is either broken or hostile, and a daily refresh costs nothing.
const MAX_EXPIRES: u32 = 86_400;
/// Immediate re-REGISTERs to follow a changed public address before waiting for the next
/// refresh: a provider whose SBCs each report another port would otherwise make us loop.
const MAX_NAT_CHASES: u8 = 2;
/// A resolution not answered within this long counts as failed, so a lost answer (resolver task
/// gone, configuration reloaded meanwhile) cannot leave the client waiting forever.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Register,
    Unregister,
    KeepAlive,
}

#[derive(Debug)]
struct InFlight {
    branch: String,
    method: Method,
    kind: Kind,
    /// The Contact address this REGISTER binds.
    contact: SocketAddr,
}

/// Counters of the current attempt (one logical REGISTER and its auth/423 retries).
#[derive(Debug, Default)]
struct Attempt {
    too_brief: u8,
}

pub struct RegistrationClient {
    config: ProviderConfig,
    rng: Box<dyn RngCore + Send>,
    state: TrunkState,
    backoff: Backoff,
    /// Addresses from the last resolution, in the order to try; empty = resolve first.
    targets: Vec<Peer>,
    target_idx: usize,
    /// When the outstanding resolution was handed out.
    resolving: Option<Instant>,
    // §10.2.4: one Call-ID for every REGISTER of this client, CSeq counting up.
    call_id: Option<String>,
    from_tag: Option<String>,
    cseq: u32,
    /// OPTIONS keep-alives get a Call-ID of their own (a registrar, or a SIPp scenario, keyed on
    /// the REGISTER Call-ID must not see them), also reused with its own CSeq.
    keepalive_call_id: Option<String>,
    keepalive_cseq: u32,
    auth: AuthCache,
    /// Expires asked for; a 423 raises it.
    expires: u32,
    /// When the next REGISTER is due (None while one is in flight or after stopping).
    next_register: Option<Instant>,
    next_keepalive: Option<Instant>,
    attempt: Attempt,
    in_flight: Option<InFlight>,
    failures: u32,
    /// Our address as the provider last saw it.
    public: Option<SocketAddr>,
    /// Contact address of the binding the provider holds now.
    bound: Option<SocketAddr>,
    /// The box's own address as last given to `poll_request`.
    last_local: Option<SocketAddr>,
    /// Consecutive re-REGISTERs made only to follow an address change.
    nat_chases: u8,
    stopping: bool,
    stopped: bool,
}

impl RegistrationClient {
    /// A client that registers as soon as it is polled. `rng` supplies cnonces and back-off
    /// jitter (tags, branches and Call-IDs come from the caller's [`Ids`]).
    pub fn new(config: ProviderConfig, rng: Box<dyn RngCore + Send>, now: Instant) -> Self {
        RegistrationClient {
            backoff: Backoff {
                base: config.timing.retry_base,
                max: config.timing.retry_max,
            },
            expires: config.timing.expires.clamp(1, MAX_EXPIRES),
            config,
            rng,
            state: TrunkState::Unregistered,
            targets: Vec::new(),
            target_idx: 0,
            resolving: None,
            call_id: None,
            from_tag: None,
            cseq: 0,
            keepalive_call_id: None,
            keepalive_cseq: 0,
            auth: AuthCache::default(),
            next_register: Some(now),
            next_keepalive: None,
            attempt: Attempt::default(),
            in_flight: None,
            failures: 0,
            public: None,
            bound: None,
            last_local: None,
            nat_chases: 0,
            stopping: false,
            stopped: false,
        }
    }

    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    pub fn state(&self) -> &TrunkState {
        &self.state
    }

    /// Our public address as learned from the provider's `received`/`rport`, if any.
    pub fn public_address(&self) -> Option<SocketAddr> {
        self.public
    }

    /// Every address the last resolution gave (the provider may send calls from any of them).
    pub fn resolved(&self) -> &[Peer] {
        &self.targets
    }

    /// The address requests currently go to.
    pub fn current_peer(&self) -> Option<Peer> {
        self.targets.get(self.target_idx).copied()
    }

    /// Consecutive failed attempts (0 once registered).
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The Expires value the client asks for now (after any 423).
    pub fn requested_expires(&self) -> u32 {
        self.expires
    }

    /// True once an unregistration has finished (or there was nothing to unregister).
    pub fn is_stopped(&self) -> bool {
        self.stopped
    }

    /// The next-hop name to resolve, when the client needs addresses and is due to register.
    /// Hand it to the resolver and answer with [`RegistrationClient::handle_resolved`].
    pub fn poll_resolve(&mut self, now: Instant) -> Option<Target> {
        if let Some(since) = self.resolving {
            if now < since + RESOLVE_TIMEOUT {
                return None;
            }
            self.resolving = None;
            self.fail(FailureReason::ResolveFailed, None, now);
        }
        if self.stopped || self.stopping || !self.targets.is_empty() {
            return None;
        }
        if self.next_register.is_some_and(|t| t <= now) {
            self.resolving = Some(now);
            if self.state == TrunkState::Unregistered {
                self.state = TrunkState::Registering;
            }
            return Some(self.config.next_hop());
        }
        None
    }

    /// The resolver's answer; an empty list is a failure (retried with back-off). A late answer
    /// (after the resolution timed out) is still used when it has addresses.
    pub fn handle_resolved(&mut self, peers: Vec<Peer>, now: Instant) {
        let expected = self.resolving.take().is_some();
        if peers.is_empty() {
            if !expected || self.stopped {
                return;
            }
            self.fail(FailureReason::ResolveFailed, None, now);
        } else {
            self.targets = peers;
            self.target_idx = 0;
        }
    }

    /// Forces a REGISTER now (after an INVITE failure, a network change, or from the CLI).
    pub fn refresh_now(&mut self, now: Instant) {
        if !self.stopping && self.in_flight.is_none() {
            self.next_register = Some(now);
        }
    }

    /// Starts unregistering: the next [`RegistrationClient::poll_request`] sends REGISTER with
    /// Expires 0 for our binding (or the client simply stops if nothing is bound);
    /// [`RegistrationClient::poll_timeout`] reports `now` until then.
    pub fn shutdown(&mut self, now: Instant) {
        self.stopping = true;
        self.next_register = Some(now);
        self.next_keepalive = None;
    }

    fn contact_for(&self, local: &LocalContact) -> SocketAddr {
        self.public.unwrap_or(local.addr)
    }

    /// The next request to send through the transaction layer, with its destination.
    pub fn poll_request(
        &mut self,
        now: Instant,
        ids: &mut Ids,
        local: &LocalContact,
    ) -> Option<(Request, Peer)> {
        if self.stopped || self.in_flight.is_some() {
            return None;
        }
        self.drop_unreachable(local, now);
        let peer = self.current_peer();
        if self.stopping {
            let (Some(bound), Some(peer)) = (self.bound, peer) else {
                self.finish_stop();
                return None;
            };
            return Some(self.send(Kind::Unregister, peer, bound, ids, local));
        }
        let peer = peer?;
        self.last_local = Some(local.addr);
        self.chase_if_moved(now);
        let contact = self.contact_for(local);
        if self.next_register.is_some_and(|t| t <= now) {
            return Some(self.send(Kind::Register, peer, contact, ids, local));
        }
        if let (KeepAlive::Options { .. }, true) = (self.config.keepalive, self.keepalive_due(now))
        {
            return Some(self.send(Kind::KeepAlive, peer, contact, ids, local));
        }
        None
    }

    /// A CRLF keep-alive datagram when one is due (only with [`KeepAlive::Crlf`]).
    pub fn poll_keepalive(&mut self, now: Instant) -> Option<Transmit> {
        let KeepAlive::Crlf { every } = self.config.keepalive else {
            return None;
        };
        if self.in_flight.is_some() || !self.keepalive_due(now) {
            return None;
        }
        let peer = self.current_peer()?;
        self.next_keepalive = Some(now + every.max(Duration::from_secs(1)));
        Some(Transmit {
            peer,
            bytes: b"\r\n\r\n".to_vec(),
        })
    }

    fn keepalive_due(&self, now: Instant) -> bool {
        self.state.is_registered() && self.next_keepalive.is_some_and(|t| t <= now)
    }

    fn send(
        &mut self,
        kind: Kind,
        peer: Peer,
        contact: SocketAddr,
        ids: &mut Ids,
        local: &LocalContact,
    ) -> (Request, Peer) {
        let host = message::host_text(local.addr.ip());
        let (call_id, cseq) = if kind == Kind::KeepAlive {
            self.keepalive_cseq = self.keepalive_cseq.wrapping_add(1).max(1);
            let id = self
                .keepalive_call_id
                .get_or_insert_with(|| ids.call_id(&host));
            (id.clone(), self.keepalive_cseq)
        } else {
            self.cseq = self.cseq.wrapping_add(1).max(1);
            let id = self.call_id.get_or_insert_with(|| ids.call_id(&host));
            (id.clone(), self.cseq)
        };
        let from_tag = self.from_tag.get_or_insert_with(|| ids.tag()).clone();
        let branch = ids.branch();
        let method = match kind {
            Kind::KeepAlive => Method::Options,
            _ => Method::Register,
        };
        let (contact_field, stale_contact, expires) = match kind {
            Kind::Register => {
                let stale = self.bound.filter(|old| *old != contact);
                (Some(contact), stale, Some(self.expires))
            }
            Kind::Unregister => (Some(contact), None, Some(0)),
            Kind::KeepAlive => (None, None, None),
        };
        let auth = if method == Method::Register {
            let uri = message::registrar_uri(&self.config).to_string();
            self.auth.headers(
                &uri,
                &self.config.username,
                &self.config.password,
                self.rng.as_mut(),
            )
        } else {
            Vec::new()
        };
        let req = message::build(&Outgoing {
            config: &self.config,
            method: method.clone(),
            transport: peer.transport,
            via: local.addr,
            branch: &branch,
            call_id: &call_id,
            from_tag: &from_tag,
            cseq,
            contact: contact_field,
            stale_contact,
            expires,
            auth,
        });
        match kind {
            Kind::KeepAlive => self.next_keepalive = None,
            _ => {
                self.next_register = None;
                // A retry after a failure stays `Failed` (with its reason) until it succeeds.
                if self.state == TrunkState::Unregistered && kind == Kind::Register {
                    self.state = TrunkState::Registering;
                }
            }
        }
        self.in_flight = Some(InFlight {
            branch,
            method,
            kind,
            contact,
        });
        (req, peer)
    }

    /// Whether `key` is one of this client's transactions.
    pub fn owns(&self, key: &ClientTxKey) -> bool {
        self.in_flight
            .as_ref()
            .is_some_and(|f| f.branch == key.branch() && &f.method == key.method())
    }

    /// A response on one of our transactions; returns false (and does nothing) for others.
    pub fn handle_response(&mut self, key: &ClientTxKey, resp: &Response, now: Instant) -> bool {
        if !self.owns(key) {
            return false;
        }
        if resp.status < 200 {
            return true;
        }
        let Some(flight) = self.in_flight.take() else {
            return true;
        };
        let nat_moved = self.learn_public(resp, flight.contact);
        match flight.kind {
            Kind::KeepAlive => {
                // Any final answer proves the path and the NAT binding are alive.
                self.schedule_keepalive(now);
                if nat_moved && !self.stopping {
                    self.chase_if_moved(now);
                }
            }
            Kind::Unregister => self.on_unregister_response(resp),
            Kind::Register => self.on_register_response(resp, flight.contact, nat_moved, now),
        }
        true
    }

    /// Timer F of one of our transactions; returns false for other keys.
    pub fn handle_timeout_of(&mut self, key: &ClientTxKey, now: Instant) -> bool {
        if !self.owns(key) {
            return false;
        }
        let Some(flight) = self.in_flight.take() else {
            return true;
        };
        match flight.kind {
            // The provider stopped answering: find out now rather than at the next refresh.
            Kind::KeepAlive => self.next_register = Some(now),
            Kind::Unregister => self.finish_stop(),
            Kind::Register => {
                self.advance_target();
                self.fail(FailureReason::Timeout, None, now);
            }
        }
        true
    }

    /// The earliest instant at which the client has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.stopped || self.in_flight.is_some() {
            return None;
        }
        if let Some(since) = self.resolving {
            return Some(since + RESOLVE_TIMEOUT);
        }
        let keepalive = match self.config.keepalive {
            KeepAlive::Off => None,
            _ if self.state.is_registered() => self.next_keepalive,
            _ => None,
        };
        [self.next_register, keepalive].into_iter().flatten().min()
    }

    /// An IPv4-only box cannot send to the provider's IPv6 addresses: drop them (and fail the
    /// resolution when nothing else is left) rather than time out on each.
    fn drop_unreachable(&mut self, local: &LocalContact, now: Instant) {
        if !local.addr.is_ipv4() || self.targets.iter().all(|p| p.addr.is_ipv4()) {
            return;
        }
        let current = self.current_peer();
        self.targets.retain(|p| p.addr.is_ipv4());
        self.target_idx = current
            .and_then(|c| self.targets.iter().position(|p| *p == c))
            .unwrap_or(0);
        if self.targets.is_empty() && !self.stopping {
            self.fail(FailureReason::ResolveFailed, None, now);
        }
    }

    /// When the address we would put in Contact differs from the one bound (NAT rebinding, new
    /// DHCP lease), re-REGISTER now — a bounded number of times in a row.
    fn chase_if_moved(&mut self, now: Instant) {
        let current = self.public.or(self.last_local);
        let moved = matches!((self.bound, current), (Some(b), Some(c)) if b != c);
        let already_due = self.next_register.is_some_and(|t| t <= now);
        if moved && !already_due && self.state.is_registered() && self.nat_chases < MAX_NAT_CHASES {
            self.nat_chases += 1;
            self.next_register = Some(now);
        }
    }

    /// Records the `received`/`rport` address; true when it differs from the contact we sent.
    fn learn_public(&mut self, resp: &Response, sent_contact: SocketAddr) -> bool {
        match message::public_address(resp) {
            Some(addr) => {
                self.public = Some(addr);
                addr != sent_contact
            }
            None => false,
        }
    }

    fn on_register_response(
        &mut self,
        resp: &Response,
        contact: SocketAddr,
        nat_moved: bool,
        now: Instant,
    ) {
        if self.stopping {
            // A REGISTER that was in flight at shutdown: whatever it bound must be removed.
            if (200..300).contains(&resp.status) {
                self.bound = Some(contact);
            }
            return;
        }
        match resp.status {
            200..=299 => self.on_registered(resp, contact, nat_moved, now),
            401 | 407 => self.on_challenge(resp, now),
            423 => match message::min_expires(resp) {
                Some(min)
                    if min > self.expires
                        && min <= MAX_EXPIRES
                        && self.attempt.too_brief < MAX_TOO_BRIEF =>
                {
                    self.attempt.too_brief += 1;
                    self.expires = min;
                    self.next_register = Some(now);
                }
                _ => self.fail(FailureReason::IntervalTooBrief, None, now),
            },
            status => {
                if status >= 500 {
                    // §4.3 of RFC 3263: a server error is a reason to try the next address.
                    self.advance_target();
                }
                let hint = (status == 503)
                    .then(|| message::retry_after(resp))
                    .flatten()
                    .map(|s| Duration::from_secs(u64::from(s)));
                self.fail(FailureReason::Rejected { status }, hint, now);
            }
        }
    }

    fn on_registered(
        &mut self,
        resp: &Response,
        contact: SocketAddr,
        nat_moved: bool,
        now: Instant,
    ) {
        let transport = self
            .current_peer()
            .map(|p| p.transport)
            .unwrap_or(sip::transaction::TransportKind::Udp);
        let ours = message::contact_uri(&self.config, contact, transport);
        let granted = message::granted_expires(resp, &ours, self.expires).min(MAX_EXPIRES);
        if granted == 0 {
            self.fail(FailureReason::NoBinding, None, now);
            return;
        }
        self.failures = 0;
        self.attempt = Attempt::default();
        self.auth.new_attempt();
        self.bound = Some(contact);
        let granted = Duration::from_secs(u64::from(granted));
        self.state = TrunkState::Registered {
            until: now + granted,
        };
        let refresh = (granted / 2)
            .max(granted.saturating_sub(self.config.timing.refresh_margin))
            .max(Duration::from_secs(1));
        self.next_register = Some(now + refresh);
        self.schedule_keepalive(now);
        if !nat_moved {
            self.nat_chases = 0;
        }
        self.chase_if_moved(now);
    }

    fn on_challenge(&mut self, resp: &Response, now: Instant) {
        match self.auth.on_challenge(resp) {
            Ok(()) => self.next_register = Some(now),
            Err(reason) => self.fail(reason, None, now),
        }
    }

    fn on_unregister_response(&mut self, resp: &Response) {
        if matches!(resp.status, 401 | 407) && self.auth.on_challenge(resp).is_ok() {
            return; // poll_request sends the unregister again, with credentials.
        }
        self.finish_stop();
    }

    fn finish_stop(&mut self) {
        self.stopped = true;
        self.bound = None;
        self.next_register = None;
        self.next_keepalive = None;
        self.state = TrunkState::Unregistered;
    }

    fn schedule_keepalive(&mut self, now: Instant) {
        self.next_keepalive = self.config.keepalive.interval().map(|every| now + every);
    }

    /// Moves to the next resolved address; after the last one, forgets them so the name is
    /// resolved again (the provider may have moved).
    fn advance_target(&mut self) {
        self.target_idx += 1;
        if self.target_idx >= self.targets.len() {
            self.targets.clear();
            self.target_idx = 0;
        }
    }

    fn fail(&mut self, reason: FailureReason, hint: Option<Duration>, now: Instant) {
        self.failures = self.failures.saturating_add(1);
        self.attempt = Attempt::default();
        self.auth.new_attempt();
        let mut delay = self.backoff.delay(self.failures, self.rng.as_mut());
        if let Some(hint) = hint {
            delay = delay.max(hint.min(self.backoff.max));
        }
        let retry_at = now + delay;
        tracing::info!(domain = %self.config.domain, %reason, ?delay, "trunk registration failed");
        self.next_register = Some(retry_at);
        self.next_keepalive = None;
        self.state = TrunkState::Failed { reason, retry_at };
    }
}
