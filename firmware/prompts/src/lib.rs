//! Prompt files: uploads decoded and converted once to the internal format, the prompts
//! folder, and the firmware's built-in phrases.
//!
//! * [`decode_upload`] turns a user's WAV, MP3, OGG/Vorbis or FLAC into 16 kHz mono PCM,
//!   refusing files that are not audio, too large, too long (checked while decoding, so a
//!   decompression bomb stops early with bounded memory), truncated or empty.
//! * [`PromptFolder`] stores the result atomically under `<data>/prompts/<tenant>/` or
//!   `<data>/moh/<tenant>/` and resolves paths from the configuration without ever
//!   leaving the data directory.
//! * [`system_sound`] returns the built-in Spanish phrases embedded in the binary.

// Tests may unwrap (team rule); production code may not (workspace lint).
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod error;
mod folder;
mod system;
mod upload;

pub use error::ImportError;
pub use folder::{slug, valid_id, FolderKind, PromptFolder};
pub use system::system_sound;
pub use upload::decode_upload;

/// Sample rate of every stored prompt, music-on-hold track and built-in phrase.
pub const INTERNAL_RATE: u32 = 16_000;

/// What an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Size of the uploaded file.
    pub max_bytes: usize,
    /// Duration of the decoded audio.
    pub max_seconds: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 20 * 1024 * 1024,
            max_seconds: 600,
        }
    }
}
