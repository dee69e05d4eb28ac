//! The mail outbox (migration 9): emails written in the same transaction as what they
//! announce, sent by the daemon's mail sender, retried until sent or given up.
//!
//! The store only records; the sender decides when to retry (it passes the next attempt time)
//! and when to give up, and removes old finished rows with `purge_mail`.

use rusqlite::{params, Connection, TransactionBehavior};

use crate::error::{DbContext, StoreError};
use crate::messages::{add_voicemail, VoicemailMessage};
use crate::rows::{rows, R};
use crate::Store;

/// A file sent with a mail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailAttachment {
    /// Relative to the data folder.
    pub path: String,
    /// The file name the recipient sees.
    pub name: String,
    /// e.g. `audio/wav`.
    pub mime: String,
}

/// An email to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMail {
    /// The tenant it concerns (for status listings), if any.
    pub tenant_id: Option<u32>,
    pub to: String,
    pub subject: String,
    /// Plain text.
    pub body: String,
    pub attachment: Option<MailAttachment>,
}

/// A queued email that is neither sent nor given up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMail {
    pub id: i64,
    pub mail: NewMail,
    pub created_utc: i64,
    /// Failed attempts so far.
    pub attempts: u32,
    pub next_attempt_utc: i64,
    pub last_error: Option<String>,
}

/// How many mails are in each state (for `centralita status`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MailQueueCounts {
    pub pending: u32,
    pub sent: u32,
    pub failed: u32,
}

const COLUMNS: &str = "id, tenant_id, to_addr, subject, body, attachment_path, attachment_name,
    attachment_mime, created_utc, attempts, next_attempt_utc, last_error";

fn queued_row(r: &R<'_, '_>) -> Result<QueuedMail, StoreError> {
    let path: Option<String> = r.get(5)?;
    let name: Option<String> = r.get(6)?;
    let mime: Option<String> = r.get(7)?;
    let attachment = match (path, name, mime) {
        (Some(path), Some(name), Some(mime)) => Some(MailAttachment { path, name, mime }),
        // The table's CHECK keeps the three together.
        _ => None,
    };
    Ok(QueuedMail {
        id: r.get(0)?,
        mail: NewMail {
            tenant_id: r.get(1)?,
            to: r.get(2)?,
            subject: r.get(3)?,
            body: r.get(4)?,
            attachment,
        },
        created_utc: r.get(8)?,
        attempts: r.get(9)?,
        next_attempt_utc: r.get(10)?,
        last_error: r.get(11)?,
    })
}

fn enqueue(conn: &Connection, mail: &NewMail, now_utc: i64) -> Result<i64, StoreError> {
    let a = mail.attachment.as_ref();
    conn.execute(
        "INSERT INTO mail_queue (tenant_id, to_addr, subject, body, attachment_path,
             attachment_name, attachment_mime, created_utc, next_attempt_utc)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        params![
            mail.tenant_id,
            mail.to,
            mail.subject,
            mail.body,
            a.map(|a| &a.path),
            a.map(|a| &a.name),
            a.map(|a| &a.mime),
            now_utc
        ],
    )
    .op("queueing mail")?;
    Ok(conn.last_insert_rowid())
}

impl Store {
    /// Queues an email, due at once; returns its id.
    pub fn enqueue_mail(&mut self, mail: &NewMail, now_utc: i64) -> Result<i64, StoreError> {
        enqueue(&self.conn, mail, now_utc)
    }

    /// Stores a voicemail message and queues its email in one transaction, so the message is
    /// never saved without its email nor the reverse. Returns the message id and the mail id.
    pub fn add_voicemail_with_mail(
        &mut self,
        message: &VoicemailMessage,
        mail: Option<&NewMail>,
        now_utc: i64,
    ) -> Result<(i64, Option<i64>), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .op("starting voicemail insert")?;
        let id = add_voicemail(&tx, message)?;
        let mail_id = match mail {
            Some(mail) => Some(enqueue(&tx, mail, now_utc)?),
            None => None,
        };
        tx.commit().op("committing voicemail")?;
        Ok((id, mail_id))
    }

    /// Up to `limit` pending mails due at `now_utc`, the most overdue first.
    pub fn due_mails(&self, now_utc: i64, limit: usize) -> Result<Vec<QueuedMail>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        rows(
            &self.conn,
            "mail_queue",
            &format!(
                "SELECT {COLUMNS} FROM mail_queue
                 WHERE sent_utc IS NULL AND failed_utc IS NULL AND next_attempt_utc <= ?1
                 ORDER BY next_attempt_utc, id LIMIT ?2"
            ),
            params![now_utc, limit],
            queued_row,
        )
    }

    /// When the earliest pending mail is due (`None`: nothing pending), so the sender can
    /// sleep until then.
    pub fn next_mail_due(&self) -> Result<Option<i64>, StoreError> {
        self.conn
            .query_row(
                "SELECT min(next_attempt_utc) FROM mail_queue
                 WHERE sent_utc IS NULL AND failed_utc IS NULL",
                [],
                |r| r.get(0),
            )
            .op("reading next mail due")
    }

    /// One mail by id, whatever its state.
    pub fn mail(&self, id: i64) -> Result<Option<QueuedMail>, StoreError> {
        let found = rows(
            &self.conn,
            "mail_queue",
            &format!("SELECT {COLUMNS} FROM mail_queue WHERE id = ?1"),
            [id],
            queued_row,
        )?;
        Ok(found.into_iter().next())
    }

    /// Records a successful send; false if the mail was not pending.
    pub fn mark_mail_sent(&mut self, id: i64, now_utc: i64) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .execute(
                "UPDATE mail_queue SET sent_utc = ?2
                 WHERE id = ?1 AND sent_utc IS NULL AND failed_utc IS NULL",
                params![id, now_utc],
            )
            .op("marking mail sent")?
            > 0)
    }

    /// Records a failed attempt: retried at `retry_at_utc`, or given up at `now_utc` when it
    /// is `None`. False if the mail was not pending.
    pub fn mark_mail_failed(
        &mut self,
        id: i64,
        error: &str,
        now_utc: i64,
        retry_at_utc: Option<i64>,
    ) -> Result<bool, StoreError> {
        let changed = match retry_at_utc {
            Some(at) => self.conn.execute(
                "UPDATE mail_queue SET attempts = attempts + 1, last_error = ?2,
                     next_attempt_utc = ?3
                 WHERE id = ?1 AND sent_utc IS NULL AND failed_utc IS NULL",
                params![id, error, at],
            ),
            None => self.conn.execute(
                "UPDATE mail_queue SET attempts = attempts + 1, last_error = ?2, failed_utc = ?3
                 WHERE id = ?1 AND sent_utc IS NULL AND failed_utc IS NULL",
                params![id, error, now_utc],
            ),
        }
        .op("recording failed mail attempt")?;
        Ok(changed > 0)
    }

    /// Forgets sent and given-up mails finished before `before_utc`; returns how many.
    pub fn purge_mail(&mut self, before_utc: i64) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "DELETE FROM mail_queue
                 WHERE coalesce(sent_utc, failed_utc) < ?1",
                [before_utc],
            )
            .op("purging finished mail")
    }

    pub fn mail_queue_counts(&self) -> Result<MailQueueCounts, StoreError> {
        self.conn
            .query_row(
                "SELECT coalesce(sum(sent_utc IS NULL AND failed_utc IS NULL), 0),
                        coalesce(sum(sent_utc IS NOT NULL), 0),
                        coalesce(sum(failed_utc IS NOT NULL), 0)
                 FROM mail_queue",
                [],
                |r| {
                    Ok(MailQueueCounts {
                        pending: r.get(0)?,
                        sent: r.get(1)?,
                        failed: r.get(2)?,
                    })
                },
            )
            .op("counting mail")
    }
}
