//! Keeping the table's indexes in step: insert, remove, caps, and building a subscription's
//! NOTIFY from its extension's state.
use super::dialog::{Content, SubState, Subscription};
use super::request::{Scope, SubscribeError};
use super::table::{SubId, Subscriptions, Watched};
use super::{DialogView, ExtensionKey, Notify, WatchLookup};
use crate::ids::Ids;
use std::collections::HashMap;
use std::time::Instant;

impl Subscriptions {
    /// Drops an older subscription of the same account, extension and Contact: the phone lost
    /// its dialog (reboot) and started a new one; keeping both would only waste a slot.
    pub(super) fn replace_duplicate(&mut self, new: &Subscription) {
        let duplicate = self.by_account.get(&new.account).and_then(|list| {
            list.iter().copied().find(|id| {
                self.subs.get(id).is_some_and(|s| {
                    s.extension == new.extension
                        && s.remote_target == new.remote_target
                        && s.event == new.event
                })
            })
        });
        if let Some(id) = duplicate {
            self.remove(id);
        }
    }

    pub(super) fn check_caps(
        &self,
        account: &str,
        extension: &ExtensionKey,
    ) -> Result<(), SubscribeError> {
        let scope = if self.subs.len() >= self.config.max_total {
            Scope::Total
        } else if self.by_account.get(account).map_or(0, Vec::len) >= self.config.max_per_account {
            Scope::Account
        } else if self.watching(extension) >= self.config.max_per_extension {
            Scope::Extension
        } else {
            return Ok(());
        };
        Err(SubscribeError::TooMany { scope })
    }

    /// Builds the next NOTIFY of subscription `id` from its extension's current calls (plus
    /// `ended`, the calls that just disappeared) and keeps the branch index in step: the previous
    /// in-flight branch (if any) is forgotten, an active NOTIFY's branch is recorded.
    pub(super) fn send(
        &mut self,
        id: SubId,
        state: SubState,
        ended: &[DialogView],
        now: Instant,
        ids: &mut Ids,
    ) -> Option<Notify> {
        let sub = self.subs.get_mut(&id)?;
        if let Some(old) = sub.in_flight.take() {
            self.by_branch.remove(&old.branch);
        }
        let current = self
            .watched
            .get(&sub.extension)
            .map(|w| w.dialogs.as_slice())
            .unwrap_or_default();
        let content = Content {
            current,
            ended,
            max_dialogs: self.config.max_dialogs,
        };
        let notify = sub.notify(state, content, now, self.config.sip_addr, ids);
        if let Some(flight) = &sub.in_flight {
            self.by_branch.insert(flight.branch.clone(), id);
        }
        Some(notify)
    }

    /// Adds `sub`; the first watcher of an extension seeds its calls from `lookup`.
    pub(super) fn insert(&mut self, sub: Subscription, lookup: &dyn WatchLookup) -> SubId {
        let id = self.next_id;
        self.next_id += 1;
        self.dialogs
            .insert((sub.call_id.clone(), sub.remote_tag.clone()), id);
        if !self.watched.contains_key(&sub.extension) {
            let dialogs = self.capped(&lookup.dialogs(&sub.extension));
            self.watched.insert(
                sub.extension.clone(),
                Watched {
                    dialogs,
                    subs: Vec::new(),
                },
            );
        }
        if let Some(w) = self.watched.get_mut(&sub.extension) {
            w.subs.push(id);
        }
        self.by_account
            .entry(sub.account.clone())
            .or_default()
            .push(id);
        self.expiry.insert((sub.expires_at, id));
        self.subs.insert(id, sub);
        id
    }

    /// Forgets subscription `id` everywhere; the extension's state goes with its last watcher.
    pub(super) fn remove(&mut self, id: SubId) {
        let Some(sub) = self.subs.remove(&id) else {
            return;
        };
        self.dialogs
            .remove(&(sub.call_id.clone(), sub.remote_tag.clone()));
        if let Some(w) = self.watched.get_mut(&sub.extension) {
            w.subs.retain(|x| *x != id);
            if w.subs.is_empty() {
                self.watched.remove(&sub.extension);
            }
        }
        detach(&mut self.by_account, &sub.account, id);
        self.expiry.remove(&(sub.expires_at, id));
        if let Some(flight) = &sub.in_flight {
            self.by_branch.remove(&flight.branch);
        }
    }
}

#[cfg(test)]
impl Subscriptions {
    /// Every index agrees with the table (checked by the property tests after each step).
    pub(super) fn check_invariants(&self) {
        assert_eq!(self.dialogs.len(), self.subs.len());
        assert_eq!(self.expiry.len(), self.subs.len());
        let watching: usize = self.watched.values().map(|w| w.subs.len()).sum();
        let on_accounts: usize = self.by_account.values().map(Vec::len).sum();
        assert_eq!(watching, self.subs.len());
        assert_eq!(on_accounts, self.subs.len());
        assert!(self.subs.len() <= self.config.max_total);
        for w in self.watched.values() {
            assert!(!w.subs.is_empty(), "an unwatched extension is kept");
            assert!(w.dialogs.len() <= self.config.max_dialogs);
            assert!(w.subs.len() <= self.config.max_per_extension);
        }
        for list in self.by_account.values() {
            assert!(!list.is_empty());
            assert!(list.len() <= self.config.max_per_account);
        }
        for (id, s) in &self.subs {
            let dialog = (s.call_id.clone(), s.remote_tag.clone());
            assert_eq!(self.dialogs.get(&dialog), Some(id));
            assert!(self.expiry.contains(&(s.expires_at, *id)));
            assert!(self.watched[&s.extension].subs.contains(id));
            assert!(self.by_account[&s.account].contains(id));
        }
        let flying = self.subs.values().filter(|s| s.in_flight.is_some()).count();
        assert_eq!(flying, self.by_branch.len());
        for (branch, id) in &self.by_branch {
            let flight = self.subs[id].in_flight.as_ref().map(|f| f.branch.as_str());
            assert_eq!(flight, Some(branch.as_str()));
        }
    }
}

fn detach(map: &mut HashMap<String, Vec<SubId>>, key: &str, id: SubId) {
    if let Some(list) = map.get_mut(key) {
        list.retain(|x| *x != id);
        if list.is_empty() {
            map.remove(key);
        }
    }
}
