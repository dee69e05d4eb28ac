//! Property test: any interleaving of network messages, TU actions and time steps never panics,
//! `handle_timeout(t)` leaves no timer due at or before `t`, no timer is set beyond the longest RFC
//! duration, and once every transaction has been given a final answer, everything is removed.
#![allow(clippy::unwrap_used)]
mod transaction_support;

use std::time::Instant;

use proptest::prelude::*;
use sip::transaction::{ClientTxKey, ServerTxKey, TimerConfig, TransactionLayer, TxEvent};
use sip::{HeaderName, Message, Method};
use transaction_support::*;

const METHODS: [Method; 6] = [
    Method::Invite,
    Method::Ack,
    Method::Cancel,
    Method::Bye,
    Method::Register,
    Method::Options,
];
const STATUSES: [u16; 6] = [100, 180, 200, 486, 487, 503];

#[derive(Debug, Clone)]
enum Step {
    /// A request from the phone (method, branch, over TCP?).
    Incoming(usize, u8, bool),
    /// A response from the network (status, CSeq method, branch).
    Response(usize, usize, u8),
    /// The TU starts a client transaction (method, branch).
    Send(usize, u8),
    /// The TU answers the n-th server transaction it was given.
    Answer(usize, usize),
    /// Time passes (ms).
    Wait(u64),
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        (0..6usize, 0..4u8, any::<bool>()).prop_map(|(m, b, t)| Step::Incoming(m, b, t)),
        (0..6usize, 0..6usize, 0..4u8).prop_map(|(s, m, b)| Step::Response(s, m, b)),
        (0..6usize, 0..4u8).prop_map(|(m, b)| Step::Send(m, b)),
        (0..16usize, 0..6usize).prop_map(|(i, s)| Step::Answer(i, s)),
        (0..5_000u64).prop_map(Step::Wait),
    ]
}

fn req(method: &Method, branch: u8, tcp: bool) -> sip::Request {
    let over = if tcp { "TCP" } else { "UDP" };
    let mut r = request_over(
        over,
        method.clone(),
        &format!("z9hG4bKp{branch}"),
        &format!("call{branch}"),
        1,
        "127.0.0.1:5070",
    );
    if *method == Method::Ack {
        r.headers
            .set(HeaderName::To, "<sip:11@box.example>;tag=uas1");
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn any_interleaving_is_safe_and_everything_ends(steps in proptest::collection::vec(step(), 1..60)) {
        let base = Instant::now();
        let mut now = base;
        let mut l = TransactionLayer::new(TimerConfig::default());
        let mut servers: Vec<(ServerTxKey, sip::Request)> = Vec::new();
        let mut clients: Vec<(ClientTxKey, sip::Request)> = Vec::new();
        let collect = |l: &mut TransactionLayer, servers: &mut Vec<(ServerTxKey, sip::Request)>| {
            while let Some(ev) = l.poll_event() {
                if let TxEvent::Request { key: Some(key), request, .. } = ev {
                    servers.push((key, request));
                }
            }
            while l.poll_transmit().is_some() {}
        };
        for s in steps {
            match s {
                Step::Incoming(m, b, tcp) => {
                    let peer = if tcp { tcp_peer() } else { udp(5070) };
                    l.handle_message(Message::Request(req(&METHODS[m], b, tcp)), peer, now);
                }
                Step::Response(st, m, b) => {
                    let mut r = response(&req(&METHODS[m], b, false), STATUSES[st]);
                    r.headers.set(HeaderName::CSeq, format!("1 {}", METHODS[m].as_str()));
                    l.handle_message(Message::Response(r), udp(5080), now);
                }
                Step::Send(m, b) => {
                    let r = req(&METHODS[m], b + 10, false);
                    let key = l.send_request(r.clone(), udp(5080), now);
                    clients.push((key, r));
                }
                Step::Answer(i, st) => {
                    if let Some((key, r)) = servers.get(i % servers.len().max(1)) {
                        let _ = l.try_send_response(key, response(r, STATUSES[st]), now);
                    }
                }
                Step::Wait(d) => {
                    let until = now + ms(d);
                    while let Some(at) = l.poll_timeout() {
                        if at > until { break; }
                        let fire = at.max(now);
                        l.handle_timeout(fire);
                        prop_assert!(l.poll_timeout().is_none_or(|next| next > fire), "a due timer was left");
                        collect(&mut l, &mut servers);
                    }
                    now = until;
                }
            }
            collect(&mut l, &mut servers);
        }
        // Give everything a final answer: TU answers every server transaction, the network answers
        // every client transaction; then let every timer run out.
        for (key, r) in servers.clone() {
            let _ = l.try_send_response(&key, response(&r, 500), now);
        }
        for (key, r) in &clients {
            let mut resp = response(r, 500);
            resp.headers.set(HeaderName::CSeq, format!("1 {}", key.method().as_str()));
            l.handle_message(Message::Response(resp), udp(5080), now);
        }
        collect(&mut l, &mut servers);
        let end = now + ms(300_000);
        while let Some(at) = l.poll_timeout() {
            prop_assert!(at <= end, "a timer beyond any RFC duration");
            l.handle_timeout(at);
            collect(&mut l, &mut servers);
        }
        prop_assert_eq!(l.len(), 0);
    }
}

fn tcp_peer() -> sip::transaction::Peer {
    tcp(5070)
}
