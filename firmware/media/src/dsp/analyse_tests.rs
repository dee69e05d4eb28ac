use super::*;
use crate::dsp::tone::sine;

#[test]
fn goertzel_power_of_a_tone_matches_its_mean_square() {
    // -6 dBFS sine: amplitude 0.5 of full scale, power 0.125.
    let pcm = sine(1000.0, -6.0206, 8000, 8000);
    let p = goertzel_power(&pcm, 8000, 1000.0);
    assert!((p - 0.125).abs() < 0.002, "{p}");
    // Far from the tone, almost nothing.
    assert!(goertzel_power(&pcm, 8000, 1500.0) < 1e-5);
}

#[test]
fn goertzel_power_degenerate_input_is_zero() {
    assert_eq!(goertzel_power(&[], 8000, 1000.0), 0.0);
    assert_eq!(goertzel_power(&[1, 2, 3], 0, 1000.0), 0.0);
}

#[test]
fn dominant_frequency_is_within_5_hz_for_clean_tones() {
    for &rate in &[8000u32, 16000, 48000] {
        for &f in &[200.0f32, 425.0, 697.0, 1000.0, 1633.0, 3000.0, 3397.0] {
            for &secs in &[0.2f32, 0.5, 1.0] {
                let n = (rate as f32 * secs) as usize;
                let pcm = sine(f, -20.0, rate, n);
                let got = dominant_frequency(&pcm, rate);
                assert!(
                    (got - f).abs() < 1.0,
                    "rate {rate} f {f} secs {secs}: {got}"
                );
            }
        }
    }
}

#[test]
fn dominant_frequency_of_an_odd_length_and_a_louder_second_tone() {
    let mut pcm = sine(941.0, -20.0, 8000, 1777);
    let loud = sine(1336.0, -10.0, 8000, 1777);
    for (a, b) in pcm.iter_mut().zip(loud) {
        *a = a.saturating_add(b);
    }
    let got = dominant_frequency(&pcm, 8000);
    assert!((got - 1336.0).abs() < 2.0, "{got}");
}

#[test]
fn dominant_frequency_ignores_dc_and_handles_silence() {
    assert_eq!(dominant_frequency(&[], 8000), 0.0);
    assert_eq!(dominant_frequency(&[0; 800], 8000), 0.0);
    let pcm: Vec<i16> = sine(440.0, -20.0, 8000, 4000)
        .into_iter()
        .map(|s| s.saturating_add(3000))
        .collect();
    let got = dominant_frequency(&pcm, 8000);
    assert!((got - 440.0).abs() < 1.0, "{got}");
}

#[test]
fn fft_matches_a_direct_dft() {
    let mut re: Vec<f64> = (0..16).map(|i| ((i * 7) % 5) as f64 - 2.0).collect();
    let x = re.clone();
    let mut im = vec![0.0; 16];
    fft(&mut re, &mut im);
    for k in 0..16 {
        let (mut dr, mut di) = (0.0, 0.0);
        for (n, v) in x.iter().enumerate() {
            let a = -2.0 * PI * (k * n) as f64 / 16.0;
            dr += v * a.cos();
            di += v * a.sin();
        }
        assert!((dr - re[k]).abs() < 1e-9 && (di - im[k]).abs() < 1e-9);
    }
}

#[test]
fn dominant_frequency_finds_a_tone_late_in_a_long_capture() {
    // 20 s at 8 kHz: 16 s of faint hum, then 4 s of the tone.
    let mut pcm = sine(150.0, -50.0, 8000, 160_000);
    let tone = sine(1000.0, -12.0, 8000, 32_000);
    for (a, b) in pcm[128_000..].iter_mut().zip(tone) {
        *a = a.saturating_add(b);
    }
    let got = dominant_frequency(&pcm, 8000);
    assert!((got - 1000.0).abs() < 1.0, "{got}");
}
