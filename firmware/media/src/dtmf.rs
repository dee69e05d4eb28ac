//! RFC 4733 §2.3 telephone-event payload: the form DTMF digits take in RTP.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! |     event     |E|R| volume    |          duration             |
//! ```

use crate::error::DtmfError;

/// Payload size of one telephone event.
pub const EVENT_LEN: usize = 4;

/// One telephone event as carried in an RTP payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code: 0-9 digits, 10 `*`, 11 `#`, 12-15 A-D, 16 flash (RFC 4733 §3.2).
    pub event: u8,
    /// Set on the final packets of the event (sent three times, §2.5.1.4).
    pub end: bool,
    /// Power level in -dBm0, 0..=63.
    pub volume: u8,
    /// Duration so far, in timestamp units of the payload's clock rate.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Parses the first event of a payload; trailing bytes (RFC 2198 redundancy is not
    /// used by phones in practice) are ignored.
    pub fn parse(payload: &[u8]) -> Result<Self, DtmfError> {
        let b = payload
            .get(..EVENT_LEN)
            .ok_or(DtmfError::Truncated { len: payload.len() })?;
        Ok(TelephoneEvent {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// Writes the event as a 4-byte payload (the R bit is always sent as zero).
    pub fn to_bytes(&self) -> [u8; EVENT_LEN] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (u8::from(self.end) << 7) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }

    /// The DTMF key for events 0..=16, as a phone would label it (`!` is flash).
    pub fn digit(&self) -> Option<char> {
        const KEYS: &[u8; 17] = b"0123456789*#ABCD!";
        KEYS.get(usize::from(self.event)).map(|&k| char::from(k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let e = TelephoneEvent::parse(&[11, 0x8a, 0x03, 0x20]).unwrap();
        assert_eq!(
            e,
            TelephoneEvent {
                event: 11,
                end: true,
                volume: 10,
                duration: 800
            }
        );
        assert_eq!(e.digit(), Some('#'));
        assert_eq!(e.to_bytes(), [11, 0x8a, 0x03, 0x20]);
        // The reserved bit is ignored on input.
        let r = TelephoneEvent::parse(&[5, 0x40 | 7, 0, 160, 0xff]).unwrap();
        assert_eq!(r.volume, 7);
        assert!(!r.end);
        assert_eq!(r.digit(), Some('5'));
    }

    #[test]
    fn rejects_truncated_and_maps_unknown_events() {
        for len in 0..4 {
            assert_eq!(
                TelephoneEvent::parse(&[0; 4][..len]),
                Err(DtmfError::Truncated { len })
            );
        }
        let e = TelephoneEvent::parse(&[200, 0, 0, 0]).unwrap();
        assert_eq!(e.digit(), None);
        assert_eq!(
            TelephoneEvent::parse(&[16, 0, 0, 0]).unwrap().digit(),
            Some('!')
        );
    }
}
