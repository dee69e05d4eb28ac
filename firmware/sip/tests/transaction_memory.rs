//! Memory per live transaction, measured as RSS growth. At 3,000 REGISTERs/s every
//! completed NIST lingers for Timer J (32 s over UDP), so ~100k of them are alive at once: the
//! bytes each one keeps matter on a Pi.
#![allow(clippy::unwrap_used)]
mod transaction_support;

use std::time::Instant;

use sip::transaction::{TimerConfig, TransactionLayer, TxEvent};
use sip::{HeaderName, Message, Method};
use transaction_support::*;

/// Resident set size in bytes (Linux), or `None` elsewhere. The workspace forbids `unsafe`, so a
/// counting global allocator is out; RSS growth over many transactions is a fair upper bound.
fn rss() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: usize = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn a_completed_register_transaction_keeps_little_more_than_its_response() {
    const N: usize = 50_000;
    let base = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default());
    // Warm-up on a throw-away layer: first-use costs (allocator arenas, and under qemu the
    // translation cache) must not count as per-transaction memory.
    let mut warm = TransactionLayer::new(TimerConfig::default());
    fill(&mut warm, base, 0..2_000);
    warm.handle_timeout(base + ms(64_000));
    drop(warm);
    let Some(before) = rss() else { return };
    let response_bytes = fill(&mut l, base, 0..N);
    let live = rss().unwrap().saturating_sub(before);
    let per_tx = live / N;
    let response = response_bytes / N;
    eprintln!("{per_tx} bytes of RSS per completed NIST (response itself {response} bytes)");
    assert_eq!(l.len(), N);
    assert!(
        per_tx < response + 800,
        "{per_tx} bytes per transaction for a {response}-byte response"
    );
    // And all of it goes away with Timer J.
    l.handle_timeout(base + ms(64_000));
    assert!(l.is_empty());
}

/// Feeds one REGISTER per index and answers each with a realistic 200; returns the bytes sent.
fn fill(l: &mut TransactionLayer, base: Instant, range: std::ops::Range<usize>) -> usize {
    let mut response_bytes = 0;
    for i in range {
        let req = request(
            Method::Register,
            &format!("z9hG4bK-{i:08}-abcdef"),
            &format!("{i:08}-reg@192.168.1.20"),
            1,
            "192.168.1.20:5060",
        );
        l.handle_message(Message::Request(req), udp(5070), base);
        let Some(TxEvent::Request {
            key: Some(key),
            request,
            ..
        }) = l.poll_event()
        else {
            panic!("expected a request");
        };
        let mut ok = response(&request, 200);
        ok.headers.push(
            HeaderName::Contact,
            "<sip:ext2019110@192.168.1.20:5060;transport=udp>;expires=3600",
        );
        ok.headers.push(HeaderName::Server, "Centralita/0.1");
        l.send_response(&key, ok, base);
        response_bytes += l.poll_transmit().unwrap().bytes.len();
    }
    response_bytes
}
