//! The relay as the call logic sees it: `pbx::MediaControl` over a table of bridges
//! keyed by a call-media id.

use super::{Bridge, BridgeStats, Leg, PortPool};
use pbx::{MediaControl, MediaPorts, Side};
use std::collections::HashMap;
use std::net::SocketAddr;

/// All live bridges of the daemon. Must be used from inside the tokio runtime
/// (opening a bridge spawns its tasks).
#[derive(Debug)]
pub struct RelayTable {
    pool: PortPool,
    bridges: HashMap<u64, Bridge>,
    next_id: u64,
}

impl RelayTable {
    pub fn new(pool: PortPool) -> Self {
        RelayTable {
            pool,
            bridges: HashMap::new(),
            next_id: 1,
        }
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
        if let Some(bridge) = self.bridges.get(&id) {
            bridge.set_remote(leg(side), addr);
        }
    }

    fn close(&mut self, id: u64) {
        if let Some(bridge) = self.bridges.remove(&id) {
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
