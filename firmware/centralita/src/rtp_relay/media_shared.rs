//! Per-bridge media state shared by the pumps, the players and the control side.
//!
//! The pass-through fast path reads one atomic flag per packet (`slow`); everything the
//! media server adds lives behind per-side mutexes that only the slow path, a player or
//! the control side take. Lock order: an `ingress` lock may be held while taking an `out`
//! lock, never the other way round, and `out` locks are never nested.

use super::events::EventSink;
use super::ingress::Ingress;
use super::out_stream::OutStream;
use media::codec::CodecKind;
use pbx::SideFormat;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

/// What a side speaks until `set_format` says otherwise (the contract: PCMU on PT 0).
pub const DEFAULT_FORMAT: SideFormat = SideFormat {
    codec: CodecKind::Pcmu,
    payload_type: 0,
    telephone_event: None,
};

/// Where slow-path work reports to: the call's media id and the table's event channel.
#[derive(Debug, Clone)]
pub struct Hooks {
    pub id: u64,
    pub events: EventSink,
}

/// What the box sends to one side from its own streams (player, transcoder, translated
/// DTMF): the side's format and the box's RTP stream towards it.
#[derive(Debug)]
pub struct OutSide {
    pub format: SideFormat,
    pub stream: OutStream,
}

#[derive(Debug)]
pub struct MediaShared {
    /// Per side: packets from this side need the slow path (anything but plain relaying).
    pub slow: [AtomicBool; 2],
    /// Per side: what happens to packets received from it.
    pub ingress: [Mutex<Ingress>; 2],
    /// Per side: the box's stream towards it.
    pub out: [Mutex<OutSide>; 2],
}

impl MediaShared {
    /// `seeds` are the random SSRC/sequence/timestamp starts of the two outgoing streams.
    pub fn new(seeds: [[u32; 3]; 2]) -> Self {
        MediaShared {
            slow: Default::default(),
            ingress: [
                Mutex::new(Ingress::new(DEFAULT_FORMAT)),
                Mutex::new(Ingress::new(DEFAULT_FORMAT)),
            ],
            out: seeds.map(|s| {
                Mutex::new(OutSide {
                    format: DEFAULT_FORMAT,
                    stream: OutStream::new(s),
                })
            }),
        }
    }

    pub fn ingress(&self, side: usize) -> MutexGuard<'_, Ingress> {
        // A panic while holding the lock leaves at worst a half-updated codec state, which
        // the next packet or control call overwrites; poisoning must not stop the call.
        self.ingress[side & 1]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn out(&self, side: usize) -> MutexGuard<'_, OutSide> {
        self.out[side & 1]
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub fn is_slow(&self, side: usize) -> bool {
        self.slow[side & 1].load(Ordering::Relaxed)
    }

    pub fn set_slow(&self, side: usize, slow: bool) {
        self.slow[side & 1].store(slow, Ordering::Relaxed);
    }
}
