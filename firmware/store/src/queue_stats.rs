//! Queue call records and the statistics computed from them (SPEC §5: offered, answered,
//! abandoned, timed out, average and longest wait, service level; issue 5 point 1).
//!
//! The daemon writes one `QueueCallRecord` per caller who entered a queue, in batches, once the
//! queue's part of the call is over (for an answered caller: when the agent's conversation
//! ends, so the talk time is known). Statistics are computed by SQLite over the rows whose
//! `entered_utc` falls in the asked range, the same "a call belongs to the period it started
//! in" rule as the CDR filters.

use std::time::Duration;

use rusqlite::{params, Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::error::{DbContext, StoreError};
use crate::rows::{rows, R};
use crate::Store;

/// How a caller's stay in a queue ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueOutcome {
    /// A member answered.
    Answered,
    /// The caller hung up while waiting.
    Abandoned,
    /// The queue's maximum time in queue was reached.
    TimedOut,
    /// Turned away on arrival: the queue already held its maximum of waiting callers.
    Full,
    /// No member could ever take the call (none configured, all offline or removed).
    NoMembers,
    /// Every member was tried and none answered; the caller went to the unanswered destination.
    Unanswered,
}

impl QueueOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            QueueOutcome::Answered => "answered",
            QueueOutcome::Abandoned => "abandoned",
            QueueOutcome::TimedOut => "timed_out",
            QueueOutcome::Full => "full",
            QueueOutcome::NoMembers => "no_members",
            QueueOutcome::Unanswered => "unanswered",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "answered" => QueueOutcome::Answered,
            "abandoned" => QueueOutcome::Abandoned,
            "timed_out" => QueueOutcome::TimedOut,
            "full" => QueueOutcome::Full,
            "no_members" => QueueOutcome::NoMembers,
            "unanswered" => QueueOutcome::Unanswered,
            _ => return None,
        })
    }
}

/// One caller's stay in one queue. UTC times are wall-clock milliseconds since the Unix epoch
/// taken by the daemon; `wait_ms` comes from its monotonic clock (see the migration).
///
/// SQL checks refuse inconsistent rows (and with them the whole batch): `left_utc` before
/// `entered_utc`, an answered call without `agent` or `talk_start_utc`, a `talk_start_utc` on
/// any other outcome or outside `entered_utc..=left_utc`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueCallRecord {
    pub tenant_id: u32,
    pub queue_id: String,
    /// The queue's name when the call entered it (the queue may be renamed or deleted later).
    pub queue_name: String,
    /// The caller's number as presented.
    pub caller: String,
    /// The SIP Call-ID of the caller's leg, to join with its CDR.
    pub call_id: String,
    pub entered_utc: i64,
    /// End of the queue's part of the call; for an answered caller, end of the conversation.
    pub left_utc: i64,
    pub outcome: QueueOutcome,
    /// The member (user id) who answered.
    pub agent: Option<String>,
    /// Time from entering the queue to being answered or leaving it.
    pub wait_ms: u64,
    /// When the agent answered (answered calls only).
    pub talk_start_utc: Option<i64>,
}

/// One queue's figures over a time range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueueStats {
    pub queue_id: String,
    /// The queue's current name, or for a deleted queue its name in its latest record.
    pub queue_name: Option<String>,
    /// Every caller who entered the queue: the sum of the four counts below.
    pub offered: u64,
    pub answered: u64,
    pub abandoned: u64,
    pub timed_out: u64,
    /// Full, no members, or nobody answered: sent to the unanswered destination.
    pub unanswered_other: u64,
    /// Mean wait of every offered caller, rounded to the millisecond; `None` with no calls.
    pub avg_wait_ms: Option<u64>,
    /// Mean wait of the answered callers (average speed of answer).
    pub avg_answer_ms: Option<u64>,
    pub max_wait_ms: Option<u64>,
    /// Answered with a wait of at most the service-level threshold.
    pub answered_within_sl: u64,
    /// `answered_within_sl / offered` in percent; `None` when nothing was offered.
    ///
    /// Offered, not answered, is the denominator: a caller who gave up or was turned away was
    /// not served within the threshold either, and dividing by answered calls would let a
    /// queue that loses most of its callers still show 100 %.
    pub service_level_pct: Option<f64>,
}

/// One agent's answered queue calls over a time range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgentQueueStats {
    pub queue_id: String,
    pub agent: String,
    pub answered: u64,
    /// Total conversation time of those calls (`left_utc - talk_start_utc`).
    pub talk_ms: u64,
}

const COLUMNS: &str = "tenant_id, queue_id, queue_name, caller, call_id, entered_utc, left_utc,
    outcome, agent, wait_ms, talk_start_utc";

/// The queues `queue_stats` reports: the configured queues of the tenant (so a queue with no
/// calls still gets a row of zeros) plus every queue with calls in the range (so a deleted
/// queue's calls are not hidden), or only the asked queue. ?1 tenant, ?2 queue or NULL,
/// ?3 from, ?4 until.
const QUEUE_IDS: &str = "ids (queue_id) AS (
        SELECT id FROM queues WHERE tenant_id = ?1 AND ?2 IS NULL
        UNION
        SELECT queue_id FROM queue_calls
        WHERE tenant_id = ?1 AND ?2 IS NULL AND entered_utc >= ?3 AND entered_utc < ?4
        UNION
        SELECT ?2 WHERE ?2 IS NOT NULL)";

impl Store {
    /// Writes a batch of queue call records in one transaction (all or nothing), like
    /// `insert_cdrs`: one fsync per batch.
    pub fn insert_queue_calls(&mut self, calls: &[QueueCallRecord]) -> Result<(), StoreError> {
        insert(&mut self.conn, calls)
    }

    /// Statistics of the tenant's queues (or of `queue_id` only) for the calls that entered
    /// them in `from_utc..until_utc` (ms, end excluded), ordered by queue id.
    ///
    /// With `queue_id` the answer is exactly one row, zeros if the queue had no calls. Without
    /// it, one row per configured queue plus one per deleted queue that has calls in the range.
    /// `service_level` is the longest wait that still counts as answered in time.
    pub fn queue_stats(
        &self,
        tenant_id: u32,
        queue_id: Option<&str>,
        from_utc: i64,
        until_utc: i64,
        service_level: Duration,
    ) -> Result<Vec<QueueStats>, StoreError> {
        let sl_ms = i64::try_from(service_level.as_millis()).unwrap_or(i64::MAX);
        let sql = format!(
            "WITH {QUEUE_IDS}
             SELECT ids.queue_id,
                 coalesce((SELECT name FROM queues q WHERE q.tenant_id = ?1 AND q.id = ids.queue_id),
                          (SELECT queue_name FROM queue_calls l
                           WHERE l.tenant_id = ?1 AND l.queue_id = ids.queue_id
                           ORDER BY l.entered_utc DESC, l.id DESC LIMIT 1)),
                 count(c.id),
                 count(c.id) FILTER (WHERE c.outcome = 'answered'),
                 count(c.id) FILTER (WHERE c.outcome = 'abandoned'),
                 count(c.id) FILTER (WHERE c.outcome = 'timed_out'),
                 count(c.id) FILTER (WHERE c.outcome IN ('full', 'no_members', 'unanswered')),
                 CAST(round(avg(c.wait_ms)) AS INTEGER),
                 CAST(round(avg(c.wait_ms) FILTER (WHERE c.outcome = 'answered')) AS INTEGER),
                 max(c.wait_ms),
                 count(c.id) FILTER (WHERE c.outcome = 'answered' AND c.wait_ms <= ?5),
                 100.0 * count(c.id) FILTER (WHERE c.outcome = 'answered' AND c.wait_ms <= ?5)
                       / nullif(count(c.id), 0)
             FROM ids LEFT JOIN queue_calls c
                 ON c.tenant_id = ?1 AND c.queue_id = ids.queue_id
                AND c.entered_utc >= ?3 AND c.entered_utc < ?4
             GROUP BY ids.queue_id
             ORDER BY ids.queue_id"
        );
        let p = params![tenant_id, queue_id, from_utc, until_utc, sl_ms];
        rows(&self.conn, "queue_calls", &sql, p, |r| {
            Ok(QueueStats {
                queue_id: r.get(0)?,
                queue_name: r.get(1)?,
                offered: count(r, 2, "id")?,
                answered: count(r, 3, "outcome")?,
                abandoned: count(r, 4, "outcome")?,
                timed_out: count(r, 5, "outcome")?,
                unanswered_other: count(r, 6, "outcome")?,
                avg_wait_ms: ms(r, 7, "wait_ms")?,
                avg_answer_ms: ms(r, 8, "wait_ms")?,
                max_wait_ms: ms(r, 9, "wait_ms")?,
                answered_within_sl: count(r, 10, "wait_ms")?,
                service_level_pct: r.get(11)?,
            })
        })
    }

    /// Answered calls and talk time per agent and queue for the calls that entered the
    /// tenant's queues (or `queue_id` only) in `from_utc..until_utc`, ordered by queue then
    /// agent. Agents who answered nothing in the range are absent.
    pub fn queue_agent_stats(
        &self,
        tenant_id: u32,
        queue_id: Option<&str>,
        from_utc: i64,
        until_utc: i64,
    ) -> Result<Vec<AgentQueueStats>, StoreError> {
        let sql = "SELECT queue_id, agent, count(*), sum(left_utc - talk_start_utc)
             FROM queue_calls
             WHERE tenant_id = ?1 AND (?2 IS NULL OR queue_id = ?2)
               AND entered_utc >= ?3 AND entered_utc < ?4 AND outcome = 'answered'
             GROUP BY queue_id, agent
             ORDER BY queue_id, agent";
        let p = params![tenant_id, queue_id, from_utc, until_utc];
        rows(&self.conn, "queue_calls", sql, p, |r| {
            Ok(AgentQueueStats {
                queue_id: r.get(0)?,
                agent: r.get(1)?,
                answered: count(r, 2, "outcome")?,
                talk_ms: count(r, 3, "talk_start_utc")?,
            })
        })
    }

    /// The records of calls that entered the tenant's queues (or `queue_id` only) in
    /// `from_utc..until_utc`, oldest first, at most `limit` (a queue's call list).
    pub fn queue_calls(
        &self,
        tenant_id: u32,
        queue_id: Option<&str>,
        from_utc: i64,
        until_utc: i64,
        limit: usize,
    ) -> Result<Vec<QueueCallRecord>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let sql = format!(
            "SELECT {COLUMNS} FROM queue_calls
             WHERE tenant_id = ?1 AND (?2 IS NULL OR queue_id = ?2)
               AND entered_utc >= ?3 AND entered_utc < ?4
             ORDER BY entered_utc, id LIMIT ?5"
        );
        let p = params![tenant_id, queue_id, from_utc, until_utc, limit];
        rows(&self.conn, "queue_calls", &sql, p, from_row)
    }
}

fn insert(conn: &mut Connection, calls: &[QueueCallRecord]) -> Result<(), StoreError> {
    if calls.is_empty() {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .op("starting queue call batch")?;
    {
        let mut stmt = tx
            .prepare_cached(&format!(
                "INSERT INTO queue_calls ({COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            ))
            .op("preparing queue call insert")?;
        for c in calls {
            stmt.execute(params![
                c.tenant_id,
                c.queue_id,
                c.queue_name,
                c.caller,
                c.call_id,
                c.entered_utc,
                c.left_utc,
                c.outcome.as_str(),
                c.agent,
                // Above i64::MAX rusqlite reports an error instead of wrapping.
                c.wait_ms,
                c.talk_start_utc
            ])
            .op("inserting queue call")?;
        }
    }
    tx.commit().op("committing queue call batch")
}

fn from_row(r: &R<'_, '_>) -> Result<QueueCallRecord, StoreError> {
    let outcome: String = r.get(7)?;
    let outcome = QueueOutcome::parse(&outcome).ok_or(StoreError::CorruptRow {
        table: "queue_calls",
        column: "outcome",
        value: outcome,
    })?;
    Ok(QueueCallRecord {
        tenant_id: r.get(0)?,
        queue_id: r.get(1)?,
        queue_name: r.get(2)?,
        caller: r.get(3)?,
        call_id: r.get(4)?,
        entered_utc: r.get(5)?,
        left_utc: r.get(6)?,
        outcome,
        agent: r.get(8)?,
        wait_ms: count(r, 9, "wait_ms")?,
        talk_start_utc: r.get(10)?,
    })
}

/// A count or sum that SQL checks keep non-negative: NULL (a sum over no rows) is 0, and a
/// negative value means a row was edited by hand; `column` names the source for the error.
fn count(r: &R<'_, '_>, index: usize, column: &'static str) -> Result<u64, StoreError> {
    Ok(ms(r, index, column)?.unwrap_or(0))
}

/// A non-negative aggregate that is NULL when there were no calls.
fn ms(r: &R<'_, '_>, index: usize, column: &'static str) -> Result<Option<u64>, StoreError> {
    let n: Option<i64> = r.get(index)?;
    n.map(|n| {
        u64::try_from(n).map_err(|_| StoreError::CorruptRow {
            table: "queue_calls",
            column,
            value: n.to_string(),
        })
    })
    .transpose()
}
