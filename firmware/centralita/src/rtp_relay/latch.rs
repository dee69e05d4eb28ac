//! Symmetric RTP latching (the "comedia" behaviour of RFC 4961 applied by a relay):
//! which source address of a leg the relay believes, as a pure state machine.
//!
//! A phone behind NAT announces its private address in SDP, but its packets arrive
//! from the NAT's public mapping; the relay must answer to where packets come from.
//! Believing *any* source would let anyone who guesses a relay port steal the call
//! audio, so:
//!
//! * only a packet that parses as RTP (or RTCP on the RTCP port) may move the latch;
//! * once a source is learned, it stays locked while it keeps sending: a different
//!   source can only take over after the learned one has been silent for the lock
//!   window (a NAT rebinding, a phone that changed network);
//! * the address the SDP announced always wins: a valid packet from it takes the
//!   latch back even from a locked source, so a phone that is not behind NAT cannot
//!   be hijacked by someone who sends first;
//! * the signalling (a re-INVITE) can reset the latch to a new announced address,
//!   unlocked, so the next valid packet is believed again.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// What to do with one received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// From the believed source: forward it.
    Accept,
    /// A new source was learned from this packet: forward it and publish the address.
    Learned,
    /// From a source the relay does not believe: drop it.
    Reject,
}

#[derive(Debug, Clone)]
pub struct Latch {
    announced: Option<SocketAddr>,
    current: Option<SocketAddr>,
    /// Set once a packet has really come from `current`.
    learned: bool,
    /// Time of the last packet from the learned source.
    last_seen: Option<Instant>,
    window: Duration,
}

impl Latch {
    /// `announced` is the address from the leg's SDP, if any.
    pub fn new(announced: Option<SocketAddr>, window: Duration) -> Self {
        Latch {
            announced,
            current: announced,
            learned: false,
            last_seen: None,
            window,
        }
    }

    /// The signalling announced a new address (re-INVITE): start over from it.
    pub fn reset(&mut self, announced: Option<SocketAddr>) {
        self.announced = announced;
        self.current = announced;
        self.learned = false;
        self.last_seen = None;
    }

    pub fn current(&self) -> Option<SocketAddr> {
        self.current
    }

    pub fn is_learned(&self) -> bool {
        self.learned
    }

    fn locked(&self, now: Instant) -> bool {
        self.learned
            && self
                .last_seen
                .is_some_and(|seen| now.saturating_duration_since(seen) < self.window)
    }

    /// Judges a packet from `source`; `valid` says whether it parsed as RTP/RTCP.
    pub fn on_packet(&mut self, source: SocketAddr, valid: bool, now: Instant) -> Verdict {
        if self.current == Some(source) {
            if !self.learned && !valid {
                // The announced address sending garbage proves nothing yet.
                return Verdict::Accept;
            }
            let first = !self.learned;
            self.learned = true;
            self.last_seen = Some(now);
            return if first {
                Verdict::Learned
            } else {
                Verdict::Accept
            };
        }
        let from_announced = self.announced == Some(source);
        if !valid || (self.locked(now) && !from_announced) {
            return Verdict::Reject;
        }
        self.current = Some(source);
        self.learned = true;
        self.last_seen = Some(now);
        Verdict::Learned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    const WINDOW: Duration = Duration::from_secs(2);

    #[test]
    fn learns_the_first_valid_source_and_locks() {
        let t0 = Instant::now();
        let mut latch = Latch::new(Some(addr(1000)), WINDOW);
        // Garbage from elsewhere does not move the latch.
        assert_eq!(latch.on_packet(addr(2000), false, t0), Verdict::Reject);
        assert_eq!(latch.current(), Some(addr(1000)));
        // Valid RTP from the NAT mapping does.
        assert_eq!(latch.on_packet(addr(2000), true, t0), Verdict::Learned);
        assert_eq!(latch.current(), Some(addr(2000)));
        assert_eq!(latch.on_packet(addr(2000), true, t0), Verdict::Accept);
        // A third party is refused while the learned source keeps talking.
        let t1 = t0 + Duration::from_millis(1500);
        assert_eq!(latch.on_packet(addr(2000), true, t1), Verdict::Accept);
        let t2 = t0 + Duration::from_millis(3000);
        assert_eq!(latch.on_packet(addr(3000), true, t2), Verdict::Reject);
        assert_eq!(latch.current(), Some(addr(2000)));
        // After the learned source has been silent for the window, it may move.
        let t3 = t1 + WINDOW;
        assert_eq!(latch.on_packet(addr(3000), true, t3), Verdict::Learned);
        assert_eq!(latch.current(), Some(addr(3000)));
    }

    #[test]
    fn announced_source_is_confirmed_without_moving() {
        let t0 = Instant::now();
        let mut latch = Latch::new(Some(addr(1000)), WINDOW);
        assert_eq!(latch.on_packet(addr(1000), false, t0), Verdict::Accept);
        assert!(!latch.is_learned());
        assert_eq!(latch.on_packet(addr(1000), true, t0), Verdict::Learned);
        assert!(latch.is_learned());
        assert_eq!(latch.on_packet(addr(4000), true, t0), Verdict::Reject);
    }

    #[test]
    fn no_announced_address_learns_from_traffic() {
        let t0 = Instant::now();
        let mut latch = Latch::new(None, WINDOW);
        assert_eq!(latch.current(), None);
        assert_eq!(latch.on_packet(addr(5000), true, t0), Verdict::Learned);
        assert_eq!(latch.current(), Some(addr(5000)));
    }

    #[test]
    fn the_announced_address_takes_the_latch_back() {
        let t0 = Instant::now();
        let mut latch = Latch::new(Some(addr(1000)), WINDOW);
        // Someone else's RTP arrives before the phone's first packet and is learned…
        assert_eq!(latch.on_packet(addr(6666), true, t0), Verdict::Learned);
        // …but the phone at its SDP address wins it back at once, and keeps it.
        assert_eq!(latch.on_packet(addr(1000), false, t0), Verdict::Reject);
        assert_eq!(latch.on_packet(addr(1000), true, t0), Verdict::Learned);
        assert_eq!(latch.current(), Some(addr(1000)));
        assert_eq!(latch.on_packet(addr(6666), true, t0), Verdict::Reject);
    }

    #[test]
    fn reset_unlocks() {
        let t0 = Instant::now();
        let mut latch = Latch::new(None, WINDOW);
        latch.on_packet(addr(5000), true, t0);
        latch.reset(Some(addr(6000)));
        assert_eq!(latch.current(), Some(addr(6000)));
        assert!(!latch.is_learned());
        // Even a source other than the newly announced one may be learned at once.
        assert_eq!(latch.on_packet(addr(7000), true, t0), Verdict::Learned);
    }
}
