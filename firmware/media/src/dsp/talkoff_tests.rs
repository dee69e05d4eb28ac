//! Talk-off: speech and music must never dial, and keys pressed while someone talks must
//! still be heard. Fixtures: tests/fixtures/dsp (espeak-ng speech, see its README) and the
//! default music-on-hold track.

use crate::dsp::dtmf_detect::DtmfDetector;
use crate::dsp::level::rms_dbfs;
use crate::dsp::test_signal::{add_at, dtmf, fixture};

fn detect(rate: u32, pcm: &[i16]) -> String {
    let mut d = DtmfDetector::new(rate);
    let mut digits = Vec::new();
    for f in pcm.chunks(rate as usize / 50) {
        d.process(f, &mut digits);
    }
    digits.into_iter().collect()
}

fn gain(pcm: &[i16], db: f32) -> Vec<i16> {
    let g = 10f32.powf(db / 20.0);
    pcm.iter()
        .map(|&s| (f32::from(s) * g).round().clamp(-32768.0, 32767.0) as i16)
        .collect()
}

fn speech() -> Vec<(String, Vec<i16>)> {
    ["speech_es.wav", "speech_en.wav", "speech_tones.wav"]
        .iter()
        .map(|n| (n.to_string(), fixture(n)))
        .collect()
}

#[test]
fn speech_never_dials_at_any_level() {
    for (name, pcm) in speech() {
        for &db in &[-20.0f32, -10.0, 0.0, 6.0] {
            assert_eq!(detect(8000, &gain(&pcm, db)), "", "{name} at {db} dB");
        }
    }
}

#[test]
fn keys_10_db_above_speech_are_detected() {
    let keys = "123A456B789C*0#D";
    for (name, mut pcm) in speech() {
        let step = pcm.len() / (keys.len() + 1);
        for (i, key) in keys.chars().enumerate() {
            let at = step * (i + 1);
            let len = 800; // 100 ms
                           // 10 dB above the speech under the key (and never below -30 dBFS).
            let local = rms_dbfs(&pcm[at..at + len]).max(-40.0);
            let tone = dtmf(key, local + 10.0, 0.0, 8000, len);
            add_at(&mut pcm, &tone, at);
        }
        assert_eq!(detect(8000, &pcm), keys, "{name}");
    }
}

#[test]
fn music_on_hold_never_dials() {
    let track = crate::dsp::moh::default_track(8000);
    for &db in &[-10.0f32, 0.0, 12.0] {
        assert_eq!(detect(8000, &gain(&track, db)), "", "moh at {db} dB");
    }
    let track = crate::dsp::moh::default_track(16000);
    assert_eq!(detect(16000, &track), "", "moh at 16 kHz");
}

/// The same at 16 kHz (a G.722 or Opus caller): speech upsampled, keys added at 16 kHz.
#[test]
fn at_16_khz_speech_never_dials_and_keys_over_it_are_detected() {
    let keys = "0123456789*#";
    for (name, pcm) in speech() {
        let mut up = crate::resample::resample(&pcm, 8000, 16000).unwrap();
        assert_eq!(detect(16000, &up), "", "{name}");
        let step = up.len() / (keys.len() + 1);
        for (i, key) in keys.chars().enumerate() {
            let at = step * (i + 1);
            let local = rms_dbfs(&up[at..at + 1600]).max(-40.0);
            let tone = dtmf(key, local + 10.0, 0.0, 16000, 1600);
            add_at(&mut up, &tone, at);
        }
        assert_eq!(detect(16000, &up), keys, "{name}");
    }
}
