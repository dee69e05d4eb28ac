//! Applications the box runs on a call itself (sans-IO): IVR, voicemail deposit, voicemail menu, prompt recording.
//!
//! Each application is a state machine behind the [`App`] trait. The call code feeds it what the
//! media side reports about the caller's leg ([`AppInput`]: DTMF, end of a playback, end of a
//! recording) and the passing of (virtual) time, and carries out the [`AppCommand`]s it emits:
//! play / record on the caller's leg, leave the app towards a [`Destination`], hang up, or store
//! what was recorded. The machines never read the clock, files or randomness themselves.
//!
//! Every machine ends with exactly one `Route` or `Hangup` (or nothing, after
//! [`App::caller_gone`]). Every wait has a deadline — including a guard on playbacks and
//! recordings in case the media side never reports their end — so a call never stays in an app
//! forever once the caller stops pressing keys.
use crate::media::{Playback, RecordEnd, RecordSpec};
use crate::routing::Destination;
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub mod ivr;
mod outbox;
pub mod prompt_hangup;
pub mod record_prompt;
pub mod vm_menu;
pub mod voicemail;

#[cfg(test)]
mod tests;

pub use ivr::{Ivr, IvrConfig};
pub use prompt_hangup::PromptThenHangup;
pub use record_prompt::{RecConfig, RecordPrompt};
pub use vm_menu::{MenuConfig, MessageInfo, VoicemailMenu};
pub use voicemail::{VmConfig, VoicemailDeposit};

/// What the call code reports to an application (all about the caller's leg).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppInput {
    /// A key the caller pressed (0-9, *, #, A-D), once per press.
    Dtmf(char),
    /// The playback started with this token reached its end (not sent after `StopPlay`).
    PlayDone(u64),
    /// The recording started with this token ended; the file is complete.
    RecordDone {
        token: u64,
        end: RecordEnd,
        duration: Duration,
    },
}

/// What an application asks the call code to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppCommand {
    /// Play to the caller, replacing any playback. Tokens are unique per machine and increasing.
    Play {
        what: Playback,
        token: u64,
    },
    StopPlay,
    /// Record the caller; ends with `AppInput::RecordDone` carrying the same token.
    Record {
        spec: RecordSpec,
        token: u64,
    },
    StopRecord,
    /// Leave the app: the call goes to this destination. `Destination::Extension` carries the
    /// extension *number* the caller dialled (the call code maps it to the account).
    Route(Destination),
    Hangup,
    /// A voicemail message was left in `file` (the call code stores it and mails it).
    SaveVoicemail {
        box_id: String,
        file: PathBuf,
        duration: Duration,
    },
    /// Voicemail menu: the message with this id was listened to.
    MarkHeard(i64),
    /// Voicemail menu: the owner deleted the message with this id.
    DeleteMessage(i64),
    /// A prompt recorded from a phone was accepted: keep `file` as the prompt of `slot`.
    SavePrompt {
        slot: String,
        file: PathBuf,
    },
}

/// A sans-IO call application. The call code calls `start` once, then `handle` for each input and
/// `handle_timeout` when `poll_timeout` has passed, draining `poll_command` after each call.
pub trait App {
    fn start(&mut self, now: Instant);
    fn handle(&mut self, input: AppInput, now: Instant);
    /// Called at or after the instant `poll_timeout` returned (early calls are ignored).
    fn handle_timeout(&mut self, now: Instant);
    fn poll_timeout(&self) -> Option<Instant>;
    fn poll_command(&mut self) -> Option<AppCommand>;
    /// The caller hung up: a recording in progress is kept (voicemail) — emit what is needed.
    fn caller_gone(&mut self, now: Instant);
}
