//! Client transactions (ICT, NICT) in virtual time.
#![allow(clippy::unwrap_used)]
mod transaction_support;

use std::time::Instant;

use sip::transaction::{ClientState, TimerConfig, TransactionLayer, TxEvent};
use sip::{Message, Method};
use transaction_support::*;

fn layer() -> TransactionLayer {
    TransactionLayer::new(TimerConfig::default())
}

#[test]
fn ict_timer_a_doubles_without_cap_and_timer_b_gives_timeout_after_64_t1() {
    let base = Instant::now();
    let mut l = layer();
    let key = l.send_request(invite("z9hG4bKa1", "c1"), udp(5080), base);
    let first = transmits(&mut l);
    assert_eq!(first.len(), 1);
    assert_eq!(method_of(&first[0]), "INVITE");
    assert_eq!(first[0].peer, udp(5080));

    let (sent, evs) = run_until(&mut l, base, ms(64_000));
    let at: Vec<u64> = sent.iter().map(|(d, _)| d.as_millis() as u64).collect();
    // Timer A: 500 ms, then 1, 2, 4, 8, 16 s (no T2 cap for INVITE).
    assert_eq!(at, vec![500, 1_500, 3_500, 7_500, 15_500, 31_500]);
    assert!(sent.iter().all(|(_, t)| method_of(t) == "INVITE"));
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].0, ms(32_000));
    assert_eq!(evs[0].1, TxEvent::Timeout { key });
    assert_eq!(l.len(), 0);
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn nict_timer_e_doubles_up_to_t2_and_timer_f_gives_timeout() {
    let base = Instant::now();
    let mut l = layer();
    let req = request(Method::Options, "z9hG4bKo1", "c2", 1, "127.0.0.1:5070");
    let key = l.send_request(req, udp(5080), base);
    assert_eq!(transmits(&mut l).len(), 1);
    let (sent, evs) = run_until(&mut l, base, ms(64_000));
    let at: Vec<u64> = sent.iter().map(|(d, _)| d.as_millis() as u64).collect();
    // 500 ms, 1 s, 2 s, then 4 s (= T2) flat until Timer F at 32 s.
    assert_eq!(
        at,
        vec![500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]
    );
    assert_eq!(evs, vec![(ms(32_000), TxEvent::Timeout { key })]);
    assert!(l.is_empty());
}

#[test]
fn nict_provisional_switches_timer_e_to_t2_and_final_completes_with_timer_k() {
    let base = Instant::now();
    let mut l = layer();
    let req = request(Method::Register, "z9hG4bKr1", "c3", 1, "127.0.0.1:5070");
    let key = l.send_request(req.clone(), udp(5080), base);
    transmits(&mut l);
    l.handle_message(
        Message::Response(response(&req, 100)),
        udp(5080),
        base + ms(100),
    );
    assert_eq!(l.client_state(&key), Some(ClientState::Proceeding));
    assert!(
        matches!(&events(&mut l)[..], [TxEvent::Response { response, .. }] if response.status == 100)
    );
    let (sent, _) = run_until(&mut l, base, ms(9_000));
    let at: Vec<u64> = sent.iter().map(|(d, _)| d.as_millis() as u64).collect();
    // The armed 500 ms fires, then T2 flat.
    assert_eq!(at, vec![500, 4_500, 8_500]);

    let ok = response(&req, 200);
    l.handle_message(Message::Response(ok.clone()), udp(5080), base + ms(9_000));
    let evs = events(&mut l);
    assert!(matches!(&evs[..], [TxEvent::Response { response, .. }] if response.status == 200));
    assert_eq!(l.client_state(&key), Some(ClientState::Completed));
    // A retransmitted final response is absorbed in Completed.
    l.handle_message(Message::Response(ok), udp(5080), base + ms(9_100));
    assert!(events(&mut l).is_empty());
    // Timer K = T4.
    let (sent, _) = run_until(&mut l, base, ms(14_000));
    assert!(sent.is_empty());
    assert!(l.is_empty());
}

#[test]
fn ict_non_2xx_is_acked_by_the_transaction_and_retransmissions_re_ack() {
    let base = Instant::now();
    let mut l = layer();
    let inv = invite("z9hG4bKa2", "c4");
    let key = l.send_request(inv.clone(), udp(5080), base);
    transmits(&mut l);
    l.handle_message(
        Message::Response(response(&inv, 180)),
        udp(5080),
        base + ms(50),
    );
    assert_eq!(l.client_state(&key), Some(ClientState::Proceeding));
    // No more Timer A in Proceeding, and no Timer B.
    let (sent, evs) = run_until(&mut l, base, ms(40_000));
    assert!(sent.is_empty() && evs.is_empty());

    let busy = response(&inv, 486);
    l.handle_message(
        Message::Response(busy.clone()),
        udp(5080),
        base + ms(40_000),
    );
    let acks = transmits(&mut l);
    assert_eq!(acks.len(), 1);
    let ack = text(&acks[0]);
    assert!(
        ack.starts_with("ACK sip:11@box.example SIP/2.0\r\n"),
        "{ack}"
    );
    assert!(
        ack.contains("branch=z9hG4bKa2"),
        "ACK reuses the INVITE branch: {ack}"
    );
    assert!(
        ack.contains("tag=uas1"),
        "ACK carries the response To tag: {ack}"
    );
    assert!(ack.contains("1 ACK"), "{ack}");
    let evs = events(&mut l);
    assert_eq!(evs.len(), 2, "180 then 486");
    assert_eq!(l.client_state(&key), Some(ClientState::Completed));

    l.handle_message(Message::Response(busy), udp(5080), base + ms(40_500));
    let again = transmits(&mut l);
    assert_eq!(again.len(), 1);
    assert_eq!(method_of(&again[0]), "ACK");
    assert!(events(&mut l).is_empty(), "retransmitted 486 is absorbed");

    // Timer D (32 s) cleans up.
    run_until(&mut l, base, ms(72_000));
    assert!(l.is_empty());
}

#[test]
fn ict_accepted_passes_2xx_retransmissions_to_the_tu_until_timer_m() {
    let base = Instant::now();
    let mut l = layer();
    let inv = invite("z9hG4bKa3", "c5");
    let key = l.send_request(inv.clone(), udp(5080), base);
    transmits(&mut l);
    let ok = response(&inv, 200);
    l.handle_message(Message::Response(ok.clone()), udp(5080), base + ms(10));
    assert_eq!(l.client_state(&key), Some(ClientState::Accepted));
    assert!(
        transmits(&mut l).is_empty(),
        "the TU acks a 2xx, not the transaction"
    );
    l.handle_message(Message::Response(ok.clone()), udp(5080), base + ms(510));
    let evs = events(&mut l);
    assert_eq!(
        evs.len(),
        2,
        "first 2xx and its retransmission both reach the TU"
    );
    // Timer M = 64*T1 after the first 2xx.
    run_until(&mut l, base, ms(32_009));
    assert_eq!(l.len(), 1);
    run_until(&mut l, base, ms(32_010));
    assert!(l.is_empty());
    // Afterwards the 2xx is stray: the B2BUA may still re-ACK it.
    l.handle_message(Message::Response(ok), udp(5080), base + ms(40_000));
    assert!(matches!(
        &events(&mut l)[..],
        [TxEvent::StrayResponse { response, .. }] if response.status == 200
    ));
}

#[test]
fn reliable_transport_has_no_retransmissions_and_no_linger() {
    let base = Instant::now();
    let mut l = layer();
    let inv = request_over(
        "TCP",
        Method::Invite,
        "z9hG4bKt1",
        "c6",
        1,
        "127.0.0.1:5070",
    );
    let key = l.send_request(inv.clone(), tcp(5080), base);
    assert_eq!(transmits(&mut l).len(), 1);
    assert_eq!(l.poll_timeout(), Some(base + ms(32_000)), "only Timer B");
    l.handle_message(
        Message::Response(response(&inv, 486)),
        tcp(5080),
        base + ms(5),
    );
    assert_eq!(transmits(&mut l).len(), 1, "the ACK");
    assert_eq!(l.client_state(&key), None, "Timer D = 0 over TCP");

    let reg = request_over(
        "TCP",
        Method::Register,
        "z9hG4bKt2",
        "c7",
        1,
        "127.0.0.1:5070",
    );
    l.send_request(reg.clone(), tcp(5080), base);
    transmits(&mut l);
    l.handle_message(
        Message::Response(response(&reg, 200)),
        tcp(5080),
        base + ms(5),
    );
    assert!(l.is_empty(), "Timer K = 0 over TCP");
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn cancel_arms_the_64_t1_guard_on_a_ringing_invite() {
    let base = Instant::now();
    let mut l = layer();
    let inv = invite("z9hG4bKa4", "c8");
    let ikey = l.send_request(inv.clone(), udp(5080), base);
    l.handle_message(
        Message::Response(response(&inv, 180)),
        udp(5080),
        base + ms(100),
    );
    transmits(&mut l);
    events(&mut l);

    let cancel = cancel_for(&inv);
    let ckey = l.send_request(cancel.clone(), udp(5080), base + ms(60_000));
    assert_ne!(ikey, ckey, "CANCEL is its own transaction");
    assert_eq!(ckey.method(), &Method::Cancel);
    l.handle_message(
        Message::Response(response(&cancel, 200)),
        udp(5080),
        base + ms(60_050),
    );
    // The callee never sends 487: the INVITE gives up 64*T1 after the CANCEL.
    let (_, evs) = run_until(&mut l, base, ms(200_000));
    let timeouts: Vec<_> = evs
        .iter()
        .filter(|(_, e)| matches!(e, TxEvent::Timeout { .. }))
        .collect();
    assert_eq!(timeouts.len(), 1);
    assert_eq!(timeouts[0].0, ms(92_000));
    assert_eq!(timeouts[0].1, TxEvent::Timeout { key: ikey });
    assert!(l.is_empty());
}

#[test]
fn responses_without_a_transaction_are_stray() {
    let base = Instant::now();
    let mut l = layer();
    let inv = invite("z9hG4bKnone", "c9");
    l.handle_message(Message::Response(response(&inv, 200)), udp(5090), base);
    assert!(matches!(
        &events(&mut l)[..],
        [TxEvent::StrayResponse { source, .. }] if *source == udp(5090)
    ));
    assert!(l.is_empty());
}

#[test]
fn ack_through_send_request_is_stateless() {
    let base = Instant::now();
    let mut l = layer();
    let ack = ack_for_2xx(&invite("z9hG4bKa5", "c10"), "t", "z9hG4bKack");
    l.send_request(ack, udp(5080), base);
    assert_eq!(transmits(&mut l).len(), 1);
    assert!(l.is_empty());
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn try_send_request_refuses_a_request_without_branch() {
    let base = Instant::now();
    let mut l = layer();
    let mut req = request(Method::Options, "x", "c11", 1, "127.0.0.1:5070");
    req.headers
        .set(sip::HeaderName::Via, "SIP/2.0/UDP 127.0.0.1:5070");
    assert_eq!(
        l.try_send_request(req, udp(5080), base),
        Err(sip::transaction::TxError::MissingBranch)
    );
    assert!(l.is_empty());
}

#[test]
fn a_zero_t1_is_sanitized_instead_of_spinning() {
    let base = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig {
        t1: std::time::Duration::ZERO,
        t2: std::time::Duration::ZERO,
        t4: std::time::Duration::ZERO,
    });
    assert_eq!(l.config().t1, ms(1));
    l.send_request(invite("z9hG4bKz", "cz"), udp(5080), base);
    let (sent, evs) = run_until(&mut l, base, ms(1_000));
    assert_eq!(
        sent.len(),
        1 + 6,
        "initial + 6 Timer A retransmissions before Timer B at 64 ms"
    );
    assert_eq!(evs.len(), 1);
    assert!(l.is_empty());
}

#[test]
fn an_unreachable_peer_times_out_its_pending_client_transactions() {
    let base = Instant::now();
    let mut l = layer();
    let a = l.send_request(invite("z9hG4bKu1", "u1"), tcp(5080), base);
    let reg = request_over(
        "TCP",
        Method::Register,
        "z9hG4bKu2",
        "u2",
        1,
        "127.0.0.1:5070",
    );
    let b = l.send_request(reg.clone(), tcp(5080), base);
    let other = l.send_request(invite("z9hG4bKu3", "u3"), tcp(5081), base);
    transmits(&mut l);
    l.peer_unreachable(tcp(5080));
    let mut evs = events(&mut l);
    evs.sort_by_key(|e| format!("{e:?}"));
    let mut want = vec![TxEvent::Timeout { key: a }, TxEvent::Timeout { key: b }];
    want.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(evs, want);
    assert_eq!(l.len(), 1);
    assert_eq!(l.client_state(&other), Some(ClientState::Calling));
}
