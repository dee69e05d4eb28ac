use super::*;
use crate::dsp::analyse::goertzel_power;
use crate::dsp::level::rms_dbfs;

#[test]
fn thirty_seconds_at_the_target_level_without_clipping() {
    for &rate in &[8000u32, 16000, 48000] {
        let t = default_track(rate);
        assert_eq!(t.len(), 30 * rate as usize);
        let level = rms_dbfs(&t);
        assert!((level - TARGET_DBFS).abs() < 0.2, "{rate}: {level}");
        let peak = t.iter().map(|s| i32::from(*s).abs()).max().unwrap();
        assert!(peak < 30_000, "{rate}: peak {peak}");
        // Music all the way through: no second is near silence.
        for (i, sec) in t.chunks(rate as usize).enumerate() {
            assert!(rms_dbfs(sec) > -30.0, "{rate}: second {i} is quiet");
        }
    }
}

#[test]
fn deterministic() {
    assert_eq!(default_track(8000), default_track(8000));
}

/// The loop point is as smooth as any other point: the jump from the last sample to the first
/// is no bigger than the largest sample-to-sample step inside the track.
#[test]
fn loops_without_a_click() {
    for &rate in &[8000u32, 16000] {
        let t = default_track(rate);
        let max_step = t
            .windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap();
        let wrap = (i32::from(t[0]) - i32::from(t[t.len() - 1])).abs();
        assert!(wrap <= max_step, "{rate}: wrap {wrap} vs {max_step}");
        // The level changes at the loop point no more than at the other bar lines.
        let n = rate as usize / 20;
        let step_at = |at: usize| {
            let before = if at == 0 {
                &t[t.len() - n..]
            } else {
                &t[at - n..at]
            };
            (rms_dbfs(&t[at..at + n]) - rms_dbfs(before)).abs()
        };
        let bar = t.len() / 8;
        let worst_bar_line = (1..8).map(|b| step_at(b * bar)).fold(0.0f32, f32::max);
        assert!(
            step_at(0) <= worst_bar_line + 1.0,
            "{rate}: {} vs {worst_bar_line}",
            step_at(0)
        );
    }
}

#[test]
fn nothing_aliases_at_8_khz() {
    // Energy near Nyquist (3.6-4 kHz) is negligible next to the music's body.
    let t = default_track(8000);
    let body = goertzel_power(&t, 8000, 523.25) + goertzel_power(&t, 8000, 659.25);
    for f in [3700.0f32, 3850.0, 3950.0] {
        assert!(goertzel_power(&t, 8000, f) < body * 1e-4, "{f}");
    }
}

/// Cost of rendering the track (run with `--ignored --nocapture` in release).
#[test]
#[ignore]
fn bench_render_30_s() {
    for &rate in &[8000u32, 16000, 48000] {
        let cpu = crate::dsp::test_signal::thread_cpu_ns();
        let wall = std::time::Instant::now();
        let t = std::hint::black_box(default_track(rate));
        let cpu = crate::dsp::test_signal::thread_cpu_ns() - cpu;
        println!(
            "moh 30 s at {rate} Hz: {:.1} ms CPU ({:?} wall, {} samples)",
            cpu as f64 / 1e6,
            wall.elapsed(),
            t.len()
        );
    }
}
