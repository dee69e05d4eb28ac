//! RFC 3263 §4 server location, as a step machine over DNS answers the caller fetches.
//!
//! [`Resolution::step`] says which lookup to do next ([`Query`]) or that it is done (the ordered
//! list of addresses to try, best first); [`Resolution::answer`] feeds the result in. The real DNS
//! lives in the daemon (`centralita::resolver`); tests feed canned answers. A failed lookup
//! (NXDOMAIN, SERVFAIL, timeout) is fed as an empty answer: RFC 3263 treats them all as "no
//! records" and moves on to the next step.
//!
//! Rules implemented:
//! * a numeric IP needs no lookup (§4.2: port 5060, or 5061 for TLS, when absent);
//! * an explicit port skips NAPTR and SRV and goes to A/AAAA (§4.2);
//! * an explicit transport skips NAPTR and asks SRV for that transport (§4.1);
//! * otherwise NAPTR, keeping `s`-flag records for transports we support ordered by order then
//!   preference; without usable NAPTR records SRV for each supported transport in our
//!   preference order; without SRV records A/AAAA of the name itself, port 5060 over UDP
//!   (UDP is the default, §4.1);
//! * SRV records ordered by priority, weighted-random within a priority (RFC 2782); a lone
//!   target `.` means "no SIP here" and is skipped.
use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use rand::RngCore;
use sip::transaction::{Peer, TransportKind};
use sip::uri::Scheme;
use sip::Uri;

use super::TrunkError;

/// A host to reach, as written in the provider settings: `host`, `host:port`, `sip:host;transport=tcp`,
/// `[2001:db8::1]:5060`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Name or IP literal (IPv6 in brackets, as in a URI).
    pub host: String,
    pub port: Option<u16>,
    pub transport: Option<TransportKind>,
}

impl Target {
    pub fn host(host: &str) -> Target {
        Target {
            host: host.to_string(),
            port: None,
            transport: None,
        }
    }

    /// Reads a settings value through the SIP URI parser, so every host it accepts is one the
    /// stack can put in a Request-URI.
    pub fn parse(value: &str) -> Result<Target, TrunkError> {
        let bad = || TrunkError::BadHost {
            value: value.to_string(),
        };
        let v = value.trim();
        let lower = v.to_ascii_lowercase();
        let text = if lower.starts_with("sip:") || lower.starts_with("sips:") {
            v.to_string()
        } else {
            format!("sip:{v}")
        };
        let uri = Uri::parse(&text).map_err(|_| bad())?;
        if uri.user.is_some() || uri.host.is_empty() || uri.headers.is_some() {
            return Err(bad());
        }
        let transport = match uri.params.value("transport") {
            None if uri.scheme == Scheme::Sips => Some(TransportKind::Tls),
            None => None,
            Some(t) if t.eq_ignore_ascii_case("udp") => Some(TransportKind::Udp),
            Some(t) if t.eq_ignore_ascii_case("tcp") && uri.scheme == Scheme::Sips => {
                Some(TransportKind::Tls)
            }
            Some(t) if t.eq_ignore_ascii_case("tcp") => Some(TransportKind::Tcp),
            Some(t) if t.eq_ignore_ascii_case("tls") => Some(TransportKind::Tls),
            Some(_) => return Err(bad()),
        };
        Ok(Target {
            host: uri.host.to_ascii_lowercase(),
            port: uri.port,
            transport,
        })
    }

    /// The IP when the host is a literal (brackets stripped).
    pub fn ip(&self) -> Option<IpAddr> {
        self.host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()
    }
}

/// One DNS lookup the caller must perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    Naptr {
        name: String,
    },
    Srv {
        name: String,
    },
    /// A and AAAA of a host name.
    Ip {
        host: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NaptrRecord {
    pub order: u16,
    pub preference: u16,
    pub flags: String,
    pub services: String,
    pub replacement: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    pub target: String,
}

/// The result of a [`Query`]; failures are empty answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Naptr(Vec<NaptrRecord>),
    Srv(Vec<SrvRecord>),
    Ip(Vec<IpAddr>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Query(Query),
    /// Addresses to try in order (possibly empty: the name does not resolve).
    Done(Vec<Peer>),
}

#[derive(Debug)]
enum Stage {
    Naptr,
    Srv,
    Ip,
    Done,
}

#[derive(Debug)]
pub struct Resolution {
    host: String,
    stage: Stage,
    /// SRV names still to try, with the transport each stands for.
    srv: VecDeque<(String, TransportKind)>,
    /// Used when no SRV record is found: the name itself on the default port.
    fallback: (String, u16, TransportKind),
    /// Hosts still to look up, with port and transport.
    hosts: VecDeque<(String, u16, TransportKind)>,
    found: Vec<Peer>,
    supported: Vec<TransportKind>,
}

fn default_port(t: TransportKind) -> u16 {
    match t {
        TransportKind::Tls => 5061,
        _ => 5060,
    }
}

fn srv_name(t: TransportKind, host: &str) -> String {
    match t {
        TransportKind::Udp => format!("_sip._udp.{host}"),
        TransportKind::Tcp => format!("_sip._tcp.{host}"),
        TransportKind::Tls => format!("_sips._tcp.{host}"),
    }
}

fn naptr_transport(services: &str) -> Option<TransportKind> {
    match services.to_ascii_uppercase().as_str() {
        "SIP+D2U" => Some(TransportKind::Udp),
        "SIP+D2T" => Some(TransportKind::Tcp),
        "SIPS+D2T" => Some(TransportKind::Tls),
        _ => None,
    }
}

/// DNS names come back fully qualified (`sip.example.com.`); the trailing dot means nothing to us.
fn bare(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

impl Resolution {
    /// `supported` lists the transports the box can use towards the provider, most preferred
    /// first (normally `[Udp, Tcp]`); an empty list means UDP only.
    pub fn new(target: &Target, supported: &[TransportKind]) -> Resolution {
        let supported = if supported.is_empty() {
            vec![TransportKind::Udp]
        } else {
            supported.to_vec()
        };
        let default_t = target.transport.unwrap_or(supported[0]);
        let host = target.host.clone();
        let mut r = Resolution {
            fallback: (host.clone(), default_port(default_t), default_t),
            host,
            stage: Stage::Done,
            srv: VecDeque::new(),
            hosts: VecDeque::new(),
            found: Vec::new(),
            supported,
        };
        if let Some(ip) = target.ip() {
            let port = target.port.unwrap_or(default_port(default_t));
            r.found.push(Peer {
                transport: default_t,
                addr: SocketAddr::new(ip, port),
            });
        } else if let Some(port) = target.port {
            r.hosts.push_back((r.host.clone(), port, default_t));
            r.stage = Stage::Ip;
        } else if let Some(t) = target.transport {
            r.srv.push_back((srv_name(t, &r.host), t));
            r.stage = Stage::Srv;
        } else {
            r.stage = Stage::Naptr;
        }
        r
    }

    /// The next lookup, or the final list.
    pub fn step(&mut self) -> Step {
        match self.stage {
            Stage::Naptr => Step::Query(Query::Naptr {
                name: self.host.clone(),
            }),
            Stage::Srv => match self.srv.front() {
                Some((name, _)) => Step::Query(Query::Srv { name: name.clone() }),
                None => {
                    self.hosts.push_back(self.fallback.clone());
                    self.stage = Stage::Ip;
                    self.step()
                }
            },
            Stage::Ip => match self.hosts.front() {
                Some((host, _, _)) => Step::Query(Query::Ip { host: host.clone() }),
                None => {
                    self.stage = Stage::Done;
                    Step::Done(self.found.clone())
                }
            },
            Stage::Done => Step::Done(self.found.clone()),
        }
    }

    /// Feeds the answer to the query [`Resolution::step`] returned. An answer of the wrong kind
    /// counts as empty.
    pub fn answer(&mut self, answer: Answer, rng: &mut dyn RngCore) {
        match self.stage {
            Stage::Naptr => {
                let records = match answer {
                    Answer::Naptr(r) => r,
                    _ => Vec::new(),
                };
                self.on_naptr(records);
            }
            Stage::Srv => {
                let Some((_, transport)) = self.srv.pop_front() else {
                    return;
                };
                let records = match answer {
                    Answer::Srv(r) => r,
                    _ => Vec::new(),
                };
                let usable: Vec<SrvRecord> = records
                    .into_iter()
                    .filter(|r| !bare(&r.target).is_empty())
                    .collect();
                if !usable.is_empty() {
                    self.srv.clear();
                    for r in order_srv(usable, rng) {
                        self.hosts.push_back((bare(&r.target), r.port, transport));
                    }
                    self.stage = Stage::Ip;
                }
            }
            Stage::Ip => {
                let Some((_, port, transport)) = self.hosts.pop_front() else {
                    return;
                };
                if let Answer::Ip(ips) = answer {
                    for ip in ips {
                        let peer = Peer {
                            transport,
                            addr: SocketAddr::new(ip, port),
                        };
                        if !self.found.contains(&peer) {
                            self.found.push(peer);
                        }
                    }
                }
            }
            Stage::Done => {}
        }
    }

    fn on_naptr(&mut self, records: Vec<NaptrRecord>) {
        let mut usable: Vec<(NaptrRecord, TransportKind)> = records
            .into_iter()
            .filter(|r| r.flags.eq_ignore_ascii_case("s") && !bare(&r.replacement).is_empty())
            .filter_map(|r| naptr_transport(&r.services).map(|t| (r, t)))
            .filter(|(_, t)| self.supported.contains(t))
            .collect();
        usable.sort_by_key(|(r, _)| (r.order, r.preference));
        if usable.is_empty() {
            // §4.1: no NAPTR records → SRV for every transport we support.
            for t in &self.supported {
                self.srv.push_back((srv_name(*t, &self.host), *t));
            }
        } else {
            for (r, t) in usable {
                self.srv.push_back((bare(&r.replacement), t));
            }
        }
        self.stage = Stage::Srv;
    }
}

/// RFC 2782 ordering: ascending priority; within one priority, repeatedly pick a record with
/// probability proportional to its weight (zero-weight records first in the running sum, so they
/// are picked only when nothing else remains or the draw lands on zero).
pub fn order_srv(mut records: Vec<SrvRecord>, rng: &mut dyn RngCore) -> Vec<SrvRecord> {
    records.sort_by_key(|r| (r.priority, r.weight != 0));
    let mut out = Vec::with_capacity(records.len());
    while !records.is_empty() {
        let priority = records[0].priority;
        let end = records
            .iter()
            .position(|r| r.priority != priority)
            .unwrap_or(records.len());
        let mut group: Vec<SrvRecord> = records.drain(..end).collect();
        while !group.is_empty() {
            let total: u32 = group.iter().map(|r| u32::from(r.weight)).sum();
            let draw = if total == 0 {
                0
            } else {
                rng.next_u32() % (total + 1)
            };
            let mut running = 0u32;
            let pick = group
                .iter()
                .position(|r| {
                    running += u32::from(r.weight);
                    running >= draw
                })
                .unwrap_or(group.len() - 1);
            out.push(group.remove(pick));
        }
    }
    out
}

#[cfg(test)]
mod tests;
