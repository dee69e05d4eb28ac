//! The document's structure against the RFC 4235 §6 examples: root attributes, one `<dialog>`
//! per call with id/call-id/local-tag/remote-tag/direction, `<state>` first, then `<local>` and
//! `<remote>` with `<identity>` and `<target uri>`. Checked by a small well-formedness walk so a
//! hostile string cannot hide a broken document behind a substring match.
use super::*;

/// The RFC 4235 §6.1 example, reshaped to our rendering (whitespace and the XML declaration
/// aside, this is the example's element and attribute structure).
const EXPECTED_EARLY: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:alice@example.com">
  <dialog id="as7d900as8" call-id="a84b4c76e66710" local-tag="1928301774" remote-tag="456887766" direction="recipient">
    <state>early</state>
    <local>
      <identity>sip:alice@example.com</identity>
      <target uri="sip:alice@example.com"/>
    </local>
    <remote>
      <identity display="Bob">sip:bob@example.org</identity>
      <target uri="sip:bob@example.org"/>
    </remote>
  </dialog>
</dialog-info>
"#;

fn rfc_dialog() -> DialogView {
    DialogView {
        id: "as7d900as8".to_string(),
        state: DialogState::Early,
        direction: Direction::Recipient,
        remote_identity: Some(Identity {
            uri: "sip:bob@example.org".to_string(),
            display: Some("Bob".to_string()),
        }),
        call_id: Some("a84b4c76e66710".to_string()),
        local_tag: Some("1928301774".to_string()),
        remote_tag: Some("456887766".to_string()),
    }
}

#[test]
fn matches_the_rfc_example_structure() {
    let doc = dialog_info_body(1, "sip:alice@example.com", &[rfc_dialog()], &[], 8);
    assert_eq!(doc, EXPECTED_EARLY);
    assert_eq!(
        well_formed(&doc),
        [
            "dialog-info",
            "dialog",
            "state",
            "local",
            "identity",
            "target",
            "remote",
            "identity",
            "target"
        ]
    );
}

#[test]
fn idle_and_minimal_documents() {
    let idle = dialog_info_body(0, "sip:202@pbx", &[], &[], 8);
    assert_eq!(
        idle,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<dialog-info \
         xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"0\" state=\"full\" \
         entity=\"sip:202@pbx\">\n</dialog-info>\n"
    );
    let bare = DialogView {
        remote_identity: None,
        call_id: None,
        local_tag: None,
        remote_tag: None,
        state: DialogState::Confirmed,
        direction: Direction::Initiator,
        ..rfc_dialog()
    };
    let doc = dialog_info_body(3, "sip:202@pbx", &[], &[bare], 8);
    assert!(doc.contains("<dialog id=\"as7d900as8\" direction=\"initiator\">"));
    assert!(
        doc.contains("<state>terminated</state>"),
        "ended calls say so"
    );
    assert_eq!(
        well_formed(&doc),
        [
            "dialog-info",
            "dialog",
            "state",
            "local",
            "identity",
            "target"
        ]
    );
}

#[test]
fn hostile_strings_cannot_break_the_document() {
    let evil = DialogView {
        id: "x\"><dialog id=\"y".to_string(),
        remote_identity: Some(Identity {
            uri: "sip:a@b'><script/>".to_string(),
            display: Some("</identity></remote><state>confirmed</state>&\u{0}".to_string()),
        }),
        call_id: Some("c&d<e>".to_string()),
        ..rfc_dialog()
    };
    let doc = dialog_info_body(1, "sip:2\"02@pbx", &[evil], &[], 8);
    assert_eq!(states_of(&doc), ["early"]);
    assert_eq!(
        well_formed(&doc),
        [
            "dialog-info",
            "dialog",
            "state",
            "local",
            "identity",
            "target",
            "remote",
            "identity",
            "target"
        ]
    );
    assert!(doc.contains("display=\"&lt;/identity&gt;&lt;/remote&gt;&lt;state&gt;confirmed&lt;/state&gt;&amp;\u{FFFD}\""));
    assert!(!doc.contains('\u{0}'));
}

fn states_of(doc: &str) -> Vec<&str> {
    doc.split("<state>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap())
        .collect()
}

/// A minimal XML checker for what we render: tags balance, attribute values are quoted and
/// contain no `<`, `"` or raw `&` outside an entity, text has no raw `<`/`&`. Returns the element
/// names in document order.
pub(super) fn well_formed(doc: &str) -> Vec<String> {
    let doc = doc
        .strip_prefix("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
        .expect("declaration");
    let mut open: Vec<String> = Vec::new();
    let mut names = Vec::new();
    let mut rest = doc;
    while let Some(lt) = rest.find('<') {
        check_text(&rest[..lt]);
        let gt = rest[lt..].find('>').expect("unclosed tag") + lt;
        let tag = &rest[lt + 1..gt];
        rest = &rest[gt + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(open.pop().as_deref(), Some(name), "mismatched close");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let (name, mut attrs) = tag.split_once(' ').unwrap_or((tag, ""));
        names.push(name.to_string());
        while !attrs.trim().is_empty() {
            let (key, after) = attrs.trim_start().split_once("=\"").expect("attribute");
            assert!(key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == ':'));
            let end = after.find('"').expect("quoted value");
            check_text(&after[..end]);
            attrs = &after[end + 1..];
        }
        if !self_closing {
            open.push(name.to_string());
        }
    }
    check_text(rest);
    assert!(open.is_empty(), "unclosed {open:?}");
    names
}

fn check_text(text: &str) {
    assert!(!text.contains('<') && !text.contains('>') && !text.contains('"'));
    for (i, _) in text.match_indices('&') {
        let entity = &text[i..];
        let ok = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"]
            .iter()
            .any(|e| entity.starts_with(e));
        assert!(ok, "raw & in {text:?}");
    }
    assert!(!text.chars().any(|c| (c as u32) < 0x20 && c != '\n'));
}
