//! RTP fixed header (RFC 3550 §5.1) as a borrowed view, and RTP/RTCP demultiplexing.
//!
//! The relay parses every packet it latches on, so [`RtpPacket::parse`] allocates
//! nothing and only borrows the datagram. It checks exactly what RFC 3550 §A.1 asks a
//! receiver to check about the header's own consistency (version, CSRC list,
//! extension and padding lengths fit inside the packet) and nothing about the payload.

use crate::error::RtpError;

/// Size of the fixed RTP header, before CSRCs and extension.
pub const FIXED_HEADER_LEN: usize = 12;

/// RTCP packet types 200..=204 (SR, RR, SDES, BYE, APP). With rtcp-mux an RTCP packet's
/// second byte lands in this range, where RTP would have marker=1 and PT 72..=76;
/// RFC 5761 §4 forbids those RTP payload types exactly so this test is unambiguous.
pub const RTCP_PACKET_TYPES: std::ops::RangeInclusive<u8> = 200..=204;

/// What a datagram on a media port looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    Rtp,
    Rtcp,
    /// Not version 2, or too short: STUN, keep-alives, garbage.
    Other,
}

/// Classifies a datagram without fully parsing it (RFC 5761 §4 demultiplexing).
pub fn classify(packet: &[u8]) -> PacketKind {
    if packet.len() < 8 || packet[0] >> 6 != 2 {
        return PacketKind::Other;
    }
    if RTCP_PACKET_TYPES.contains(&packet[1]) {
        PacketKind::Rtcp
    } else if packet.len() >= FIXED_HEADER_LEN {
        PacketKind::Rtp
    } else {
        PacketKind::Other
    }
}

/// True when the datagram is an RTCP packet (version 2, packet type 200..=204).
pub fn is_rtcp(packet: &[u8]) -> bool {
    classify(packet) == PacketKind::Rtcp
}

/// A header extension (RFC 3550 §5.3.1): profile-defined 16 bits and its data words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension<'a> {
    pub profile: u16,
    pub data: &'a [u8],
}

/// A parsed RTP packet borrowing the datagram it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpPacket<'a> {
    pub padding: bool,
    pub marker: bool,
    pub payload_type: u8,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    /// Raw CSRC list, 4 bytes per contributing source; see [`RtpPacket::csrcs`].
    csrc_bytes: &'a [u8],
    pub extension: Option<Extension<'a>>,
    /// Payload with any padding already removed.
    pub payload: &'a [u8],
}

impl<'a> RtpPacket<'a> {
    /// Parses an RTP packet. Errors on anything whose header lengths do not fit.
    pub fn parse(packet: &'a [u8]) -> Result<Self, RtpError> {
        let fixed = packet.get(..FIXED_HEADER_LEN).ok_or(RtpError::Truncated {
            len: packet.len(),
            needed: FIXED_HEADER_LEN,
        })?;
        let version = fixed[0] >> 6;
        if version != 2 {
            return Err(RtpError::BadVersion { found: version });
        }
        let padding = fixed[0] & 0x20 != 0;
        let has_extension = fixed[0] & 0x10 != 0;
        let csrc_count = usize::from(fixed[0] & 0x0f);
        let marker = fixed[1] & 0x80 != 0;
        let payload_type = fixed[1] & 0x7f;
        let sequence = u16::from_be_bytes([fixed[2], fixed[3]]);
        let timestamp = u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]);
        let ssrc = u32::from_be_bytes([fixed[8], fixed[9], fixed[10], fixed[11]]);

        let mut offset = FIXED_HEADER_LEN + 4 * csrc_count;
        let csrc_bytes = packet
            .get(FIXED_HEADER_LEN..offset)
            .ok_or(RtpError::Truncated {
                len: packet.len(),
                needed: offset,
            })?;

        let extension = if has_extension {
            let head = packet.get(offset..offset + 4).ok_or(RtpError::Truncated {
                len: packet.len(),
                needed: offset + 4,
            })?;
            let profile = u16::from_be_bytes([head[0], head[1]]);
            let words = usize::from(u16::from_be_bytes([head[2], head[3]]));
            let start = offset + 4;
            let end = start + 4 * words;
            let data = packet.get(start..end).ok_or(RtpError::Truncated {
                len: packet.len(),
                needed: end,
            })?;
            offset = end;
            Some(Extension { profile, data })
        } else {
            None
        };

        // `offset <= packet.len()` holds here: every step above was a checked `get`.
        let mut payload = &packet[offset..];
        if padding {
            // RFC 3550 §5.1: the last octet counts the padding, itself included.
            let count = usize::from(*payload.last().ok_or(RtpError::BadPadding {
                count: 0,
                available: 0,
            })?);
            if count == 0 || count > payload.len() {
                return Err(RtpError::BadPadding {
                    count,
                    available: payload.len(),
                });
            }
            payload = &payload[..payload.len() - count];
        }

        Ok(RtpPacket {
            padding,
            marker,
            payload_type,
            sequence,
            timestamp,
            ssrc,
            csrc_bytes,
            extension,
            payload,
        })
    }

    /// Number of contributing sources (the CC field).
    pub fn csrc_count(&self) -> usize {
        self.csrc_bytes.len() / 4
    }

    /// Contributing sources, in header order.
    pub fn csrcs(&self) -> impl Iterator<Item = u32> + 'a {
        self.csrc_bytes
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(first: u8, second: u8) -> Vec<u8> {
        vec![
            first, second, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 0x01, 0x02, 0x03, 0x04,
        ]
    }

    #[test]
    fn parses_fixed_header() {
        let mut p = header(0x80, 0x80);
        p.extend_from_slice(&[0xff; 160]);
        let rtp = RtpPacket::parse(&p).unwrap();
        assert!(rtp.marker);
        assert!(!rtp.padding);
        assert_eq!(rtp.payload_type, 0);
        assert_eq!(rtp.sequence, 0x1234);
        assert_eq!(rtp.timestamp, 0xdeadbeef);
        assert_eq!(rtp.ssrc, 0x01020304);
        assert_eq!(rtp.csrc_count(), 0);
        assert_eq!(rtp.payload.len(), 160);
        assert_eq!(classify(&p), PacketKind::Rtp);
    }

    #[test]
    fn parses_csrcs_extension_and_padding() {
        let mut p = header(0x80 | 0x20 | 0x10 | 2, 8);
        p.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 2]); // two CSRCs
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 9, 9, 9, 9]); // one-word extension
        p.extend_from_slice(&[7, 7, 7]); // payload
        p.extend_from_slice(&[0, 0, 3]); // three bytes of padding
        let rtp = RtpPacket::parse(&p).unwrap();
        assert_eq!(rtp.csrcs().collect::<Vec<_>>(), vec![1, 2]);
        let ext = rtp.extension.unwrap();
        assert_eq!(ext.profile, 0xbede);
        assert_eq!(ext.data, &[9, 9, 9, 9]);
        assert_eq!(rtp.payload, &[7, 7, 7]);
        assert_eq!(rtp.payload_type, 8);
    }

    #[test]
    fn rejects_bad_packets() {
        assert!(matches!(
            RtpPacket::parse(&[]),
            Err(RtpError::Truncated { .. })
        ));
        assert!(matches!(
            RtpPacket::parse(&header(0x40, 0)),
            Err(RtpError::BadVersion { found: 1 })
        ));
        // CC says 15 CSRCs but none present.
        assert!(matches!(
            RtpPacket::parse(&header(0x8f, 0)),
            Err(RtpError::Truncated { needed: 72, .. })
        ));
        // Extension bit without the extension header.
        assert!(RtpPacket::parse(&header(0x90, 0)).is_err());
        // Extension length runs past the end.
        let mut p = header(0x90, 0);
        p.extend_from_slice(&[0, 0, 0xff, 0xff]);
        assert!(RtpPacket::parse(&p).is_err());
        // Padding bit with no payload, padding count zero, padding longer than payload.
        assert!(matches!(
            RtpPacket::parse(&header(0xa0, 0)),
            Err(RtpError::BadPadding { .. })
        ));
        let mut p = header(0xa0, 0);
        p.push(0);
        assert!(RtpPacket::parse(&p).is_err());
        let mut p = header(0xa0, 0);
        p.extend_from_slice(&[1, 9]);
        assert!(RtpPacket::parse(&p).is_err());
    }

    #[test]
    fn classifies_rtcp_and_garbage() {
        let mut sr = vec![0x80, 200, 0, 6];
        sr.extend_from_slice(&[0; 24]);
        assert_eq!(classify(&sr), PacketKind::Rtcp);
        assert!(is_rtcp(&sr));
        assert_eq!(classify(b"hello world!"), PacketKind::Other);
        assert_eq!(classify(&[0x80, 0]), PacketKind::Other);
        // A STUN binding request starts with two zero bits.
        assert_eq!(
            classify(&[0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]),
            PacketKind::Other
        );
    }

    #[test]
    fn every_prefix_of_a_valid_packet_is_handled() {
        let mut p = header(0x80 | 0x20 | 0x10 | 1, 0);
        p.extend_from_slice(&[0, 0, 0, 1, 0xbe, 0xde, 0, 1, 9, 9, 9, 9, 5, 5, 2]);
        for end in 0..=p.len() {
            let _ = RtpPacket::parse(&p[..end]);
            let _ = classify(&p[..end]);
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..300)) {
            if let Ok(rtp) = RtpPacket::parse(&bytes) {
                proptest::prop_assert!(rtp.payload.len() <= bytes.len());
                proptest::prop_assert_eq!(rtp.csrcs().count(), rtp.csrc_count());
            }
            let _ = classify(&bytes);
        }
    }
}
