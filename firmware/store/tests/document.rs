//! Tenant document: parse, import, export, round trip, atomicity.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use common::*;
use store::document::{Destination, Role, Strategy};
use store::{parse_document, CdrRecord, Direction, Disposition, StoreError};

#[test]
fn rich_example_round_trips() {
    let (_dir, mut store) = temp_store();
    let doc = example();
    let summary = store.import_document(&doc).unwrap();
    assert!(summary.created);
    assert_eq!(summary.users, 2);
    assert_eq!(summary.route_rules, 4);
    let exported = store.export_document(20191).unwrap();
    assert_eq!(exported, doc);
    // And again through JSON text, as the CLI does.
    let text = serde_json::to_string_pretty(&exported).unwrap();
    assert_eq!(parse_document(&text).unwrap(), doc);
    // Importing the export changes nothing.
    let again = store.import_document(&exported).unwrap();
    assert!(!again.created);
    assert_eq!(store.export_document(20191).unwrap(), doc);
}

#[test]
fn example_touches_every_entity() {
    let doc = example();
    assert!(doc.provider.as_ref().is_some_and(|p| p.secondary.is_some()));
    for (name, len) in [
        ("users", doc.users.len()),
        ("dids", doc.dids.len()),
        ("aliases", doc.aliases.len()),
        ("external_numbers", doc.external_numbers.len()),
        ("queues", doc.queues.len()),
        ("voicemail_boxes", doc.voicemail_boxes.len()),
        ("ivrs", doc.ivrs.len()),
        ("prompts", doc.prompts.len()),
        ("music_on_hold", doc.music_on_hold.len()),
        ("conference_rooms", doc.conference_rooms.len()),
        ("api_keys", doc.api_keys.len()),
        ("modules", doc.modules.len()),
        ("allow_list", doc.allow_list.len()),
    ] {
        assert!(len > 0, "{name} is empty in the example");
    }
    let kinds: std::collections::BTreeSet<&str> = doc
        .dids
        .iter()
        .flat_map(|d| {
            d.rules
                .iter()
                .map(|r| r.destination.kind())
                .chain(d.forward.iter().map(|f| f.kind()))
        })
        .chain(
            doc.ivrs
                .iter()
                .flat_map(|i| i.options.values().map(Destination::kind)),
        )
        .chain(
            doc.users
                .iter()
                .flat_map(|u| u.forward_always.iter().map(Destination::kind)),
        )
        .collect();
    assert_eq!(kinds.len(), 9, "every destination kind: {kinds:?}");
    assert_eq!(doc.queues[0].strategy, Strategy::GroupOrder);
    assert_eq!(doc.users[0].role, Role::Admin);
}

#[test]
fn minimal_document_gets_defaults() {
    let (_dir, mut store) = temp_store();
    let doc = minimal();
    assert_eq!(doc.users[1].ring_seconds, 30);
    assert_eq!(doc.users[1].role, Role::User);
    assert!(doc.users[1].call_waiting);
    assert!(doc.dids.is_empty() && doc.queues.is_empty());
    store.import_document(&doc).unwrap();
    assert_eq!(store.export_document(20191).unwrap(), doc);
    assert_eq!(store.tenant_count().unwrap(), 1);
}

#[test]
fn json_errors_have_line_and_column() {
    let err = parse_document("{\n  \"schema\": 1,\n  \"tenant\": {\"id\": \"x\"}\n}").unwrap_err();
    match err {
        StoreError::Json { line, column, .. } => {
            assert_eq!(line, 3);
            assert!(column > 10, "column {column}");
        }
        other => panic!("{other:?}"),
    }
    let err = parse_document(
        r#"{"schema":1,"tenant":{"id":20191,"name":"T","max_extensions":1,
        "timezone":"UTC","created":"2024-01-02"},"userz":[]}"#,
    )
    .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("line 2, column "), "{text}");
    assert!(text.contains("unknown field `userz`"), "{text}");
    assert!(!text.contains(" at line "), "position said once: {text}");
    assert!(matches!(
        parse_document("{"),
        Err(StoreError::Json { line: 1, .. })
    ));
}

#[test]
fn reimport_replaces_config_but_keeps_records() {
    let (_dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    let cdr = CdrRecord {
        tenant_id: 20191,
        call_id: "c1".into(),
        start_utc: 1_700_000_000_000,
        answer_utc: None,
        end_utc: 1_700_000_005_000,
        billable_secs: 0,
        direction: Direction::Incoming,
        source: "600111222".into(),
        destination: "400".into(),
        did: Some("917374206".into()),
        disposition: Disposition::NoAnswer,
        hangup_cause: "487".into(),
        caller_id_presented: None,
        queue: Some("q-ventas".into()),
        agent: None,
        trunk: None,
    };
    store.insert_cdrs(std::slice::from_ref(&cdr)).unwrap();
    // Replace everything with the two-user document: queues, IVRs, DIDs... disappear.
    let small = minimal();
    store.import_document(&small).unwrap();
    assert_eq!(store.export_document(20191).unwrap(), small);
    assert_eq!(store.list_cdrs(20191, 10).unwrap(), vec![cdr]);
}

#[test]
fn refused_import_changes_nothing() {
    let (_dir, mut store) = temp_store();
    let good = example();
    store.import_document(&good).unwrap();
    let mut bad = minimal();
    bad.users[1].extension = "10".into();
    refused(&mut store, &bad);
    assert_eq!(store.export_document(20191).unwrap(), good);
}

#[test]
fn export_of_unknown_tenant() {
    let (_dir, store) = temp_store();
    assert!(matches!(
        store.export_document(99999),
        Err(StoreError::TenantNotFound { tenant_id: 99999 })
    ));
}

#[test]
fn two_tenants_are_isolated() {
    let (_dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    let mut other = minimal();
    other.tenant.id = 20200;
    store.import_document(&other).unwrap();
    assert_eq!(store.tenant_ids().unwrap(), vec![20191, 20200]);
    assert_eq!(store.export_document(20191).unwrap(), example());
    assert_eq!(store.export_document(20200).unwrap(), other);
}

#[test]
fn large_tenant_imports_in_one_go() {
    // The benchmark registers thousands of extensions: one transaction, prepared statements.
    let (_dir, mut store) = temp_store();
    let mut doc = minimal();
    doc.tenant.max_extensions = 2_000;
    let template = doc.users[0].clone();
    doc.users = (0..2_000)
        .map(|i| {
            let mut u = template.clone();
            u.id = format!("u{i}");
            u.extension = format!("{}", 10_000 + i);
            u.sip_password = format!("pw{i}");
            u
        })
        .collect();
    let started = std::time::Instant::now();
    store.import_document(&doc).unwrap();
    eprintln!("2000 users imported in {:?}", started.elapsed());
    assert_eq!(store.export_document(20191).unwrap(), doc);
}
