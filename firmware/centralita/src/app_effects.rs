//! Carries out what call applications decide (pbx `AppEffect`s) on a thread of its own, off the
//! SIP loop: voicemail messages stored and queued for email in one transaction, messages marked
//! heard or deleted (file removed after the commit), prompts recorded from a phone converted to
//! the internal format and added to the tenant's configuration. After each change the box's
//! message list goes back to the call brain (menus, message-waiting indication).
use crate::engine::Control;
use pbx::call::{AppAction, AppEffect};
use pbx::media_config::StoredMessage;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use tokio::sync::mpsc::Sender;

/// How often every box's messages are re-read (retention expiry happens elsewhere).
const REPUBLISH_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// Called after a voicemail is queued for email, so it goes out at once.
pub type WakeMail = Box<dyn Fn() + Send>;

pub fn spawn(
    data: PathBuf,
    effects: Receiver<AppEffect>,
    control: Sender<Control>,
    wake_mail: WakeMail,
) -> anyhow::Result<std::thread::JoinHandle<()>> {
    let mut store = store::Store::open(&data)?;
    Ok(std::thread::Builder::new()
        .name("app-effects".into())
        .spawn(move || {
            let mut published = std::collections::BTreeSet::new();
            publish_all_mailboxes(&store, &data, &control, &mut published);
            loop {
                let effect = match effects.recv_timeout(REPUBLISH_EVERY) {
                    Ok(effect) => effect,
                    // The mail thread's retention sweep deletes expired messages behind our
                    // back: republishing now and then keeps menus and lamps true.
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
                        publish_all_mailboxes(&store, &data, &control, &mut published);
                        remove_unkept_recordings(&store, &data);
                        continue;
                    }
                    Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                };
                let tenant_id = effect.tenant_id;
                let result = apply(&mut store, &data, effect, &wake_mail, &control);
                match result {
                    Ok(Some(box_id)) => publish_mailbox(&store, &data, tenant_id, &box_id, &control),
                    Ok(None) => {}
                    Err(e) => tracing::error!(error = %e, tenant = tenant_id, "call application result not stored"),
                }
            }
        })?)
}

/// Applies one effect; returns the box whose messages changed.
fn apply(
    store: &mut store::Store,
    data: &Path,
    effect: AppEffect,
    wake_mail: &WakeMail,
    control: &Sender<Control>,
) -> anyhow::Result<Option<String>> {
    let now_ms = chrono::Utc::now().timestamp_millis();
    match effect.action {
        AppAction::SaveVoicemail {
            box_id,
            file,
            duration,
        } => {
            let relative = relative_to(data, &file)?;
            let message = store::VoicemailMessage {
                id: 0,
                tenant_id: effect.tenant_id,
                box_id: box_id.clone(),
                caller: effect.caller.clone(),
                received_utc: now_ms,
                duration_ms: u32::try_from(duration.as_millis()).unwrap_or(u32::MAX),
                file: relative.clone(),
                heard: false,
            };
            let mail = voicemail_mail(store, &message)?;
            let (id, mail_id) = store.add_voicemail_with_mail(&message, mail.as_ref(), now_ms)?;
            tracing::info!(id, tenant = effect.tenant_id, %box_id, caller = %effect.caller, ms = message.duration_ms, mailed = mail_id.is_some(), "voicemail stored");
            if mail_id.is_some() {
                wake_mail();
            }
            Ok(Some(box_id))
        }
        AppAction::MarkHeard { box_id, message_id } => {
            if belongs(store, message_id, effect.tenant_id, &box_id)? {
                store.mark_voicemail_heard(message_id)?;
            }
            Ok(Some(box_id))
        }
        AppAction::DeleteMessage { box_id, message_id } => {
            if !belongs(store, message_id, effect.tenant_id, &box_id)? {
                return Ok(Some(box_id));
            }
            if let Some(file) = store.delete_voicemail(message_id)? {
                if let Err(e) = std::fs::remove_file(data.join(&file)) {
                    tracing::warn!(error = %e, %file, "voicemail file not removed");
                }
            }
            Ok(Some(box_id))
        }
        AppAction::SavePrompt { slot, file } => {
            crate::phone_prompt::keep(data, effect.tenant_id, &slot, &file)?;
            reload_directory(data, control);
            Ok(None)
        }
    }
}

/// The email for a new message, if the box has an address (time shown in the tenant's zone).
fn voicemail_mail(
    store: &store::Store,
    message: &store::VoicemailMessage,
) -> anyhow::Result<Option<store::NewMail>> {
    let doc = store.export_document(message.tenant_id)?;
    let Some(vm) = doc.voicemail_boxes.iter().find(|b| b.id == message.box_id) else {
        return Ok(None);
    };
    let zone = doc.tenant.timezone.parse::<chrono_tz::Tz>().ok();
    Ok(crate::mail::compose::voicemail_mail(
        message, &vm.name, &vm.email, zone,
    ))
}

/// A menu only acts on its own box's messages (defence in depth: the ids come from its list).
fn belongs(
    store: &store::Store,
    message_id: i64,
    tenant_id: u32,
    box_id: &str,
) -> anyhow::Result<bool> {
    let ok = store
        .voicemail(message_id)?
        .is_some_and(|m| m.tenant_id == tenant_id && m.box_id == box_id);
    if !ok {
        tracing::warn!(
            message_id,
            tenant = tenant_id,
            box_id,
            "message of another box refused"
        );
    }
    Ok(ok)
}

fn relative_to(data: &Path, file: &Path) -> anyhow::Result<String> {
    let relative = file.strip_prefix(data).unwrap_or(file);
    relative
        .to_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("voicemail file name is not UTF-8: {}", file.display()))
}

/// Publishes every box that holds messages, and those that held some at the last call (their
/// messages expired). Reads only the message table: exporting whole tenant documents here would
/// cost memory a large tenant never gives back.
fn publish_all_mailboxes(
    store: &store::Store,
    data: &Path,
    control: &Sender<Control>,
    published: &mut std::collections::BTreeSet<(u32, String)>,
) {
    let Ok(counts) = store.all_voicemail_counts() else {
        return;
    };
    let now: std::collections::BTreeSet<(u32, String)> = counts
        .into_iter()
        .map(|c| (c.tenant_id, c.box_id))
        .collect();
    for (tenant_id, box_id) in now.union(published) {
        publish_mailbox(store, data, *tenant_id, box_id, control);
    }
    *published = now;
}

fn publish_mailbox(
    store: &store::Store,
    data: &Path,
    tenant_id: u32,
    box_id: &str,
    control: &Sender<Control>,
) {
    match store.voicemails(tenant_id, box_id) {
        Ok(list) => {
            let messages = list
                .into_iter()
                .map(|m| StoredMessage {
                    id: m.id,
                    file: data.join(&m.file),
                    heard: m.heard,
                })
                .collect();
            let update = Control::Mailbox {
                tenant_id,
                box_id: box_id.to_string(),
                messages,
            };
            if control.blocking_send(update).is_err() {
                tracing::debug!("SIP engine gone; mailbox update dropped");
            }
        }
        Err(e) => {
            tracing::error!(error = %e, tenant = tenant_id, box_id, "reading a mailbox failed")
        }
    }
}

/// The configuration changed under the daemon (a phone-recorded prompt): rebuild the snapshot.
fn reload_directory(data: &Path, control: &Sender<Control>) {
    match store::Store::open(data).and_then(|s| crate::snapshot::load(&s, data)) {
        Ok(dir) => {
            let _ = control.blocking_send(Control::ReplaceDirectory(std::sync::Arc::new(dir)));
        }
        Err(e) => tracing::error!(error = %e, "reloading the configuration failed"),
    }
}

/// Voicemail files no message refers to: a caller who hung up at the beep (too short to keep), or
/// a crash between recording and storing. Removed once they are an hour old, so a recording in
/// progress is never touched.
fn remove_unkept_recordings(store: &store::Store, data: &Path) {
    const MIN_AGE: std::time::Duration = std::time::Duration::from_secs(3600);
    let Ok(tenants) = std::fs::read_dir(data.join("voicemail")) else {
        return;
    };
    for tenant_dir in tenants.flatten() {
        let Some(tenant_id) = tenant_dir
            .file_name()
            .to_str()
            .and_then(|t| t.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(boxes) = std::fs::read_dir(tenant_dir.path()) else {
            continue;
        };
        for box_dir in boxes.flatten() {
            let Some(box_id) = box_dir.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Ok(kept) = store.voicemails(tenant_id, &box_id) else {
                continue;
            };
            let kept: std::collections::HashSet<PathBuf> =
                kept.iter().map(|m| data.join(&m.file)).collect();
            let Ok(files) = std::fs::read_dir(box_dir.path()) else {
                continue;
            };
            for file in files.flatten() {
                let path = file.path();
                let old = file
                    .metadata()
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_some_and(|age| age > MIN_AGE);
                if old && !kept.contains(&path) {
                    match std::fs::remove_file(&path) {
                        Ok(()) => {
                            tracing::debug!(file = %path.display(), "unkept voicemail recording removed")
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, file = %path.display(), "unkept voicemail recording not removed")
                        }
                    }
                }
            }
        }
    }
}
