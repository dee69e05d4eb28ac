//! What the "person" behind a [`MediaPeer`] heard: the received audio packets decoded in
//! order, with silence where the stream says something is missing.

use std::time::Duration;

use super::{RxPacket, FRAME, FRAME_TIME, G711};
use crate::audio;
use crate::media_codec::{self, PeerCodec};

/// An arrival pause longer than this is a pause of the sender even when its timestamps
/// did not advance (a box that stops sending between a prompt and its replay); shorter
/// ones are scheduling noise of a loaded machine and must not split a tone in two.
const SENDER_PAUSE: Duration = Duration::from_millis(500);

/// 20 ms frames of silence that stand for what is missing between `prev` and `p`: the
/// RTP timestamps say it within one stream (lost packets, or a sender that advanced
/// them over a pause); a long pause in the arrivals says it otherwise.
fn missing_frames(prev: &RxPacket, p: &RxPacket, ticks_per_frame: u32) -> usize {
    let by_timestamp = if p.ssrc == prev.ssrc {
        let step = p.timestamp.wrapping_sub(prev.timestamp);
        // Backwards or absurd jumps (over 10 s) are not a pause to fill.
        if step < ticks_per_frame * 500 {
            (step / ticks_per_frame.max(1)).saturating_sub(1) as usize
        } else {
            0
        }
    } else {
        0
    };
    let arrival = p.at.saturating_duration_since(prev.at);
    let by_arrival = if arrival > SENDER_PAUSE {
        (arrival.saturating_sub(FRAME_TIME).as_millis() / 20) as usize
    } else {
        0
    };
    by_timestamp.max(by_arrival)
}

/// See [`MediaPeer::heard`]: G.711 packets (either law) or, for a G.722 or Opus peer,
/// the packets of that codec, decoded to 8 kHz.
pub fn heard(packets: &[RxPacket], codec: PeerCodec) -> Vec<i16> {
    let ticks = codec.frame_ticks();
    let gap = |last: Option<&RxPacket>, p: &RxPacket| {
        last.map(|prev| missing_frames(prev, p, ticks)).unwrap_or(0)
    };
    let mut last: Option<&RxPacket> = None;
    let wide = match codec {
        PeerCodec::G711(_) => None,
        PeerCodec::G722 => Some(media::codec::CodecKind::G722),
        PeerCodec::Opus(_) => Some(media::codec::CodecKind::Opus),
    };
    if let Some(kind) = wide {
        let pt = codec.payload_type();
        let mut frames: Vec<Option<&[u8]>> = Vec::new();
        for p in packets.iter().filter(|p| p.payload_type == pt) {
            let pause = gap(last, p);
            last = Some(p);
            frames.resize(frames.len() + pause, None);
            frames.push(Some(&p.payload));
        }
        return media_codec::decode_wide(kind, &frames).unwrap_or_default();
    }
    let mut pcm = Vec::new();
    for p in packets {
        let Some(law) = G711::from_payload_type(p.payload_type) else {
            continue;
        };
        let pause = gap(last, p);
        last = Some(p);
        pcm.resize(pcm.len() + pause * FRAME, 0);
        pcm.extend(p.payload.iter().map(|&b| law.decode(b)));
    }
    pcm
}

/// A one-line summary of a signal for failure messages: length, level, and the main
/// frequency of its last second (a whole call would take the scan too long).
pub fn describe(pcm: &[i16]) -> String {
    let tail = &pcm[pcm.len().saturating_sub(8000)..];
    format!(
        "{} ms, {:.1} dBFS, last second strongest at {:.0} Hz ({:.1} dBFS)",
        pcm.len() / 8,
        audio::rms_dbfs(pcm),
        audio::dominant_frequency(tail, audio::RATE_8K),
        audio::rms_dbfs(tail)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;
    use std::time::Instant;

    fn packet(at: Instant, seq: u16, ts: u32, ssrc: u32, byte: u8) -> RxPacket {
        RxPacket {
            at,
            from: SocketAddr::from(([127, 0, 0, 1], 9)),
            payload_type: 0,
            marker: false,
            seq,
            timestamp: ts,
            ssrc,
            payload: vec![byte; FRAME],
        }
    }

    #[test]
    fn heard_fills_gaps_from_timestamps_not_from_scheduling_noise() {
        let t0 = Instant::now();
        let ms = Duration::from_millis;
        let pcmu = PeerCodec::G711(G711::Pcmu);
        // A 200 ms stall in the arrivals with contiguous timestamps: nothing is missing.
        let stalled = [
            packet(t0, 1, 0, 7, 0x80),
            packet(t0 + ms(200), 2, 160, 7, 0x80),
        ];
        assert_eq!(heard(&stalled, pcmu).len(), 2 * FRAME);
        // Two packets lost (timestamps jump by three frames): two frames of silence.
        let lost = [
            packet(t0, 1, 0, 7, 0x80),
            packet(t0 + ms(60), 4, 480, 7, 0x80),
        ];
        let pcm = heard(&lost, pcmu);
        assert_eq!(pcm.len(), 4 * FRAME);
        assert!(pcm[FRAME..3 * FRAME].iter().all(|&s| s == 0));
        // A sender that paused a second without advancing its timestamps.
        let paused = [
            packet(t0, 1, 0, 7, 0x80),
            packet(t0 + ms(1020), 2, 160, 7, 0x80),
        ];
        assert_eq!(heard(&paused, pcmu).len(), 2 * FRAME + 50 * FRAME);
    }
}
