//! The timer queue shared by every transaction.
//!
//! A `BTreeMap` ordered by (deadline, sequence) gives the next deadline in O(log n) and lets a
//! transaction cancel its timer exactly (O(log n)) instead of leaving stale entries behind: with
//! tens of thousands of live transactions, stale Timer B/F entries would otherwise pile up for
//! 32 s each and `poll_timeout` would report deadlines that no longer exist.
use std::collections::BTreeMap;
use std::time::Instant;

use super::key::{ClientTxKey, ServerTxKey};

/// Which transaction a timer belongs to.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Client(ClientTxKey),
    Server(ServerTxKey),
}

/// Every transaction has at most two timers running at once: one that re-sends (A, E, G, 2xx, or
/// the IST's 200 ms 100-Trying timer) and one that ends a phase (B, F, H, L, M, D, I, J, K).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    Retransmit,
    Expiry,
}

type TimerId = (Instant, u64);

/// The armed timers of one transaction, as handles into the queue.
#[derive(Debug, Default)]
pub(crate) struct TxTimers {
    retransmit: Option<TimerId>,
    expiry: Option<TimerId>,
}

impl TxTimers {
    fn slot_mut(&mut self, slot: Slot) -> &mut Option<TimerId> {
        match slot {
            Slot::Retransmit => &mut self.retransmit,
            Slot::Expiry => &mut self.expiry,
        }
    }

    /// When `slot` fires, if armed.
    pub(crate) fn deadline(&self, slot: Slot) -> Option<Instant> {
        match slot {
            Slot::Retransmit => self.retransmit.map(|t| t.0),
            Slot::Expiry => self.expiry.map(|t| t.0),
        }
    }

    /// Called when the queue popped this slot's entry.
    pub(crate) fn fired(&mut self, slot: Slot) {
        *self.slot_mut(slot) = None;
    }
}

#[derive(Debug, Default)]
pub(crate) struct TimerQueue {
    entries: BTreeMap<TimerId, (Target, Slot)>,
    next_seq: u64,
}

impl TimerQueue {
    /// (Re)arms `slot` of a transaction to fire at `at`, replacing any previous deadline.
    pub(crate) fn arm(&mut self, timers: &mut TxTimers, slot: Slot, at: Instant, target: Target) {
        self.cancel(timers, slot);
        let id = (at, self.next_seq);
        self.next_seq = self.next_seq.wrapping_add(1);
        self.entries.insert(id, (target, slot));
        *timers.slot_mut(slot) = Some(id);
    }

    pub(crate) fn cancel(&mut self, timers: &mut TxTimers, slot: Slot) {
        if let Some(id) = timers.slot_mut(slot).take() {
            self.entries.remove(&id);
        }
    }

    pub(crate) fn cancel_all(&mut self, timers: &mut TxTimers) {
        self.cancel(timers, Slot::Retransmit);
        self.cancel(timers, Slot::Expiry);
    }

    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.entries.first_key_value().map(|(id, _)| id.0)
    }

    /// Removes and returns the earliest timer due at or before `now`.
    pub(crate) fn pop_due(&mut self, now: Instant) -> Option<(Target, Slot)> {
        let first = self.entries.first_entry()?;
        if first.key().0 > now {
            return None;
        }
        Some(first.remove())
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::message::Method;
    use std::time::Duration;

    #[test]
    fn rearming_replaces_and_cancel_removes() {
        let base = Instant::now();
        let key = ClientTxKey::new("z9hG4bK1", Method::Options);
        let mut q = TimerQueue::default();
        let mut t = TxTimers::default();
        q.arm(
            &mut t,
            Slot::Retransmit,
            base + Duration::from_secs(5),
            Target::Client(key.clone()),
        );
        q.arm(
            &mut t,
            Slot::Retransmit,
            base + Duration::from_secs(1),
            Target::Client(key.clone()),
        );
        q.arm(
            &mut t,
            Slot::Expiry,
            base + Duration::from_secs(3),
            Target::Client(key),
        );
        assert_eq!(q.len(), 2);
        assert_eq!(q.next_deadline(), Some(base + Duration::from_secs(1)));
        assert!(q.pop_due(base).is_none());
        let (_, slot) = q.pop_due(base + Duration::from_secs(1)).unwrap();
        assert_eq!(slot, Slot::Retransmit);
        t.fired(slot);
        q.cancel_all(&mut t);
        assert_eq!(q.len(), 0);
        assert_eq!(q.next_deadline(), None);
    }
}
