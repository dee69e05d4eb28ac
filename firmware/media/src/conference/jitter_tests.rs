use super::*;

fn frame(p: Playout<'_>) -> Option<u8> {
    match p {
        Playout::Frame(v) => v.first().copied(),
        _ => None,
    }
}

#[test]
fn primes_then_plays_in_order() {
    let mut jb = JitterBuffer::default();
    assert_eq!(jb.push(10, vec![10]), Arrival::Buffered);
    assert_eq!(jb.pop(), Playout::Idle);
    jb.push(11, vec![11]);
    assert_eq!(frame(jb.pop()), Some(10));
    jb.push(12, vec![12]);
    assert_eq!(frame(jb.pop()), Some(11));
    assert_eq!(frame(jb.pop()), Some(12));
}

#[test]
fn a_lone_packet_plays_after_waiting() {
    let mut jb = JitterBuffer::default();
    jb.push(7, vec![7]);
    assert_eq!(jb.pop(), Playout::Idle);
    assert_eq!(frame(jb.pop()), Some(7));
}

#[test]
fn reordered_packets_are_put_back_in_order() {
    let mut jb = JitterBuffer::default();
    jb.push(2, vec![2]);
    jb.push(1, vec![1]);
    jb.push(4, vec![4]);
    jb.push(3, vec![3]);
    let got: Vec<_> = (0..4).map(|_| frame(jb.pop())).collect();
    assert_eq!(got, vec![Some(1), Some(2), Some(3), Some(4)]);
}

#[test]
fn a_gap_is_reported_lost_with_the_following_packet() {
    let mut jb = JitterBuffer::default();
    jb.push(1, vec![1]);
    jb.push(3, vec![3]);
    assert_eq!(frame(jb.pop()), Some(1));
    assert_eq!(
        jb.pop(),
        Playout::Lost {
            next: Some(&[3][..])
        }
    );
    assert_eq!(frame(jb.pop()), Some(3));
    // Packet 2 arriving now is too late.
    assert_eq!(jb.push(2, vec![2]), Arrival::Late);
}

#[test]
fn duplicates_and_wraparound() {
    let mut jb = JitterBuffer::default();
    jb.push(65535, vec![1]);
    assert_eq!(jb.push(65535, vec![1]), Arrival::Duplicate);
    jb.push(0, vec![2]);
    assert_eq!(frame(jb.pop()), Some(1));
    assert_eq!(frame(jb.pop()), Some(2));
}

#[test]
fn underrun_conceals_a_few_frames_then_pauses() {
    let mut jb = JitterBuffer::default();
    jb.push(1, vec![1]);
    jb.push(2, vec![2]);
    jb.pop();
    jb.pop();
    for _ in 0..PAUSE_AFTER_MISSES {
        assert_eq!(jb.pop(), Playout::Lost { next: None });
    }
    assert_eq!(jb.pop(), Playout::Idle);
    assert_eq!(jb.pop(), Playout::Idle);
    // A new talkspurt primes afresh whatever its sequence number.
    jb.push(9, vec![9]);
    jb.push(10, vec![10]);
    assert_eq!(frame(jb.pop()), Some(9));
}

#[test]
fn a_sequence_jump_is_a_new_stream_and_overflow_drops_the_oldest() {
    let mut jb = JitterBuffer::default();
    jb.push(1, vec![1]);
    jb.push(2, vec![2]);
    assert_eq!(jb.push(30_000, vec![3]), Arrival::NewStream);
    jb.push(30_001, vec![4]);
    assert_eq!(frame(jb.pop()), Some(3));
    for s in 0..20u16 {
        jb.push(30_002 + s, vec![5]);
    }
    assert!(jb.overflowed > 0);
    assert!(jb.packets.len() <= CAPACITY);
    assert_eq!(frame(jb.pop()), Some(5));
}

#[test]
fn pop_ready_takes_only_what_is_there() {
    let mut jb = JitterBuffer::default();
    assert_eq!(jb.pop_ready(), None);
    jb.push(1, vec![1]);
    jb.push(3, vec![3]);
    assert_eq!(frame(jb.pop()), Some(1));
    // Packet 2 is missing: pop_ready neither conceals nor skips it...
    assert_eq!(jb.pop_ready(), None);
    jb.push(2, vec![2]);
    assert_eq!(jb.pop_ready(), Some(vec![2]));
    assert_eq!(jb.pop_ready(), Some(vec![3]));
}

#[test]
fn short_packets_prime_deeper() {
    let mut jb = JitterBuffer::default();
    jb.set_packet_ms(10);
    for seq in 0..3 {
        jb.push(seq, vec![seq as u8]);
    }
    assert_eq!(jb.next, None, "three 10 ms packets are not 40 ms yet");
    jb.push(3, vec![3]);
    assert_eq!(frame(jb.pop()), Some(0));
    jb.set_packet_ms(60);
    assert_eq!(jb.prime_packets, 1);
}

#[test]
fn a_late_packet_after_an_underrun_still_plays_and_the_delay_drains() {
    let mut jb = JitterBuffer::default();
    jb.push(1, vec![1]);
    jb.push(2, vec![2]);
    assert_eq!(frame(jb.pop()), Some(1));
    assert_eq!(frame(jb.pop()), Some(2));
    assert_eq!(jb.pop(), Playout::Lost { next: None });
    // Packet 3 was only late: it plays, and so does everything after it.
    let mut seq = 3u16;
    jb.push(seq, vec![3]);
    // From now on one packet arrives per tick, so two packets stay in hand (one too many).
    jb.push(seq + 1, vec![4]);
    let mut played = Vec::new();
    for _ in 0..60 {
        seq += 1;
        jb.push(seq + 1, vec![(seq + 1) as u8]);
        played.push(frame(jb.pop()).unwrap());
    }
    assert_eq!(played[0], 3);
    // The extra packet of delay was dropped once, after DRAIN_AFTER_TICKS.
    let skips = played
        .windows(2)
        .filter(|w| w[1] != w[0].wrapping_add(1))
        .count();
    assert_eq!(skips, 1);
    assert_eq!(jb.overflowed, 1);
    assert_eq!(jb.packets.len(), 1);
}
