//! Trunk registration against fake provider registrars, in virtual time (RFC 3261 §10.2,
//! RFC 3581, RFC 8760): challenge, refresh, back-off, 423, NAT rediscovery, keep-alives,
//! failover to the secondary and back, unregister.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod trunk_support;

use std::time::Duration;

use pbx::trunk::{FailureReason, KeepAlive, ProviderRole, TrunkGroup, TrunkState};
use sip::digest::Algorithm;
use sip::header::Credentials;
use sip::message::{HeaderName, SipHeaders};
use trunk_support::*;

fn no_keepalive() -> impl Fn(&mut pbx::trunk::ProviderConfig) {
    keepalive(KeepAlive::Off)
}

#[test]
fn registers_after_a_digest_challenge() {
    for alg in [Algorithm::Md5, Algorithm::Sha256] {
        let mut w = World::new(false, no_keepalive());
        w.primary().policy.algorithm = alg;
        let t0 = w.now;
        w.run_for(secs(1));
        let regs: Vec<_> = w.primary().registers().into_iter().cloned().collect();
        assert_eq!(regs.len(), 2, "challenge then credentials");
        assert!(regs[0].headers.get(&HeaderName::Authorization).is_none());
        let creds =
            Credentials::from_header(regs[1].headers.get(&HeaderName::Authorization).unwrap())
                .unwrap();
        assert_eq!(creds.username, "centralita1");
        assert_eq!(creds.uri, "sip:sip.primary.test");
        assert_eq!(creds.qop.as_deref(), Some("auth"));
        assert_eq!(creds.nc.as_deref(), Some("00000001"));
        assert!(creds.cnonce.as_deref().is_some_and(|c| c.len() >= 8));
        assert_eq!(creds.algorithm.as_deref(), Some(alg.as_str()));
        // §10.2.4: same Call-ID, CSeq counting up; RFC 3581 rport in Via.
        assert_eq!(regs[0].call_id(), regs[1].call_id());
        assert_eq!(regs[0].cseq().unwrap().seq + 1, regs[1].cseq().unwrap().seq);
        assert!(regs[0].top_via().unwrap().params.has("rport"));
        assert_eq!(regs[1].expires(), Some(3600));
        assert_eq!(
            w.group.client(ProviderRole::Primary).unwrap().state(),
            &TrunkState::Registered {
                until: t0 + secs(3600)
            }
        );
        let now = w.now;
        assert_eq!(
            w.primary().live_bindings(now),
            vec!["sip:centralita1@10.0.0.2:5060".to_string()]
        );
    }
}

#[test]
fn proxy_and_registrar_challenges_are_both_answered() {
    let mut w = World::new(false, no_keepalive());
    w.primary().policy.proxy_challenge = true;
    w.run_for(secs(1));
    let regs: Vec<_> = w.primary().registers().into_iter().cloned().collect();
    assert_eq!(regs.len(), 3, "407, then 401, then accepted");
    let has = |i: usize, h: HeaderName| regs[i].headers.get(&h).is_some();
    assert!(!has(0, HeaderName::ProxyAuthorization) && !has(0, HeaderName::Authorization));
    assert!(has(1, HeaderName::ProxyAuthorization) && !has(1, HeaderName::Authorization));
    assert!(has(2, HeaderName::ProxyAuthorization) && has(2, HeaderName::Authorization));
    assert!(w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .is_registered());
}

#[test]
fn refreshes_before_the_granted_expiry_with_the_same_call_id() {
    let mut w = World::new(false, no_keepalive());
    w.primary().policy.max_expires = 600; // the registrar grants less than the 3600 asked
    w.primary().set_nonce_lifetime(3600);
    let t0 = w.now;
    w.run_for(secs(539));
    assert_eq!(w.primary().registers().len(), 2);
    w.run_for(secs(2));
    let regs: Vec<_> = w.primary().registers().into_iter().cloned().collect();
    assert_eq!(regs.len(), 3, "refresh at 600 - 60 s");
    assert_eq!(regs[2].call_id(), regs[0].call_id());
    assert_eq!(regs[2].cseq().unwrap().seq, 3);
    // Pre-emptive credentials on the refresh, next nc for the same nonce.
    let creds =
        Credentials::from_header(regs[2].headers.get(&HeaderName::Authorization).unwrap()).unwrap();
    assert_eq!(creds.nc.as_deref(), Some("00000002"));
    let state = w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .clone();
    assert_eq!(
        state,
        TrunkState::Registered {
            until: t0 + secs(540) + secs(600)
        }
    );
    // And again one period later, forever, without ever lapsing.
    w.run_for(secs(3 * 540));
    assert_eq!(w.primary().registers().len(), 6);
    let now = w.now;
    assert_eq!(w.primary().live_bindings(now).len(), 1);
}

#[test]
fn a_stale_nonce_on_refresh_is_answered_without_failing() {
    let mut w = World::new(false, no_keepalive());
    // Nonces live 300 s; the refresh at 3540 s carries an old one and gets 401 stale.
    w.run_for(secs(3541));
    let regs = w.primary().registers().len();
    assert_eq!(
        regs, 4,
        "challenge, credentials, stale refresh, fresh credentials"
    );
    assert!(w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .is_registered());
}

#[test]
fn failures_back_off_doubling_with_jitter_up_to_the_cap() {
    let mut w = World::new(false, no_keepalive());
    w.primary().policy.fail_with = Some(500);
    let t0 = w.now;
    w.run_for(secs(4 * 3600));
    let times = w.register_offsets(PRIMARY, t0);
    // An attempt may be several REGISTERs at one instant (a stale nonce is answered again);
    // look at attempt starts.
    let mut starts: Vec<f64> = Vec::new();
    for t in times {
        if starts.last().is_none_or(|l| t - l > 1.0) {
            starts.push(t);
        }
    }
    let gaps: Vec<f64> = starts.windows(2).map(|p| p[1] - p[0]).collect();
    let nominal = [30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1800.0, 1800.0];
    for (i, n) in nominal.iter().enumerate() {
        assert!(
            gaps[i] <= *n && gaps[i] >= 0.75 * n,
            "gap {i} = {} not within jitter of {n}: {gaps:?}",
            gaps[i]
        );
    }
    let client = w.group.client(ProviderRole::Primary).unwrap();
    match client.state() {
        TrunkState::Failed { reason, retry_at } => {
            assert_eq!(reason, &FailureReason::Rejected { status: 500 });
            assert!(*retry_at > w.now);
        }
        other => panic!("{other:?}"),
    }
    // Recovery resets the back-off.
    w.primary().policy.fail_with = None;
    w.run_for(secs(1801));
    let client = w.group.client(ProviderRole::Primary).unwrap();
    assert!(client.state().is_registered());
    assert_eq!(client.failures(), 0);
}

#[test]
fn timeouts_back_off_too() {
    let mut w = World::new(false, no_keepalive());
    w.primary().policy.down = true;
    let t0 = w.now;
    w.run_for(secs(33));
    match w.group.client(ProviderRole::Primary).unwrap().state() {
        TrunkState::Failed { reason, retry_at } => {
            assert_eq!(reason, &FailureReason::Timeout);
            // Timer F (32 s) then 22.5-30 s of back-off.
            let at = retry_at.duration_since(t0).as_secs_f64();
            assert!((32.0 + 22.5..=62.0).contains(&at), "{at}");
        }
        other => panic!("{other:?}"),
    }
    // Second timeout: the next delay is about twice as long.
    w.run_for(secs(100));
    let client = w.group.client(ProviderRole::Primary).unwrap();
    assert_eq!(client.failures(), 2);
    // Sent (and retransmitted) but never answered: the provider saw nothing.
    assert!(w.primary().seen.is_empty());
}

#[test]
fn interval_too_brief_raises_expires_to_min_expires() {
    let mut w = World::new(false, |c| {
        c.keepalive = KeepAlive::Off;
        c.timing.expires = 300;
    });
    w.primary().policy.min_expires = 1800;
    w.run_for(secs(1));
    let regs: Vec<_> = w.primary().registers().into_iter().cloned().collect();
    let expires: Vec<_> = regs.iter().map(|r| r.expires().unwrap()).collect();
    assert_eq!(expires, vec![300, 300, 1800]);
    let client = w.group.client(ProviderRole::Primary).unwrap();
    assert!(client.state().is_registered());
    assert_eq!(client.requested_expires(), 1800);
}

#[test]
fn min_expires_above_the_default_interval_is_adopted() {
    let mut w = World::new(false, no_keepalive());
    w.primary().policy.min_expires = 7200;
    w.primary().policy.max_expires = 7200;
    w.run_for(secs(1));
    // 3600 asked → 423 Min-Expires 7200 → 7200 asked → registered.
    assert!(w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .is_registered());
}

#[test]
fn wrong_password_fails_with_auth_rejected_and_retries_later() {
    let mut w = World::new(false, no_keepalive());
    w.primary().policy.password = "other".into();
    w.run_for(secs(1));
    assert_eq!(
        w.primary().registers().len(),
        2,
        "one answer to one challenge"
    );
    match w.group.client(ProviderRole::Primary).unwrap().state() {
        TrunkState::Failed { reason, .. } => {
            assert_eq!(reason, &FailureReason::AuthRejected { status: 401 })
        }
        other => panic!("{other:?}"),
    }
    w.run_for(secs(31));
    assert_eq!(w.primary().registers().len(), 4);
}

#[test]
fn nat_public_address_is_learned_and_rebinding_is_followed() {
    let mut w = World::new(false, keepalive(KeepAlive::Options { every: secs(20) }));
    w.nat = Some(addr("203.0.113.5:40000"));
    w.run_for(secs(1));
    let regs: Vec<_> = w.primary().registers().into_iter().cloned().collect();
    // The 401 already shows the public address, so the answer to it binds the public contact.
    assert_eq!(regs.len(), 2);
    let contacts = |r: &sip::Request| -> Vec<String> {
        r.headers
            .values(&HeaderName::Contact)
            .map(str::to_string)
            .collect()
    };
    assert_eq!(contacts(&regs[0]), vec!["<sip:centralita1@10.0.0.2:5060>"]);
    assert_eq!(
        contacts(&regs[1]),
        vec!["<sip:centralita1@203.0.113.5:40000>"]
    );
    let now = w.now;
    assert_eq!(
        w.primary().live_bindings(now),
        vec!["sip:centralita1@203.0.113.5:40000".to_string()]
    );
    // Via keeps the local address: the provider answers to the source anyway (rport).
    assert_eq!(regs[1].top_via().unwrap().host, "10.0.0.2");

    // Keep-alives every 20 s hold the mapping open.
    w.run_for(secs(60));
    assert_eq!(w.primary().options_count(), 3);
    let (reg_call_id, options): (String, Vec<sip::Request>) = {
        let p = w.primary();
        let reg = p.registers()[0].call_id().unwrap().to_string();
        let opts = p
            .seen
            .iter()
            .filter(|(_, r)| r.method == sip::Method::Options)
            .map(|(_, r)| r.clone())
            .collect();
        (reg, opts)
    };
    // Their own Call-ID (shared by all of them), CSeq counting up.
    assert!(options
        .iter()
        .all(|o| o.call_id() != Some(reg_call_id.as_str())));
    assert!(options
        .windows(2)
        .all(|p| p[0].call_id() == p[1].call_id()
            && p[0].cseq().unwrap().seq < p[1].cseq().unwrap().seq));

    // The router reboots and maps us to another port; the next keep-alive's response shows it
    // (responses to the old mapping are lost, so Timer F ends that OPTIONS first).
    w.nat = Some(addr("203.0.113.5:41000"));
    w.run_for(secs(60));
    let now = w.now;
    assert_eq!(
        w.primary().live_bindings(now),
        vec!["sip:centralita1@203.0.113.5:41000".to_string()]
    );
    assert_eq!(
        w.group
            .client(ProviderRole::Primary)
            .unwrap()
            .public_address(),
        Some(addr("203.0.113.5:41000"))
    );
    // The REGISTER that moved the binding also removed the old one explicitly.
    let last = w.primary().registers().last().cloned().unwrap().clone();
    assert_eq!(
        contacts(&last),
        vec![
            "<sip:centralita1@203.0.113.5:41000>",
            "<sip:centralita1@203.0.113.5:40000>;expires=0"
        ]
    );
}

#[test]
fn a_provider_reporting_a_new_port_every_time_does_not_make_us_loop() {
    let mut w = World::new(false, no_keepalive());
    w.nat = Some(addr("203.0.113.5:40000"));
    w.rotate_nat = true;
    w.run_for(secs(10));
    // challenge, credentials, then at most two re-REGISTERs chasing the moving address.
    assert_eq!(w.primary().registers().len(), 4);
    assert!(w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .is_registered());
}

#[test]
fn crlf_keepalives_while_registered_only() {
    let mut w = World::new(false, keepalive(KeepAlive::Crlf { every: secs(25) }));
    w.run_for(secs(101));
    let times: Vec<u64> = w
        .crlf
        .iter()
        .map(|(t, _)| t.duration_since(w.crlf[0].0).as_secs())
        .collect();
    assert_eq!(times, vec![0, 25, 50, 75]);
    assert!(w.crlf.iter().all(|(_, p)| *p == udp(PRIMARY)));
    assert_eq!(w.primary().options_count(), 0);
}

#[test]
fn failover_to_the_secondary_when_the_primary_fails_and_back() {
    let mut w = World::new(true, no_keepalive());
    w.primary().policy.fail_with = Some(403);
    w.run_for(secs(1));
    let now = w.now;
    assert_eq!(w.group.active(now), ProviderRole::Secondary);
    let status = w.group.status(now);
    assert_eq!(status.len(), 2);
    assert!(status[0].state.is_failed() && !status[0].active);
    assert!(status[1].state.is_registered() && status[1].active);
    assert_eq!(status[1].domain, "sip.secondary.test");
    assert_eq!(status[1].server, Some(udp(SECONDARY)));
    assert_eq!(status[1].public_address, Some(addr(BOX_LOCAL)));

    // The primary comes back: its next retry succeeds and calls return to it.
    w.primary().policy.fail_with = None;
    w.run_for(secs(31));
    let now = w.now;
    assert_eq!(w.group.active(now), ProviderRole::Primary);
}

#[test]
fn invite_failures_hold_the_primary_down_for_a_while() {
    let mut w = World::new(true, no_keepalive());
    w.group = std::mem::replace(&mut w.group, placeholder()).with_hold_down(secs(120));
    w.run_for(secs(1));
    let now = w.now;
    assert_eq!(w.group.active(now), ProviderRole::Primary);
    let before = w.primary().registers().len();
    w.group.report_invite_failure(ProviderRole::Primary, now);
    assert_eq!(w.group.active(now), ProviderRole::Secondary);
    // The primary is probed at once (and still registers fine).
    w.run_for(secs(1));
    assert!(w.primary().registers().len() > before);
    let now = w.now;
    assert_eq!(w.group.active(now), ProviderRole::Secondary, "held down");
    w.run_for(secs(120));
    let now = w.now;
    assert_eq!(w.group.active(now), ProviderRole::Primary);
}

#[test]
fn a_dead_primary_found_by_a_keepalive_timeout_fails_over() {
    let mut w = World::new(true, keepalive(KeepAlive::Options { every: secs(30) }));
    w.run_for(secs(1));
    w.primary().policy.down = true;
    // keep-alive at 30 s, its Timer F at 62 s, the REGISTER probe's Timer F at 94 s.
    w.run_for(secs(95));
    let now = w.now;
    assert!(w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .is_failed());
    assert_eq!(w.group.active(now), ProviderRole::Secondary);
}

#[test]
fn unregisters_on_shutdown() {
    let mut w = World::new(true, no_keepalive());
    w.run_for(secs(1));
    let now = w.now;
    w.group.shutdown(now);
    w.run_for(secs(1));
    assert!(w.group.is_stopped());
    for which in [PRIMARY, SECONDARY] {
        let p = w.providers.get(&addr(which)).unwrap();
        let last = p.registers().last().cloned().unwrap().clone();
        assert_eq!(last.expires(), Some(0));
        assert_eq!(
            last.headers.get(&HeaderName::Contact),
            Some("<sip:centralita1@10.0.0.2:5060>")
        );
        assert!(last.headers.get(&HeaderName::Authorization).is_some());
        assert!(p.live_bindings(w.now).is_empty(), "{which}");
    }
    let state = w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .clone();
    assert_eq!(state, TrunkState::Unregistered);
    // Nothing more happens afterwards.
    assert_eq!(w.group.poll_timeout(), None);
}

#[test]
fn unresolvable_domain_fails_and_retries_resolution() {
    let mut w = World::new(false, no_keepalive());
    w.dns.clear();
    w.run_for(secs(1));
    match w.group.client(ProviderRole::Primary).unwrap().state() {
        TrunkState::Failed { reason, .. } => assert_eq!(reason, &FailureReason::ResolveFailed),
        other => panic!("{other:?}"),
    }
    w.dns.insert("sip.primary.test".into(), vec![udp(PRIMARY)]);
    w.run_for(secs(31));
    assert!(w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .is_registered());
}

#[test]
fn a_lost_dns_answer_times_out_and_is_retried() {
    let mut w = World::new(false, no_keepalive());
    w.dns_blackhole = true;
    w.run_for(secs(59));
    let state = w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .clone();
    assert_eq!(state, TrunkState::Registering);
    w.run_for(secs(2));
    match w.group.client(ProviderRole::Primary).unwrap().state() {
        TrunkState::Failed { reason, .. } => assert_eq!(reason, &FailureReason::ResolveFailed),
        other => panic!("{other:?}"),
    }
    w.dns_blackhole = false;
    w.run_for(secs(31));
    assert!(w
        .group
        .client(ProviderRole::Primary)
        .unwrap()
        .state()
        .is_registered());
}

#[test]
fn ipv6_addresses_are_skipped_by_an_ipv4_box() {
    let mut w = World::new(false, no_keepalive());
    w.dns.insert(
        "sip.primary.test".into(),
        vec![udp("[2001:db8::10]:5060"), udp(PRIMARY)],
    );
    w.run_for(secs(1));
    let client = w.group.client(ProviderRole::Primary).unwrap();
    assert!(client.state().is_registered());
    assert_eq!(client.resolved(), &[udp(PRIMARY)]);

    let mut w = World::new(false, no_keepalive());
    w.dns
        .insert("sip.primary.test".into(), vec![udp("[2001:db8::10]:5060")]);
    w.run_for(secs(1));
    match w.group.client(ProviderRole::Primary).unwrap().state() {
        TrunkState::Failed { reason, .. } => assert_eq!(reason, &FailureReason::ResolveFailed),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_timeout_moves_to_the_next_resolved_address() {
    let mut w = World::new(false, no_keepalive());
    w.dns.insert(
        "sip.primary.test".into(),
        vec![udp("192.0.2.99:5060"), udp(PRIMARY)],
    );
    w.run_for(secs(32 + 31));
    let client = w.group.client(ProviderRole::Primary).unwrap();
    assert!(client.state().is_registered());
    assert_eq!(client.current_peer(), Some(udp(PRIMARY)));
}

fn placeholder() -> pbx::trunk::TrunkGroup {
    let c = pbx::trunk::RegistrationClient::new(
        provider_config("x.test"),
        Box::new(rand::rngs::mock::StepRng::new(0, 1)),
        std::time::Instant::now(),
    );
    pbx::trunk::TrunkGroup::new(c, None)
}

#[test]
fn provider_settings_are_validated() {
    use pbx::trunk::{ProviderConfig, TrunkError};
    assert_eq!(
        ProviderConfig::new("", "p", "sip.example.com", None).unwrap_err(),
        TrunkError::EmptyField { field: "username" }
    );
    assert!(matches!(
        ProviderConfig::new("u", "p", "bad host", None),
        Err(TrunkError::BadHost { .. })
    ));
    assert!(matches!(
        ProviderConfig::new("u", "p", "sip.example.com", Some("proxy:notaport")),
        Err(TrunkError::BadHost { .. })
    ));
    let c = ProviderConfig::new(
        "u",
        "hunter2",
        "sip.example.com",
        Some("sip:edge.example.com:5070"),
    )
    .unwrap();
    assert!(!format!("{c:?}").contains("hunter2"));
    assert_eq!(c.next_hop().host, "edge.example.com");
    assert_eq!(c.next_hop().port, Some(5070));
    let _ = Duration::ZERO;
}

#[test]
fn groups_are_built_from_the_tenant_trunk_list() {
    use pbx::directory::TrunkAccount;
    let account = |domain: &str| TrunkAccount {
        username: "u".into(),
        password: "p".into(),
        domain: domain.into(),
        outbound_proxy: None,
    };
    let rng =
        || -> Box<dyn rand::RngCore + Send> { Box::new(rand::rngs::mock::StepRng::new(1, 1)) };
    let now = std::time::Instant::now();
    assert!(TrunkGroup::from_accounts(&[], rng, now).unwrap().is_none());
    let g = TrunkGroup::from_accounts(&[account("a.test"), account("b.test")], rng, now)
        .unwrap()
        .unwrap();
    assert_eq!(
        g.client(ProviderRole::Secondary).unwrap().config().domain,
        "b.test"
    );
    assert!(TrunkGroup::from_accounts(&[account("bad host")], rng, now).is_err());
}
