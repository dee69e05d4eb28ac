//! Test double of a phone in a conference: sends a signal in its codec as RTP, and decodes
//! what the room sends it, checking the stream is well-formed as it goes.

use super::rtp_out::RtpSender;
use super::ParticipantId;
use crate::codec::{self, CodecKind, Decoder, Encoder};
use crate::rtp::RtpPacket;

pub(super) struct Phone {
    pub id: ParticipantId,
    pub codec: CodecKind,
    pub payload_type: u8,
    /// The SSRC the room was told to use towards this phone.
    pub room_ssrc: u32,
    enc: Box<dyn Encoder>,
    dec: Box<dyn Decoder>,
    tx: RtpSender,
    /// What the phone says, at the codec rate, looped; empty means it sends nothing.
    source: Vec<i16>,
    pos: usize,
    /// Packet duration it sends (the room always sends 20 ms).
    ptime_ms: usize,
    /// Everything heard, decoded at the codec rate.
    pub heard: Vec<i16>,
    pub packets_heard: usize,
    last_seq: Option<u16>,
    last_ts: Option<u32>,
    pub markers: usize,
}

impl Phone {
    pub fn new(id: u64, codec: CodecKind, source: Vec<i16>) -> Phone {
        Phone {
            id: ParticipantId(id),
            codec,
            payload_type: codec.default_payload_type(),
            room_ssrc: 0x1000_0000 + id as u32 * 7919,
            enc: codec::encoder(codec).unwrap(),
            dec: codec::decoder(codec).unwrap(),
            tx: RtpSender::new(
                0x5000 + id as u32,
                codec.default_payload_type(),
                codec.frame_ticks(),
            ),
            source,
            pos: 0,
            ptime_ms: 20,
            heard: Vec::new(),
            packets_heard: 0,
            last_seq: None,
            last_ts: None,
            markers: 0,
        }
    }

    /// A G.711 phone sending 10 ms packets (two per tick).
    pub fn with_10ms_packets(mut self) -> Phone {
        self.ptime_ms = 10;
        self.tx = RtpSender::new(
            0x5000 + self.id.0 as u32,
            self.payload_type,
            self.codec.frame_ticks() / 2,
        );
        self
    }

    /// Its packets for the next 20 ms (none for a phone that says nothing).
    pub fn next_packets(&mut self) -> Vec<Vec<u8>> {
        (0..20 / self.ptime_ms)
            .filter_map(|_| self.next_packet())
            .collect()
    }

    /// The next packet of its signal, or `None` for a phone that says nothing.
    pub fn next_packet(&mut self) -> Option<Vec<u8>> {
        if self.source.is_empty() {
            return None;
        }
        let n = self.codec.frame_samples() * self.ptime_ms / 20;
        let frame: Vec<i16> = (0..n)
            .map(|i| self.source[(self.pos + i) % self.source.len()])
            .collect();
        self.pos = (self.pos + n) % self.source.len();
        let mut payload = Vec::new();
        self.enc.encode(&frame, &mut payload).unwrap();
        Some(self.tx.packet(&payload))
    }

    /// A packet from the room: checks its header continuity, decodes it.
    pub fn hear(&mut self, packet: &[u8]) {
        let rtp = RtpPacket::parse(packet).unwrap();
        assert_eq!(rtp.payload_type, self.payload_type);
        assert_eq!(rtp.ssrc, self.room_ssrc);
        if let (Some(seq), Some(ts)) = (self.last_seq, self.last_ts) {
            assert_eq!(rtp.sequence, seq.wrapping_add(1));
            assert_eq!(rtp.timestamp, ts.wrapping_add(self.codec.frame_ticks()));
        }
        self.last_seq = Some(rtp.sequence);
        self.last_ts = Some(rtp.timestamp);
        self.markers += usize::from(rtp.marker);
        self.packets_heard += 1;
        self.dec.decode(rtp.payload, &mut self.heard).unwrap();
    }

    /// The last `ms` milliseconds heard.
    pub fn tail(&self, ms: usize) -> &[i16] {
        let n = self.codec.sample_rate() as usize * ms / 1000;
        &self.heard[self.heard.len().saturating_sub(n)..]
    }
}
