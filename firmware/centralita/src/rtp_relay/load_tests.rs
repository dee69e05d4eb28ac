//! Bounded relay load measurement, ignored by default (it takes ~6 s and wants a quiet
//! machine). Run it with
//! `cargo test -p centralita --release load -- --ignored --nocapture`;
//! `RELAY_LOAD_CALLS` (default 800) and `RELAY_LOAD_SECS` (default 5) size it.
//!
//! Each call is two "phones" sending 20 ms G.711 frames (50 packets/s) to the relay
//! and counting what comes back through the other leg. The relay runs on its own
//! 2-thread runtime whose threads' CPU time is read from /proc, so the phones' cost
//! is not counted. Relay ports are 62000-65535 (above the ephemeral range, room
//! for 884 bridges).
#![allow(clippy::unwrap_used)]

use super::*;
use std::net::Ipv4Addr;
use std::sync::atomic::AtomicU64;
use std::time::Instant;
use tokio::net::UdpSocket;

pub(super) fn thread_cpu_seconds(name: &str) -> f64 {
    let mut ticks = 0u64;
    for entry in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = entry.unwrap().path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        if comm.trim() != name {
            continue;
        }
        let stat = std::fs::read_to_string(path.join("stat")).unwrap_or_default();
        let Some(close) = stat.rfind(')') else {
            continue;
        };
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        // utime and stime are fields 14 and 15 of stat(5), 12 and 13 after the comm.
        ticks += fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    }
    ticks as f64 / 100.0
}

pub(super) fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

pub(super) fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
#[ignore = "load measurement: run on demand with --release --ignored --nocapture"]
fn load() {
    let calls = usize::try_from(env_or("RELAY_LOAD_CALLS", 800)).unwrap();
    let secs = env_or("RELAY_LOAD_SECS", 5).min(60);
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let relay_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("relay-load")
        .enable_all()
        .build()
        .unwrap();
    let phone_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("phones")
        .enable_all()
        .build()
        .unwrap();
    let pool = PortPool::new(40000, 59999, ip).unwrap();

    let sockets: Vec<(UdpSocket, UdpSocket)> = phone_rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..calls {
            v.push((
                UdpSocket::bind((ip, 0)).await.unwrap(),
                UdpSocket::bind((ip, 0)).await.unwrap(),
            ));
        }
        v
    });
    let rss_before = rss_kib();
    let mut bridges = Vec::new();
    let mut phones = Vec::new();
    for (a, b) in sockets {
        let (ra, rb) = (a.local_addr().unwrap(), b.local_addr().unwrap());
        let bridge = relay_rt
            .block_on(async { pool.open_bridge(Some(ra), Some(rb)) })
            .unwrap();
        phones.push((Arc::new(a), SocketAddr::new(ip, bridge.local_port_a())));
        phones.push((Arc::new(b), SocketAddr::new(ip, bridge.local_port_b())));
        bridges.push(bridge);
    }
    std::thread::sleep(Duration::from_millis(100));
    let rss_per_call = (rss_kib().saturating_sub(rss_before)) as f64 / calls as f64;

    let sent = Arc::new(AtomicU64::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let phone_count = phones.len() as u64;
    let mut senders = Vec::new();
    for (i, (sock, relay)) in phones.into_iter().enumerate() {
        let rx = Arc::clone(&sock);
        let received = Arc::clone(&received);
        phone_rt.spawn(async move {
            let mut buf = [0u8; 2048];
            loop {
                if rx.recv_from(&mut buf).await.is_ok() {
                    received.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        let sent = Arc::clone(&sent);
        senders.push(phone_rt.spawn(async move {
            // Spread the phones over the 20 ms frame, as real calls are.
            let offset = (i as u64).wrapping_mul(20_000) / phone_count.max(1);
            tokio::time::sleep(Duration::from_micros(offset)).await;
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let mut packet = vec![0x80u8, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];
            packet.extend_from_slice(&[0xd5; 160]);
            let mut seq: u16 = 0;
            while Instant::now() < deadline {
                tick.tick().await;
                packet[2..4].copy_from_slice(&seq.to_be_bytes());
                seq = seq.wrapping_add(1);
                if sock.send_to(&packet, relay).await.is_ok() {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    let started = Instant::now();
    let cpu_before = thread_cpu_seconds("relay-load");
    for s in senders {
        phone_rt.block_on(s).unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    let wall = started.elapsed().as_secs_f64();
    let cpu = thread_cpu_seconds("relay-load") - cpu_before;
    let (sent, received) = (
        sent.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed),
    );
    let loss = 100.0 * sent.saturating_sub(received) as f64 / sent.max(1) as f64;
    println!(
        "relay load: {calls} calls, {:.0} packets/s relayed, loss {loss:.4}%, \
         relay CPU {:.1}% of a core ({:.3}% per call), {rss_per_call:.1} KiB RSS per call",
        sent as f64 / wall,
        100.0 * cpu / wall,
        100.0 * cpu / wall / calls as f64,
    );
    drop(bridges);
    assert!(loss < 1.0, "relay lost {loss:.3}% of packets");
}
