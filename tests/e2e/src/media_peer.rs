//! An RTP peer that behaves like a phone's media stack: it sends G.711 audio from PCM in
//! 20 ms packets paced by the clock (sequence +1, timestamp +160, marker on the first
//! packet of each talk spurt), sends RFC 4733 key presses (start packets every 20 ms, then
//! three end packets), and records everything it receives with arrival time, sequence,
//! timestamp and marker, so a test can decode what the "person" heard and check the
//! stream's shape.
//!
//! The socket is the one a SIPp scenario advertised in its SDP (see [`crate::call`]); the
//! peer sends from it too, so the box's symmetric-RTP latching sees one address.

use std::net::{SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::audio;
use crate::error::{HarnessError, Result};
use crate::media_codec::{self, PeerCodec};

/// 20 ms of narrowband audio.
pub const FRAME: usize = 160;
const FRAME_TIME: Duration = Duration::from_millis(20);
/// Bounds the memory of a peer that is flooded: far more than any test's call needs.
const MAX_KEPT: usize = 200_000;

/// The G.711 law of a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum G711 {
    Pcmu,
    Pcma,
}

impl G711 {
    pub fn payload_type(self) -> u8 {
        match self {
            G711::Pcmu => 0,
            G711::Pcma => 8,
        }
    }

    pub fn from_payload_type(pt: u8) -> Option<G711> {
        match pt {
            0 => Some(G711::Pcmu),
            8 => Some(G711::Pcma),
            _ => None,
        }
    }

    pub fn encode(self, s: i16) -> u8 {
        match self {
            G711::Pcmu => audio::ulaw_encode(s),
            G711::Pcma => audio::alaw_encode(s),
        }
    }

    pub fn decode(self, b: u8) -> i16 {
        match self {
            G711::Pcmu => audio::ulaw_decode(b),
            G711::Pcma => audio::alaw_decode(b),
        }
    }
}

/// One datagram the peer received.
#[derive(Debug, Clone)]
pub struct RxPacket {
    pub at: Instant,
    pub from: SocketAddr,
    pub payload_type: u8,
    pub marker: bool,
    pub seq: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: Vec<u8>,
}

impl RxPacket {
    fn parse(at: Instant, from: SocketAddr, b: &[u8]) -> Option<RxPacket> {
        if b.len() < 12 || b[0] >> 6 != 2 {
            return None;
        }
        let csrc = usize::from(b[0] & 0x0f) * 4;
        let mut start = 12 + csrc;
        if b[0] & 0x10 != 0 {
            let words = usize::from(u16::from_be_bytes([*b.get(start + 2)?, *b.get(start + 3)?]));
            start += 4 + words * 4;
        }
        let mut end = b.len();
        if b[0] & 0x20 != 0 {
            end = end.checked_sub(usize::from(*b.last()?))?;
        }
        Some(RxPacket {
            at,
            from,
            payload_type: b[1] & 0x7f,
            marker: b[1] & 0x80 != 0,
            seq: u16::from_be_bytes([b[2], b[3]]),
            timestamp: u32::from_be_bytes([b[4], b[5], b[6], b[7]]),
            ssrc: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
            payload: b.get(start..end)?.to_vec(),
        })
    }
}

/// Sending state: one SSRC, continuous sequence and timestamp.
struct Tx {
    seq: u16,
    timestamp: u32,
}

pub struct MediaPeer {
    socket: Arc<UdpSocket>,
    pub local: SocketAddr,
    /// Codec of the audio this peer sends and decodes (what the SDP answer chose).
    pub codec: PeerCodec,
    /// Payload type of telephone-events (the answer's, 101 by default).
    pub event_pt: u8,
    ssrc: u32,
    tx: Mutex<Tx>,
    received: Arc<Mutex<Vec<RxPacket>>>,
    stop: Arc<AtomicBool>,
    reader: Option<JoinHandle<()>>,
}

impl MediaPeer {
    /// A peer on a fresh loopback socket.
    pub fn new(codec: PeerCodec) -> Result<MediaPeer> {
        MediaPeer::from_socket(crate::ports::bound_udp("media peer")?, codec)
    }

    /// A peer on a socket some SDP already advertises; starts recording at once.
    pub fn from_socket(socket: UdpSocket, codec: PeerCodec) -> Result<MediaPeer> {
        let local = socket
            .local_addr()
            .map_err(HarnessError::io("media peer address"))?;
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .map_err(HarnessError::io("media peer read timeout"))?;
        let socket = Arc::new(socket);
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = {
            let (socket, received, stop) = (
                Arc::clone(&socket),
                Arc::clone(&received),
                Arc::clone(&stop),
            );
            std::thread::spawn(move || receive_loop(&socket, &received, &stop))
        };
        Ok(MediaPeer {
            socket,
            local,
            codec,
            event_pt: 101,
            ssrc: 0x4532_4550 ^ u32::from(local.port()),
            tx: Mutex::new(Tx {
                seq: 1000,
                timestamp: 160_000,
            }),
            received,
            stop,
            reader: Some(reader),
        })
    }

    fn send(&self, to: SocketAddr, pt: u8, marker: bool, ts: u32, payload: &[u8]) -> Result<()> {
        let seq = {
            let mut tx = self.tx.lock().map_err(|_| poisoned())?;
            tx.seq = tx.seq.wrapping_add(1);
            tx.seq
        };
        let mut packet = Vec::with_capacity(12 + payload.len());
        packet.push(0x80);
        packet.push(if marker { 0x80 | pt } else { pt });
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&ts.to_be_bytes());
        packet.extend_from_slice(&self.ssrc.to_be_bytes());
        packet.extend_from_slice(payload);
        self.socket
            .send_to(&packet, to)
            .map_err(HarnessError::io("send RTP"))?;
        Ok(())
    }

    /// Takes the next `frames` timestamps (160 each) for a talk spurt or an event.
    fn reserve(&self, ticks: u32) -> Result<u32> {
        let mut tx = self.tx.lock().map_err(|_| poisoned())?;
        let ts = tx.timestamp;
        tx.timestamp = tx.timestamp.wrapping_add(ticks);
        Ok(ts)
    }

    /// Sends `pcm` (8 kHz) as one talk spurt, one packet every 20 ms on an absolute
    /// schedule (so a slow loop catches up instead of drifting); blocks until done.
    pub fn play(&self, to: SocketAddr, pcm: &[i16]) -> Result<()> {
        self.send_audio(to, pcm, true)
    }

    /// Sends digital silence for `ms`, continuing the stream without a marker (a phone's
    /// microphone keeps sending; some boxes latch or time out on received RTP).
    pub fn silence(&self, to: SocketAddr, ms: u32) -> Result<()> {
        self.send_audio(to, &vec![0; (ms as usize) * 8], false)
    }

    fn send_audio(&self, to: SocketAddr, pcm: &[i16], marker: bool) -> Result<()> {
        let frames = media_codec::encode_frames(self.codec, pcm)?;
        let ticks = self.codec.frame_ticks();
        let first_ts = self.reserve(frames.len() as u32 * ticks)?;
        let start = Instant::now();
        for (i, payload) in frames.iter().enumerate() {
            let ts = first_ts.wrapping_add(i as u32 * ticks);
            self.send(to, self.codec.payload_type(), marker && i == 0, ts, payload)?;
            sleep_until(start + FRAME_TIME * (i as u32 + 1));
        }
        Ok(())
    }

    /// One RFC 4733 key press of `ms` (at least 40): start packets every 20 ms with growing
    /// duration (marker on the first), then the end packet three times.
    pub fn press(&self, to: SocketAddr, digit: char, ms: u32) -> Result<()> {
        let event = event_code(digit).ok_or_else(|| HarnessError::BadResponse {
            reason: "not a DTMF key".to_string(),
            text: digit.to_string(),
        })?;
        let steps = (ms / 20).max(2);
        let ts = self.reserve(steps * 160)?;
        let start = Instant::now();
        for i in 1..=steps {
            let end = i == steps;
            let payload = event_payload(event, end, (i * 160) as u16);
            let repeats = if end { 3 } else { 1 };
            for _ in 0..repeats {
                self.send(to, self.event_pt, i == 1, ts, &payload)?;
            }
            sleep_until(start + FRAME_TIME * i);
        }
        Ok(())
    }

    /// Presses each key of `digits` for 100 ms with 100 ms of silence after it.
    pub fn dial(&self, to: SocketAddr, digits: &str) -> Result<()> {
        for digit in digits.chars() {
            self.press(to, digit, 100)?;
            self.silence(to, 100)?;
        }
        Ok(())
    }

    /// A burst of `count` complete key presses (one start, three ends each) cycling
    /// through `keys`, with a 1 ms pause after every `per_ms` of them: the hostile caller
    /// of the DTMF flood tests. Returns the number of packets sent.
    pub fn flood_events(
        &self,
        to: SocketAddr,
        count: usize,
        per_ms: usize,
        keys: &str,
    ) -> Result<usize> {
        let codes: Vec<u8> = keys.chars().filter_map(event_code).collect();
        let mut sent = 0;
        for i in 0..count {
            let event = codes.get(i % codes.len().max(1)).copied().unwrap_or(1);
            let ts = self.reserve(320)?;
            self.send(
                to,
                self.event_pt,
                true,
                ts,
                &event_payload(event, false, 160),
            )?;
            for _ in 0..3 {
                self.send(
                    to,
                    self.event_pt,
                    false,
                    ts,
                    &event_payload(event, true, 320),
                )?;
            }
            sent += 4;
            if per_ms > 0 && i % per_ms == per_ms - 1 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        Ok(sent)
    }

    /// Everything received so far, in arrival order.
    pub fn received(&self) -> Vec<RxPacket> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// Forgets what was received so far (e.g. before the part of a call a test checks).
    pub fn clear(&self) {
        if let Ok(mut r) = self.received.lock() {
            r.clear();
        }
    }

    /// What the "person" heard: the G.711 packets decoded in arrival order, with silence
    /// filling any pause of more than 60 ms in the arrivals (a box that stops sending
    /// between a prompt and its replay must not make the two look like one).
    pub fn heard(&self) -> Vec<i16> {
        heard(&self.received(), self.codec)
    }

    /// The shape of the audio stream received so far.
    pub fn stream_report(&self) -> StreamReport {
        StreamReport::of(&self.received(), self.codec)
    }

    /// Waits (bounded) until what was heard satisfies `ok`; returns what was heard then.
    pub fn wait_heard(
        &self,
        what: &str,
        limit: Duration,
        mut ok: impl FnMut(&[i16]) -> bool,
    ) -> Result<Vec<i16>> {
        let mut last = Vec::new();
        let found = crate::wait::until(what, limit, Duration::from_millis(200), || {
            last = self.heard();
            Ok(ok(&last).then(|| last.clone()))
        });
        found.map_err(|e| match e {
            HarnessError::Timeout { what, waited } => HarnessError::Timeout {
                what: format!("{what}; heard so far: {}", describe(&last)),
                waited,
            },
            other => other,
        })
    }
}

impl Drop for MediaPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

fn poisoned() -> HarnessError {
    HarnessError::Timeout {
        what: "media peer state (a sending thread panicked)".to_string(),
        waited: Duration::ZERO,
    }
}

fn receive_loop(socket: &UdpSocket, received: &Mutex<Vec<RxPacket>>, stop: &AtomicBool) {
    let mut buf = [0u8; 2048];
    while !stop.load(Ordering::Relaxed) {
        if let Ok((n, from)) = socket.recv_from(&mut buf) {
            let Some(packet) = RxPacket::parse(Instant::now(), from, buf.get(..n).unwrap_or(&[]))
            else {
                continue;
            };
            if let Ok(mut all) = received.lock() {
                if all.len() < MAX_KEPT {
                    all.push(packet);
                }
            }
        }
    }
}

fn sleep_until(deadline: Instant) {
    let now = Instant::now();
    if deadline > now {
        std::thread::sleep(deadline - now);
    }
}

/// RFC 4733 §3.2 event code of a key.
pub fn event_code(digit: char) -> Option<u8> {
    match digit {
        '0'..='9' => Some(digit as u8 - b'0'),
        '*' => Some(10),
        '#' => Some(11),
        'A'..='D' => Some(12 + (digit as u8 - b'A')),
        _ => None,
    }
}

fn event_payload(event: u8, end: bool, duration: u16) -> [u8; 4] {
    // Volume 10 (-10 dBm0): a typical phone's.
    let flags = if end { 0x80 | 10 } else { 10 };
    let d = duration.to_be_bytes();
    [event, flags, d[0], d[1]]
}

#[path = "media_heard.rs"]
mod heard_audio;
pub use heard_audio::{describe, heard};

#[path = "media_stream.rs"]
mod stream;
pub use stream::{Spurt, StreamReport};
