//! G.722 against reference vectors made with spandsp (see tests/vectors/g722/README.md).

use super::g722::{G722Decoder, G722Encoder};
use super::{Decoder, Encoder};

const INPUT: &[u8] = include_bytes!("../../tests/vectors/g722/input_16k.raw");
const INPUT_BITS: &[u8] = include_bytes!("../../tests/vectors/g722/input_16k.g722");
const INPUT_DECODED: &[u8] = include_bytes!("../../tests/vectors/g722/input_16k.decoded.raw");
const RANDOM_BITS: &[u8] = include_bytes!("../../tests/vectors/g722/random.g722");
const RANDOM_DECODED: &[u8] = include_bytes!("../../tests/vectors/g722/random.decoded.raw");

fn pcm(bytes: &[u8]) -> Vec<i16> {
    bytes
        .chunks_exact(2)
        .map(|b| i16::from_le_bytes([b[0], b[1]]))
        .collect()
}

fn first_difference<T: PartialEq + std::fmt::Debug>(
    ours: &[T],
    reference: &[T],
) -> Option<(usize, String)> {
    assert_eq!(ours.len(), reference.len(), "lengths differ");
    ours.iter()
        .zip(reference)
        .position(|(a, b)| a != b)
        .map(|i| {
            (
                i,
                format!("ours {:?} reference {:?}", ours[i], reference[i]),
            )
        })
}

/// Our decoder output against the reference's: identical, except where the receive QMF
/// overflows 16 bits. spandsp 0.0.6 then wraps around (a full-scale click of the opposite
/// sign); we saturate, as the standard's LIMIT blocks do elsewhere. Returns how many
/// samples saturated, after checking each one is the saturated form of the wrapped value.
fn compare_decoded(ours: &[i16], reference: &[i16]) -> usize {
    assert_eq!(ours.len(), reference.len());
    let mut saturated = 0;
    for (i, (&a, &b)) in ours.iter().zip(reference).enumerate() {
        if a == b {
            continue;
        }
        let wrapped = match a {
            i16::MAX => b < 0,
            i16::MIN => b > 0,
            _ => false,
        };
        assert!(wrapped, "sample {i}: ours {a}, reference {b}");
        saturated += 1;
    }
    saturated
}

#[test]
fn encoder_matches_reference_bitstream() {
    let input = pcm(INPUT);
    let mut encoder = G722Encoder::new();
    let mut bits = Vec::new();
    for frame in input.chunks(320) {
        encoder.encode(frame, &mut bits).unwrap();
    }
    assert_eq!(first_difference(&bits, INPUT_BITS), None);
}

#[test]
fn decoder_matches_reference_pcm() {
    let mut decoder = G722Decoder::new();
    let mut out = Vec::new();
    for payload in INPUT_BITS.chunks(160) {
        decoder.decode(payload, &mut out).unwrap();
    }
    let wrapped = compare_decoded(&out, &pcm(INPUT_DECODED));
    // The chirp and the square wave near full scale overflow the receive QMF a few
    // hundred times; every other sample is identical.
    assert!(wrapped < 400, "{wrapped} samples saturated");
}

#[test]
fn decoder_matches_reference_on_random_octets() {
    let mut decoder = G722Decoder::new();
    let mut out = Vec::new();
    decoder.decode(RANDOM_BITS, &mut out).unwrap();
    compare_decoded(&out, &pcm(RANDOM_DECODED));
}

#[test]
fn odd_sample_count_is_refused() {
    let mut encoder = G722Encoder::new();
    let mut out = Vec::new();
    assert!(encoder.encode(&[0; 319], &mut out).is_err());
    assert!(out.is_empty());
}

#[test]
fn empty_payload_is_refused_and_loss_is_concealed() {
    let mut decoder = G722Decoder::new();
    let mut out = Vec::new();
    assert!(decoder.decode(&[], &mut out).is_err());
    assert_eq!(decoder.conceal(&mut out).unwrap(), 320);
    assert_eq!(out.len(), 320);
}
