//! The invariants hold in SQL too, whatever writes the rows (a future web page, a bug).

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use common::*;
use rusqlite::Connection;

fn raw(dir: &tempfile::TempDir) -> Connection {
    let conn = Connection::open(dir.path().join(store::DB_FILE)).unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    conn
}

fn insert_user(conn: &Connection, tenant: u32, id: &str, ext: &str) -> rusqlite::Result<usize> {
    conn.execute(
        "INSERT INTO users (tenant_id, id, pos, extension, role, email, full_name, sip_password)
         VALUES (?1, ?2, 9, ?3, 'user', 'x@y.es', 'X', 'pw')",
        rusqlite::params![tenant, id, ext],
    )
}

fn err(r: rusqlite::Result<usize>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn numbers_never_collide() {
    let (dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    let conn = raw(&dir);
    // Same extension twice.
    assert!(err(insert_user(&conn, 20191, "dup", "10")).contains("UNIQUE"));
    // An extension equal to the queue, IVR, voicemail box, alias, conference room.
    for number in ["400", "7000", "700", "20", "800"] {
        assert!(
            err(insert_user(&conn, 20191, "n", number)).contains("UNIQUE"),
            "{number}"
        );
    }
    // A queue on an extension's number.
    let queue = conn.execute(
        "INSERT INTO queues (tenant_id, id, pos, name, number, strategy, step_seconds, unanswered_kind)
         VALUES (20191, 'q2', 5, 'Otra', '11', 'linear', 5, 'hangup')",
        [],
    );
    assert!(err(queue).contains("UNIQUE"));
    // Feature codes are not extension numbers.
    assert!(err(insert_user(&conn, 20191, "f", "*21")).contains("CHECK"));
    // A free number works, and frees itself on delete.
    insert_user(&conn, 20191, "u12", "12").unwrap();
    conn.execute("DELETE FROM users WHERE id = 'u12'", [])
        .unwrap();
    conn.execute(
        "INSERT INTO aliases (tenant_id, id, pos, alias, number) VALUES (20191, 'a2', 5, '12', '600000000')",
        [],
    )
    .unwrap();
    // Renumbering moves the claim.
    conn.execute("UPDATE aliases SET alias = '13' WHERE id = 'a2'", [])
        .unwrap();
    insert_user(&conn, 20191, "u12", "12").unwrap();
    assert!(err(insert_user(&conn, 20191, "u13", "13")).contains("UNIQUE"));
}

#[test]
fn extension_limit_and_sip_username() {
    let (dir, mut store) = temp_store();
    let mut doc = minimal();
    doc.tenant.max_extensions = 2;
    store.import_document(&doc).unwrap();
    let conn = raw(&dir);
    assert!(err(insert_user(&conn, 20191, "u12", "12")).contains("extension limit"));
    let lower = conn.execute("UPDATE tenants SET max_extensions = 1 WHERE id = 20191", []);
    assert!(err(lower).contains("below"));
    conn.execute(
        "INSERT INTO tenants VALUES (201911, 'Other', 5, '2024-01-02', 'UTC', 0)",
        [],
    )
    .unwrap();
    // ext + 201911 + 0 == ext + 20191 + 10
    assert!(err(insert_user(&conn, 201911, "u0", "0")).contains("sip_username"));
}

#[test]
fn references_cannot_cross_tenants() {
    let (dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    let mut other = minimal();
    other.tenant.id = 20200;
    store.import_document(&other).unwrap();
    let conn = raw(&dir);
    // Music "moh-jazz" exists only in tenant 20191: tenant 20200's queue cannot use it.
    let r = conn.execute(
        "INSERT INTO queues (tenant_id, id, pos, name, number, strategy, step_seconds, unanswered_kind, moh_id)
         VALUES (20200, 'q', 0, 'Q', '400', 'linear', 5, 'hangup', 'moh-jazz')",
        [],
    );
    assert!(err(r).contains("FOREIGN KEY"));
}
