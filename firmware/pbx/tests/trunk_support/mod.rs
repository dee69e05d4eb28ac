//! Virtual-time world for the trunk registration tests: the box's transaction layer and
//! [`TrunkGroup`] on one side, fake provider registrars (each with its own transaction layer)
//! on the other, a NAT in between that rewrites the box's source address, and a clock that jumps
//! from deadline to deadline. Nothing sleeps and nothing touches a socket.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pbx::ids::Ids;
use pbx::trunk::{KeepAlive, LocalContact, ProviderConfig, RegistrationClient, TrunkGroup};
use rand::rngs::StdRng;
use rand::SeedableRng;
use sip::digest::{Algorithm, NonceSigner, NonceState};
use sip::header::{Contact, Credentials};
use sip::message::{HeaderName, Method, Request, Response, SipHeaders};
use sip::transaction::{Peer, TimerConfig, TransactionLayer, TransportKind, TxEvent};

pub const BOX_LOCAL: &str = "10.0.0.2:5060";
pub const PRIMARY: &str = "192.0.2.10:5060";
pub const SECONDARY: &str = "192.0.2.20:5060";
pub const PASSWORD: &str = "s3cret";

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

pub fn udp(s: &str) -> Peer {
    Peer {
        transport: TransportKind::Udp,
        addr: addr(s),
    }
}

pub fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// What a fake registrar does with each REGISTER.
pub struct Policy {
    /// Drop every datagram (provider down / unreachable).
    pub down: bool,
    /// Challenge unauthenticated REGISTERs.
    pub challenge: bool,
    /// Also act as an authenticating proxy in front of the registrar (407 first).
    pub proxy_challenge: bool,
    pub algorithm: Algorithm,
    pub password: String,
    /// 423 below this.
    pub min_expires: u32,
    /// Granted expiry is at most this.
    pub max_expires: u32,
    /// Answer every REGISTER with this status instead (after authentication).
    pub fail_with: Option<u16>,
    /// Answer OPTIONS (otherwise they are dropped, like a provider that ignores them).
    pub answer_options: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            down: false,
            challenge: true,
            proxy_challenge: false,
            algorithm: Algorithm::Md5,
            password: PASSWORD.to_string(),
            min_expires: 60,
            max_expires: 3600,
            fail_with: None,
            answer_options: true,
        }
    }
}

/// One provider's registrar.
pub struct Registrar {
    pub addr: SocketAddr,
    pub txn: TransactionLayer,
    pub policy: Policy,
    signer: NonceSigner,
    epoch: Instant,
    /// Every request that reached it, with the arrival time.
    pub seen: Vec<(Instant, Request)>,
    /// Current bindings: contact URI text → expiry.
    pub bindings: HashMap<String, Instant>,
    tag: u32,
}

impl Registrar {
    fn new(addr: SocketAddr, now: Instant) -> Registrar {
        Registrar {
            addr,
            txn: TransactionLayer::new(TimerConfig::default()),
            policy: Policy::default(),
            signer: NonceSigner {
                secret: [7; 32],
                lifetime_secs: 300,
            },
            epoch: now,
            seen: Vec::new(),
            bindings: HashMap::new(),
            tag: 0,
        }
    }

    pub fn set_nonce_lifetime(&mut self, secs: u64) {
        self.signer.lifetime_secs = secs;
    }

    pub fn registers(&self) -> Vec<&Request> {
        self.seen
            .iter()
            .filter(|(_, r)| r.method == Method::Register)
            .map(|(_, r)| r)
            .collect()
    }

    pub fn register_times(&self) -> Vec<Instant> {
        self.seen
            .iter()
            .filter(|(_, r)| r.method == Method::Register)
            .map(|(t, _)| *t)
            .collect()
    }

    pub fn options_count(&self) -> usize {
        self.seen
            .iter()
            .filter(|(_, r)| r.method == Method::Options)
            .count()
    }

    pub fn live_bindings(&self, now: Instant) -> Vec<String> {
        let mut v: Vec<String> = self
            .bindings
            .iter()
            .filter(|(_, t)| **t > now)
            .map(|(c, _)| c.clone())
            .collect();
        v.sort();
        v
    }

    fn respond(&mut self, req: &Request, status: u16, now: Instant) -> Response {
        self.tag += 1;
        let tag = format!("reg{}", self.tag);
        let _ = now;
        Response::for_request(req, status, sip::builder::reason_phrase(status), Some(&tag))
    }

    fn on_request(&mut self, key: sip::transaction::ServerTxKey, req: Request, now: Instant) {
        self.seen.push((now, req.clone()));
        let resp = match req.method {
            Method::Register => self.on_register(&req, now),
            Method::Options if self.policy.answer_options => self.respond(&req, 200, now),
            _ => return,
        };
        self.txn.send_response(&key, resp, now);
    }

    fn on_register(&mut self, req: &Request, now: Instant) -> Response {
        let now_secs = now.duration_since(self.epoch).as_secs();
        if self.policy.proxy_challenge {
            let ok = req
                .headers
                .get(&HeaderName::ProxyAuthorization)
                .and_then(Credentials::from_header)
                .is_some_and(|c| {
                    self.signer.check(&c.nonce, now_secs) == NonceState::Valid
                        && sip::digest::verify(&c, "REGISTER", &self.policy.password)
                });
            if !ok {
                let mut resp = self.respond(req, 407, now);
                let nonce = self.signer.issue(now_secs);
                resp.headers.push(
                    HeaderName::ProxyAuthenticate,
                    sip::digest::challenge("proxy.test", &nonce, self.policy.algorithm, false),
                );
                return resp;
            }
        }
        if self.policy.challenge {
            let creds = req
                .headers
                .get(&HeaderName::Authorization)
                .and_then(Credentials::from_header);
            let (ok, stale) = match &creds {
                Some(c) => match self.signer.check(&c.nonce, now_secs) {
                    NonceState::Valid => (
                        sip::digest::verify(c, "REGISTER", &self.policy.password),
                        false,
                    ),
                    NonceState::Stale => (false, true),
                    NonceState::Invalid => (false, false),
                },
                None => (false, false),
            };
            if !ok {
                let mut resp = self.respond(req, 401, now);
                let nonce = self.signer.issue(now_secs);
                resp.headers.push(
                    HeaderName::WwwAuthenticate,
                    sip::digest::challenge("provider.test", &nonce, self.policy.algorithm, stale),
                );
                return resp;
            }
        }
        if let Some(status) = self.policy.fail_with {
            return self.respond(req, status, now);
        }
        let header_expires = req.expires();
        let mut granted = Vec::new();
        for c in req.contacts() {
            let Contact::Addr(a) = c else { continue };
            let asked = a
                .params
                .value("expires")
                .and_then(|v| v.parse().ok())
                .or(header_expires)
                .unwrap_or(3600);
            if asked != 0 && asked < self.policy.min_expires {
                let mut resp = self.respond(req, 423, now);
                resp.headers
                    .push(HeaderName::MinExpires, self.policy.min_expires.to_string());
                return resp;
            }
            granted.push((a.uri.to_string(), asked.min(self.policy.max_expires)));
        }
        for (uri, exp) in granted {
            if exp == 0 {
                self.bindings.remove(&uri);
            } else {
                self.bindings
                    .insert(uri, now + Duration::from_secs(u64::from(exp)));
            }
        }
        let mut resp = self.respond(req, 200, now);
        for (uri, until) in &self.bindings {
            if *until > now {
                let left = until.duration_since(now).as_secs();
                resp.headers
                    .push(HeaderName::Contact, format!("<{uri}>;expires={left}"));
            }
        }
        resp
    }
}

pub struct World {
    pub now: Instant,
    pub box_txn: TransactionLayer,
    pub group: TrunkGroup,
    pub ids: Ids,
    pub local: LocalContact,
    /// The box's address as the providers see it (None: no NAT, the local address).
    pub nat: Option<SocketAddr>,
    pub providers: HashMap<SocketAddr, Registrar>,
    /// Host name → addresses, the test's DNS.
    pub dns: HashMap<String, Vec<Peer>>,
    /// CRLF keep-alives the box sent: (time, destination).
    pub crlf: Vec<(Instant, Peer)>,
    /// A NAT that maps every datagram to a new public port (old mappings stay usable).
    pub rotate_nat: bool,
    /// A resolver that never answers (its answers are lost).
    pub dns_blackhole: bool,
}

pub fn provider_config(domain: &str) -> ProviderConfig {
    ProviderConfig::new("centralita1", PASSWORD, domain, None).unwrap()
}

impl World {
    /// A box with a primary at [`PRIMARY`] (domain `sip.primary.test`) and, when `secondary`,
    /// a secondary at [`SECONDARY`] (`sip.secondary.test`); `tune` adjusts both configs.
    pub fn new(secondary: bool, tune: impl Fn(&mut ProviderConfig)) -> World {
        let now = Instant::now();
        let mut p = provider_config("sip.primary.test");
        tune(&mut p);
        let primary = RegistrationClient::new(p, Box::new(StdRng::seed_from_u64(11)), now);
        let secondary = secondary.then(|| {
            let mut s = provider_config("sip.secondary.test");
            tune(&mut s);
            RegistrationClient::new(s, Box::new(StdRng::seed_from_u64(12)), now)
        });
        let mut providers = HashMap::new();
        providers.insert(addr(PRIMARY), Registrar::new(addr(PRIMARY), now));
        providers.insert(addr(SECONDARY), Registrar::new(addr(SECONDARY), now));
        let mut dns = HashMap::new();
        dns.insert("sip.primary.test".to_string(), vec![udp(PRIMARY)]);
        dns.insert("sip.secondary.test".to_string(), vec![udp(SECONDARY)]);
        World {
            now,
            box_txn: TransactionLayer::new(TimerConfig::default()),
            group: TrunkGroup::new(primary, secondary),
            ids: Ids::new(Box::new(StdRng::seed_from_u64(5))),
            local: LocalContact {
                addr: addr(BOX_LOCAL),
            },
            nat: None,
            providers,
            dns,
            crlf: Vec::new(),
            rotate_nat: false,
            dns_blackhole: false,
        }
    }

    pub fn primary(&mut self) -> &mut Registrar {
        self.providers.get_mut(&addr(PRIMARY)).unwrap()
    }

    pub fn secondary(&mut self) -> &mut Registrar {
        self.providers.get_mut(&addr(SECONDARY)).unwrap()
    }

    fn box_source(&self) -> Peer {
        Peer {
            transport: TransportKind::Udp,
            addr: self.nat.unwrap_or(self.local.addr),
        }
    }

    /// Runs every pending input/output at the current instant until nothing moves.
    pub fn settle(&mut self) {
        for _ in 0..1000 {
            let mut moved = false;
            while let Some((role, target)) = self.group.poll_resolve(self.now) {
                moved = true;
                if self.dns_blackhole {
                    continue;
                }
                let peers = self.dns.get(&target.host).cloned().unwrap_or_default();
                self.group.handle_resolved(role, peers, self.now);
                moved = true;
            }
            while let Some((req, peer)) =
                self.group
                    .poll_request(self.now, &mut self.ids, &self.local)
            {
                self.box_txn.send_request(req, peer, self.now);
                moved = true;
            }
            while let Some(t) = self.group.poll_keepalive(self.now) {
                self.crlf.push((self.now, t.peer));
                moved = true;
            }
            let mut source = self.box_source();
            while let Some(t) = self.box_txn.poll_transmit() {
                moved = true;
                if self.rotate_nat {
                    let mut a = self.nat.unwrap_or(self.local.addr);
                    a.set_port(a.port() + 1);
                    self.nat = Some(a);
                    source = self.box_source();
                }
                if let Some(p) = self.providers.get_mut(&t.peer.addr) {
                    if p.policy.down {
                        continue;
                    }
                    let msg = sip::parse::parse_datagram(&t.bytes).unwrap();
                    p.txn.handle_message(msg, source, self.now);
                }
            }
            let now = self.now;
            for p in self.providers.values_mut() {
                while let Some(ev) = p.txn.poll_event() {
                    moved = true;
                    if let TxEvent::Request {
                        key: Some(key),
                        request,
                        ..
                    } = ev
                    {
                        p.on_request(key, request, now);
                    }
                }
            }
            let mut back = Vec::new();
            for p in self.providers.values_mut() {
                while let Some(t) = p.txn.poll_transmit() {
                    moved = true;
                    if p.policy.down || (t.peer.addr != source.addr && !self.rotate_nat) {
                        continue;
                    }
                    back.push((p.addr, t.bytes));
                }
            }
            for (from, bytes) in back {
                let msg = sip::parse::parse_datagram(&bytes).unwrap();
                self.box_txn
                    .handle_message(msg, udp(&from.to_string()), self.now);
            }
            while let Some(ev) = self.box_txn.poll_event() {
                moved = true;
                match ev {
                    TxEvent::Response { key, response } => {
                        assert!(self.group.owns(&key), "response for a foreign key");
                        self.group.handle_response(&key, &response, self.now);
                    }
                    TxEvent::Timeout { key } => {
                        assert!(self.group.handle_timeout_of(&key, self.now));
                    }
                    other => panic!("unexpected event at the box: {other:?}"),
                }
            }
            if !moved {
                return;
            }
        }
        panic!("world does not settle");
    }

    fn next_deadline(&self) -> Option<Instant> {
        let mut all = vec![self.group.poll_timeout(), self.box_txn.poll_timeout()];
        all.extend(self.providers.values().map(|p| p.txn.poll_timeout()));
        all.into_iter().flatten().min()
    }

    /// Advances virtual time to `until`, firing every deadline on the way.
    pub fn run_until(&mut self, until: Instant) {
        self.settle();
        for _ in 0..100_000 {
            let next = match self.next_deadline() {
                Some(t) if t <= until => t.max(self.now),
                _ => break,
            };
            self.now = next;
            self.box_txn.handle_timeout(self.now);
            for p in self.providers.values_mut() {
                p.txn.handle_timeout(self.now);
            }
            self.settle();
        }
        self.now = self.now.max(until);
        self.settle();
    }

    pub fn run_for(&mut self, d: Duration) {
        let until = self.now + d;
        self.run_until(until);
    }

    /// Seconds since `t0` of each REGISTER the provider at `which` saw.
    pub fn register_offsets(&mut self, which: &str, t0: Instant) -> Vec<f64> {
        self.providers[&addr(which)]
            .register_times()
            .iter()
            .map(|t| t.duration_since(t0).as_secs_f64())
            .collect()
    }
}

/// Sets the keep-alive policy in a config.
pub fn keepalive(k: KeepAlive) -> impl Fn(&mut ProviderConfig) {
    move |c| c.keepalive = k
}
