//! Helpers shared by the codec tests: run PCM through a codec and measure a tone.

use super::{decoder, encoder, CodecKind};
use crate::dsp::analyse::dominant_frequency;
use crate::dsp::level::rms_dbfs;

/// Encodes `pcm` (at the codec's rate) 20 ms at a time and decodes every payload, as an
/// RTP stream would carry it. A trailing partial frame is dropped.
pub(super) fn through(kind: CodecKind, pcm: &[i16]) -> Vec<i16> {
    let mut enc = encoder(kind).unwrap();
    let mut dec = decoder(kind).unwrap();
    let mut out = Vec::with_capacity(pcm.len());
    let mut payload = Vec::new();
    for frame in pcm.chunks_exact(kind.frame_samples()) {
        payload.clear();
        enc.encode(frame, &mut payload).unwrap();
        assert!(!payload.is_empty());
        let n = dec.decode(&payload, &mut out).unwrap();
        assert_eq!(n, kind.frame_samples());
    }
    out
}

/// Checks that `pcm` is a tone of `freq` Hz (±5 Hz) at `level` dBFS (± `tolerance_db`),
/// skipping the first 100 ms (codec start-up: Opus look-ahead, ADPCM adaptation).
pub(super) fn assert_tone(pcm: &[i16], rate: u32, freq: f32, level: f32, tolerance_db: f32) {
    let settled = pcm.get(rate as usize / 10..).unwrap_or_default();
    assert!(settled.len() >= rate as usize / 4, "too little audio");
    let found = dominant_frequency(settled, rate);
    assert!(
        (found - freq).abs() <= 5.0,
        "frequency {found} Hz, expected {freq}"
    );
    let db = rms_dbfs(settled);
    assert!(
        (db - level).abs() <= tolerance_db,
        "level {db} dBFS, expected {level}"
    );
}
