//! The `application/dialog-info+xml` document (RFC 4235 §4): always `state="full"`.
use super::xml::push_escaped;
use super::{DialogState, DialogView, Identity};
use std::fmt::Write;

/// Renders one full document for `entity` (the watched extension's URI): the `current` calls as
/// given, then `ended` ones (calls that just disappeared) as `terminated`, at most `max` in all.
/// No calls at all is the idle document phones show as a dark lamp.
pub fn render(
    version: u32,
    entity: &str,
    current: &[DialogView],
    ended: &[DialogView],
    max: usize,
) -> String {
    let mut out = String::with_capacity(256 + 400 * current.len().min(max));
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = write!(
        out,
        "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"{version}\" \
         state=\"full\" entity=\""
    );
    push_escaped(&mut out, entity);
    out.push_str("\">\n");
    let listed = current
        .iter()
        .map(|d| (d, d.state))
        .chain(ended.iter().map(|d| (d, DialogState::Terminated)))
        .take(max);
    for (dialog, state) in listed {
        push_dialog(&mut out, dialog, state, entity);
    }
    out.push_str("</dialog-info>\n");
    out
}

fn push_dialog(out: &mut String, d: &DialogView, state: DialogState, entity: &str) {
    out.push_str("  <dialog id=\"");
    push_escaped(out, &d.id);
    for (name, value) in [
        ("call-id", &d.call_id),
        ("local-tag", &d.local_tag),
        ("remote-tag", &d.remote_tag),
    ] {
        if let Some(value) = value {
            let _ = write!(out, "\" {name}=\"");
            push_escaped(out, value);
        }
    }
    let _ = writeln!(out, "\" direction=\"{}\">", d.direction.as_str());
    let _ = writeln!(out, "    <state>{}</state>", state.as_str());
    // The local side is the watched extension itself; some phones match it against the
    // subscribed URI before lighting a key.
    push_party(
        out,
        "local",
        &Identity {
            uri: entity.to_string(),
            display: None,
        },
    );
    if let Some(remote) = &d.remote_identity {
        push_party(out, "remote", remote);
    }
    out.push_str("  </dialog>\n");
}

/// `<local>`/`<remote>` with identity and target. The box does not know the far end's Contact,
/// so the target repeats the identity URI: the address a pickup or call-back would dial.
fn push_party(out: &mut String, element: &str, who: &Identity) {
    let _ = write!(out, "    <{element}>\n      <identity");
    if let Some(display) = who.display.as_deref().filter(|d| !d.is_empty()) {
        out.push_str(" display=\"");
        push_escaped(out, display);
        out.push('"');
    }
    out.push('>');
    push_escaped(out, &who.uri);
    out.push_str("</identity>\n      <target uri=\"");
    push_escaped(out, &who.uri);
    let _ = writeln!(out, "\"/>\n    </{element}>");
}
