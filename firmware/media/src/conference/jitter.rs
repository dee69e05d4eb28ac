//! A small jitter buffer per participant, ordered by RTP sequence number.
//!
//! The mixer ticks every 20 ms and asks each participant for 20 ms of audio. Playout starts
//! once [`PRIME_MS`] of packets are buffered (or one has waited [`PRIME_TICKS`] ticks), which
//! keeps about one 20 ms packet in hand: enough to fix a swapped pair and absorb LAN jitter
//! while adding only 20-40 ms of delay, which matters in a conference where everyone hears
//! everyone.
//!
//! * A packet missing while later ones are here is lost: the decoder conceals it.
//! * A packet missing with nothing else here is late (a jitter spike, or a short pause of a
//!   peer with silence suppression, whose sequence numbers go on without a gap): its tick is
//!   concealed but the buffer still waits for it, so when it comes it plays, one tick later.
//!   The delay this adds drains again: while more than the primed depth stays buffered for
//!   [`DRAIN_AFTER_TICKS`], one packet is dropped.
//! * After a few empty ticks in a row the stream counts as paused (silence suppression, hold,
//!   a dead phone) and costs nothing until packets come again, when it primes afresh.
//!
//! Timestamps are not used: every codec here sends fixed-duration packets in practice, and a
//! talker resuming after a long pause re-primes anyway.

use std::collections::VecDeque;

/// Audio buffered before playout starts.
const PRIME_MS: usize = 40;
/// Ticks a lone packet waits before it plays anyway.
const PRIME_TICKS: u32 = 2;
/// Packets buffered before playout starts when their duration is unknown (20 ms assumed).
const DEFAULT_PRIME_PACKETS: usize = PRIME_MS / 20;
/// Most packets held; beyond it the oldest go, so a burst cannot build up lasting delay.
const CAPACITY: usize = 8;
/// A sequence jump larger than this (either way) is a new stream, not loss or reordering.
const MAX_JUMP: i16 = 100;
/// Empty ticks in a row after which the stream counts as paused.
const PAUSE_AFTER_MISSES: u32 = 3;
/// Ticks with a packet more than usual in hand before one is dropped to cut delay.
const DRAIN_AFTER_TICKS: u32 = 50;

/// What the mixer plays for one tick.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Playout<'a> {
    /// The packet whose turn it is.
    Frame(Vec<u8>),
    /// Its packet is missing; `next` is the following packet when it is already here (Opus
    /// rebuilds the lost frame from the FEC copy it carries).
    Lost { next: Option<&'a [u8]> },
    /// Nothing to play: not primed yet or paused. Nothing needs decoding.
    Idle,
}

/// What became of a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    Buffered,
    /// Its turn has passed (it was already concealed).
    Late,
    Duplicate,
    /// A sequence jump: the buffer was flushed and primes again from this packet.
    NewStream,
}

#[derive(Debug, Clone)]
pub(crate) struct JitterBuffer {
    /// Sequence number to play next; `None` while priming or paused.
    next: Option<u16>,
    /// Packets by increasing sequence number (modulo 2^16, relative to the front).
    packets: VecDeque<(u16, Vec<u8>)>,
    /// Ticks that found nothing to play (while playing) or waited (while priming).
    misses: u32,
    /// Packets buffered before playout starts (from the packet duration).
    prime_packets: usize,
    /// Ticks in a row that left more in hand than a steady stream does.
    excess_ticks: u32,
    /// Packets dropped to keep the delay down (buffer full, or a standing excess).
    pub(crate) overflowed: u64,
}

impl Default for JitterBuffer {
    fn default() -> Self {
        JitterBuffer {
            next: None,
            packets: VecDeque::new(),
            misses: 0,
            prime_packets: DEFAULT_PRIME_PACKETS,
            excess_ticks: 0,
            overflowed: 0,
        }
    }
}

/// Signed distance from `from` to `to` in sequence space (RFC 3550 §A.1 wrap-around).
fn distance(from: u16, to: u16) -> i16 {
    to.wrapping_sub(from) as i16
}

impl JitterBuffer {
    /// Forgets everything (a new SSRC, a mute).
    pub(crate) fn reset(&mut self) {
        self.next = None;
        self.packets.clear();
        self.misses = 0;
        self.excess_ticks = 0;
    }

    /// The duration of the peer's packets, when the caller can tell (from the payload
    /// size): 10 ms packets need four in hand, not two, for the same cushion.
    pub(crate) fn set_packet_ms(&mut self, ms: usize) {
        self.prime_packets = PRIME_MS.div_ceil(ms.max(1)).clamp(1, CAPACITY / 2);
    }

    pub(crate) fn push(&mut self, seq: u16, payload: Vec<u8>) -> Arrival {
        let anchor = self.next.or_else(|| self.packets.front().map(|p| p.0));
        let mut arrival = Arrival::Buffered;
        if let Some(anchor) = anchor {
            let d = distance(anchor, seq);
            if !(-MAX_JUMP..=MAX_JUMP).contains(&d) {
                self.reset();
                arrival = Arrival::NewStream;
            } else if d < 0 && self.next.is_some() {
                return Arrival::Late;
            }
        }
        if self.packets.iter().any(|p| p.0 == seq) {
            return Arrival::Duplicate;
        }
        // Sorted insert relative to the front (while priming a reordered packet may land
        // before it and becomes the new front).
        let base = self.next.or_else(|| self.packets.front().map(|p| p.0));
        let at = match base {
            Some(base) => self
                .packets
                .iter()
                .position(|p| distance(base, p.0) > distance(base, seq))
                .unwrap_or(self.packets.len()),
            None => 0,
        };
        self.packets.insert(at, (seq, payload));
        while self.packets.len() > CAPACITY {
            // Too much delay built up: skip the oldest audio rather than keep it forever.
            self.packets.pop_front();
            self.overflowed += 1;
            if self.next.is_some() {
                self.next = self.packets.front().map(|p| p.0);
            }
        }
        if self.next.is_none() && self.packets.len() >= self.prime_packets {
            self.start();
        }
        arrival
    }

    fn start(&mut self) {
        self.next = self.packets.front().map(|p| p.0);
        self.misses = 0;
    }

    /// The next packet only if it is already here; nothing is concealed or skipped. For the
    /// second and later packets of one tick (a peer sending 10 ms packets), whose absence
    /// only means they have not arrived yet.
    pub(crate) fn pop_ready(&mut self) -> Option<Vec<u8>> {
        let next = self.next?;
        if self.packets.front().map(|p| p.0) != Some(next) {
            return None;
        }
        self.next = Some(next.wrapping_add(1));
        self.misses = 0;
        self.packets.pop_front().map(|p| p.1)
    }

    /// The packet for this tick.
    pub(crate) fn pop(&mut self) -> Playout<'_> {
        if self.next.is_none() && !self.packets.is_empty() {
            // A lone packet (the start of a talkspurt, or a peer sending slowly) plays once it
            // has waited as long as a full prime would have.
            self.misses += 1;
            if self.misses >= PRIME_TICKS {
                self.start();
            }
        }
        let Some(next) = self.next else {
            return Playout::Idle;
        };
        match self.packets.front().map(|p| p.0) {
            Some(seq) if seq == next => {
                self.next = Some(next.wrapping_add(1));
                self.misses = 0;
                let played = self.packets.pop_front();
                self.drain();
                match played {
                    Some((_, payload)) => Playout::Frame(payload),
                    None => Playout::Idle,
                }
            }
            Some(_) => {
                // A gap with later packets waiting: this one is lost.
                let after = next.wrapping_add(1);
                self.next = Some(after);
                self.misses = 0;
                let following = self.packets.front().filter(|p| p.0 == after);
                Playout::Lost {
                    next: following.map(|p| p.1.as_slice()),
                }
            }
            None => {
                self.misses += 1;
                if self.misses > PAUSE_AFTER_MISSES {
                    self.reset();
                    Playout::Idle
                } else {
                    // Not known lost yet: conceal this tick, keep waiting for the packet.
                    Playout::Lost { next: None }
                }
            }
        }
    }
}

impl JitterBuffer {
    /// Drops one packet once more than usual has stayed in hand for a while (after a late
    /// packet the buffer keeps the extra delay otherwise). Right after a tick's first packet
    /// plays, a steady stream leaves `prime_packets - 1` in hand.
    fn drain(&mut self) {
        if self.packets.len() < self.prime_packets {
            self.excess_ticks = 0;
            return;
        }
        self.excess_ticks += 1;
        if self.excess_ticks >= DRAIN_AFTER_TICKS {
            self.excess_ticks = 0;
            self.packets.pop_front();
            self.overflowed += 1;
            self.next = self.packets.front().map(|p| p.0);
        }
    }
}

#[cfg(test)]
#[path = "jitter_tests.rs"]
mod tests;
