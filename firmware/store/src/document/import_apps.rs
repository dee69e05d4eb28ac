//! Import of the call applications and integration settings (continues import.rs).

use rusqlite::params;

use super::import::{kind, reference, Writer};
use super::model::TenantDocument;
use crate::error::StoreError;

pub(super) fn write(w: &mut Writer<'_, '_>, doc: &TenantDocument) -> Result<(), StoreError> {
    let t = w.tenant_id;
    for (pos, q) in doc.queues.iter().enumerate() {
        let (u, a) = (Some(&q.unanswered), q.after_agent.as_ref());
        w.exec("writing queues",
            "INSERT INTO queues (tenant_id, id, pos, name, number, strategy, max_waiting, step_seconds,
                 max_wait_seconds, wrapup_seconds, auto_answer, ring_in_use, play_moh, moh_id, sticky_agent,
                 show_name, unanswered_kind, unanswered_ref, after_agent_kind, after_agent_ref)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
            params![t, q.id, pos, q.name, q.number, q.strategy.as_str(), q.max_waiting, q.step_seconds,
                q.max_wait_seconds, q.wrapup_seconds, q.auto_answer, q.ring_in_use, q.play_music_on_hold,
                q.music_on_hold, q.sticky_agent, q.show_name_in_caller_id, kind(u), reference(u), kind(a),
                reference(a)])?;
        for (mpos, m) in q.members.iter().enumerate() {
            w.exec("writing queue members",
                "INSERT INTO queue_members (tenant_id, queue_id, user_id, pos, priority) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![t, q.id, m.user, mpos, m.priority])?;
        }
    }
    for (pos, b) in doc.voicemail_boxes.iter().enumerate() {
        w.exec("writing voicemail boxes",
            "INSERT INTO voicemail_boxes (tenant_id, id, pos, name, number, email, greeting, keep_days, pin)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![t, b.id, pos, b.name, b.number, b.email, b.greeting, b.keep_days, b.pin])?;
        for (upos, u) in b.users.iter().enumerate() {
            w.exec("writing voicemail users",
                "INSERT INTO voicemail_box_users (tenant_id, box_id, user_id, pos) VALUES (?1, ?2, ?3, ?4)",
                params![t, b.id, u, upos])?;
        }
    }
    for (pos, ivr) in doc.ivrs.iter().enumerate() {
        let n = Some(&ivr.no_input);
        w.exec("writing IVRs",
            "INSERT INTO ivrs (tenant_id, id, pos, name, number, prompt_id, allow_extensions, no_input_kind,
                 no_input_ref, no_input_seconds)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![t, ivr.id, pos, ivr.name, ivr.number, ivr.prompt, ivr.allow_extensions, kind(n),
                reference(n), ivr.no_input_seconds])?;
        for (digit, dest) in &ivr.options {
            w.exec("writing IVR options",
                "INSERT INTO ivr_options (tenant_id, ivr_id, digit, dest_kind, dest_ref) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![t, ivr.id, digit, dest.kind(), dest.reference()])?;
        }
    }
    for (pos, c) in doc.conference_rooms.iter().enumerate() {
        w.exec("writing conference rooms",
            "INSERT INTO conference_rooms (tenant_id, id, pos, name, number, link) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![t, c.id, pos, c.name, c.number, c.link])?;
    }
    for (pos, a) in doc.aliases.iter().enumerate() {
        w.exec(
            "writing aliases",
            "INSERT INTO aliases (tenant_id, id, pos, alias, number, display_name, description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                t,
                a.id,
                pos,
                a.alias,
                a.number,
                a.display_name,
                a.description
            ],
        )?;
    }
    for (pos, e) in doc.external_numbers.iter().enumerate() {
        w.exec("writing external numbers",
            "INSERT INTO external_numbers (tenant_id, id, pos, number, description) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![t, e.id, pos, e.number, e.description])?;
    }
    for (pos, k) in doc.api_keys.iter().enumerate() {
        w.exec("writing API keys",
            "INSERT INTO api_keys (tenant_id, id, pos, name, key_hash, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![t, k.id, pos, k.name, k.key_hash, k.created])?;
    }
    for (pos, m) in doc.modules.iter().enumerate() {
        w.exec("writing modules",
            "INSERT INTO modules (tenant_id, name, pos, enabled, config) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![t, m.name, pos, m.enabled, m.config.to_string()])?;
    }
    for (pos, a) in doc.allow_list.iter().enumerate() {
        w.exec("writing allow list",
            "INSERT INTO allow_list (tenant_id, id, pos, address, netmask, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![t, a.id, pos, a.address, a.netmask, a.description])?;
    }
    Ok(())
}
