//! Prompt uploads through the CLI a user has (`centralita prompt add`), issue 4 point 2:
//! accepted files are converted once to the internal format (WAV PCM16 mono 16 kHz) and
//! listed in the tenant document; refused ones (not audio, truncated, too large, too
//! long, an id escaping the folder) exit 1 with a message that says why.
//! No daemon runs: the command works on the data folder.
//!
//! ```sh
//! cargo build -p centralita && cargo test -p e2e --test prompts
//! ```

use std::process::Output;

use e2e::audio;
use e2e::media_setup::{stored_file, Prepared, TONE_DBFS};
use e2e::Result;
use serde_json::Value;

/// The upload limit of the contract (20 MiB).
const MAX_BYTES: usize = 20 * 1024 * 1024;

fn message(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Exit code 1 and a message containing `words` (lower case).
fn assert_refused(out: &Output, words: &str, what: &str) {
    let text = message(out);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{what}: exit code {:?}, output: {text}",
        out.status.code()
    );
    assert!(
        text.to_lowercase().contains(words),
        "{what}: the message must say `{words}`: {text:?}"
    );
}

fn prompt_ids(doc: &Value) -> Vec<String> {
    doc["prompts"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|p| p["id"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A 44.1 kHz mono MPEG-1 Layer III stream of silent frames (zero side information and
/// main data: a valid frame), whose first frame carries a LAME-style "Info" header that
/// declares `declared` frames, cut `cut` bytes into frame number `whole`.
fn truncated_mp3(declared: u32, whole: usize, cut: usize) -> Vec<u8> {
    // 128 kbit/s at 44.1 kHz: 144 * 128000 / 44100 = 417 bytes per frame, no padding.
    const FRAME: usize = 417;
    let header = [0xff, 0xfb, 0x90, 0xc0];
    let frame = |info: bool| {
        let mut f = Vec::with_capacity(FRAME);
        f.extend_from_slice(&header);
        f.resize(4 + 17, 0); // mono side information
        if info {
            f.extend_from_slice(b"Info");
            f.extend_from_slice(&3u32.to_be_bytes()); // frames and bytes fields present
            f.extend_from_slice(&declared.to_be_bytes());
            f.extend_from_slice(&(declared * FRAME as u32).to_be_bytes());
        }
        f.resize(FRAME, 0);
        f
    };
    let mut out = frame(true);
    for _ in 1..whole {
        out.extend(frame(false));
    }
    out.extend_from_slice(&frame(false)[..cut.min(FRAME)]);
    out
}

#[test]
fn wav_upload_is_converted_to_16_khz_mono_and_listed() -> Result<()> {
    let setup = Prepared::new()?;
    // 8 kHz stereo in, with the tone on both channels: the box must downmix and resample.
    let mono = audio::tone_ms(440.0, TONE_DBFS, 8000, 1500);
    let stereo: Vec<i16> = mono.iter().flat_map(|&s| [s, s]).collect();
    setup.add_prompt(
        "p-menu",
        "Menú principal",
        "Menú Principal.wav",
        &audio::wav_pcm16(8000, 2, &stereo),
    )?;
    let doc = setup.export()?;
    assert_eq!(prompt_ids(&doc), vec!["p-menu".to_string()], "{doc}");
    let stored = doc["prompts"][0]["file"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        !stored.starts_with('/') && !stored.contains(".."),
        "the document stores a path relative to the data folder: {stored:?}"
    );
    let wav = audio::read_wav(&stored_file(setup.data_dir(), &stored))?;
    assert_eq!(
        (wav.sample_rate, wav.channels),
        (16_000, 1),
        "internal format"
    );
    let ms = wav.duration_ms();
    assert!((1400..=1600).contains(&ms), "stored {ms} ms of 1500");
    let f = audio::dominant_frequency(&wav.samples[..8000.min(wav.samples.len())], 16_000);
    assert!((f - 440.0).abs() <= 3.0, "stored prompt's tone at {f} Hz");
    let level = audio::rms_dbfs(&wav.samples);
    assert!(
        (level - (TONE_DBFS - 3.0)).abs() <= 1.5,
        "stored prompt's level {level} dBFS"
    );
    Ok(())
}

#[test]
fn text_file_named_wav_is_refused_as_not_audio() -> Result<()> {
    let setup = Prepared::new()?;
    let text = "Hola, esto no es audio.\n".repeat(200);
    let out = setup.prompt_add_output("p-text", "Texto", "bienvenida.wav", text.as_bytes())?;
    assert_refused(&out, "not an audio file", "text named .wav");
    assert!(prompt_ids(&setup.export()?).is_empty());
    Ok(())
}

#[test]
fn truncated_mp3_is_refused_as_truncated() -> Result<()> {
    let setup = Prepared::new()?;
    let mp3 = truncated_mp3(400, 20, 200);
    let out = setup.prompt_add_output("p-cut", "Cortado", "bienvenida.mp3", &mp3)?;
    assert_refused(
        &out,
        "truncated or corrupt",
        "MP3 cut after 20 of 400 frames",
    );
    assert!(prompt_ids(&setup.export()?).is_empty());
    Ok(())
}

/// `frames` silent MPEG-1 Layer III frames at 32 kbit/s, 48 kHz mono: 96 bytes that
/// decode to 1152 samples (24 ms) each, with no header announcing the length, so only
/// the decoder can find out how long it is. 30,000 frames: 2.8 MB, 12 minutes.
fn long_mp3(frames: usize) -> Vec<u8> {
    const FRAME: usize = 96;
    let mut frame = vec![0xff, 0xfb, 0x14, 0xc0];
    frame.resize(FRAME, 0);
    frame.repeat(frames)
}

#[test]
fn mp3_longer_than_ten_minutes_is_refused_while_decoding() -> Result<()> {
    // The compressed-audio cousin of a decompression bomb: small file, long audio.
    let setup = Prepared::new()?;
    let out = setup.prompt_add_output("p-long", "Largo", "largo.mp3", &long_mp3(30_000))?;
    assert_refused(&out, "too long", "12 minutes of MP3 in 2.8 MB");
    assert!(prompt_ids(&setup.export()?).is_empty());
    Ok(())
}

#[test]
fn upload_over_the_size_limit_is_refused_as_too_large() -> Result<()> {
    let setup = Prepared::new()?;
    // A well-formed WAV just over the limit: refused for its size, not its content.
    let samples = vec![0i16; MAX_BYTES / 2 + 1024];
    let out = setup.prompt_add_output(
        "p-big",
        "Grande",
        "grande.wav",
        &audio::wav_pcm16(16_000, 1, &samples),
    )?;
    assert_refused(&out, "too large", "21 MiB WAV");
    assert!(prompt_ids(&setup.export()?).is_empty());
    Ok(())
}

#[test]
fn prompt_id_cannot_name_a_path_outside_the_prompts_folder() -> Result<()> {
    let setup = Prepared::new()?;
    let wav = audio::wav_pcm16(16_000, 1, &audio::tone_ms(440.0, TONE_DBFS, 16_000, 500));
    let out = setup.prompt_add_output("../../escape", "Fuera", "fuera.wav", &wav)?;
    assert_eq!(out.status.code(), Some(1), "{}", message(&out));
    let data = setup.data_dir();
    let escaped = [
        data.join("escape.wav"),
        data.parent()
            .map(|p| p.join("escape.wav"))
            .unwrap_or_default(),
    ];
    for path in escaped {
        assert!(!path.exists(), "{} was written", path.display());
    }
    assert!(prompt_ids(&setup.export()?).is_empty());
    Ok(())
}
