//! The RTP stream the room sends to one participant (RFC 3550 §5.1): its own SSRC, sequence
//! numbers and timestamps, independent of what anybody else sends, with the marker bit on
//! the first packet (the start of a talkspurt, RFC 3551 §4.1).

use crate::rtp::FIXED_HEADER_LEN;

#[derive(Debug, Clone)]
pub(crate) struct RtpSender {
    ssrc: u32,
    payload_type: u8,
    seq: u16,
    timestamp: u32,
    /// Timestamp advance per packet (one 20 ms frame at the codec's RTP clock).
    step: u32,
    first: bool,
}

impl RtpSender {
    /// RFC 3550 §5.1 wants random initial sequence number and timestamp. The machine has no
    /// RNG; the SSRC the caller drew is random already, so both are derived from its bits.
    pub(crate) fn new(ssrc: u32, payload_type: u8, step: u32) -> RtpSender {
        RtpSender {
            ssrc,
            payload_type: payload_type & 0x7f,
            seq: (ssrc ^ (ssrc >> 16)) as u16,
            timestamp: ssrc.rotate_left(11) ^ 0x9e37_79b9,
            step,
            first: true,
        }
    }

    /// A complete packet carrying `payload`.
    pub(crate) fn packet(&mut self, payload: &[u8]) -> Vec<u8> {
        let mut p = Vec::with_capacity(FIXED_HEADER_LEN + payload.len());
        p.push(0x80); // version 2, no padding, no extension, no CSRC
        p.push(if self.first { 0x80 } else { 0 } | self.payload_type);
        p.extend_from_slice(&self.seq.to_be_bytes());
        p.extend_from_slice(&self.timestamp.to_be_bytes());
        p.extend_from_slice(&self.ssrc.to_be_bytes());
        p.extend_from_slice(payload);
        self.first = false;
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(self.step);
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtp::RtpPacket;

    #[test]
    fn header_fields_advance_and_marker_is_first_only() {
        let mut s = RtpSender::new(0xdead_beef, 111, 960);
        let a = s.packet(&[1, 2, 3]);
        let b = s.packet(&[4]);
        let pa = RtpPacket::parse(&a).unwrap();
        let pb = RtpPacket::parse(&b).unwrap();
        assert!(pa.marker && !pb.marker);
        assert_eq!(
            (pa.payload_type, pa.ssrc, pa.payload),
            (111, 0xdead_beef, &[1u8, 2, 3][..])
        );
        assert_eq!(pb.sequence, pa.sequence.wrapping_add(1));
        assert_eq!(pb.timestamp, pa.timestamp.wrapping_add(960));
    }
}
