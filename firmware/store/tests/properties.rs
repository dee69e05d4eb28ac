//! Properties over many generated documents:
//! - parsing never panics, whatever the text;
//! - validation is complete: a document without problems imports, and export gives it
//!   back; a document with problems is refused and changes nothing. In particular no
//!   document that passes validation may trip an SQL constraint instead.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use common::*;
use proptest::prelude::*;
use store::document::{Destination, TenantDocument};
use store::{parse_document, validate_document, StoreError};

/// Values that sit on the edges of the field rules.
fn tricky() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just(" ".to_owned()),
        Just(".".to_owned()),
        Just("*21".to_owned()),
        Just("+".to_owned()),
        Just("+34911".to_owned()),
        Just("10".to_owned()),
        Just("11".to_owned()),
        Just("400".to_owned()),
        Just("7000".to_owned()),
        Just("00:00".to_owned()),
        Just("23:59".to_owned()),
        Just("24:00".to_owned()),
        Just("2024-02-29".to_owned()),
        Just("2023-02-29".to_owned()),
        Just("(03|06".to_owned()),
        Just("0[5-9]|1[0-9]".to_owned()),
        Just("ñandú@correo.es".to_owned()),
        Just("a\u{0}b".to_owned()),
        Just("../x".to_owned()),
        Just("u10".to_owned()),
        Just("q-ventas".to_owned()),
        "[0-9]{1,4}",
        "\\PC{0,12}",
    ]
}

/// One edit of the example document.
#[derive(Debug, Clone)]
enum Edit {
    Text(usize, String),
    Number(usize, u32),
    DropUser,
    DropQueue,
    DropPrompt,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        6 => (0..24usize, tricky()).prop_map(|(f, v)| Edit::Text(f, v)),
        2 => (0..6usize, prop_oneof![Just(0u32), Just(1), Just(2), Just(600), Just(601), Just(10_000), any::<u32>()])
            .prop_map(|(f, v)| Edit::Number(f, v)),
        1 => Just(Edit::DropUser),
        1 => Just(Edit::DropQueue),
        1 => Just(Edit::DropPrompt),
    ]
}

fn apply(doc: &mut TenantDocument, e: Edit) {
    match e {
        Edit::Text(field, v) => match field {
            0 => doc.users[0].extension = v,
            1 => doc.users[1].extension = v,
            2 => doc.users[0].email = v,
            3 => doc.users[1].full_name = v,
            4 => doc.users[0].sip_password = v,
            5 => doc.users[0].caller_id = Some(v),
            6 => doc.queues[0].number = v,
            7 => doc.ivrs[0].number = v,
            8 => doc.voicemail_boxes[0].number = v,
            9 => doc.voicemail_boxes[0].pin = v,
            10 => doc.aliases[0].alias = v,
            11 => doc.dids[0].number = v,
            12 => doc.dids[0].rules[0].month = v,
            13 => doc.dids[0].rules[0].start = v,
            14 => doc.dids[0].rules[1].caller_id = v,
            15 => doc.dids[0].rules[2].destination = Destination::Queue(v),
            16 => doc.prompts[0].file = v,
            17 => doc.tenant.created = v,
            18 => doc.tenant.timezone = v,
            19 => doc.users[1].id = v,
            20 => doc.conference_rooms[0].number = Some(v),
            21 => doc.allow_list[0].address = v,
            22 => doc.external_numbers[0].number = v,
            _ => doc.ivrs[0]
                .options
                .insert(v, Destination::Hangup)
                .map_or((), |_| ()),
        },
        Edit::Number(field, v) => match field {
            0 => doc.tenant.id = v,
            1 => doc.tenant.max_extensions = v,
            2 => doc.users[0].ring_seconds = v,
            3 => doc.queues[0].step_seconds = v,
            4 => doc.voicemail_boxes[0].keep_days = v,
            _ => doc.ivrs[0].no_input_seconds = v,
        },
        Edit::DropUser => {
            if doc.users.len() > 1 {
                doc.users.remove(1);
            }
        }
        Edit::DropQueue => {
            doc.queues.clear();
        }
        Edit::DropPrompt => {
            if doc.prompts.len() > 1 {
                doc.prompts.remove(1);
            }
        }
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

proptest! {
    // 100 cases by default; PROPTEST_CASES lowers it (e.g. under qemu in the cross build).
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn validation_is_complete(mut edits in proptest::collection::vec(edit(), 1..4)) {
        let mut doc = example();
        // Field edits first: they address entities the drops may remove.
        edits.sort_by_key(|e| matches!(e, Edit::DropUser | Edit::DropQueue | Edit::DropPrompt));
        for e in edits {
            apply(&mut doc, e);
        }
        let (_dir, mut store) = temp_store();
        // Another tenant already on the box, for the box-wide checks.
        let mut other = minimal();
        other.tenant.id = 30001;
        store.import_document(&other).unwrap();
        let problems = validate_document(&doc);
        match store.import_document(&doc) {
            Ok(_) => {
                prop_assert!(problems.is_empty(), "accepted with problems {problems:?}");
                prop_assert_eq!(store.export_document(doc.tenant.id).unwrap(), doc);
            }
            Err(StoreError::InvalidDocument { problems: refused }) => {
                prop_assert!(refused.0.len() >= problems.len());
                prop_assert_eq!(store.tenant_ids().unwrap(), vec![30001]);
            }
            Err(other) => prop_assert!(false, "SQL refused what validation accepted: {other}"),
        }
    }

    #[test]
    fn parsing_never_panics(cut in 0..EXAMPLE.len(), byte in any::<u8>(), at in 0..EXAMPLE.len()) {
        let mut bytes = EXAMPLE.as_bytes().to_vec();
        bytes[at] = byte;
        bytes.truncate(cut.max(at + 1));
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_document(&text).map(|d| validate_document(&d));
    }
}

#[test]
fn every_prefix_is_refused_cleanly() {
    let text = EXAMPLE.trim_end();
    for cut in 0..text.len() {
        if text.is_char_boundary(cut) {
            assert!(matches!(
                parse_document(&text[..cut]),
                Err(StoreError::Json { .. })
            ));
        }
    }
}
