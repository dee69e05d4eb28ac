//! Media events towards the call logic, and the per-side DTMF gate.
//!
//! Events travel on one bounded channel per relay table. Media tasks (pumps, players, the
//! disk writer) only ever `try_send`: when the call logic falls behind, events are dropped
//! and counted rather than letting a slow consumer stall audio for every call.

use pbx::MediaEvent;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

/// Room for bursts: a few events per call for hundreds of calls.
pub const EVENT_QUEUE: usize = 4096;

/// The sending half, cloned into every media task.
#[derive(Debug, Clone)]
pub struct EventSink {
    tx: mpsc::Sender<MediaEvent>,
    dropped: Arc<AtomicU64>,
}

impl EventSink {
    pub fn channel() -> (EventSink, mpsc::Receiver<MediaEvent>) {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE);
        (
            EventSink {
                tx,
                dropped: Arc::new(AtomicU64::new(0)),
            },
            rx,
        )
    }

    /// Never blocks: a full (or closed) channel drops the event and counts it.
    pub fn send(&self, event: MediaEvent) {
        if let Err(error) = self.tx.try_send(event) {
            let n = self.dropped.fetch_add(1, Ordering::Relaxed);
            // Once, then every 1,000th: a flood must not turn into a log flood.
            if n.is_multiple_of(1000) {
                tracing::warn!(dropped = n + 1, %error, "media event dropped");
            }
        }
    }

    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

/// Key presses a side may report per second. Nobody dials faster than ~10 digits/s; the cap
/// keeps a caller who sends thousands of events from flooding the call logic's queue
/// (which every call shares).
pub const DTMF_PER_SECOND: u32 = 20;

/// Turns a side's telephone events and in-band detections into one report per key press,
/// rate-capped.
#[derive(Debug, Default)]
pub struct DtmfGate {
    /// RTP timestamp of the last RFC 4733 event reported: every packet of one press
    /// (updates and the three end retransmissions, RFC 4733 §2.5.1.4) shares it.
    last_event: Option<u32>,
    window_start: Option<Instant>,
    in_window: u32,
    dropped: u64,
}

impl DtmfGate {
    /// An RFC 4733 packet: the digit when it starts a new press and the rate allows it.
    pub fn telephone_event(
        &mut self,
        timestamp: u32,
        event: &media::dtmf::TelephoneEvent,
        now: Instant,
    ) -> Option<char> {
        if self.last_event == Some(timestamp) {
            return None;
        }
        self.last_event = Some(timestamp);
        // Events past 15 (flash, line events) are not keys.
        let digit = event.digit().filter(|d| *d != '!')?;
        self.admit(now).then_some(digit)
    }

    /// A press the in-band detector found.
    pub fn in_band(&mut self, digit: char, now: Instant) -> Option<char> {
        self.admit(now).then_some(digit)
    }

    /// Presses refused by the rate cap so far.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    fn admit(&mut self, now: Instant) -> bool {
        let fresh = self
            .window_start
            .is_none_or(|s| now.saturating_duration_since(s) >= Duration::from_secs(1));
        if fresh {
            self.window_start = Some(now);
            self.in_window = 0;
        }
        if self.in_window >= DTMF_PER_SECOND {
            self.dropped += 1;
            return false;
        }
        self.in_window += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use media::dtmf::TelephoneEvent;

    fn ev(event: u8, end: bool) -> TelephoneEvent {
        TelephoneEvent {
            event,
            end,
            volume: 10,
            duration: 800,
        }
    }

    #[test]
    fn one_report_per_press_and_a_cap() {
        let t0 = Instant::now();
        let mut g = DtmfGate::default();
        assert_eq!(g.telephone_event(100, &ev(5, false), t0), Some('5'));
        for _ in 0..3 {
            assert_eq!(g.telephone_event(100, &ev(5, true), t0), None);
        }
        assert_eq!(g.telephone_event(900, &ev(11, false), t0), Some('#'));
        assert_eq!(g.telephone_event(1700, &ev(16, false), t0), None, "flash");
        let reported = (0..1000u32)
            .filter(|i| g.telephone_event(5000 + i * 10, &ev(1, true), t0).is_some())
            .count();
        assert_eq!(reported, 18, "20 per second, two already used");
        assert!(g.dropped() >= 980);
        let later = t0 + Duration::from_secs(1);
        assert_eq!(g.in_band('7', later), Some('7'));
    }
}
