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
            .filter(|r| r.flags.eq_ignore_ascii_case("s"))
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
mod tests {
    use super::*;
    use rand::rngs::mock::StepRng;

    fn srv(priority: u16, weight: u16, port: u16, target: &str) -> SrvRecord {
        SrvRecord {
            priority,
            weight,
            port,
            target: target.into(),
        }
    }

    fn naptr(order: u16, pref: u16, flags: &str, services: &str, repl: &str) -> NaptrRecord {
        NaptrRecord {
            order,
            preference: pref,
            flags: flags.into(),
            services: services.into(),
            replacement: repl.into(),
        }
    }

    fn peer(t: TransportKind, addr: &str) -> Peer {
        Peer {
            transport: t,
            addr: addr.parse().unwrap(),
        }
    }

    /// Runs a resolution against a table of answers; returns the queries asked and the result.
    fn run(target: &str, answers: &[(Query, Answer)]) -> (Vec<Query>, Vec<Peer>) {
        let mut r = Resolution::new(
            &Target::parse(target).unwrap(),
            &[TransportKind::Udp, TransportKind::Tcp],
        );
        let mut rng = StepRng::new(0, 0);
        let mut asked = Vec::new();
        loop {
            match r.step() {
                Step::Done(peers) => return (asked, peers),
                Step::Query(q) => {
                    let a = answers
                        .iter()
                        .find(|(k, _)| *k == q)
                        .map(|(_, a)| a.clone())
                        .unwrap_or(match &q {
                            Query::Naptr { .. } => Answer::Naptr(vec![]),
                            Query::Srv { .. } => Answer::Srv(vec![]),
                            Query::Ip { .. } => Answer::Ip(vec![]),
                        });
                    asked.push(q);
                    r.answer(a, &mut rng);
                }
            }
            assert!(asked.len() < 20, "no progress");
        }
    }

    fn ip(host: &str) -> Query {
        Query::Ip { host: host.into() }
    }
    fn ips(list: &[&str]) -> Answer {
        Answer::Ip(list.iter().map(|s| s.parse().unwrap()).collect())
    }

    #[test]
    fn target_parsing() {
        let t = Target::parse("sip:Proxy.Example.com:5070;transport=TCP").unwrap();
        assert_eq!(t.host, "proxy.example.com");
        assert_eq!(t.port, Some(5070));
        assert_eq!(t.transport, Some(TransportKind::Tcp));
        let t = Target::parse("[2001:db8::1]:5080").unwrap();
        assert_eq!(t.ip(), Some("2001:db8::1".parse().unwrap()));
        assert_eq!(
            Target::parse("sips:x.example").unwrap().transport,
            Some(TransportKind::Tls)
        );
        for bad in [
            "",
            "user@host",
            "host:99999",
            "a b",
            "host;transport=sctp",
            "<x>",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn numeric_ip_needs_no_lookup() {
        let (asked, peers) = run("192.0.2.7", &[]);
        assert!(asked.is_empty());
        assert_eq!(peers, vec![peer(TransportKind::Udp, "192.0.2.7:5060")]);
        let (_, peers) = run("sip:[2001:db8::5]:5999;transport=tcp", &[]);
        assert_eq!(peers, vec![peer(TransportKind::Tcp, "[2001:db8::5]:5999")]);
    }

    #[test]
    fn explicit_port_goes_straight_to_a_records() {
        let (asked, peers) = run(
            "sip.example.com:5080",
            &[(ip("sip.example.com"), ips(&["192.0.2.1", "192.0.2.2"]))],
        );
        assert_eq!(asked, vec![ip("sip.example.com")]);
        assert_eq!(
            peers,
            vec![
                peer(TransportKind::Udp, "192.0.2.1:5080"),
                peer(TransportKind::Udp, "192.0.2.2:5080")
            ]
        );
    }

    #[test]
    fn explicit_transport_asks_srv_for_it() {
        let (asked, peers) = run(
            "example.com;transport=tcp",
            &[
                (
                    Query::Srv {
                        name: "_sip._tcp.example.com".into(),
                    },
                    Answer::Srv(vec![srv(10, 0, 5070, "edge.example.com.")]),
                ),
                (ip("edge.example.com"), ips(&["192.0.2.9"])),
            ],
        );
        assert_eq!(asked.len(), 2);
        assert_eq!(peers, vec![peer(TransportKind::Tcp, "192.0.2.9:5070")]);
    }

    #[test]
    fn naptr_then_srv_then_a_in_order() {
        let answers = [
            (
                Query::Naptr {
                    name: "example.com".into(),
                },
                Answer::Naptr(vec![
                    naptr(20, 10, "s", "SIP+D2U", "_sip._udp.example.com."),
                    naptr(10, 10, "s", "SIPS+D2T", "_sips._tcp.example.com."),
                    naptr(10, 20, "s", "SIP+D2T", "_sip._tcp.example.com."),
                    naptr(5, 10, "u", "SIP+D2U", "!bogus!"),
                ]),
            ),
            (
                Query::Srv {
                    name: "_sip._tcp.example.com".into(),
                },
                Answer::Srv(vec![
                    srv(20, 0, 5060, "backup.example.com."),
                    srv(10, 0, 5062, "main.example.com."),
                ]),
            ),
            (ip("main.example.com"), ips(&["192.0.2.10"])),
            (ip("backup.example.com"), ips(&["192.0.2.20", "192.0.2.10"])),
        ];
        let (asked, peers) = run("example.com", &answers);
        // TLS is not supported here, so the SIP+D2T record (order 10, pref 20) wins over UDP.
        assert_eq!(
            asked,
            vec![
                Query::Naptr {
                    name: "example.com".into()
                },
                Query::Srv {
                    name: "_sip._tcp.example.com".into()
                },
                ip("main.example.com"),
                ip("backup.example.com"),
            ]
        );
        assert_eq!(
            peers,
            vec![
                peer(TransportKind::Tcp, "192.0.2.10:5062"),
                peer(TransportKind::Tcp, "192.0.2.20:5060"),
                peer(TransportKind::Tcp, "192.0.2.10:5060"),
            ]
        );
    }

    #[test]
    fn without_naptr_srv_per_transport_then_a_on_5060() {
        let (asked, peers) = run(
            "example.net",
            &[(ip("example.net"), ips(&["198.51.100.4"]))],
        );
        assert_eq!(
            asked,
            vec![
                Query::Naptr {
                    name: "example.net".into()
                },
                Query::Srv {
                    name: "_sip._udp.example.net".into()
                },
                Query::Srv {
                    name: "_sip._tcp.example.net".into()
                },
                ip("example.net"),
            ]
        );
        assert_eq!(peers, vec![peer(TransportKind::Udp, "198.51.100.4:5060")]);

        // A UDP SRV record found first stops the search.
        let (asked, peers) = run(
            "example.net",
            &[
                (
                    Query::Srv {
                        name: "_sip._udp.example.net".into(),
                    },
                    Answer::Srv(vec![srv(1, 1, 5090, "u.example.net")]),
                ),
                (ip("u.example.net"), ips(&["198.51.100.5"])),
            ],
        );
        assert_eq!(asked.len(), 3);
        assert_eq!(peers, vec![peer(TransportKind::Udp, "198.51.100.5:5090")]);
    }

    #[test]
    fn srv_dot_target_means_no_service_and_nothing_resolves_to_empty() {
        let (_, peers) = run(
            "nosip.example;transport=udp",
            &[(
                Query::Srv {
                    name: "_sip._udp.nosip.example".into(),
                },
                Answer::Srv(vec![srv(0, 0, 0, ".")]),
            )],
        );
        assert!(peers.is_empty());
    }

    #[test]
    fn srv_weights_are_respected_statistically() {
        use rand::SeedableRng;
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut heavy_first = 0;
        for _ in 0..1000 {
            let order = order_srv(
                vec![
                    srv(1, 10, 1, "light"),
                    srv(1, 90, 2, "heavy"),
                    srv(0, 5, 3, "top"),
                ],
                &mut rng,
            );
            assert_eq!(order[0].target, "top");
            if order[1].target == "heavy" {
                heavy_first += 1;
            }
        }
        assert!((820..=980).contains(&heavy_first), "{heavy_first}");
    }

    #[test]
    fn srv_ordering_never_panics_on_zero_or_max_weights() {
        let mut rng = StepRng::new(u64::MAX, 7);
        let out = order_srv(
            vec![
                srv(1, 0, 1, "a"),
                srv(1, 0, 2, "b"),
                srv(1, u16::MAX, 3, "c"),
            ],
            &mut rng,
        );
        assert_eq!(out.len(), 3);
    }
}
