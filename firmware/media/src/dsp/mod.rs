//! Signal processing on 16-bit PCM: tones, in-band DTMF detection, levels and silence,
//! analysis helpers, mixing, and the default music-on-hold track.

pub mod tone;
