//! A provider that answers with anything: random statuses and broken or hostile headers
//! (challenges, Contact/Expires, Min-Expires, Retry-After, Via received/rport), timeouts,
//! failed resolutions and shutdowns in random order. The registration client must never
//! panic, never go silent (something is always in flight or scheduled until it has stopped) and
//! keep its state consistent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use pbx::ids::Ids;
use pbx::trunk::{KeepAlive, LocalContact, ProviderConfig, RegistrationClient, TrunkState};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use sip::message::{HeaderName, Request, Response};
use sip::transaction::{ClientTxKey, Peer, TimerConfig, TransactionLayer, TransportKind};

const HEADERS: &[(HeaderName, &str)] = &[
    (
        HeaderName::WwwAuthenticate,
        "Digest realm=\"p\", nonce=\"abc\", qop=\"auth\"",
    ),
    (
        HeaderName::WwwAuthenticate,
        "Digest realm=\"p\", nonce=\"n2\", algorithm=SHA-256, stale=true",
    ),
    (
        HeaderName::WwwAuthenticate,
        "Digest realm=\"p\", nonce=\"n3\", algorithm=AKAv1-MD5",
    ),
    (HeaderName::WwwAuthenticate, "Basic realm=\"x\""),
    (HeaderName::WwwAuthenticate, "Digest realm=\"unterminated"),
    (HeaderName::WwwAuthenticate, "Digest"),
    (
        HeaderName::ProxyAuthenticate,
        "Digest realm=\"q\", nonce=\"z\", qop=\"auth-int,auth\", opaque=\"o\"",
    ),
    (
        HeaderName::Contact,
        "<sip:centralita1@10.0.0.2:5060>;expires=0",
    ),
    (
        HeaderName::Contact,
        "<sip:centralita1@10.0.0.2:5060>;expires=99999999999",
    ),
    (
        HeaderName::Contact,
        "<sip:centralita1@10.0.0.2:5060>;expires=-5",
    ),
    (
        HeaderName::Contact,
        "<sip:centralita1@203.0.113.1:1>;expires=30",
    ),
    (HeaderName::Contact, "garbage<<<"),
    (HeaderName::Contact, "*"),
    (HeaderName::Expires, "0"),
    (HeaderName::Expires, "abc"),
    (HeaderName::Expires, "4294967295"),
    (HeaderName::Expires, "10"),
    (HeaderName::MinExpires, "0"),
    (HeaderName::MinExpires, "4294967295"),
    (HeaderName::MinExpires, "7200"),
    (HeaderName::MinExpires, "x"),
    (HeaderName::RetryAfter, "4294967295"),
    (HeaderName::RetryAfter, "5 (soon)"),
    (HeaderName::RetryAfter, "-1"),
];

const VIAS: &[&str] = &[
    ";received=203.0.113.7;rport=40000",
    ";received=junk;rport=99999",
    ";received=[2001:db8::1];rport",
    ";rport=",
    ";received=10.0.0.2;rport=5060",
];

#[derive(Debug, Clone)]
enum Op {
    Respond {
        status: u16,
        headers: Vec<usize>,
        via: Option<usize>,
    },
    Timeout,
    Advance(u64),
    ResolveEmpty,
    Shutdown,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (
            prop_oneof![Just(200u16), Just(401), Just(407), Just(423), Just(503), 100u16..700],
            prop::collection::vec(0..HEADERS.len(), 0..4),
            prop::option::of(0..VIAS.len()),
        )
            .prop_map(|(status, headers, via)| Op::Respond { status, headers, via }),
        2 => Just(Op::Timeout),
        3 => (0u64..4000).prop_map(Op::Advance),
        1 => Just(Op::ResolveEmpty),
        1 => Just(Op::Shutdown),
    ]
}

fn response(req: &Request, status: u16, headers: &[usize], via: Option<usize>) -> Response {
    let mut resp = Response::for_request(req, status, "Whatever", Some("t1"));
    if let Some(v) = via {
        let top = resp.headers.get(&HeaderName::Via).unwrap().to_string();
        let top = top.replace(";rport", "");
        resp.headers
            .set(HeaderName::Via, format!("{top}{}", VIAS[v]));
    }
    for &h in headers {
        let (name, value) = &HEADERS[h];
        resp.headers.push(name.clone(), *value);
    }
    resp
}

struct Rig {
    now: Instant,
    client: RegistrationClient,
    txn: TransactionLayer,
    ids: Ids,
    local: LocalContact,
    in_flight: Option<(ClientTxKey, Request)>,
    resolve_fails: bool,
}

impl Rig {
    fn new(keepalive: KeepAlive) -> Rig {
        let now = Instant::now();
        let mut config =
            ProviderConfig::new("centralita1", "pw", "sip.example.test", None).unwrap();
        config.keepalive = keepalive;
        Rig {
            now,
            client: RegistrationClient::new(config, Box::new(StdRng::seed_from_u64(1)), now),
            txn: TransactionLayer::new(TimerConfig::default()),
            ids: Ids::new(Box::new(StdRng::seed_from_u64(2))),
            local: LocalContact {
                addr: "10.0.0.2:5060".parse().unwrap(),
            },
            in_flight: None,
            resolve_fails: false,
        }
    }

    /// Drains resolution and request output at the current instant.
    fn pump(&mut self) {
        while let Some(_target) = self.client.poll_resolve(self.now) {
            let peers = if self.resolve_fails {
                Vec::new()
            } else {
                vec![Peer {
                    transport: TransportKind::Udp,
                    addr: "192.0.2.1:5060".parse::<SocketAddr>().unwrap(),
                }]
            };
            self.client.handle_resolved(peers, self.now);
        }
        if self.in_flight.is_none() {
            if let Some((req, peer)) =
                self.client
                    .poll_request(self.now, &mut self.ids, &self.local)
            {
                let key = self.txn.send_request(req.clone(), peer, self.now);
                assert!(self.client.owns(&key));
                self.in_flight = Some((key, req));
            }
        }
        while self.txn.poll_transmit().is_some() {}
        let _ = self.client.poll_keepalive(self.now);
    }

    fn apply(&mut self, op: &Op) {
        match op {
            Op::Respond {
                status,
                headers,
                via,
            } => {
                if let Some((key, req)) = self.in_flight.clone() {
                    let resp = response(&req, *status, headers, *via);
                    assert!(self.client.handle_response(&key, &resp, self.now));
                    if *status >= 200 {
                        self.in_flight = None;
                        assert!(!self.client.owns(&key));
                    }
                }
            }
            Op::Timeout => {
                if let Some((key, _)) = self.in_flight.take() {
                    assert!(self.client.handle_timeout_of(&key, self.now));
                }
            }
            Op::Advance(s) => {
                // Jump to the next deadline if it comes first, as a run loop would.
                let target = self.now + Duration::from_secs(*s);
                self.now = match self.client.poll_timeout() {
                    Some(t) if t < target => t.max(self.now),
                    _ => target,
                };
            }
            Op::ResolveEmpty => self.resolve_fails = !self.resolve_fails,
            Op::Shutdown => self.client.shutdown(self.now),
        }
        self.pump();
    }

    fn check(&self) {
        if self.client.is_stopped() {
            assert_eq!(self.client.state(), &TrunkState::Unregistered);
            assert!(self.in_flight.is_none());
            return;
        }
        // Never spinning: after the outputs were drained, nothing is due any more.
        if let Some(t) = self.client.poll_timeout() {
            assert!(
                t > self.now,
                "deadline {:?} not in the future",
                t - self.now
            );
        }
        // Never silent: a transaction is out, or a deadline is set.
        assert!(
            self.in_flight.is_some() || self.client.poll_timeout().is_some(),
            "client went silent in {:?}",
            self.client.state()
        );
        match self.client.state() {
            TrunkState::Registered { .. } => assert_eq!(self.client.failures(), 0),
            TrunkState::Failed { retry_at, .. } => {
                assert!(self.client.failures() > 0);
                assert!(*retry_at <= self.now + Duration::from_secs(1800));
            }
            _ => {}
        }
        assert!(self.client.requested_expires() <= 86_400);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn any_provider_behaviour_is_survived(
        ops in prop::collection::vec(op(), 1..60),
        options in any::<bool>(),
    ) {
        let keepalive = if options {
            KeepAlive::Options { every: Duration::from_secs(30) }
        } else {
            KeepAlive::Crlf { every: Duration::from_secs(30) }
        };
        let mut rig = Rig::new(keepalive);
        rig.pump();
        for op in &ops {
            rig.apply(op);
            rig.check();
        }
        // Whatever happened, a shutdown ends in the stopped state once the provider answers.
        rig.client.shutdown(rig.now);
        rig.pump();
        for _ in 0..10 {
            if rig.client.is_stopped() {
                break;
            }
            rig.apply(&Op::Respond { status: 200, headers: vec![], via: None });
        }
        prop_assert!(rig.client.is_stopped());
    }
}
