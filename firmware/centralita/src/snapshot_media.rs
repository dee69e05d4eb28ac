//! The media part of the configuration snapshot: IVRs, voicemail boxes, prompt files, music on
//! hold and recording per tenant, with file names from the document resolved below the data
//! folder (a name that would leave it is dropped, loudly).
use pbx::media_config::{IvrDef, TenantMedia, VoicemailDef};
use pbx::routing::Destination;
use pbx::{DialTarget, Directory};
use std::collections::{BTreeSet, HashMap};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use store::document::model::{Destination as StoredDestination, TenantDocument};

pub fn add_media(
    directory: &mut Directory,
    doc: &TenantDocument,
    resolve: &dyn Fn(&StoredDestination) -> Destination,
) {
    let tenant_id = doc.tenant.id;
    let data_dir = directory.media.data_dir.clone();
    let file = |name: &str| inside(&data_dir, name);
    let mut prompts = HashMap::new();
    for p in &doc.prompts {
        if let Some(path) = file(&p.file) {
            prompts.insert(p.id.clone(), path.clone());
            directory
                .media
                .prompts
                .insert((tenant_id, p.id.clone()), path);
        }
    }
    let usernames: HashMap<&str, String> = doc
        .users
        .iter()
        .map(|u| (u.id.as_str(), format!("ext{tenant_id}{}", u.extension)))
        .collect();
    for ivr in &doc.ivrs {
        let options = ivr
            .options
            .iter()
            .filter_map(|(digit, d)| Some((digit.chars().next()?, resolve(d))))
            .collect();
        directory.media.ivrs.insert(
            (tenant_id, ivr.id.clone()),
            IvrDef {
                tenant_id,
                id: ivr.id.clone(),
                number: ivr.number.clone(),
                prompt: prompts.get(&ivr.prompt).cloned(),
                allow_extensions: ivr.allow_extensions,
                options,
                no_input: resolve(&ivr.no_input),
                no_input_seconds: ivr.no_input_seconds,
            },
        );
        directory.add_number(tenant_id, &ivr.number, DialTarget::Ivr(ivr.id.clone()));
    }
    for vm in &doc.voicemail_boxes {
        directory.media.voicemail.insert(
            (tenant_id, vm.id.clone()),
            VoicemailDef {
                tenant_id,
                id: vm.id.clone(),
                number: vm.number.clone(),
                name: vm.name.clone(),
                email: vm.email.clone(),
                greeting: vm.greeting.as_ref().and_then(|g| prompts.get(g).cloned()),
                keep_days: vm.keep_days,
                pin: vm.pin.clone(),
                users: vm
                    .users
                    .iter()
                    .filter_map(|u| usernames.get(u.as_str()).cloned())
                    .collect(),
            },
        );
        directory.add_number(tenant_id, &vm.number, DialTarget::Voicemail(vm.id.clone()));
    }
    directory.media.tenants.insert(
        tenant_id,
        TenantMedia {
            music_on_hold: doc.music_on_hold.first().and_then(|m| file(&m.file)),
            recording: doc.tenant.recording,
        },
    );
    let extensions: BTreeSet<String> = doc.users.iter().map(|u| u.extension.clone()).collect();
    directory
        .media
        .extensions
        .insert(tenant_id, Arc::new(extensions));
}

/// `name` (relative to the data folder) as an absolute path, or `None` if it would leave it.
pub fn inside(data_dir: &Path, name: &str) -> Option<PathBuf> {
    let relative = Path::new(name);
    let safe = !name.is_empty()
        && relative
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir));
    if !safe {
        tracing::error!(file = name, "audio file outside the data folder ignored");
        return None;
    }
    Some(data_dir.join(relative))
}

#[cfg(test)]
mod tests {
    use super::inside;
    use std::path::Path;

    #[test]
    fn names_stay_inside_the_data_folder() {
        let data = Path::new("/data");
        assert_eq!(
            inside(data, "prompts/1/hola.wav"),
            Some(Path::new("/data/prompts/1/hola.wav").to_path_buf())
        );
        assert_eq!(inside(data, "../etc/passwd"), None);
        assert_eq!(inside(data, "/etc/passwd"), None);
        assert_eq!(inside(data, "prompts/../../x"), None);
        assert_eq!(inside(data, ""), None);
    }
}
