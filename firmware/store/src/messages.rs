//! Voicemail messages and call recordings: records that outlive configuration changes.
//! Audio lives in files under the data folder; rows hold their metadata.

use rusqlite::{params, Connection, TransactionBehavior};

use crate::error::{DbContext, StoreError};
use crate::rows::{rows, R};
use crate::Store;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailMessage {
    /// Row id, assigned by the store (ignored on insert).
    pub id: i64,
    pub tenant_id: u32,
    /// Stable id of the box (from the tenant document).
    pub box_id: String,
    pub caller: String,
    pub received_utc: i64,
    pub duration_ms: u32,
    /// Audio file, relative to the data folder.
    pub file: String,
    pub heard: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recording {
    pub id: i64,
    pub tenant_id: u32,
    pub call_id: String,
    pub created_utc: i64,
    pub duration_ms: u32,
    pub file: String,
}

pub(crate) fn add_voicemail(conn: &Connection, m: &VoicemailMessage) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO voicemail_messages (tenant_id, box_id, caller, received_utc, duration_ms, file, heard)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![m.tenant_id, m.box_id, m.caller, m.received_utc, m.duration_ms, m.file, m.heard],
    )
    .op("storing voicemail message")?;
    Ok(conn.last_insert_rowid())
}

/// A box's messages, oldest first (the order the box menu plays them).
pub(crate) fn voicemails(
    conn: &Connection,
    tenant_id: u32,
    box_id: &str,
) -> Result<Vec<VoicemailMessage>, StoreError> {
    rows(
        conn,
        "voicemail_messages",
        "SELECT id, tenant_id, box_id, caller, received_utc, duration_ms, file, heard
         FROM voicemail_messages WHERE tenant_id = ?1 AND box_id = ?2 ORDER BY received_utc, id",
        params![tenant_id, box_id],
        voicemail_row,
    )
}

const VOICEMAIL_COLUMNS: &str =
    "id, tenant_id, box_id, caller, received_utc, duration_ms, file, heard";

fn voicemail_row(r: &R<'_, '_>) -> Result<VoicemailMessage, StoreError> {
    Ok(VoicemailMessage {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        box_id: r.get(2)?,
        caller: r.get(3)?,
        received_utc: r.get(4)?,
        duration_ms: r.get(5)?,
        file: r.get(6)?,
        heard: r.get(7)?,
    })
}

pub(crate) fn mark_heard(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn
        .execute(
            "UPDATE voicemail_messages SET heard = 1 WHERE id = ?1",
            [id],
        )
        .op("marking message heard")?
        > 0)
}

/// Deletes a message row and returns its file, which the caller removes from disk.
pub(crate) fn delete_voicemail(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    let file = rows(
        conn,
        "voicemail_messages",
        "DELETE FROM voicemail_messages WHERE id = ?1 RETURNING file",
        [id],
        |r| r.get::<String>(0),
    )?;
    Ok(file.into_iter().next())
}

/// Stores a recording and links the CDRs of its call already written (a trigger links those
/// written later, see migration 9), in one transaction.
pub(crate) fn add_recording(conn: &mut Connection, r: &Recording) -> Result<i64, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .op("starting recording insert")?;
    tx.execute(
        "INSERT INTO recordings (tenant_id, call_id, created_utc, duration_ms, file)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![r.tenant_id, r.call_id, r.created_utc, r.duration_ms, r.file],
    )
    .op("storing recording")?;
    let id = tx.last_insert_rowid();
    tx.execute(
        "UPDATE cdrs SET recording_id = ?1 WHERE tenant_id = ?2 AND call_id = ?3",
        params![id, r.tenant_id, r.call_id],
    )
    .op("linking recording to its CDRs")?;
    tx.commit().op("committing recording")?;
    Ok(id)
}

pub(crate) fn recordings(
    conn: &Connection,
    tenant_id: u32,
    call_id: &str,
) -> Result<Vec<Recording>, StoreError> {
    rows(
        conn,
        "recordings",
        "SELECT id, tenant_id, call_id, created_utc, duration_ms, file FROM recordings
         WHERE tenant_id = ?1 AND call_id = ?2 ORDER BY created_utc, id",
        params![tenant_id, call_id],
        recording_row,
    )
}

const RECORDING_COLUMNS: &str = "id, tenant_id, call_id, created_utc, duration_ms, file";

fn recording_row(r: &R<'_, '_>) -> Result<Recording, StoreError> {
    Ok(Recording {
        id: r.get(0)?,
        tenant_id: r.get(1)?,
        call_id: r.get(2)?,
        created_utc: r.get(3)?,
        duration_ms: r.get(4)?,
        file: r.get(5)?,
    })
}

/// How long a message is kept when its box is no longer in the configuration (the default of
/// `keep_days`, SPEC §6).
pub const DEFAULT_KEEP_DAYS: u32 = 730;

const DAY_MS: i64 = 86_400_000;

/// Messages in a box, for message-waiting indication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VoicemailCounts {
    /// Not heard yet.
    pub new: u32,
    pub old: u32,
}

/// The counts of one box that holds at least one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoxCounts {
    pub tenant_id: u32,
    pub box_id: String,
    pub counts: VoicemailCounts,
}

impl Store {
    /// New and old messages of one box (zero for a box without messages).
    pub fn voicemail_counts(
        &self,
        tenant_id: u32,
        box_id: &str,
    ) -> Result<VoicemailCounts, StoreError> {
        let found = rows(
            &self.conn,
            "voicemail_messages",
            "SELECT coalesce(sum(heard = 0), 0), coalesce(sum(heard = 1), 0)
             FROM voicemail_messages WHERE tenant_id = ?1 AND box_id = ?2",
            params![tenant_id, box_id],
            |r| {
                Ok(VoicemailCounts {
                    new: r.get(0)?,
                    old: r.get(1)?,
                })
            },
        )?;
        Ok(found.into_iter().next().unwrap_or_default())
    }

    /// The counts of every box holding messages (the daemon's message-waiting state at start).
    pub fn all_voicemail_counts(&self) -> Result<Vec<BoxCounts>, StoreError> {
        rows(
            &self.conn,
            "voicemail_messages",
            "SELECT tenant_id, box_id, sum(heard = 0), sum(heard = 1)
             FROM voicemail_messages GROUP BY tenant_id, box_id ORDER BY tenant_id, box_id",
            [],
            |r| {
                Ok(BoxCounts {
                    tenant_id: r.get(0)?,
                    box_id: r.get(1)?,
                    counts: VoicemailCounts {
                        new: r.get(2)?,
                        old: r.get(3)?,
                    },
                })
            },
        )
    }

    /// One message by id.
    pub fn voicemail(&self, id: i64) -> Result<Option<VoicemailMessage>, StoreError> {
        let found = rows(
            &self.conn,
            "voicemail_messages",
            &format!("SELECT {VOICEMAIL_COLUMNS} FROM voicemail_messages WHERE id = ?1"),
            [id],
            voicemail_row,
        )?;
        Ok(found.into_iter().next())
    }

    /// Deletes every message older than its box's `keep_days` at `now_utc` (ms), boxes no
    /// longer configured keeping theirs `DEFAULT_KEEP_DAYS`; returns the audio files for the
    /// caller to remove once this has returned (the rows go first: a crash in between leaves
    /// an orphan file, never a row pointing at a missing file).
    pub fn expire_voicemails(&mut self, now_utc: i64) -> Result<Vec<String>, StoreError> {
        rows(
            &self.conn,
            "voicemail_messages",
            "DELETE FROM voicemail_messages
             WHERE received_utc < ?1 - ?2 * coalesce(
                 (SELECT keep_days FROM voicemail_boxes b
                  WHERE b.tenant_id = voicemail_messages.tenant_id
                    AND b.id = voicemail_messages.box_id), ?3)
             RETURNING file",
            params![now_utc, DAY_MS, DEFAULT_KEEP_DAYS],
            |r| r.get::<String>(0),
        )
    }

    /// One recording by id.
    pub fn recording(&self, id: i64) -> Result<Option<Recording>, StoreError> {
        let found = rows(
            &self.conn,
            "recordings",
            &format!("SELECT {RECORDING_COLUMNS} FROM recordings WHERE id = ?1"),
            [id],
            recording_row,
        )?;
        Ok(found.into_iter().next())
    }

    /// The tenant's latest recordings, newest first.
    pub fn list_recordings(
        &self,
        tenant_id: u32,
        limit: usize,
    ) -> Result<Vec<Recording>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        rows(
            &self.conn,
            "recordings",
            &format!(
                "SELECT {RECORDING_COLUMNS} FROM recordings WHERE tenant_id = ?1
                 ORDER BY created_utc DESC, id DESC LIMIT ?2"
            ),
            params![tenant_id, limit],
            recording_row,
        )
    }

    /// The recording a CDR links to (`cdrs.recording_id`), if any.
    pub fn cdr_recording(&self, cdr_id: i64) -> Result<Option<Recording>, StoreError> {
        let found = rows(
            &self.conn,
            "recordings",
            &format!(
                "SELECT {RECORDING_COLUMNS} FROM recordings
                 WHERE id = (SELECT recording_id FROM cdrs WHERE id = ?1)"
            ),
            [cdr_id],
            recording_row,
        )?;
        Ok(found.into_iter().next())
    }

    /// Deletes a recording (CDRs linking to it keep existing, unlinked) and returns its file
    /// for the caller to remove after this has returned.
    pub fn delete_recording(&mut self, id: i64) -> Result<Option<String>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .op("starting recording delete")?;
        let file = delete_recording_row(&tx, id)?;
        tx.commit().op("committing recording delete")?;
        Ok(file)
    }

    /// Deletes a CDR and the recording it links to (other legs of the call that shared it are
    /// unlinked); returns the recording's file for the caller to remove after this has
    /// returned. `None`: no such CDR, or it had no recording.
    pub fn delete_cdr_with_recording(&mut self, cdr_id: i64) -> Result<Option<String>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .op("starting CDR delete")?;
        let linked = rows(
            &tx,
            "cdrs",
            "DELETE FROM cdrs WHERE id = ?1 RETURNING recording_id",
            [cdr_id],
            |r| r.get::<Option<i64>>(0),
        )?;
        let file = match linked.into_iter().next().flatten() {
            Some(recording_id) => delete_recording_row(&tx, recording_id)?,
            None => None,
        };
        tx.commit().op("committing CDR delete")?;
        Ok(file)
    }
}

fn delete_recording_row(conn: &Connection, id: i64) -> Result<Option<String>, StoreError> {
    conn.execute(
        "UPDATE cdrs SET recording_id = NULL WHERE recording_id = ?1",
        [id],
    )
    .op("unlinking recording")?;
    let file = rows(
        conn,
        "recordings",
        "DELETE FROM recordings WHERE id = ?1 RETURNING file",
        [id],
        |r| r.get::<String>(0),
    )?;
    Ok(file.into_iter().next())
}
