//! RTP endpoints owned by the harness. SIPp does the signalling with SDP that points
//! here; these sockets send a known number of marked G.711 packets to the box's relay
//! port and count what the box delivers from the other side. Counting packets (not
//! timing them) is what "RTP flows both ways through the box" means in the tests.

use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::Duration;

use crate::error::{HarnessError, Result};
use crate::ports;

const RTP_HEADER: usize = 12;
/// 20 ms of PCMU at 8 kHz.
const PAYLOAD: usize = 160;

pub struct RtpEndpoint {
    socket: UdpSocket,
    pub local: SocketAddr,
    /// First four payload bytes of every packet this endpoint sends.
    marker: [u8; 4],
    ssrc: u32,
    /// Payload type of the audio packets it sends (0 = PCMU, 8 = PCMA).
    payload_type: u8,
}

/// What one endpoint got back.
#[derive(Debug, Clone, Default)]
pub struct Received {
    /// Packets carrying the expected peer marker.
    pub from_peer: usize,
    /// Anything else that arrived (other markers, non-RTP).
    pub other: usize,
    /// Distinct source addresses of the peer's packets.
    pub sources: Vec<SocketAddr>,
    /// Distinct RTP payload types of the peer's packets.
    pub payload_types: Vec<u8>,
}

impl RtpEndpoint {
    /// A PCMU endpoint.
    pub fn new(marker: [u8; 4]) -> Result<RtpEndpoint> {
        RtpEndpoint::with_payload_type(marker, 0)
    }

    /// An endpoint sending audio with another static payload type (8 = PCMA).
    pub fn with_payload_type(marker: [u8; 4], payload_type: u8) -> Result<RtpEndpoint> {
        let socket = ports::bound_udp("RTP endpoint")?;
        let local = socket
            .local_addr()
            .map_err(HarnessError::io("RTP endpoint address"))?;
        Ok(RtpEndpoint {
            socket,
            local,
            marker,
            ssrc: u32::from_be_bytes(marker),
            payload_type: payload_type & 0x7f,
        })
    }

    /// A second handle on this endpoint's socket, for a [`crate::media_peer::MediaPeer`]
    /// that takes over the address the SDP advertises (this endpoint must then stay idle).
    pub fn try_clone_socket(&self) -> Result<UdpSocket> {
        self.socket
            .try_clone()
            .map_err(HarnessError::io("clone RTP endpoint socket"))
    }

    pub fn marker(&self) -> [u8; 4] {
        self.marker
    }

    fn packet(&self, seq: u16) -> Vec<u8> {
        let mut packet = Vec::with_capacity(RTP_HEADER + PAYLOAD);
        packet.push(0x80); // version 2, no padding, no extension, no CSRC
        packet.push(self.payload_type); // no marker bit
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&(u32::from(seq) * PAYLOAD as u32).to_be_bytes());
        packet.extend_from_slice(&self.ssrc.to_be_bytes());
        packet.extend_from_slice(&self.marker);
        // Silence in the codec at hand (G.711 mu-law 0xFF, A-law 0xD5).
        let silence = if self.payload_type == 8 { 0xD5 } else { 0xFF };
        packet.resize(RTP_HEADER + PAYLOAD, silence);
        packet
    }

    /// An RFC 4733 telephone-event packet (payload type 101, as both SDPs map it):
    /// event `digit`, end bit on the last of a burst, volume 10, duration by `seq`.
    pub fn event_packet(&self, seq: u16, digit: u8, end: bool) -> Vec<u8> {
        let mut packet = Vec::with_capacity(RTP_HEADER + 4);
        packet.push(0x80);
        packet.push(101);
        packet.extend_from_slice(&seq.to_be_bytes());
        packet.extend_from_slice(&0x1000_u32.to_be_bytes()); // one event, one timestamp
        packet.extend_from_slice(&self.ssrc.to_be_bytes());
        packet.push(digit);
        packet.push(if end { 0x80 | 10 } else { 10 });
        packet.extend_from_slice(&(160 * (seq % 100 + 1)).to_be_bytes());
        packet
    }

    /// Sends raw bytes (already an RTP packet) to `to`.
    pub fn send_raw(&self, to: SocketAddr, packet: &[u8]) -> Result<()> {
        self.socket
            .send_to(packet, to)
            .map_err(HarnessError::io("send RTP"))?;
        Ok(())
    }

    /// Collects every datagram that arrives until `expected` came or none for `idle`.
    pub fn collect(&self, expected: usize, idle: Duration) -> Result<Vec<Vec<u8>>> {
        let mut got = Vec::new();
        let mut buf = [0u8; 2048];
        self.socket
            .set_read_timeout(Some(idle))
            .map_err(HarnessError::io("set RTP read timeout"))?;
        while got.len() < expected {
            match self.socket.recv_from(&mut buf) {
                Ok((n, _)) => got.push(buf.get(..n).unwrap_or_default().to_vec()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    break
                }
                Err(e) => return Err(HarnessError::io("receive RTP")(e)),
            }
        }
        Ok(got)
    }

    pub fn send_one(&self, to: SocketAddr, seq: u16) -> Result<()> {
        self.socket
            .send_to(&self.packet(seq), to)
            .map_err(HarnessError::io("send RTP"))?;
        Ok(())
    }

    /// Counts packets carrying `peer_marker` until `expected` of them arrived or no
    /// packet at all came for `idle`.
    pub fn count(&self, peer_marker: [u8; 4], expected: usize, idle: Duration) -> Result<Received> {
        let mut got = Received::default();
        let mut buf = [0u8; 2048];
        self.socket
            .set_read_timeout(Some(idle))
            .map_err(HarnessError::io("set RTP read timeout"))?;
        while got.from_peer < expected {
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    let is_peer = n >= RTP_HEADER + 4
                        && buf[0] >> 6 == 2
                        && buf[RTP_HEADER..RTP_HEADER + 4] == peer_marker;
                    if is_peer {
                        got.from_peer += 1;
                        if !got.sources.contains(&from) {
                            got.sources.push(from);
                        }
                        let payload_type = buf[1] & 0x7f;
                        if !got.payload_types.contains(&payload_type) {
                            got.payload_types.push(payload_type);
                        }
                    } else {
                        got.other += 1;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        || e.kind() == std::io::ErrorKind::TimedOut =>
                {
                    break
                }
                Err(e) => return Err(HarnessError::io("receive RTP")(e)),
            }
        }
        Ok(got)
    }
}

/// Result of a two-way exchange through the box.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub sent_each: usize,
    pub a_received: Received,
    pub b_received: Received,
}

/// Sends `count` packets from each endpoint to its relay address on the box (paced,
/// as a phone would, so socket buffers never overflow), then counts both sides.
pub fn exchange(
    a: &RtpEndpoint,
    a_relay: SocketAddr,
    b: &RtpEndpoint,
    b_relay: SocketAddr,
    count: usize,
) -> Result<Exchange> {
    for seq in 0..count {
        let seq = seq as u16;
        a.send_one(a_relay, seq)?;
        b.send_one(b_relay, seq)?;
        std::thread::sleep(Duration::from_millis(10));
    }
    let idle = Duration::from_secs(2);
    Ok(Exchange {
        sent_each: count,
        a_received: a.count(b.marker(), count, idle)?,
        b_received: b.count(a.marker(), count, idle)?,
    })
}

/// Media facts a SIPp scenario wrote with `<exec>` when it saw the other side's SDP:
/// one line each for the Call-ID of its dialog, the c= address and the m=audio port.
#[derive(Debug, Clone)]
pub struct MediaInfo {
    pub call_id: String,
    pub relay: SocketAddr,
}

impl MediaInfo {
    pub fn read(path: &Path) -> Result<Option<MediaInfo>> {
        let Ok(text) = std::fs::read_to_string(path) else {
            return Ok(None);
        };
        let bad = |reason: &str| HarnessError::BadFile {
            path: path.to_path_buf(),
            reason: format!("{reason}: {text:?}"),
        };
        let mut lines = text.lines().map(str::trim);
        let (Some(call_id), Some(ip), Some(port)) = (lines.next(), lines.next(), lines.next())
        else {
            // SIPp writes the file with a rename, so a partial file is a real problem.
            return Err(bad("expected call-id, ip and port lines"));
        };
        let relay: SocketAddr = format!("{ip}:{port}")
            .parse()
            .map_err(|_| bad("c= address or m= port"))?;
        Ok(Some(MediaInfo {
            call_id: call_id.to_string(),
            relay,
        }))
    }

    /// Waits (bounded) for a scenario to write the file.
    pub fn wait(path: &Path, limit: Duration) -> Result<MediaInfo> {
        crate::wait::until(
            &format!("SIPp to write {}", path.display()),
            limit,
            Duration::from_millis(50),
            || MediaInfo::read(path),
        )
    }
}
