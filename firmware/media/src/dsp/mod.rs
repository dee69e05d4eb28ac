//! Signal processing on 16-bit PCM: tones, in-band DTMF detection, levels and silence,
//! analysis helpers, mixing, and the default music-on-hold track.
//!
//! Levels are dBFS in the AES17 sense throughout: a full-scale sine reads 0 dBFS (so a
//! full-scale square wave reads +3 dBFS).
//! Everything here is sans-IO and deterministic: no clock, files or randomness.

pub mod analyse;
pub mod dtmf_detect;
pub mod level;
pub mod mix;
pub mod moh;
pub mod tone;

#[cfg(test)]
mod codec_dtmf_tests;
#[cfg(test)]
mod talkoff_tests;
#[cfg(test)]
mod test_signal;
