use super::*;
use crate::dsp::analyse::{dominant_frequency, goertzel_power};
use crate::dsp::level::rms_dbfs;

fn render(kind: ToneKind, rate: u32, samples: usize) -> (Vec<i16>, usize) {
    let mut g = ToneGenerator::new(kind, rate);
    let mut out = vec![0i16; samples];
    // Odd chunk sizes: the result must not depend on how the caller slices.
    let mut written = 0;
    for chunk in out.chunks_mut(37) {
        written += g.fill(chunk);
    }
    (out, written)
}

#[test]
fn progress_tones_are_425_hz_at_every_rate() {
    for &rate in &[8000u32, 16000, 48000] {
        for kind in [
            ToneKind::Dial,
            ToneKind::Busy,
            ToneKind::Ringback,
            ToneKind::Congestion,
        ] {
            let (pcm, written) = render(kind, rate, rate as usize);
            assert_eq!(written, pcm.len(), "{kind:?} loops");
            // The first 150 ms are "on" for every cadence.
            let on = &pcm[..(rate as usize * 150 / 1000)];
            let f = dominant_frequency(on, rate);
            assert!((f - 425.0).abs() < 2.0, "{kind:?} @ {rate}: {f}");
        }
    }
}

#[test]
fn busy_cadence_is_200_on_200_off() {
    let rate = 8000;
    let (pcm, _) = render(ToneKind::Busy, rate, 8000);
    let ms = |a: usize, b: usize| &pcm[a * 8..b * 8];
    assert!(rms_dbfs(ms(20, 180)) > -14.0);
    assert_eq!(rms_dbfs(ms(205, 395)), -120.0);
    assert!(rms_dbfs(ms(420, 580)) > -14.0);
    assert_eq!(rms_dbfs(ms(605, 795)), -120.0);
}

#[test]
fn ringback_cadence_repeats_after_4_5_s() {
    let rate = 8000;
    let (pcm, _) = render(ToneKind::Ringback, rate, 8000 * 6);
    let sec = |a: f32, b: f32| &pcm[(a * 8000.0) as usize..(b * 8000.0) as usize];
    assert!(rms_dbfs(sec(0.1, 1.4)) > -14.0);
    assert_eq!(rms_dbfs(sec(1.51, 4.49)), -120.0);
    assert!(rms_dbfs(sec(4.6, 5.9)) > -14.0);
}

#[test]
fn beep_is_1_khz_for_half_a_second_then_finishes() {
    for &rate in &[8000u32, 16000, 48000] {
        let (pcm, written) = render(ToneKind::Beep, rate, rate as usize);
        assert_eq!(written, rate as usize / 2);
        let f = dominant_frequency(&pcm[..written], rate);
        assert!((f - 1000.0).abs() < 2.0, "{f}");
        assert!(pcm[written..].iter().all(|&s| s == 0));
        let mut g = ToneGenerator::new(ToneKind::Beep, rate);
        let mut big = vec![0i16; rate as usize];
        assert_eq!(g.fill(&mut big), written);
        assert!(g.is_finished());
        assert_eq!(g.fill(&mut big), 0);
    }
}

#[test]
fn dtmf_digits_carry_their_q23_pair_for_100_ms() {
    for key in "0123456789*#ABCD".chars() {
        let (row, col) = dtmf_frequencies(key).unwrap();
        let (pcm, written) = render(ToneKind::Dtmf(key), 8000, 1600);
        assert_eq!(written, 800, "{key}");
        let body = &pcm[40..760];
        let total = rms_dbfs(body);
        let pr = goertzel_power(body, 8000, row);
        let pc = goertzel_power(body, 8000, col);
        // Both tones equal, and together they are the whole signal.
        assert!((pr / pc - 1.0).abs() < 0.05, "{key}");
        let both_db = 10.0 * ((pr + pc) as f64).log10() + 3.0103;
        assert!(
            (both_db as f32 - total).abs() < 0.3,
            "{key}: {both_db} vs {total}"
        );
    }
    let mut g = ToneGenerator::new(ToneKind::Dtmf('x'), 8000);
    assert!(g.is_finished());
    assert_eq!(g.fill(&mut [1i16; 10]), 0);
}

/// The largest sample-to-sample jump of a 425 Hz tone at -13 dBFS is 2π·425/8000 of the
/// amplitude (about 2 300); an edge without a ramp would jump by up to the full amplitude.
#[test]
fn cadence_edges_are_ramped_and_phase_continuous() {
    let (pcm, _) = render(ToneKind::Congestion, 8000, 8000 * 3);
    let amplitude = dbfs_to_amplitude(PROGRESS_DBFS);
    let max_step = amplitude * std::f64::consts::TAU * 425.0 / 8000.0;
    for w in pcm.windows(2) {
        let d = (i32::from(w[1]) - i32::from(w[0])).abs();
        assert!(f64::from(d) <= max_step * 1.01 + 1.0, "jump {d}");
    }
    // Dial tone starts from silence, too.
    let (dial, _) = render(ToneKind::Dial, 8000, 100);
    assert!(dial[0].abs() < 100);
}

#[test]
fn degenerate_rates_do_not_panic() {
    for kind in [ToneKind::Busy, ToneKind::Beep, ToneKind::Dtmf('5')] {
        let mut g = ToneGenerator::new(kind, 0);
        let mut out = [0i16; 64];
        g.fill(&mut out);
        g.fill(&mut out);
    }
    assert!(sine(1000.0, 0.0, 0, 10).len() == 10);
}

/// CPU cost of generating tones per 20 ms frame (run with `--ignored --nocapture` in release).
#[test]
#[ignore]
fn bench_cost_per_20ms_frame() {
    for &rate in &[8000u32, 48000] {
        for kind in [ToneKind::Dial, ToneKind::Dtmf('5')] {
            let mut g = ToneGenerator::new(kind, rate);
            let mut frame = vec![0i16; rate as usize / 50];
            let frames = 5000u64;
            let cpu = crate::dsp::test_signal::thread_cpu_ns();
            for _ in 0..frames {
                if g.fill(std::hint::black_box(&mut frame)) < frame.len() {
                    g = ToneGenerator::new(kind, rate);
                }
            }
            let ns = (crate::dsp::test_signal::thread_cpu_ns() - cpu) / frames;
            println!("tone {kind:?} at {rate} Hz: {ns} ns CPU per 20 ms frame");
        }
    }
}
