//! RTCP common header (RFC 3550 §6.4) and a walk over a compound packet.
//!
//! The relay forwards RTCP untouched; it only needs to know a datagram *is* RTCP
//! before latching on its source, and reports/CDRs may later read SR/RR counts. So
//! this is a header-level view, without allocation.

use crate::error::RtcpError;
use crate::rtp::RTCP_PACKET_TYPES;

/// RTCP packet types of RFC 3550 §12.1.
pub const SR: u8 = 200;
pub const RR: u8 = 201;
pub const SDES: u8 = 202;
pub const BYE: u8 = 203;
pub const APP: u8 = 204;

/// One packet of a compound RTCP datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtcpPacket<'a> {
    pub padding: bool,
    /// Reception report count / source count / subtype, depending on the type.
    pub count: u8,
    pub packet_type: u8,
    /// The SSRC of the sender (first word after the header), when present.
    pub ssrc: Option<u32>,
    /// The whole packet, header included, as declared by its length field.
    pub bytes: &'a [u8],
}

/// Parses the first RTCP packet of `data` and returns it with the rest of the datagram.
pub fn parse_one(data: &[u8]) -> Result<(RtcpPacket<'_>, &[u8]), RtcpError> {
    let head = data.get(..4).ok_or(RtcpError::Truncated {
        len: data.len(),
        needed: 4,
    })?;
    let version = head[0] >> 6;
    if version != 2 {
        return Err(RtcpError::BadVersion { found: version });
    }
    let packet_type = head[1];
    if !RTCP_PACKET_TYPES.contains(&packet_type) {
        return Err(RtcpError::NotRtcp { found: packet_type });
    }
    // Length is in 32-bit words minus one, so a packet is never shorter than its header.
    let len = (usize::from(u16::from_be_bytes([head[2], head[3]])) + 1) * 4;
    let bytes = data.get(..len).ok_or(RtcpError::Truncated {
        len: data.len(),
        needed: len,
    })?;
    let ssrc = bytes
        .get(4..8)
        .map(|w| u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    let packet = RtcpPacket {
        padding: head[0] & 0x20 != 0,
        count: head[0] & 0x1f,
        packet_type,
        ssrc,
        bytes,
    };
    Ok((packet, &data[len..]))
}

/// Iterates the packets of a compound RTCP datagram; stops after the first error.
pub fn packets(data: &[u8]) -> Packets<'_> {
    Packets {
        rest: data,
        failed: false,
    }
}

/// Iterator returned by [`packets`].
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    rest: &'a [u8],
    failed: bool,
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<RtcpPacket<'a>, RtcpError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() || self.failed {
            return None;
        }
        match parse_one(self.rest) {
            Ok((packet, rest)) => {
                self.rest = rest;
                Some(Ok(packet))
            }
            Err(e) => {
                self.failed = true;
                Some(Err(e))
            }
        }
    }
}

/// True when the whole datagram is a well-formed sequence of RTCP packets.
/// Used by the relay before latching on an RTCP source.
pub fn is_valid_compound(data: &[u8]) -> bool {
    !data.is_empty() && packets(data).all(|p| p.is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rr(ssrc: u32) -> Vec<u8> {
        let mut p = vec![0x80, RR, 0, 1];
        p.extend_from_slice(&ssrc.to_be_bytes());
        p
    }

    #[test]
    fn walks_a_compound_packet() {
        let mut data = rr(7);
        data.extend_from_slice(&[0x81, SDES, 0, 2, 0, 0, 0, 7, 1, 1, b'x', 0]);
        let all: Vec<_> = packets(&data).collect::<Result<_, _>>().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].packet_type, RR);
        assert_eq!(all[0].ssrc, Some(7));
        assert_eq!(all[1].packet_type, SDES);
        assert_eq!(all[1].count, 1);
        assert!(is_valid_compound(&data));
    }

    #[test]
    fn rejects_bad_packets() {
        assert!(!is_valid_compound(&[]));
        assert!(!is_valid_compound(&[0x80, RR, 0]));
        assert_eq!(
            parse_one(&[0x80, RR, 0, 5, 0, 0, 0, 0]).unwrap_err(),
            RtcpError::Truncated { len: 8, needed: 24 }
        );
        assert_eq!(
            parse_one(&[0x40, RR, 0, 0]).unwrap_err(),
            RtcpError::BadVersion { found: 1 }
        );
        assert_eq!(
            parse_one(&[0x80, 0, 0, 0]).unwrap_err(),
            RtcpError::NotRtcp { found: 0 }
        );
        let mut data = rr(1);
        data.push(0x80);
        assert!(!is_valid_compound(&data));
    }

    proptest::proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..200)) {
            for p in packets(&bytes).flatten() {
                proptest::prop_assert!(p.bytes.len() >= 4);
            }
            let _ = is_valid_compound(&bytes);
        }
    }
}
