//! Ordered schema migrations.
//!
//! Each step runs in its own transaction and bumps `PRAGMA user_version` inside it, so a
//! power cut leaves the database either before or after a step, never half way. A fresh
//! database runs the same steps as an old one being upgraded: there is one source of truth
//! for the schema, and the test below checks that both paths end in the same schema.

use rusqlite::{Connection, TransactionBehavior};

use crate::error::{DbContext, StoreError};

/// The steps, in order; step `i` moves the database to version `i + 1`. A step that has
/// shipped is never edited (boxes in the field already ran it): changes go in a new step.
const STEPS: &[&str] = &[
    include_str!("0001_core.sql"),
    include_str!("0002_applications.sql"),
    include_str!("0003_records.sql"),
    include_str!("0004_security.sql"),
    include_str!("0005_dial_numbers.sql"),
    include_str!("0006_config_generation.sql"),
    include_str!("0007_outbox.sql"),
    include_str!("0008_cdr_trunk.sql"),
    include_str!("0009_mail_queue.sql"),
    include_str!("0010_queue_calls.sql"),
];

/// The schema version this firmware writes.
pub const LATEST: u32 = STEPS.len() as u32;

pub(crate) fn version(conn: &Connection) -> Result<u32, StoreError> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .op("reading schema version")
}

/// Brings the database to `LATEST`.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, LATEST)
}

/// Applies the steps after the current version up to `target` (tests stop half way).
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<(), StoreError> {
    let found = version(conn)?;
    if found > LATEST {
        return Err(StoreError::SchemaTooNew {
            found,
            supported: LATEST,
        });
    }
    for (index, sql) in STEPS.iter().enumerate() {
        let to = index as u32 + 1;
        if to <= found || to > target {
            continue;
        }
        apply(conn, to, sql).map_err(|source| StoreError::Migration {
            version: to,
            source,
        })?;
    }
    Ok(())
}

fn apply(conn: &mut Connection, to: u32, sql: &str) -> Result<(), rusqlite::Error> {
    // IMMEDIATE takes the write lock before reading the version: when two processes open a
    // fresh folder at once (the daemon starting while `centralita import` runs), the second
    // waits, then sees the step already applied instead of applying it twice.
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let current: u32 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current >= to {
        return Ok(());
    }
    tx.execute_batch(sql)?;
    // PRAGMA cannot take a bound parameter; `to` is our own integer.
    tx.execute_batch(&format!("PRAGMA user_version = {to}"))?;
    // A step must leave every foreign key satisfied, including on rows it rewrote.
    let broken: i64 = tx.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
        r.get(0)
    })?;
    if broken > 0 {
        return Err(rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY),
            Some(format!("{broken} rows violate foreign keys after the step")),
        ));
    }
    tx.commit()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests;
