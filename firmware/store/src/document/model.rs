//! The tenant document: one JSON value describing a tenant's whole configuration.
//!
//! Entities are named by stable string ids chosen by whoever writes the document (the cloud
//! panel, an installer, a test) and every reference between entities uses those ids. Field
//! by field documentation, with the manual's Spanish names: docs/tenant-document.md.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The document format this firmware reads and writes.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantDocument {
    pub schema: u32,
    pub tenant: Tenant,
    #[serde(default)]
    pub provider: Option<Provider>,
    #[serde(default)]
    pub users: Vec<User>,
    #[serde(default)]
    pub dids: Vec<Did>,
    #[serde(default)]
    pub aliases: Vec<Alias>,
    #[serde(default)]
    pub external_numbers: Vec<ExternalNumber>,
    #[serde(default)]
    pub queues: Vec<Queue>,
    #[serde(default)]
    pub voicemail_boxes: Vec<VoicemailBox>,
    #[serde(default)]
    pub ivrs: Vec<Ivr>,
    #[serde(default)]
    pub prompts: Vec<Prompt>,
    #[serde(default)]
    pub music_on_hold: Vec<MusicOnHold>,
    #[serde(default)]
    pub conference_rooms: Vec<ConferenceRoom>,
    #[serde(default)]
    pub api_keys: Vec<ApiKey>,
    #[serde(default)]
    pub modules: Vec<Module>,
    #[serde(default)]
    pub allow_list: Vec<AllowEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tenant {
    pub id: u32,
    pub name: String,
    pub max_extensions: u32,
    pub timezone: String,
    #[serde(default)]
    pub recording: bool,
    /// Creation date, `YYYY-MM-DD`.
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provider {
    pub username: String,
    pub password: String,
    pub domain: String,
    #[serde(default)]
    pub outbound_proxy: Option<String>,
    /// Used when the primary fails (registration failure, 5xx or timeout on INVITE).
    #[serde(default)]
    pub secondary: Option<Trunk>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trunk {
    pub username: String,
    pub password: String,
    pub domain: String,
    #[serde(default)]
    pub outbound_proxy: Option<String>,
}

/// Where a call goes. Stored as kind + reference (the stable id of the target).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "ref", rename_all = "kebab-case")]
pub enum Destination {
    Hangup,
    Extension(String),
    Queue(String),
    Voicemail(String),
    Ivr(String),
    External(String),
    Conference(String),
    Did(String),
    PromptThenHangup(String),
}

impl Destination {
    /// The kind as stored in the database and written in documents.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::Hangup => "hangup",
            Destination::Extension(_) => "extension",
            Destination::Queue(_) => "queue",
            Destination::Voicemail(_) => "voicemail",
            Destination::Ivr(_) => "ivr",
            Destination::External(_) => "external",
            Destination::Conference(_) => "conference",
            Destination::Did(_) => "did",
            Destination::PromptThenHangup(_) => "prompt-then-hangup",
        }
    }

    pub fn reference(&self) -> Option<&str> {
        match self {
            Destination::Hangup => None,
            Destination::Extension(r)
            | Destination::Queue(r)
            | Destination::Voicemail(r)
            | Destination::Ivr(r)
            | Destination::External(r)
            | Destination::Conference(r)
            | Destination::Did(r)
            | Destination::PromptThenHangup(r) => Some(r),
        }
    }

    /// Rebuilds a destination from its stored parts; `None` if they do not fit together.
    pub fn from_parts(kind: &str, reference: Option<String>) -> Option<Destination> {
        let make: fn(String) -> Destination = match kind {
            "hangup" => return reference.is_none().then_some(Destination::Hangup),
            "extension" => Destination::Extension,
            "queue" => Destination::Queue,
            "voicemail" => Destination::Voicemail,
            "ivr" => Destination::Ivr,
            "external" => Destination::External,
            "conference" => Destination::Conference,
            "did" => Destination::Did,
            "prompt-then-hangup" => Destination::PromptThenHangup,
            _ => return None,
        };
        reference.map(make)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

fn default_ring_seconds() -> u32 {
    30
}
fn default_true() -> bool {
    true
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct User {
    pub id: String,
    pub extension: String,
    pub full_name: String,
    pub email: String,
    #[serde(default = "default_role")]
    pub role: Role,
    /// Hash of the web password (never the password itself).
    #[serde(default)]
    pub web_password_hash: Option<String>,
    pub sip_password: String,
    #[serde(default)]
    pub internal_only: bool,
    /// Mobile number rung together with the extension.
    #[serde(default)]
    pub mobile: Option<String>,
    /// Stable id of the DID presented on outgoing calls; `None` presents anonymous.
    #[serde(default)]
    pub caller_id: Option<String>,
    #[serde(default = "default_ring_seconds")]
    pub ring_seconds: u32,
    #[serde(default)]
    pub forward_always: Option<Destination>,
    #[serde(default)]
    pub forward_busy: Option<Destination>,
    #[serde(default)]
    pub forward_no_answer: Option<Destination>,
    #[serde(default)]
    pub dnd: bool,
    #[serde(default = "default_true")]
    pub call_waiting: bool,
}

fn default_role() -> Role {
    Role::User
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Did {
    pub id: String,
    pub number: String,
    #[serde(default)]
    pub description: String,
    /// Unconditional forward: bypasses every rule.
    #[serde(default)]
    pub forward: Option<Destination>,
    #[serde(default)]
    pub rules: Vec<RouteRule>,
}

fn any() -> String {
    ".".to_owned()
}
fn day_start() -> String {
    "00:00".to_owned()
}
fn day_end() -> String {
    "23:59".to_owned()
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteRule {
    pub order: u32,
    #[serde(default = "any")]
    pub year: String,
    #[serde(default = "any")]
    pub month: String,
    #[serde(default = "any")]
    pub day: String,
    #[serde(default = "any")]
    pub weekday: String,
    #[serde(default = "day_start")]
    pub start: String,
    #[serde(default = "day_end")]
    pub end: String,
    #[serde(default = "any")]
    pub caller_id: String,
    pub destination: Destination,
    #[serde(default)]
    pub prompt: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alias {
    pub id: String,
    /// The short number dialled from extensions.
    pub alias: String,
    /// The real number it calls.
    pub number: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalNumber {
    pub id: String,
    pub number: String,
    #[serde(default)]
    pub description: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    RingAll,
    Linear,
    GroupOrder,
    RoundRobin,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::RingAll => "ring-all",
            Strategy::Linear => "linear",
            Strategy::GroupOrder => "group-order",
            Strategy::RoundRobin => "round-robin",
        }
    }

    pub fn parse(s: &str) -> Option<Strategy> {
        Some(match s {
            "ring-all" => Strategy::RingAll,
            "linear" => Strategy::Linear,
            "group-order" => Strategy::GroupOrder,
            "round-robin" => Strategy::RoundRobin,
            _ => return None,
        })
    }
}

fn default_step_seconds() -> u32 {
    15
}
fn default_hangup() -> Destination {
    Destination::Hangup
}
fn default_priority() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Queue {
    pub id: String,
    pub name: String,
    pub number: String,
    pub strategy: Strategy,
    /// 0 = unlimited.
    #[serde(default)]
    pub max_waiting: u32,
    /// Ring time of one step before moving to the next member / priority group.
    #[serde(default = "default_step_seconds")]
    pub step_seconds: u32,
    #[serde(default)]
    pub max_wait_seconds: Option<u32>,
    #[serde(default)]
    pub wrapup_seconds: u32,
    #[serde(default)]
    pub auto_answer: bool,
    #[serde(default)]
    pub ring_in_use: bool,
    #[serde(default = "default_true")]
    pub play_music_on_hold: bool,
    /// Stable id of the music; `None` uses the firmware's default track.
    #[serde(default)]
    pub music_on_hold: Option<String>,
    #[serde(default)]
    pub sticky_agent: bool,
    #[serde(default)]
    pub show_name_in_caller_id: bool,
    #[serde(default)]
    pub members: Vec<QueueMember>,
    #[serde(default = "default_hangup")]
    pub unanswered: Destination,
    #[serde(default)]
    pub after_agent: Option<Destination>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueMember {
    pub user: String,
    /// Priority group for the group-order strategy (lower rings first).
    #[serde(default = "default_priority")]
    pub priority: u32,
}

fn default_keep_days() -> u32 {
    730
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoicemailBox {
    pub id: String,
    pub name: String,
    pub number: String,
    pub email: String,
    #[serde(default)]
    pub greeting: Option<String>,
    #[serde(default = "default_keep_days")]
    pub keep_days: u32,
    pub pin: String,
    /// Users whose phones get message-waiting indication for this box.
    #[serde(default)]
    pub users: Vec<String>,
}

fn default_no_input_seconds() -> u32 {
    10
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ivr {
    pub id: String,
    pub name: String,
    pub number: String,
    pub prompt: String,
    #[serde(default)]
    pub allow_extensions: bool,
    /// Destination per digit, keys "0" to "9"; digits left out replay the prompt.
    #[serde(default)]
    pub options: BTreeMap<String, Destination>,
    #[serde(default = "default_hangup")]
    pub no_input: Destination,
    #[serde(default = "default_no_input_seconds")]
    pub no_input_seconds: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prompt {
    pub id: String,
    pub name: String,
    /// Audio file in the internal format, relative to the data folder.
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MusicOnHold {
    pub id: String,
    pub name: String,
    pub file: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConferenceRoom {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub number: Option<String>,
    /// Token of the room's web link.
    pub link: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub key_hash: String,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    pub name: String,
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    pub id: String,
    pub address: String,
    pub netmask: u8,
    #[serde(default)]
    pub description: String,
}

/// What an import changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    pub tenant_id: u32,
    /// True when the tenant did not exist before.
    pub created: bool,
    pub users: usize,
    pub dids: usize,
    pub route_rules: usize,
    pub queues: usize,
    pub ivrs: usize,
    pub voicemail_boxes: usize,
    /// Total rows of configuration written.
    pub rows: usize,
}
