//! Server transactions (IST, NIST) in virtual time.
#![allow(clippy::unwrap_used)]
mod transaction_support;

use std::time::Instant;

use sip::message::SipHeaders;
use sip::transaction::{ServerState, ServerTxKey, TimerConfig, TransactionLayer, TxError, TxEvent};
use sip::{Message, Method, Request};
use transaction_support::*;

fn layer() -> TransactionLayer {
    TransactionLayer::new(TimerConfig::default())
}

/// Feeds `req` from the phone at udp:5070 and returns the key of the new server transaction.
fn incoming(l: &mut TransactionLayer, req: &Request, at: Instant) -> (ServerTxKey, Request) {
    l.handle_message(Message::Request(req.clone()), udp(5070), at);
    match events(l).pop() {
        Some(TxEvent::Request {
            key: Some(key),
            request,
            source,
        }) => {
            assert_eq!(source, udp(5070));
            (key, request)
        }
        other => panic!("expected a new request, got {other:?}"),
    }
}

#[test]
fn retransmitted_invite_is_absorbed_and_the_last_provisional_re_sent() {
    let base = Instant::now();
    let mut l = layer();
    let inv = invite("z9hG4bKs1", "s1");
    let (key, stored) = incoming(&mut l, &inv, base);
    l.send_response(&key, response(&stored, 180), base + ms(10));
    let sent = transmits(&mut l);
    assert_eq!(sent.len(), 1);
    assert_eq!(status_of(&sent[0]), 180);
    assert_eq!(sent[0].peer, udp(5070));

    l.handle_message(Message::Request(inv.clone()), udp(5070), base + ms(500));
    assert!(
        events(&mut l).is_empty(),
        "the retransmission is not a new request"
    );
    let again = transmits(&mut l);
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].bytes, sent[0].bytes, "same 180 re-sent");
    assert_eq!(l.len(), 1);
}

#[test]
fn ist_sends_100_trying_when_the_tu_is_silent_for_200_ms() {
    let base = Instant::now();
    let mut l = layer();
    let (key, _) = incoming(&mut l, &invite("z9hG4bKs2", "s2"), base);
    assert!(transmits(&mut l).is_empty());
    assert_eq!(l.poll_timeout(), Some(base + ms(200)));
    l.handle_timeout(base + ms(200));
    let sent = transmits(&mut l);
    assert_eq!(sent.len(), 1);
    assert_eq!(status_of(&sent[0]), 100);
    assert!(!text(&sent[0]).contains("tag=uas"), "100 has no To tag");
    // A retransmitted INVITE gets the 100 again.
    l.handle_message(
        Message::Request(invite("z9hG4bKs2", "s2")),
        udp(5070),
        base + ms(500),
    );
    assert_eq!(status_of(&transmits(&mut l)[0]), 100);
    assert_eq!(l.server_state(&key), Some(ServerState::Proceeding));

    // A TU that answers at once suppresses the 100.
    let (k2, r2) = incoming(&mut l, &invite("z9hG4bKs3", "s3"), base);
    l.send_response(&k2, response(&r2, 180), base + ms(5));
    l.handle_timeout(base + ms(200));
    let sent = transmits(&mut l);
    assert_eq!(sent.iter().map(status_of).collect::<Vec<_>>(), vec![180]);
}

#[test]
fn lost_ack_makes_the_server_retransmit_with_timer_g_until_timer_h() {
    let base = Instant::now();
    let mut l = layer();
    let (key, stored) = incoming(&mut l, &invite("z9hG4bKs4", "s4"), base);
    l.send_response(&key, response(&stored, 486), base);
    assert_eq!(transmits(&mut l).len(), 1);
    assert_eq!(l.server_state(&key), Some(ServerState::Completed));
    let (sent, evs) = run_until(&mut l, base, ms(40_000));
    let at: Vec<u64> = sent.iter().map(|(d, _)| d.as_millis() as u64).collect();
    // Timer G: 500 ms, 1 s, 2 s, then T2 = 4 s; Timer H at 64*T1 = 32 s.
    assert_eq!(
        at,
        vec![500, 1_500, 3_500, 7_500, 11_500, 15_500, 19_500, 23_500, 27_500, 31_500]
    );
    assert!(sent.iter().all(|(_, t)| status_of(t) == 486));
    assert_eq!(evs, vec![(ms(32_000), TxEvent::AckTimeout { key })]);
    assert!(l.is_empty());
}

#[test]
fn ack_stops_retransmissions_and_timer_i_cleans_up() {
    let base = Instant::now();
    let mut l = layer();
    let inv = invite("z9hG4bKs5", "s5");
    let (key, stored) = incoming(&mut l, &inv, base);
    l.send_response(&key, response(&stored, 486), base);
    transmits(&mut l);
    run_until(&mut l, base, ms(1_600)); // two Timer G retransmissions
    let ack = ack_same_branch(&inv, "uas1");
    l.handle_message(Message::Request(ack.clone()), udp(5070), base + ms(2_000));
    assert!(
        events(&mut l).is_empty(),
        "the ACK for a non-2xx is absorbed"
    );
    assert_eq!(l.server_state(&key), Some(ServerState::Confirmed));
    // ACK retransmissions and INVITE retransmissions are absorbed in Confirmed.
    l.handle_message(Message::Request(ack), udp(5070), base + ms(2_100));
    l.handle_message(Message::Request(inv), udp(5070), base + ms(2_200));
    assert!(events(&mut l).is_empty());
    assert!(transmits(&mut l).is_empty());
    // Timer I = T4 = 5 s after the ACK; no more retransmissions.
    let (sent, evs) = run_until(&mut l, base, ms(6_999));
    assert!(sent.is_empty() && evs.is_empty());
    assert_eq!(l.len(), 1);
    run_until(&mut l, base, ms(7_000));
    assert!(l.is_empty());
    assert_eq!(l.poll_timeout(), None);
}

#[test]
fn a_2xx_is_retransmitted_until_its_ack_which_still_reaches_the_tu() {
    let base = Instant::now();
    let mut l = layer();
    let inv = invite("z9hG4bKs6", "s6");
    let (key, stored) = incoming(&mut l, &inv, base);
    l.send_response(&key, response(&stored, 200), base);
    assert_eq!(transmits(&mut l).len(), 1);
    assert_eq!(l.server_state(&key), Some(ServerState::Accepted));
    let (sent, _) = run_until(&mut l, base, ms(4_000));
    let at: Vec<u64> = sent.iter().map(|(d, _)| d.as_millis() as u64).collect();
    assert_eq!(at, vec![500, 1_500, 3_500]);
    assert!(sent.iter().all(|(_, t)| status_of(t) == 200));
    // INVITE retransmission in Accepted is absorbed (RFC 6026).
    l.handle_message(Message::Request(inv.clone()), udp(5070), base + ms(4_000));
    assert!(events(&mut l).is_empty());
    assert!(transmits(&mut l).is_empty());

    let ack = ack_for_2xx(&inv, "uas1", "z9hG4bKack6");
    l.handle_message(Message::Request(ack), udp(5070), base + ms(4_100));
    match &events(&mut l)[..] {
        [TxEvent::Request {
            key: None, request, ..
        }] => assert_eq!(request.method, Method::Ack),
        other => panic!("ACK for 2xx must reach the TU: {other:?}"),
    }
    let (sent, evs) = run_until(&mut l, base, ms(40_000));
    assert!(sent.is_empty(), "the ACK stopped the 2xx retransmissions");
    assert!(evs.is_empty(), "acknowledged: no AckTimeout at Timer L");
    assert!(l.is_empty());
}

#[test]
fn an_unacknowledged_2xx_ends_with_ack_timeout_at_timer_l() {
    let base = Instant::now();
    let mut l = layer();
    let (key, stored) = incoming(&mut l, &invite("z9hG4bKs7", "s7"), base);
    l.send_response(&key, response(&stored, 200), base);
    assert_eq!(transmits(&mut l).len(), 1);
    let (sent, evs) = run_until(&mut l, base, ms(40_000));
    let at: Vec<u64> = sent.iter().map(|(d, _)| d.as_millis() as u64).collect();
    assert_eq!(
        at.len(),
        10,
        "2xx re-sent like Timer G until Timer L: {at:?}"
    );
    assert_eq!(evs, vec![(ms(32_000), TxEvent::AckTimeout { key })]);
    assert!(l.is_empty());
}

#[test]
fn cancel_is_a_request_and_finds_its_invite() {
    let base = Instant::now();
    let mut l = layer();
    let inv = invite("z9hG4bKs8", "s8");
    let (ikey, istored) = incoming(&mut l, &inv, base);
    l.send_response(&ikey, response(&istored, 180), base);
    let cancel = cancel_for(&inv);
    let (ckey, cstored) = incoming(&mut l, &cancel, base + ms(3_000));
    assert_ne!(ckey, ikey);
    assert_eq!(ckey.method(), &Method::Cancel);
    assert_eq!(l.matching_invite(&cstored), Some(ikey.clone()));
    assert_eq!(l.matching_invite(&cancel), Some(ikey.clone()));
    // A CANCEL for another branch matches nothing.
    assert_eq!(
        l.matching_invite(&cancel_for(&invite("z9hG4bKother", "s8"))),
        None
    );

    l.send_response(&ckey, response(&cstored, 200), base + ms(3_000));
    l.send_response(&ikey, response(&istored, 487), base + ms(3_000));
    let sent = transmits(&mut l);
    assert_eq!(
        sent.iter().map(status_of).collect::<Vec<_>>(),
        vec![180, 200, 487]
    );
    l.handle_message(
        Message::Request(ack_same_branch(&inv, "uas1")),
        udp(5070),
        base + ms(3_050),
    );
    run_until(&mut l, base, ms(60_000));
    assert!(l.is_empty());
    assert_eq!(l.matching_invite(&cancel), None);
}

#[test]
fn nist_absorbs_retransmissions_in_trying_proceeding_and_completed() {
    let base = Instant::now();
    let mut l = layer();
    let bye = request(Method::Bye, "z9hG4bKs9", "s9", 2, "127.0.0.1:5070");
    let (key, stored) = incoming(&mut l, &bye, base);
    assert_eq!(l.server_state(&key), Some(ServerState::Trying));
    let retransmit = |l: &mut TransactionLayer, ms_at: u64| {
        l.handle_message(Message::Request(bye.clone()), udp(5070), base + ms(ms_at));
        assert!(events(l).is_empty(), "absorbed at {ms_at} ms");
        transmits(l).iter().map(status_of).collect::<Vec<_>>()
    };
    assert_eq!(
        retransmit(&mut l, 500),
        Vec::<u16>::new(),
        "Trying: nothing to repeat"
    );
    l.send_response(&key, response(&stored, 100), base + ms(600));
    transmits(&mut l);
    assert_eq!(l.server_state(&key), Some(ServerState::Proceeding));
    assert_eq!(retransmit(&mut l, 1_500), vec![100]);
    l.send_response(&key, response(&stored, 200), base + ms(2_000));
    transmits(&mut l);
    assert_eq!(l.server_state(&key), Some(ServerState::Completed));
    assert_eq!(retransmit(&mut l, 3_500), vec![200]);
    // No retransmissions of its own; Timer J = 64*T1 after the final response.
    let (sent, _) = run_until(&mut l, base, ms(33_999));
    assert!(sent.is_empty());
    assert_eq!(l.len(), 1);
    let (_, evs) = run_until(&mut l, base, ms(34_000));
    assert!(evs.is_empty(), "Timer J ends a NIST silently: {evs:?}");
    assert!(l.is_empty());
}

#[test]
fn unanswered_nist_is_dropped_after_64_t1() {
    let base = Instant::now();
    let mut l = layer();
    let req = request(Method::Options, "z9hG4bKs10", "s10", 1, "127.0.0.1:5070");
    let (key, stored) = incoming(&mut l, &req, base);
    let (sent, evs) = run_until(&mut l, base, ms(40_000));
    assert!(sent.is_empty() && evs.is_empty());
    assert!(l.is_empty());
    assert_eq!(
        l.try_send_response(&key, response(&stored, 200), base + ms(40_000)),
        Err(TxError::UnknownTransaction { key })
    );
}

#[test]
fn received_and_rport_are_stamped_and_responses_go_to_the_source() {
    let base = Instant::now();
    let mut l = layer();
    // The phone believes it is 192.168.1.20:5060; the datagram came from 127.0.0.1:5070 (NAT).
    let req = request(
        Method::Register,
        "z9hG4bKs11",
        "s11",
        1,
        "192.168.1.20:5060",
    );
    let (key, stored) = incoming(&mut l, &req, base);
    let via = stored.top_via().unwrap();
    assert_eq!(via.params.value("received"), Some("127.0.0.1"));
    assert_eq!(via.params.value("rport"), Some("5070"));
    assert_eq!(via.host, "192.168.1.20");
    l.send_response(&key, response(&stored, 200), base);
    let sent = transmits(&mut l);
    assert_eq!(sent[0].peer, udp(5070));
    let wire = text(&sent[0]);
    assert!(wire.contains("received=127.0.0.1"), "{wire}");
    assert!(wire.contains("rport=5070"), "{wire}");

    // The retransmission (same sent-by) still matches the stamped transaction.
    l.handle_message(Message::Request(req), udp(5070), base + ms(500));
    assert!(events(&mut l).is_empty());
    assert_eq!(transmits(&mut l).len(), 1);
}

#[test]
fn reliable_transport_server_side_has_zero_linger_timers() {
    let base = Instant::now();
    let mut l = layer();
    let src = tcp(5070);
    let bye = request_over("TCP", Method::Bye, "z9hG4bKs12", "s12", 2, "127.0.0.1:5070");
    l.handle_message(Message::Request(bye.clone()), src, base);
    let Some(TxEvent::Request {
        key: Some(key),
        request,
        ..
    }) = events(&mut l).pop()
    else {
        panic!("expected request");
    };
    l.send_response(&key, response(&request, 200), base);
    assert!(l.is_empty(), "Timer J = 0 over TCP");

    let inv = request_over(
        "TCP",
        Method::Invite,
        "z9hG4bKs13",
        "s13",
        1,
        "127.0.0.1:5070",
    );
    l.handle_message(Message::Request(inv.clone()), src, base);
    let Some(TxEvent::Request {
        key: Some(key),
        request,
        ..
    }) = events(&mut l).pop()
    else {
        panic!("expected request");
    };
    l.send_response(&key, response(&request, 486), base);
    transmits(&mut l);
    assert_eq!(
        l.poll_timeout(),
        Some(base + ms(32_000)),
        "Timer H only, no Timer G"
    );
    let mut ack = ack_same_branch(&inv, "uas1");
    ack.headers.set(
        sip::HeaderName::Via,
        inv.headers.get(&sip::HeaderName::Via).unwrap().to_string(),
    );
    l.handle_message(Message::Request(ack), src, base + ms(10));
    assert!(l.is_empty(), "Timer I = 0 over TCP");
}

#[test]
fn responses_after_the_final_one_are_refused() {
    let base = Instant::now();
    let mut l = layer();
    let (key, stored) = incoming(&mut l, &invite("z9hG4bKs14", "s14"), base);
    l.send_response(&key, response(&stored, 486), base);
    assert_eq!(
        l.try_send_response(&key, response(&stored, 180), base),
        Err(TxError::AfterFinal {
            key: key.clone(),
            status: 180
        })
    );
    assert_eq!(
        l.try_send_response(&key, response(&stored, 99), base),
        Err(TxError::BadStatus { status: 99 })
    );
}

#[test]
fn rfc2543_requests_without_the_magic_cookie_still_match() {
    let base = Instant::now();
    let mut l = layer();
    let inv = invite("oldbranch", "s15");
    let (key, stored) = incoming(&mut l, &inv, base);
    l.send_response(&key, response(&stored, 486), base);
    transmits(&mut l);
    l.handle_message(Message::Request(inv.clone()), udp(5070), base + ms(100));
    assert!(events(&mut l).is_empty());
    assert_eq!(transmits(&mut l).len(), 1, "486 re-sent");
    l.handle_message(
        Message::Request(ack_same_branch(&inv, "uas1")),
        udp(5070),
        base + ms(200),
    );
    assert!(events(&mut l).is_empty(), "ACK absorbed");
    assert_eq!(l.server_state(&key), Some(ServerState::Confirmed));
}

#[test]
fn timer_j_can_be_shortened_but_not_lengthened() {
    let base = Instant::now();
    let mut l = TransactionLayer::new(TimerConfig::default()).with_timer_j(ms(5_000));
    let req = request(Method::Register, "z9hG4bKj1", "j1", 1, "127.0.0.1:5070");
    let (key, stored) = incoming(&mut l, &req, base);
    l.send_response(&key, response(&stored, 200), base);
    run_until(&mut l, base, ms(4_999));
    assert_eq!(l.len(), 1);
    run_until(&mut l, base, ms(5_000));
    assert!(l.is_empty());

    let mut l = TransactionLayer::new(TimerConfig::default()).with_timer_j(ms(100_000));
    let (key, stored) = incoming(&mut l, &req, base);
    l.send_response(&key, response(&stored, 200), base);
    run_until(&mut l, base, ms(32_000));
    assert!(l.is_empty(), "capped at 64*T1");
}

#[test]
fn a_2xx_is_retransmitted_even_over_tcp_until_the_ack() {
    let base = Instant::now();
    let mut l = layer();
    let inv = request_over(
        "TCP",
        Method::Invite,
        "z9hG4bKs16",
        "s16",
        1,
        "127.0.0.1:5070",
    );
    l.handle_message(Message::Request(inv.clone()), tcp(5070), base);
    let Some(TxEvent::Request {
        key: Some(key),
        request,
        ..
    }) = events(&mut l).pop()
    else {
        panic!("expected request");
    };
    l.send_response(&key, response(&request, 200), base);
    transmits(&mut l);
    // RFC 3261 §13.3.1.4: end-to-end 2xx reliability does not depend on the first hop.
    let (sent, _) = run_until(&mut l, base, ms(1_600));
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|(_, t)| t.peer == tcp(5070)));
    let ack = ack_for_2xx(&inv, "uas1", "z9hG4bKack16");
    l.handle_message(Message::Request(ack), tcp(5070), base + ms(1_600));
    assert!(matches!(
        &events(&mut l)[..],
        [TxEvent::Request { key: None, .. }]
    ));
    let (sent, evs) = run_until(&mut l, base, ms(40_000));
    assert!(sent.is_empty());
    assert!(evs.is_empty());
    assert!(l.is_empty());
}
