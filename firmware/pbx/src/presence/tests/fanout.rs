use super::*;

/// One settled subscription of ext1201 to 202 (its first NOTIFY answered).
fn watching_202(f: &mut Fixture) {
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    assert_eq!(f.deliver(&out.notify[0]), vec![]);
}

#[test]
fn a_call_rings_is_answered_and_ends() {
    let mut f = fixture();
    watching_202(&mut f);
    let ring = f.set("202", &[ringing("d1")]);
    assert_eq!(ring.len(), 1);
    assert_eq!(
        (version(&ring[0]), states(&ring[0])),
        (1, vec!["early".into()])
    );
    assert!(body(&ring[0]).contains("direction=\"recipient\""));
    assert!(body(&ring[0]).contains("call-id=\"d1@10.0.0.5\" local-tag=\"lt1\" remote-tag=\"rt1\""));
    f.deliver(&ring[0]);
    let answered = f.set("202", &[with_state(ringing("d1"), DialogState::Confirmed)]);
    assert_eq!(states(&answered[0]), ["confirmed"]);
    assert_eq!(version(&answered[0]), 2);
    f.deliver(&answered[0]);
    let hung_up = f.set("202", &[]);
    assert_eq!(hung_up.len(), 1);
    assert_eq!(
        states(&hung_up[0]),
        ["terminated"],
        "reported once as it ends"
    );
    assert!(body(&hung_up[0]).contains("id=\"d1\""));
    f.deliver(&hung_up[0]);
    assert!(f.set("202", &[]).is_empty(), "nothing changed");
    // A refresh now shows the idle document: the ended call is not repeated.
    let tag = ring[0]
        .request
        .from_header()
        .unwrap()
        .tag()
        .unwrap()
        .to_string();
    let out = f.handle(&subscribe("c1", Some(&tag), 2, &[]));
    assert!(states(&out.notify[0]).is_empty());
    assert_eq!(version(&out.notify[0]), 4);
}

#[test]
fn outgoing_call_and_explicit_terminated_views() {
    let mut f = fixture();
    watching_202(&mut f);
    let mut out_call = with_state(ringing("d9"), DialogState::Trying);
    out_call.direction = Direction::Initiator;
    let sent = f.set("202", &[out_call.clone()]);
    assert_eq!(states(&sent[0]), ["trying"]);
    assert!(body(&sent[0]).contains("direction=\"initiator\""));
    f.deliver(&sent[0]);
    // The call side may itself report a call as terminated; it is not reported twice.
    let ended = f.set("202", &[with_state(out_call, DialogState::Terminated)]);
    assert_eq!(states(&ended[0]), ["terminated"]);
    f.deliver(&ended[0]);
    let idle = f.set("202", &[]);
    assert_eq!(idle.len(), 1);
    assert!(states(&idle[0]).is_empty());
}

#[test]
fn unwatched_extensions_cost_nothing() {
    let mut f = fixture();
    assert!(f.set("203", &[ringing("d1")]).is_empty());
    assert!(!f.subs.is_watched(&ext(1, "203")));
    watching_202(&mut f);
    assert!(f.set("203", &[ringing("d1")]).is_empty());
    let other_tenant = f
        .subs
        .set_state(&ext(2, "202"), &[ringing("d1")], f.now, &mut f.ids);
    assert!(other_tenant.is_empty());
}

#[test]
fn every_watcher_is_told() {
    let mut f = fixture();
    watching_202(&mut f);
    let other = f.handle_as("ext1203", &subscribe("c2", None, 1, &[]));
    f.deliver(&other.notify[0]);
    assert_eq!(f.subs.watching(&ext(1, "202")), 2);
    let sent = f.set("202", &[ringing("d1")]);
    assert_eq!(sent.len(), 2);
    for n in &sent {
        assert_eq!(version(n), 1);
        assert_eq!(states(n), ["early"]);
    }
}

#[test]
fn changes_during_a_notify_in_flight_coalesce() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let first = f.send(&out.notify[0]);
    assert!(f.set("202", &[ringing("d1")]).is_empty(), "deferred");
    assert!(f
        .set("202", &[with_state(ringing("d1"), DialogState::Confirmed)])
        .is_empty());
    let more = f
        .subs
        .handle_notify_response(&first, 200, f.now, &mut f.ids)
        .unwrap();
    assert_eq!(more.len(), 1, "one NOTIFY with the latest state");
    assert_eq!(states(&more[0]), ["confirmed"]);
    assert_eq!(version(&more[0]), 1);
    assert_eq!(more[0].request.cseq().unwrap().seq, 2);
    assert_eq!(f.deliver(&more[0]), vec![]);
}

#[test]
fn a_lost_notify_outcome_does_not_silence_the_dialog() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let first = f.send(&out.notify[0]);
    f.now += Duration::from_secs(33);
    let sent = f.set("202", &[ringing("d1")]);
    assert_eq!(sent.len(), 1);
    // The old transaction's late answer is no longer ours.
    assert_eq!(
        f.subs
            .handle_notify_response(&first, 200, f.now, &mut f.ids),
        None
    );
    f.subs.check_invariants();
}

#[test]
fn refused_or_timed_out_notify_removes_the_subscription() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let key = f.send(&out.notify[0]);
    let provisional = f.subs.handle_notify_response(&key, 100, f.now, &mut f.ids);
    assert_eq!(provisional, Some(vec![]));
    assert_eq!(
        f.subs.handle_notify_response(&key, 481, f.now, &mut f.ids),
        Some(vec![])
    );
    assert!(f.subs.is_empty());
    assert!(!f.subs.is_watched(&ext(1, "202")));
    let out = f.handle(&subscribe("c2", None, 1, &[]));
    let key = f.send(&out.notify[0]);
    assert!(f.subs.handle_notify_timeout(&key));
    assert!(!f.subs.handle_notify_timeout(&key), "only once");
    assert!(f.subs.is_empty());
}

#[test]
fn expiry_ends_with_terminated_notify() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &["Expires: 60"]));
    f.deliver(&out.notify[0]);
    let due = f.subs.poll_timeout().unwrap();
    assert_eq!(due, f.now + Duration::from_secs(60));
    assert!(f
        .subs
        .handle_timeout(due - Duration::from_millis(1), &mut f.ids)
        .is_empty());
    let ended = f.subs.handle_timeout(due, &mut f.ids);
    assert_eq!(ended.len(), 1);
    assert_eq!(
        header(&ended[0].request, "Subscription-State"),
        "terminated;reason=timeout"
    );
    assert_eq!(ended[0].request.cseq().unwrap().seq, 2);
    assert!(f.subs.is_empty());
    assert_eq!(f.subs.poll_timeout(), None);
}

#[test]
fn deleted_extension_ends_its_subscriptions() {
    let mut f = fixture();
    f.dir.calls_202 = vec![ringing("d1")];
    watching_202(&mut f);
    let ended = f.subs.remove_extension(&ext(1, "202"), f.now, &mut f.ids);
    assert_eq!(ended.len(), 1);
    assert_eq!(
        header(&ended[0].request, "Subscription-State"),
        "terminated;reason=noresource"
    );
    assert!(states(&ended[0]).is_empty());
    assert!(f.subs.is_empty());
    assert!(f
        .subs
        .remove_extension(&ext(1, "202"), f.now, &mut f.ids)
        .is_empty());
}

#[test]
fn documents_list_at_most_max_dialogs() {
    let mut f = fixture();
    watching_202(&mut f);
    let many: Vec<DialogView> = (0..20).map(|i| ringing(&format!("d{i}"))).collect();
    let sent = f.set("202", &many);
    assert_eq!(
        states(&sent[0]).len(),
        PresenceConfig::new(f.peer.addr).max_dialogs
    );
    f.subs.check_invariants();
}

fn with_caps(f: &mut Fixture, account: usize, extension: usize, total: usize) {
    let mut config = PresenceConfig::new(f.peer.addr);
    config.max_per_account = account;
    config.max_per_extension = extension;
    config.max_total = total;
    f.subs = Subscriptions::new(config);
}

/// A SUBSCRIBE from its own phone (Call-ID, tag and Contact port all distinct).
fn from_phone(target: &str, n: u16) -> Request {
    let contact = format!("Contact: <sip:p@127.0.0.1:{}>", 6000 + n);
    let mut req = subscribe_to(target, &format!("s{n}"), None, 1, &[&contact]);
    req.headers
        .set(HeaderName::From, format!("<sip:201@pbx.example>;tag=t{n}"));
    req
}

#[test]
fn storm_caps_answer_503_with_retry_after() {
    let mut f = fixture();
    with_caps(&mut f, 2, 100, 100);
    assert_eq!(f.handle(&from_phone("202", 1)).response.status, 200);
    assert_eq!(f.handle(&from_phone("203", 2)).response.status, 200);
    let refused = f.handle(&from_phone("204", 3));
    assert_eq!(refused.response.status, 503);
    assert_eq!(header_of(&refused.response, "Retry-After"), "60");
    assert!(refused.notify.is_empty());
    // The same phone re-subscribing (reboot: new dialog, same Contact) replaces its old one.
    let mut again = from_phone("202", 1);
    again.headers.set(HeaderName::CallId, "after-reboot");
    assert_eq!(f.handle(&again).response.status, 200);
    assert_eq!(f.subs.len(), 2);

    let mut f = fixture();
    with_caps(&mut f, 100, 2, 100);
    let accounts = ["ext1201", "ext1203", "ext1204"];
    let statuses: Vec<u16> = (0..3)
        .map(|i| {
            f.handle_as(accounts[i], &from_phone("202", i as u16))
                .response
                .status
        })
        .collect();
    assert_eq!(statuses, [200, 200, 503], "per watched extension");

    let mut f = fixture();
    with_caps(&mut f, 100, 100, 3);
    let statuses: Vec<u16> = ["202", "203", "204", "205"]
        .iter()
        .enumerate()
        .map(|(i, t)| f.handle(&from_phone(t, i as u16)).response.status)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 503], "box-wide");
    f.subs.check_invariants();
}

fn header_of<'a>(resp: &'a sip::message::Response, name: &str) -> &'a str {
    resp.headers
        .list
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
        .unwrap_or("")
}

#[test]
fn repeated_ids_are_listed_once() {
    let mut f = fixture();
    watching_202(&mut f);
    let twice = [
        ringing("d1"),
        with_state(ringing("d1"), DialogState::Confirmed),
    ];
    let sent = f.set("202", &twice);
    assert_eq!(
        states(&sent[0]),
        ["early"],
        "the first report of an id wins"
    );
    f.subs.check_invariants();
}

#[test]
fn a_deferred_watcher_sees_an_ended_call_as_gone() {
    let mut f = fixture();
    watching_202(&mut f);
    let ring = f.set("202", &[ringing("d1")]);
    let pending = f.send(&ring[0]);
    assert!(f.set("202", &[]).is_empty(), "deferred: NOTIFY in flight");
    let more = f
        .subs
        .handle_notify_response(&pending, 200, f.now, &mut f.ids)
        .unwrap();
    assert_eq!(more.len(), 1);
    assert!(states(&more[0]).is_empty(), "full state: no dialog is idle");
}

#[test]
fn deleted_watcher_account_ends_its_subscriptions() {
    let mut f = fixture();
    watching_202(&mut f);
    let other = f.handle_as("ext1203", &subscribe("c2", None, 1, &[]));
    f.deliver(&other.notify[0]);
    let ended = f.subs.remove_account(ACCOUNT, f.now, &mut f.ids);
    assert_eq!(ended.len(), 1);
    assert_eq!(
        header(&ended[0].request, "Subscription-State"),
        "terminated;reason=rejected"
    );
    assert_eq!(f.subs.len(), 1, "the other watcher stays");
    assert!(f.subs.remove_account(ACCOUNT, f.now, &mut f.ids).is_empty());
    f.subs.check_invariants();
}
