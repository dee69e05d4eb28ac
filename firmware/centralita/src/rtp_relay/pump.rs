//! The hot path: one task per relay socket, receiving from its leg and sending out of
//! the socket facing the other leg. One reusable buffer, no allocation, no lock per
//! packet (see `shared` for how remotes and counters are read and written).

use super::ingress::Ctx;
use super::latch::{Latch, Verdict};
use super::shared::{bump, BridgeShared, CachedRemote, Origin};
use super::socket::BridgeIo;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Largest datagram relayed whole. RTP over UDP stays under the path MTU (~1500);
/// anything bigger is truncated by the kernel into this buffer and still forwarded.
pub const BUFFER_LEN: usize = 2048;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Rtp,
    Rtcp,
}

fn is_valid(kind: Kind, packet: &[u8]) -> bool {
    match kind {
        // With rtcp-mux (RFC 5761) RTCP shares the RTP port; it proves the source too.
        Kind::Rtp => match media::rtp::classify(packet) {
            media::rtp::PacketKind::Rtp => media::rtp::RtpPacket::parse(packet).is_ok(),
            media::rtp::PacketKind::Rtcp => media::rtcp::is_valid_compound(packet),
            media::rtp::PacketKind::Other => false,
        },
        Kind::Rtcp => media::rtcp::is_valid_compound(packet),
    }
}

/// Relays datagrams arriving from leg `from` (0 = A, 1 = B) to the other leg, forever;
/// the bridge stops it by aborting the task.
pub async fn run(
    kind: Kind,
    from: usize,
    io: Arc<BridgeIo>,
    shared: Arc<BridgeShared>,
    window: Duration,
) {
    let to = 1 - from;
    let (input, output) = match kind {
        Kind::Rtp => (&io.legs[from].rtp, &io.legs[to].rtp),
        Kind::Rtcp => (&io.legs[from].rtcp, &io.legs[to].rtcp),
    };
    let (slots, counters) = match kind {
        Kind::Rtp => (&shared.rtp_remote, &shared.rtp_from[from]),
        Kind::Rtcp => (&shared.rtcp_remote, &shared.rtcp_from[from]),
    };
    let own = &slots[from];
    let theirs = &slots[to];

    let start = own.get();
    let mut own_generation = start.generation;
    let mut latch = Latch::new(start.addr, window);
    let mut destination = CachedRemote::new(theirs);
    let mut buf = vec![0u8; BUFFER_LEN];
    let mut errors_logged = false;

    loop {
        let (len, source) = match input.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(error) => {
                if !errors_logged {
                    tracing::warn!(%error, ?kind, from, "relay receive failed");
                    errors_logged = true;
                }
                bump(&counters.dropped, 1);
                tokio::task::yield_now().await;
                continue;
            }
        };
        let packet = buf.get(..len).unwrap_or_default();
        bump(&counters.received, 1);
        bump(&counters.received_bytes, len as u64);

        if own.generation() != own_generation {
            let r = own.get();
            own_generation = r.generation;
            if r.origin == Origin::Signalled {
                latch.reset(r.addr);
            }
        }
        let valid = latch.current() == Some(source) && latch.is_learned() || is_valid(kind, packet);
        let now = Instant::now();
        match latch.on_packet(source, valid, now) {
            Verdict::Accept => {}
            Verdict::Learned => {
                own_generation = own.latch(source);
                if kind == Kind::Rtp {
                    shared.latched[from].store(true, Ordering::Relaxed);
                }
                tracing::debug!(?kind, from, %source, "relay latched");
            }
            Verdict::Reject => {
                bump(&counters.dropped, 1);
                continue;
            }
        }

        // One relaxed load per packet: plain relaying stays as it was; transcoding, playback,
        // recording and DTMF detection go through the leg's slow path.
        if kind == Kind::Rtp && shared.media.is_slow(from) {
            let ctx = Ctx {
                from,
                shared: &shared.media,
                socket: output,
                target: destination.addr(theirs),
                now,
            };
            let sent = shared.media.ingress(from).process(packet, &ctx);
            bump(&counters.forwarded, sent.packets);
            bump(&counters.forwarded_bytes, sent.bytes);
            bump(&counters.dropped, sent.failed);
            continue;
        }

        let Some(target) = destination.addr(theirs) else {
            bump(&counters.dropped, 1);
            continue;
        };
        match output.send_to(packet, target).await {
            Ok(sent) => {
                bump(&counters.forwarded, 1);
                bump(&counters.forwarded_bytes, sent as u64);
            }
            Err(error) => {
                if !errors_logged {
                    tracing::debug!(%error, ?kind, from, %target, "relay send failed");
                    errors_logged = true;
                }
                bump(&counters.dropped, 1);
            }
        }
    }
}
