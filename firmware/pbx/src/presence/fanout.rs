//! State changes fanned out to watchers, NOTIFY outcomes, and expiry.
use super::dialog::SubState;
use super::table::{kept, SubId, Subscriptions};
use super::{DialogState, DialogView, ExtensionKey, Notify};
use crate::ids::Ids;
use sip::message::Method;
use sip::transaction::ClientTxKey;
use std::time::Instant;

impl Subscriptions {
    /// `extension`'s calls are now `dialogs` (all of them, in the order to show; beyond
    /// `max_dialogs`, and repeated ids, they are dropped). Every watcher gets a NOTIFY (deferred for a dialog whose
    /// previous NOTIFY is unanswered); calls that were listed and are gone are reported once as
    /// terminated. Unwatched extensions and unchanged lists cost nothing.
    pub fn set_state(
        &mut self,
        extension: &ExtensionKey,
        dialogs: &[DialogView],
        now: Instant,
        ids: &mut Ids,
    ) -> Vec<Notify> {
        let max = self.config.max_dialogs;
        let Some(watched) = self.watched.get_mut(extension) else {
            return Vec::new();
        };
        let new = kept(dialogs, max);
        let ended: Vec<DialogView> = watched
            .dialogs
            .iter()
            .filter(|old| old.state != DialogState::Terminated)
            .filter(|old| !new.iter().any(|n| n.id == old.id))
            .cloned()
            .collect();
        if new == watched.dialogs && ended.is_empty() {
            return Vec::new();
        }
        watched.dialogs = new;
        let watchers = watched.subs.clone();
        let mut out = Vec::with_capacity(watchers.len());
        for id in watchers {
            let Some(sub) = self.subs.get_mut(&id) else {
                continue;
            };
            if sub.expires_at <= now {
                continue; // handle_timeout ends it
            }
            if sub.can_send(now, self.config.notify_timeout) {
                out.extend(self.send(id, SubState::Active, &ended, now, ids));
            } else {
                // The deferred NOTIFY carries the state of its time: a call that ended meanwhile
                // is simply absent from that full document.
                sub.dirty = true;
            }
        }
        out
    }

    /// The extension is gone (deleted from the configuration): its subscriptions end with
    /// `terminated;reason=noresource` and an empty document.
    pub fn remove_extension(
        &mut self,
        extension: &ExtensionKey,
        now: Instant,
        ids: &mut Ids,
    ) -> Vec<Notify> {
        let Some(watched) = self.watched.get_mut(extension) else {
            return Vec::new();
        };
        watched.dialogs.clear();
        let watchers = watched.subs.clone();
        self.terminate_all(watchers, "noresource", now, ids)
    }

    /// The subscribing account is gone (deleted, or moved to another tenant): what it watched
    /// is no longer its to see, so its subscriptions end with `terminated;reason=rejected`
    /// (RFC 6665 §4.1.3) instead of lingering until they expire.
    pub fn remove_account(
        &mut self,
        account_username: &str,
        now: Instant,
        ids: &mut Ids,
    ) -> Vec<Notify> {
        let theirs = self
            .by_account
            .get(account_username)
            .cloned()
            .unwrap_or_default();
        self.terminate_all(theirs, "rejected", now, ids)
    }

    /// A response to a NOTIFY this table sent. `None`: the transaction is not ours (pass it on).
    /// `Some(notifies)`: handled; `notifies` holds a deferred NOTIFY to send now, if any.
    /// RFC 6665 §4.2.2 / RFC 5057 §5.1: responses saying the dialog is gone remove it.
    pub fn handle_notify_response(
        &mut self,
        key: &ClientTxKey,
        status: u16,
        now: Instant,
        ids: &mut Ids,
    ) -> Option<Vec<Notify>> {
        if key.method() != &Method::Notify {
            return None;
        }
        let id = *self.by_branch.get(key.branch())?;
        if status < 200 {
            return Some(Vec::new());
        }
        self.by_branch.remove(key.branch());
        if ends_dialog(status) {
            tracing::debug!(status, "dialog NOTIFY refused: subscription removed");
            self.remove(id);
            return Some(Vec::new());
        }
        let sub = self.subs.get_mut(&id)?;
        sub.in_flight = None;
        if !sub.dirty || sub.expires_at <= now {
            return Some(Vec::new());
        }
        Some(
            self.send(id, SubState::Active, &[], now, ids)
                .into_iter()
                .collect(),
        )
    }

    /// A NOTIFY transaction timed out (Timer F or a transport error): the subscriber is gone, the
    /// subscription is removed (RFC 6665 §4.2.2). `false`: not one of ours.
    pub fn handle_notify_timeout(&mut self, key: &ClientTxKey) -> bool {
        if key.method() != &Method::Notify {
            return false;
        }
        match self.by_branch.remove(key.branch()) {
            Some(id) => {
                self.remove(id);
                true
            }
            None => false,
        }
    }

    /// The next subscription expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.expiry.first().map(|(at, _)| *at)
    }

    /// Ends expired subscriptions with a final `terminated;reason=timeout` NOTIFY each.
    pub fn handle_timeout(&mut self, now: Instant, ids: &mut Ids) -> Vec<Notify> {
        let mut due = Vec::new();
        while let Some(&(at, id)) = self.expiry.first() {
            if at > now {
                break;
            }
            self.expiry.pop_first();
            due.push(id);
        }
        self.terminate_all(due, "timeout", now, ids)
    }

    fn terminate_all(
        &mut self,
        ids_to_end: Vec<SubId>,
        reason: &'static str,
        now: Instant,
        ids: &mut Ids,
    ) -> Vec<Notify> {
        let mut out = Vec::with_capacity(ids_to_end.len());
        for id in ids_to_end {
            out.extend(self.send(id, SubState::Terminated(reason), &[], now, ids));
            self.remove(id);
        }
        out
    }
}

/// RFC 5057 §5.1: the responses to a NOTIFY that end its dialog usage, plus 408 (no answer).
fn ends_dialog(status: u16) -> bool {
    matches!(
        status,
        404 | 405 | 408 | 410 | 416 | 480..=485 | 489 | 501 | 604
    )
}
