//! Decoders take whatever a peer sends: random payloads give samples or a CodecError,
//! never a panic, and never more samples than the payload can describe.

use super::{decoder, CodecKind};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn decoders_survive_random_payloads(payloads in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..400), 1..8)) {
        for kind in CodecKind::ALL {
            let mut dec = decoder(kind).unwrap();
            let mut out = Vec::new();
            for payload in &payloads {
                let before = out.len();
                match dec.decode(payload, &mut out) {
                    Ok(n) => {
                        prop_assert_eq!(out.len() - before, n);
                        let expected = match kind {
                            CodecKind::Pcmu | CodecKind::Pcma => Some(payload.len()),
                            CodecKind::G722 => Some(payload.len() * 2),
                            CodecKind::Opus => None,
                        };
                        if let Some(e) = expected {
                            prop_assert_eq!(n, e);
                        }
                        prop_assert!(n <= 5760);
                    }
                    Err(_) => {
                        prop_assert_eq!(out.len(), before);
                        prop_assert!(kind == CodecKind::Opus || payload.is_empty());
                    }
                }
                let n = dec.conceal(&mut out).unwrap();
                prop_assert_eq!(n, kind.frame_samples());
            }
        }
    }
}
