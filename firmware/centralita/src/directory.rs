//! The store's in-memory directory snapshot, seen through the call brain's trait.
use pbx::{Account, DialTarget, Directory};
use std::sync::Arc;

pub struct StoreDirectory(pub Arc<store::Directory>);

fn account(a: &store::SipAccount) -> Account {
    Account {
        tenant_id: a.tenant_id,
        extension: a.extension.clone(),
        username: a.username.clone(),
        password: a.password.clone(),
        display_name: a.display_name.clone(),
        internal_only: a.internal_only,
        ring_seconds: a.ring_seconds,
    }
}

impl Directory for StoreDirectory {
    fn account(&self, username: &str) -> Option<Account> {
        self.0.account(username).map(account)
    }

    fn resolve(&self, tenant_id: u32, dialled: &str) -> DialTarget {
        match self.0.resolve(tenant_id, dialled) {
            store::DialTarget::Extension(a) => DialTarget::Extension(account(&a)),
            store::DialTarget::Queue { .. } => DialTarget::NotYetRouted { kind: "queue" },
            store::DialTarget::Ivr { .. } => DialTarget::NotYetRouted { kind: "ivr" },
            store::DialTarget::Voicemail { .. } => DialTarget::NotYetRouted { kind: "voicemail" },
            store::DialTarget::Alias { .. } => DialTarget::NotYetRouted { kind: "alias" },
            store::DialTarget::Conference { .. } => DialTarget::NotYetRouted { kind: "conference" },
            store::DialTarget::Unknown => DialTarget::Unknown,
        }
    }
}
