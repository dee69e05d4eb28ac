//! Writing a tenant document into the database, atomically.

use rusqlite::{params, Connection, Transaction, TransactionBehavior};

use super::model::*;
use super::validate::validate;
use crate::audit::AuditEntry;
use crate::error::{DbContext, Problem, Problems, StoreError};

/// Configuration tables of a tenant, children before parents so that deleting in this order
/// never trips a foreign key. Records (CDRs, voicemail messages, recordings, audit log) are
/// deliberately absent: an import replaces configuration, never history.
const CONFIG_TABLES: &[&str] = &[
    "queue_members",
    "voicemail_box_users",
    "ivr_options",
    "route_rules",
    "users",
    "queues",
    "ivrs",
    "voicemail_boxes",
    "conference_rooms",
    "aliases",
    "external_numbers",
    "dids",
    "prompts",
    "music_on_hold",
    "api_keys",
    "modules",
    "allow_list",
    "trunks",
];

pub(crate) fn import(
    conn: &mut Connection,
    doc: &TenantDocument,
    audit: Option<&AuditEntry>,
) -> Result<ImportSummary, StoreError> {
    let mut problems = validate(doc);
    // IMMEDIATE takes the write lock now, so the box-wide checks below cannot be invalidated
    // by another writer before we commit.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .op("starting import")?;
    problems.extend(box_wide_conflicts(&tx, doc)?);
    if !problems.is_empty() {
        return Err(StoreError::InvalidDocument {
            problems: Problems(problems),
        });
    }
    let tenant_id = doc.tenant.id;
    let existed: bool = tx
        .query_row(
            "SELECT count(*) FROM tenants WHERE id = ?1",
            [tenant_id],
            |r| r.get::<_, i64>(0),
        )
        .op("looking up tenant")?
        > 0;
    for table in CONFIG_TABLES {
        tx.execute(
            &format!("DELETE FROM {table} WHERE tenant_id = ?1"),
            [tenant_id],
        )
        .op("clearing tenant configuration")?;
    }
    let t = &doc.tenant;
    tx.execute(
        "INSERT INTO tenants (id, name, max_extensions, created, timezone, recording)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT (id) DO UPDATE SET name = excluded.name,
             max_extensions = excluded.max_extensions, created = excluded.created,
             timezone = excluded.timezone, recording = excluded.recording",
        params![
            t.id,
            t.name,
            t.max_extensions,
            t.created,
            t.timezone,
            t.recording
        ],
    )
    .op("writing tenant")?;
    let mut w = Writer {
        tx: &tx,
        tenant_id,
        rows: 1,
    };
    w.all(doc)?;
    let summary = ImportSummary {
        tenant_id,
        created: !existed,
        users: doc.users.len(),
        dids: doc.dids.len(),
        route_rules: doc.dids.iter().map(|d| d.rules.len()).sum(),
        queues: doc.queues.len(),
        ivrs: doc.ivrs.len(),
        voicemail_boxes: doc.voicemail_boxes.len(),
        rows: w.rows,
    };
    tx.execute(
        "UPDATE config_generation SET generation = generation + 1 WHERE id = 1",
        [],
    )
    .op("bumping configuration generation")?;
    if let Some(entry) = audit {
        // Same transaction: the change and its audit record exist together or not at all.
        crate::audit::append(&tx, entry)?;
    }
    tx.commit().op("committing import")?;
    Ok(summary)
}

/// Checks against the other tenants on the box: SIP usernames, DID numbers and API key
/// hashes are unique on the whole box, not only inside the document.
fn box_wide_conflicts(
    tx: &Transaction<'_>,
    doc: &TenantDocument,
) -> Result<Vec<Problem>, StoreError> {
    let tenant_id = doc.tenant.id;
    let mut problems = Vec::new();
    let mut by_username = tx
        .prepare(
            "SELECT tenant_id, extension FROM users WHERE sip_username = ?1 AND tenant_id != ?2",
        )
        .op("checking SIP usernames")?;
    for (i, u) in doc.users.iter().enumerate() {
        let username = format!("ext{tenant_id}{}", u.extension);
        let mut rows = by_username
            .query(params![username, tenant_id])
            .op("checking SIP usernames")?;
        if let Some(row) = rows.next().op("checking SIP usernames")? {
            let other: u32 = row.get(0).op("checking SIP usernames")?;
            let ext: String = row.get(1).op("checking SIP usernames")?;
            problems.push(Problem::new(
                format!("users[{i}].extension"),
                format!(
                    "SIP username {username} is already used by tenant {other} extension {ext}"
                ),
            ));
        }
    }
    let mut by_number = tx
        .prepare("SELECT tenant_id FROM dids WHERE number = ?1 AND tenant_id != ?2")
        .op("checking DID numbers")?;
    for (i, d) in doc.dids.iter().enumerate() {
        let mut rows = by_number
            .query(params![d.number, tenant_id])
            .op("checking DID numbers")?;
        if let Some(row) = rows.next().op("checking DID numbers")? {
            let other: u32 = row.get(0).op("checking DID numbers")?;
            problems.push(Problem::new(
                format!("dids[{i}].number"),
                format!("{} already belongs to tenant {other}", d.number),
            ));
        }
    }
    let mut by_hash = tx
        .prepare("SELECT tenant_id FROM api_keys WHERE key_hash = ?1 AND tenant_id != ?2")
        .op("checking API keys")?;
    for (i, k) in doc.api_keys.iter().enumerate() {
        if by_hash
            .exists(params![k.key_hash, tenant_id])
            .op("checking API keys")?
        {
            problems.push(Problem::new(
                format!("api_keys[{i}].key_hash"),
                "the same key already belongs to another tenant",
            ));
        }
    }
    Ok(problems)
}

pub(super) fn kind(d: Option<&Destination>) -> Option<&'static str> {
    d.map(Destination::kind)
}

pub(super) fn reference(d: Option<&Destination>) -> Option<&str> {
    d.and_then(Destination::reference)
}

pub(super) struct Writer<'a, 't> {
    tx: &'a Transaction<'t>,
    pub(super) tenant_id: u32,
    rows: usize,
}

impl Writer<'_, '_> {
    pub(super) fn exec(
        &mut self,
        op: &'static str,
        sql: &str,
        p: impl rusqlite::Params,
    ) -> Result<(), StoreError> {
        self.rows += self.tx.prepare_cached(sql).op(op)?.execute(p).op(op)?;
        Ok(())
    }

    /// Parents before children, following the foreign keys of the schema.
    fn all(&mut self, doc: &TenantDocument) -> Result<(), StoreError> {
        let t = self.tenant_id;
        if let Some(p) = &doc.provider {
            let trunk_sql =
                "INSERT INTO trunks (tenant_id, slot, username, password, domain, outbound_proxy)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
            self.exec(
                "writing provider",
                trunk_sql,
                params![
                    t,
                    "primary",
                    p.username,
                    p.password,
                    p.domain,
                    p.outbound_proxy
                ],
            )?;
            if let Some(s) = &p.secondary {
                self.exec(
                    "writing provider",
                    trunk_sql,
                    params![
                        t,
                        "secondary",
                        s.username,
                        s.password,
                        s.domain,
                        s.outbound_proxy
                    ],
                )?;
            }
        }
        for (pos, p) in doc.prompts.iter().enumerate() {
            self.exec(
                "writing prompts",
                "INSERT INTO prompts (tenant_id, id, pos, name, file) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![t, p.id, pos, p.name, p.file],
            )?;
        }
        for (pos, m) in doc.music_on_hold.iter().enumerate() {
            self.exec("writing music on hold", "INSERT INTO music_on_hold (tenant_id, id, pos, name, file) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![t, m.id, pos, m.name, m.file])?;
        }
        self.dids(&doc.dids)?;
        self.users(&doc.users)?;
        super::import_apps::write(self, doc)?;
        Ok(())
    }

    fn dids(&mut self, dids: &[Did]) -> Result<(), StoreError> {
        let t = self.tenant_id;
        for (pos, d) in dids.iter().enumerate() {
            let f = d.forward.as_ref();
            self.exec("writing DIDs",
                "INSERT INTO dids (tenant_id, id, pos, number, description, fwd_kind, fwd_ref) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![t, d.id, pos, d.number, d.description, kind(f), reference(f)])?;
            for (rpos, r) in d.rules.iter().enumerate() {
                self.exec("writing route rules",
                    "INSERT INTO route_rules (tenant_id, did_id, pos, ord, year, month, day, weekday, start_time,
                         end_time, caller_id, dest_kind, dest_ref, prompt_id, prefix, description)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                    params![t, d.id, rpos, r.order, r.year, r.month, r.day, r.weekday, r.start, r.end,
                        r.caller_id, r.destination.kind(), r.destination.reference(), r.prompt, r.prefix,
                        r.description])?;
            }
        }
        Ok(())
    }

    fn users(&mut self, users: &[User]) -> Result<(), StoreError> {
        let t = self.tenant_id;
        for (pos, u) in users.iter().enumerate() {
            let (a, b, n) = (
                u.forward_always.as_ref(),
                u.forward_busy.as_ref(),
                u.forward_no_answer.as_ref(),
            );
            self.exec("writing users",
                "INSERT INTO users (tenant_id, id, pos, extension, role, email, full_name, web_password_hash,
                     internal_only, mobile, sip_password, caller_id_did, ring_seconds, fwd_always_kind,
                     fwd_always_ref, fwd_busy_kind, fwd_busy_ref, fwd_noans_kind, fwd_noans_ref, dnd, call_waiting)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21)",
                params![t, u.id, pos, u.extension, u.role.as_str(), u.email, u.full_name, u.web_password_hash,
                    u.internal_only, u.mobile, u.sip_password, u.caller_id, u.ring_seconds, kind(a), reference(a),
                    kind(b), reference(b), kind(n), reference(n), u.dnd, u.call_waiting])?;
        }
        Ok(())
    }
}
