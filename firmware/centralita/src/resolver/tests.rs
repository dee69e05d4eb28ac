//! The resolver against a DNS server on 127.0.0.1 answering fixed records.
#![allow(clippy::unwrap_used)]

use super::stub::{Rec, StubDns};
use super::*;
use rand::rngs::StdRng;
use rand::SeedableRng;

fn zone() -> Vec<(&'static str, Rec)> {
    vec![
        (
            "provider.test",
            Rec::Naptr {
                order: 10,
                preference: 10,
                flags: "S",
                services: "SIP+D2U",
                replacement: "_sip._udp.provider.test",
            },
        ),
        (
            "provider.test",
            Rec::Naptr {
                order: 20,
                preference: 10,
                flags: "S",
                services: "SIP+D2T",
                replacement: "_sip._tcp.provider.test",
            },
        ),
        (
            "_sip._udp.provider.test",
            Rec::Srv {
                priority: 20,
                weight: 0,
                port: 5080,
                target: "backup.provider.test",
            },
        ),
        (
            "_sip._udp.provider.test",
            Rec::Srv {
                priority: 10,
                weight: 50,
                port: 5070,
                target: "edge.provider.test",
            },
        ),
        ("edge.provider.test", Rec::A("127.0.0.2".parse().unwrap())),
        ("backup.provider.test", Rec::A("127.0.0.3".parse().unwrap())),
        (
            "_sip._tcp.plain.test",
            Rec::Srv {
                priority: 0,
                weight: 0,
                port: 5090,
                target: "tcp.plain.test",
            },
        ),
        ("tcp.plain.test", Rec::A("127.0.0.4".parse().unwrap())),
        ("v6.test", Rec::Aaaa("::1".parse().unwrap())),
    ]
}

fn udp(s: &str) -> Peer {
    Peer {
        transport: TransportKind::Udp,
        addr: s.parse().unwrap(),
    }
}

const BOTH: [TransportKind; 2] = [TransportKind::Udp, TransportKind::Tcp];

async fn resolve(dns: &DnsResolver, target: &str) -> Vec<Peer> {
    let mut rng = StdRng::seed_from_u64(1);
    dns.resolve(&Target::parse(target).unwrap(), &BOTH, &mut rng)
        .await
}

#[tokio::test]
async fn naptr_srv_a_chain_through_a_local_dns_server() {
    let stub = StubDns::start(zone()).await;
    let dns = DnsResolver::with_name_server(stub.addr);
    let peers = resolve(&dns, "provider.test").await;
    assert_eq!(peers, vec![udp("127.0.0.2:5070"), udp("127.0.0.3:5080")]);
    let asked: Vec<(String, u16)> = stub.asked();
    assert_eq!(asked[0], ("provider.test".to_string(), 35));
    assert_eq!(asked[1], ("_sip._udp.provider.test".to_string(), 33));
    assert!(asked.contains(&("edge.provider.test".to_string(), 1)));
}

#[tokio::test]
async fn srv_fallback_when_there_is_no_naptr_and_tcp_is_found() {
    let stub = StubDns::start(zone()).await;
    let dns = DnsResolver::with_name_server(stub.addr);
    let peers = resolve(&dns, "plain.test").await;
    assert_eq!(
        peers,
        vec![Peer {
            transport: TransportKind::Tcp,
            addr: "127.0.0.4:5090".parse().unwrap()
        }]
    );
}

#[tokio::test]
async fn explicit_port_and_literals() {
    let stub = StubDns::start(zone()).await;
    let dns = DnsResolver::with_name_server(stub.addr);
    assert_eq!(
        resolve(&dns, "edge.provider.test:5099").await,
        vec![udp("127.0.0.2:5099")]
    );
    let before = stub.asked().len();
    assert_eq!(
        resolve(&dns, "127.0.0.9").await,
        vec![udp("127.0.0.9:5060")]
    );
    assert_eq!(stub.asked().len(), before, "a literal needs no lookup");
    assert_eq!(resolve(&dns, "v6.test:5062").await, vec![udp("[::1]:5062")]);
}

#[tokio::test]
async fn unknown_names_resolve_to_nothing() {
    let stub = StubDns::start(zone()).await;
    let dns = DnsResolver::with_name_server(stub.addr);
    assert!(resolve(&dns, "nowhere.test").await.is_empty());
}

#[tokio::test]
async fn spawned_resolution_reports_on_the_channel() {
    let stub = StubDns::start(zone()).await;
    let dns = Arc::new(DnsResolver::with_name_server(stub.addr));
    let (tx, mut rx) = mpsc::unbounded_channel();
    spawn_resolve(
        dns,
        ("tenant-1", 0usize),
        Target::parse("provider.test").unwrap(),
        BOTH.to_vec(),
        tx,
    );
    let (key, peers) = tokio::time::timeout(std::time::Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(key, ("tenant-1", 0));
    assert_eq!(peers[0], udp("127.0.0.2:5070"));
}
