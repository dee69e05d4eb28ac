//! The demo tenant a first start creates, so a newcomer can register two softphones at once.

use crate::document::{Role, Tenant, TenantDocument, User, SCHEMA_VERSION};

pub const DEMO_TENANT_ID: u32 = 20191;
const DEMO_EXTENSIONS: [&str; 2] = ["10", "11"];

/// One demo extension as the daemon prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoExtension {
    pub extension: String,
    pub username: String,
    pub password: String,
}

/// The demo tenant as a document (so it goes through the same validation and import as any
/// other configuration). `created` is `YYYY-MM-DD`.
pub(crate) fn document(passwords: &[String; 2], created: &str) -> TenantDocument {
    let users = DEMO_EXTENSIONS
        .iter()
        .zip(passwords)
        .map(|(ext, password)| User {
            id: format!("u{ext}"),
            extension: (*ext).to_owned(),
            full_name: format!("Extension {ext}"),
            email: format!("ext{ext}@demo.invalid"),
            role: Role::User,
            web_password_hash: None,
            sip_password: password.clone(),
            internal_only: false,
            mobile: None,
            caller_id: None,
            ring_seconds: 30,
            forward_always: None,
            forward_busy: None,
            forward_no_answer: None,
            dnd: false,
            call_waiting: true,
        })
        .collect();
    TenantDocument {
        schema: SCHEMA_VERSION,
        tenant: Tenant {
            id: DEMO_TENANT_ID,
            name: "Demo".to_owned(),
            max_extensions: 10,
            timezone: "Europe/Madrid".to_owned(),
            recording: false,
            created: created.to_owned(),
        },
        provider: None,
        users,
        dids: Vec::new(),
        aliases: Vec::new(),
        external_numbers: Vec::new(),
        queues: Vec::new(),
        voicemail_boxes: Vec::new(),
        ivrs: Vec::new(),
        prompts: Vec::new(),
        music_on_hold: Vec::new(),
        conference_rooms: Vec::new(),
        api_keys: Vec::new(),
        modules: Vec::new(),
        allow_list: Vec::new(),
    }
}

pub(crate) fn extensions(doc: &TenantDocument) -> Vec<DemoExtension> {
    doc.users
        .iter()
        .map(|u| DemoExtension {
            extension: u.extension.clone(),
            username: format!("ext{}{}", doc.tenant.id, u.extension),
            password: u.sip_password.clone(),
        })
        .collect()
}
