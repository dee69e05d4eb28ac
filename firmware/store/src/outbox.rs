//! The cloud sync's outbox: records queued (by triggers, see migration 7) for sending, read in
//! order and deleted once the cloud has acknowledged them.

use rusqlite::{params, Connection};

use crate::audit::AuditEntry;
use crate::cdr::CdrRecord;
use crate::error::{DbContext, StoreError};
use crate::rows::rows;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutboxRecord {
    Cdr(CdrRecord),
    Audit(AuditEntry),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    /// Increasing, never reused: acknowledge with `outbox_ack(seq)`.
    pub seq: i64,
    pub record: OutboxRecord,
}

/// The oldest `limit` entries, in order.
pub(crate) fn pending(conn: &Connection, limit: usize) -> Result<Vec<OutboxItem>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let queued = rows(
        conn,
        "outbox",
        "SELECT seq, kind, record_id FROM outbox ORDER BY seq LIMIT ?1",
        [limit],
        |r| Ok((r.get::<i64>(0)?, r.get::<String>(1)?, r.get::<i64>(2)?)),
    )?;
    let mut items = Vec::with_capacity(queued.len());
    for (seq, kind, id) in queued {
        let record = match kind.as_str() {
            "cdr" => crate::cdr::by_id(conn, id)?.map(OutboxRecord::Cdr),
            "audit" => crate::audit::by_id(conn, id)?.map(OutboxRecord::Audit),
            _ => {
                return Err(StoreError::CorruptRow {
                    table: "outbox",
                    column: "kind",
                    value: kind,
                })
            }
        };
        // A record deleted since it was queued (retention clean-up) has nothing to send.
        if let Some(record) = record {
            items.push(OutboxItem { seq, record });
        }
    }
    Ok(items)
}

/// Forgets every entry up to and including `seq`; returns how many.
pub(crate) fn ack(conn: &Connection, seq: i64) -> Result<usize, StoreError> {
    conn.execute("DELETE FROM outbox WHERE seq <= ?1", params![seq])
        .op("acknowledging outbox")
}
