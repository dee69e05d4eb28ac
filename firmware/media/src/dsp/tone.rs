//! Tone generation: call-progress tones, beeps, DTMF digits.

/// A tone the box can play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ToneKind {
    /// The voicemail beep (1 kHz, 0.5 s); finite.
    Beep,
    /// Dial tone (Spain: 425 Hz continuous); loops.
    Dial,
    /// Busy (425 Hz, 0.2 s on / 0.2 s off); loops.
    Busy,
    /// Ringback (425 Hz, 1.5 s on / 3 s off); loops.
    Ringback,
    /// Congestion (425 Hz, 0.2/0.2/0.2/0.6); loops.
    Congestion,
    /// One DTMF digit (0-9, *, #, A-D), 100 ms; finite.
    Dtmf(char),
}

/// A built-in spoken phrase of the firmware (Spanish), used when the tenant has no prompt of its
/// own: default voicemail greeting, menu phrases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SystemSound {
    /// "Deje su mensaje después de la señal."
    VoicemailGreeting,
    /// "Introduzca su PIN seguido de almohadilla."
    EnterPin,
    /// "PIN incorrecto."
    WrongPin,
    /// "Tiene" (followed by a number and NewMessages / OldMessages).
    YouHave,
    /// "mensajes nuevos".
    NewMessages,
    /// "mensajes antiguos".
    OldMessages,
    /// A number said aloud, 0 to 20 (larger counts say "muchos").
    Number(u8),
    /// "Pulse 1 para repetir, 7 para borrar, 9 para guardar y pasar al siguiente, almohadilla para salir."
    MessageMenu,
    /// "No hay más mensajes."
    NoMoreMessages,
    /// "No hay mensajes."
    NoMessages,
    /// "Mensaje borrado."
    MessageDeleted,
    /// "Grabe su locución después de la señal; pulse almohadilla para terminar."
    RecordPrompt,
    /// "Pulse 1 para guardar, 2 para grabar de nuevo."
    SaveOrRetry,
    /// "Locución guardada."
    PromptSaved,
    /// "Adiós."
    Goodbye,
    /// "Número no válido."
    Invalid,
}

/// `samples` samples of a sine at `freq_hz`, starting at phase 0, at `level_dbfs` in the
/// AES17 sense used across [`crate::dsp`]: a full-scale sine is 0 dBFS, so
/// `level::rms_dbfs(&sine(f, l, ..)) ≈ l`. Levels above 0 dBFS saturate.
pub fn sine(freq_hz: f32, level_dbfs: f32, sample_rate: u32, samples: usize) -> Vec<i16> {
    let amplitude = dbfs_to_amplitude(level_dbfs);
    let step = f64::from(freq_hz) / f64::from(sample_rate.max(1));
    (0..samples)
        .map(|i| {
            // Phase kept in cycles and wrapped so long signals keep full precision.
            let cycles = (i as f64 * step).fract();
            to_i16(amplitude * (std::f64::consts::TAU * cycles).sin())
        })
        .collect()
}

/// Peak amplitude (in sample units) of a sine whose level is `level_dbfs` (AES17).
pub(crate) fn dbfs_to_amplitude(level_dbfs: f32) -> f64 {
    32767.0 * 10f64.powf(f64::from(level_dbfs) / 20.0)
}

/// Rounds and saturates to the i16 range.
pub(crate) fn to_i16(v: f64) -> i16 {
    v.round().clamp(-32768.0, 32767.0) as i16
}

/// Level of each 425 Hz call-progress tone (Spain: about -10 dBm0, i.e. -13 dBFS at G.711's
/// 3.14 dBm0 full scale).
const PROGRESS_DBFS: f32 = -13.0;
/// Level of the voicemail beep.
const BEEP_DBFS: f32 = -10.0;
/// Level of each of the two DTMF frequencies (ITU-T Q.23 sender: about -7 dBm0 per tone, with
/// headroom so the sum of both never clips).
const DTMF_DBFS: f32 = -10.0;
/// Raised-cosine ramp at every on/off edge so cadence steps do not click.
const RAMP_MS: u32 = 5;

/// The low-group (row) and high-group (column) frequencies of a DTMF key (ITU-T Q.23);
/// `None` for a character that is not a key.
pub fn dtmf_frequencies(key: char) -> Option<(f32, f32)> {
    const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
    const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
    let (r, c) = match key.to_ascii_uppercase() {
        '1' => (0, 0),
        '2' => (0, 1),
        '3' => (0, 2),
        'A' => (0, 3),
        '4' => (1, 0),
        '5' => (1, 1),
        '6' => (1, 2),
        'B' => (1, 3),
        '7' => (2, 0),
        '8' => (2, 1),
        '9' => (2, 2),
        'C' => (2, 3),
        '*' => (3, 0),
        '0' => (3, 1),
        '#' => (3, 2),
        'D' => (3, 3),
        _ => return None,
    };
    Some((ROWS[r], COLS[c]))
}

/// What a tone sounds like: up to two frequencies, a cadence of (milliseconds, on?) steps,
/// and whether the cadence repeats.
struct Pattern {
    freqs: [f32; 2],
    amplitude: [f64; 2],
    cadence: &'static [(u32, bool)],
    looped: bool,
}

fn pattern(kind: ToneKind) -> Pattern {
    let progress = |cadence| Pattern {
        freqs: [425.0, 0.0],
        amplitude: [dbfs_to_amplitude(PROGRESS_DBFS), 0.0],
        cadence,
        looped: true,
    };
    match kind {
        ToneKind::Beep => Pattern {
            freqs: [1000.0, 0.0],
            amplitude: [dbfs_to_amplitude(BEEP_DBFS), 0.0],
            cadence: &[(500, true)],
            looped: false,
        },
        // One endless "on" step: ramps in once, never out.
        ToneKind::Dial => progress(&[(u32::MAX, true)]),
        ToneKind::Busy => progress(&[(200, true), (200, false)]),
        ToneKind::Ringback => progress(&[(1500, true), (3000, false)]),
        ToneKind::Congestion => progress(&[(200, true), (200, false), (200, true), (600, false)]),
        ToneKind::Dtmf(key) => match dtmf_frequencies(key) {
            Some((row, col)) => {
                let a = dbfs_to_amplitude(DTMF_DBFS);
                Pattern {
                    freqs: [row, col],
                    amplitude: [a, a],
                    cadence: &[(100, true)],
                    looped: false,
                }
            }
            // Not a key: an empty tone, finished at once.
            None => Pattern {
                freqs: [0.0, 0.0],
                amplitude: [0.0, 0.0],
                cadence: &[],
                looped: false,
            },
        },
    }
}

/// Streaming generator of one [`ToneKind`] at a given sample rate: phase-continuous across
/// calls and cadence steps, with short ramps at every edge. No allocation after `new`.
#[derive(Debug, Clone)]
pub struct ToneGenerator {
    /// Phase increment per sample, in cycles, per oscillator.
    step: [f64; 2],
    amplitude: [f64; 2],
    /// Oscillator phases in cycles, kept in [0, 1).
    phase: [f64; 2],
    cadence: &'static [(u32, bool)],
    looped: bool,
    sample_rate: u64,
    ramp: u64,
    /// Current cadence step and position (samples) inside it.
    index: usize,
    pos: u64,
    finished: bool,
}

impl ToneGenerator {
    /// A generator for `kind` at `sample_rate` Hz (8000, 16000, 48000 or any other rate).
    pub fn new(kind: ToneKind, sample_rate: u32) -> ToneGenerator {
        let p = pattern(kind);
        let rate = f64::from(sample_rate.max(1));
        let sample_rate = u64::from(sample_rate.max(1));
        ToneGenerator {
            step: [f64::from(p.freqs[0]) / rate, f64::from(p.freqs[1]) / rate],
            amplitude: p.amplitude,
            phase: [0.0, 0.0],
            cadence: p.cadence,
            looped: p.looped,
            sample_rate,
            ramp: (sample_rate * u64::from(RAMP_MS) / 1000).max(1),
            index: 0,
            pos: 0,
            finished: p.cadence.is_empty(),
        }
    }

    /// Fills `out` with the next samples; returns how many were written before a finite tone
    /// ended (`out.len()` while it goes on; looping tones never end). Samples after the end
    /// are zeroed.
    pub fn fill(&mut self, out: &mut [i16]) -> usize {
        for (written, slot) in out.iter_mut().enumerate() {
            match self.next_sample() {
                Some(s) => *slot = s,
                None => {
                    for rest in &mut out[written..] {
                        *rest = 0;
                    }
                    return written;
                }
            }
        }
        out.len()
    }

    /// Whether a finite tone (beep, DTMF digit) has played to its end.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    fn step_len(&self, ms: u32) -> u64 {
        u64::from(ms).saturating_mul(self.sample_rate) / 1000
    }

    fn next_sample(&mut self) -> Option<i16> {
        // Skip to a step with samples left (bounded: at most one pass over the cadence).
        let mut guard = 0;
        loop {
            if self.finished {
                return None;
            }
            let (ms, _) = self.cadence[self.index];
            if self.pos < self.step_len(ms) {
                break;
            }
            self.pos = 0;
            self.index += 1;
            if self.index == self.cadence.len() {
                if self.looped {
                    self.index = 0;
                } else {
                    self.finished = true;
                }
            }
            guard += 1;
            if guard > self.cadence.len() + 1 {
                self.finished = true;
            }
        }
        let (ms, on) = self.cadence[self.index];
        let len = self.step_len(ms);
        let gain = if on {
            // Raised cosine in over the first `ramp` samples and out over the last ones.
            let edge = self.pos.min(len - 1 - self.pos);
            if edge < self.ramp {
                let x = (edge as f64 + 0.5) / self.ramp as f64;
                0.5 - 0.5 * (std::f64::consts::PI * x).cos()
            } else {
                1.0
            }
        } else {
            0.0
        };
        let mut v = 0.0;
        for k in 0..2 {
            // Oscillators run through silent steps too, so the phase is continuous; the sine
            // itself is only computed when it is heard (single tones skip the second one).
            if gain > 0.0 && self.amplitude[k] != 0.0 {
                v += self.amplitude[k] * (std::f64::consts::TAU * self.phase[k]).sin();
            }
            self.phase[k] = (self.phase[k] + self.step[k]).fract();
        }
        self.pos += 1;
        Some(to_i16(gain * v))
    }
}

#[cfg(test)]
#[path = "tone_tests.rs"]
mod tests;
