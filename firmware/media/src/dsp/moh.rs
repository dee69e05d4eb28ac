//! The default music-on-hold track: "Centralita en espera", a 30-second piece composed for this
//! firmware and rendered procedurally at start-up.
//!
//! Composition and code are our own work and ship under the project licence (see the
//! workspace `license`); no third-party recording or sample is involved.
//!
//! Eight bars of 4/4 at 64 BPM (exactly 30 s) in C major: a Cmaj7 – Am7 – Fmaj7 – G /
//! Cmaj7 – Em7 – Fmaj7 – G7sus4 progression with a soft pad, a bass note per bar, up-and-down
//! eighth-note arpeggios and a slow melody. Voices are wavetable oscillators (additive
//! harmonics, band-limited to the sample rate) with attack/decay/release envelopes. Note tails
//! that run past the end wrap around to the start, so the track loops without a click.

use crate::dsp::tone::to_i16;

/// Beats per bar and bars; 32 beats at 64 BPM = 30 s.
const BEATS: u32 = 32;
const BEAT_SECONDS: f32 = 60.0 / 64.0;
/// RMS level of the rendered track (AES17 dBFS).
const TARGET_DBFS: f32 = -18.0;

/// Chords, one per bar, as MIDI note numbers (root first). C4 = 60.
const CHORDS: [[u8; 4]; 8] = [
    [60, 64, 67, 71], // Cmaj7
    [57, 60, 64, 67], // Am7
    [53, 57, 60, 64], // Fmaj7
    [55, 59, 62, 67], // G
    [60, 64, 67, 71], // Cmaj7
    [52, 55, 59, 62], // Em7
    [53, 57, 60, 64], // Fmaj7
    [55, 60, 62, 65], // G7sus4
];

/// Melody: (start beat, length in beats, MIDI note).
const MELODY: [(u32, u32, u8); 16] = [
    (0, 2, 76),
    (2, 2, 74),
    (4, 3, 72),
    (7, 1, 76),
    (8, 2, 81),
    (10, 2, 79),
    (12, 4, 74),
    (16, 2, 76),
    (18, 1, 79),
    (19, 1, 76),
    (20, 3, 71),
    (23, 1, 74),
    (24, 2, 72),
    (26, 2, 69),
    (28, 2, 77),
    (30, 2, 74),
];

/// Arpeggio over the chord: indexes into [root, 3rd, 5th, 7th, root + octave], up then down.
const ARPEGGIO: [usize; 8] = [0, 1, 2, 3, 4, 3, 2, 1];

/// A timbre: harmonic amplitudes, envelope times (s) and the highest note it plays, which
/// decides how many harmonics fit below Nyquist.
struct Voice {
    harmonics: &'static [f32],
    attack: f32,
    /// Time constant of the exponential decay while the note is held.
    decay: f32,
    /// Time constant after the note ends; the note is dropped after 4 of these.
    release: f32,
    gain: f32,
    highest_midi: u8,
}

const PAD: Voice = Voice {
    harmonics: &[1.0, 0.45, 0.2, 0.1, 0.05],
    attack: 0.5,
    decay: 8.0,
    release: 0.4,
    gain: 0.10,
    highest_midi: 64,
};
const BASS: Voice = Voice {
    harmonics: &[1.0, 0.6, 0.3, 0.15],
    attack: 0.02,
    decay: 2.0,
    release: 0.2,
    gain: 0.30,
    highest_midi: 48,
};
const PLUCK: Voice = Voice {
    harmonics: &[1.0, 0.35, 0.12, 0.05],
    attack: 0.008,
    decay: 0.5,
    release: 0.15,
    gain: 0.16,
    highest_midi: 72,
};
const BELL: Voice = Voice {
    harmonics: &[1.0, 0.2, 0.08],
    attack: 0.02,
    decay: 1.5,
    release: 0.3,
    gain: 0.28,
    highest_midi: 81,
};

/// Samples per wavetable cycle (a power of two so the phase maps to an index by a shift).
const TABLE_BITS: u32 = 11;
const TABLE_LEN: usize = 1 << TABLE_BITS;

/// The default music-on-hold track at `sample_rate` Hz: exactly 30 s, about -18 dBFS RMS,
/// deterministic, loops seamlessly. Cheap: about 4 million oscillator steps at 16 kHz.
pub fn default_track(sample_rate: u32) -> Vec<i16> {
    let rate = sample_rate.max(1000);
    let len = (BEATS as f32 * BEAT_SECONDS * rate as f32).round() as usize;
    let mut mix = vec![0.0f32; len];
    let beat = BEAT_SECONDS * rate as f32;
    let pad = Instrument::new(&PAD, rate);
    let bass = Instrument::new(&BASS, rate);
    let pluck = Instrument::new(&PLUCK, rate);
    let bell = Instrument::new(&BELL, rate);

    for (bar, chord) in CHORDS.iter().enumerate() {
        let bar_start = bar as f32 * 4.0 * beat;
        let bar_len = 4.0 * beat;
        // Pad: root, third and fifth an octave down, a little overlap into the next bar.
        for &note in &chord[..3] {
            pad.play(&mut mix, note - 12, bar_start, bar_len * 1.02);
        }
        bass.play(&mut mix, chord[0] - 24, bar_start, bar_len * 0.9);
        // Arpeggio: eighth notes over [root, 3rd, 5th, 7th, octave].
        let tones = [chord[0], chord[1], chord[2], chord[3], chord[0] + 12];
        for (i, &idx) in ARPEGGIO.iter().enumerate() {
            let start = bar_start + i as f32 * beat / 2.0;
            pluck.play(&mut mix, tones[idx], start, beat * 0.5);
        }
    }
    for &(start, beats, note) in &MELODY {
        bell.play(
            &mut mix,
            note,
            start as f32 * beat,
            beats as f32 * beat * 0.95,
        );
    }
    normalise(&mix)
}

fn midi_hz(note: u8) -> f32 {
    440.0 * 2f32.powf((f32::from(note) - 69.0) / 12.0)
}

/// A voice ready to play at one sample rate: its timbre and one cycle of its waveform.
struct Instrument {
    voice: &'static Voice,
    wave: Vec<f32>,
    rate: u32,
}

impl Instrument {
    /// Builds the wavetable, keeping only harmonics below 0.45 × the sample rate for the
    /// voice's highest note (no aliasing at 8 kHz).
    fn new(voice: &'static Voice, rate: u32) -> Instrument {
        let top = midi_hz(voice.highest_midi);
        let limit = 0.45 * rate as f32;
        let mut t = vec![0.0f32; TABLE_LEN];
        for (h, &amp) in voice.harmonics.iter().enumerate() {
            let k = (h + 1) as f32;
            if top * k >= limit {
                break;
            }
            for (i, v) in t.iter_mut().enumerate() {
                *v += amp * (std::f32::consts::TAU * k * i as f32 / TABLE_LEN as f32).sin();
            }
        }
        Instrument {
            voice,
            wave: t,
            rate,
        }
    }

    /// Adds one note into the circular `mix` buffer: starts at sample `start`, held for `held`
    /// samples, then released. Wraps past the end so the loop point is seamless.
    fn play(&self, mix: &mut [f32], note: u8, start: f32, held: f32) {
        if mix.is_empty() || self.wave.len() != TABLE_LEN {
            return;
        }
        let rate_f = self.rate as f32;
        // 32-bit phase: the top TABLE_BITS bits index the table, the rest interpolate.
        let step = (midi_hz(note) / rate_f * 4_294_967_296.0) as u32;
        let attack = (self.voice.attack * rate_f).max(1.0) as usize;
        let held = held as usize;
        // After 4 time constants a note is at -35 dB under its level at note-off: inaudible
        // under the other voices.
        let total = held + (self.voice.release * 4.0 * rate_f) as usize;
        let decay = (-1.0 / (self.voice.decay * rate_f)).exp();
        let release = (-1.0 / (self.voice.release * rate_f)).exp();
        let frac_scale = 1.0 / (1u64 << (32 - TABLE_BITS)) as f32;
        let total = total.min(mix.len());
        // The note's samples as (at most) two contiguous runs of the circular buffer, so the
        // inner loop has no modulo.
        let at = (start as usize) % mix.len();
        let (head, tail) = mix.split_at_mut(at);
        let first = total.min(tail.len());
        let outputs = tail[..first]
            .iter_mut()
            .chain(head[..total - first].iter_mut());
        let mut phase = 0u32;
        let mut env = self.voice.gain;
        let mut factor = decay;
        let ramp_step = 1.0 / attack as f32;
        let mut ramp = 0.0f32;
        for (n, out) in outputs.enumerate() {
            let i = (phase >> (32 - TABLE_BITS)) as usize;
            let frac = (phase & ((1 << (32 - TABLE_BITS)) - 1)) as f32 * frac_scale;
            let a = self.wave[i];
            let b = self.wave[(i + 1) & (TABLE_LEN - 1)];
            *out += ramp.min(1.0) * env * (a + (b - a) * frac);
            ramp += ramp_step;
            if n == held {
                factor = release;
            }
            env *= factor;
            phase = phase.wrapping_add(step);
        }
    }
}

/// Scales the mix to [`TARGET_DBFS`] RMS and converts to i16 (saturating).
fn normalise(mix: &[f32]) -> Vec<i16> {
    let mean_square = mix
        .iter()
        .map(|&v| f64::from(v) * f64::from(v))
        .sum::<f64>()
        / mix.len().max(1) as f64;
    if mean_square <= 0.0 {
        return vec![0; mix.len()];
    }
    // AES17: a sine at 0 dBFS has RMS 32767 / sqrt(2).
    let target_rms = 32767.0 / 2f64.sqrt() * 10f64.powf(f64::from(TARGET_DBFS) / 20.0);
    let scale = target_rms / mean_square.sqrt();
    mix.iter().map(|&v| to_i16(f64::from(v) * scale)).collect()
}

#[cfg(test)]
#[path = "moh_tests.rs"]
mod tests;
