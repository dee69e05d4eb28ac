//! Email from the box: voicemail messages mailed to their box's address through an SMTP
//! server, reliably (an outbox in the database, retried with back-off for two days), and the
//! retention sweep that expires old messages.
//!
//! Wiring (daemon): `let mail = mail::start(&data_dir, args.mail.clone())?;` at start-up; when
//! a voicemail message is saved, `Store::add_voicemail_with_mail` with
//! `compose::voicemail_mail(..)` (one transaction), then `mail.wake()`; `mail.shutdown()` when
//! stopping.

pub mod args;
pub mod backoff;
pub mod compose;
pub mod error;
mod sweep;
mod transport;
mod worker;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use args::MailArgs;
pub use worker::MailHandle;

use args::PASSWORD_ENV;
use error::MailError;
use worker::WorkerOptions;

/// Starts the mail thread (own database connection) with the daemon's options. Fails on
/// options that can never work (a user without password, an invalid sender address), so the
/// daemon refuses to start rather than queueing mail forever. Without `--smtp-host` the
/// thread only runs the retention sweep and mail waits in the queue.
pub fn start(data_dir: &Path, args: MailArgs) -> Result<MailHandle, MailError> {
    let settings = args.settings(std::env::var(PASSWORD_ENV).ok())?;
    worker::spawn(data_dir, settings, WorkerOptions::default())
}
