//! Email from the box: voicemail messages mailed to their box's address through an SMTP
//! server, reliably (an outbox in the database, retried with back-off for two days), and the
//! retention sweep that expires old messages.
//!
//! Wiring (daemon): `let mail = mail::start(&data_dir, args.mail.clone())?;` at start-up; when
//! a voicemail message is saved, `mail.save_voicemail(&mut store, &message, &box_name,
//! &box_email, tz, now_ms)` (or `Store::add_voicemail_with_mail` with `voicemail_mail(..)`
//! followed by `mail.wake()`); `mail.shutdown()` when stopping.

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
use compose::voicemail_mail;
use error::MailError;
use worker::WorkerOptions;

use store::{Store, StoreError, VoicemailMessage};

/// Starts the mail thread (own database connection) with the daemon's options. Fails on
/// options that can never work (a user without password, an invalid sender address), so the
/// daemon refuses to start rather than queueing mail forever. Without `--smtp-host` the
/// thread only runs the retention sweep and mail waits in the queue.
pub fn start(data_dir: &Path, args: MailArgs) -> Result<MailHandle, MailError> {
    let settings = args.settings(std::env::var(PASSWORD_ENV).ok())?;
    worker::spawn(data_dir, settings, WorkerOptions::default())
}

impl MailHandle {
    /// Saves a voicemail message and queues its email (when the box has an address) in one
    /// transaction, then wakes the sender. Returns the message id.
    pub fn save_voicemail(
        &self,
        store: &mut Store,
        message: &VoicemailMessage,
        box_name: &str,
        box_email: &str,
        time_zone: Option<chrono_tz::Tz>,
        now_utc: i64,
    ) -> Result<i64, StoreError> {
        let mail = voicemail_mail(message, box_name, box_email, time_zone);
        let (id, mail_id) = store.add_voicemail_with_mail(message, mail.as_ref(), now_utc)?;
        if mail_id.is_some() {
            self.wake();
        }
        Ok(id)
    }
}
