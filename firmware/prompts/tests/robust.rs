//! decode_upload never panics, whatever the bytes.
#![allow(clippy::unwrap_used)] // tests may unwrap

use prompts::{decode_upload, Limits};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const NAMES: [&str; 4] = ["tone-22k.wav", "tone.mp3", "tone.ogg", "tone.flac"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn arbitrary_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..4000)) {
        let _ = decode_upload(&bytes, None, &Limits::default());
    }

    #[test]
    fn truncations(which in 0usize..4, frac in 0.0f64..1.0) {
        let bytes = fixture(NAMES[which]);
        let cut = (bytes.len() as f64 * frac) as usize;
        let _ = decode_upload(&bytes[..cut], None, &Limits::default());
    }

    #[test]
    fn corrupted_bytes(which in 0usize..4, flips in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..20)) {
        let mut bytes = fixture(NAMES[which]);
        let len = bytes.len();
        for (at, b) in flips {
            bytes[at % len] = b;
        }
        let _ = decode_upload(&bytes, None, &Limits::default());
    }
}
