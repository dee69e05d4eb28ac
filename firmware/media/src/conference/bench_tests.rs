//! CPU per participant per 20 ms tick. Ignored by default (timing is no test); run with
//! `cargo test -p media --release --lib conference::bench_tests -- --ignored --nocapture`.
//!
//! Every phone sends continuously, as desk phones without silence suppression do: three
//! talk (tones at speech level), the others send line noise at -65 dBFS, which must still
//! be decoded to know it is quiet but is left out of the mix.

use super::phone::Phone;
use super::*;
use crate::codec::CodecKind;
use crate::dsp::tone::sine;
use std::time::Instant;

/// CPU time this thread has run, in ns (Linux schedstat; not wall-clock, so other processes
/// on a busy box do not count).
fn cpu_ns() -> u128 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    stat.split_whitespace().next().unwrap().parse().unwrap()
}

const TICKS: usize = 500;

/// Returns µs of CPU per participant per tick, receiving and sending included.
fn run(participants: usize, codec: CodecKind) -> f64 {
    let rate = codec.sample_rate();
    let mut phones: Vec<Phone> = (0..participants)
        .map(|i| {
            let (freq, level) = if i < 3 {
                (300.0 + 170.0 * i as f32, -20.0)
            } else {
                (3100.0 + i as f32, -65.0)
            };
            Phone::new(i as u64, codec, sine(freq, level, rate, rate as usize))
        })
        .collect();
    let mut now = Instant::now();
    let mut room = Room::new(16_000).unwrap();
    for p in &phones {
        room.join(p.id, p.codec, p.payload_type, p.room_ssrc, now)
            .unwrap();
    }
    // Packets are made ahead so the phones' own encoders are not measured.
    let packets: Vec<Vec<Vec<u8>>> = (0..TICKS)
        .map(|_| {
            phones
                .iter_mut()
                .map(|p| p.next_packet().unwrap())
                .collect()
        })
        .collect();
    let start = cpu_ns();
    for tick in &packets {
        for (p, packet) in phones.iter().zip(tick) {
            room.push_rtp(p.id, packet, now).unwrap();
        }
        room.tick(now);
        while let Some(out) = room.poll_packet() {
            std::hint::black_box(out);
        }
        now += TICK;
    }
    let ns = cpu_ns() - start;
    ns as f64 / 1000.0 / (TICKS * participants) as f64
}

#[test]
#[ignore]
fn cpu_per_participant_per_tick() {
    for (n, codec) in [
        (10, CodecKind::Pcmu),
        (30, CodecKind::Pcmu),
        (10, CodecKind::G722),
        (10, CodecKind::Opus),
        (30, CodecKind::Opus),
    ] {
        let us = run(n, codec);
        println!(
            "conference {n:>2} x {:<5}: {us:6.1} µs CPU per participant per 20 ms tick \
             ({:.2} % of one core per participant)",
            codec.encoding_name(),
            us / 200.0
        );
    }
}
