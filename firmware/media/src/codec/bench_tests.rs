//! CPU time per 20 ms frame of every encoder and decoder. Ignored by default (timing is
//! no test); run with
//! `cargo test -p media --release --lib codec::bench_tests -- --ignored --nocapture`.

use super::{decoder, encoder, CodecKind};
use crate::dsp::tone::sine;
use std::hint::black_box;

/// CPU time this thread has run, in ns (Linux schedstat): unlike wall-clock time, it does
/// not count the time other processes on a busy machine take the core away. The kernel
/// updates it at scheduler ticks, so each measurement runs for a few hundred ms.
fn cpu_ns() -> u128 {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").unwrap();
    stat.split_whitespace().next().unwrap().parse().unwrap()
}

const BATCH: usize = 500;
const MIN_CPU_NS: u128 = 300_000_000;
/// Bounds the loop however coarse the clock turns out to be.
const MAX_FRAMES: usize = 5_000_000;

/// Runs `step` in batches until it has used enough CPU time; returns ns per call.
fn per_call(mut step: impl FnMut(usize)) -> u128 {
    let start = cpu_ns();
    let mut calls = 0;
    while cpu_ns() - start < MIN_CPU_NS && calls < MAX_FRAMES {
        for _ in 0..BATCH {
            step(calls);
            calls += 1;
        }
    }
    (cpu_ns() - start) / calls as u128
}

#[test]
#[ignore]
fn ns_per_frame() {
    for kind in CodecKind::ALL {
        // Speech-like load: a mix of tones rather than silence, which some codecs skip.
        let n = kind.frame_samples() * 50;
        let a = sine(220.0, -18.0, kind.sample_rate(), n);
        let b = sine(1370.0, -24.0, kind.sample_rate(), n);
        let pcm: Vec<i16> = a
            .iter()
            .zip(&b)
            .map(|(x, y)| x.saturating_add(*y))
            .collect();
        let frames: Vec<&[i16]> = pcm.chunks_exact(kind.frame_samples()).collect();

        let mut enc = encoder(kind).unwrap();
        let mut payloads: Vec<Vec<u8>> = Vec::new();
        for frame in &frames {
            let mut p = Vec::new();
            enc.encode(frame, &mut p).unwrap();
            payloads.push(p);
        }
        let mut p = Vec::with_capacity(1500);
        let enc_ns = per_call(|i| {
            p.clear();
            enc.encode(black_box(frames[i % frames.len()]), &mut p)
                .unwrap();
            black_box(&p);
        });

        let mut dec = decoder(kind).unwrap();
        let mut out = Vec::with_capacity(kind.frame_samples());
        let dec_ns = per_call(|i| {
            out.clear();
            dec.decode(black_box(&payloads[i % payloads.len()]), &mut out)
                .unwrap();
            black_box(&out);
        });
        println!("{kind:?}: encode {enc_ns} ns/frame, decode {dec_ns} ns/frame (20 ms, CPU time)");
    }
}
