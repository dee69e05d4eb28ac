//! decode_upload against real files made by other encoders (see fixtures/README.md).
#![allow(clippy::unwrap_used)] // tests may unwrap

use prompts::{decode_upload, ImportError, Limits, INTERNAL_RATE};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// Amplitude of one frequency (single-bin DFT normalised to a sine's amplitude).
fn amplitude(pcm: &[i16], freq: f64) -> f64 {
    let (mut re, mut im) = (0.0, 0.0);
    for (i, &s) in pcm.iter().enumerate() {
        let w = 2.0 * std::f64::consts::PI * freq * i as f64 / f64::from(INTERNAL_RATE);
        re += f64::from(s) * w.cos();
        im -= f64::from(s) * w.sin();
    }
    2.0 * (re * re + im * im).sqrt() / pcm.len() as f64
}

fn check_tone(name: &str, seconds: f64) {
    let pcm = decode_upload(&fixture(name), Some(name), &Limits::default()).unwrap();
    let expected = seconds * f64::from(INTERNAL_RATE);
    // MP3 and Vorbis add encoder delay and padding (a few tens of ms).
    assert!(
        (pcm.len() as f64 - expected).abs() < 0.08 * f64::from(INTERNAL_RATE),
        "{name}: {} samples, expected about {expected}",
        pcm.len()
    );
    let mid = &pcm[pcm.len() / 4..pcm.len() * 3 / 4];
    let level = amplitude(mid, 1000.0);
    let db = 20.0 * (level / 16384.0).log10();
    assert!(
        db.abs() < 1.0,
        "{name}: 1 kHz at {db:.2} dB relative to the source"
    );
    let peak = (900..=1100)
        .step_by(5)
        .map(|f| (f, amplitude(mid, f64::from(f))))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap()
        .0;
    assert_eq!(peak, 1000, "{name}");
    // Energy elsewhere is small: the tone survived decoding and resampling.
    let rms = (mid.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / mid.len() as f64).sqrt();
    let tone_rms = level / 2f64.sqrt();
    let other = (rms * rms - tone_rms * tone_rms).max(0.0).sqrt();
    assert!(
        20.0 * (other / tone_rms).log10() < -25.0,
        "{name}: noise {other:.0} vs tone {tone_rms:.0}"
    );
}

#[test]
fn wav_tone() {
    check_tone("tone-22k.wav", 0.5);
}

#[test]
fn mp3_tone() {
    check_tone("tone.mp3", 1.0);
}

#[test]
fn ogg_vorbis_tone() {
    check_tone("tone.ogg", 1.0);
}

#[test]
fn flac_tone() {
    check_tone("tone.flac", 1.0);
}

#[test]
fn text_named_mp3_is_not_audio() {
    let text = b"Este fichero es texto, no musica.\nLinea dos.\n";
    let e = decode_upload(text, Some("bienvenida.mp3"), &Limits::default()).unwrap_err();
    assert!(matches!(e, ImportError::Mislabelled { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        "not an audio file (looks like text, although named bienvenida.mp3)"
    );
    let e = decode_upload(text, None, &Limits::default()).unwrap_err();
    assert_eq!(e.to_string(), "not an audio file (looks like text)");
}

#[test]
fn five_bytes_is_not_audio() {
    let e = decode_upload(b"\xFF\xFB\x90\x00\x00", Some("x.mp3"), &Limits::default()).unwrap_err();
    assert!(e.to_string().starts_with("not an audio file ("), "{e}");
    let e = decode_upload(b"", None, &Limits::default()).unwrap_err();
    assert_eq!(e.to_string(), "not an audio file (empty file)");
}

#[test]
fn binary_garbage_is_refused() {
    // Deterministic pseudo-random bytes (xorshift), no audio magic.
    let mut x = 0x2545F4914F6CDD1Du64;
    let junk: Vec<u8> = (0..20_000)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    let e = decode_upload(&junk, Some("x.ogg"), &Limits::default()).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.starts_with("not an audio file") || msg.starts_with("truncated or corrupt"),
        "{msg}"
    );
}

#[test]
fn truncated_mp3_is_refused() {
    let mp3 = fixture("tone.mp3");
    let e = decode_upload(&mp3[..mp3.len() / 2], Some("tone.mp3"), &Limits::default()).unwrap_err();
    assert!(matches!(e, ImportError::Truncated { .. }), "{e:?}");
    assert!(
        e.to_string().starts_with("truncated or corrupt file"),
        "{e}"
    );
}

#[test]
fn truncated_wav_and_flac_are_refused() {
    let wav = fixture("tone-22k.wav");
    let e = decode_upload(&wav[..wav.len() / 2], None, &Limits::default()).unwrap_err();
    assert!(matches!(e, ImportError::Truncated { .. }), "{e:?}");
    let flac = fixture("tone.flac");
    let e = decode_upload(&flac[..flac.len() / 2], None, &Limits::default()).unwrap_err();
    assert!(
        e.to_string().starts_with("truncated or corrupt file"),
        "{e}"
    );
}

#[test]
fn too_large_is_refused_before_decoding() {
    let limits = Limits {
        max_bytes: 1000,
        ..Limits::default()
    };
    let mp3 = fixture("tone.mp3");
    let e = decode_upload(&mp3, None, &limits).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("file too large: {} bytes, limit 1000", mp3.len())
    );
}

#[test]
fn too_long_is_refused() {
    let limits = Limits {
        max_seconds: 0,
        ..Limits::default()
    };
    for name in ["tone-22k.wav", "tone.mp3", "tone.ogg", "tone.flac"] {
        let e = decode_upload(&fixture(name), None, &limits).unwrap_err();
        assert_eq!(e.to_string(), "too long: more than 0 s", "{name}");
    }
}

#[test]
fn decompression_bomb_is_refused_from_its_header() {
    // 12 KB that declares (and holds) 2 hours of audio.
    let bomb = fixture("bomb.flac");
    assert!(bomb.len() < 20_000);
    let e = decode_upload(&bomb, Some("bomb.flac"), &Limits::default()).unwrap_err();
    assert_eq!(e.to_string(), "too long: more than 600 s");
}

#[test]
fn decompression_bomb_with_unknown_length_stops_while_decoding() {
    let mut bomb = fixture("bomb.flac");
    // STREAMINFO total samples (36 bits from the low nibble of byte 21) = 0: "unknown".
    assert_eq!(&bomb[..4], b"fLaC");
    bomb[21] &= 0xF0;
    bomb[22..26].fill(0);
    let limits = Limits {
        max_seconds: 20,
        ..Limits::default()
    };
    let e = decode_upload(&bomb, Some("bomb.flac"), &limits).unwrap_err();
    assert!(
        matches!(e, ImportError::TooLong { limit_seconds: 20 }),
        "{e:?}"
    );
}

#[test]
fn unsupported_formats_are_named() {
    let mut opus = b"OggS\0\x02".to_vec();
    opus.extend_from_slice(&[0; 20]);
    opus.extend_from_slice(b"\x01\x13OpusHead\x01\x01\x38\x01\x80\xbb\0\0\0\0\0");
    let e = decode_upload(&opus, Some("x.opus"), &Limits::default()).unwrap_err();
    assert_eq!(e.to_string(), "unsupported audio format Ogg Opus");
    let m4a = b"\0\0\0\x20ftypM4A \0\0\0\0M4A mp42isom\0\0";
    let e = decode_upload(m4a, None, &Limits::default()).unwrap_err();
    assert!(
        e.to_string().starts_with("unsupported audio format MP4"),
        "{e}"
    );
    // ADPCM WAV (format tag 0x0011).
    let mut wav = fixture("tone-22k.wav");
    wav[20] = 0x11;
    let e = decode_upload(&wav, None, &Limits::default()).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unsupported audio format: WAV encoding 0x0011"),
        "{e}"
    );
}

#[test]
fn empty_audio_is_refused() {
    let wav = media::wav::encode_pcm16(media::wav::WavFormat::mono(8000), &[]);
    let e = decode_upload(&wav, None, &Limits::default()).unwrap_err();
    assert_eq!(e.to_string(), "no audio in file");
}

#[test]
fn every_error_message_says_which() {
    // The messages the panel and the CLI print, one per refusal.
    let prefixes = [
        "not an audio file (",
        "unsupported audio format",
        "file too large: ",
        "too long: more than ",
        "truncated or corrupt",
        "no audio in file",
    ];
    let errors = [
        ImportError::NotAudio { what: "x" },
        ImportError::Unsupported { format: "x" },
        ImportError::TooLarge { bytes: 2, limit: 1 },
        ImportError::TooLong { limit_seconds: 1 },
        ImportError::Corrupt { detail: "x" },
        ImportError::NoAudio,
    ];
    for (e, p) in errors.iter().zip(prefixes) {
        assert!(e.to_string().starts_with(p), "{e}");
    }
}

/// Import time of real-length files. Run with
/// `PROMPT_BENCH_FILES="a.mp3 b.ogg" cargo test -p prompts --release --test upload -- --ignored --nocapture`.
#[test]
#[ignore]
fn bench_decode_files_from_env() {
    let files = std::env::var("PROMPT_BENCH_FILES").unwrap_or_default();
    for path in files.split_whitespace() {
        let bytes = std::fs::read(path).unwrap();
        let start = std::time::Instant::now();
        let result = decode_upload(&bytes, Some(path), &Limits::default());
        let elapsed = start.elapsed();
        match result {
            Ok(pcm) => println!(
                "{path}: {} bytes -> {:.1} s of audio in {elapsed:?}",
                bytes.len(),
                pcm.len() as f64 / f64::from(INTERNAL_RATE)
            ),
            Err(e) => println!("{path}: {e} after {elapsed:?}"),
        }
    }
}
