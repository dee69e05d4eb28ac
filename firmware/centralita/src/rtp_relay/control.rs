//! The relay as the call logic sees it: `pbx::MediaControl` over a table of bridges
//! keyed by a call-media id.

use super::{Bridge, BridgeStats, Leg, PortPool};
use pbx::{MediaControl, MediaPorts, Side};
use std::collections::{HashMap, HashSet};
use std::net::{IpAddr, SocketAddr};

/// All live bridges of the daemon. Must be used from inside the tokio runtime
/// (opening a bridge spawns its tasks).
#[derive(Debug)]
pub struct RelayTable {
    pool: PortPool,
    bridges: HashMap<u64, Bridge>,
    next_id: u64,
    /// Addresses that are the box itself, and the relay ports in use: an SDP pointing media at
    /// one of our own relay sockets would make packets loop between bridges (an authenticated
    /// phone could use that to burn the CPU), so such a remote is refused.
    own_ips: Vec<IpAddr>,
    own_ports: HashSet<u16>,
    own_ips_any: bool,
}

impl RelayTable {
    pub fn new(pool: PortPool) -> Self {
        RelayTable {
            pool,
            bridges: HashMap::new(),
            next_id: 1,
            own_ips: Vec::new(),
            own_ips_any: false,
            own_ports: HashSet::new(),
        }
    }

    /// The box's own addresses (advertised and bound); with an unspecified bind address every
    /// local address counts, so any IP is checked against the relay ports.
    pub fn with_own_ips(mut self, ips: Vec<IpAddr>) -> Self {
        self.own_ips_any = ips.iter().any(IpAddr::is_unspecified);
        self.own_ips = ips;
        self
    }

    fn is_own_socket(&self, addr: SocketAddr) -> bool {
        let ip = addr.ip();
        let own_ip = self.own_ips_any || ip.is_loopback() || self.own_ips.contains(&ip);
        own_ip && self.own_ports.contains(&addr.port())
    }

    pub fn pool(&self) -> &PortPool {
        &self.pool
    }

    /// Live bridges.
    pub fn len(&self) -> usize {
        self.bridges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.bridges.is_empty()
    }

    pub fn bridge(&self, id: u64) -> Option<&Bridge> {
        self.bridges.get(&id)
    }

    pub fn stats(&self, id: u64) -> Option<BridgeStats> {
        self.bridges.get(&id).map(Bridge::stats)
    }

    /// Closes a bridge and returns its final counters (for the CDR or a test).
    pub fn close_with_stats(&mut self, id: u64) -> Option<BridgeStats> {
        self.bridges.remove(&id).map(|b| b.stats())
    }
}

fn leg(side: Side) -> Leg {
    match side {
        Side::A => Leg::A,
        Side::B => Leg::B,
    }
}

impl MediaControl for RelayTable {
    fn open(&mut self) -> Option<MediaPorts> {
        match self.pool.open_bridge(None, None) {
            Ok(bridge) => {
                let id = self.next_id;
                self.next_id = self.next_id.wrapping_add(1);
                let ports = MediaPorts {
                    id,
                    port_a: bridge.local_port_a(),
                    port_b: bridge.local_port_b(),
                };
                for p in [ports.port_a, ports.port_b] {
                    self.own_ports.insert(p);
                    self.own_ports.insert(p.wrapping_add(1));
                }
                self.bridges.insert(id, bridge);
                Some(ports)
            }
            Err(error) => {
                tracing::warn!(%error, live = self.bridges.len(), "no media relay for a call");
                None
            }
        }
    }

    fn set_remote(&mut self, id: u64, side: Side, addr: SocketAddr) {
        if self.is_own_socket(addr) {
            tracing::warn!(id, %addr, "SDP points media at the box's own relay: refused (loop)");
            return;
        }
        if let Some(bridge) = self.bridges.get(&id) {
            bridge.set_remote(leg(side), addr);
        }
    }

    fn close(&mut self, id: u64) {
        if let Some(bridge) = self.bridges.remove(&id) {
            for p in [bridge.local_port_a(), bridge.local_port_b()] {
                self.own_ports.remove(&p);
                self.own_ports.remove(&p.wrapping_add(1));
            }
            let s = bridge.stats();
            // One-way audio is the classic NAT/firewall symptom: say which leg was
            // silent, so an installer can tell from the log which phone to look at.
            let one_way = (s.a.packets_in == 0) != (s.b.packets_in == 0);
            if one_way {
                tracing::info!(
                    id,
                    silent_leg = if s.a.packets_in == 0 { "A" } else { "B" },
                    a_in = s.a.packets_in,
                    b_in = s.b.packets_in,
                    a_remote = ?s.a.remote,
                    b_remote = ?s.b.remote,
                    "one-way audio: a leg never sent RTP to the box"
                );
            } else {
                tracing::debug!(
                    id,
                    a_in = s.a.packets_in,
                    a_out = s.a.packets_out,
                    b_in = s.b.packets_in,
                    b_out = s.b.packets_out,
                    dropped = s.a.dropped + s.b.dropped,
                    "media relay closed"
                );
            }
        }
    }
}

#[cfg(test)]
mod loop_guard_tests {
    use super::*;

    #[tokio::test]
    async fn a_remote_on_our_own_relay_port_is_refused() {
        let pool = PortPool::new(62000, 62100, "127.0.0.1".parse().unwrap()).unwrap();
        let mut table = RelayTable::new(pool).with_own_ips(vec!["127.0.0.1".parse().unwrap()]);
        let first = table.open().unwrap();
        let second = table.open().unwrap();
        let own: SocketAddr = format!("127.0.0.1:{}", second.port_a).parse().unwrap();
        table.set_remote(first.id, Side::A, own);
        assert_eq!(
            table.stats(first.id).unwrap().a.remote,
            None,
            "loop refused"
        );
        let phone: SocketAddr = "127.0.0.1:40000".parse().unwrap();
        table.set_remote(first.id, Side::A, phone);
        assert_eq!(table.stats(first.id).unwrap().a.remote, Some(phone));
        table.close(second.id);
        table.set_remote(first.id, Side::B, own);
        assert_eq!(
            table.stats(first.id).unwrap().b.remote,
            Some(own),
            "freed ports are not ours"
        );
    }
}
