//! What the call brain needs to know about accounts and numbers. The daemon implements this over an
//! in-memory snapshot of the store, so no SQL runs per REGISTER or INVITE.

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
}

/// What a dialled number means inside a tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialTarget {
    Extension(Account),
    /// A destination this build does not route yet (queue, IVR, voicemail, conference, ...): the
    /// caller gets 503 and the attempt is logged, never silently dropped.
    NotYetRouted {
        kind: &'static str,
    },
    Unknown,
}

pub trait Directory {
    fn account(&self, username: &str) -> Option<Account>;
    fn resolve(&self, tenant_id: u32, dialled: &str) -> DialTarget;
}
