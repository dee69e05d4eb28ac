use super::*;

#[test]
fn subscribe_gets_200_and_immediate_notify() {
    let mut f = fixture();
    f.dir.calls_202 = vec![ringing("d1")];
    let out = f.handle(&subscribe("c1", None, 1, &["Expires: 1800"]));
    let resp = &out.response;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.expires(), Some(1800));
    assert_eq!(resp.contacts().len(), 1);
    let local_tag = resp.to_tag().unwrap();
    assert_eq!(out.notify.len(), 1);
    let n = &out.notify[0];
    let req = &n.request;
    assert_eq!(n.peer, f.peer);
    assert_eq!(req.method, Method::Notify);
    assert_eq!(req.uri.to_string(), "sip:201@127.0.0.1:5062");
    assert_eq!(req.headers.get(&HeaderName::Event), Some("dialog"));
    assert_eq!(header(req, "Subscription-State"), "active;expires=1800");
    assert_eq!(req.content_type(), Some(CONTENT_TYPE));
    assert_eq!(req.call_id(), Some("c1"));
    assert_eq!(req.from_header().unwrap().tag(), Some(local_tag.as_str()));
    assert_eq!(req.to_header().unwrap().tag(), Some("ph1"));
    assert_eq!(req.cseq().unwrap().seq, 1);
    assert_eq!(version(n), 0, "RFC 4235: versions start at 0");
    let b = body(n);
    assert!(b.contains("entity=\"sip:202@pbx.example\""), "{b}");
    assert!(b.contains("state=\"full\""));
    assert_eq!(states(n), ["early"]);
    assert!(b.contains("direction=\"recipient\""));
    assert!(b.contains("<identity display=\"Ana\">sip:600@pbx.example</identity>"));
    f.send(n);
    assert_eq!(f.subs.len(), 1);
    assert!(f.subs.is_watched(&ext(1, "202")));
    assert_eq!(
        f.subs.poll_timeout(),
        Some(f.now + Duration::from_secs(1800))
    );
}

#[test]
fn idle_extension_gets_an_empty_document() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let b = body(&out.notify[0]);
    assert!(!b.contains("<dialog "), "{b}");
    assert!(b.trim_end().ends_with("</dialog-info>"));
    assert_eq!(
        header(&out.notify[0].request, "Subscription-State"),
        "active;expires=3600"
    );
}

#[test]
fn expires_is_clamped_and_defaulted() {
    for (expires, granted) in [
        ("", 3600),
        ("Expires: 5", 60),
        ("Expires: 99999999999", 3600),
    ] {
        let mut f = fixture();
        let out = f.handle(&subscribe("c1", None, 1, &[expires]));
        assert_eq!(out.response.expires(), Some(granted), "{expires:?}");
        let state = header(&out.notify[0].request, "Subscription-State").to_string();
        assert_eq!(state, format!("active;expires={granted}"));
    }
}

#[test]
fn refusals_have_their_codes() {
    let long_id = format!("Event: dialog;id={}", "x".repeat(70));
    let long_user = "9".repeat(600);
    let cases: &[(&str, &[&str], u16)] = &[
        ("202", &["Event: presence"], 489),
        ("202", &["Event: message-summary"], 489),
        ("202", &[long_id.as_str()], 489),
        ("202", &["Event: dialog;id=a\"b"], 489),
        ("202", &["Expires: soon"], 400),
        ("202", &["Contact: <tel:+34910000000>"], 400),
        ("202", &["Accept: application/pidf+xml"], 406),
        ("299", &[], 404),
        (long_user.as_str(), &[], 400),
        ("ext2201", &[], 403),
    ];
    for (target, extra, status) in cases {
        let mut f = fixture();
        let out = f.handle(&subscribe_to(target, "c1", None, 1, extra));
        assert_eq!(out.response.status, *status, "{target} {extra:?}");
        assert!(out.notify.is_empty());
        assert!(out.response.to_tag().is_some());
        assert!(f.subs.is_empty());
    }
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &["Event: presence"]));
    assert_eq!(header_of(&out.response, "Allow-Events"), "dialog");
    let out = f.handle(&subscribe("c2", None, 1, &["Accept: text/plain"]));
    assert_eq!(header_of(&out.response, "Accept"), CONTENT_TYPE);
    let stranger = f.handle_as("ext9999", &subscribe("c3", None, 1, &[]));
    assert_eq!(stranger.response.status, 403);
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
fn tenants_see_only_their_own_extensions() {
    let mut f = fixture();
    // Tenant 2's "201" is its own extension; by username, tenant 1's is someone else's.
    let own = f.handle_as("ext2201", &subscribe_to("201", "c1", None, 1, &[]));
    assert_eq!(own.response.status, 200);
    assert!(body(&own.notify[0]).contains("entity=\"sip:201@pbx.example\""));
    assert!(f.subs.is_watched(&ext(2, "201")));
    let cross = f.handle_as("ext2201", &subscribe_to("ext1202", "c2", None, 1, &[]));
    assert_eq!(cross.response.status, 403);
    let by_username = f.handle(&subscribe_to("ext1203", "c3", None, 1, &[]));
    assert_eq!(by_username.response.status, 200);
    assert!(f.subs.is_watched(&ext(1, "203")));
}

#[test]
fn phone_accept_lists_and_event_ids_are_fine() {
    let mut f = fixture();
    let out = f.handle(&subscribe(
        "c1",
        None,
        1,
        &[
            "Event: Dialog ; id=7",
            "Accept: application/dialog-info+xml, application/rlmi+xml, multipart/related",
        ],
    ));
    assert_eq!(out.response.status, 200);
    let event = out.notify[0].request.headers.get(&HeaderName::Event);
    assert_eq!(event, Some("dialog;id=7"));
    let no_accept = f.handle(&subscribe("c2", None, 1, &["Accept:"]));
    assert_eq!(no_accept.response.status, 200);
}

#[test]
fn refresh_extends_and_notifies_with_increasing_cseq_and_version() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &["Expires: 600"]));
    let tag = out.response.to_tag().unwrap();
    assert_eq!(f.deliver(&out.notify[0]), vec![]);
    f.now += Duration::from_secs(500);
    let out = f.handle(&subscribe("c1", Some(&tag), 2, &["Expires: 600"]));
    assert_eq!(out.response.status, 200);
    assert_eq!(out.response.to_tag().as_deref(), Some(tag.as_str()));
    assert_eq!(out.notify.len(), 1);
    assert_eq!(out.notify[0].request.cseq().unwrap().seq, 2);
    assert_eq!(version(&out.notify[0]), 1);
    assert_eq!(
        f.subs.poll_timeout(),
        Some(f.now + Duration::from_secs(600))
    );
    assert!(f
        .subs
        .handle_timeout(f.now + Duration::from_secs(101), &mut f.ids)
        .is_empty());
    assert_eq!(f.subs.len(), 1);
}

#[test]
fn refresh_of_unknown_dialog_is_481_old_cseq_500_other_account_403() {
    let mut f = fixture();
    let out = f.handle(&subscribe("nope", Some("x1"), 2, &[]));
    assert_eq!(out.response.status, 481);
    let out = f.handle(&subscribe("c1", None, 5, &[]));
    let tag = out.response.to_tag().unwrap();
    let wrong_tag = f.handle(&subscribe("c1", Some("other"), 6, &[]));
    assert_eq!(wrong_tag.response.status, 481);
    let old = f.handle(&subscribe("c1", Some(&tag), 4, &[]));
    assert_eq!(old.response.status, 500);
    let intruder = f.handle_as("ext1202", &subscribe("c1", Some(&tag), 7, &[]));
    assert_eq!(intruder.response.status, 403);
}

#[test]
fn has_dialog_recognises_refreshes() {
    let mut f = fixture();
    assert!(!f.subs.has_dialog(&subscribe("c1", None, 1, &[])));
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let tag = out.response.to_tag().unwrap();
    assert!(f.subs.has_dialog(&subscribe("c1", Some(&tag), 2, &[])));
    assert!(!f.subs.has_dialog(&subscribe("c2", Some(&tag), 2, &[])));
}

#[test]
fn late_retransmission_of_initial_subscribe_keeps_the_dialog() {
    let mut f = fixture();
    let first = f.handle(&subscribe("c1", None, 1, &[]));
    let again = f.handle(&subscribe("c1", None, 1, &[]));
    assert_eq!(again.response.status, 200);
    assert_eq!(again.response.to_tag(), first.response.to_tag());
    assert_eq!(f.subs.len(), 1);
}

#[test]
fn unsubscribe_sends_terminated_and_forgets() {
    let mut f = fixture();
    f.dir.calls_202 = vec![ringing("d1")];
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let tag = out.response.to_tag().unwrap();
    let first = f.send(&out.notify[0]);
    let out = f.handle(&subscribe("c1", Some(&tag), 2, &["Expires: 0"]));
    assert_eq!(out.response.status, 200);
    assert_eq!(out.response.expires(), Some(0));
    assert_eq!(out.notify.len(), 1, "final NOTIFY even with one in flight");
    let n = &out.notify[0];
    assert_eq!(
        header(&n.request, "Subscription-State"),
        "terminated;reason=timeout"
    );
    assert_eq!(states(n), ["early"]);
    assert!(f.subs.is_empty());
    assert!(
        !f.subs.is_watched(&ext(1, "202")),
        "state goes with the last watcher"
    );
    assert_eq!(f.subs.poll_timeout(), None);
    assert_eq!(
        f.subs
            .handle_notify_response(&first, 200, f.now, &mut f.ids),
        None
    );
    let again = f.handle(&subscribe("c1", Some(&tag), 3, &["Expires: 0"]));
    assert_eq!(again.response.status, 481);
}

#[test]
fn fetch_is_one_terminated_notify_and_no_state() {
    let mut f = fixture();
    f.dir.calls_202 = vec![with_state(ringing("d1"), DialogState::Confirmed)];
    let out = f.handle(&subscribe("c1", None, 1, &["Expires: 0"]));
    assert_eq!(out.response.status, 200);
    assert_eq!(out.notify.len(), 1);
    let state = header(&out.notify[0].request, "Subscription-State");
    assert_eq!(state, "terminated;reason=timeout");
    assert_eq!(states(&out.notify[0]), ["confirmed"]);
    assert!(f.subs.is_empty());
    assert!(!f.subs.is_watched(&ext(1, "202")));
}
