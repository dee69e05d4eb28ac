//! Records: audit log, bans, allow list, voicemail messages, recordings.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use common::*;
use store::{AuditEntry, Ban, Recording, VoicemailMessage};

fn audit(action: &str, at: i64) -> AuditEntry {
    AuditEntry {
        tenant_id: Some(20191),
        at_utc: at,
        user_name: "Soporte Smartgroup".into(),
        email: "soporte@smartgroup.es".into(),
        action: action.into(),
        entity_id: Some("20191".into()),
        address: Some("192.0.2.7".into()),
        user_agent: Some("curl/8".into()),
    }
}

#[test]
fn audited_import_is_one_transaction() {
    let (_dir, mut store) = temp_store();
    store
        .import_document_audited(&example(), &audit("store company", 1_000))
        .unwrap();
    let mut bad = example();
    bad.users[0].email = "broken".into();
    assert!(store
        .import_document_audited(&bad, &audit("store company", 2_000))
        .is_err());
    let log = store.list_audit(Some(20191), 10).unwrap();
    assert_eq!(
        log,
        vec![audit("store company", 1_000)],
        "no entry for the refused import"
    );
    let mut login = audit("login", 3_000);
    login.tenant_id = None;
    store.append_audit(&login).unwrap();
    assert_eq!(store.list_audit(None, 10).unwrap()[0], login);
    assert_eq!(store.list_audit(Some(20191), 10).unwrap().len(), 1);
}

#[test]
fn bans_expire_and_can_be_lifted() {
    let (_dir, mut store) = temp_store();
    let ban = |address: &str, until: Option<i64>| Ban {
        address: address.into(),
        reason: "UA".into(),
        banned_utc: 100,
        until_utc: until,
    };
    store.ban(&ban("195.96.138.55", Some(1_000))).unwrap();
    store.ban(&ban("203.0.113.9", None)).unwrap();
    assert_eq!(store.active_bans(500).unwrap().len(), 2);
    assert_eq!(
        store.active_bans(1_000).unwrap(),
        vec![ban("203.0.113.9", None)]
    );
    assert!(store.unban("203.0.113.9").unwrap());
    assert!(!store.unban("203.0.113.9").unwrap());
    assert!(store.active_bans(0).unwrap().is_empty());
    // Re-banning updates.
    store.ban(&ban("198.51.100.1", Some(200))).unwrap();
    store.ban(&ban("198.51.100.1", Some(5_000))).unwrap();
    assert_eq!(store.active_bans(4_000).unwrap().len(), 1);
}

#[test]
fn allow_list_networks() {
    let (_dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    let nets = store.allowed_networks().unwrap();
    assert_eq!(nets.len(), 2);
    let office = "35.242.193.46".parse().unwrap();
    assert!(nets.iter().any(|n| n.contains(office)));
    assert!(!nets
        .iter()
        .any(|n| n.contains("35.242.193.47".parse().unwrap())));
}

#[test]
fn voicemail_survives_reimport_and_recordings() {
    let (_dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    let msg = VoicemailMessage {
        id: 0,
        tenant_id: 20191,
        box_id: "vm700".into(),
        caller: "600111222".into(),
        received_utc: 1_700_000_000_000,
        duration_ms: 12_500,
        file: "voicemail/20191/vm700/1.wav".into(),
        heard: false,
    };
    let id = store.add_voicemail(&msg).unwrap();
    // The box disappears from the configuration; its message does not.
    store.import_document(&minimal()).unwrap();
    let kept = store.voicemails(20191, "vm700").unwrap();
    assert_eq!(kept, vec![VoicemailMessage { id, ..msg.clone() }]);
    assert!(store.mark_voicemail_heard(id).unwrap());
    assert!(store.voicemails(20191, "vm700").unwrap()[0].heard);
    assert_eq!(store.delete_voicemail(id).unwrap(), Some(msg.file.clone()));
    assert_eq!(store.delete_voicemail(id).unwrap(), None);

    let rec = Recording {
        id: 0,
        tenant_id: 20191,
        call_id: "abc@box".into(),
        created_utc: 5,
        duration_ms: 1_000,
        file: "recordings/20191/abc.wav".into(),
    };
    let rid = store.add_recording(&rec).unwrap();
    assert_eq!(
        store.recordings(20191, "abc@box").unwrap(),
        vec![Recording { id: rid, ..rec }]
    );
    assert!(store.recordings(20200, "abc@box").unwrap().is_empty());
}

#[test]
fn outbox_queues_records_until_acknowledged() {
    use store::{CdrRecord, Direction, Disposition, OutboxRecord};
    let (dir, mut store) = temp_store();
    store.import_document(&minimal()).unwrap();
    assert!(
        store.outbox_pending(10).unwrap().is_empty(),
        "config is not queued"
    );
    let cdr = |id: &str| CdrRecord {
        tenant_id: 20191,
        call_id: id.into(),
        start_utc: 1,
        answer_utc: None,
        end_utc: 2,
        billable_secs: 0,
        direction: Direction::Internal,
        source: "10".into(),
        destination: "11".into(),
        did: None,
        disposition: Disposition::Busy,
        hangup_cause: "486".into(),
        caller_id_presented: None,
        queue: None,
        agent: None,
        trunk: None,
    };
    store.insert_cdrs(&[cdr("c1"), cdr("c2")]).unwrap();
    store.append_audit(&audit("login", 5)).unwrap();
    let pending = store.outbox_pending(10).unwrap();
    assert_eq!(pending.len(), 3);
    assert_eq!(pending[0].record, OutboxRecord::Cdr(cdr("c1")));
    assert_eq!(pending[2].record, OutboxRecord::Audit(audit("login", 5)));
    assert!(pending[0].seq < pending[1].seq && pending[1].seq < pending[2].seq);
    // The cloud took the first two; the queue survives a restart.
    assert_eq!(store.outbox_ack(pending[1].seq).unwrap(), 2);
    drop(store);
    let mut store = store::Store::open(dir.path()).unwrap();
    let rest = store.outbox_pending(10).unwrap();
    assert_eq!(rest, vec![pending[2].clone()]);
    store.outbox_ack(rest[0].seq).unwrap();
    store.insert_cdrs(&[cdr("c3")]).unwrap();
    let next = store.outbox_pending(10).unwrap();
    assert!(
        next[0].seq > rest[0].seq,
        "sequence numbers are never reused"
    );
}
