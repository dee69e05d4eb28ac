//! The RTP stream the box itself sends to one leg (player, transcoder, translated DTMF):
//! its own SSRC, sequence number and timestamp, kept across producers so the leg sees one
//! continuous stream whatever feeds it.
//!
//! A producer that (re)starts calls [`OutStream::restart`]: the timestamp jumps by the
//! wall-clock time since the last packet (RFC 3550 §5.1: the timestamp follows the sampling
//! clock even through silence) and the next packet carries the marker bit (RFC 3551 §4.1:
//! first packet of a talkspurt), so the phone's jitter buffer resynchronises at once.

use std::time::Instant;

/// Size of the RTP header the box writes (no CSRC, no extension).
pub const HEADER_LEN: usize = 12;

#[derive(Debug)]
pub struct OutStream {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    /// When the last packet left, to advance the timestamp over a gap.
    last: Option<Instant>,
    /// RTP clock rate of what was sent last (a codec change resets the gap arithmetic).
    clock_rate: u32,
    marker_pending: bool,
}

/// Header fields of one outgoing packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub payload_type: u8,
    pub marker: bool,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
}

impl Header {
    /// Writes the 12-byte RTP header at the start of `out` (cleared first).
    pub fn write(&self, out: &mut Vec<u8>) {
        out.clear();
        out.push(0x80);
        out.push((u8::from(self.marker) << 7) | (self.payload_type & 0x7f));
        out.extend_from_slice(&self.sequence.to_be_bytes());
        out.extend_from_slice(&self.timestamp.to_be_bytes());
        out.extend_from_slice(&self.ssrc.to_be_bytes());
    }
}

impl OutStream {
    /// `seed` supplies the random SSRC, first sequence number and first timestamp
    /// (RFC 3550 §5.1 asks for random initial values); the caller owns the RNG.
    pub fn new(seed: [u32; 3]) -> Self {
        OutStream {
            ssrc: seed[0],
            sequence: (seed[1] & 0xffff) as u16,
            timestamp: seed[2],
            last: None,
            clock_rate: 8000,
            marker_pending: true,
        }
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// A new producer takes over (or the same one resumes after a pause).
    pub fn restart(&mut self, now: Instant, clock_rate: u32) {
        if let Some(last) = self.last {
            if clock_rate == self.clock_rate {
                let gap = now.saturating_duration_since(last);
                let ticks = gap.as_micros().saturating_mul(u128::from(clock_rate)) / 1_000_000;
                // Truncation to u32 is the RTP timestamp's own modular arithmetic.
                self.timestamp = self.timestamp.wrapping_add(ticks as u32);
            }
        }
        self.clock_rate = clock_rate;
        self.marker_pending = true;
    }

    /// Time passes with nothing sent (the source paused or its packets were lost): the
    /// next packet's timestamp follows; a pause starts a new talkspurt (marker bit).
    pub fn skip(&mut self, ticks: u32, talkspurt: bool) {
        self.timestamp = self.timestamp.wrapping_add(ticks);
        self.marker_pending |= talkspurt;
    }

    /// Header of the next audio packet, then advances by `ticks` (one frame).
    pub fn next_audio(&mut self, payload_type: u8, ticks: u32, now: Instant) -> Header {
        let h = Header {
            payload_type,
            marker: std::mem::take(&mut self.marker_pending),
            sequence: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
        };
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(ticks);
        self.last = Some(now);
        h
    }

    /// The timestamp the next audio frame will carry: where a translated telephone event
    /// starting now is anchored.
    pub fn next_timestamp(&self) -> u32 {
        self.timestamp
    }

    /// Header of a telephone-event packet: own sequence number, the event's timestamp,
    /// marker on the event's first packet (RFC 4733 §2.5.1.2).
    pub fn next_event(&mut self, payload_type: u8, timestamp: u32, first: bool) -> Header {
        let h = Header {
            payload_type,
            marker: first,
            sequence: self.sequence,
            timestamp,
            ssrc: self.ssrc,
        };
        self.sequence = self.sequence.wrapping_add(1);
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn sequence_timestamp_and_marker() {
        let t0 = Instant::now();
        let mut s = OutStream::new([7, 65535, 1000]);
        s.restart(t0, 8000);
        let a = s.next_audio(0, 160, t0);
        let b = s.next_audio(0, 160, t0);
        assert!(a.marker && !b.marker);
        assert_eq!((a.sequence, b.sequence), (65535, 0));
        assert_eq!((a.timestamp, b.timestamp), (1000, 1160));
        // One second later a new producer: timestamp follows the clock, marker again.
        s.restart(t0 + Duration::from_secs(1), 8000);
        let c = s.next_audio(0, 160, t0);
        assert!(c.marker);
        assert_eq!(c.timestamp, 1320 + 8000);
        let mut bytes = Vec::new();
        c.write(&mut bytes);
        assert_eq!(bytes.len(), HEADER_LEN);
        assert_eq!(bytes[1], 0x80);
        assert_eq!(&bytes[8..12], &7u32.to_be_bytes());
    }
}
