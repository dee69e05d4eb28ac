//! Why an upload or a prompt file was refused. Every message starts with the words the
//! user interface shows ("not an audio file", "file too large", ...), so the CLI and the
//! web panel can print it as is.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("not an audio file ({what})")]
    NotAudio { what: &'static str },
    #[error("not an audio file ({what}, although named {name})")]
    Mislabelled { what: &'static str, name: String },
    #[error("unsupported audio format {format}")]
    Unsupported { format: &'static str },
    #[error("unsupported audio format: WAV encoding {tag:#06x} with {bits} bits per sample")]
    UnsupportedWav { tag: u16, bits: u16 },
    #[error("unsupported audio format: sample rate {hz} Hz (4000 to 192000 Hz accepted)")]
    UnsupportedRate { hz: u32 },
    #[error("file too large: {bytes} bytes, limit {limit}")]
    TooLarge { bytes: usize, limit: usize },
    #[error("too long: more than {limit_seconds} s")]
    TooLong { limit_seconds: u32 },
    #[error("truncated or corrupt file: audio ends after {have} of {declared} {unit}")]
    Truncated {
        have: u64,
        declared: u64,
        unit: &'static str,
    },
    #[error("truncated or corrupt file ({detail})")]
    Corrupt { detail: &'static str },
    #[error("no audio in file")]
    NoAudio,
    #[error("invalid prompt id {id:?}: use 1 to 64 ASCII letters, digits, '-' or '_'")]
    BadId { id: String },
    #[error("path {path:?} is outside the data directory")]
    OutsideData { path: String },
    #[error("{op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
