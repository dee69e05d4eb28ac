//! Hostile input: whatever arrives on a participant's media port, the room neither panics
//! nor stops sending everyone their mix.

use super::*;
use crate::codec::CodecKind;
use proptest::prelude::*;
use std::time::Instant;

fn header(pt: u8, seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 9]);
    p
}

fn room_of_every_codec(now: Instant) -> Room {
    let mut room = Room::new(16_000).unwrap();
    for (i, kind) in CodecKind::ALL.into_iter().enumerate() {
        room.join(
            ParticipantId(i as u64),
            kind,
            kind.default_payload_type(),
            7,
            now,
        )
        .unwrap();
    }
    room
}

#[test]
fn bad_packets_are_refused_with_typed_errors() {
    let now = Instant::now();
    let mut room = room_of_every_codec(now);
    let pcmu = ParticipantId(2);
    assert!(matches!(
        room.push_rtp(pcmu, &[1, 2, 3], now),
        Err(ConferenceError::BadRtp { .. })
    ));
    assert!(matches!(
        room.push_rtp(pcmu, &header(101, 1), now),
        Err(ConferenceError::UnexpectedPayloadType { found: 101, .. })
    ));
    assert!(matches!(
        room.push_rtp(pcmu, &header(0, 1), now),
        Err(ConferenceError::BadPayloadLength { len: 0, .. })
    ));
    let mut huge = header(0, 1);
    huge.resize(5000, 0xff);
    assert!(matches!(
        room.push_rtp(pcmu, &huge, now),
        Err(ConferenceError::BadPayloadLength { .. })
    ));
    assert_eq!(room.stats(pcmu).unwrap().rejected, 4);
}

#[test]
fn corrupt_payloads_are_concealed_and_everyone_still_gets_packets() {
    let mut now = Instant::now();
    let mut room = room_of_every_codec(now);
    let mut sent = [0usize; 4];
    for tick in 0..50u16 {
        for i in 0..4u64 {
            let kind = CodecKind::ALL[i as usize];
            let mut p = header(kind.default_payload_type(), tick);
            // Garbage of every length, including an Opus TOC byte promising frames that
            // are not there.
            p.extend((0..(tick as usize * 13 % 900 + 1)).map(|k| (k * 31 + tick as usize) as u8));
            let _ = room.push_rtp(ParticipantId(i), &p, now);
        }
        room.tick(now);
        while let Some((to, _)) = room.poll_packet() {
            sent[to.0 as usize] += 1;
        }
        now += TICK;
    }
    assert_eq!(sent, [50; 4]);
    let opus = room.stats(ParticipantId(0)).unwrap();
    assert!(opus.undecodable > 0, "{opus:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn arbitrary_datagrams_never_panic(
        datagrams in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..1400), 1..40),
    ) {
        let mut now = Instant::now();
        let mut room = room_of_every_codec(now);
        for (k, d) in datagrams.iter().enumerate() {
            let mut d = d.clone();
            // Half of them get a plausible header so they reach the decoders.
            if k % 2 == 0 && d.len() > 12 {
                d[0] = 0x80;
                d[1] = CodecKind::ALL[k % 4].default_payload_type();
            }
            let _ = room.push_rtp(ParticipantId((k % 4) as u64), &d, now);
            room.tick(now);
            while room.poll_packet().is_some() {}
            now += TICK;
        }
    }
}
