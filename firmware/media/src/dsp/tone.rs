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
