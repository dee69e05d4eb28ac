//! Many live transactions at once: the layer keeps them in maps and one timer queue, and every one
//! of them is removed in the end. Also prints a rough throughput figure (run with `--release
//! --nocapture` to see a meaningful one); nothing here depends on wall-clock speed.
#![allow(clippy::unwrap_used)]
mod transaction_support;

use std::time::Instant;

use sip::transaction::{TimerConfig, TransactionLayer, TxEvent};
use sip::{Message, Method};
use transaction_support::*;

const N: usize = 20_000;

#[test]
fn twenty_thousand_concurrent_server_transactions_all_end() {
    let base = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    let wall = std::time::Instant::now();
    let mut keys = Vec::with_capacity(N);
    for i in 0..N {
        let (method, call_id) = if i % 4 == 0 {
            (Method::Invite, format!("inv-{i}"))
        } else {
            (Method::Register, format!("reg-{i}"))
        };
        let req = request(
            method,
            &format!("z9hG4bK{i}"),
            &call_id,
            1,
            "127.0.0.1:5070",
        );
        l.handle_message(Message::Request(req), udp(5070), base + ms(i as u64 / 20));
        match l.poll_event() {
            Some(TxEvent::Request {
                key: Some(key),
                request,
                ..
            }) => keys.push((key, request)),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(l.len(), N);
    // Answer everything one second later: INVITEs with 486 (then ACK), REGISTERs with 200.
    let t = base + ms(2_000);
    for (key, req) in &keys {
        let status = if req.method == Method::Invite {
            486
        } else {
            200
        };
        l.send_response(key, response(req, status), t);
        if req.method == Method::Invite {
            l.handle_message(
                Message::Request(ack_same_branch(req, "uas1")),
                udp(5070),
                t + ms(1),
            );
        }
    }
    let sent = transmits(&mut l).len();
    // 100 Trying for INVITEs whose TU stayed silent > 200 ms, plus one final each.
    assert!(sent >= N, "{sent}");
    assert!(l.poll_event().is_none(), "ACKs for non-2xx are absorbed");
    let elapsed = wall.elapsed();
    eprintln!(
        "{N} requests in + responses out + {} ACKs in {:?} ({:.0} transactions/s)",
        N / 4,
        elapsed,
        N as f64 / elapsed.as_secs_f64()
    );
    run_until(&mut l, base, ms(120_000));
    assert!(l.is_empty());
    assert_eq!(l.poll_timeout(), None, "no timer left behind");
}
