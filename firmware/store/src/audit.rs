//! Audit log (Control de eventos): who changed what, from where, through any interface.
//! Times come from the caller (milliseconds since the Unix epoch, UTC).

use rusqlite::{params, Connection};

use crate::error::{DbContext, StoreError};
use crate::rows::{rows, R};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// `None` for actions on the box itself (e.g. an admin login to the local page).
    pub tenant_id: Option<u32>,
    pub at_utc: i64,
    pub user_name: String,
    pub email: String,
    /// What happened, e.g. "login", "import tenant document", "delete user".
    pub action: String,
    pub entity_id: Option<String>,
    /// Connection data: source address and user agent.
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

pub(crate) fn append(conn: &Connection, e: &AuditEntry) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (tenant_id, at_utc, user_name, email, action, entity_id, address, user_agent)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .op("preparing audit entry")?
    .execute(params![
        e.tenant_id,
        e.at_utc,
        e.user_name,
        e.email,
        e.action,
        e.entity_id,
        e.address,
        e.user_agent
    ])
    .op("writing audit entry")?;
    Ok(())
}

/// Newest first; `tenant_id` `None` lists the whole box.
pub(crate) fn list(
    conn: &Connection,
    tenant_id: Option<u32>,
    limit: usize,
) -> Result<Vec<AuditEntry>, StoreError> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    rows(
        conn,
        "audit_log",
        "SELECT tenant_id, at_utc, user_name, email, action, entity_id, address, user_agent
         FROM audit_log WHERE (?1 IS NULL OR tenant_id = ?1) ORDER BY at_utc DESC, id DESC LIMIT ?2",
        params![tenant_id, limit],
        from_row,
    )
}

/// One entry by row id (the outbox refers to entries this way).
pub(crate) fn by_id(conn: &Connection, id: i64) -> Result<Option<AuditEntry>, StoreError> {
    Ok(rows(
        conn,
        "audit_log",
        "SELECT tenant_id, at_utc, user_name, email, action, entity_id, address, user_agent
         FROM audit_log WHERE id = ?1",
        [id],
        from_row,
    )?
    .pop())
}

fn from_row(r: &R<'_, '_>) -> Result<AuditEntry, StoreError> {
    Ok(AuditEntry {
        tenant_id: r.get(0)?,
        at_utc: r.get(1)?,
        user_name: r.get(2)?,
        email: r.get(3)?,
        action: r.get(4)?,
        entity_id: r.get(5)?,
        address: r.get(6)?,
        user_agent: r.get(7)?,
    })
}
