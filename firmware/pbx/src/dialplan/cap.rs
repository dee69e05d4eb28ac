//! The per-tenant cap on concurrent outbound calls: a pure counter the call code consults when
//! it is about to send an INVITE to the trunk and tells when that call ends.
use std::collections::{HashMap, HashSet};
use std::hash::Hash;

/// The cap is full: answer the caller with this (RFC 3398 §7.2.4.1 maps ISUP cause 34, "no
/// circuit/channel available", to 503).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("all {limit} outside lines of the tenant are in use")]
pub struct CapReached {
    pub limit: u32,
}

impl CapReached {
    pub const STATUS: u16 = 503;
    pub const REASON: &'static str = "Service Unavailable - all outside lines in use";
}

/// Outbound calls in progress, per tenant, keyed by whatever identifies a call (`K`, e.g. the
/// call id). Keyed rather than counted so that ending a call twice, or ending one that was never
/// started, cannot drift the count.
#[derive(Debug, Clone)]
pub struct OutboundCalls<K> {
    active: HashMap<u32, HashSet<K>>,
}

impl<K> Default for OutboundCalls<K> {
    fn default() -> Self {
        OutboundCalls {
            active: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash> OutboundCalls<K> {
    /// Counts `call` against `tenant`'s cap (`None` = unlimited). Starting a call that is already
    /// counted succeeds without counting it twice (a forked or retried INVITE of the same call).
    pub fn try_start(
        &mut self,
        tenant: u32,
        limit: Option<u32>,
        call: K,
    ) -> Result<(), CapReached> {
        let calls = self.active.entry(tenant).or_default();
        if calls.contains(&call) {
            return Ok(());
        }
        if let Some(limit) = limit {
            // usize::try_from never fails on the 32/64-bit targets we build; saturate anyway.
            let limit_len = usize::try_from(limit).unwrap_or(usize::MAX);
            if calls.len() >= limit_len {
                return Err(CapReached { limit });
            }
        }
        calls.insert(call);
        Ok(())
    }

    /// The call ended (answered or not); `false` if it was not counted.
    pub fn finish(&mut self, tenant: u32, call: &K) -> bool {
        let Some(calls) = self.active.get_mut(&tenant) else {
            return false;
        };
        let removed = calls.remove(call);
        if calls.is_empty() {
            self.active.remove(&tenant);
        }
        removed
    }

    /// Outbound calls of `tenant` now (for the dashboard and logs).
    pub fn active(&self, tenant: u32) -> usize {
        self.active.get(&tenant).map_or(0, HashSet::len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_is_per_tenant_and_frees_on_finish() {
        let mut c = OutboundCalls::default();
        assert_eq!(c.try_start(1, Some(2), "a"), Ok(()));
        assert_eq!(c.try_start(1, Some(2), "b"), Ok(()));
        assert_eq!(c.try_start(1, Some(2), "c"), Err(CapReached { limit: 2 }));
        assert_eq!(
            c.try_start(2, Some(2), "c"),
            Ok(()),
            "other tenant unaffected"
        );
        assert!(c.finish(1, &"a"));
        assert_eq!(c.try_start(1, Some(2), "c"), Ok(()));
        assert_eq!(c.active(1), 2);
    }

    #[test]
    fn restart_and_double_finish_do_not_drift() {
        let mut c = OutboundCalls::default();
        assert_eq!(c.try_start(1, Some(1), 7), Ok(()));
        assert_eq!(c.try_start(1, Some(1), 7), Ok(()), "same call again");
        assert_eq!(c.active(1), 1);
        assert!(c.finish(1, &7));
        assert!(!c.finish(1, &7));
        assert!(!c.finish(9, &7));
        assert_eq!(c.active(1), 0);
    }

    #[test]
    fn unlimited_and_zero() {
        let mut c = OutboundCalls::default();
        for i in 0..100 {
            assert_eq!(c.try_start(1, None, i), Ok(()));
        }
        assert_eq!(c.try_start(2, Some(0), 0), Err(CapReached { limit: 0 }));
    }
}
