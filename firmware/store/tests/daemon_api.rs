//! The API the daemon calls: demo tenant, directory, CDRs.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use common::*;
use store::{CdrRecord, Direction, Disposition, Store, StoreError};

fn cdr(call_id: &str, start: i64, disposition: Disposition) -> CdrRecord {
    let answered = disposition == Disposition::Answered;
    CdrRecord {
        tenant_id: 20191,
        call_id: call_id.into(),
        start_utc: start,
        answer_utc: answered.then_some(start + 2_000),
        end_utc: start + 12_000,
        billable_secs: if answered { 10 } else { 0 },
        direction: Direction::Internal,
        source: "10".into(),
        destination: "11".into(),
        did: None,
        disposition,
        hangup_cause: if answered {
            "BYE caller".into()
        } else {
            "486".into()
        },
        caller_id_presented: Some("Extension 10".into()),
        queue: None,
        agent: None,
        trunk: None,
    }
}

#[test]
fn demo_tenant() {
    let (_dir, mut store) = temp_store();
    assert_eq!(store.tenant_count().unwrap(), 0);
    let exts = store
        .create_demo_tenant(["pw-ten-0123456789".into(), "pw-eleven-0123456789".into()])
        .unwrap();
    assert_eq!(store.tenant_count().unwrap(), 1);
    assert_eq!(exts.len(), 2);
    assert_eq!(exts[0].extension, "10");
    assert_eq!(exts[0].username, "ext2019110");
    assert_eq!(exts[0].password, "pw-ten-0123456789");
    assert_eq!(exts[1].username, "ext2019111");
    let doc = store.export_document(20191).unwrap();
    assert_eq!(doc.users[1].sip_password, "pw-eleven-0123456789");
    assert_eq!(doc.users[1].ring_seconds, 30);
    let created = doc.tenant.created;
    assert_eq!(created.len(), 10, "{created}");
    assert!(matches!(
        store.create_demo_tenant(["a".into(), "b".into()]),
        Err(StoreError::TenantExists { tenant_id: 20191 })
    ));
}

#[test]
fn cdr_batches_newest_first() {
    let (_dir, mut store) = temp_store();
    store.import_document(&minimal()).unwrap();
    let batch: Vec<CdrRecord> = (0..50)
        .map(|i| {
            cdr(
                &format!("call-{i}"),
                1_700_000_000_000 + i * 1000,
                Disposition::Answered,
            )
        })
        .collect();
    store.insert_cdrs(&batch).unwrap();
    store
        .insert_cdrs(&[cdr("busy", 1_800_000_000_000, Disposition::Busy)])
        .unwrap();
    store.insert_cdrs(&[]).unwrap();
    let latest = store.list_cdrs(20191, 3).unwrap();
    assert_eq!(latest.len(), 3);
    assert_eq!(latest[0].call_id, "busy");
    assert_eq!(latest[0].disposition, Disposition::Busy);
    assert_eq!(latest[0].answer_utc, None);
    assert_eq!(latest[1], batch[49]);
    assert_eq!(latest[2], batch[48]);
    assert_eq!(store.list_cdrs(20191, 1000).unwrap().len(), 51);
    assert_eq!(store.list_recent_cdrs(2).unwrap().len(), 2);
    assert!(store.list_cdrs(20200, 10).unwrap().is_empty());
    // The JSON the `centralita cdr` command prints.
    let json = serde_json::to_value(&latest[0]).unwrap();
    assert_eq!(json["disposition"], "busy");
    assert_eq!(json["direction"], "internal");
    assert_eq!(
        serde_json::to_value(Disposition::NoAnswer).unwrap(),
        "no_answer"
    );
}

#[test]
fn cdr_batch_is_all_or_nothing() {
    let (_dir, mut store) = temp_store();
    store.import_document(&minimal()).unwrap();
    let mut bad = cdr("bad", 1_700_000_000_000, Disposition::Answered);
    bad.end_utc = bad.start_utc - 1; // ends before it starts: refused by a CHECK
    let good = cdr("good", 1_700_000_000_000, Disposition::Answered);
    assert!(store.insert_cdrs(&[good, bad]).is_err());
    assert!(store.list_cdrs(20191, 10).unwrap().is_empty());
    let mut stranger = cdr("stranger", 1, Disposition::Failed);
    stranger.tenant_id = 55555;
    assert!(
        store.insert_cdrs(&[stranger]).is_err(),
        "CDR of an unknown tenant"
    );
}

#[test]
fn committed_cdr_survives_an_unclean_stop() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    store.import_document(&minimal()).unwrap();
    store
        .insert_cdrs(&[cdr("kept", 1_700_000_000_000, Disposition::Answered)])
        .unwrap();
    // No clean close: no checkpoint, the WAL file is left as a crash would leave it.
    std::mem::forget(store);
    assert!(dir.path().join("centralita.db-wal").exists());
    let store = Store::open(dir.path()).unwrap();
    let cdrs = store.list_cdrs(20191, 10).unwrap();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(cdrs[0].call_id, "kept");
}

#[test]
fn two_connections_share_the_file() {
    // The daemon runs while `centralita import` or `cdr` open the same folder.
    let (dir, mut daemon) = temp_store();
    daemon.import_document(&minimal()).unwrap();
    let generation = daemon.config_generation().unwrap();
    let mut cli = Store::open(dir.path()).unwrap();
    let mut doc = minimal();
    doc.users[0].sip_password = "changed".into();
    cli.import_document(&doc).unwrap();
    assert_eq!(
        daemon.config_generation().unwrap(),
        generation + 1,
        "the daemon sees the change"
    );
    let reloaded = daemon.export_document(20191).unwrap();
    assert_eq!(reloaded.users[0].sip_password, "changed");
    daemon
        .insert_cdrs(&[cdr("x", 1, Disposition::Failed)])
        .unwrap();
    assert_eq!(cli.list_cdrs(20191, 5).unwrap().len(), 1);
}

#[test]
fn cdr_filters() {
    let (_dir, mut store) = temp_store();
    store.import_document(&minimal()).unwrap();
    let mut incoming = cdr("in", 2_000, Disposition::NoAnswer);
    incoming.direction = Direction::Incoming;
    incoming.source = "913531050".into();
    incoming.did = Some("916431214".into());
    let batch = [
        cdr("a", 1_000, Disposition::Answered),
        incoming,
        cdr("b", 3_000, Disposition::Busy),
    ];
    store.insert_cdrs(&batch).unwrap();
    let ids = |q: store::CdrQuery| -> Vec<String> {
        store
            .query_cdrs(&q)
            .unwrap()
            .into_iter()
            .map(|c| c.call_id)
            .collect()
    };
    let all = store::CdrQuery::default();
    assert_eq!(ids(all.clone()), ["b", "in", "a"]);
    assert_eq!(
        ids(store::CdrQuery {
            direction: Some(Direction::Incoming),
            ..all.clone()
        }),
        ["in"]
    );
    assert_eq!(
        ids(store::CdrQuery {
            answered: Some(true),
            ..all.clone()
        }),
        ["a"]
    );
    assert_eq!(
        ids(store::CdrQuery {
            answered: Some(false),
            ..all.clone()
        }),
        ["b", "in"]
    );
    assert_eq!(
        ids(store::CdrQuery {
            from_utc: Some(2_000),
            until_utc: Some(3_000),
            ..all.clone()
        }),
        ["in"]
    );
    assert_eq!(
        ids(store::CdrQuery {
            number: Some("6431".into()),
            ..all.clone()
        }),
        ["in"]
    );
    assert_eq!(
        ids(store::CdrQuery {
            number: Some("913".into()),
            ..all.clone()
        }),
        ["in"]
    );
    assert_eq!(
        ids(store::CdrQuery {
            limit: 1,
            offset: 1,
            ..all.clone()
        }),
        ["in"]
    );
    assert!(ids(store::CdrQuery {
        tenant_id: Some(20200),
        ..all
    })
    .is_empty());
}
