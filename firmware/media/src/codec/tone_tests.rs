//! A 1 kHz tone keeps its frequency and level through each codec and through a chain of
//! transcodings, as a call between phones with no common codec would carry it.

use super::test_signal::{assert_tone, through};
use super::CodecKind;
use crate::dsp::tone::sine;
use crate::resample::resample;

const LEVEL: f32 = -12.0;

fn tone(rate: u32, seconds: f32) -> Vec<i16> {
    sine(1000.0, LEVEL, rate, (rate as f32 * seconds) as usize)
}

fn tolerance(kind: CodecKind) -> f32 {
    if kind == CodecKind::Opus {
        2.0
    } else {
        1.0
    }
}

#[test]
fn tone_through_each_codec() {
    for kind in CodecKind::ALL {
        let rate = kind.sample_rate();
        let out = through(kind, &tone(rate, 1.0));
        assert_tone(&out, rate, 1000.0, LEVEL, tolerance(kind));
    }
}

#[test]
fn tone_through_a_transcoding_chain() {
    // PCMU -> PCM -> Opus -> PCM -> G.722 -> PCM -> PCMA, resampling at each rate change.
    let mut pcm = through(CodecKind::Pcmu, &tone(8000, 1.5));
    let mut rate = 8000;
    for kind in [CodecKind::Opus, CodecKind::G722, CodecKind::Pcma] {
        let converted = resample(&pcm, rate, kind.sample_rate()).unwrap();
        rate = kind.sample_rate();
        pcm = through(kind, &converted);
    }
    assert_eq!(rate, 8000);
    assert_tone(&pcm, rate, 1000.0, LEVEL, 2.0);
}

#[test]
fn tone_across_every_pair() {
    // Every direction a transcoded call can take: decode one codec, resample, encode the other.
    for from in CodecKind::ALL {
        for to in CodecKind::ALL {
            let first = through(from, &tone(from.sample_rate(), 0.6));
            let converted = resample(&first, from.sample_rate(), to.sample_rate()).unwrap();
            let out = through(to, &converted);
            let tol = tolerance(from).max(tolerance(to));
            assert_tone(&out, to.sample_rate(), 1000.0, LEVEL, tol);
        }
    }
}
