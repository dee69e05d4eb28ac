//! WAV (RIFF) reading and writing of PCM audio.
