//! RTP relay: the media anchor of the B2BUA (issue 2, point 6).
//!
//! Every bridged call gets a [`Bridge`]: one RTP socket (even port) and one RTCP
//! socket (port + 1) facing leg A, the same facing leg B, all bound on the box
//! address. Whatever arrives from A is sent to B's remote address out of B's socket,
//! and the other way round. Each leg's remote starts as the address of its SDP and is
//! re-learned from where its valid RTP comes from (symmetric RTP / latching, see
//! `latch`), so phones behind NAT work.
//!
//! # API (what the daemon calls)
//!
//! ```ignore
//! let pool = PortPool::new(10000, 20000, box_ip)?;            // or with_config(..)
//! let bridge = pool.open_bridge(a_sdp_addr, b_sdp_addr)?;     // inside a tokio runtime
//! bridge.local_port_a();  bridge.local_port_b();             // put in the SDP of A / B
//! bridge.set_remote_a(addr); bridge.set_remote_b(addr);      // on each (re-)offer/answer
//! bridge.set_remote(Leg::A, addr);                           // same, by leg
//! let s: BridgeStats = bridge.stats();                       // s.a.packets_in, ...
//! bridge.close().await;   // or drop(bridge): tasks stop, ports go back to the pool
//! ```
//!
//! `RelayTable` (in `control`) wraps a pool and a map of bridges by call id and
//! implements `pbx::MediaControl`, so the call logic drives the relay directly.
//!
//! # Throughput design
//!
//! Four tasks per bridge, one per socket, each looping `recv_from`/`send_to` with its
//! own buffer: no allocation, no channel, no lock per packet. A remote address is
//! read through an atomic generation number and a per-task cached copy; counters have
//! a single writer each. Opening and closing a bridge take the pool mutex once.
//! A bridge uses four file descriptors: 800 calls need ~3,200, so the daemon must
//! raise RLIMIT_NOFILE above the usual 1,024 soft limit.
//!
//! Measured with `load_tests` (release, loopback, 2-core dev machine shared with
//! builds): 800 bridged calls at 50 packets/s each way, no loss, 16-41% of one core
//! for the relay threads (0.02-0.05% of a core per call), ~15 KiB RSS per call.
//!
//! # Media server (issue 4)
//!
//! The same bridges are the box's media endpoint. `RelayTable` implements the rest of
//! `pbx::MediaControl` (`set_format`, `connect`, `play`, `stop_play`, `record`,
//! `stop_record`, `record_call`) and reports `pbx::MediaEvent`s on a bounded channel taken
//! once with `RelayTable::events()`. Per leg, one atomic flag (`media_shared`) says whether
//! its packets need more than plain relaying; only then does the pump take the leg's
//! `ingress` state (transcoding, payload-type renumbering, recording taps, DTMF). The box's
//! own stream towards a leg (`out_stream`: SSRC, sequence, timestamp, marker) is shared by
//! the leg's player (`player`, one task with a 20 ms interval per playing leg, sources in
//! `sources`) and the other leg's transcoder (`transcode`). Files are written by one
//! writer thread per table (`writer`); `recorder` holds leg and whole-call recordings.
//!
//! Measured with `media_load_tests` (release without LTO, loopback, the same shared 2-core
//! machine): 100 PCMU<->Opus calls 0.88-1.14% of a core per call (Opus encoding ~0.54%,
//! 8<->48 kHz conversion ~0.40%, Opus decoding ~0.10%); 100 recorded PCMU calls 0.094-0.098%
//! per call plus ~0.03% in the disk writer thread; 200 callers hearing one prompt 0.046% per
//! call in PCMU (34 KiB RSS each) and 0.58% in Opus (83 KiB, the encoder state); plain
//! relaying unchanged, 800 calls at 0.048-0.060% per call, 18 KiB RSS each.

// The daemon calls a subset of this API today (through `RelayTable`); the rest
// (per-leg setters, stats, async close) serves tests, the bench and later CDR fields.
#![allow(dead_code)]

mod control;
mod events;
mod gaps;
mod ingress;
mod latch;
#[cfg(test)]
mod load_tests;
#[cfg(test)]
mod media_load_tests;
#[cfg(test)]
mod media_play_tests;
mod media_shared;
#[cfg(test)]
mod media_test_util;
#[cfg(test)]
mod media_tests;
mod mlib;
mod out_stream;
mod player;
mod pump;
mod recorder;
mod shared;
mod socket;
mod sources;
#[cfg(test)]
mod tests;
mod transcode;
mod writer;

pub use control::RelayTable;

use shared::{BridgeShared, PumpCounters};
use socket::{BridgeIo, PoolInner};
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;

/// Why the relay could not give a call its media ports.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("RTP port range {lo}-{hi} holds no even/odd port pair")]
    BadRange { lo: u16, hi: u16 },
    #[error("no free RTP port pair left in {lo}-{hi}")]
    Exhausted { lo: u16, hi: u16 },
    #[error("cannot bind RTP socket on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the RTP relay must be used from inside a tokio runtime")]
    NoRuntime,
}

/// Tunables; [`RelayConfig::default`] is what the daemon uses.
#[derive(Debug, Clone, Copy)]
pub struct RelayConfig {
    /// How long a learned source stays locked after its last packet.
    pub latch_window: Duration,
    /// Requested SO_RCVBUF/SO_SNDBUF of each socket, in bytes.
    pub socket_buffer: usize,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            latch_window: Duration::from_secs(2),
            socket_buffer: 256 * 1024,
        }
    }
}

/// One side of a bridge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Leg {
    A,
    B,
}

impl Leg {
    fn index(self) -> usize {
        match self {
            Leg::A => 0,
            Leg::B => 1,
        }
    }
}

/// The pool of relay ports; cheap to clone (shared inside).
#[derive(Debug, Clone)]
pub struct PortPool {
    inner: Arc<PoolInner>,
    config: RelayConfig,
}

impl PortPool {
    /// Ports `lo..=hi` on `bind_ip`; each bridge takes two even ports and their odd
    /// neighbours.
    pub fn new(lo: u16, hi: u16, bind_ip: IpAddr) -> Result<Self, RelayError> {
        Self::with_config(lo, hi, bind_ip, RelayConfig::default())
    }

    pub fn with_config(
        lo: u16,
        hi: u16,
        bind_ip: IpAddr,
        config: RelayConfig,
    ) -> Result<Self, RelayError> {
        Ok(PortPool {
            inner: Arc::new(PoolInner::new(lo, hi, bind_ip, config.socket_buffer)?),
            config,
        })
    }

    pub fn bind_ip(&self) -> IpAddr {
        self.inner.ip
    }

    /// Free port pairs (a bridge needs two).
    pub fn free_pairs(&self) -> usize {
        self.inner.free_pairs()
    }

    /// Binds a bridge's four sockets and starts relaying. `a_remote`/`b_remote` are the
    /// legs' SDP addresses when known. Must run inside a tokio runtime.
    pub fn open_bridge(
        &self,
        a_remote: Option<SocketAddr>,
        b_remote: Option<SocketAddr>,
    ) -> Result<Bridge, RelayError> {
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| RelayError::NoRuntime)?;
        let a = socket::bind_pair(&self.inner)?;
        let b = socket::bind_pair(&self.inner)?;
        let ports = [a.lease.port(), b.lease.port()];
        let io = Arc::new(BridgeIo { legs: [a, b] });
        // RFC 3550 §5.1: random SSRC and initial sequence/timestamp for the box's own streams.
        let seeds: [[u32; 3]; 2] = rand::random();
        let shared = Arc::new(BridgeShared::new(a_remote, b_remote, seeds));
        let window = self.config.latch_window;
        let tasks = [
            (pump::Kind::Rtp, 0),
            (pump::Kind::Rtp, 1),
            (pump::Kind::Rtcp, 0),
            (pump::Kind::Rtcp, 1),
        ]
        .map(|(kind, from)| {
            runtime.spawn(pump::run(
                kind,
                from,
                Arc::clone(&io),
                Arc::clone(&shared),
                window,
            ))
        });
        Ok(Bridge {
            ports,
            io,
            shared,
            tasks,
        })
    }
}

/// Counters and addresses of one leg.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LegStats {
    /// Datagrams received on this leg's RTP port (from the leg or anyone else).
    pub packets_in: u64,
    pub bytes_in: u64,
    /// Datagrams sent to this leg (relayed from the other leg).
    pub packets_out: u64,
    pub bytes_out: u64,
    pub rtcp_packets_in: u64,
    pub rtcp_packets_out: u64,
    /// Received from this leg's ports but not relayed: foreign source while latched,
    /// no address known for the other leg, or a send error.
    pub dropped: u64,
    /// Where this leg's RTP is sent now.
    pub remote: Option<SocketAddr>,
    /// True once the leg's real RTP source has been seen.
    pub latched: bool,
}

/// Counters of both legs of a bridge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BridgeStats {
    pub a: LegStats,
    pub b: LegStats,
}

/// A relayed call's media. Dropping it stops relaying and frees its ports.
#[derive(Debug)]
pub struct Bridge {
    ports: [u16; 2],
    io: Arc<BridgeIo>,
    shared: Arc<BridgeShared>,
    tasks: [JoinHandle<()>; 4],
}

impl Bridge {
    /// RTP port on the box that leg A sends to (RTCP is the next port).
    pub fn local_port_a(&self) -> u16 {
        self.ports[0]
    }

    /// RTP port on the box that leg B sends to (RTCP is the next port).
    pub fn local_port_b(&self) -> u16 {
        self.ports[1]
    }

    pub fn local_port(&self, leg: Leg) -> u16 {
        self.ports[leg.index()]
    }

    pub fn set_remote_a(&self, addr: SocketAddr) {
        self.set_remote(Leg::A, addr);
    }

    pub fn set_remote_b(&self, addr: SocketAddr) {
        self.set_remote(Leg::B, addr);
    }

    /// The address from the leg's SDP. A new one (re-INVITE to another address) is
    /// used at once and the relay re-learns from the leg's next valid packet; the same
    /// one again (session refresh, 200 after 183) changes nothing.
    pub fn set_remote(&self, leg: Leg, addr: SocketAddr) {
        let i = leg.index();
        if self.shared.rtp_remote[i].announce(addr) {
            self.shared.rtcp_remote[i].announce(shared::rtcp_of(addr));
            self.shared.latched[i].store(false, Ordering::Relaxed);
        }
    }

    pub fn stats(&self) -> BridgeStats {
        BridgeStats {
            a: self.leg_stats(0),
            b: self.leg_stats(1),
        }
    }

    fn leg_stats(&self, i: usize) -> LegStats {
        let s = &self.shared;
        let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
        let from: &PumpCounters = &s.rtp_from[i];
        let to: &PumpCounters = &s.rtp_from[1 - i];
        LegStats {
            packets_in: load(&from.received),
            bytes_in: load(&from.received_bytes),
            packets_out: load(&to.forwarded),
            bytes_out: load(&to.forwarded_bytes),
            rtcp_packets_in: load(&s.rtcp_from[i].received),
            rtcp_packets_out: load(&s.rtcp_from[1 - i].forwarded),
            dropped: load(&from.dropped) + load(&s.rtcp_from[i].dropped),
            remote: s.rtp_remote[i].get().addr,
            latched: s.latched[i].load(Ordering::Relaxed),
        }
    }

    /// Stops relaying and waits until the sockets are closed, so the ports are
    /// bindable again when this returns.
    pub async fn close(mut self) {
        for task in &self.tasks {
            task.abort();
        }
        for task in &mut self.tasks {
            // A cancelled task reports JoinError::Cancelled: that is the point.
            let _ = task.await;
        }
    }
}

impl Drop for Bridge {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}
