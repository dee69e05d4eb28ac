//! Applications the box runs on a call itself (sans-IO): IVR, voicemail deposit, voicemail menu, prompt recording.
