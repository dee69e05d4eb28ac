//! The firmware's built-in Spanish phrases ([`SystemSound`]), embedded in the binary as
//! 8 kHz µ-law WAV (half the size of PCM16; see `system/README.md` for how they were
//! made) and converted to the internal 16 kHz on first use.

use std::sync::OnceLock;

use media::dsp::tone::SystemSound;
use media::resample::resample;

use crate::INTERNAL_RATE;

/// Counts above this are said as "muchos".
const MAX_NUMBER: u8 = 20;

macro_rules! phrase {
    ($name:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/system/",
            $name,
            ".wav"
        ))
        .as_slice()
    };
}

/// Embedded files, indexed by [`index`].
static FILES: [&[u8]; 37] = [
    phrase!("voicemail-greeting"),
    phrase!("enter-pin"),
    phrase!("wrong-pin"),
    phrase!("you-have"),
    phrase!("new-messages"),
    phrase!("old-messages"),
    phrase!("message-menu"),
    phrase!("no-more-messages"),
    phrase!("no-messages"),
    phrase!("message-deleted"),
    phrase!("record-prompt"),
    phrase!("save-or-retry"),
    phrase!("prompt-saved"),
    phrase!("goodbye"),
    phrase!("invalid"),
    phrase!("many"),
    phrase!("number-0"),
    phrase!("number-1"),
    phrase!("number-2"),
    phrase!("number-3"),
    phrase!("number-4"),
    phrase!("number-5"),
    phrase!("number-6"),
    phrase!("number-7"),
    phrase!("number-8"),
    phrase!("number-9"),
    phrase!("number-10"),
    phrase!("number-11"),
    phrase!("number-12"),
    phrase!("number-13"),
    phrase!("number-14"),
    phrase!("number-15"),
    phrase!("number-16"),
    phrase!("number-17"),
    phrase!("number-18"),
    phrase!("number-19"),
    phrase!("number-20"),
];

/// Decoded phrases, converted once per process.
static CACHE: [OnceLock<Vec<i16>>; 37] = [const { OnceLock::new() }; 37];

/// Index of the first number in [`FILES`].
const NUMBERS: usize = 16;

fn index(s: SystemSound) -> usize {
    match s {
        SystemSound::VoicemailGreeting => 0,
        SystemSound::EnterPin => 1,
        SystemSound::WrongPin => 2,
        SystemSound::YouHave => 3,
        SystemSound::NewMessages => 4,
        SystemSound::OldMessages => 5,
        SystemSound::MessageMenu => 6,
        SystemSound::NoMoreMessages => 7,
        SystemSound::NoMessages => 8,
        SystemSound::MessageDeleted => 9,
        SystemSound::RecordPrompt => 10,
        SystemSound::SaveOrRetry => 11,
        SystemSound::PromptSaved => 12,
        SystemSound::Goodbye => 13,
        SystemSound::Invalid => 14,
        SystemSound::Number(n) if n > MAX_NUMBER => 15,
        SystemSound::Number(n) => NUMBERS + usize::from(n),
    }
}

/// Decodes one embedded file; on failure (impossible unless the build embedded a broken
/// file) logs and returns half a second of silence so a menu still paces correctly.
fn load(i: usize) -> Vec<i16> {
    let silence = || vec![0i16; INTERNAL_RATE as usize / 2];
    let Some(bytes) = FILES.get(i) else {
        tracing::error!(index = i, "built-in phrase missing");
        return silence();
    };
    let audio = match media::wav::decode(bytes) {
        Ok(a) if a.format.channels == 1 && !a.samples.is_empty() => a,
        Ok(a) => {
            tracing::error!(index = i, format = ?a.format, "built-in phrase is not mono audio");
            return silence();
        }
        Err(e) => {
            tracing::error!(index = i, error = %e, "built-in phrase does not decode");
            return silence();
        }
    };
    match resample(&audio.samples, audio.format.sample_rate, INTERNAL_RATE) {
        Ok(pcm) => pcm,
        Err(e) => {
            tracing::error!(index = i, error = %e, "built-in phrase cannot be resampled");
            silence()
        }
    }
}

/// A built-in phrase, 16 kHz mono. `Number(n)` above 20 says "muchos".
pub fn system_sound(s: SystemSound) -> Vec<i16> {
    let i = index(s);
    match CACHE.get(i) {
        Some(cell) => cell.get_or_init(|| load(i)).clone(),
        None => load(i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<SystemSound> {
        let mut v = vec![
            SystemSound::VoicemailGreeting,
            SystemSound::EnterPin,
            SystemSound::WrongPin,
            SystemSound::YouHave,
            SystemSound::NewMessages,
            SystemSound::OldMessages,
            SystemSound::MessageMenu,
            SystemSound::NoMoreMessages,
            SystemSound::NoMessages,
            SystemSound::MessageDeleted,
            SystemSound::RecordPrompt,
            SystemSound::SaveOrRetry,
            SystemSound::PromptSaved,
            SystemSound::Goodbye,
            SystemSound::Invalid,
        ];
        v.extend((0..=MAX_NUMBER).map(SystemSound::Number));
        v
    }

    #[test]
    fn every_phrase_is_distinct_audible_speech() {
        let mut seen = std::collections::HashSet::new();
        for s in all() {
            let i = index(s);
            assert!(seen.insert(i), "{s:?} shares a file");
            let audio = media::wav::decode(FILES[i]).unwrap();
            assert_eq!(audio.format, media::wav::WavFormat::mono(8000), "{s:?}");
            let pcm = system_sound(s);
            let secs = pcm.len() as f64 / f64::from(INTERNAL_RATE);
            assert!((0.3..10.0).contains(&secs), "{s:?}: {secs} s");
            let peak = pcm.iter().map(|&x| i32::from(x).abs()).max().unwrap();
            assert!(peak > 8000, "{s:?}: peak {peak}");
            let rms =
                (pcm.iter().map(|&x| f64::from(x).powi(2)).sum::<f64>() / pcm.len() as f64).sqrt();
            assert!(rms > 1000.0, "{s:?}: rms {rms}");
        }
        assert_eq!(seen.len(), FILES.len() - 1); // all but "muchos"
    }

    #[test]
    fn large_counts_say_many() {
        assert_eq!(index(SystemSound::Number(21)), 15);
        assert_eq!(index(SystemSound::Number(255)), 15);
        assert_eq!(system_sound(SystemSound::Number(99)), load(15));
    }

    #[test]
    fn embedded_size_stays_small() {
        let total: usize = FILES.iter().map(|f| f.len()).sum();
        assert!(total < 500 * 1024, "{total} bytes");
    }

    #[test]
    fn broken_index_gives_silence() {
        let s = load(FILES.len());
        assert!(!s.is_empty() && s.iter().all(|&x| x == 0));
    }
}
