#![allow(clippy::unwrap_used)]

use super::wav::parse_wav;
use super::*;

#[test]
fn g711_round_trips_within_quantisation() {
    for s in (-32_768i32..=32_767).step_by(97) {
        let s = s as i16;
        let u = ulaw_decode(ulaw_encode(s));
        let a = alaw_decode(alaw_encode(s));
        // Segment step of the largest segment is 1024 (µ) / 1024 (A): half of it is the error bound.
        let bound = 1100;
        assert!((i32::from(u) - i32::from(s)).abs() <= bound, "µ {s} -> {u}");
        assert!((i32::from(a) - i32::from(s)).abs() <= bound, "A {s} -> {a}");
    }
    // Known code points (G.711 tables): µ-law silence is 0xFF, A-law 0xD5.
    assert_eq!(ulaw_encode(0), 0xff);
    assert_eq!(alaw_encode(0), 0xd5);
    assert_eq!(ulaw_decode(0xff), 0);
    assert_eq!(alaw_decode(0xd5), 8);
}

#[test]
fn tone_measurements_find_the_tone() {
    let tone = tone_ms(440.0, -10.0, RATE_8K, 1000);
    assert!((dominant_frequency(&tone, RATE_8K) - 440.0).abs() <= 2.0);
    assert!(tone_fraction(&tone, RATE_8K, 440.0) > 0.95);
    assert!(tone_fraction(&tone, RATE_8K, 1000.0) < 0.01);
    // A sine at -10 dBFS peak has an RMS of -13 dBFS.
    assert!((rms_dbfs(&tone) + 13.0).abs() < 0.2, "{}", rms_dbfs(&tone));
    assert_eq!(rms_dbfs(&[0; 160]), -120.0);
}

#[test]
fn bursts_are_found_with_their_gaps() {
    let mut pcm = tone_ms(440.0, -10.0, RATE_8K, 1000);
    pcm.extend(vec![0; 8000]);
    pcm.extend(tone_ms(440.0, -10.0, RATE_8K, 500));
    pcm.extend(tone_ms(1000.0, -10.0, RATE_8K, 300));
    let bursts = tone_bursts(&pcm, RATE_8K, 440.0, 200);
    assert_eq!(bursts.len(), 2, "{bursts:?}");
    assert_eq!(bursts[0].start_ms, 0);
    assert_eq!(bursts[1].start_ms, 2000);
    let beep = tone_bursts(&pcm, RATE_8K, 1000.0, 200);
    assert_eq!(beep.len(), 1, "{beep:?}");
    assert_eq!(beep[0].start_ms, 2500);
}

#[test]
fn wav_written_is_read_back() {
    let samples: Vec<i16> = (0..100).map(|i| i * 300 - 15_000).collect();
    let bytes = wav_pcm16(16_000, 2, &samples);
    let wav = parse_wav(&bytes).unwrap();
    assert_eq!((wav.sample_rate, wav.channels), (16_000, 2));
    assert_eq!(wav.samples, samples);
    assert_eq!(
        channel(&wav.samples, 2, 1),
        samples[1..].iter().step_by(2).copied().collect::<Vec<_>>()
    );
    // A header whose data size was never patched (0) still yields the samples.
    let mut open = bytes.clone();
    open[40..44].copy_from_slice(&0u32.to_le_bytes());
    assert_eq!(parse_wav(&open).unwrap().samples, samples);
    assert!(parse_wav(b"hello").is_err());
}
