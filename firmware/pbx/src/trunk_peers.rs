//! Where each tenant's trunk providers are reached (resolved by the daemon, RFC 3263) and which one
//! calls use now. Also answers "is this datagram from a provider?", since providers do not
//! authenticate to us: their INVITEs are recognised by source address.
use crate::directory::{Directory, TrunkAccount};
use sip::transaction::Peer;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

#[derive(Default)]
pub struct TrunkPeers {
    /// Per tenant, per provider (0 = primary, 1 = secondary): its resolved address.
    peers: HashMap<u32, Vec<Option<Peer>>>,
    active: HashMap<u32, usize>,
    /// Providers recognised by IP alone (their domain had no explicit port: they may send from
    /// any port of theirs).
    by_ip: HashMap<IpAddr, u32>,
    /// Providers recognised by exact address (an explicit port was configured).
    by_addr: HashMap<SocketAddr, u32>,
}

impl TrunkPeers {
    /// Records where provider `provider` (0 = primary) of `tenant_id` is reached. `exact_port`:
    /// recognise its requests only from that address and port, not from any port of the IP.
    pub fn set(&mut self, tenant_id: u32, provider: usize, peer: Option<Peer>, exact_port: bool) {
        let list = self.peers.entry(tenant_id).or_default();
        if list.len() <= provider {
            list.resize(provider + 1, None);
        }
        if let Some(old) = list[provider].take() {
            self.by_ip.remove(&old.addr.ip());
            self.by_addr.remove(&old.addr);
        }
        if let Some(p) = peer {
            if exact_port {
                self.by_addr.insert(p.addr, tenant_id);
            } else {
                self.by_ip.insert(p.addr.ip(), tenant_id);
            }
        }
        list[provider] = peer;
    }

    /// Which provider calls use (failover moves this to the secondary and back).
    pub fn set_active(&mut self, tenant_id: u32, provider: usize) {
        self.active.insert(tenant_id, provider);
    }

    pub fn active_index(&self, tenant_id: u32) -> usize {
        self.active.get(&tenant_id).copied().unwrap_or(0)
    }

    /// The provider calls of `tenant_id` go out through now: its index, account and address.
    pub fn active<'d>(
        &self,
        tenant_id: u32,
        directory: &'d Directory,
    ) -> Option<(usize, &'d TrunkAccount, Peer)> {
        let index = self.active_index(tenant_id);
        self.provider(tenant_id, index, directory)
            .or_else(|| self.other(tenant_id, index, directory))
    }

    /// Provider `index` of the tenant, when its address is known.
    pub fn provider<'d>(
        &self,
        tenant_id: u32,
        index: usize,
        directory: &'d Directory,
    ) -> Option<(usize, &'d TrunkAccount, Peer)> {
        let account = directory.tenant(tenant_id)?.trunks.get(index)?;
        let peer = (*self.peers.get(&tenant_id)?.get(index)?)?;
        Some((index, account, peer))
    }

    /// Another provider of the tenant than `index` (failover), when one is reachable.
    pub fn other<'d>(
        &self,
        tenant_id: u32,
        index: usize,
        directory: &'d Directory,
    ) -> Option<(usize, &'d TrunkAccount, Peer)> {
        let count = directory.tenant(tenant_id)?.trunks.len();
        (0..count)
            .filter(|&i| i != index)
            .find_map(|i| self.provider(tenant_id, i, directory))
    }

    /// The tenant and provider index whose address is `addr` (exact, then by IP).
    pub fn provider_of(&self, addr: SocketAddr) -> Option<(u32, usize)> {
        self.peers.iter().find_map(|(&tenant, list)| {
            list.iter()
                .position(|p| p.is_some_and(|p| p.addr == addr))
                .or_else(|| {
                    list.iter()
                        .position(|p| p.is_some_and(|p| p.addr.ip() == addr.ip()))
                })
                .map(|i| (tenant, i))
        })
    }

    /// `username@domain` of a tenant's provider, for CDRs.
    pub fn label(directory: &Directory, tenant_id: u32, index: usize) -> Option<String> {
        let t = directory.tenant(tenant_id)?.trunks.get(index)?;
        Some(format!("{}@{}", t.username, t.domain))
    }

    /// The tenant whose provider sent from `addr`, if any.
    pub fn tenant_of(&self, addr: SocketAddr) -> Option<u32> {
        self.by_addr
            .get(&addr)
            .or_else(|| self.by_ip.get(&addr.ip()))
            .copied()
    }
}
