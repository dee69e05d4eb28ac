use super::*;

fn sine(freq: f64, rate: u32, n: usize, amp: f64) -> Vec<i16> {
    (0..n)
        .map(|i| {
            let t = i as f64 / f64::from(rate);
            (amp * (2.0 * std::f64::consts::PI * freq * t).sin()).round() as i16
        })
        .collect()
}

/// Amplitude of the `freq` component (single-bin DFT, normalised so a sine of
/// amplitude A reads A).
fn amplitude(pcm: &[i16], rate: u32, freq: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &s) in pcm.iter().enumerate() {
        let w = 2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(rate);
        re += f64::from(s) * w.cos();
        im -= f64::from(s) * w.sin();
    }
    2.0 * (re * re + im * im).sqrt() / pcm.len() as f64
}

fn rms(pcm: &[i16]) -> f64 {
    (pcm.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / pcm.len().max(1) as f64).sqrt()
}

fn db(ratio: f64) -> f64 {
    20.0 * ratio.max(1e-12).log10()
}

/// Middle of a signal, away from start-up and tail transients.
fn middle(pcm: &[i16], rate: u32) -> &[i16] {
    let skip = rate as usize / 10;
    &pcm[skip..pcm.len() - skip]
}

const PAIRS: &[(u32, u32)] = &[
    (8000, 16000),
    (16000, 8000),
    (8000, 48000),
    (48000, 8000),
    (16000, 48000),
    (48000, 16000),
    (44100, 16000),
    (22050, 16000),
    (11025, 16000),
    (16000, 44100),
    (96000, 16000),
    (4000, 192000),
    (192000, 8000),
    (44100, 47999), // up = 6857: the quantised-phase table
];

#[test]
fn rates_are_checked() {
    assert_eq!(
        Resampler::new(3999, 8000).err(),
        Some(ResampleError::RateOutOfRange { hz: 3999 })
    );
    assert_eq!(
        resample(&[1], 8000, 192_001).err(),
        Some(ResampleError::RateOutOfRange { hz: 192_001 })
    );
    assert!(Resampler::new(4000, 192_000).is_ok());
}

#[test]
fn tone_keeps_frequency_and_level() {
    for &(from, to) in PAIRS {
        let input = sine(1000.0, from, from as usize, 16000.0);
        let out = resample(&input, from, to).unwrap();
        assert_eq!(out.len(), to as usize, "{from}->{to} length");
        let mid = middle(&out, to);
        let a = amplitude(mid, to, 1000.0);
        assert!((db(a / 16000.0)).abs() < 0.2, "{from}->{to}: level {a}");
        // Nothing but the tone: total RMS equals the tone's RMS.
        let residual = (rms(mid).powi(2) - (a / 2f64.sqrt()).powi(2))
            .max(0.0)
            .sqrt();
        assert!(
            db(residual / 16000.0) < -45.0,
            "{from}->{to}: residual {residual}"
        );
        // The peak is at 1 kHz, not next to it.
        let peak = (990..=1010)
            .map(|f| (f, amplitude(&mid[..to as usize / 2], to, f64::from(f))))
            .max_by(|x, y| x.1.total_cmp(&y.1))
            .unwrap()
            .0;
        assert_eq!(peak, 1000, "{from}->{to}");
    }
}

#[test]
fn content_above_new_nyquist_is_attenuated() {
    let cases: &[(u32, u32, &[f64])] = &[
        (
            48000,
            8000,
            &[4000.0, 4300.0, 5000.0, 7000.0, 12000.0, 20000.0],
        ),
        (16000, 8000, &[4000.0, 4300.0, 5500.0, 7500.0]),
        (48000, 16000, &[8000.0, 8600.0, 12000.0, 23000.0]),
        (44100, 16000, &[8000.0, 9000.0, 15000.0, 21000.0]),
        (44100, 8000, &[4000.0, 4500.0, 10000.0]),
    ];
    for &(from, to, freqs) in cases {
        for &f in freqs {
            let input = sine(f, from, from as usize, 16000.0);
            let out = resample(&input, from, to).unwrap();
            let level = db(rms(middle(&out, to)) / rms(&input));
            assert!(level <= -40.0, "{from}->{to} {f} Hz: {level:.1} dB");
        }
    }
}

#[test]
fn upsampling_images_are_attenuated() {
    for &(from, to) in &[(8000u32, 48000u32), (8000, 16000), (16000, 48000)] {
        let f = 0.75 * f64::from(from) / 2.0; // 3 kHz at 8 kHz
        let input = sine(f, from, from as usize, 16000.0);
        let out = resample(&input, from, to).unwrap();
        let mid = middle(&out, to);
        let wanted = amplitude(mid, to, f);
        let mut image = f64::from(from) - f;
        while image < f64::from(to) / 2.0 {
            let a = amplitude(mid, to, image);
            assert!(db(a / wanted) < -40.0, "{from}->{to} image {image}: {a}");
            image += f64::from(from);
        }
    }
}

#[test]
fn chunked_streaming_equals_one_call() {
    for &(from, to) in PAIRS {
        let input = sine(700.0, from, from as usize / 4, 9000.0);
        let mut whole = Vec::new();
        Resampler::new(from, to)
            .unwrap()
            .process(&input, &mut whole);
        let mut chunked = Vec::new();
        let mut r = Resampler::new(from, to).unwrap();
        let mut rest = &input[..];
        let mut size = 1;
        while !rest.is_empty() {
            let n = size.min(rest.len());
            r.process(&rest[..n], &mut chunked);
            rest = &rest[n..];
            size = (size * 7 + 3) % 997;
        }
        assert_eq!(chunked, whole, "{from}->{to}");
    }
}

#[test]
fn packets_give_whole_frames() {
    for &(from, to, inn, outn) in &[
        (8000u32, 48000u32, 160usize, 960usize),
        (48000, 8000, 960, 160),
        (8000, 16000, 160, 320),
        (16000, 8000, 320, 160),
        (16000, 48000, 320, 960),
        (48000, 16000, 960, 320),
    ] {
        let mut r = Resampler::new(from, to).unwrap();
        let input = sine(1000.0, from, inn * 10, 8000.0);
        for frame in input.chunks(inn) {
            let mut out = Vec::new();
            r.process(frame, &mut out);
            assert_eq!(out.len(), outn, "{from}->{to}");
        }
    }
}

#[test]
fn streaming_is_the_one_shot_delayed() {
    let input = sine(1000.0, 8000, 800, 10000.0);
    let mut r = Resampler::new(8000, 48000).unwrap();
    let delay = r.delay_input_samples() * 6;
    let mut streamed = Vec::new();
    r.process(&input, &mut streamed);
    let aligned = resample(&input, 8000, 48000).unwrap();
    assert_eq!(streamed[delay..], aligned[..aligned.len() - delay]);
}

#[test]
fn same_rate_passes_through_and_dc_stays() {
    let input = sine(440.0, 16000, 500, 3000.0);
    assert_eq!(resample(&input, 16000, 16000).unwrap(), input);
    let dc = vec![1234i16; 4800];
    let out = resample(&dc, 48000, 8000).unwrap();
    assert!(out[100..700].iter().all(|&s| (s - 1234).abs() <= 1));
    // Full-scale input does not wrap around.
    let loud = sine(1000.0, 8000, 8000, 32767.0);
    let up = resample(&loud, 8000, 48000).unwrap();
    assert!(amplitude(middle(&up, 48000), 48000, 1000.0) > 32000.0);
    assert!(resample(&[], 8000, 48000).unwrap().is_empty());
}

/// Per-packet cost of the call paths. Run with
/// `cargo test -p media --release resample::tests::bench -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_ns_per_20ms_frame() {
    for &(from, to) in &[
        (8000u32, 48000u32),
        (48000, 8000),
        (8000, 16000),
        (16000, 8000),
        (16000, 48000),
        (48000, 16000),
    ] {
        let frame = from as usize / 50;
        let input = sine(1000.0, from, frame * 50, 10000.0);
        let mut r = Resampler::new(from, to).unwrap();
        let mut out = Vec::with_capacity(4096);
        let frames = 5000;
        let start = std::time::Instant::now();
        for i in 0..frames {
            out.clear();
            let k = (i % 50) * frame;
            r.process(std::hint::black_box(&input[k..k + frame]), &mut out);
        }
        let ns = start.elapsed().as_nanos() / frames as u128;
        println!(
            "{from:>6} -> {to:>6}: {ns:>8} ns per 20 ms frame ({} taps)",
            r.delay_input_samples() * 2
        );
    }
}
