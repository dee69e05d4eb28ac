use super::*;
use crate::dsp::test_signal::{add_at, dtmf, noise, two_tones};
use crate::dsp::tone::{dtmf_frequencies, ToneGenerator, ToneKind};

const ALL: &str = "123A456B789C*0#D";

/// Each key of `keys` for `on` ms then `off` ms of silence, plus optional noise.
fn sequence(
    keys: &str,
    level: f32,
    twist: f32,
    rate: u32,
    on_ms: usize,
    off_ms: usize,
) -> Vec<i16> {
    let per_ms = rate as usize / 1000;
    let mut pcm = vec![0i16; per_ms * 50];
    for key in keys.chars() {
        pcm.extend(dtmf(key, level, twist, rate, on_ms * per_ms));
        pcm.extend(std::iter::repeat_n(0, off_ms * per_ms));
    }
    pcm
}

fn detect(rate: u32, pcm: &[i16], chunk: usize) -> String {
    let mut d = DtmfDetector::new(rate);
    let mut digits = Vec::new();
    for c in pcm.chunks(chunk) {
        d.process(c, &mut digits);
    }
    digits.into_iter().collect()
}

#[test]
fn every_key_at_every_level_and_rate() {
    for &rate in &[8000u32, 16000, 48000] {
        for &level in &[-3.0f32, -10.0, -20.0, -30.0, -36.0] {
            let pcm = sequence(ALL, level, 0.0, rate, 100, 100);
            assert_eq!(
                detect(rate, &pcm, rate as usize / 50),
                ALL,
                "{rate} Hz, {level} dBFS"
            );
        }
    }
}

#[test]
fn twist_within_limits_is_accepted_and_beyond_is_rejected() {
    for &twist in &[-5.0f32, -3.0, 3.0, 6.0] {
        let pcm = sequence(ALL, -12.0, twist, 8000, 100, 100);
        assert_eq!(detect(8000, &pcm, 160), ALL, "twist {twist}");
    }
    for &twist in &[-10.0f32, 12.0] {
        let pcm = sequence(ALL, -12.0, twist, 8000, 100, 100);
        assert_eq!(detect(8000, &pcm, 160), "", "twist {twist}");
    }
}

#[test]
fn keys_in_white_noise_at_15_and_20_db_snr() {
    for &rate in &[8000u32, 16000] {
        for &snr in &[15.0f32, 20.0] {
            for &level in &[-10.0f32, -25.0] {
                let mut pcm = sequence(ALL, level, 0.0, rate, 100, 100);
                let n = noise(level - snr, pcm.len(), 12345);
                add_at(&mut pcm, &n, 0);
                assert_eq!(
                    detect(rate, &pcm, 160),
                    ALL,
                    "{rate} Hz {level} dBFS SNR {snr}"
                );
            }
        }
    }
}

#[test]
fn noise_and_silence_alone_dial_nothing() {
    for &level in &[-50.0f32, -30.0, -10.0] {
        assert_eq!(detect(8000, &noise(level, 8000 * 20, 7), 160), "");
    }
    assert_eq!(detect(8000, &[0; 16000], 160), "");
}

#[test]
fn too_quiet_keys_and_single_tones_are_ignored() {
    assert_eq!(
        detect(8000, &sequence(ALL, -48.0, 0.0, 8000, 100, 100), 160),
        ""
    );
    // One tone of the pair only.
    let row = crate::dsp::tone::sine(697.0, -10.0, 8000, 8000);
    let col = crate::dsp::tone::sine(1336.0, -10.0, 8000, 8000);
    assert_eq!(detect(8000, &row, 160), "");
    assert_eq!(detect(8000, &col, 160), "");
}

#[test]
fn duration_below_the_minimum_is_rejected() {
    assert_eq!(
        detect(8000, &sequence("5", -10.0, 0.0, 8000, 20, 100), 160),
        ""
    );
    assert_eq!(
        detect(8000, &sequence("5", -10.0, 0.0, 8000, 30, 100), 160),
        ""
    );
    assert_eq!(
        detect(8000, &sequence("5", -10.0, 0.0, 8000, 55, 100), 160),
        "5"
    );
}

#[test]
fn one_report_per_press() {
    // A long press is one digit.
    assert_eq!(
        detect(8000, &sequence("7", -10.0, 0.0, 8000, 2000, 100), 160),
        "7"
    );
    // The same key twice needs a release in between (a 50 ms gap is one).
    assert_eq!(
        detect(8000, &sequence("77", -10.0, 0.0, 8000, 80, 50), 160),
        "77"
    );
    // A 5 ms drop-out inside one press does not split it.
    let mut pcm = sequence("9", -10.0, 0.0, 8000, 300, 100);
    for s in &mut pcm[400 + 1200..400 + 1240] {
        *s = 0;
    }
    assert_eq!(detect(8000, &pcm, 160), "9");
    // A key changing straight into another reports both.
    let mut pcm = dtmf('1', -10.0, 0.0, 8000, 800);
    pcm.extend(dtmf('2', -10.0, 0.0, 8000, 800));
    assert_eq!(detect(8000, &pcm, 160), "12");
}

#[test]
fn slicing_does_not_change_the_result() {
    let mut pcm = sequence("0123456789", -15.0, 2.0, 8000, 70, 60);
    add_at(&mut pcm, &noise(-35.0, 80_000, 99), 0);
    let whole = detect(8000, &pcm, pcm.len());
    assert_eq!(whole, "0123456789");
    for &chunk in &[1usize, 7, 101, 160, 333] {
        assert_eq!(detect(8000, &pcm, chunk), whole, "chunk {chunk}");
    }
}

#[test]
fn odd_rates_and_extreme_samples_do_not_panic() {
    let mut digits = Vec::new();
    for &rate in &[0u32, 1, 4000, 11025, 192_000] {
        let mut d = DtmfDetector::new(rate);
        d.process(&[i16::MAX, i16::MIN, 0, -1].repeat(500), &mut digits);
        d.reset();
    }
}

/// Q.23 senders may be off by up to ±1.5 %: still the same key.
#[test]
fn frequency_deviation_of_1_5_percent_is_accepted() {
    for &dev in &[-0.015f32, 0.015] {
        for key in ALL.chars() {
            let (row, col) = dtmf_frequencies(key).unwrap();
            let mut pcm = vec![0i16; 400];
            pcm.extend(two_tones(
                row * (1.0 + dev),
                col * (1.0 + dev),
                -15.0,
                0.0,
                8000,
                800,
            ));
            pcm.extend([0i16; 800]);
            assert_eq!(detect(8000, &pcm, 160), key.to_string(), "{key} {dev}");
        }
    }
}

/// The box's own progress tones and beep never dial.
#[test]
fn progress_tones_and_beep_never_dial() {
    for &rate in &[8000u32, 16000] {
        for kind in [
            ToneKind::Dial,
            ToneKind::Busy,
            ToneKind::Ringback,
            ToneKind::Congestion,
            ToneKind::Beep,
        ] {
            let mut pcm = vec![0i16; rate as usize * 10];
            ToneGenerator::new(kind, rate).fill(&mut pcm);
            assert_eq!(
                detect(rate, &pcm, rate as usize / 50),
                "",
                "{kind:?} {rate}"
            );
        }
    }
}

/// CPU cost of the detector per 20 ms frame (run with `--ignored --nocapture` in release).
#[test]
#[ignore]
fn bench_cost_per_20ms_frame() {
    for &rate in &[8000u32, 16000] {
        let frame = rate as usize / 50;
        let mut pcm = sequence(ALL, -15.0, 0.0, rate, 100, 100);
        let hiss = noise(-40.0, pcm.len(), 3);
        add_at(&mut pcm, &hiss, 0);
        let frames = pcm.len() / frame;
        let pcm = pcm;
        let mut d = DtmfDetector::new(rate);
        let mut digits = Vec::new();
        let rounds = 200;
        let cpu = crate::dsp::test_signal::thread_cpu_ns();
        for _ in 0..rounds {
            for f in pcm.chunks_exact(frame) {
                d.process(std::hint::black_box(f), &mut digits);
            }
        }
        let ns = (crate::dsp::test_signal::thread_cpu_ns() - cpu) / (rounds * frames) as u64;
        println!("dtmf detector at {rate} Hz: {ns} ns CPU per 20 ms frame");
    }
}
