//! In-band keys still detected after a trip through every codec the box speaks, with the
//! box's own ToneGenerator as the sender.

use crate::codec::{decoder, encoder, CodecKind};
use crate::dsp::dtmf_detect::DtmfDetector;
use crate::dsp::tone::{ToneGenerator, ToneKind};

const KEYS: &str = "123A456B789C*0#D";

/// Each key from the generator (100 ms) then 100 ms of silence, scaled by `gain_db`.
fn keys_pcm(rate: u32, gain_db: f32) -> Vec<i16> {
    let g = 10f32.powf(gain_db / 20.0);
    let mut pcm = vec![0i16; rate as usize / 10];
    for key in KEYS.chars() {
        let mut tone = vec![0i16; rate as usize / 5];
        let n = ToneGenerator::new(ToneKind::Dtmf(key), rate).fill(&mut tone);
        assert_eq!(n, rate as usize / 10);
        pcm.extend(tone.iter().map(|&s| (f32::from(s) * g) as i16));
    }
    pcm
}

fn through(kind: CodecKind, pcm: &[i16]) -> Vec<i16> {
    let mut enc = encoder(kind).unwrap();
    let mut dec = decoder(kind).unwrap();
    let mut out = Vec::new();
    for frame in pcm.chunks_exact(kind.frame_samples()) {
        let mut payload = Vec::new();
        enc.encode(frame, &mut payload).unwrap();
        dec.decode(&payload, &mut out).unwrap();
    }
    out
}

fn detect(rate: u32, pcm: &[i16]) -> String {
    let mut d = DtmfDetector::new(rate);
    let mut digits = Vec::new();
    for f in pcm.chunks(rate as usize / 50) {
        d.process(f, &mut digits);
    }
    digits.into_iter().collect()
}

#[test]
fn generated_keys_survive_every_codec() {
    for kind in CodecKind::ALL {
        let rate = kind.sample_rate();
        // The generator's level (about -7 dBFS for the pair) and 23 dB quieter.
        for &gain in &[0.0f32, -23.0] {
            let decoded = through(kind, &keys_pcm(rate, gain));
            assert_eq!(detect(rate, &decoded), KEYS, "{kind:?} at {gain} dB");
        }
    }
}
