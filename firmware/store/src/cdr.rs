//! Call detail records: written in batches by the daemon, read by `centralita cdr`, the web
//! page and (later) the cloud sync.

use rusqlite::{params, Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::error::{DbContext, StoreError};
use crate::rows::{rows, R};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Internal,
    Incoming,
    Outgoing,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Internal => "internal",
            Direction::Incoming => "incoming",
            Direction::Outgoing => "outgoing",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "internal" => Direction::Internal,
            "incoming" => Direction::Incoming,
            "outgoing" => Direction::Outgoing,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
}

impl Disposition {
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Answered => "answered",
            Disposition::NoAnswer => "no_answer",
            Disposition::Busy => "busy",
            Disposition::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "answered" => Disposition::Answered,
            "no_answer" => Disposition::NoAnswer,
            "busy" => Disposition::Busy,
            "failed" => Disposition::Failed,
            _ => return None,
        })
    }
}

/// One call leg. Times are wall-clock UTC in milliseconds since the Unix epoch, taken by the
/// daemon (the store never reads the clock).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CdrRecord {
    pub tenant_id: u32,
    pub call_id: String,
    pub start_utc: i64,
    pub answer_utc: Option<i64>,
    pub end_utc: i64,
    pub billable_secs: u32,
    pub direction: Direction,
    pub source: String,
    pub destination: String,
    pub did: Option<String>,
    pub disposition: Disposition,
    /// SIP status or cause that ended the call, e.g. "200 BYE caller", "486", "480 timeout".
    pub hangup_cause: String,
    pub caller_id_presented: Option<String>,
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub agent: Option<String>,
    /// The trunk account that carried the call (`username@domain`), if it used one.
    #[serde(default)]
    pub trunk: Option<String>,
}

const COLUMNS: &str =
    "tenant_id, call_id, start_utc, answer_utc, end_utc, billable_secs, direction, source,
    destination, did, disposition, hangup_cause, caller_id_presented, queue, agent, trunk";

/// Inserts the batch in one transaction: one fsync for the whole batch is what lets the
/// daemon keep up under load, and the batch is all-or-nothing.
pub(crate) fn insert(conn: &mut Connection, cdrs: &[CdrRecord]) -> Result<(), StoreError> {
    if cdrs.is_empty() {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .op("starting CDR batch")?;
    {
        let mut stmt = tx
            .prepare_cached(&format!(
                "INSERT INTO cdrs ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"
            ))
            .op("preparing CDR insert")?;
        for c in cdrs {
            stmt.execute(params![
                c.tenant_id,
                c.call_id,
                c.start_utc,
                c.answer_utc,
                c.end_utc,
                c.billable_secs,
                c.direction.as_str(),
                c.source,
                c.destination,
                c.did,
                c.disposition.as_str(),
                c.hangup_cause,
                c.caller_id_presented,
                c.queue,
                c.agent,
                c.trunk
            ])
            .op("inserting CDR")?;
        }
    }
    tx.commit().op("committing CDR batch")
}

/// Filters of the CDR list (SPEC §9); every `None` means "any".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CdrQuery {
    pub tenant_id: Option<u32>,
    pub direction: Option<Direction>,
    /// `Some(true)`: answered only (Atendida); `Some(false)`: every other disposition.
    pub answered: Option<bool>,
    /// Calls that started at or after this time (ms since the epoch, UTC).
    pub from_utc: Option<i64>,
    /// Calls that started before this time.
    pub until_utc: Option<i64>,
    /// Appears in the source, destination or DID.
    pub number: Option<String>,
    pub limit: usize,
    pub offset: usize,
}

impl Default for CdrQuery {
    fn default() -> Self {
        CdrQuery {
            tenant_id: None,
            direction: None,
            answered: None,
            from_utc: None,
            until_utc: None,
            number: None,
            limit: 100,
            offset: 0,
        }
    }
}

/// Newest first.
pub(crate) fn query(conn: &Connection, q: &CdrQuery) -> Result<Vec<CdrRecord>, StoreError> {
    let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {COLUMNS} FROM cdrs
         WHERE (?1 IS NULL OR tenant_id = ?1)
           AND (?2 IS NULL OR direction = ?2)
           AND (?3 IS NULL OR (disposition = 'answered') = ?3)
           AND (?4 IS NULL OR start_utc >= ?4)
           AND (?5 IS NULL OR start_utc < ?5)
           AND (?6 IS NULL OR instr(source, ?6) > 0 OR instr(destination, ?6) > 0
                OR instr(coalesce(did, ''), ?6) > 0)
         ORDER BY start_utc DESC, id DESC LIMIT ?7 OFFSET ?8"
    );
    let p = params![
        q.tenant_id,
        q.direction.map(Direction::as_str),
        q.answered,
        q.from_utc,
        q.until_utc,
        q.number,
        limit,
        offset
    ];
    rows(conn, "cdrs", &sql, p, from_row)
}

/// One CDR by row id (the outbox refers to CDRs this way).
pub(crate) fn by_id(conn: &Connection, id: i64) -> Result<Option<CdrRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM cdrs WHERE id = ?1");
    Ok(rows(conn, "cdrs", &sql, [id], from_row)?.pop())
}

fn from_row(r: &R<'_, '_>) -> Result<CdrRecord, StoreError> {
    let direction: String = r.get(6)?;
    let direction = Direction::parse(&direction).ok_or(StoreError::CorruptRow {
        table: "cdrs",
        column: "direction",
        value: direction,
    })?;
    let disposition: String = r.get(10)?;
    let disposition = Disposition::parse(&disposition).ok_or(StoreError::CorruptRow {
        table: "cdrs",
        column: "disposition",
        value: disposition,
    })?;
    Ok(CdrRecord {
        tenant_id: r.get(0)?,
        call_id: r.get(1)?,
        start_utc: r.get(2)?,
        answer_utc: r.get(3)?,
        end_utc: r.get(4)?,
        billable_secs: r.get(5)?,
        direction,
        source: r.get(7)?,
        destination: r.get(8)?,
        did: r.get(9)?,
        disposition,
        hangup_cause: r.get(11)?,
        caller_id_presented: r.get(12)?,
        queue: r.get(13)?,
        agent: r.get(14)?,
        trunk: r.get(15)?,
    })
}

/// A stored CDR with its row id and the file of its recording, if any (for listings that let
/// a user delete a CDR with its recording).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CdrEntry {
    pub id: i64,
    #[serde(flatten)]
    pub record: CdrRecord,
    /// Relative to the data folder.
    pub recording: Option<String>,
}

/// The latest CDRs, newest first, with ids and recording files.
pub(crate) fn recent_entries(conn: &Connection, limit: usize) -> Result<Vec<CdrEntry>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let sql = format!(
        "SELECT {COLUMNS}, id, (SELECT file FROM recordings WHERE recordings.id = cdrs.recording_id)
         FROM cdrs ORDER BY start_utc DESC, id DESC LIMIT ?1"
    );
    rows(conn, "cdrs", &sql, [limit], |r| {
        Ok(CdrEntry {
            record: from_row(r)?,
            id: r.get(16)?,
            recording: r.get(17)?,
        })
    })
}
