//! Relay tests over real UDP sockets on 127.0.0.1. Each test uses its own port range
//! in 61000-61999: above the kernel's ephemeral range (32768-60999 by default), so
//! "phones" bound to port 0 never collide, and away from the ranges the end-to-end
//! tests and the bench give the daemon (20000-31999).
#![allow(clippy::unwrap_used)]

use super::*;
use pbx::{MediaControl, Side};
use std::net::Ipv4Addr;
use tokio::net::UdpSocket;
use tokio::time::timeout;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);
const WAIT: Duration = Duration::from_secs(2);

fn pool(lo: u16, hi: u16) -> PortPool {
    PortPool::new(lo, hi, LOCALHOST).unwrap()
}

async fn phone() -> UdpSocket {
    UdpSocket::bind((LOCALHOST, 0)).await.unwrap()
}

fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 0, 0, 0, 0, 0, 0, 160, 0xca, 0xfe, 0xba, 0xbe];
    p[2..4].copy_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0xd5; 160]);
    p
}

fn rr() -> Vec<u8> {
    vec![0x80, 201, 0, 1, 0xca, 0xfe, 0xba, 0xbe]
}

fn to(port: u16) -> SocketAddr {
    SocketAddr::new(LOCALHOST, port)
}

async fn recv(sock: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = vec![0u8; 2048];
    let (n, from) = timeout(WAIT, sock.recv_from(&mut buf))
        .await
        .expect("timed out waiting for a relayed packet")
        .unwrap();
    buf.truncate(n);
    (buf, from)
}

async fn nothing_arrives(sock: &UdpSocket) {
    let mut buf = [0u8; 2048];
    let r = timeout(Duration::from_millis(200), sock.recv_from(&mut buf)).await;
    assert!(r.is_err(), "unexpected packet {:?}", r);
}

/// Waits until the relay's view of the stats satisfies `ok` (sends are asynchronous).
async fn stats_until(bridge: &Bridge, ok: impl Fn(&BridgeStats) -> bool) -> BridgeStats {
    for _ in 0..200 {
        let s = bridge.stats();
        if ok(&s) {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    bridge.stats()
}

#[tokio::test]
async fn relays_both_ways_and_counts() {
    let pool = pool(61000, 61019);
    let (a, b) = (phone().await, phone().await);
    let bridge = pool
        .open_bridge(Some(a.local_addr().unwrap()), Some(b.local_addr().unwrap()))
        .unwrap();
    let (pa, pb) = (bridge.local_port_a(), bridge.local_port_b());
    assert_ne!(pa, pb);
    assert_eq!(pa % 2, 0);
    assert_eq!(pb % 2, 0);

    for seq in 0..10 {
        a.send_to(&rtp(seq), to(pa)).await.unwrap();
        let (got, from) = recv(&b).await;
        assert_eq!(got, rtp(seq));
        assert_eq!(from, to(pb), "B must see packets from its own relay port");
    }
    for seq in 100..105 {
        b.send_to(&rtp(seq), to(pb)).await.unwrap();
        let (got, from) = recv(&a).await;
        assert_eq!(got, rtp(seq));
        assert_eq!(from, to(pa));
    }
    let s = stats_until(&bridge, |s| s.b.packets_out == 10 && s.a.packets_out == 5).await;
    assert_eq!((s.a.packets_in, s.a.bytes_in), (10, 1720));
    assert_eq!((s.b.packets_out, s.b.bytes_out), (10, 1720));
    assert_eq!((s.b.packets_in, s.a.packets_out), (5, 5));
    assert_eq!(s.a.dropped + s.b.dropped, 0);
    assert!(s.a.latched && s.b.latched);
    assert_eq!(s.a.remote, Some(a.local_addr().unwrap()));
}

#[tokio::test]
async fn latches_to_where_rtp_comes_from() {
    let pool = pool(61020, 61039);
    let (a, b) = (phone().await, phone().await);
    // A announced a private address that is not where its packets come from (NAT).
    let announced = SocketAddr::from(([127, 0, 0, 1], 9));
    let bridge = pool
        .open_bridge(Some(announced), Some(b.local_addr().unwrap()))
        .unwrap();
    a.send_to(&rtp(1), to(bridge.local_port_a())).await.unwrap();
    recv(&b).await;
    b.send_to(&rtp(2), to(bridge.local_port_b())).await.unwrap();
    let (got, _) = recv(&a).await;
    assert_eq!(got, rtp(2));
    let s = bridge.stats();
    assert_eq!(s.a.remote, Some(a.local_addr().unwrap()));
    assert!(s.a.latched);
    // The same SDP address again (a session refresh) must not undo the latch.
    bridge.set_remote_a(announced);
    let s = bridge.stats();
    assert_eq!(s.a.remote, Some(a.local_addr().unwrap()));
    assert!(s.a.latched);
    b.send_to(&rtp(3), to(bridge.local_port_b())).await.unwrap();
    assert_eq!(recv(&a).await.0, rtp(3));
}

#[tokio::test]
async fn learns_a_leg_with_no_announced_address() {
    let pool = pool(61040, 61059);
    let (a, b) = (phone().await, phone().await);
    let bridge = pool.open_bridge(None, None).unwrap();
    // Nothing is known about A yet: B's packet has nowhere to go.
    b.send_to(&rtp(1), to(bridge.local_port_b())).await.unwrap();
    stats_until(&bridge, |s| s.b.dropped == 1).await;
    a.send_to(&rtp(2), to(bridge.local_port_a())).await.unwrap();
    // B latched from its first packet, so A's packet reaches it.
    assert_eq!(recv(&b).await.0, rtp(2));
    b.send_to(&rtp(3), to(bridge.local_port_b())).await.unwrap();
    assert_eq!(recv(&a).await.0, rtp(3));
}

#[tokio::test]
async fn refuses_hijack_and_garbage() {
    let pool = pool(61060, 61079);
    let (a, b, intruder) = (phone().await, phone().await, phone().await);
    let bridge = pool
        .open_bridge(None, Some(b.local_addr().unwrap()))
        .unwrap();
    let pa = bridge.local_port_a();
    // Garbage never latches.
    intruder.send_to(b"not rtp at all", to(pa)).await.unwrap();
    stats_until(&bridge, |s| s.a.dropped == 1).await;
    assert_eq!(bridge.stats().a.remote, None);
    // The real phone latches, then an intruder's valid RTP is refused.
    a.send_to(&rtp(1), to(pa)).await.unwrap();
    recv(&b).await;
    intruder.send_to(&rtp(99), to(pa)).await.unwrap();
    nothing_arrives(&b).await;
    b.send_to(&rtp(2), to(bridge.local_port_b())).await.unwrap();
    assert_eq!(recv(&a).await.0, rtp(2));
    nothing_arrives(&intruder).await;
    let s = bridge.stats();
    assert_eq!(s.a.dropped, 2);
    assert_eq!(s.a.remote, Some(a.local_addr().unwrap()));
}

#[tokio::test]
async fn rtcp_is_relayed_on_the_next_port() {
    let pool = pool(61080, 61099);
    let (a_rtp, a_rtcp) = (
        UdpSocket::bind((LOCALHOST, 61990)).await.unwrap(),
        UdpSocket::bind((LOCALHOST, 61991)).await.unwrap(),
    );
    let b_rtcp = phone().await;
    let bridge = pool
        .open_bridge(Some(a_rtp.local_addr().unwrap()), None)
        .unwrap();
    // B's RTCP latches B's RTCP address; A's RTCP address was derived from its SDP.
    b_rtcp
        .send_to(&rr(), to(bridge.local_port_b() + 1))
        .await
        .unwrap();
    let (got, from) = recv(&a_rtcp).await;
    assert_eq!(got, rr());
    assert_eq!(from, to(bridge.local_port_a() + 1));
    a_rtcp
        .send_to(&rr(), to(bridge.local_port_a() + 1))
        .await
        .unwrap();
    assert_eq!(recv(&b_rtcp).await.0, rr());
    let s = stats_until(&bridge, |s| s.a.rtcp_packets_out == 1).await;
    assert_eq!((s.b.rtcp_packets_in, s.a.rtcp_packets_in), (1, 1));
    assert_eq!(s.b.rtcp_packets_out, 1);
    // RTP counters are separate.
    assert_eq!(s.a.packets_in + s.b.packets_in, 0);
}

#[tokio::test]
async fn set_remote_moves_a_leg() {
    let pool = pool(61100, 61119);
    let (a, b, b2) = (phone().await, phone().await, phone().await);
    let bridge = pool
        .open_bridge(Some(a.local_addr().unwrap()), Some(b.local_addr().unwrap()))
        .unwrap();
    b.send_to(&rtp(1), to(bridge.local_port_b())).await.unwrap();
    recv(&a).await;
    // B moves (re-INVITE with a new address): even though B was latched, A's next
    // packet goes to the new address, and the new B is believed at once.
    bridge.set_remote_b(b2.local_addr().unwrap());
    assert!(!bridge.stats().b.latched);
    a.send_to(&rtp(2), to(bridge.local_port_a())).await.unwrap();
    assert_eq!(recv(&b2).await.0, rtp(2));
    b2.send_to(&rtp(3), to(bridge.local_port_b()))
        .await
        .unwrap();
    assert_eq!(recv(&a).await.0, rtp(3));
    nothing_arrives(&b).await;
}

#[tokio::test]
async fn close_frees_ports_and_exhaustion_is_an_error() {
    // Exactly two pairs: one bridge.
    let pool = pool(61120, 61123);
    assert_eq!(pool.free_pairs(), 2);
    let first = pool.open_bridge(None, None).unwrap();
    let ports = (first.local_port_a(), first.local_port_b());
    assert_eq!(pool.free_pairs(), 0);
    assert!(matches!(
        pool.open_bridge(None, None),
        Err(RelayError::Exhausted {
            lo: 61120,
            hi: 61123
        })
    ));
    first.close().await;
    assert_eq!(pool.free_pairs(), 2);
    let second = pool.open_bridge(None, None).unwrap();
    let mut got = [second.local_port_a(), second.local_port_b()];
    got.sort_unstable();
    let mut want = [ports.0, ports.1];
    want.sort_unstable();
    assert_eq!(got, want);
    // Dropping works too (the ports come back once the tasks are gone).
    drop(second);
    for _ in 0..100 {
        if pool.free_pairs() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(pool.free_pairs(), 2);
    pool.open_bridge(None, None).unwrap();
}

#[tokio::test]
async fn ports_held_by_someone_else_are_skipped() {
    let pool = pool(61130, 61137);
    let _squatter = UdpSocket::bind((LOCALHOST, 61130)).await.unwrap();
    let bridge = pool.open_bridge(None, None).unwrap();
    assert_ne!(bridge.local_port_a(), 61130);
    assert_ne!(bridge.local_port_b(), 61130);
}

#[test]
fn bad_range_and_no_runtime() {
    assert!(matches!(
        PortPool::new(61141, 61141, LOCALHOST),
        Err(RelayError::BadRange { .. })
    ));
    assert!(matches!(
        PortPool::new(20, 10, LOCALHOST),
        Err(RelayError::BadRange { .. })
    ));
    let pool = pool(61140, 61143);
    assert!(matches!(
        pool.open_bridge(None, None),
        Err(RelayError::NoRuntime)
    ));
}

#[tokio::test]
async fn relay_table_drives_bridges_for_the_call_logic() {
    let mut table = RelayTable::new(pool(61150, 61157));
    let (a, b) = (phone().await, phone().await);
    let m = table.open().unwrap();
    table.set_remote(m.id, Side::A, a.local_addr().unwrap());
    table.set_remote(m.id, Side::B, b.local_addr().unwrap());
    a.send_to(&rtp(1), to(m.port_a)).await.unwrap();
    assert_eq!(recv(&b).await.0, rtp(1));
    let second = table.open().unwrap();
    assert_ne!(second.id, m.id);
    assert!(table.open().is_none(), "pool of 4 pairs holds two calls");
    assert_eq!(table.len(), 2);
    let s = table.stats(m.id).unwrap();
    assert_eq!(s.a.packets_in, 1);
    table.close(m.id);
    table.close(m.id); // closing twice is harmless
    assert!(table.stats(m.id).is_none());
    assert_eq!(
        table.close_with_stats(second.id).map(|s| s.a.packets_in),
        Some(0)
    );
    assert!(table.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_bridges_under_bounded_load() {
    const CALLS: usize = 20;
    const PACKETS: u16 = 100;
    let pool = pool(61200, 61299);
    let mut calls = Vec::new();
    for _ in 0..CALLS {
        let (a, b) = (phone().await, phone().await);
        let bridge = pool
            .open_bridge(Some(a.local_addr().unwrap()), Some(b.local_addr().unwrap()))
            .unwrap();
        calls.push((a, b, bridge));
    }
    for seq in 0..PACKETS {
        for (a, b, bridge) in &calls {
            a.send_to(&rtp(seq), to(bridge.local_port_a()))
                .await
                .unwrap();
            b.send_to(&rtp(seq), to(bridge.local_port_b()))
                .await
                .unwrap();
        }
        if seq % 10 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let want = u64::from(PACKETS);
    for (_, _, bridge) in &calls {
        let s = stats_until(bridge, |s| {
            s.a.packets_out == want && s.b.packets_out == want
        })
        .await;
        // Loopback with 256 KiB buffers should not lose anything at this rate.
        assert_eq!((s.a.packets_out, s.b.packets_out), (want, want));
    }
}

#[tokio::test]
async fn relays_over_ipv6_and_latches_on_muxed_rtcp() {
    let v6 = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
    let Ok(a) = UdpSocket::bind((v6, 0)).await else {
        return; // no IPv6 loopback on this machine
    };
    let b = UdpSocket::bind((v6, 0)).await.unwrap();
    let pool = PortPool::new(61300, 61319, v6).unwrap();
    let bridge = pool.open_bridge(None, None).unwrap();
    let (pa, pb) = (
        SocketAddr::new(v6, bridge.local_port_a()),
        SocketAddr::new(v6, bridge.local_port_b()),
    );
    // With rtcp-mux (RFC 5761) a phone's first packet on the RTP port may be RTCP:
    // it is valid and latches just as well.
    b.send_to(&rr(), pb).await.unwrap();
    stats_until(&bridge, |s| s.b.latched).await;
    a.send_to(&rtp(1), pa).await.unwrap();
    let (got, from) = recv(&b).await;
    assert_eq!((got, from), (rtp(1), pb));
    b.send_to(&rtp(2), pb).await.unwrap();
    assert_eq!(recv(&a).await, (rtp(2), pa));
}

#[tokio::test]
async fn telephone_events_pass_through_unchanged() {
    let pool = pool(61320, 61339);
    let (a, b) = (phone().await, phone().await);
    let bridge = pool
        .open_bridge(Some(a.local_addr().unwrap()), Some(b.local_addr().unwrap()))
        .unwrap();
    // RFC 4733 digit '5', end bit, volume 10, duration 800, dynamic PT 101, marker.
    let mut event = vec![0x80, 0x80 | 101, 0, 7, 0, 0, 3, 0x20, 1, 2, 3, 4];
    event.extend_from_slice(&[5, 0x80 | 10, 0x03, 0x20]);
    a.send_to(&event, to(bridge.local_port_a())).await.unwrap();
    let (got, _) = recv(&b).await;
    assert_eq!(got, event);
    let rtp = media::rtp::RtpPacket::parse(&got).unwrap();
    assert!(rtp.marker);
    assert_eq!(rtp.payload_type, 101);
    let digit = media::dtmf::TelephoneEvent::parse(rtp.payload).unwrap();
    assert_eq!(
        (digit.digit(), digit.end, digit.duration),
        (Some('5'), true, 800)
    );
}
