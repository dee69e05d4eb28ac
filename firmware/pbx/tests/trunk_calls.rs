//! Calls in from and out to the trunk provider, in virtual time.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod harness;

use harness::*;
use pbx::routing::{Destination, DidRoute, Rule, RuleText};
use pbx::{Direction, Disposition, Tenant, TrunkAccount};
use sip::message::{HeaderName, Method, Response, SipHeaders};
use sip::transaction::{Peer, TransportKind};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

const PROVIDER: &str = "203.0.113.5:5060";
const A: &str = "10.0.0.10:5062";
const B: &str = "10.0.0.11:5064";
static SEQ: AtomicU32 = AtomicU32::new(100);

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Gives tenant 20191 the test provider account (domain `domain`).
fn add_trunk(d: &mut pbx::Directory, domain: &str, main_did: Option<&str>) {
    d.add_tenant(Tenant {
        id: 20191,
        trunks: vec![TrunkAccount {
            username: "trunkuser".into(),
            password: "trunkpass".into(),
            domain: domain.into(),
            outbound_proxy: None,
        }],
        main_did: main_did.map(str::to_string),
        ..Default::default()
    });
}

/// The provider of tenant 20191 is reached at `at` (as if resolved).
fn provider_at(w: &mut World, at: &str) {
    w.pbx.trunk_peers_mut().set(
        20191,
        0,
        Some(Peer {
            transport: TransportKind::Udp,
            addr: addr(at),
        }),
        true,
    );
}

fn rule(order: u32, weekday: &str, start: &str, end: &str, dest: Destination) -> Rule<Destination> {
    Rule::compile(
        order,
        RuleText {
            year: ".",
            month: ".",
            day: ".",
            weekday,
            start,
            end,
            caller_id: ".",
        },
        dest,
        None,
        Some("VENTAS ".into()),
        String::new(),
    )
    .unwrap()
}

/// Extensions 10 (alice) and 11 (bob, busy-forwards to 10), a trunk, DID 917374206 with office
/// hours to 11 and nights to 10. FixedClock is 2025-11-24 16:00 UTC, a Monday (17:00 in Madrid).
fn world() -> World {
    let mut alice = account("10", "pa", 30);
    alice.caller_id = Some("917374206".into());
    let mut bob = account("11", "pb", 5);
    bob.forward_busy = Some(Destination::Extension("ext2019110".into()));
    let mut restricted = account("12", "pc", 5);
    restricted.internal_only = true;
    let mut d = directory(vec![alice, bob, restricted]);
    add_trunk(&mut d, "sip.provider.test", Some("917374206"));
    d.routes.insert(DidRoute {
        tenant_id: 20191,
        number: "917374206".into(),
        timezone: chrono_tz::Europe::Madrid,
        forward: None,
        rules: vec![
            rule(
                1,
                "[1-5]",
                "09:00",
                "18:00",
                Destination::Extension("ext2019111".into()),
            ),
            rule(
                2,
                ".",
                "18:01",
                "08:59",
                Destination::Extension("ext2019110".into()),
            ),
        ],
    });
    d.routes.add_spelling("+34917374206".into(), "917374206");
    d.routes.insert(DidRoute {
        tenant_id: 20191,
        number: "917374299".into(),
        timezone: chrono_tz::Europe::Madrid,
        forward: None,
        rules: vec![rule(1, "7", "00:00", "23:59", Destination::Hangup)],
    });
    let mut w = World::with_directory(d);
    provider_at(&mut w, PROVIDER);
    for (from, user, pw) in [(A, "ext2019110", "pa"), (B, "ext2019111", "pb")] {
        register_phone(&mut w, from, user, pw);
    }
    w
}

fn register_phone(w: &mut World, from: &str, user: &str, password: &str) {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let head = |cseq: u32, auth: &str| {
        format!(
            "REGISTER sip:192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {from};branch=z9hG4bKr{n}{cseq};rport
From: <sip:{user}@192.0.2.1>;tag=r{n}
To: <sip:{user}@192.0.2.1>
Call-ID: reg-{n}
CSeq: {cseq} REGISTER
Contact: <sip:{user}@{from}>
Expires: 600
{auth}Content-Length: 0

"
        )
    };
    w.send(addr(from), &head(1, ""));
    let c = w.responses(addr(from)).pop().unwrap();
    let auth = answer_challenge(&c, "REGISTER", "sip:192.0.2.1", user, password);
    w.send(addr(from), &head(2, &format!("Authorization: {auth}\n")));
    assert_eq!(w.responses(addr(from)).pop().unwrap().status, 200);
}

fn inbound(w: &mut World, did: &str, display: &str) {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let head = format!(
        "INVITE sip:{did}@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {PROVIDER};branch=z9hG4bKin{n};rport
From: \"{display}\" <sip:600123456@203.0.113.5>;tag=prov{n}
To: <sip:{did}@192.0.2.1>
Call-ID: in-{n}@provider
CSeq: 1 INVITE
Contact: <sip:600123456@{PROVIDER}>
Max-Forwards: 70
"
    );
    w.send(addr(PROVIDER), &with_body(&head, SDP_A));
}

#[test]
fn inbound_did_call_follows_time_rules_with_prefix() {
    let mut w = world();
    inbound(&mut w, "917374206", "Cliente");
    // Monday 17:00 in Madrid: office hours -> extension 11 (B), no challenge for the provider.
    let to_b = w.requests(addr(B));
    let invite = to_b
        .iter()
        .find(|r| r.method == Method::Invite)
        .expect("INVITE to 11");
    let from = invite.headers.get(&HeaderName::From).unwrap();
    assert!(
        from.contains("VENTAS Cliente"),
        "prefix on the display name: {from}"
    );
    assert!(from.contains("600123456"));
    assert!(w.responses(addr(PROVIDER)).iter().all(|r| r.status != 407));
    let mut ok = Response::for_request(invite, 200, "OK", Some("b1"));
    ok.headers
        .push(HeaderName::Contact, format!("<sip:bob@{B}>"));
    ok.headers.push(HeaderName::ContentType, "application/sdp");
    ok.body = SDP_B.replace('\n', "\r\n").into_bytes();
    w.send(addr(B), std::str::from_utf8(&ok.to_bytes()).unwrap());
    assert!(w.responses(addr(PROVIDER)).iter().any(|r| r.status == 200));
}

#[test]
fn inbound_no_matching_rule_is_480_and_unknown_did_404() {
    let mut w = world();
    inbound(&mut w, "917374299", "X");
    assert!(w.responses(addr(PROVIDER)).iter().any(|r| r.status == 480));
    inbound(&mut w, "910000000", "X");
    assert!(w.responses(addr(PROVIDER)).iter().any(|r| r.status == 404));
    let cdrs = w.cdrs();
    assert_eq!(cdrs[0].direction, Direction::Incoming);
    assert_eq!(cdrs[0].disposition, Disposition::NoAnswer);
    assert_eq!(cdrs[0].did.as_deref(), Some("917374299"));
    assert_eq!(
        cdrs[0].trunk.as_deref(),
        Some("trunkuser@sip.provider.test")
    );
}

fn dial(w: &mut World, from: &str, user: &str, password: &str, number: &str) {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let head = |cseq: u32, auth: &str| {
        format!(
            "INVITE sip:{number}@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {from};branch=z9hG4bKo{n}{cseq};rport
From: <sip:{user}@192.0.2.1>;tag=o{n}
To: <sip:{number}@192.0.2.1>
Call-ID: out-{n}
CSeq: {cseq} INVITE
Contact: <sip:{user}@{from}>
Max-Forwards: 70
{auth}"
        )
    };
    w.send(addr(from), &with_body(&head(1, ""), SDP_A));
    let c = w.responses(addr(from)).pop().unwrap();
    let auth = answer_challenge(
        &c,
        "INVITE",
        &format!("sip:{number}@192.0.2.1"),
        user,
        password,
    );
    w.send(
        addr(from),
        &with_body(&head(2, &format!("Proxy-Authorization: {auth}\n")), SDP_A),
    );
}

#[test]
fn outbound_call_presents_the_did_and_answers_the_trunk_challenge() {
    let mut w = world();
    dial(&mut w, A, "ext2019110", "pa", "600999888");
    let first = w
        .requests(addr(PROVIDER))
        .pop()
        .expect("INVITE to the provider");
    assert_eq!(first.uri.to_string(), "sip:600999888@sip.provider.test");
    assert!(first
        .headers
        .get(&HeaderName::From)
        .unwrap()
        .contains("sip:917374206@"));
    // The provider challenges: the box answers once with the trunk credentials.
    let mut challenge =
        Response::for_request(&first, 407, "Proxy Authentication Required", Some("p1"));
    challenge.headers.push(
        HeaderName::ProxyAuthenticate,
        "Digest realm=\"provider\", nonce=\"abc123\", qop=\"auth\", algorithm=MD5",
    );
    w.send(
        addr(PROVIDER),
        std::str::from_utf8(&challenge.to_bytes()).unwrap(),
    );
    let to_provider = w.requests(addr(PROVIDER));
    let retry = to_provider
        .iter()
        .find(|r| r.method == Method::Invite)
        .expect("INVITE with credentials");
    let auth = retry.headers.get(&HeaderName::ProxyAuthorization).unwrap();
    assert!(auth.contains("username=\"trunkuser\""), "{auth}");
    assert_eq!(retry.cseq().unwrap().seq, 2);
    let mut ok = Response::for_request(retry, 200, "OK", Some("p2"));
    ok.headers
        .push(HeaderName::Contact, format!("<sip:600999888@{PROVIDER}>"));
    ok.headers.push(HeaderName::ContentType, "application/sdp");
    ok.body = SDP_B.replace('\n', "\r\n").into_bytes();
    w.send(addr(PROVIDER), std::str::from_utf8(&ok.to_bytes()).unwrap());
    assert!(w.responses(addr(A)).iter().any(|r| r.status == 200));
}

#[test]
fn anonymous_caller_id_uses_privacy() {
    let mut w = world();
    dial(&mut w, B, "ext2019111", "pb", "600999888");
    let invite = w
        .requests(addr(PROVIDER))
        .pop()
        .expect("INVITE to the provider");
    assert!(invite
        .headers
        .get(&HeaderName::From)
        .unwrap()
        .contains("anonymous.invalid"));
    assert_eq!(invite.headers.get(&HeaderName::Privacy), Some("id"));
    assert!(invite.headers.get(&HeaderName::PAssertedIdentity).is_some());
}

#[test]
fn internal_only_user_cannot_call_out() {
    let mut w = world();
    register_phone(&mut w, "10.0.0.12:5066", "ext2019112", "pc");
    dial(&mut w, "10.0.0.12:5066", "ext2019112", "pc", "600999888");
    assert!(w
        .responses(addr("10.0.0.12:5066"))
        .iter()
        .any(|r| r.status == 403));
    assert!(w.requests(addr(PROVIDER)).is_empty());
    let cdr = w.cdrs().pop().unwrap();
    assert_eq!(cdr.direction, Direction::Outgoing);
    assert!(
        cdr.hangup_cause.starts_with("refused"),
        "{}",
        cdr.hangup_cause
    );
}

#[test]
fn busy_forwards_to_the_configured_extension() {
    let mut w = world();
    dial(&mut w, A, "ext2019110", "pa", "11");
    let invite = w
        .requests(addr(B))
        .into_iter()
        .find(|r| r.method == Method::Invite)
        .unwrap();
    let busy = Response::for_request(&invite, 486, "Busy Here", Some("b2"));
    w.send(addr(B), std::str::from_utf8(&busy.to_bytes()).unwrap());
    // Bob forwards on busy to extension 10: the box now rings A's contact.
    let to_a = w.requests(addr(A));
    assert!(
        to_a.iter().any(|r| r.method == Method::Invite),
        "forwarded INVITE"
    );
    assert!(w.responses(addr(A)).iter().all(|r| r.status != 486));
}

#[test]
fn international_is_refused_by_default_with_a_reason() {
    let mut w = world();
    dial(&mut w, A, "ext2019110", "pa", "0044207946000");
    let refusal = w
        .responses(addr(A))
        .into_iter()
        .find(|r| r.status == 403)
        .expect("403 for an international number");
    assert!(
        refusal.reason.to_lowercase().contains("international"),
        "{}",
        refusal.reason
    );
    assert!(w.requests(addr(PROVIDER)).is_empty());
    let cdr = w.cdrs().pop().unwrap();
    assert_eq!(cdr.direction, Direction::Outgoing);
    assert_eq!(cdr.disposition, Disposition::Failed);
}

#[test]
fn plus34_is_normalised_for_the_trunk() {
    let mut w = world();
    dial(&mut w, A, "ext2019110", "pa", "+34600999888");
    let invite = w
        .requests(addr(PROVIDER))
        .pop()
        .expect("INVITE to the provider");
    assert_eq!(invite.uri.user.as_deref(), Some("600999888"));
}

#[test]
fn registration_trunk_call_to_our_contact_finds_the_did_in_to() {
    let mut w = world();
    let head = format!(
        "INVITE sip:trunkuser@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {PROVIDER};branch=z9hG4bKreg-trunk;rport
From: <sip:600123456@203.0.113.5>;tag=prov-reg
To: <sip:+34917374206@sip.provider.test>
Call-ID: reg-trunk@provider
CSeq: 1 INVITE
Contact: <sip:600123456@{PROVIDER}>
Max-Forwards: 70
"
    );
    w.send(addr(PROVIDER), &with_body(&head, SDP_A));
    assert!(
        w.requests(addr(B))
            .iter()
            .any(|r| r.method == Method::Invite),
        "+34 spelling of DID 917374206 in To reaches extension 11"
    );
}

#[test]
fn forwards_to_external_numbers_use_the_forwarding_users_permissions() {
    let mut alice = account("10", "pa", 30);
    alice.forward_always = Some(Destination::External("600111222".into()));
    let mut bob = account("11", "pb", 5);
    bob.forward_always = Some(Destination::External("0044207946000".into()));
    let mut d = directory(vec![alice, bob, account("12", "pc", 5)]);
    add_trunk(&mut d, "sip.provider.test", None);
    let mut w = World::with_directory(d);
    provider_at(&mut w, PROVIDER);
    register_phone(&mut w, "10.0.0.12:5066", "ext2019112", "pc");
    // 12 calls 10, who forwards everything to a mobile: out through the trunk.
    dial(&mut w, "10.0.0.12:5066", "ext2019112", "pc", "10");
    let out = w.requests(addr(PROVIDER));
    assert!(
        out.iter()
            .any(|r| r.method == Method::Invite && r.uri.user.as_deref() == Some("600111222")),
        "forward to a mobile goes out"
    );
    // 12 calls 11, whose forward is international: refused by 11's permissions.
    dial(&mut w, "10.0.0.12:5066", "ext2019112", "pc", "11");
    assert!(w
        .requests(addr(PROVIDER))
        .iter()
        .all(|r| r.uri.user.as_deref() != Some("0044207946000")));
    assert!(w
        .responses(addr("10.0.0.12:5066"))
        .iter()
        .any(|r| r.status >= 400));
}

#[test]
fn a_caller_in_the_aliases_is_shown_by_its_name() {
    let mut w = world();
    let d = {
        let mut d = directory(vec![account("10", "pa", 30), account("11", "pb", 5)]);
        add_trunk(&mut d, "sip.provider.test", None);
        d.add_alias_name(20191, "600123456", "Proveedor García");
        d.routes.insert(DidRoute {
            tenant_id: 20191,
            number: "917374206".into(),
            timezone: chrono_tz::UTC,
            forward: Some(Destination::Extension("ext2019111".into())),
            rules: vec![],
        });
        d
    };
    w.pbx.set_directory(std::sync::Arc::new(d), w.now);
    inbound(&mut w, "917374206", "<script>x</script>");
    let invite = w
        .requests(addr(B))
        .into_iter()
        .find(|r| r.method == Method::Invite)
        .expect("INVITE to 11");
    assert!(invite
        .headers
        .get(&HeaderName::From)
        .unwrap()
        .contains("Proveedor García"));
}

#[test]
fn did_to_an_external_number_goes_back_out_with_diversion_and_two_cdrs() {
    let mut w = world();
    let mut d = directory(vec![account("10", "pa", 30)]);
    add_trunk(&mut d, "sip.provider.test", None);
    d.routes.insert(DidRoute {
        tenant_id: 20191,
        number: "917374206".into(),
        timezone: chrono_tz::UTC,
        forward: Some(Destination::External("600999888".into())),
        rules: vec![],
    });
    w.pbx.set_directory(std::sync::Arc::new(d), w.now);
    inbound(&mut w, "917374206", "Cliente");
    let out = w
        .requests(addr(PROVIDER))
        .into_iter()
        .find(|r| r.method == Method::Invite)
        .expect("INVITE back out to the provider");
    assert_eq!(out.uri.user.as_deref(), Some("600999888"));
    let diversion = out
        .headers
        .list
        .iter()
        .find(|h| h.name == HeaderName::Other("Diversion".into()));
    assert!(
        diversion.is_some_and(|h| h.value.contains("917374206")),
        "{:?}",
        out.headers
    );
    assert!(out
        .headers
        .get(&HeaderName::From)
        .unwrap()
        .contains("600123456"));
    let mut ok = Response::for_request(&out, 200, "OK", Some("far"));
    ok.headers
        .push(HeaderName::Contact, format!("<sip:600999888@{PROVIDER}>"));
    ok.headers.push(HeaderName::ContentType, "application/sdp");
    ok.body = SDP_B.replace('\n', "\r\n").into_bytes();
    w.send(addr(PROVIDER), std::str::from_utf8(&ok.to_bytes()).unwrap());
    // The provider's original caller hangs up: BYE on the incoming dialog.
    let ok_in = w
        .responses(addr(PROVIDER))
        .into_iter()
        .find(|r| r.status == 200 && r.cseq().is_some_and(|c| c.method == Method::Invite))
        .expect("200 to the incoming INVITE");
    let bye = format!(
        "BYE sip:centralita@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {PROVIDER};branch=z9hG4bKbye-div;rport
From: {}
To: {}
Call-ID: {}
CSeq: 2 BYE
Max-Forwards: 70
Content-Length: 0

",
        ok_in.headers.get(&HeaderName::From).unwrap(),
        ok_in.headers.get(&HeaderName::To).unwrap(),
        ok_in.call_id().unwrap()
    );
    w.send(addr(PROVIDER), &bye);
    let cdrs = w.cdrs();
    assert_eq!(cdrs.len(), 2, "{cdrs:?}");
    assert_eq!(cdrs[0].direction, Direction::Incoming);
    assert_eq!(cdrs[0].disposition, Disposition::Answered);
    assert_eq!(cdrs[1].direction, Direction::Outgoing);
    assert_eq!(cdrs[1].destination, "600999888");
    assert_eq!(
        cdrs[1].trunk.as_deref(),
        Some("trunkuser@sip.provider.test")
    );
    assert_eq!(cdrs[1].disposition, Disposition::Answered);
}

#[test]
fn a_provider_removed_by_a_reload_is_unregistered() {
    let mut d = directory(vec![account("10", "pa", 30)]);
    add_trunk(&mut d, PROVIDER, None);
    let mut w = World::with_directory(d);
    let req = w.pbx.poll_resolve().expect("the provider is looked up");
    let peer = Peer {
        transport: TransportKind::Udp,
        addr: addr(PROVIDER),
    };
    w.pbx
        .handle_resolved(req.tenant_id, req.role, vec![peer], w.now);
    w.advance(std::time::Duration::from_millis(10));
    let register = w
        .requests(addr(PROVIDER))
        .into_iter()
        .find(|r| r.method == Method::Register)
        .expect("REGISTER to the provider");
    let mut ok = Response::for_request(&register, 200, "OK", Some("reg"));
    let contact = register
        .headers
        .get(&HeaderName::Contact)
        .unwrap()
        .to_string();
    ok.headers
        .push(HeaderName::Contact, format!("{contact};expires=3600"));
    ok.headers.push(HeaderName::Expires, "3600");
    w.send(addr(PROVIDER), std::str::from_utf8(&ok.to_bytes()).unwrap());
    assert!(w.pbx.trunk_status(w.now)[0].1.state.is_registered());
    // The provider disappears from the configuration.
    w.pbx.set_directory(
        std::sync::Arc::new(directory(vec![account("10", "pa", 30)])),
        w.now,
    );
    w.advance(std::time::Duration::from_millis(10));
    let unregister = w
        .requests(addr(PROVIDER))
        .into_iter()
        .find(|r| r.method == Method::Register)
        .expect("REGISTER Expires 0 after the reload");
    let text = String::from_utf8(unregister.to_bytes()).unwrap();
    assert!(
        text.contains("expires=0") || text.contains("Expires: 0"),
        "{text}"
    );
}
