//! The media server's side of the endpoint: events from the relay, what applications hand to the
//! daemon, and the voicemail index the daemon keeps current.
use super::Pbx;
use crate::call::AppEffect;
use crate::media::MediaEvent;
use crate::media_config::StoredMessage;
use std::time::Instant;

impl Pbx {
    /// DTMF, end of a playback or recording, reported by the media side.
    pub fn handle_media_event(&mut self, event: MediaEvent, now: Instant) {
        self.with_calls(now, |calls, ctx| calls.on_media_event(ctx, event));
        self.refresh_presence(now);
    }

    /// Something a call application decided that the daemon must carry out (store a voicemail
    /// and mail it, mark a message heard, delete one, keep a phone-recorded prompt).
    pub fn poll_effect(&mut self) -> Option<AppEffect> {
        self.effects.pop_front()
    }

    /// A box's messages as the store now holds them (oldest first): box menus read them and
    /// phones subscribed to message-waiting indication are told when the counts change.
    pub fn set_mailbox(
        &mut self,
        tenant_id: u32,
        box_id: &str,
        messages: Vec<StoredMessage>,
        now: Instant,
    ) {
        let key = (tenant_id, box_id.to_string());
        let counts = |list: &[StoredMessage]| {
            let new = list.iter().filter(|m| !m.heard).count();
            (new, list.len() - new)
        };
        let before = self
            .mailboxes
            .get(&key)
            .map(|l| counts(l))
            .unwrap_or((0, 0));
        let after = counts(&messages);
        self.mailboxes.insert(key, messages);
        if before != after {
            self.notify_mailbox(tenant_id, box_id, now);
        }
    }

    /// (new, old) message counts of a box.
    pub fn mailbox_counts(&self, tenant_id: u32, box_id: &str) -> (usize, usize) {
        self.mailboxes
            .get(&(tenant_id, box_id.to_string()))
            .map(|l| {
                let new = l.iter().filter(|m| !m.heard).count();
                (new, l.len() - new)
            })
            .unwrap_or((0, 0))
    }

    /// Tells the phones subscribed to a box's message-waiting indication (RFC 3842).
    fn notify_mailbox(&mut self, tenant_id: u32, box_id: &str, now: Instant) {
        self.mwi_box_changed(tenant_id, box_id, now);
    }
}
