//! What the call brain knows about the box's configuration: accounts, the numbers dialled inside
//! each tenant, DID routes and trunk providers. An immutable snapshot built by the daemon from the
//! store (and rebuilt on every configuration change), so no SQL runs per REGISTER or INVITE.
use crate::routing::{Destination, RoutingTable};
use std::collections::HashMap;

/// A SIP account (one extension of one tenant).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub tenant_id: u32,
    pub extension: String,
    /// `ext<tenant><extension>`, unique on the box.
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub internal_only: bool,
    /// How long the extension rings before the call gives up (no answer).
    pub ring_seconds: u32,
    pub dnd: bool,
    pub forward_always: Option<Destination>,
    pub forward_busy: Option<Destination>,
    pub forward_no_answer: Option<Destination>,
    /// Rung together with the extension (mobile twinning), through the trunk.
    pub mobile: Option<String>,
    /// DID number presented on outgoing calls; `None` = anonymous.
    pub caller_id: Option<String>,
}

impl Account {
    /// An account with the defaults of a new extension.
    pub fn new(tenant_id: u32, extension: &str, password: &str) -> Account {
        Account {
            tenant_id,
            extension: extension.to_string(),
            username: format!("ext{tenant_id}{extension}"),
            password: password.to_string(),
            display_name: String::new(),
            internal_only: false,
            ring_seconds: 30,
            dnd: false,
            forward_always: None,
            forward_busy: None,
            forward_no_answer: None,
            mobile: None,
            caller_id: None,
        }
    }
}

/// What a number dialled inside a tenant means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    /// An extension, by SIP username.
    Extension(String),
    /// A short number for `number`, shown to the callee as `display_name`.
    Alias {
        number: String,
        display_name: String,
    },
    /// An IVR, by id.
    Ivr(String),
    /// A voicemail box, by id: dialled from an extension it opens the box menu.
    Voicemail(String),
    /// A destination this build does not route yet (queue, conference): the
    /// caller gets 503 and the attempt is logged, never silently dropped.
    NotYetRouted {
        kind: &'static str,
    },
    Unknown,
}

/// A tenant's SIP trunk provider account (primary and optional secondary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkAccount {
    pub username: String,
    pub password: String,
    pub domain: String,
    pub outbound_proxy: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Tenant {
    pub id: u32,
    pub trunks: Vec<TrunkAccount>,
    /// Call permissions, number classes and DID OUT, compiled (defaults when not configured:
    /// international and premium blocked).
    pub outbound: crate::dialplan::OutboundPolicy,
    /// Asserted on anonymous calls of users without a DID of their own.
    pub main_did: Option<String>,
}

#[derive(Default)]
pub struct Directory {
    accounts: HashMap<String, Account>,
    numbers: HashMap<u32, HashMap<String, DialTarget>>,
    tenants: HashMap<u32, Tenant>,
    /// Display names of aliases by their real number, to name inbound callers.
    alias_names: HashMap<(u32, String), String>,
    /// Networks never banned by the SIP guard (the manual's "Lista blanca").
    pub allow_list: Vec<crate::guard::AllowNet>,
    pub routes: RoutingTable,
    /// IVRs, voicemail boxes, prompts, music on hold, recording.
    pub media: crate::media_config::MediaConfig,
}

impl Directory {
    pub fn add_account(&mut self, account: Account) {
        self.numbers.entry(account.tenant_id).or_default().insert(
            account.extension.clone(),
            DialTarget::Extension(account.username.clone()),
        );
        self.accounts.insert(account.username.clone(), account);
    }

    pub fn add_number(&mut self, tenant_id: u32, number: &str, target: DialTarget) {
        self.numbers
            .entry(tenant_id)
            .or_default()
            .insert(number.to_string(), target);
    }

    /// Names calls from `number` with the alias's display name (an address-book entry).
    pub fn add_alias_name(&mut self, tenant_id: u32, number: &str, display_name: &str) {
        if !display_name.trim().is_empty() {
            self.alias_names
                .insert((tenant_id, number.to_string()), display_name.to_string());
        }
    }

    pub fn alias_name(&self, tenant_id: u32, number: &str) -> Option<&str> {
        self.alias_names
            .get(&(tenant_id, number.to_string()))
            .map(String::as_str)
    }

    pub fn add_tenant(&mut self, tenant: Tenant) {
        self.tenants.insert(tenant.id, tenant);
    }

    pub fn account(&self, username: &str) -> Option<&Account> {
        self.accounts.get(username)
    }

    pub fn tenants(&self) -> impl Iterator<Item = &Tenant> {
        self.tenants.values()
    }

    pub fn tenant(&self, id: u32) -> Option<&Tenant> {
        self.tenants.get(&id)
    }

    pub fn resolve(&self, tenant_id: u32, dialled: &str) -> DialTarget {
        self.numbers
            .get(&tenant_id)
            .and_then(|n| n.get(dialled))
            .cloned()
            .unwrap_or(DialTarget::Unknown)
    }

    pub fn account_count(&self) -> usize {
        self.accounts.len()
    }
}
