//! Upgrading from every older schema must give exactly the schema of a fresh database, and
//! keep the data written before the upgrade.

use rusqlite::Connection;

use super::*;
use crate::db::{configure, open_connection};

/// Everything that defines the schema: tables, indexes and triggers with their SQL.
fn schema(conn: &Connection) -> Vec<(String, String, String)> {
    let mut stmt = conn
        .prepare(
            "SELECT type, name, coalesce(sql, '') FROM sqlite_master
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn fresh() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let conn = open_connection(dir.path()).unwrap();
    (dir, conn)
}

#[test]
fn fresh_database_reaches_latest() {
    let (_dir, mut conn) = fresh();
    migrate(&mut conn).unwrap();
    assert_eq!(version(&conn).unwrap(), LATEST);
    // Idempotent: a second open applies nothing.
    migrate(&mut conn).unwrap();
    assert_eq!(version(&conn).unwrap(), LATEST);
}

#[test]
fn every_upgrade_path_matches_a_fresh_schema() {
    let (_d, mut reference) = fresh();
    migrate(&mut reference).unwrap();
    let expected = schema(&reference);
    assert!(
        expected.len() > 30,
        "schema looks too small: {}",
        expected.len()
    );

    for start in 1..LATEST {
        let (dir, mut conn) = fresh();
        migrate_to(&mut conn, start).unwrap();
        assert_eq!(version(&conn).unwrap(), start);
        // Data written by the old firmware, then the old firmware stops.
        conn.execute_batch(
            "INSERT INTO tenants VALUES (20191, 'Old', 5, '2024-01-02', 'Europe/Madrid', 0);
             INSERT INTO users (tenant_id, id, pos, extension, role, email, full_name, sip_password)
                 VALUES (20191, 'u10', 0, '10', 'user', 'a@b.es', 'Ten', 'pw');",
        )
        .unwrap();
        if start >= 3 {
            conn.execute_batch(
                "INSERT INTO cdrs (tenant_id, call_id, start_utc, end_utc, billable_secs, direction,
                     source, destination, disposition, hangup_cause)
                 VALUES (20191, 'old-call', 1, 2, 0, 'internal', '10', '11', 'busy', '486')",
            )
            .unwrap();
        }
        drop(conn);

        // The new firmware opens the same file and upgrades it one step at a time.
        let mut conn = Connection::open(dir.path().join(crate::DB_FILE)).unwrap();
        configure(&conn).unwrap();
        for step in start + 1..=LATEST {
            migrate_to(&mut conn, step).unwrap();
            assert_eq!(version(&conn).unwrap(), step);
        }
        assert_eq!(schema(&conn), expected, "upgrade from version {start}");
        let name: String = conn
            .query_row(
                "SELECT full_name FROM users WHERE sip_username = 'ext2019110'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(name, "Ten");
        // Step 5 back-fills the dialling namespace from rows that existed before it.
        let kind: String = conn
            .query_row(
                "SELECT kind FROM dial_numbers WHERE tenant_id = 20191 AND number = '10'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(kind, "extension");
        // Step 7 queues for the cloud the records written before it.
        let queued: i64 = conn
            .query_row("SELECT count(*) FROM outbox WHERE kind = 'cdr'", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(
            queued,
            i64::from(start >= 3),
            "upgrade from version {start}"
        );
    }
}

#[test]
fn newer_schema_is_refused() {
    let (_dir, mut conn) = fresh();
    conn.execute_batch("PRAGMA user_version = 999").unwrap();
    assert!(matches!(
        migrate(&mut conn),
        Err(StoreError::SchemaTooNew { found: 999, .. })
    ));
}

#[test]
fn failed_step_leaves_previous_version() {
    let (_dir, mut conn) = fresh();
    migrate_to(&mut conn, 1).unwrap();
    // Make step 2 fail half way: a table it creates already exists.
    conn.execute_batch("CREATE TABLE ivrs (x INTEGER)").unwrap();
    assert!(matches!(
        migrate(&mut conn),
        Err(StoreError::Migration { version: 2, .. })
    ));
    assert_eq!(version(&conn).unwrap(), 1);
    let queues: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'queues'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(queues, 0, "the failed step was rolled back");
}

#[test]
fn pragmas_are_durable() {
    let (_dir, conn) = fresh();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    let sync: i64 = conn
        .query_row("PRAGMA synchronous", [], |r| r.get(0))
        .unwrap();
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "FULL");
    assert_eq!(fk, 1);
}

#[test]
fn concurrent_first_opens_agree() {
    // The daemon and an admin command opening an empty folder at the same moment.
    let dir = tempfile::tempdir().unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let path = dir.path().to_path_buf();
            std::thread::spawn(move || crate::Store::open(&path).map(|s| s.schema_version()))
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap().unwrap(), LATEST);
    }
}

#[cfg(unix)]
#[test]
fn database_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, mut conn) = fresh();
    migrate(&mut conn).unwrap();
    conn.execute_batch("INSERT INTO tenants VALUES (20191, 'T', 1, '2024-01-02', 'UTC', 0)")
        .unwrap();
    for file in ["centralita.db", "centralita.db-wal", "centralita.db-shm"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "{file} is readable by others: {mode:o}");
    }
}
