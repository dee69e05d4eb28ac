//! The mail thread: sends due mails, retries failures with back-off, runs the retention sweep.
//!
//! A plain std thread with its own store connection: SMTP is blocking (lettre) and slow, and
//! must never hold up the SIP engine. The queue lives in the database, so the thread keeps no
//! state worth losing: a crash or restart resumes from the rows.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lettre::SmtpTransport;
use rand::Rng;
use store::{QueuedMail, Store};

use super::args::SmtpSettings;
use super::backoff::Backoff;
use super::compose::{build_message, AttachmentContent};
use super::error::MailError;
use super::sweep::{data_path, sweep};
use super::transport;

/// Larger audio is not attached (most servers refuse mails over 10–25 MB once encoded).
const MAX_ATTACHMENT_BYTES: u64 = 10 * 1024 * 1024;
/// Mails read from the queue per query.
const BATCH: usize = 16;
/// Longest sleep with a sender configured: mail queued by another process (which cannot wake
/// this thread) or left by a crashed run goes out within this; one indexed query a minute.
const MAX_IDLE: Duration = Duration::from_secs(60);
/// Wait before using the database again after it failed (to open, or to record an outcome).
const STORE_RETRY: Duration = Duration::from_secs(60);

/// Timings of the thread (tests shorten them).
#[derive(Debug, Clone, Copy)]
pub struct WorkerOptions {
    pub backoff: Backoff,
    pub sweep_every: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            backoff: Backoff::default(),
            sweep_every: Duration::from_secs(3600),
        }
    }
}

#[derive(Default)]
struct Flags {
    wake: bool,
    stop: bool,
}

#[derive(Default)]
struct Shared {
    flags: Mutex<Flags>,
    changed: Condvar,
}

impl Shared {
    fn flags(&self) -> MutexGuard<'_, Flags> {
        // The flags are two booleans: a panic elsewhere cannot leave them inconsistent.
        self.flags.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn stopping(&self) -> bool {
        self.flags().stop
    }

    /// Sleeps up to `timeout`, returning early when woken or stopped.
    fn wait(&self, timeout: Duration) {
        let guard = self.flags();
        let (mut guard, _) = self
            .changed
            .wait_timeout_while(guard, timeout, |f| !f.wake && !f.stop)
            .unwrap_or_else(PoisonError::into_inner);
        guard.wake = false;
    }
}

/// The running mail thread. Dropping it asks the thread to stop without waiting for it.
pub struct MailHandle {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl MailHandle {
    /// A mail was queued: send it now rather than at the next timer.
    pub fn wake(&self) {
        self.shared.flags().wake = true;
        self.shared.changed.notify_all();
    }

    /// Stops the thread and waits for it (at most one SMTP exchange in progress).
    pub fn shutdown(mut self) {
        self.signal_stop();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::error!("mail thread panicked");
            }
        }
    }

    fn signal_stop(&self) {
        self.shared.flags().stop = true;
        self.shared.changed.notify_all();
    }
}

impl Drop for MailHandle {
    fn drop(&mut self) {
        self.signal_stop();
    }
}

/// Starts the thread. `settings` `None`: no SMTP server, mail stays queued (sweeps still run).
pub fn spawn(
    data_dir: &Path,
    settings: Option<SmtpSettings>,
    options: WorkerOptions,
) -> Result<MailHandle, MailError> {
    let transport = settings.as_ref().map(transport::build).transpose()?;
    let shared = Arc::new(Shared::default());
    let mut worker = Worker {
        data_dir: data_dir.to_owned(),
        sender: settings.zip(transport),
        options,
        shared: Arc::clone(&shared),
        pause_until: None,
    };
    let thread = std::thread::Builder::new()
        .name("mail".into())
        .spawn(move || worker.run())
        .map_err(|source| MailError::Spawn { source })?;
    Ok(MailHandle {
        shared,
        thread: Some(thread),
    })
}

pub(super) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

struct Worker {
    data_dir: PathBuf,
    sender: Option<(SmtpSettings, SmtpTransport)>,
    options: WorkerOptions,
    shared: Arc<Shared>,
    /// No mail is tried before this (ms): after a failure to reach the server (one refused
    /// connection should not be repeated for every mail of the queue), or after an outcome
    /// that could not be recorded (the mail would otherwise be sent again in a tight loop).
    pause_until: Option<i64>,
}

impl Worker {
    fn run(&mut self) {
        let mut store = loop {
            match Store::open(&self.data_dir) {
                Ok(store) => break store,
                Err(e) => {
                    tracing::error!(error = %e, "mail thread cannot open the database; retrying");
                    self.shared.wait(STORE_RETRY);
                    if self.shared.stopping() {
                        return;
                    }
                }
            }
        };
        match &self.sender {
            Some((s, _)) => tracing::info!(settings = ?s, "mail sender started"),
            None => {
                let pending = store.mail_queue_counts().map(|c| c.pending).unwrap_or(0);
                tracing::warn!(
                    pending,
                    "no --smtp-host: voicemail emails stay queued until the daemon runs with one"
                );
            }
        }
        let mut next_sweep = now_ms();
        while !self.shared.stopping() {
            let now = now_ms();
            if now >= next_sweep {
                match sweep(&mut store, &self.data_dir, now) {
                    Ok(r) if r.expired_messages > 0 || r.purged_mails > 0 => {
                        tracing::info!(?r, "retention sweep")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "retention sweep failed"),
                }
                next_sweep = now.saturating_add(ms(self.options.sweep_every));
            }
            let mut wake_at = next_sweep;
            if self.sender.is_some() {
                self.send_due(&mut store);
                wake_at = wake_at.min(now_ms().saturating_add(ms(MAX_IDLE)));
                if let Ok(Some(due)) = store.next_mail_due() {
                    let due = due.max(self.pause_until.unwrap_or(due));
                    wake_at = wake_at.min(due);
                }
            }
            let wait = wake_at.saturating_sub(now_ms()).max(0);
            self.shared
                .wait(Duration::from_millis(u64::try_from(wait).unwrap_or(0)));
        }
    }

    fn send_due(&mut self, store: &mut Store) {
        loop {
            let now = now_ms();
            if self.pause_until.is_some_and(|at| now < at) {
                return;
            }
            let due = match store.due_mails(now, BATCH) {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the mail queue");
                    return;
                }
            };
            if due.is_empty() {
                return;
            }
            for mail in due {
                if self.shared.stopping() {
                    return;
                }
                if !self.attempt(store, &mail) {
                    return;
                }
            }
        }
    }

    /// Sends one mail and records the outcome; false when the batch should stop (the server
    /// is unreachable, or the outcome could not be recorded).
    fn attempt(&mut self, store: &mut Store, mail: &QueuedMail) -> bool {
        let result = self.send(mail);
        let now = now_ms();
        let recorded = match &result {
            Ok(()) => {
                self.pause_until = None;
                tracing::info!(id = mail.id, to = %mail.mail.to, "email sent");
                store.mark_mail_sent(mail.id, now)
            }
            Err(e) => {
                let failures = mail.attempts.saturating_add(1);
                let retry = if e.is_permanent() {
                    None
                } else {
                    let jitter: f64 = rand::thread_rng().gen();
                    self.options.backoff.next_attempt(now, failures, jitter)
                };
                match retry {
                    Some(at) => tracing::warn!(
                        id = mail.id, to = %mail.mail.to, failures, error = %e,
                        retry_in_s = (at - now) / 1000, "email not sent; will retry"
                    ),
                    None => tracing::error!(
                        id = mail.id, to = %mail.mail.to, failures, error = %e,
                        "email given up"
                    ),
                }
                if server_unreachable(e) {
                    self.pause_until = retry;
                }
                store.mark_mail_failed(mail.id, &e.to_string(), now, retry)
            }
        };
        if let Err(e) = recorded {
            tracing::error!(id = mail.id, error = %e, "cannot record the email's outcome; pausing");
            self.pause_until = Some(now.saturating_add(ms(STORE_RETRY)));
            return false;
        }
        !matches!(result, Err(e) if server_unreachable(&e))
    }

    fn send(&self, mail: &QueuedMail) -> Result<(), MailError> {
        let Some((settings, transport)) = &self.sender else {
            return Ok(());
        };
        let attachment = self.attachment(mail)?;
        let message = build_message(&mail.mail, &settings.from, attachment)?;
        transport::send(transport, &message)
    }

    fn attachment(&self, mail: &QueuedMail) -> Result<AttachmentContent, MailError> {
        let Some(a) = &mail.mail.attachment else {
            return Ok(AttachmentContent::None);
        };
        let path = data_path(&self.data_dir, &a.path)?;
        let read = std::fs::metadata(&path).and_then(|meta| {
            if meta.len() > MAX_ATTACHMENT_BYTES {
                Ok(None)
            } else {
                std::fs::read(&path).map(Some)
            }
        });
        match read {
            Ok(Some(bytes)) => Ok(AttachmentContent::Bytes(bytes)),
            Ok(None) => Ok(AttachmentContent::Unavailable {
                reason: "es demasiado grande para enviarlo por correo",
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Ok(AttachmentContent::Unavailable {
                    reason: "ya no está en la centralita",
                })
            }
            Err(source) => Err(MailError::Attachment { path, source }),
        }
    }
}

/// A failure of the connection rather than of this one mail.
fn server_unreachable(e: &MailError) -> bool {
    // lettre's errors without an SMTP reply code: network, connection, TLS, timeout.
    matches!(e, MailError::Smtp { source } if !source.is_permanent() && !source.is_transient())
}
