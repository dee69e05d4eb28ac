//! G.711 against the standard's tables and its structural properties, exhaustively.

use super::g711::{
    alaw_decode, alaw_encode, ulaw_decode, ulaw_encode, G711Decoder, G711Encoder, Law,
};
use super::{Decoder, Encoder};

/// Reconstruction values of G.711 tables 2a (µ-law, 14-bit units) and 1a (A-law,
/// 13-bit units), scaled to 16 bits.
#[test]
fn decode_spot_values_match_the_standard() {
    let mu = [
        (0xFF, 0),
        (0xFE, 2),
        (0xF0, 30),
        (0xEF, 33),
        (0xDF, 99),
        (0xCF, 231),
        (0xBF, 495),
        (0xAF, 1023),
        (0x9F, 2079),
        (0x8F, 4191),
        (0x80, 8031),
        (0x7F, 0),
        (0x7E, -2),
        (0x00, -8031),
    ];
    for (code, value) in mu {
        assert_eq!(ulaw_decode(code), value * 4, "µ-law {code:#04x}");
    }
    let a = [
        (0xD5, 1),
        (0xD4, 3),
        (0xC5, 33),
        (0xF5, 66),
        (0xE5, 132),
        (0x95, 264),
        (0x85, 528),
        (0xB5, 1056),
        (0xA5, 2112),
        (0xAA, 4032),
        (0x55, -1),
        (0x2A, -4032),
    ];
    for (code, value) in a {
        assert_eq!(alaw_decode(code), value * 8, "A-law {code:#04x}");
    }
}

#[test]
fn every_code_survives_decode_then_encode() {
    for code in 0..=255u8 {
        // µ-law has two zeros; the encoder always uses the positive one.
        let expected = if code == 0x7F { 0xFF } else { code };
        assert_eq!(
            ulaw_encode(ulaw_decode(code)),
            expected,
            "µ-law {code:#04x}"
        );
        assert_eq!(alaw_encode(alaw_decode(code)), code, "A-law {code:#04x}");
    }
}

#[test]
fn decode_is_odd_symmetric() {
    for code in 0..=127u8 {
        assert_eq!(ulaw_decode(code), -ulaw_decode(code | 0x80));
        assert_eq!(alaw_decode(code), -alaw_decode(code ^ 0x80));
    }
}

/// The quantisation step of the chord a 16-bit value falls in.
fn ulaw_step(v: i16) -> i32 {
    let m = i32::from(v).abs() + 132;
    8 << (31 - m.leading_zeros()).saturating_sub(7)
}

fn alaw_step(v: i16) -> i32 {
    let m = i32::from(v).abs();
    if m < 512 {
        16
    } else {
        16 << ((31 - m.leading_zeros()) - 8)
    }
}

#[test]
fn encode_is_monotonic_and_within_half_a_step_for_every_sample() {
    let (mut last_mu, mut last_a) = (i16::MIN, i16::MIN);
    for s in i16::MIN..=i16::MAX {
        let mu = ulaw_decode(ulaw_encode(s));
        let a = alaw_decode(alaw_encode(s));
        assert!(mu >= last_mu && a >= last_a, "not monotonic at {s}");
        (last_mu, last_a) = (mu, a);
        let mu_err = (i32::from(mu) - i32::from(s)).abs();
        let a_err = (i32::from(a) - i32::from(s)).abs();
        // Beyond the largest level the encoder clips (the standard's overload region).
        if i32::from(s).abs() <= 32124 {
            assert!(mu_err <= ulaw_step(mu) / 2, "µ-law error {mu_err} at {s}");
        }
        if i32::from(s).abs() <= 32256 {
            assert!(a_err <= alaw_step(a) / 2, "A-law error {a_err} at {s}");
        }
    }
    assert_eq!(ulaw_encode(i16::MAX), 0x80);
    assert_eq!(ulaw_encode(i16::MIN), 0x00);
    assert_eq!(alaw_encode(i16::MAX), 0xAA);
    assert_eq!(alaw_encode(i16::MIN), 0x2A);
}

#[test]
fn frames_through_the_traits() {
    for law in [Law::Mu, Law::A] {
        let pcm: Vec<i16> = (0..160).map(|i| (i * 200 - 16000) as i16).collect();
        let mut bytes = Vec::new();
        G711Encoder::new(law).encode(&pcm, &mut bytes).unwrap();
        assert_eq!(bytes.len(), 160);
        let mut decoder = G711Decoder::new(law);
        let mut out = vec![7];
        assert_eq!(decoder.decode(&bytes, &mut out).unwrap(), 160);
        assert_eq!(out.len(), 161);
        assert!(decoder.decode(&[], &mut out).is_err());
        assert_eq!(decoder.conceal(&mut out).unwrap(), 160);
        // The concealment replays the last frame at half amplitude.
        assert_eq!(out[161], out[1] >> 1);
        // An odd payload length is fine for a one-byte-per-sample codec.
        assert_eq!(decoder.decode(&[0x55; 33], &mut out).unwrap(), 33);
    }
}
