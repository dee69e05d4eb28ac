//! An in-memory snapshot of who can register and what each dialled number means, for the
//! daemon's hot path: a REGISTER or INVITE must not wait on SQLite.

use std::collections::HashMap;

use rusqlite::Connection;

use crate::document::Destination;
use crate::error::StoreError;

/// One SIP account (an extension) as the registrar and router need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipAccount {
    pub tenant_id: u32,
    pub extension: String,
    /// `ext<tenant id><extension>`.
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub internal_only: bool,
    pub ring_seconds: u32,
    pub dnd: bool,
    pub forward_always: Option<Destination>,
    pub forward_busy: Option<Destination>,
    pub forward_no_answer: Option<Destination>,
}

/// What a number dialled inside a tenant reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    Extension(SipAccount),
    Queue {
        id: String,
        name: String,
    },
    Ivr {
        id: String,
        name: String,
    },
    Voicemail {
        id: String,
        name: String,
    },
    /// A short number standing for `number`, shown as `display_name`.
    Alias {
        number: String,
        display_name: String,
    },
    Conference {
        id: String,
        name: String,
    },
    Unknown,
}

#[derive(Debug, Clone)]
enum Entry {
    /// Username of the account (key of `accounts`), so each account is stored once.
    Extension(String),
    Other(DialTarget),
}

#[derive(Debug, Clone, Default)]
pub struct Directory {
    accounts: HashMap<String, SipAccount>,
    /// Per tenant, then per number: two levels so that `resolve` looks up a `&str` without
    /// allocating on every INVITE.
    numbers: HashMap<u32, HashMap<String, Entry>>,
}

impl Directory {
    pub fn account(&self, sip_username: &str) -> Option<&SipAccount> {
        self.accounts.get(sip_username)
    }

    pub fn resolve(&self, tenant_id: u32, dialled: &str) -> DialTarget {
        match self.numbers.get(&tenant_id).and_then(|n| n.get(dialled)) {
            Some(Entry::Extension(username)) => match self.accounts.get(username) {
                Some(a) => DialTarget::Extension(a.clone()),
                None => DialTarget::Unknown,
            },
            Some(Entry::Other(target)) => target.clone(),
            None => DialTarget::Unknown,
        }
    }

    pub fn accounts(&self) -> impl Iterator<Item = &SipAccount> {
        self.accounts.values()
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    fn insert(&mut self, tenant_id: u32, number: String, entry: Entry) {
        self.numbers
            .entry(tenant_id)
            .or_default()
            .insert(number, entry);
    }
}

pub(crate) fn load(conn: &Connection) -> Result<Directory, StoreError> {
    use crate::rows::rows;
    let mut dir = Directory::default();
    let accounts = rows(conn, "users",
        "SELECT tenant_id, extension, sip_username, sip_password, full_name, internal_only, ring_seconds, dnd,
             fwd_always_kind, fwd_always_ref, fwd_busy_kind, fwd_busy_ref, fwd_noans_kind, fwd_noans_ref
         FROM users",
        [],
        |r| Ok(SipAccount {
            tenant_id: r.get(0)?,
            extension: r.get(1)?,
            username: r.get(2)?,
            password: r.get(3)?,
            display_name: r.get(4)?,
            internal_only: r.get(5)?,
            ring_seconds: r.get(6)?,
            dnd: r.get(7)?,
            forward_always: r.dest(8)?,
            forward_busy: r.dest(10)?,
            forward_no_answer: r.dest(12)?,
        }))?;
    for a in accounts {
        dir.insert(
            a.tenant_id,
            a.extension.clone(),
            Entry::Extension(a.username.clone()),
        );
        dir.accounts.insert(a.username.clone(), a);
    }
    type Make = fn(String, String) -> DialTarget;
    let named: [(&'static str, &str, Make); 4] = [
        (
            "queues",
            "SELECT tenant_id, number, id, name FROM queues",
            |id, name| DialTarget::Queue { id, name },
        ),
        (
            "ivrs",
            "SELECT tenant_id, number, id, name FROM ivrs",
            |id, name| DialTarget::Ivr { id, name },
        ),
        (
            "voicemail_boxes",
            "SELECT tenant_id, number, id, name FROM voicemail_boxes",
            |id, name| DialTarget::Voicemail { id, name },
        ),
        (
            "conference_rooms",
            "SELECT tenant_id, number, id, name FROM conference_rooms WHERE number IS NOT NULL",
            |id, name| DialTarget::Conference { id, name },
        ),
    ];
    for (table, sql, make) in named {
        let found = rows(conn, table, sql, [], |r| {
            Ok((
                (r.get::<u32>(0)?, r.get::<String>(1)?),
                make(r.get(2)?, r.get(3)?),
            ))
        })?;
        for ((tenant, number), target) in found {
            dir.insert(tenant, number, Entry::Other(target));
        }
    }
    let aliases = rows(
        conn,
        "aliases",
        "SELECT tenant_id, alias, number, display_name FROM aliases",
        [],
        |r| {
            Ok((
                (r.get::<u32>(0)?, r.get::<String>(1)?),
                DialTarget::Alias {
                    number: r.get(2)?,
                    display_name: r.get(3)?,
                },
            ))
        },
    )?;
    for ((tenant, number), target) in aliases {
        dir.insert(tenant, number, Entry::Other(target));
    }
    Ok(dir)
}
