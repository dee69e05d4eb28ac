//! Feature codes an extension can dial (documented in the README):
//!
//! | code | what |
//! |---|---|
//! | `*97` | the menu of the caller's own voicemail box (the first box that lists the user) |
//! | `*98<box number>` | the menu of any box of the tenant (its PIN protects it) |
//! | `*8` / `**<extension>` | group / directed call pickup (handled in `pickup`, before routing) |
//! | `*77<n>` | record prompt `tel-<n>` (1-4 digits) from the phone, to use in IVRs and rules |
use super::CallContext;
use crate::directory::{Account, DialTarget};
use crate::routing::Destination;

pub(super) fn feature_code(
    ctx: &CallContext<'_>,
    account: &Account,
    dialled: &str,
) -> Option<Destination> {
    let code = dialled.strip_prefix('*')?;
    if code == "97" {
        let own = ctx
            .directory
            .media
            .boxes_of_user(&account.username)
            .filter(|b| b.tenant_id == account.tenant_id)
            .min_by(|a, b| a.number.cmp(&b.number))?;
        return Some(Destination::VoicemailMenu(own.id.clone()));
    }
    if let Some(number) = code.strip_prefix("98") {
        return match ctx.directory.resolve(account.tenant_id, number) {
            DialTarget::Voicemail(id) => Some(Destination::VoicemailMenu(id)),
            _ => None,
        };
    }
    if let Some(slot) = code.strip_prefix("77") {
        let valid = (1..=4).contains(&slot.len()) && slot.bytes().all(|b| b.is_ascii_digit());
        return valid.then(|| Destination::RecordPrompt(slot.to_string()));
    }
    None
}
