//! Export of the call applications (continues export.rs).

use rusqlite::{params, Connection};

use super::model::*;
use crate::error::StoreError;
use crate::rows::rows;

pub(super) fn fill(conn: &Connection, doc: &mut TenantDocument) -> Result<(), StoreError> {
    let t = doc.tenant.id;
    doc.queues = rows(conn, "queues",
        "SELECT id, name, number, strategy, max_waiting, step_seconds, max_wait_seconds, wrapup_seconds,
             auto_answer, ring_in_use, play_moh, moh_id, sticky_agent, show_name, unanswered_kind,
             unanswered_ref, after_agent_kind, after_agent_ref
         FROM queues WHERE tenant_id = ?1 ORDER BY pos",
        [t],
        |r| {
            let strategy: String = r.get(3)?;
            let strategy = Strategy::parse(&strategy)
                .ok_or(StoreError::CorruptRow { table: "queues", column: "strategy", value: strategy })?;
            Ok(Queue {
                id: r.get(0)?,
                name: r.get(1)?,
                number: r.get(2)?,
                strategy,
                max_waiting: r.get(4)?,
                step_seconds: r.get(5)?,
                max_wait_seconds: r.get(6)?,
                wrapup_seconds: r.get(7)?,
                auto_answer: r.get(8)?,
                ring_in_use: r.get(9)?,
                play_music_on_hold: r.get(10)?,
                music_on_hold: r.get(11)?,
                sticky_agent: r.get(12)?,
                show_name_in_caller_id: r.get(13)?,
                members: Vec::new(),
                unanswered: r.required_dest(14)?,
                after_agent: r.dest(16)?,
            })
        })?;
    for q in &mut doc.queues {
        q.members = rows(conn, "queue_members",
            "SELECT user_id, priority FROM queue_members WHERE tenant_id = ?1 AND queue_id = ?2 ORDER BY pos",
            params![t, q.id],
            |r| Ok(QueueMember { user: r.get(0)?, priority: r.get(1)? }))?;
    }
    doc.voicemail_boxes = rows(
        conn,
        "voicemail_boxes",
        "SELECT id, name, number, email, greeting, keep_days, pin FROM voicemail_boxes
         WHERE tenant_id = ?1 ORDER BY pos",
        [t],
        |r| {
            Ok(VoicemailBox {
                id: r.get(0)?,
                name: r.get(1)?,
                number: r.get(2)?,
                email: r.get(3)?,
                greeting: r.get(4)?,
                keep_days: r.get(5)?,
                pin: r.get(6)?,
                users: Vec::new(),
            })
        },
    )?;
    for b in &mut doc.voicemail_boxes {
        b.users = rows(conn, "voicemail_box_users",
            "SELECT user_id FROM voicemail_box_users WHERE tenant_id = ?1 AND box_id = ?2 ORDER BY pos",
            params![t, b.id],
            |r| r.get(0))?;
    }
    doc.ivrs = rows(conn, "ivrs",
        "SELECT id, name, number, prompt_id, allow_extensions, no_input_kind, no_input_ref, no_input_seconds
         FROM ivrs WHERE tenant_id = ?1 ORDER BY pos",
        [t],
        |r| Ok(Ivr { id: r.get(0)?, name: r.get(1)?, number: r.get(2)?, prompt: r.get(3)?,
            allow_extensions: r.get(4)?, options: Default::default(), no_input: r.required_dest(5)?,
            no_input_seconds: r.get(7)? }))?;
    for ivr in &mut doc.ivrs {
        let options = rows(conn, "ivr_options",
            "SELECT digit, dest_kind, dest_ref FROM ivr_options WHERE tenant_id = ?1 AND ivr_id = ?2",
            params![t, ivr.id],
            |r| Ok((r.get::<String>(0)?, r.required_dest(1)?)))?;
        ivr.options = options.into_iter().collect();
    }
    Ok(())
}
