//! Every tenant's trunk group (registration clients for the primary and secondary providers),
//! driven by the endpoint, and kept in step with [`TrunkPeers`], the call-facing view of where
//! providers are and which one calls use.
use crate::directory::Directory;
use crate::ids::Ids;
use crate::trunk::{
    LocalContact, ProviderConfig, ProviderRole, ProviderStatus, RegistrationClient, Target,
    TrunkGroup,
};
use crate::trunk_peers::TrunkPeers;
use rand::SeedableRng;
use sip::message::Response;
use sip::transaction::{ClientTxKey, Peer, TransactionLayer, Transmit};
use std::collections::{HashMap, VecDeque};
use std::time::Instant;

/// A provider address the daemon must look up (RFC 3263) and hand back with
/// [`Trunks::handle_resolved`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveRequest {
    pub tenant_id: u32,
    pub role: ProviderRole,
    pub target: Target,
}

#[derive(Default)]
pub struct Trunks {
    groups: HashMap<u32, TrunkGroup>,
    /// The configs each group was built from, to rebuild only what changed on a reload.
    configs: HashMap<u32, Vec<ProviderConfig>>,
    exact_port: HashMap<(u32, usize), bool>,
    pub peers: TrunkPeers,
    /// Groups removed or replaced by a reload, unregistering (REGISTER Expires 0) until stopped.
    retiring: Vec<TrunkGroup>,
    resolve_out: VecDeque<ResolveRequest>,
    keepalives: VecDeque<Transmit>,
}

fn index(role: ProviderRole) -> usize {
    match role {
        ProviderRole::Primary => 0,
        ProviderRole::Secondary => 1,
    }
}

impl Trunks {
    /// (Re)builds the groups from the directory's tenants; unchanged providers keep their
    /// registration state.
    pub fn configure(
        &mut self,
        directory: &Directory,
        ids: &mut Ids,
        user_agent: &str,
        now: Instant,
    ) {
        let mut seen = Vec::new();
        for tenant in directory.tenants() {
            let mut configs = Vec::new();
            for (i, t) in tenant.trunks.iter().enumerate().take(2) {
                match ProviderConfig::new(
                    &t.username,
                    &t.password,
                    &t.domain,
                    t.outbound_proxy.as_deref(),
                ) {
                    Ok(mut c) => {
                        c.user_agent = user_agent.to_string();
                        self.exact_port
                            .insert((tenant.id, i), c.next_hop().port.is_some());
                        configs.push(c);
                    }
                    Err(e) => {
                        tracing::error!(tenant = tenant.id, provider = i, error = %e, "trunk provider ignored")
                    }
                }
            }
            if configs.is_empty() {
                continue;
            }
            seen.push(tenant.id);
            if self.configs.get(&tenant.id) == Some(&configs) {
                continue;
            }
            let client = |c: &ProviderConfig, ids: &mut Ids| {
                let rng = rand::rngs::StdRng::from_seed(ids.secret());
                RegistrationClient::new(c.clone(), Box::new(rng), now)
            };
            let primary = client(&configs[0], ids);
            let secondary = configs.get(1).map(|c| client(c, ids));
            if let Some(old) = self
                .groups
                .insert(tenant.id, TrunkGroup::new(primary, secondary))
            {
                self.retire(old, now);
            }
            self.configs.insert(tenant.id, configs);
        }
        let removed: Vec<u32> = self
            .groups
            .keys()
            .filter(|id| !seen.contains(id))
            .copied()
            .collect();
        for id in removed {
            if let Some(old) = self.groups.remove(&id) {
                self.retire(old, now);
            }
            self.configs.remove(&id);
        }
    }

    /// A provider the configuration no longer has (or has changed): unregister from it before
    /// forgetting it, so it stops sending the tenant's calls to the box.
    fn retire(&mut self, mut group: TrunkGroup, now: Instant) {
        group.shutdown(now);
        self.retiring.push(group);
    }

    /// Lets every group act: lookups to request, REGISTERs to send, keep-alives; then refreshes
    /// the call-facing peers and active provider.
    pub fn drive(
        &mut self,
        txn: &mut TransactionLayer,
        ids: &mut Ids,
        local: &LocalContact,
        now: Instant,
    ) {
        for group in &mut self.retiring {
            while let Some((request, peer)) = group.poll_request(now, ids, local) {
                txn.send_request(request, peer, now);
            }
        }
        self.retiring.retain(|g| !g.is_stopped());
        for (&tenant_id, group) in self.groups.iter_mut() {
            while let Some((role, target)) = group.poll_resolve(now) {
                self.resolve_out.push_back(ResolveRequest {
                    tenant_id,
                    role,
                    target,
                });
            }
            while let Some((request, peer)) = group.poll_request(now, ids, local) {
                txn.send_request(request, peer, now);
            }
            while let Some(t) = group.poll_keepalive(now) {
                self.keepalives.push_back(t);
            }
            for role in [ProviderRole::Primary, ProviderRole::Secondary] {
                // Only a known address replaces the last one: a provider being re-resolved keeps
                // receiving calls at its last address, and is still recognised when it calls.
                if let Some(peer) = group.client(role).and_then(|c| c.current_peer()) {
                    let exact = self
                        .exact_port
                        .get(&(tenant_id, index(role)))
                        .copied()
                        .unwrap_or(false);
                    self.peers.set(tenant_id, index(role), Some(peer), exact);
                }
            }
            self.peers.set_active(tenant_id, index(group.active(now)));
        }
    }

    pub fn handle_resolved(
        &mut self,
        tenant_id: u32,
        role: ProviderRole,
        peers: Vec<Peer>,
        now: Instant,
    ) {
        if let Some(g) = self.groups.get_mut(&tenant_id) {
            g.handle_resolved(role, peers, now);
        }
    }

    /// True when the response belonged to a trunk registration.
    pub fn handle_response(&mut self, key: &ClientTxKey, resp: &Response, now: Instant) -> bool {
        self.groups
            .values_mut()
            .chain(self.retiring.iter_mut())
            .any(|g| g.owns(key) && g.handle_response(key, resp, now))
    }

    pub fn handle_timeout_of(&mut self, key: &ClientTxKey, now: Instant) -> bool {
        self.groups
            .values_mut()
            .chain(self.retiring.iter_mut())
            .any(|g| g.owns(key) && g.handle_timeout_of(key, now))
    }

    /// An INVITE through the tenant's active provider got a 5xx or timed out.
    pub fn report_invite_failure(&mut self, tenant_id: u32, provider: usize, now: Instant) {
        let role = if provider == 0 {
            ProviderRole::Primary
        } else {
            ProviderRole::Secondary
        };
        if let Some(g) = self.groups.get_mut(&tenant_id) {
            g.report_invite_failure(role, now);
            self.peers.set_active(tenant_id, index(g.active(now)));
        }
    }

    pub fn poll_resolve(&mut self) -> Option<ResolveRequest> {
        self.resolve_out.pop_front()
    }

    pub fn poll_keepalive(&mut self) -> Option<Transmit> {
        self.keepalives.pop_front()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.groups
            .values()
            .chain(self.retiring.iter())
            .filter_map(TrunkGroup::poll_timeout)
            .min()
    }

    /// Registration state of every provider, by tenant.
    pub fn status(&self, now: Instant) -> Vec<(u32, ProviderStatus)> {
        let mut out: Vec<_> = self
            .groups
            .iter()
            .flat_map(|(&t, g)| g.status(now).into_iter().map(move |s| (t, s)))
            .collect();
        out.sort_by_key(|(t, s)| (*t, index(s.role)));
        out
    }

    pub fn shutdown(&mut self, now: Instant) {
        self.groups.values_mut().for_each(|g| g.shutdown(now));
    }

    pub fn is_stopped(&self) -> bool {
        self.groups.values().all(TrunkGroup::is_stopped)
            && self.retiring.iter().all(TrunkGroup::is_stopped)
    }
}
