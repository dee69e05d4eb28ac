//! A tiny authoritative DNS server on 127.0.0.1 for the resolver tests: answers fixed NAPTR, SRV,
//! A and AAAA records from a table (RFC 1035 §4 wire format, RFC 2915 NAPTR, RFC 2782 SRV),
//! NXDOMAIN for names it does not know. Serves a bounded number of queries and stops when
//! dropped.
#![allow(clippy::unwrap_used)]

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;
const TYPE_SRV: u16 = 33;
const TYPE_NAPTR: u16 = 35;
const MAX_QUERIES: usize = 500;

#[derive(Debug, Clone)]
pub enum Rec {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    Srv {
        priority: u16,
        weight: u16,
        port: u16,
        target: &'static str,
    },
    Naptr {
        order: u16,
        preference: u16,
        flags: &'static str,
        services: &'static str,
        replacement: &'static str,
    },
}

impl Rec {
    fn rtype(&self) -> u16 {
        match self {
            Rec::A(_) => TYPE_A,
            Rec::Aaaa(_) => TYPE_AAAA,
            Rec::Srv { .. } => TYPE_SRV,
            Rec::Naptr { .. } => TYPE_NAPTR,
        }
    }

    fn rdata(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Rec::A(ip) => out.extend_from_slice(&ip.octets()),
            Rec::Aaaa(ip) => out.extend_from_slice(&ip.octets()),
            Rec::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                for v in [priority, weight, port] {
                    out.extend_from_slice(&v.to_be_bytes());
                }
                put_name(&mut out, target);
            }
            Rec::Naptr {
                order,
                preference,
                flags,
                services,
                replacement,
            } => {
                out.extend_from_slice(&order.to_be_bytes());
                out.extend_from_slice(&preference.to_be_bytes());
                for s in [flags, services, &""] {
                    out.push(s.len() as u8);
                    out.extend_from_slice(s.as_bytes());
                }
                put_name(&mut out, replacement);
            }
        }
        out
    }
}

fn put_name(out: &mut Vec<u8>, name: &str) {
    for label in name
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
    {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
}

pub struct StubDns {
    pub addr: SocketAddr,
    /// (name, type) of every query received, in order.
    pub queries: Arc<Mutex<Vec<(String, u16)>>>,
    task: JoinHandle<()>,
}

impl Drop for StubDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl StubDns {
    /// Serves `zone` (names without the trailing dot, any case).
    pub async fn start(zone: Vec<(&'static str, Rec)>) -> StubDns {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        let queries = Arc::new(Mutex::new(Vec::new()));
        let log = queries.clone();
        let task = tokio::spawn(async move {
            let mut buf = [0u8; 1500];
            for _ in 0..MAX_QUERIES {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                if let Some((reply, name, qtype)) = answer(&buf[..n], &zone) {
                    log.lock().unwrap().push((name, qtype));
                    let _ = socket.send_to(&reply, from).await;
                }
            }
        });
        StubDns {
            addr,
            queries,
            task,
        }
    }

    pub fn asked(&self) -> Vec<(String, u16)> {
        self.queries.lock().unwrap().clone()
    }
}

/// The reply to one query datagram, with the question's name and type; None for garbage.
fn answer(q: &[u8], zone: &[(&'static str, Rec)]) -> Option<(Vec<u8>, String, u16)> {
    if q.len() < 12 || u16::from_be_bytes([q[4], q[5]]) != 1 {
        return None;
    }
    let mut i = 12;
    let mut labels = Vec::new();
    loop {
        let len = usize::from(*q.get(i)?);
        i += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(q.get(i..i + len)?).to_ascii_lowercase());
        i += len;
    }
    let qtype = u16::from_be_bytes([*q.get(i)?, *q.get(i + 1)?]);
    let question_end = i + 4;
    q.get(..question_end)?;
    let name = labels.join(".");
    let known = zone.iter().any(|(n, _)| n.eq_ignore_ascii_case(&name));
    let records: Vec<&Rec> = zone
        .iter()
        .filter(|(n, r)| n.eq_ignore_ascii_case(&name) && r.rtype() == qtype)
        .map(|(_, r)| r)
        .collect();
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&q[0..2]); // id
    let rd = q[2] & 0x01;
    out.push(0x84 | rd); // QR, AA, RD echoed
    out.push(if known { 0x80 } else { 0x83 }); // RA; NXDOMAIN for unknown names
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(records.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&q[12..question_end]);
    for r in records {
        out.extend_from_slice(&[0xC0, 0x0C]); // the question's name
        out.extend_from_slice(&r.rtype().to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes()); // IN
        out.extend_from_slice(&60u32.to_be_bytes());
        let rdata = r.rdata();
        out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    Some((out, name, qtype))
}
