//! Built-in phrases (to be filled).
use media::dsp::tone::SystemSound;

/// The phrase at 16 kHz mono.
pub fn system_sound(_s: SystemSound) -> Vec<i16> {
    Vec::new()
}
