//! Reading a tenant's configuration back as a tenant document, in the document's own order
//! (the `pos` columns), so that exporting what was imported gives the same document.

use rusqlite::{params, Connection};

use super::model::*;
use crate::error::StoreError;
use crate::rows::rows;

pub(crate) fn export(conn: &Connection, tenant_id: u32) -> Result<TenantDocument, StoreError> {
    let t = tenant_id;
    let mut tenants = rows(
        conn,
        "tenants",
        "SELECT id, name, max_extensions, timezone, recording, created FROM tenants WHERE id = ?1",
        [t],
        |r| {
            Ok(Tenant {
                id: r.get(0)?,
                name: r.get(1)?,
                max_extensions: r.get(2)?,
                timezone: r.get(3)?,
                recording: r.get(4)?,
                created: r.get(5)?,
            })
        },
    )?;
    let tenant = tenants
        .pop()
        .ok_or(StoreError::TenantNotFound { tenant_id })?;
    let mut doc = TenantDocument {
        schema: SCHEMA_VERSION,
        tenant,
        provider: provider(conn, t)?,
        users: users(conn, t)?,
        dids: dids(conn, t)?,
        aliases: rows(conn, "aliases",
            "SELECT id, alias, number, display_name, description FROM aliases WHERE tenant_id = ?1 ORDER BY pos",
            [t],
            |r| Ok(Alias { id: r.get(0)?, alias: r.get(1)?, number: r.get(2)?, display_name: r.get(3)?,
                description: r.get(4)? }))?,
        external_numbers: rows(conn, "external_numbers",
            "SELECT id, number, description FROM external_numbers WHERE tenant_id = ?1 ORDER BY pos",
            [t],
            |r| Ok(ExternalNumber { id: r.get(0)?, number: r.get(1)?, description: r.get(2)? }))?,
        queues: Vec::new(),
        voicemail_boxes: Vec::new(),
        ivrs: Vec::new(),
        prompts: rows(conn, "prompts",
            "SELECT id, name, file FROM prompts WHERE tenant_id = ?1 ORDER BY pos",
            [t],
            |r| Ok(Prompt { id: r.get(0)?, name: r.get(1)?, file: r.get(2)? }))?,
        music_on_hold: rows(conn, "music_on_hold",
            "SELECT id, name, file FROM music_on_hold WHERE tenant_id = ?1 ORDER BY pos",
            [t],
            |r| Ok(MusicOnHold { id: r.get(0)?, name: r.get(1)?, file: r.get(2)? }))?,
        conference_rooms: rows(conn, "conference_rooms",
            "SELECT id, name, number, link FROM conference_rooms WHERE tenant_id = ?1 ORDER BY pos",
            [t],
            |r| Ok(ConferenceRoom { id: r.get(0)?, name: r.get(1)?, number: r.get(2)?, link: r.get(3)? }))?,
        api_keys: rows(conn, "api_keys",
            "SELECT id, name, key_hash, created FROM api_keys WHERE tenant_id = ?1 ORDER BY pos",
            [t],
            |r| Ok(ApiKey { id: r.get(0)?, name: r.get(1)?, key_hash: r.get(2)?, created: r.get(3)? }))?,
        modules: modules(conn, t)?,
        allow_list: rows(conn, "allow_list",
            "SELECT id, address, netmask, description FROM allow_list WHERE tenant_id = ?1 ORDER BY pos",
            [t],
            |r| Ok(AllowEntry { id: r.get(0)?, address: r.get(1)?, netmask: r.get(2)?, description: r.get(3)? }))?,
    };
    super::export_apps::fill(conn, &mut doc)?;
    Ok(doc)
}

fn provider(conn: &Connection, t: u32) -> Result<Option<Provider>, StoreError> {
    let trunks = rows(
        conn,
        "trunks",
        "SELECT slot, username, password, domain, outbound_proxy FROM trunks WHERE tenant_id = ?1",
        [t],
        |r| {
            Ok((
                r.get::<String>(0)?,
                Trunk {
                    username: r.get(1)?,
                    password: r.get(2)?,
                    domain: r.get(3)?,
                    outbound_proxy: r.get(4)?,
                },
            ))
        },
    )?;
    let mut primary = None;
    let mut secondary = None;
    for (slot, trunk) in trunks {
        if slot == "primary" {
            primary = Some(trunk);
        } else {
            secondary = Some(trunk);
        }
    }
    Ok(primary.map(|p| Provider {
        username: p.username,
        password: p.password,
        domain: p.domain,
        outbound_proxy: p.outbound_proxy,
        secondary,
    }))
}

fn users(conn: &Connection, t: u32) -> Result<Vec<User>, StoreError> {
    rows(conn, "users",
        "SELECT id, extension, full_name, email, role, web_password_hash, sip_password, internal_only, mobile,
             caller_id_did, ring_seconds, fwd_always_kind, fwd_always_ref, fwd_busy_kind, fwd_busy_ref,
             fwd_noans_kind, fwd_noans_ref, dnd, call_waiting
         FROM users WHERE tenant_id = ?1 ORDER BY pos",
        [t],
        |r| {
            let role: String = r.get(4)?;
            let role = match role.as_str() {
                "user" => Role::User,
                "admin" => Role::Admin,
                _ => return Err(StoreError::CorruptRow { table: "users", column: "role", value: role }),
            };
            Ok(User {
                id: r.get(0)?,
                extension: r.get(1)?,
                full_name: r.get(2)?,
                email: r.get(3)?,
                role,
                web_password_hash: r.get(5)?,
                sip_password: r.get(6)?,
                internal_only: r.get(7)?,
                mobile: r.get(8)?,
                caller_id: r.get(9)?,
                ring_seconds: r.get(10)?,
                forward_always: r.dest(11)?,
                forward_busy: r.dest(13)?,
                forward_no_answer: r.dest(15)?,
                dnd: r.get(17)?,
                call_waiting: r.get(18)?,
            })
        })
}

fn dids(conn: &Connection, t: u32) -> Result<Vec<Did>, StoreError> {
    let mut dids = rows(conn, "dids",
        "SELECT id, number, description, fwd_kind, fwd_ref FROM dids WHERE tenant_id = ?1 ORDER BY pos",
        [t],
        |r| Ok(Did { id: r.get(0)?, number: r.get(1)?, description: r.get(2)?, forward: r.dest(3)?,
            rules: Vec::new() }))?;
    for did in &mut dids {
        did.rules = rows(conn, "route_rules",
            "SELECT ord, year, month, day, weekday, start_time, end_time, caller_id, dest_kind, dest_ref,
                 prompt_id, prefix, description
             FROM route_rules WHERE tenant_id = ?1 AND did_id = ?2 ORDER BY pos",
            params![t, did.id],
            |r| Ok(RouteRule {
                order: r.get(0)?,
                year: r.get(1)?,
                month: r.get(2)?,
                day: r.get(3)?,
                weekday: r.get(4)?,
                start: r.get(5)?,
                end: r.get(6)?,
                caller_id: r.get(7)?,
                destination: r.required_dest(8)?,
                prompt: r.get(10)?,
                prefix: r.get(11)?,
                description: r.get(12)?,
            }))?;
    }
    Ok(dids)
}

fn modules(conn: &Connection, t: u32) -> Result<Vec<Module>, StoreError> {
    rows(
        conn,
        "modules",
        "SELECT name, enabled, config FROM modules WHERE tenant_id = ?1 ORDER BY pos",
        [t],
        |r| {
            let text: String = r.get(2)?;
            let config = serde_json::from_str(&text).map_err(|_| StoreError::CorruptRow {
                table: "modules",
                column: "config",
                value: text,
            })?;
            Ok(Module {
                name: r.get(0)?,
                enabled: r.get(1)?,
                config,
            })
        },
    )
}
