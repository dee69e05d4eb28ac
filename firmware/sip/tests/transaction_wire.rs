//! Two transaction layers wired back to back through an in-memory lossy "network" (every Nth
//! datagram dropped, or seeded random loss), driven in virtual time with small TUs on both sides. Every transaction must
//! complete and every transaction must eventually be removed.
#![allow(clippy::unwrap_used)]
mod transaction_support;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use sip::message::SipHeaders;
use sip::parse::parse_datagram;
use sip::transaction::{ClientTxKey, Peer, TimerConfig, TransactionLayer, TxEvent};
use sip::{Message, Method, Request};
use transaction_support::*;

const PHONE: u16 = 5070;
const BOX: u16 = 5060;

/// How the wire loses datagrams.
#[derive(Debug, Clone, Copy)]
enum Loss {
    /// Drops every Nth datagram (0 = lossless).
    EveryNth(usize),
    /// Drops each datagram with probability `percent`/100, from a seeded xorshift generator so a
    /// failure replays exactly.
    Random { seed: u64, percent: u64 },
}

struct Wire {
    loss: Loss,
    rng: u64,
    seen: usize,
    dropped: usize,
}

impl Wire {
    fn new(loss: Loss) -> Wire {
        let rng = match loss {
            Loss::Random { seed, .. } => seed | 1,
            Loss::EveryNth(_) => 1,
        };
        Wire {
            loss,
            rng,
            seen: 0,
            dropped: 0,
        }
    }

    fn passes(&mut self) -> bool {
        self.seen += 1;
        let drop = match self.loss {
            Loss::EveryNth(every) => every != 0 && self.seen.is_multiple_of(every),
            Loss::Random { percent, .. } => {
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 7;
                self.rng ^= self.rng << 17;
                self.rng % 100 < percent
            }
        };
        self.dropped += usize::from(drop);
        !drop
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    Answer,
    Busy,
    Register,
    Cancel,
}

/// The phone's side: starts transactions, ACKs 2xx, CANCELs on 180 when planned.
#[derive(Default)]
struct Phone {
    invites: HashMap<ClientTxKey, (Plan, Request)>,
    finals: HashMap<String, u16>,
    cancelled: HashSet<String>,
    timeouts: usize,
}

/// The box's side: rings, answers, rejects, honours CANCEL, counts ACKs for 2xx.
#[derive(Default)]
struct Pbx {
    acks: HashSet<String>,
    ack_timeouts: usize,
}

fn plan_of(call_id: &str) -> Plan {
    match call_id.split('-').next() {
        Some("answer") => Plan::Answer,
        Some("busy") => Plan::Busy,
        Some("cancel") => Plan::Cancel,
        _ => Plan::Register,
    }
}

impl Phone {
    fn on_event(&mut self, ev: TxEvent, l: &mut TransactionLayer, now: Instant) {
        match ev {
            TxEvent::Response { key, response } => {
                let call_id = response.call_id().unwrap().to_string();
                let status = response.status;
                if let Some((plan, invite)) = self.invites.get(&key).cloned() {
                    if status == 180
                        && plan == Plan::Cancel
                        && self.cancelled.insert(call_id.clone())
                    {
                        l.send_request(cancel_for(&invite), udp(BOX), now);
                    }
                    if (200..300).contains(&status) {
                        // Every 2xx (first or retransmitted) gets an ACK, which has its own branch.
                        let ack = ack_for_2xx(&invite, "uas1", &format!("z9hG4bKack-{call_id}"));
                        l.send_stateless(&Message::Request(ack), udp(BOX));
                    }
                }
                if status >= 200 && *key.method() != Method::Cancel {
                    self.finals.insert(call_id, status);
                }
            }
            TxEvent::Timeout { .. } => self.timeouts += 1,
            other => panic!("phone got {other:?}"),
        }
    }
}

impl Pbx {
    fn on_event(&mut self, ev: TxEvent, l: &mut TransactionLayer, now: Instant) {
        match ev {
            TxEvent::Request {
                key: Some(key),
                request,
                ..
            } => {
                let plan = plan_of(request.call_id().unwrap());
                match request.method {
                    Method::Invite => {
                        l.send_response(&key, response(&request, 180), now);
                        match plan {
                            Plan::Answer => l.send_response(&key, response(&request, 200), now),
                            Plan::Busy => l.send_response(&key, response(&request, 486), now),
                            _ => {}
                        }
                    }
                    Method::Cancel => {
                        l.send_response(&key, response(&request, 200), now);
                        if let Some(invite) = l.matching_invite(&request) {
                            let mut terminated = response(&request, 487);
                            terminated.headers.set(
                                sip::HeaderName::CSeq,
                                format!("{} INVITE", request.cseq().unwrap().seq),
                            );
                            l.send_response(&invite, terminated, now);
                        }
                    }
                    _ => l.send_response(&key, response(&request, 200), now),
                }
            }
            TxEvent::Request {
                key: None, request, ..
            } => {
                assert_eq!(request.method, Method::Ack);
                self.acks.insert(request.call_id().unwrap().to_string());
            }
            TxEvent::AckTimeout { .. } => self.ack_timeouts += 1,
            other => panic!("box got {other:?}"),
        }
    }
}

/// Moves every pending datagram of `from` through the wire into `to`, which sees it from `source`.
fn carry(
    from: &mut TransactionLayer,
    to: &mut TransactionLayer,
    source: Peer,
    wire: &mut Wire,
    now: Instant,
) -> bool {
    let mut moved = false;
    while let Some(t) = from.poll_transmit() {
        moved = true;
        if wire.passes() {
            let msg = parse_datagram(&t.bytes).expect("the layer prints what the parser reads");
            to.handle_message(msg, source, now);
        }
    }
    moved
}

fn run(loss: Loss, calls: usize) -> Outcome {
    let base = Instant::now();
    let mut phone_l = TransactionLayer::new(TimerConfig::default());
    let mut box_l = TransactionLayer::new(TimerConfig::default());
    let (mut phone, mut pbx) = (Phone::default(), Pbx::default());
    let mut wire = Wire::new(loss);

    let mut expected = HashMap::new();
    for i in 0..calls {
        let (plan, name) = match i % 4 {
            0 => (Plan::Answer, "answer"),
            1 => (Plan::Busy, "busy"),
            2 => (Plan::Register, "register"),
            _ => (Plan::Cancel, "cancel"),
        };
        let call_id = format!("{name}-{i}");
        let branch = format!("z9hG4bK-{i}");
        let at = base + Duration::from_millis(i as u64 * 7);
        let req = if plan == Plan::Register {
            request(Method::Register, &branch, &call_id, 1, "127.0.0.1:5070")
        } else {
            invite(&branch, &call_id)
        };
        let key = phone_l.send_request(req.clone(), udp(BOX), at);
        if plan != Plan::Register {
            phone.invites.insert(key, (plan, req));
        }
        expected.insert(
            call_id,
            match plan {
                Plan::Answer | Plan::Register => 200,
                Plan::Busy => 486,
                Plan::Cancel => 487,
            },
        );
    }

    let mut now = base;
    for _ in 0..100_000 {
        // Deliver and react until both sides are quiet at this instant.
        loop {
            let a = carry(&mut phone_l, &mut box_l, udp(PHONE), &mut wire, now);
            let b = carry(&mut box_l, &mut phone_l, udp(BOX), &mut wire, now);
            let mut evs = false;
            while let Some(ev) = phone_l.poll_event() {
                evs = true;
                phone.on_event(ev, &mut phone_l, now);
            }
            while let Some(ev) = box_l.poll_event() {
                evs = true;
                pbx.on_event(ev, &mut box_l, now);
            }
            if !(a || b || evs) {
                break;
            }
        }
        let next = [phone_l.poll_timeout(), box_l.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else { break };
        assert!(next >= now, "time never goes backwards");
        now = next;
        phone_l.handle_timeout(now);
        box_l.handle_timeout(now);
    }

    Outcome {
        phone_left: phone_l.len(),
        box_left: box_l.len(),
        timeouts: phone.timeouts,
        finals: phone.finals,
        expected,
        acks: pbx.acks,
        ack_timeouts: pbx.ack_timeouts,
        dropped: wire.dropped,
        settled: now - base,
    }
}

struct Outcome {
    phone_left: usize,
    box_left: usize,
    timeouts: usize,
    finals: HashMap<String, u16>,
    expected: HashMap<String, u16>,
    acks: HashSet<String>,
    ack_timeouts: usize,
    dropped: usize,
    settled: Duration,
}

/// With loss that retransmissions can repair, everything completes and is cleaned up.
fn assert_completes(loss: Loss) {
    let o = run(loss, 40);
    assert_eq!(
        (o.phone_left, o.box_left),
        (0, 0),
        "every transaction removed"
    );
    assert_eq!(o.timeouts, 0, "{loss:?}: no transaction timed out");
    assert_eq!(
        o.finals, o.expected,
        "{loss:?}: every final response arrived"
    );
    let answered: HashSet<String> = o
        .expected
        .keys()
        .filter(|id| id.starts_with("answer"))
        .cloned()
        .collect();
    assert_eq!(o.acks, answered, "every 2xx was acknowledged");
    assert_eq!(o.ack_timeouts, 0);
    assert!(matches!(loss, Loss::EveryNth(0)) || o.dropped > 0);
    // Everything settles within Timer D/J/L/M of the last activity.
    assert!(
        o.settled < Duration::from_secs(120),
        "settled at {:?}",
        o.settled
    );
}

#[test]
fn lossless_wire_completes_everything() {
    assert_completes(Loss::EveryNth(0));
}

#[test]
fn wire_dropping_every_3rd_datagram_completes_everything() {
    assert_completes(Loss::EveryNth(3));
}

#[test]
fn wire_dropping_every_4th_datagram_completes_everything() {
    assert_completes(Loss::EveryNth(4));
}

#[test]
fn wire_dropping_every_5th_datagram_completes_everything() {
    assert_completes(Loss::EveryNth(5));
}

#[test]
fn wire_dropping_every_7th_datagram_completes_everything() {
    assert_completes(Loss::EveryNth(7));
}

/// Strictly alternating loss defeats some exchanges (a request and its single response can be
/// lost forever in lock-step). The client side must still always end — with a final response or a
/// Timeout — and clean up; the box keeps only INVITEs its TU never answered (a CANCEL that never got
/// through), which the PBX's ring timeout ends.
#[test]
fn wire_dropping_every_2nd_datagram_still_ends_every_client_transaction() {
    let o = run(Loss::EveryNth(2), 40);
    assert_eq!(o.phone_left, 0);
    for (call_id, status) in &o.finals {
        assert_eq!(o.expected.get(call_id), Some(status));
    }
    assert!(o.finals.len() + o.timeouts >= o.expected.len());
    let cancels = o
        .expected
        .keys()
        .filter(|id| id.starts_with("cancel"))
        .count();
    assert!(
        o.box_left <= cancels,
        "only unanswered INVITEs remain: {}",
        o.box_left
    );
}

/// 20 % random loss over many seeds: retransmissions repair it every time.
#[test]
fn wire_with_twenty_percent_random_loss_completes_everything() {
    for seed in 1..=20 {
        assert_completes(Loss::Random { seed, percent: 20 });
    }
}
