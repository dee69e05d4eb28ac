//! The SIP endpoint of the box: datagrams in, datagrams out. Owns the transaction layer, the
//! authenticator, the registrar and the B2BUA, and dispatches between them.
//!
//! Run-loop contract (the daemon's side): feed every received datagram to [`Pbx::handle_datagram`],
//! call [`Pbx::handle_timeout`] when [`Pbx::poll_timeout`] is due, and after each call drain
//! [`Pbx::poll_transmit`] (send) and [`Pbx::poll_cdr`] (store). Nothing here reads the clock, the
//! RNG or a socket.
use crate::auth::{AuthOutcome, Authenticator, ChallengeKind};
use crate::call::{CallContext, Calls, Origin};
use crate::cdr::Cdr;
use crate::directory::Directory;
use crate::guard::Guard;
use crate::ids::Ids;
use crate::media::MediaControl;
use crate::registrar::{RegisterError, Registrar, RegistrarConfig};
use crate::trunk::{LocalContact, ProviderRole};
use crate::trunk_peers::TrunkPeers;
use crate::trunks::{ResolveRequest, Trunks};
use sip::builder::reason_phrase;
use sip::message::{HeaderName, Message, Method, Request, Response, SipHeaders};
use sip::transaction::{Peer, ServerTxKey, TimerConfig, TransactionLayer, Transmit, TxEvent};
use sip::uas_checks::{check_request, UasPolicy};
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, REGISTER, INFO, UPDATE, NOTIFY, REFER";
const ALLOWED_METHODS: &[&str] = &[
    "INVITE",
    "ACK",
    "CANCEL",
    "BYE",
    "OPTIONS",
    "REGISTER",
    "INFO",
    "UPDATE",
    "PRACK",
    "SUBSCRIBE",
    "NOTIFY",
    "REFER",
    "MESSAGE",
];
const SUPPORTED: &[&str] = &["replaces", "path", "outbound", "gruu"];
const BODY_TYPES: &[&str] = &[
    "application/sdp",
    "application/dtmf-relay",
    "application/dtmf",
    "multipart/mixed",
    "message/sipfrag",
    "text/plain",
];

#[derive(Debug, Clone)]
pub struct PbxConfig {
    /// Address the box advertises in Via/Contact (never 0.0.0.0).
    pub sip_addr: SocketAddr,
    /// Address the box advertises for RTP in SDP.
    pub media_ip: IpAddr,
    pub timers: TimerConfig,
    pub registrar: RegistrarConfig,
    pub user_agent: String,
    /// Digest algorithms offered in challenges, in order (default: MD5 only).
    pub digest_algorithms: Vec<sip::digest::Algorithm>,
    /// Auto-ban thresholds.
    pub guard: crate::guard::GuardConfig,
}

/// The wall clock, for CDR timestamps (a Pi may boot without RTC: never used for timers).
pub trait WallClock: Send {
    fn unix_ms(&self) -> i64;
}

mod media_events;
mod mwi_wiring;
mod presence_wiring;

pub struct Pbx {
    config: PbxConfig,
    txn: TransactionLayer,
    auth: Authenticator,
    registrar: Registrar,
    calls: Calls,
    ids: Ids,
    directory: Arc<Directory>,
    trunks: Trunks,
    trunk_failures: Vec<(u32, usize)>,
    guard: Guard,
    media: Box<dyn MediaControl + Send>,
    clock: Box<dyn WallClock>,
    cdrs: VecDeque<Cdr>,
    /// What call applications hand to the daemon (voicemail, prompts).
    effects: VecDeque<crate::call::AppEffect>,
    /// Voicemail messages per box (kept current by the daemon), for menus and MWI.
    mailboxes: crate::media_config::Mailboxes,
    /// Message-waiting subscriptions (RFC 3842).
    mwi: crate::mwi::Subscriptions,
    /// Busy-lamp subscriptions (RFC 4235).
    presence: crate::presence::Subscriptions,
    /// Monotonic origin for nonce timestamps.
    epoch: Instant,
    next_expire_sweep: Instant,
    malformed: u64,
}

impl Pbx {
    pub fn new(
        config: PbxConfig,
        directory: Arc<Directory>,
        media: Box<dyn MediaControl + Send>,
        clock: Box<dyn WallClock>,
        rng: Box<dyn rand::RngCore + Send>,
        now: Instant,
    ) -> Pbx {
        let mut ids = Ids::new(rng);
        let auth = Authenticator::new(ids.secret(), config.digest_algorithms.clone());
        let guard = Guard::new(config.guard.clone());
        let sip_addr = config.sip_addr;
        let mut trunks = Trunks::default();
        trunks.configure(&directory, &mut ids, &config.user_agent, now);
        let mut pbx = Pbx {
            // Timer J at T4 instead of 64·T1: a completed REGISTER lingers 5 s, not 32 s, which
            // keeps memory flat at thousands of REGISTERs per second. A retransmission later than
            // that (its responses lost for 5 s) is processed again; REGISTER is idempotent here
            // (an equal CSeq re-applies the binding) and a late BYE finds no dialog (481).
            txn: TransactionLayer::new(config.timers).with_timer_j(config.timers.t4),
            registrar: Registrar::new(config.registrar.clone()),
            calls: Calls::default(),
            config,
            auth,
            ids,
            directory,
            trunks,
            trunk_failures: Vec::new(),
            guard,
            media,
            clock,
            cdrs: VecDeque::new(),
            effects: VecDeque::new(),
            mailboxes: Default::default(),
            mwi: crate::mwi::Subscriptions::new(crate::mwi::MwiConfig::new(sip_addr)),
            presence: crate::presence::Subscriptions::new(crate::presence::PresenceConfig::new(
                sip_addr,
            )),
            epoch: now,
            next_expire_sweep: now + Duration::from_secs(1),
            malformed: 0,
        };
        pbx.guard.set_allow_list(pbx.directory.allow_list.clone());
        pbx.drive_trunks(now);
        pbx
    }

    /// Replaces the account/number snapshot (after an import or a config sync).
    pub fn set_directory(&mut self, directory: Arc<Directory>, now: Instant) {
        self.directory = directory;
        self.guard.set_allow_list(self.directory.allow_list.clone());
        self.trunks
            .configure(&self.directory, &mut self.ids, &self.config.user_agent, now);
        self.drive_trunks(now);
    }

    /// Where trunk providers are and which one calls use. Normally kept current by the trunk
    /// registration clients; tests and tools may set it directly.
    pub fn trunk_peers_mut(&mut self) -> &mut TrunkPeers {
        &mut self.trunks.peers
    }

    /// A provider name the daemon must resolve (RFC 3263); answer with [`Pbx::handle_resolved`].
    pub fn poll_resolve(&mut self) -> Option<ResolveRequest> {
        self.trunks.poll_resolve()
    }

    pub fn handle_resolved(
        &mut self,
        tenant_id: u32,
        role: ProviderRole,
        peers: Vec<Peer>,
        now: Instant,
    ) {
        self.trunks.handle_resolved(tenant_id, role, peers, now);
        self.drive_trunks(now);
    }

    /// Registration state of every trunk provider, by tenant (for `centralita status`).
    pub fn trunk_status(&self, now: Instant) -> Vec<(u32, crate::trunk::ProviderStatus)> {
        self.trunks.status(now)
    }

    /// Unregisters from every provider; keep driving the loop until [`Pbx::trunks_stopped`].
    pub fn shutdown_trunks(&mut self, now: Instant) {
        self.trunks.shutdown(now);
        self.drive_trunks(now);
    }

    pub fn trunks_stopped(&self) -> bool {
        self.trunks.is_stopped()
    }

    fn drive_trunks(&mut self, now: Instant) {
        for (tenant, provider) in self.trunk_failures.drain(..) {
            self.trunks.report_invite_failure(tenant, provider, now);
        }
        let local = LocalContact {
            addr: self.config.sip_addr,
        };
        self.trunks.drive(&mut self.txn, &mut self.ids, &local, now);
    }

    pub fn registrar(&self) -> &Registrar {
        &self.registrar
    }

    pub fn active_calls(&self) -> usize {
        self.calls.len()
    }

    pub fn malformed_count(&self) -> u64 {
        self.malformed
    }

    /// The SIP guard: bans, allow list (for status pages and an admin's unban).
    pub fn guard_mut(&mut self) -> &mut Guard {
        &mut self.guard
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    pub fn handle_datagram(&mut self, bytes: &[u8], source: Peer, now: Instant) {
        // Banned and flooding addresses are dropped before any parsing.
        if !self.guard.admit(source.addr.ip(), now) {
            return;
        }
        if bytes.iter().all(|b| b.is_ascii_whitespace()) {
            return; // CRLF keep-alive (RFC 5626 §4.4.1)
        }
        match sip::parse::parse_datagram(bytes) {
            Ok(msg) => self.process_message(msg, source, now),
            Err(error) => {
                self.malformed += 1;
                tracing::info!(%error, peer = %source.addr, "malformed SIP message");
                if let Some(reply) = sip::parse::reply_for_malformed(bytes, &error) {
                    self.txn.send_stateless(&Message::Response(reply), source);
                }
            }
        }
    }

    /// A message already framed and parsed (stream transports).
    pub fn handle_message(&mut self, msg: Message, source: Peer, now: Instant) {
        if self.guard.admit(source.addr.ip(), now) {
            self.process_message(msg, source, now);
        }
    }

    fn process_message(&mut self, msg: Message, source: Peer, now: Instant) {
        if let Message::Request(req) = &msg {
            if let Some(ua) = req.headers.get(&HeaderName::UserAgent) {
                if !self.guard.check_user_agent(source.addr.ip(), ua, now) {
                    return; // a scanner: no answer at all
                }
            }
        }
        self.txn.handle_message(msg, source, now);
        self.process_events(now);
        if !self.trunk_failures.is_empty() {
            self.drive_trunks(now);
        }
        self.refresh_presence(now);
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        self.txn.handle_timeout(now);
        self.process_events(now);
        self.with_calls(now, |calls, ctx| calls.handle_timeout(ctx));
        if now >= self.next_expire_sweep {
            self.registrar.expire(now);
            self.guard.expire(now);
            self.next_expire_sweep = now + Duration::from_secs(1);
        }
        self.mwi_expire(now);
        self.presence_expire(now);
        self.drive_trunks(now);
        self.process_events(now);
        self.refresh_presence(now);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.txn.poll_timeout(),
            self.calls.next_deadline(),
            self.trunks.poll_timeout(),
            self.mwi.poll_timeout(),
            self.presence.poll_timeout(),
            Some(self.next_expire_sweep),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.txn
            .poll_transmit()
            .or_else(|| self.trunks.poll_keepalive())
    }

    pub fn poll_cdr(&mut self) -> Option<Cdr> {
        self.cdrs.pop_front()
    }

    fn with_calls<R>(
        &mut self,
        now: Instant,
        f: impl FnOnce(&mut Calls, &mut CallContext<'_>) -> R,
    ) -> R {
        let unix_ms = self.clock.unix_ms();
        let mut ctx = CallContext {
            config: &self.config,
            txn: &mut self.txn,
            ids: &mut self.ids,
            directory: &self.directory,
            registrar: &self.registrar,
            trunks: &self.trunks.peers,
            trunk_failures: &mut self.trunk_failures,
            media: self.media.as_mut(),
            cdrs: &mut self.cdrs,
            now,
            unix_ms,
            effects: &mut self.effects,
            mailboxes: &self.mailboxes,
        };
        f(&mut self.calls, &mut ctx)
    }

    fn process_events(&mut self, now: Instant) {
        while let Some(event) = self.txn.poll_event() {
            match event {
                TxEvent::Request {
                    key,
                    request,
                    source,
                } => self.on_request(key, request, source, now),
                TxEvent::Response { key, response } => {
                    if self.mwi_response(&key, response.status, now)
                        || self.presence_response(&key, response.status, now)
                    {
                        continue;
                    }
                    if self.trunks.handle_response(&key, &response, now) {
                        self.drive_trunks(now);
                    } else {
                        self.with_calls(now, |calls, ctx| calls.on_response(ctx, &key, response))
                    }
                }
                TxEvent::Timeout { key } => {
                    if self.mwi_timeout(&key) || self.presence.handle_notify_timeout(&key) {
                        continue;
                    }
                    if self.trunks.handle_timeout_of(&key, now) {
                        self.drive_trunks(now);
                    } else {
                        self.with_calls(now, |calls, ctx| calls.on_client_timeout(ctx, &key))
                    }
                }
                TxEvent::AckTimeout { key } => {
                    self.with_calls(now, |calls, ctx| calls.on_ack_timeout(ctx, &key))
                }
                TxEvent::StrayResponse { response, source } => self
                    .with_calls(now, |calls, ctx| {
                        calls.on_stray_response(ctx, response, source)
                    }),
            }
        }
    }

    fn nonce_secs(&self, now: Instant) -> u64 {
        now.saturating_duration_since(self.epoch).as_secs()
    }

    fn on_request(&mut self, key: Option<ServerTxKey>, req: Request, source: Peer, now: Instant) {
        let policy = UasPolicy {
            allowed_methods: ALLOWED_METHODS,
            supported_extensions: SUPPORTED,
            accepted_body_types: BODY_TYPES,
        };
        if req.method != Method::Ack {
            if let Some(mut resp) = check_request(&req, &policy) {
                resp.headers
                    .push(HeaderName::Server, self.config.user_agent.clone());
                self.reply(key.as_ref(), resp, source, now);
                return;
            }
        }
        let in_dialog = req.to_header().is_some_and(|t| t.tag().is_some());
        match req.method {
            Method::Register => self.on_register(key, &req, source, now),
            Method::Options if !in_dialog => {
                let mut resp = Response::for_request(&req, 200, "OK", Some(&self.ids.tag()));
                resp.headers.push(HeaderName::Allow, ALLOW);
                resp.headers.push(HeaderName::Accept, "application/sdp");
                resp.headers.push(HeaderName::Supported, "replaces");
                resp.headers
                    .push(HeaderName::Server, self.config.user_agent.clone());
                self.reply(key.as_ref(), resp, source, now);
            }
            Method::Invite if !in_dialog => self.on_new_invite(key, req, source, now),
            Method::Cancel => {
                let ok = Response::for_request(&req, 200, "OK", None);
                self.reply(key.as_ref(), ok, source, now);
                if let Some(invite) = self.txn.matching_invite(&req) {
                    self.with_calls(now, |calls, ctx| calls.on_cancel(ctx, &invite));
                }
            }
            Method::Ack => self.with_calls(now, |calls, ctx| calls.on_ack(ctx, &req, source)),
            Method::Subscribe
                if !in_dialog || self.mwi.has_dialog(&req) || self.presence.has_dialog(&req) =>
            {
                self.on_subscribe(key, &req, source, now)
            }
            _ if in_dialog => {
                let handled = self.with_calls(now, |calls, ctx| {
                    calls.on_in_dialog(ctx, key.clone(), req.clone(), source)
                });
                if !handled {
                    self.reply_status(key.as_ref(), &req, 481, source, now);
                }
            }
            _ => self.reply_status(key.as_ref(), &req, 405, source, now),
        }
    }

    fn reply_status(
        &mut self,
        key: Option<&ServerTxKey>,
        req: &Request,
        status: u16,
        source: Peer,
        now: Instant,
    ) {
        let tag = self.ids.tag();
        let mut resp = Response::for_request(req, status, reason_phrase(status), Some(&tag));
        if status == 405 {
            resp.headers.push(HeaderName::Allow, ALLOW);
        }
        self.reply(key, resp, source, now);
    }

    fn reply(&mut self, key: Option<&ServerTxKey>, resp: Response, source: Peer, now: Instant) {
        match key {
            Some(key) => self.txn.send_response(key, resp, now),
            None => self.txn.send_stateless(&Message::Response(resp), source),
        }
    }

    fn on_register(&mut self, key: Option<ServerTxKey>, req: &Request, source: Peer, now: Instant) {
        // RFC 4475 unksm2: the AOR must be a SIP URI.
        let Some(to) = req.to_header().filter(|t| t.uri.is_sip()) else {
            self.reply_status(key.as_ref(), req, 400, source, now);
            return;
        };
        let now_secs = self.nonce_secs(now);
        let account =
            match self
                .auth
                .check(req, ChallengeKind::Www, self.directory.as_ref(), now_secs)
            {
                AuthOutcome::Authenticated(account) => account,
                AuthOutcome::Challenge { stale, failed } => {
                    if failed {
                        tracing::info!(peer = %source.addr, "REGISTER authentication failed");
                        self.guard.auth_failed(source.addr.ip(), now);
                    }
                    self.challenge(key.as_ref(), req, ChallengeKind::Www, stale, source, now);
                    return;
                }
            };
        // One may only register one's own AOR.
        if to.uri.user_unescaped().as_deref() != Some(account.username.as_str()) {
            self.reply_status(key.as_ref(), req, 403, source, now);
            return;
        }
        let resp = match self.registrar.register(&account.username, req, source, now) {
            Ok(resp) => resp,
            Err(RegisterError::IntervalTooBrief { min }) => {
                let mut resp = Response::for_request(req, 423, reason_phrase(423), None);
                resp.headers.push(HeaderName::MinExpires, min.to_string());
                resp
            }
            Err(RegisterError::BadContact) => Response::for_request(req, 400, "Bad Contact", None),
            Err(RegisterError::OutOfOrder) => {
                Response::for_request(req, 500, "Out Of Order Request", None)
            }
        };
        let mut resp = resp;
        add_to_tag(&mut resp, &mut self.ids);
        resp.headers
            .push(HeaderName::Server, self.config.user_agent.clone());
        self.reply(key.as_ref(), resp, source, now);
    }

    fn challenge(
        &mut self,
        key: Option<&ServerTxKey>,
        req: &Request,
        kind: ChallengeKind,
        stale: bool,
        source: Peer,
        now: Instant,
    ) {
        let status = kind.status();
        let tag = self.ids.tag();
        let mut resp = Response::for_request(req, status, reason_phrase(status), Some(&tag));
        self.auth
            .challenge(&mut resp, kind, stale, self.nonce_secs(now));
        resp.headers
            .push(HeaderName::Server, self.config.user_agent.clone());
        match (kind, key) {
            // An INVITE challenge is sent once and its transaction dropped (no Timer G): a
            // spoofed source gets one datagram, not ten.
            (ChallengeKind::Proxy, Some(key)) => self.txn.respond_and_forget(key, resp),
            _ => self.reply(key, resp, source, now),
        }
    }

    fn on_new_invite(
        &mut self,
        key: Option<ServerTxKey>,
        req: Request,
        source: Peer,
        now: Instant,
    ) {
        let Some(key) = key else {
            return;
        };
        // Providers do not authenticate to us: their INVITEs are recognised by source address.
        if let Some(tenant_id) = self.trunks.peers.tenant_of(source.addr) {
            self.with_calls(now, |calls, ctx| {
                calls.on_new_invite(ctx, key, req, source, Origin::Trunk { tenant_id })
            });
            return;
        }
        let now_secs = self.nonce_secs(now);
        match self
            .auth
            .check(&req, ChallengeKind::Proxy, &self.directory, now_secs)
        {
            AuthOutcome::Authenticated(caller) => self.with_calls(now, |calls, ctx| {
                calls.on_new_invite(ctx, key, req, source, Origin::Extension(caller))
            }),
            AuthOutcome::Challenge { stale, failed } => {
                if failed {
                    tracing::info!(peer = %source.addr, "INVITE authentication failed");
                    self.guard.auth_failed(source.addr.ip(), now);
                }
                self.challenge(Some(&key), &req, ChallengeKind::Proxy, stale, source, now);
            }
        }
    }
}

fn add_to_tag(resp: &mut Response, ids: &mut Ids) {
    if resp.to_tag().is_none() {
        let tag = ids.tag();
        if let Some(h) = resp
            .headers
            .list
            .iter_mut()
            .find(|h| h.name == HeaderName::To)
        {
            h.value.push_str(";tag=");
            h.value.push_str(&tag);
        }
    }
}
