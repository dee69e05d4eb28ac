//! RFC 3263 resolution against canned DNS answers.
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

#[test]
fn unusable_naptr_records_fall_back_to_srv() {
    let (asked, peers) = run(
        "example.org",
        &[
            (
                Query::Naptr {
                    name: "example.org".into(),
                },
                Answer::Naptr(vec![naptr(1, 1, "s", "SIPS+D2T", "_sips._tcp.example.org")]),
            ),
            (
                Query::Srv {
                    name: "_sip._udp.example.org".into(),
                },
                Answer::Srv(vec![srv(1, 0, 5060, "u.example.org")]),
            ),
            (ip("u.example.org"), ips(&["203.0.113.1"])),
        ],
    );
    assert_eq!(
        asked[1],
        Query::Srv {
            name: "_sip._udp.example.org".into()
        }
    );
    assert_eq!(peers, vec![peer(TransportKind::Udp, "203.0.113.1:5060")]);
}

#[test]
fn tls_is_used_when_supported_and_offered() {
    let mut r = Resolution::new(
        &Target::parse("sips:secure.example").unwrap(),
        &[TransportKind::Tls],
    );
    let mut rng = StepRng::new(0, 0);
    assert_eq!(
        r.step(),
        Step::Query(Query::Srv {
            name: "_sips._tcp.secure.example".into()
        })
    );
    r.answer(Answer::Srv(vec![]), &mut rng);
    assert_eq!(r.step(), Step::Query(ip("secure.example")));
    r.answer(ips(&["192.0.2.44"]), &mut rng);
    assert_eq!(
        r.step(),
        Step::Done(vec![peer(TransportKind::Tls, "192.0.2.44:5061")])
    );
}

#[test]
fn a_wrong_kind_of_answer_counts_as_empty() {
    let mut r = Resolution::new(&Target::host("x.example"), &[]);
    let mut rng = StepRng::new(0, 0);
    r.answer(Answer::Ip(vec!["192.0.2.1".parse().unwrap()]), &mut rng);
    assert_eq!(
        r.step(),
        Step::Query(Query::Srv {
            name: "_sip._udp.x.example".into()
        })
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("a.example".to_string()),
            Just("b.example.".to_string()),
            Just(".".to_string()),
            Just("".to_string()),
            "[a-z]{1,5}\\.test",
        ]
    }

    fn answer() -> impl Strategy<Value = Answer> {
        prop_oneof![
            prop::collection::vec(
                (
                    any::<u16>(),
                    any::<u16>(),
                    "[sSuUaA]?",
                    "SIP\\+D2[UTX]|SIPS\\+D2T|E2U\\+sip",
                    name()
                ),
                0..4
            )
            .prop_map(|v| Answer::Naptr(
                v.into_iter()
                    .map(|(o, p, f, s, r)| naptr(o, p, &f, &s, &r))
                    .collect()
            )),
            prop::collection::vec((any::<u16>(), any::<u16>(), any::<u16>(), name()), 0..6)
                .prop_map(|v| Answer::Srv(
                    v.into_iter()
                        .map(|(p, w, port, t)| srv(p, w, port, &t))
                        .collect()
                )),
            prop::collection::vec(any::<[u8; 4]>(), 0..4)
                .prop_map(|v| Answer::Ip(v.into_iter().map(std::net::IpAddr::from).collect())),
        ]
    }

    proptest! {
        /// Whatever DNS says, the machine ends after a bounded number of lookups, without
        /// panicking, and every address it returns came from an A/AAAA answer.
        #[test]
        fn any_answers_terminate(
            answers in prop::collection::vec(answer(), 0..40),
            seed in any::<u64>(),
            target in prop_oneof![
                Just("example.com"),
                Just("example.com;transport=tcp"),
                Just("example.com:5070"),
                Just("192.0.2.1"),
            ],
        ) {
            let mut r = Resolution::new(
                &Target::parse(target).unwrap(),
                &[TransportKind::Udp, TransportKind::Tcp],
            );
            let mut rng = StepRng::new(seed, 7);
            let mut given = answers.into_iter();
            let mut steps = 0;
            let mut seen_ips = Vec::new();
            loop {
                match r.step() {
                    Step::Done(peers) => {
                        for p in peers {
                            prop_assert!(
                                seen_ips.contains(&p.addr.ip()) || target == "192.0.2.1"
                            );
                        }
                        break;
                    }
                    Step::Query(_) => {
                        let a = given.next().unwrap_or(Answer::Ip(vec![]));
                        if let Answer::Ip(ips) = &a {
                            seen_ips.extend(ips.iter().copied());
                        }
                        r.answer(a, &mut rng);
                        steps += 1;
                        // NAPTR + 3 SRV names at most + one host per SRV record (≤ 6) + fallback.
                        prop_assert!(steps <= 1 + 4 + 6 + 1, "{steps} lookups");
                    }
                }
            }
        }
    }
}
