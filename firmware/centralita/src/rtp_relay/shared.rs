//! State shared between a bridge's pump tasks and the daemon, built so the per-packet
//! path touches only atomics: a remote address is read through a generation counter
//! and a locally cached copy, and counters have a single writer each.

use super::media_shared::MediaShared;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// Who set a remote address last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The signalling (SDP of an INVITE/re-INVITE/answer).
    Signalled,
    /// The pump latched onto the source of the leg's packets.
    Latched,
}

#[derive(Debug, Clone, Copy)]
pub struct Remote {
    pub generation: u64,
    pub addr: Option<SocketAddr>,
    pub origin: Origin,
    /// The address the signalling announced last, kept across latches.
    pub announced: Option<SocketAddr>,
}

/// Where one leg's packets (RTP or RTCP) must be sent. Written rarely (a latch, a
/// re-INVITE) under the mutex; read on every packet via `generation` only.
#[derive(Debug)]
pub struct RemoteSlot {
    generation: AtomicU64,
    value: Mutex<Remote>,
}

impl RemoteSlot {
    pub fn new(addr: Option<SocketAddr>) -> Self {
        RemoteSlot {
            generation: AtomicU64::new(0),
            value: Mutex::new(Remote {
                generation: 0,
                addr,
                origin: Origin::Signalled,
                announced: addr,
            }),
        }
    }

    /// Cheap check: has the slot changed since `seen`?
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn get(&self) -> Remote {
        // A pump that panicked while holding the lock cannot leave a torn
        // `Remote` (it is Copy and written in one assignment), so poison is harmless.
        *self.value.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stores a latched address and returns its generation.
    pub fn latch(&self, addr: SocketAddr) -> u64 {
        let mut v = self.value.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = v.generation.wrapping_add(1);
        *v = Remote {
            generation,
            addr: Some(addr),
            origin: Origin::Latched,
            announced: v.announced,
        };
        self.generation.store(generation, Ordering::Release);
        generation
    }

    /// Stores an address announced by the signalling. Returns false, changing nothing,
    /// when it is the one announced last: a session refresh or an answer repeating the
    /// early media SDP must not undo what latching learned about a phone behind NAT.
    pub fn announce(&self, addr: SocketAddr) -> bool {
        let mut v = self.value.lock().unwrap_or_else(PoisonError::into_inner);
        if v.announced == Some(addr) {
            return false;
        }
        let generation = v.generation.wrapping_add(1);
        *v = Remote {
            generation,
            addr: Some(addr),
            origin: Origin::Signalled,
            announced: Some(addr),
        };
        self.generation.store(generation, Ordering::Release);
        true
    }
}

/// A pump's view of a slot it sends to: refreshed only when the generation moves.
#[derive(Debug)]
pub struct CachedRemote {
    seen: u64,
    addr: Option<SocketAddr>,
}

impl CachedRemote {
    pub fn new(slot: &RemoteSlot) -> Self {
        let r = slot.get();
        CachedRemote {
            seen: r.generation,
            addr: r.addr,
        }
    }

    #[inline]
    pub fn addr(&mut self, slot: &RemoteSlot) -> Option<SocketAddr> {
        if slot.generation() != self.seen {
            let r = slot.get();
            self.seen = r.generation;
            self.addr = r.addr;
        }
        self.addr
    }
}

/// Counters of one pump (one socket's receive loop). Only that pump writes them, so
/// a plain load+store is enough and avoids a locked read-modify-write per packet;
/// the alignment keeps two pumps on different cores off each other's cache line.
#[derive(Debug, Default)]
#[repr(align(128))]
pub struct PumpCounters {
    pub received: AtomicU64,
    pub received_bytes: AtomicU64,
    pub forwarded: AtomicU64,
    pub forwarded_bytes: AtomicU64,
    pub dropped: AtomicU64,
}

#[inline]
pub fn bump(counter: &AtomicU64, by: u64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(by),
        Ordering::Relaxed,
    );
}

/// Everything the daemon and the pumps of one bridge share.
#[derive(Debug)]
pub struct BridgeShared {
    /// Indexed by leg (0 = A, 1 = B).
    pub rtp_remote: [RemoteSlot; 2],
    pub rtcp_remote: [RemoteSlot; 2],
    /// Counters of the pumps receiving from leg A / B, RTP and RTCP.
    pub rtp_from: [PumpCounters; 2],
    pub rtcp_from: [PumpCounters; 2],
    /// Set by the RTP pump of a leg once it has learned the leg's real source.
    pub latched: [AtomicBool; 2],
    /// The media server's per-leg state (formats, playback, recording, transcoding).
    pub media: MediaShared,
}

impl BridgeShared {
    pub fn new(a: Option<SocketAddr>, b: Option<SocketAddr>, seeds: [[u32; 3]; 2]) -> Self {
        BridgeShared {
            rtp_remote: [RemoteSlot::new(a), RemoteSlot::new(b)],
            rtcp_remote: [
                RemoteSlot::new(a.map(rtcp_of)),
                RemoteSlot::new(b.map(rtcp_of)),
            ],
            rtp_from: Default::default(),
            rtcp_from: Default::default(),
            latched: Default::default(),
            media: MediaShared::new(seeds),
        }
    }
}

/// RTCP goes to the RTP port + 1 unless told otherwise (RFC 3550 §11).
pub fn rtcp_of(rtp: SocketAddr) -> SocketAddr {
    SocketAddr::new(rtp.ip(), rtp.port().wrapping_add(1))
}
