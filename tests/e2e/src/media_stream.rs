//! The shape of a received RTP stream: talk spurts (a marker bit or a new SSRC starts
//! one), and within each spurt whether sequence numbers go +1, timestamps advance by the
//! samples of the previous packet and payloads are 20 ms. These are the pacing facts of
//! issue 4 ("20 ms packets, correct timestamps and marker bit") checked without any
//! wall-clock assertion.

use super::{RxPacket, FRAME};
use crate::media_codec::PeerCodec;

/// One talk spurt of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spurt {
    pub ssrc: u32,
    pub payload_type: u8,
    pub packets: usize,
    /// The spurt's first packet had the marker bit (a new SSRC without it is a spurt too).
    pub starts_with_marker: bool,
    /// Packets whose sequence number was not the previous one + 1.
    pub seq_jumps: usize,
    /// Packets whose timestamp was not the previous one + the previous packet's samples
    /// (with sequence +1 only; a lost packet is counted once, as a sequence jump).
    pub ts_errors: usize,
    /// G.711 packets whose payload was not 20 ms (160 bytes).
    pub odd_sizes: usize,
    /// Time between the first and the last packet's arrival.
    pub span: std::time::Duration,
}

impl Spurt {
    /// Sanity of pacing, not a jitter measurement: a spurt of n packets must take at
    /// least half of its n x 20 ms to arrive (a box that bursts a prompt out as fast as
    /// it can fails this; scheduling noise on a loaded machine does not).
    pub fn paced(&self) -> bool {
        let nominal = std::time::Duration::from_millis(20) * self.packets.saturating_sub(1) as u32;
        self.span * 2 >= nominal
    }
}

/// The spurts of the audio packets of a stream (payload types 0 and 8, or the Opus type).
#[derive(Debug, Clone, Default)]
pub struct StreamReport {
    pub spurts: Vec<Spurt>,
}

impl StreamReport {
    pub fn of(packets: &[RxPacket], codec: PeerCodec) -> StreamReport {
        let audio = |pt: u8| match codec {
            PeerCodec::G711(_) => pt == 0 || pt == 8,
            PeerCodec::G722 | PeerCodec::Opus(_) => pt == codec.payload_type(),
        };
        let ticks = |p: &RxPacket| match codec {
            PeerCodec::G711(_) => p.payload.len() as u32,
            PeerCodec::G722 | PeerCodec::Opus(_) => codec.frame_ticks(),
        };
        let mut spurts: Vec<Spurt> = Vec::new();
        let mut prev: Option<&RxPacket> = None;
        let mut first_at = std::time::Instant::now();
        for p in packets.iter().filter(|p| audio(p.payload_type)) {
            let new_spurt = match prev {
                None => true,
                Some(q) => p.marker || p.ssrc != q.ssrc || p.payload_type != q.payload_type,
            };
            if new_spurt {
                spurts.push(Spurt {
                    ssrc: p.ssrc,
                    payload_type: p.payload_type,
                    packets: 0,
                    starts_with_marker: p.marker,
                    seq_jumps: 0,
                    ts_errors: 0,
                    odd_sizes: 0,
                    span: std::time::Duration::ZERO,
                });
                first_at = p.at;
            } else if let (Some(q), Some(s)) = (prev, spurts.last_mut()) {
                if p.seq != q.seq.wrapping_add(1) {
                    s.seq_jumps += 1;
                } else if p.timestamp != q.timestamp.wrapping_add(ticks(q)) {
                    s.ts_errors += 1;
                }
            }
            if let Some(s) = spurts.last_mut() {
                s.packets += 1;
                s.span = p.at.saturating_duration_since(first_at);
                // 20 ms of G.711 or G.722 (64 kbit/s) is 160 bytes; Opus varies.
                if !codec.is_opus() && p.payload.len() != FRAME {
                    s.odd_sizes += 1;
                }
            }
            prev = Some(p);
        }
        StreamReport { spurts }
    }

    pub fn packets(&self) -> usize {
        self.spurts.iter().map(|s| s.packets).sum()
    }

    /// Spurts of at least `min_packets` whose first packet lacks the marker bit.
    pub fn unmarked_spurts(&self, min_packets: usize) -> usize {
        self.spurts
            .iter()
            .filter(|s| s.packets >= min_packets && !s.starts_with_marker)
            .count()
    }

    /// Spurts of at least `min_packets` that arrived in a burst (see [`Spurt::paced`]).
    pub fn bursts(&self, min_packets: usize) -> usize {
        self.spurts
            .iter()
            .filter(|s| s.packets >= min_packets && !s.paced())
            .count()
    }

    pub fn seq_jumps(&self) -> usize {
        self.spurts.iter().map(|s| s.seq_jumps).sum()
    }

    pub fn ts_errors(&self) -> usize {
        self.spurts.iter().map(|s| s.ts_errors).sum()
    }

    pub fn odd_sizes(&self) -> usize {
        self.spurts.iter().map(|s| s.odd_sizes).sum()
    }
}
