//! The media server's part of the configuration snapshot: IVRs, voicemail boxes, prompts, music
//! on hold and call recording per tenant. Paths are absolute (the daemon resolves the document's
//! data-folder-relative names), so the call brain never touches the file system.
use crate::routing::Destination;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// An IVR (SPEC §7).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvrDef {
    pub tenant_id: u32,
    pub id: String,
    pub number: String,
    /// The prompt file; `None` when the prompt is missing (the IVR then waits in silence).
    pub prompt: Option<PathBuf>,
    pub allow_extensions: bool,
    pub options: BTreeMap<char, Destination>,
    pub no_input: Destination,
    pub no_input_seconds: u32,
}

/// A voicemail box (SPEC §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoicemailDef {
    pub tenant_id: u32,
    pub id: String,
    pub number: String,
    pub name: String,
    pub email: String,
    pub greeting: Option<PathBuf>,
    pub keep_days: u32,
    pub pin: String,
    /// SIP usernames of the users whose phones get message-waiting indication.
    pub users: Vec<String>,
}

/// Per tenant: music on hold (`None`: the firmware's default track) and call recording.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TenantMedia {
    pub music_on_hold: Option<PathBuf>,
    pub recording: bool,
}

/// One voicemail message as the box menu and message-waiting indication see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMessage {
    pub id: i64,
    pub file: PathBuf,
    pub heard: bool,
}

/// Everything above for every tenant, keyed by `(tenant, id)`.
#[derive(Debug, Default)]
pub struct MediaConfig {
    /// The data folder (voicemail, recordings and phone-recorded prompts are written below it).
    pub data_dir: PathBuf,
    pub ivrs: HashMap<(u32, String), IvrDef>,
    pub voicemail: HashMap<(u32, String), VoicemailDef>,
    pub prompts: HashMap<(u32, String), PathBuf>,
    pub tenants: HashMap<u32, TenantMedia>,
    /// Each tenant's extension numbers (IVR direct dialling).
    pub extensions: HashMap<u32, Arc<BTreeSet<String>>>,
}

impl MediaConfig {
    pub fn ivr(&self, tenant_id: u32, id: &str) -> Option<&IvrDef> {
        self.ivrs.get(&(tenant_id, id.to_string()))
    }

    pub fn voicemail(&self, tenant_id: u32, id: &str) -> Option<&VoicemailDef> {
        self.voicemail.get(&(tenant_id, id.to_string()))
    }

    pub fn prompt(&self, tenant_id: u32, id: &str) -> Option<&PathBuf> {
        self.prompts.get(&(tenant_id, id.to_string()))
    }

    pub fn tenant(&self, tenant_id: u32) -> TenantMedia {
        self.tenants.get(&tenant_id).cloned().unwrap_or_default()
    }

    pub fn extensions(&self, tenant_id: u32) -> Arc<BTreeSet<String>> {
        self.extensions.get(&tenant_id).cloned().unwrap_or_default()
    }

    /// Boxes whose message-waiting indication goes to `username`'s phones.
    pub fn boxes_of_user<'a>(
        &'a self,
        username: &'a str,
    ) -> impl Iterator<Item = &'a VoicemailDef> {
        self.voicemail
            .values()
            .filter(move |b| b.users.iter().any(|u| u == username))
    }
}

/// Each box's messages, oldest first, as the daemon last loaded them from the store.
pub type Mailboxes = HashMap<(u32, String), Vec<StoredMessage>>;
