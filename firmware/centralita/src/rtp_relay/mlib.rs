//! The media APIs the relay uses, in one place. One TEMPORARY stand-in (marked) covers a
//! piece whose crate the daemon does not depend on yet; it goes when the dependency lands.

pub use media::{codec, dsp, resample, wav};

/// TEMPORARY stand-in until the daemon depends on the `prompts` crate
/// (`prompts::system_sound`): one second of 440 Hz at 16 kHz.
pub fn system_sound(_sound: media::dsp::tone::SystemSound) -> Vec<i16> {
    media::dsp::tone::sine(440.0, -12.0, 16_000, 16_000)
}
