use std::io::Cursor;

use proptest::prelude::*;

use super::*;

fn tone(n: usize) -> Vec<i16> {
    (0..n)
        .map(|i| ((i as f32 * 0.3).sin() * 12000.0) as i16)
        .collect()
}

/// A WAV with an arbitrary fmt chunk body and data bytes.
fn wav_with(fmt_body: &[u8], data: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF");
    v.extend_from_slice(&((4 + 8 + fmt_body.len() + 8 + data.len()) as u32).to_le_bytes());
    v.extend_from_slice(b"WAVE");
    v.extend_from_slice(b"fmt ");
    v.extend_from_slice(&(fmt_body.len() as u32).to_le_bytes());
    v.extend_from_slice(fmt_body);
    v.extend_from_slice(b"data");
    v.extend_from_slice(&(data.len() as u32).to_le_bytes());
    v.extend_from_slice(data);
    v
}

fn fmt_body(tag: u16, channels: u16, rate: u32, bits: u16) -> Vec<u8> {
    let block = channels * bits.div_ceil(8);
    let mut f = Vec::new();
    f.extend_from_slice(&tag.to_le_bytes());
    f.extend_from_slice(&channels.to_le_bytes());
    f.extend_from_slice(&rate.to_le_bytes());
    f.extend_from_slice(&(rate * u32::from(block)).to_le_bytes());
    f.extend_from_slice(&block.to_le_bytes());
    f.extend_from_slice(&bits.to_le_bytes());
    f
}

#[test]
fn pcm16_round_trip_mono_and_stereo() {
    for channels in [1u16, 2] {
        let format = WavFormat {
            sample_rate: 8000,
            channels,
        };
        let samples = tone(800);
        let bytes = encode_pcm16(format, &samples);
        assert_eq!(bytes.len(), 44 + 1600);
        let audio = decode(&bytes).unwrap();
        assert_eq!(audio.format, format);
        assert_eq!(audio.samples, samples);
        assert_eq!(audio.frames(), 800 / usize::from(channels));
    }
}

#[test]
fn pcm8_is_unsigned() {
    let bytes = wav_with(&fmt_body(1, 1, 8000, 8), &[128, 255, 0]);
    let audio = decode(&bytes).unwrap();
    assert_eq!(audio.samples, vec![0, 127 << 8, -32768]);
}

#[test]
fn ulaw_and_alaw() {
    let u = decode(&wav_with(&fmt_body(7, 1, 8000, 8), &[0xFF, 0x80, 0x00])).unwrap();
    assert_eq!(u.samples, vec![0, 32124, -32124]);
    let a = decode(&wav_with(&fmt_body(6, 1, 8000, 8), &[0xD5, 0xAA])).unwrap();
    assert_eq!(a.samples, vec![8, 32256]);
}

#[test]
fn pcm24_32_and_float() {
    let d24 = decode(&wav_with(&fmt_body(1, 1, 48000, 24), &[0x00, 0x34, 0x12])).unwrap();
    assert_eq!(d24.samples, vec![0x1234]);
    let d32 = decode(&wav_with(&fmt_body(1, 1, 48000, 32), &[0, 0, 0x34, 0x12])).unwrap();
    assert_eq!(d32.samples, vec![0x1234]);
    let mut fl = Vec::new();
    for f in [0.5f32, -2.0, f32::NAN] {
        fl.extend_from_slice(&f.to_le_bytes());
    }
    let df = decode(&wav_with(&fmt_body(3, 1, 48000, 32), &fl)).unwrap();
    assert_eq!(df.samples, vec![16384, -32767, 0]);
}

#[test]
fn extensible_pcm16() {
    let mut f = fmt_body(0xFFFE, 2, 16000, 16);
    f.extend_from_slice(&22u16.to_le_bytes()); // cbSize
    f.extend_from_slice(&16u16.to_le_bytes()); // valid bits
    f.extend_from_slice(&3u32.to_le_bytes()); // FL|FR
                                              // KSDATAFORMAT_SUBTYPE_PCM: 00000001-0000-0010-8000-00aa00389b71
    f.extend_from_slice(&[
        1, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71,
    ]);
    let data: Vec<u8> = [1i16, -1, 300, -300]
        .iter()
        .flat_map(|s| s.to_le_bytes())
        .collect();
    let audio = decode(&wav_with(&f, &data)).unwrap();
    assert_eq!(audio.format.channels, 2);
    assert_eq!(audio.samples, vec![1, -1, 300, -300]);
    // Extensible with a short extension is refused, not misread.
    let short = fmt_body(0xFFFE, 1, 8000, 16);
    assert!(matches!(
        decode(&wav_with(&short, &data)),
        Err(WavError::FmtTooShort { min: 40, .. })
    ));
}

#[test]
fn chunks_before_fmt_and_odd_padding_are_skipped() {
    let mut v = Vec::new();
    v.extend_from_slice(b"RIFF\0\0\0\0WAVE");
    v.extend_from_slice(b"LIST");
    v.extend_from_slice(&3u32.to_le_bytes());
    v.extend_from_slice(b"abc\0"); // 3 bytes + pad
    let f = fmt_body(1, 1, 8000, 16);
    v.extend_from_slice(b"fmt ");
    v.extend_from_slice(&(f.len() as u32).to_le_bytes());
    v.extend_from_slice(&f);
    v.extend_from_slice(b"data");
    v.extend_from_slice(&4u32.to_le_bytes());
    v.extend_from_slice(&[1, 0, 2, 0]);
    v.extend_from_slice(b"LIST\x02\0\0\0zz");
    let audio = decode(&v).unwrap();
    assert_eq!(audio.samples, vec![1, 2]);
}

#[test]
fn crash_cut_files_are_read() {
    let samples = tone(101);
    let full = encode_pcm16(WavFormat::mono(8000), &samples);
    // Size fields zero, as WavWriter leaves them before finish().
    let mut zero = full.clone();
    zero[4..8].copy_from_slice(&[0; 4]);
    zero[40..44].copy_from_slice(&[0; 4]);
    assert_eq!(decode(&zero).unwrap().samples, samples);
    // Oversized data size and a half sample at the end.
    let mut big = full.clone();
    big[40..44].copy_from_slice(&u32::MAX.to_le_bytes());
    big.truncate(full.len() - 1);
    assert_eq!(decode(&big).unwrap().samples, samples[..100]);
}

#[test]
fn typed_errors() {
    assert_eq!(decode(b""), Err(WavError::NotRiff));
    assert_eq!(decode(b"ID3\x03 hello"), Err(WavError::NotRiff));
    assert_eq!(
        decode(b"RIFF\0\0\0\0AVI LIST"),
        Err(WavError::NotWave { form: *b"AVI " })
    );
    assert_eq!(decode(b"RIFF\0\0\0\0WAVE"), Err(WavError::MissingFmt));
    let no_data = &wav_with(&fmt_body(1, 1, 8000, 16), &[])[..36];
    assert_eq!(decode(no_data), Err(WavError::MissingData));
    assert_eq!(
        decode(&wav_with(&fmt_body(1, 0, 8000, 16), &[])),
        Err(WavError::BadChannels(0))
    );
    assert_eq!(
        decode(&wav_with(&fmt_body(1, 1, 0, 16), &[])),
        Err(WavError::BadSampleRate(0))
    );
    assert_eq!(
        decode(&wav_with(&fmt_body(0x55, 1, 8000, 0), &[])),
        Err(WavError::Unsupported { tag: 0x55, bits: 0 })
    );
    assert!(matches!(
        decode(&wav_with(&[1, 0, 1, 0], &[])),
        Err(WavError::FmtTooShort { len: 4, min: 16 })
    ));
}

#[test]
fn writer_streams_and_patches_sizes() {
    let format = WavFormat {
        sample_rate: 8000,
        channels: 2,
    };
    let mut w = WavWriter::new(Cursor::new(Vec::new()), format).unwrap();
    let a = tone(320);
    w.write(&a[..100]).unwrap();
    // Mid-recording the file is already readable (as after a crash).
    let snapshot = decode(w.get_ref().get_ref()).unwrap();
    assert_eq!(snapshot.samples, a[..100]);
    w.write(&a[100..]).unwrap();
    assert_eq!(w.samples_written(), 320);
    let bytes = w.finish().unwrap().into_inner();
    assert_eq!(bytes, encode_pcm16(format, &a));
}

#[test]
fn writer_at_an_offset() {
    let mut c = Cursor::new(vec![9u8; 10]);
    c.set_position(10);
    let mut w = WavWriter::new(c, WavFormat::mono(16000)).unwrap();
    w.write(&[5, 6]).unwrap();
    let c = w.finish().unwrap();
    assert_eq!(c.position(), 10 + 44 + 4);
    let bytes = c.into_inner();
    assert_eq!(decode(&bytes[10..]).unwrap().samples, vec![5, 6]);
}

proptest! {
    #[test]
    fn decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn decode_never_panics_after_a_wave_header(tail in proptest::collection::vec(any::<u8>(), 0..600)) {
        let mut v = b"RIFF\0\0\0\0WAVEfmt ".to_vec();
        v.extend_from_slice(&tail);
        let _ = decode(&v);
    }

    #[test]
    fn decode_never_panics_on_mutated_headers(
        tag in prop_oneof![Just(1u16), Just(3), Just(6), Just(7), Just(0xFFFE), any::<u16>()],
        channels in any::<u16>(),
        bits in any::<u16>(),
        data in proptest::collection::vec(any::<u8>(), 0..64),
        flips in proptest::collection::vec((0usize..120, any::<u8>()), 0..4),
    ) {
        let mut v = wav_with(&fmt_body(tag, channels.max(1) % 9, 8000, bits % 40), &data);
        for (at, b) in flips {
            if let Some(x) = v.get_mut(at) { *x = b; }
        }
        let _ = decode(&v);
    }

    #[test]
    fn every_truncation_is_handled(cut in 0usize..(44 + 200)) {
        let full = encode_pcm16(WavFormat::mono(8000), &tone(100));
        match decode(&full[..cut]) {
            Ok(a) => prop_assert_eq!(&a.samples[..], &tone(100)[..(cut - 44) / 2]),
            Err(e) => prop_assert!(cut < 44, "cut {} gave {:?}", cut, e),
        }
    }
}
