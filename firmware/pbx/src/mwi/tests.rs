use super::*;
use crate::ids::Ids;
use rand::SeedableRng;
use sip::message::{HeaderName, Message, Method, SipHeaders};
use sip::transaction::{ClientTxKey, TimerConfig, TransactionLayer, TransportKind};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// NOTIFY fan-out, outcomes, expiry and the storm caps.
mod fanout;
/// Random sequences of SUBSCRIBEs, changes, NOTIFY outcomes and time.
mod props;

const ACCOUNT: &str = "ext1201";

/// Box 700 of tenant 1; ext1201 and ext1202 are its users and may subscribe by the box number
/// or by their own extension (201/202).
struct Boxes {
    counts: HashMap<String, Summary>,
}

impl MailboxLookup for Boxes {
    fn mailbox(&self, account: &str, requested: Option<&str>) -> Option<MailboxKey> {
        let own = account.strip_prefix("ext1")?;
        let user = matches!(own, "201" | "202");
        let ok = match requested {
            Some("700") => user,
            Some(r) => r == own && user,
            None => user,
        };
        ok.then(|| boxkey("700"))
    }
    fn summary(&self, mailbox: &MailboxKey) -> Summary {
        self.counts
            .get(&mailbox.number)
            .copied()
            .unwrap_or_default()
    }
}

fn boxkey(number: &str) -> MailboxKey {
    MailboxKey {
        tenant_id: 1,
        number: number.to_string(),
    }
}

struct Fixture {
    subs: Subscriptions,
    ids: Ids,
    boxes: Boxes,
    txn: TransactionLayer,
    now: Instant,
    peer: Peer,
}

fn fixture() -> Fixture {
    let mut counts = HashMap::new();
    counts.insert("700".to_string(), Summary { new: 1, old: 4 });
    Fixture {
        subs: Subscriptions::new(MwiConfig::new("192.0.2.10:5060".parse().unwrap())),
        ids: Ids::new(Box::new(rand::rngs::StdRng::seed_from_u64(9))),
        boxes: Boxes { counts },
        txn: TransactionLayer::new(TimerConfig::default()),
        now: Instant::now(),
        peer: Peer {
            transport: TransportKind::Udp,
            addr: "127.0.0.1:5062".parse().unwrap(),
        },
    }
}

/// A SUBSCRIBE as a phone sends it; `extra` lines replace the defaults they name.
fn subscribe(call_id: &str, to_tag: Option<&str>, cseq: u32, extra: &[&str]) -> Request {
    let has = |name: &str| extra.iter().any(|l| l.starts_with(name));
    let mut text = format!(
        "SUBSCRIBE sip:700@pbx.example SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK{call_id}{cseq}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:201@pbx.example>;tag=ph1\r\n\
         To: <sip:700@pbx.example>{}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} SUBSCRIBE\r\n",
        to_tag.map(|t| format!(";tag={t}")).unwrap_or_default()
    );
    if !has("Contact:") {
        text.push_str("Contact: <sip:201@127.0.0.1:5062>\r\n");
    }
    if !has("Event:") {
        text.push_str("Event: message-summary\r\n");
    }
    for line in extra.iter().filter(|l| !l.is_empty()) {
        text.push_str(line);
        text.push_str("\r\n");
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    match sip::parse::parse_datagram(text.as_bytes()).unwrap() {
        Message::Request(r) => r,
        Message::Response(_) => unreachable!(),
    }
}

impl Fixture {
    fn handle(&mut self, req: &Request) -> SubscribeOutcome {
        self.subs.handle_subscribe(
            req,
            ACCOUNT,
            &self.boxes,
            self.peer,
            self.now,
            &mut self.ids,
        )
    }

    /// Starts the NOTIFY's client transaction, as the endpoint does, for its key.
    fn send(&mut self, n: &Notify) -> ClientTxKey {
        // The request must survive the wire: print, parse, compare.
        let bytes = n.request.to_bytes();
        let parsed = sip::parse::parse_datagram(&bytes).unwrap();
        assert!(matches!(parsed, Message::Request(ref r) if r.method == Method::Notify));
        self.txn.send_request(n.request.clone(), n.peer, self.now)
    }
}

fn header<'a>(req: &'a Request, name: &str) -> &'a str {
    req.headers
        .get(&HeaderName::Other(name.to_string()))
        .or_else(|| {
            req.headers
                .list
                .iter()
                .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
                .map(|h| h.value.as_str())
        })
        .unwrap_or("")
}

fn body(n: &Notify) -> String {
    String::from_utf8(n.request.body.clone()).unwrap()
}

#[test]
fn subscribe_gets_200_and_immediate_notify() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &["Expires: 1800"]));
    let resp = &out.response;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.expires(), Some(1800));
    assert!(resp.contacts().len() == 1);
    let local_tag = resp.to_tag().unwrap();
    assert_eq!(out.notify.len(), 1);
    let n = &out.notify[0];
    let req = &n.request;
    assert_eq!(n.peer, f.peer);
    assert_eq!(req.method, Method::Notify);
    assert_eq!(req.uri.to_string(), "sip:201@127.0.0.1:5062");
    assert_eq!(req.headers.get(&HeaderName::Event), Some("message-summary"));
    assert_eq!(header(req, "Subscription-State"), "active;expires=1800");
    assert_eq!(req.content_type(), Some(CONTENT_TYPE));
    assert_eq!(req.call_id(), Some("c1"));
    assert_eq!(req.from_header().unwrap().tag(), Some(local_tag.as_str()));
    assert_eq!(req.to_header().unwrap().tag(), Some("ph1"));
    assert_eq!(req.cseq().unwrap().seq, 1);
    assert!(req
        .top_via()
        .unwrap()
        .branch()
        .unwrap()
        .starts_with("z9hG4bK"));
    assert_eq!(
        body(n),
        "Messages-Waiting: yes\r\nMessage-Account: sip:700@pbx.example\r\n\
         Voice-Message: 1/4 (0/0)\r\n"
    );
    f.send(n);
    assert_eq!(f.subs.len(), 1);
    assert_eq!(
        f.subs.poll_timeout(),
        Some(f.now + Duration::from_secs(1800))
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
    let long_id = format!("Event: message-summary;id={}", "x".repeat(70));
    let cases: &[(&[&str], u16)] = &[
        (&["Event: presence"], 489),
        (&[long_id.as_str()], 489),
        (&["Expires: soon"], 400),
        (&["Expires: -1"], 400),
        (&["Contact: <tel:+34910000000>"], 400),
        (&["Accept: application/pidf+xml"], 406),
    ];
    for (extra, status) in cases {
        let mut f = fixture();
        let out = f.handle(&subscribe("c1", None, 1, extra));
        assert_eq!(out.response.status, *status, "{extra:?}");
        assert!(out.notify.is_empty());
        assert!(out.response.to_tag().is_some());
        assert!(f.subs.is_empty());
    }
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &["Event: dialog"]));
    let allow_events = out
        .response
        .headers
        .list
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case("Allow-Events"));
    assert_eq!(allow_events.unwrap().value, "message-summary");
}

#[test]
fn accept_lists_and_event_ids_that_are_fine() {
    let mut f = fixture();
    let out = f.handle(&subscribe(
        "c1",
        None,
        1,
        &[
            "Event: Message-Summary ; id=7",
            "Accept: application/sdp, application/simple-message-summary",
        ],
    ));
    assert_eq!(out.response.status, 200);
    let event = out.notify[0].request.headers.get(&HeaderName::Event);
    assert_eq!(event, Some("message-summary;id=7"));
}

#[test]
fn box_lookup_decides_and_404s() {
    let mut f = fixture();
    let mut req = subscribe("c1", None, 1, &[]);
    req.uri = sip::uri::Uri::parse("sip:201@pbx.example").unwrap();
    assert_eq!(f.handle(&req).response.status, 200, "own extension");
    req.uri = sip::uri::Uri::parse("sip:999@pbx.example").unwrap();
    let mut req2 = req.clone();
    req2.headers.set(HeaderName::CallId, "c2");
    assert_eq!(f.handle(&req2).response.status, 404);
    let other = f.subs.handle_subscribe(
        &subscribe("c3", None, 1, &[]),
        "ext1203",
        &f.boxes,
        f.peer,
        f.now,
        &mut f.ids,
    );
    assert_eq!(other.response.status, 404, "not a user of box 700");
}

#[test]
fn refresh_extends_and_notifies_with_increasing_cseq() {
    let mut f = fixture();
    let out = f.handle(&subscribe("c1", None, 1, &["Expires: 600"]));
    let tag = out.response.to_tag().unwrap();
    let key = f.send(&out.notify[0]);
    assert_eq!(
        f.subs.handle_notify_response(&key, 200, f.now, &mut f.ids),
        Some(vec![])
    );
    f.now += Duration::from_secs(500);
    let out = f.handle(&subscribe("c1", Some(&tag), 2, &["Expires: 600"]));
    assert_eq!(out.response.status, 200);
    assert_eq!(out.response.to_tag().as_deref(), Some(tag.as_str()));
    assert_eq!(out.notify.len(), 1);
    assert_eq!(out.notify[0].request.cseq().unwrap().seq, 2);
    assert_eq!(
        f.subs.poll_timeout(),
        Some(f.now + Duration::from_secs(600))
    );
    // Not expired at the old deadline.
    assert!(f
        .subs
        .handle_timeout(f.now + Duration::from_secs(101), &mut f.ids)
        .is_empty());
    assert_eq!(f.subs.len(), 1);
}

#[test]
fn refresh_of_unknown_dialog_is_481_and_old_cseq_500() {
    let mut f = fixture();
    let out = f.handle(&subscribe("nope", Some("x1"), 2, &[]));
    assert_eq!(out.response.status, 481);
    let out = f.handle(&subscribe("c1", None, 5, &[]));
    let tag = out.response.to_tag().unwrap();
    assert_eq!(
        f.handle(&subscribe("c1", Some("other"), 6, &[]))
            .response
            .status,
        481
    );
    assert_eq!(
        f.handle(&subscribe("c1", Some(&tag), 4, &[]))
            .response
            .status,
        500
    );
    let intruder = f.subs.handle_subscribe(
        &subscribe("c1", Some(&tag), 7, &[]),
        "ext1202",
        &f.boxes,
        f.peer,
        f.now,
        &mut f.ids,
    );
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
    let out = f.handle(&subscribe("c1", None, 1, &[]));
    let tag = out.response.to_tag().unwrap();
    let first = f.send(&out.notify[0]);
    let out = f.handle(&subscribe("c1", Some(&tag), 2, &["Expires: 0"]));
    assert_eq!(out.response.status, 200);
    assert_eq!(out.response.expires(), Some(0));
    assert_eq!(out.notify.len(), 1, "final NOTIFY even with one in flight");
    let n = &out.notify[0].request;
    assert_eq!(header(n, "Subscription-State"), "terminated;reason=timeout");
    assert!(body(&out.notify[0]).contains("Voice-Message: 1/4"));
    assert!(f.subs.is_empty());
    assert_eq!(f.subs.poll_timeout(), None);
    // The first NOTIFY's late answer is no longer ours; a second unsubscribe is 481.
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
    let out = f.handle(&subscribe("c1", None, 1, &["Expires: 0"]));
    assert_eq!(out.response.status, 200);
    assert_eq!(out.notify.len(), 1);
    let state = header(&out.notify[0].request, "Subscription-State");
    assert_eq!(state, "terminated;reason=timeout");
    assert!(f.subs.is_empty());
}
