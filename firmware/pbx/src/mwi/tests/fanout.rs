use super::*;

#[test]
fn expiry_ends_with_terminated_notify() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &["Expires: 60"]));
    let key = f.send(&out.notify[0]);
    f.subs.handle_notify_response(&key, 200, f.now, &mut f.ids);
    let due = f.subs.poll_timeout().unwrap();
    assert_eq!(due, f.now + Duration::from_secs(60));
    assert!(f
        .subs
        .handle_timeout(due - Duration::from_millis(1), &mut f.ids)
        .is_empty());
    let ended = f.subs.handle_timeout(due, &mut f.ids);
    assert_eq!(ended.len(), 1);
    let state = header(&ended[0].request, "Subscription-State");
    assert_eq!(state, "terminated;reason=timeout");
    assert_eq!(ended[0].request.cseq().unwrap().seq, 2);
    assert!(f.subs.is_empty());
    assert_eq!(f.subs.poll_timeout(), None);
}

#[test]
fn notify_all_after_a_count_change() {
    let mut f = fixture();
    let a = f.handle(&subscribe("c1", None, 1, &[]));
    let mut req = subscribe("c2", None, 1, &["Contact: <sip:201@127.0.0.1:5070>"]);
    req.headers
        .set(HeaderName::From, "<sip:201@pbx.example>;tag=ph2");
    let b = f.handle(&req);
    let keys = [f.send(&a.notify[0]), f.send(&b.notify[0])];
    for key in &keys {
        assert_eq!(
            f.subs.handle_notify_response(key, 200, f.now, &mut f.ids),
            Some(vec![])
        );
    }
    assert_eq!(f.subs.watching(&boxkey("700")), 2);
    f.now += Duration::from_secs(100);
    let sent = f.subs.notify_all(
        &boxkey("700"),
        Summary { new: 0, old: 5 },
        f.now,
        &mut f.ids,
    );
    assert_eq!(sent.len(), 2);
    for n in &sent {
        assert_eq!(n.request.cseq().unwrap().seq, 2);
        assert_eq!(
            header(&n.request, "Subscription-State"),
            "active;expires=3500"
        );
        assert!(body(n).starts_with("Messages-Waiting: no\r\n"));
        assert!(body(n).contains("Voice-Message: 0/5 (0/0)"));
    }
    let other = f.subs.notify_all(
        &boxkey("701"),
        Summary { new: 3, old: 0 },
        f.now,
        &mut f.ids,
    );
    assert!(other.is_empty());
}

#[test]
fn changes_during_an_unanswered_notify_coalesce() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let key = f.send(&out.notify[0]);
    let key700 = boxkey("700");
    for new in 2..5 {
        let sent = f
            .subs
            .notify_all(&key700, Summary { new, old: 0 }, f.now, &mut f.ids);
        assert!(sent.is_empty(), "one NOTIFY in flight per dialog");
    }
    assert_eq!(
        f.subs.handle_notify_response(&key, 100, f.now, &mut f.ids),
        Some(vec![])
    );
    let next = f
        .subs
        .handle_notify_response(&key, 200, f.now, &mut f.ids)
        .unwrap();
    assert_eq!(next.len(), 1);
    assert!(body(&next[0]).contains("Voice-Message: 4/0"));
    assert_eq!(next[0].request.cseq().unwrap().seq, 2);
    // A NOTIFY whose outcome is never reported stops blocking after notify_timeout.
    f.send(&next[0]);
    let later = f.now + Duration::from_secs(33);
    let sent = f
        .subs
        .notify_all(&key700, Summary { new: 9, old: 0 }, later, &mut f.ids);
    assert_eq!(sent.len(), 1);
}

#[test]
fn notify_481_or_timeout_removes() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let key = f.send(&out.notify[0]);
    assert_eq!(
        f.subs.handle_notify_response(&key, 481, f.now, &mut f.ids),
        Some(vec![])
    );
    assert!(f.subs.is_empty());
    assert!(f
        .subs
        .notify_all(&boxkey("700"), Summary::default(), f.now, &mut f.ids)
        .is_empty());

    let out = f.handle(&subscribe("c2", None, 1, &[]));
    let key = f.send(&out.notify[0]);
    assert!(f.subs.handle_notify_timeout(&key));
    assert!(f.subs.is_empty());
    assert!(!f.subs.handle_notify_timeout(&key), "already gone");

    // A phone that challenges or errors otherwise keeps its subscription.
    let out = f.handle(&subscribe("c3", None, 1, &[]));
    let key = f.send(&out.notify[0]);
    assert_eq!(
        f.subs.handle_notify_response(&key, 401, f.now, &mut f.ids),
        Some(vec![])
    );
    assert_eq!(f.subs.len(), 1);
}

#[test]
fn storm_is_capped_per_account_with_503() {
    let mut f = fixture();
    let cap = MwiConfig::new(f.peer.addr).max_per_account;
    for i in 0..cap + 50 {
        let contact = format!("Contact: <sip:201@127.0.0.1:{}>", 6000 + i);
        let out = f.handle(&subscribe(&format!("storm{i}"), None, 1, &[&contact]));
        if i < cap {
            assert_eq!(out.response.status, 200, "{i}");
        } else {
            assert_eq!(out.response.status, 503, "{i}");
            assert_eq!(
                out.response.headers.get(&HeaderName::RetryAfter),
                Some("60")
            );
            assert!(out.notify.is_empty());
        }
    }
    assert_eq!(f.subs.len(), cap);
    // Refreshes of existing subscriptions still work at the cap.
    let out = f.handle(&subscribe(
        "storm0",
        None,
        2,
        &["Contact: <sip:201@127.0.0.1:6000>"],
    ));
    assert_eq!(out.response.status, 200);
}

#[test]
fn box_and_total_caps() {
    let mut f = fixture();
    let mut config = MwiConfig::new(f.peer.addr);
    config.max_per_box = 3;
    config.max_total = 5;
    f.subs = Subscriptions::new(config);
    let mut statuses = Vec::new();
    for (i, account) in ["ext1201", "ext1202", "ext1201", "ext1202"]
        .iter()
        .enumerate()
    {
        let contact = format!("Contact: <sip:x@127.0.0.1:{}>", 7000 + i);
        let req = subscribe(&format!("b{i}"), None, 1, &[&contact]);
        let out = f
            .subs
            .handle_subscribe(&req, account, &f.boxes, f.peer, f.now, &mut f.ids);
        statuses.push(out.response.status);
    }
    assert_eq!(statuses, [200, 200, 200, 503]);

    let mut config = MwiConfig::new(f.peer.addr);
    config.max_total = 2;
    f.subs = Subscriptions::new(config);
    let mut statuses = Vec::new();
    for i in 0..3 {
        let contact = format!("Contact: <sip:x@127.0.0.1:{}>", 7100 + i);
        let out = f.handle(&subscribe(&format!("t{i}"), None, 1, &[&contact]));
        statuses.push(out.response.status);
    }
    assert_eq!(statuses, [200, 200, 503]);
}

#[test]
fn resubscribe_from_same_contact_replaces_old_dialog() {
    let mut f = fixture();
    for i in 0..50 {
        let out = f.handle(&subscribe(&format!("reboot{i}"), None, 1, &[]));
        assert_eq!(out.response.status, 200, "{i}");
    }
    assert_eq!(
        f.subs.len(),
        1,
        "a rebooting phone does not pile up subscriptions"
    );
    let gone = f.handle(&subscribe("reboot0", Some("whatever"), 2, &[]));
    assert_eq!(gone.response.status, 481);
}

#[test]
fn oversized_headers_are_refused() {
    let mut f = fixture();
    let huge = format!("Contact: <sip:{}@127.0.0.1:5062>", "a".repeat(600));
    assert_eq!(
        f.handle(&subscribe("c1", None, 1, &[&huge]))
            .response
            .status,
        400
    );
    let routes: Vec<String> = (0..6)
        .map(|i| format!("Record-Route: <sip:proxy{i}.example;lr>"))
        .collect();
    let routes: Vec<&str> = routes.iter().map(String::as_str).collect();
    assert_eq!(
        f.handle(&subscribe("c2", None, 1, &routes)).response.status,
        400
    );
}

#[test]
fn record_route_becomes_the_notify_route_set() {
    let mut f = fixture();
    let out = f.handle(&subscribe(
        "c1",
        None,
        1,
        &["Record-Route: <sip:p1.example;lr>, <sip:p2.example;lr>"],
    ));
    let routes: Vec<&str> = out.notify[0]
        .request
        .headers
        .values(&HeaderName::Route)
        .collect();
    assert_eq!(routes, ["<sip:p1.example;lr>", "<sip:p2.example;lr>"]);
}

#[test]
fn remove_mailbox_terminates_noresource() {
    let mut f = fixture();
    f.handle(&subscribe("c1", None, 1, &[]));
    let ended = f.subs.remove_mailbox(&boxkey("700"), f.now, &mut f.ids);
    assert_eq!(ended.len(), 1);
    let state = header(&ended[0].request, "Subscription-State");
    assert_eq!(state, "terminated;reason=noresource");
    assert!(f.subs.is_empty());
}

#[test]
fn tcp_subscriber_gets_a_tcp_via() {
    let mut f = fixture();
    f.peer.transport = TransportKind::Tcp;
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let via = out.notify[0].request.top_via().unwrap();
    assert!(via.to_string().starts_with("SIP/2.0/TCP 192.0.2.10:5060"));
}

/// Every account may watch the box `7<account % 20>`.
struct ManyBoxes;

impl MailboxLookup for ManyBoxes {
    fn mailbox(&self, account: &str, _requested: Option<&str>) -> Option<MailboxKey> {
        let n: u32 = account.strip_prefix("acct")?.parse().ok()?;
        Some(boxkey(&format!("7{:02}", n % 20)))
    }
    fn summary(&self, _mailbox: &MailboxKey) -> Summary {
        Summary { new: 1, old: 0 }
    }
}

/// CPU cost figures (run with `--ignored --nocapture`, release build for real numbers).
#[test]
#[ignore]
fn bench_subscribe_and_fanout() {
    let mut f = fixture();
    let requests: Vec<(String, Request)> = (0..2000)
        .map(|i| {
            let contact = format!("Contact: <sip:p@127.0.0.1:{}>", 10_000 + i);
            (
                format!("acct{}", i / 10),
                subscribe(&format!("b{i}"), None, 1, &[&contact]),
            )
        })
        .collect();
    let started = Instant::now();
    for (account, req) in &requests {
        let out = f
            .subs
            .handle_subscribe(req, account, &ManyBoxes, f.peer, f.now, &mut f.ids);
        assert_eq!(out.response.status, 200);
        for n in &out.notify {
            let _ = n.request.to_bytes();
        }
    }
    let per_subscribe = started.elapsed() / 2000;
    // Clear the in-flight NOTIFYs so the fan-out below sends.
    let later = f.now + Duration::from_secs(40);
    let started = Instant::now();
    let mut sent = 0;
    for round in 0..50u32 {
        for b in 0..20 {
            let key = boxkey(&format!("7{b:02}"));
            let at = later + Duration::from_secs(u64::from(round) * 40);
            let out = f
                .subs
                .notify_all(&key, Summary { new: round, old: 0 }, at, &mut f.ids);
            sent += out.len();
            for n in &out {
                let _ = n.request.to_bytes();
            }
        }
    }
    let per_notify = started.elapsed() / u32::try_from(sent).unwrap();
    println!("{} subscriptions; {per_subscribe:?} per SUBSCRIBE handled (200 + NOTIFY built and printed); {sent} NOTIFYs fanned out, {per_notify:?} each", f.subs.len());
}
