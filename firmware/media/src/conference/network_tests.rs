//! Scenario tests of the receive side under bad network conditions: loss, reordering,
//! jitter spikes, short packets.

use super::phone::Phone;
use super::sim::*;
use crate::codec::CodecKind;
use crate::dsp::analyse::goertzel_power;

#[test]
fn loss_and_reordering_are_concealed_and_fixed() {
    let mut sim = Sim::new(three_phones([
        CodecKind::Pcmu,
        CodecKind::Opus,
        CodecKind::G722,
    ]));
    // Phone 0 loses one packet in ten; phone 1's packets arrive in swapped pairs.
    let mut held: Option<Vec<u8>> = None;
    sim.network = Box::new(move |phone, tick, packet| match phone {
        0 if tick % 10 == 7 => vec![],
        1 => match held.take() {
            Some(earlier) => vec![packet, earlier],
            None => {
                held = Some(packet);
                vec![]
            }
        },
        _ => vec![packet],
    });
    sim.run(2000);
    let s0 = sim.room.stats(sim.phones[0].id).unwrap();
    let s1 = sim.room.stats(sim.phones[1].id).unwrap();
    assert!(s0.concealed >= 9, "{s0:?}");
    assert_eq!(
        s1.late, 0,
        "a swapped pair is reordered, not dropped: {s1:?}"
    );
    assert!(s1.concealed <= 2, "{s1:?}");
    // The listener still hears both, the lossy one a little lower at most.
    let heard = sim.phones[2].tail(1000);
    let reference = expected_power(TALK_DBFS);
    let lossy = db(goertzel_power(heard, 16_000, 440.0), reference);
    let swapped = db(goertzel_power(heard, 16_000, 660.0), reference);
    assert!(
        (-3.0..1.5).contains(&lossy),
        "lossy talker at {lossy:+.1} dB"
    );
    assert!(swapped.abs() < 1.5, "reordered talker at {swapped:+.1} dB");
}

#[test]
fn a_phone_sending_10_ms_packets_is_heard_whole() {
    let mut phones = three_phones([CodecKind::Pcmu, CodecKind::Pcma, CodecKind::G722]);
    phones[0] = Phone::new(1, CodecKind::Pcmu, tone(440.0, CodecKind::Pcmu)).with_10ms_packets();
    let mut sim = Sim::new(phones);
    // Every other tick, the second 10 ms packet comes just after the tick.
    let (mut this_tick, mut nth, mut held) = (u64::MAX, 0, None);
    sim.network = Box::new(move |phone, tick, packet| {
        if phone != 0 {
            return vec![packet];
        }
        nth = if tick == this_tick { nth + 1 } else { 0 };
        this_tick = tick;
        let mut out: Vec<Vec<u8>> = if nth == 0 {
            held.take().into_iter().collect()
        } else {
            Vec::new()
        };
        if tick % 2 == 1 && nth == 1 {
            held = Some(packet);
        } else {
            out.push(packet);
        }
        out
    });
    sim.run(1600);
    let stats = sim.room.stats(sim.phones[0].id).unwrap();
    assert_eq!(
        (stats.late, stats.concealed, stats.short_frames),
        (0, 0, 0),
        "{stats:?}"
    );
    assert_hears(
        "G.722",
        sim.phones[2].tail(600),
        16_000,
        &[440.0, 660.0],
        &[880.0],
    );
}

#[test]
fn a_jitter_spike_is_concealed_and_the_delayed_packets_still_play() {
    let mut sim = Sim::new(three_phones([
        CodecKind::Pcmu,
        CodecKind::Pcmu,
        CodecKind::Pcmu,
    ]));
    // Phone 0's packets of ticks 20-22 are stuck for 60 ms and arrive with tick 23's.
    let mut stuck = Vec::new();
    sim.network = Box::new(move |phone, tick, packet| {
        if phone != 0 {
            return vec![packet];
        }
        stuck.push(packet);
        if (20..23).contains(&tick) {
            Vec::new()
        } else {
            std::mem::take(&mut stuck)
        }
    });
    sim.run(1000);
    let stats = sim.room.stats(sim.phones[0].id).unwrap();
    assert_eq!(stats.late, 0, "{stats:?}");
    assert!((1..=3).contains(&stats.concealed), "{stats:?}");
    // The extra delay drains once (one packet dropped after a second at most).
    sim.run(1200);
    let stats = sim.room.stats(sim.phones[0].id).unwrap();
    assert!(stats.overflowed <= 3, "{stats:?}");
    assert_hears(
        "listener",
        sim.phones[1].tail(500),
        8000,
        &[440.0, 880.0],
        &[660.0],
    );
}
