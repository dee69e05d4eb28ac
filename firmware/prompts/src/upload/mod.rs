//! Upload decoding: size limit, content sniffing, then the WAV reader or symphonia.

mod compressed;
mod sink;
mod sniff;
mod wav;

use sniff::{sniff, Sniffed};

use crate::{ImportError, Limits};

/// Decodes an upload (WAV, MP3, OGG/Vorbis, FLAC), downmixes it and resamples it to
/// 16 kHz mono.
///
/// Refuses, with a message saying which: not audio / unsupported format, too large
/// (checked before anything else), too long (checked against the header and again
/// while decoding, so a decompression bomb stops at the limit), truncated or corrupt,
/// and empty. `name_hint` (the uploaded file's name) only improves the messages.
pub fn decode_upload(
    bytes: &[u8],
    name_hint: Option<&str>,
    limits: &Limits,
) -> Result<Vec<i16>, ImportError> {
    if bytes.len() > limits.max_bytes {
        return Err(ImportError::TooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let not_audio = |what: &'static str| match name_hint {
        Some(name) if has_audio_extension(name) => ImportError::Mislabelled {
            what,
            name: name.to_string(),
        },
        _ => ImportError::NotAudio { what },
    };
    match sniff(bytes) {
        Sniffed::NotAudio(what) => Err(not_audio(what)),
        Sniffed::UnsupportedAudio(format) => Err(ImportError::Unsupported { format }),
        Sniffed::Wav => wav::decode(bytes, limits),
        Sniffed::Decodable => {
            compressed::decode(bytes, not_audio("no audio format recognised"), limits)
        }
    }
}

fn has_audio_extension(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".wav", ".mp3", ".ogg", ".oga", ".flac"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}
