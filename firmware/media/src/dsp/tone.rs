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
