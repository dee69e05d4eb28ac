//! Voicemail messages and call recordings: records that outlive configuration changes.
//! Audio lives in files under the data folder; rows hold their metadata.

use rusqlite::{params, Connection};

use crate::error::{DbContext, StoreError};
use crate::rows::rows;

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
        |r| {
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
        },
    )
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

pub(crate) fn add_recording(conn: &Connection, r: &Recording) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO recordings (tenant_id, call_id, created_utc, duration_ms, file)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![r.tenant_id, r.call_id, r.created_utc, r.duration_ms, r.file],
    )
    .op("storing recording")?;
    Ok(conn.last_insert_rowid())
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
        |r| {
            Ok(Recording {
                id: r.get(0)?,
                tenant_id: r.get(1)?,
                call_id: r.get(2)?,
                created_utc: r.get(3)?,
                duration_ms: r.get(4)?,
                file: r.get(5)?,
            })
        },
    )
}
