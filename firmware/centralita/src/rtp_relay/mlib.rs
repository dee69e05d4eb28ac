//! The media APIs the relay uses, in one place.

pub use media::{codec, dsp, resample, wav};
pub use prompts::system_sound;
