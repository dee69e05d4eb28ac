//! Voicemail counts and retention, recordings linked to CDRs, and the mail outbox, on real
//! SQLite files.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

mod common;

use common::*;
use rusqlite::Connection;
use store::{
    CdrRecord, Direction, Disposition, MailAttachment, NewMail, Recording, Store, VoicemailCounts,
    VoicemailMessage,
};

const DAY: i64 = 86_400_000;
const T0: i64 = 1_700_000_000_000;

fn message(box_id: &str, received_utc: i64, n: u32) -> VoicemailMessage {
    VoicemailMessage {
        id: 0,
        tenant_id: 20191,
        box_id: box_id.into(),
        caller: "600111222".into(),
        received_utc,
        duration_ms: 4_000,
        file: format!("voicemail/20191/{box_id}/{received_utc}-{n}.wav"),
        heard: false,
    }
}

fn mail(to: &str) -> NewMail {
    NewMail {
        tenant_id: Some(20191),
        to: to.into(),
        subject: "Nuevo mensaje de voz".into(),
        body: "Hola".into(),
        attachment: Some(MailAttachment {
            path: "voicemail/20191/vm700/1.wav".into(),
            name: "mensaje.wav".into(),
            mime: "audio/wav".into(),
        }),
    }
}

fn cdr(call_id: &str, destination: &str) -> CdrRecord {
    CdrRecord {
        tenant_id: 20191,
        call_id: call_id.into(),
        start_utc: T0,
        answer_utc: Some(T0 + 1_000),
        end_utc: T0 + 9_000,
        billable_secs: 8,
        direction: Direction::Internal,
        source: "10".into(),
        destination: destination.into(),
        did: None,
        disposition: Disposition::Answered,
        hangup_cause: "BYE caller".into(),
        caller_id_presented: None,
        queue: None,
        agent: None,
        trunk: None,
    }
}

fn recording(call_id: &str, file: &str) -> Recording {
    Recording {
        id: 0,
        tenant_id: 20191,
        call_id: call_id.into(),
        created_utc: T0 + 9_000,
        duration_ms: 8_000,
        file: file.into(),
    }
}

/// CDR row ids with their recording link, in insertion order.
fn cdr_links(dir: &tempfile::TempDir) -> Vec<(i64, Option<i64>)> {
    let conn = Connection::open(dir.path().join(store::DB_FILE)).unwrap();
    let mut stmt = conn
        .prepare("SELECT id, recording_id FROM cdrs ORDER BY id")
        .unwrap();
    let links = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    links
}

#[test]
fn counts_follow_heard_and_delete() {
    let (_dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    assert_eq!(
        store.voicemail_counts(20191, "vm700").unwrap(),
        VoicemailCounts::default()
    );
    let a = store.add_voicemail(&message("vm700", T0, 1)).unwrap();
    store.add_voicemail(&message("vm700", T0 + 1, 2)).unwrap();
    store.add_voicemail(&message("gone", T0, 3)).unwrap();
    store.mark_voicemail_heard(a).unwrap();
    assert_eq!(
        store.voicemail_counts(20191, "vm700").unwrap(),
        VoicemailCounts { new: 1, old: 1 }
    );
    let all = store.all_voicemail_counts().unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(
        (all[0].box_id.as_str(), all[0].counts),
        ("gone", VoicemailCounts { new: 1, old: 0 })
    );
    assert_eq!(
        (all[1].box_id.as_str(), all[1].counts),
        ("vm700", VoicemailCounts { new: 1, old: 1 })
    );
    assert_eq!(
        store.voicemail(a).unwrap().unwrap().file,
        message("vm700", T0, 1).file
    );
    assert_eq!(
        store.delete_voicemail(a).unwrap(),
        Some(message("vm700", T0, 1).file)
    );
    assert!(store.voicemail(a).unwrap().is_none());
    assert_eq!(
        store.voicemail_counts(20191, "vm700").unwrap(),
        VoicemailCounts { new: 1, old: 0 }
    );
}

#[test]
fn messages_expire_after_their_box_keep_days() {
    let (_dir, mut store) = temp_store();
    let mut doc = example();
    doc.voicemail_boxes[0].keep_days = 3;
    store.import_document(&doc).unwrap();
    let old = message("vm700", T0, 1);
    let young = message("vm700", T0 + 2 * DAY, 2);
    // A box removed from the configuration keeps its messages the default 730 days.
    let orphan = message("removed", T0, 3);
    for m in [&old, &young, &orphan] {
        store.add_voicemail(m).unwrap();
    }
    // Exactly keep_days old is still kept.
    assert!(store.expire_voicemails(T0 + 3 * DAY).unwrap().is_empty());
    assert_eq!(
        store.expire_voicemails(T0 + 3 * DAY + 1).unwrap(),
        vec![old.file]
    );
    assert_eq!(store.voicemails(20191, "vm700").unwrap().len(), 1);
    assert!(store.expire_voicemails(T0 + 700 * DAY).unwrap() == vec![young.file]);
    assert!(store.expire_voicemails(T0 + 730 * DAY).unwrap().is_empty());
    assert_eq!(
        store.expire_voicemails(T0 + 730 * DAY + 1).unwrap(),
        vec![orphan.file]
    );
    assert!(store.all_voicemail_counts().unwrap().is_empty());
}

#[test]
fn recordings_link_to_cdrs_written_before_or_after() {
    let (dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    // Leg written before its recording, then the recording, then the other leg.
    store.insert_cdrs(&[cdr("call-a", "11")]).unwrap();
    let ra = store
        .add_recording(&recording("call-a", "recordings/a.wav"))
        .unwrap();
    store
        .insert_cdrs(&[cdr("call-a", "12"), cdr("call-b", "13")])
        .unwrap();
    let links = cdr_links(&dir);
    assert_eq!(
        links.iter().map(|l| l.1).collect::<Vec<_>>(),
        vec![Some(ra), Some(ra), None]
    );
    let (first, second, unrecorded) = (links[0].0, links[1].0, links[2].0);
    assert_eq!(store.cdr_recording(first).unwrap().unwrap().id, ra);
    assert_eq!(store.cdr_recording(unrecorded).unwrap(), None);

    let rb = store
        .add_recording(&recording("call-b", "recordings/b.wav"))
        .unwrap();
    let listed: Vec<i64> = store
        .list_recordings(20191, 10)
        .unwrap()
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(listed, vec![rb, ra], "newest first (same time: higher id)");
    assert_eq!(store.list_recordings(20191, 1).unwrap().len(), 1);
    assert!(store.list_recordings(1, 10).unwrap().is_empty());

    // Deleting one leg with its recording unlinks the other leg, which stays.
    assert_eq!(
        store.delete_cdr_with_recording(first).unwrap(),
        Some("recordings/a.wav".into())
    );
    assert!(store.recording(ra).unwrap().is_none());
    assert_eq!(store.cdr_recording(second).unwrap(), None);
    assert_eq!(cdr_links(&dir).len(), 2);
    // A CDR without a recording, and one that does not exist.
    assert_eq!(store.delete_cdr_with_recording(second).unwrap(), None);
    assert_eq!(store.delete_cdr_with_recording(999).unwrap(), None);

    assert_eq!(
        store.delete_recording(rb).unwrap(),
        Some("recordings/b.wav".into())
    );
    assert_eq!(store.delete_recording(rb).unwrap(), None);
    assert_eq!(cdr_links(&dir), vec![(unrecorded, None)]);
}

#[test]
fn voicemail_and_its_mail_are_one_transaction() {
    let (dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    let (id, mail_id) = store
        .add_voicemail_with_mail(&message("vm700", T0, 1), Some(&mail("a@b.es")), T0)
        .unwrap();
    let mail_id = mail_id.unwrap();
    assert!(store.voicemail(id).unwrap().is_some());
    let queued = store.mail(mail_id).unwrap().unwrap();
    assert_eq!(queued.mail, mail("a@b.es"));
    assert_eq!((queued.attempts, queued.next_attempt_utc), (0, T0));

    // A box without email: the message alone.
    let (_, none) = store
        .add_voicemail_with_mail(&message("vm700", T0, 2), None, T0)
        .unwrap();
    assert_eq!(none, None);

    // A message the store refuses (unknown tenant) queues no mail either.
    let mut bad = message("vm700", T0, 3);
    bad.tenant_id = 4242;
    assert!(store
        .add_voicemail_with_mail(&bad, Some(&mail("x@b.es")), T0)
        .is_err());
    assert_eq!(store.mail_queue_counts().unwrap().pending, 1);

    // A crash loses nothing: a new connection sees the pending mail.
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(store.due_mails(T0, 10).unwrap(), vec![queued]);
}

#[test]
fn mail_queue_retries_then_sends_or_gives_up() {
    let (_dir, mut store) = temp_store();
    assert_eq!(store.next_mail_due().unwrap(), None);
    let a = store.enqueue_mail(&mail("a@b.es"), T0).unwrap();
    let mut plain = mail("b@b.es");
    plain.attachment = None;
    plain.tenant_id = None;
    let b = store.enqueue_mail(&plain, T0 + 5).unwrap();
    assert_eq!(store.next_mail_due().unwrap(), Some(T0));
    assert!(store.due_mails(T0 - 1, 10).unwrap().is_empty());
    assert_eq!(store.due_mails(T0, 10).unwrap().len(), 1);
    let due = store.due_mails(T0 + 5, 10).unwrap();
    assert_eq!(due.iter().map(|m| m.id).collect::<Vec<_>>(), vec![a, b]);
    assert_eq!(due[1].mail, plain);

    // a fails: retried later, its error kept.
    assert!(store
        .mark_mail_failed(a, "connection refused", T0 + 10, Some(T0 + 60_000))
        .unwrap());
    assert_eq!(store.next_mail_due().unwrap(), Some(T0 + 5));
    let due = store.due_mails(T0 + 10, 10).unwrap();
    assert_eq!(due.iter().map(|m| m.id).collect::<Vec<_>>(), vec![b]);
    let retried = store.mail(a).unwrap().unwrap();
    assert_eq!(retried.attempts, 1);
    assert_eq!(retried.last_error.as_deref(), Some("connection refused"));
    assert_eq!(retried.next_attempt_utc, T0 + 60_000);

    // b is sent once: a second mark does nothing.
    assert!(store.mark_mail_sent(b, T0 + 20).unwrap());
    assert!(!store.mark_mail_sent(b, T0 + 21).unwrap());
    assert!(!store.mark_mail_failed(b, "late", T0 + 22, None).unwrap());
    assert_eq!(store.next_mail_due().unwrap(), Some(T0 + 60_000));

    // a is given up.
    assert!(store
        .mark_mail_failed(a, "550 no such user", T0 + 60_000, None)
        .unwrap());
    assert_eq!(store.next_mail_due().unwrap(), None);
    assert!(store.due_mails(i64::MAX, 10).unwrap().is_empty());
    let counts = store.mail_queue_counts().unwrap();
    assert_eq!((counts.pending, counts.sent, counts.failed), (0, 1, 1));

    // Finished rows are purged once old enough.
    assert_eq!(store.purge_mail(T0 + 20).unwrap(), 0);
    assert_eq!(store.purge_mail(T0 + 21).unwrap(), 1);
    assert_eq!(store.purge_mail(T0 + 60_001).unwrap(), 1);
    assert!(store.mail(a).unwrap().is_none());
}

#[test]
fn listing_names_each_cdr_and_its_recording_and_delete_removes_both() {
    let (_dir, mut store) = temp_store();
    store.import_document(&example()).unwrap();
    store
        .insert_cdrs(&[cdr("call-r", "11"), cdr("call-n", "12")])
        .unwrap();
    store
        .add_recording(&recording("call-r", "recordings/r.wav"))
        .unwrap();
    let entries = store.recent_cdr_entries(10).unwrap();
    assert_eq!(entries.len(), 2);
    let recorded = entries
        .iter()
        .find(|e| e.record.call_id == "call-r")
        .unwrap();
    assert_eq!(recorded.recording.as_deref(), Some("recordings/r.wav"));
    let json = serde_json::to_string(recorded).unwrap();
    assert!(
        json.contains("\"id\":") && json.contains("\"call_id\":\"call-r\""),
        "{json}"
    );
    assert_eq!(
        store
            .delete_cdr_with_recording(recorded.id)
            .unwrap()
            .as_deref(),
        Some("recordings/r.wav")
    );
    let left = store.recent_cdr_entries(10).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].record.call_id, "call-n");
    assert_eq!(left[0].recording, None);
}
