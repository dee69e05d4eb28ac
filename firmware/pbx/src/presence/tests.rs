use super::*;
use crate::ids::Ids;
use rand::SeedableRng;
use sip::message::{HeaderName, Message, Method, SipHeaders};
use sip::transaction::{ClientTxKey, TimerConfig, TransactionLayer, TransportKind};
use std::time::{Duration, Instant};

/// State changes fanned out, NOTIFY outcomes, expiry and the storm caps.
mod fanout;
/// Random sequences of SUBSCRIBEs, call changes, NOTIFY outcomes and time.
mod props;
/// The document against the structure of the RFC 4235 examples.
mod render;
/// Initial SUBSCRIBEs, refreshes, refusals.
mod subscribe;

const ACCOUNT: &str = "ext1201";

/// Tenant 1 has extensions 201-205 (accounts ext1201..ext1205); tenant 2 has 201 (ext2201).
/// An account may name an extension by number (in its tenant) or by username (anywhere).
struct Directory {
    /// Calls of ext 1/202 as the call side would report them at subscribe time.
    calls_202: Vec<DialogView>,
}

impl WatchLookup for Directory {
    fn tenant_of(&self, account: &str) -> Option<u32> {
        match account {
            "ext2201" => Some(2),
            a if a.starts_with("ext120") => Some(1),
            _ => None,
        }
    }
    fn extension(&self, tenant_id: u32, requested: &str) -> Option<ExtensionKey> {
        match requested {
            "ext2201" => Some(ext(2, "201")),
            u if u.starts_with("ext120") => Some(ext(1, &u[4..])),
            n if tenant_id == 1 && matches!(n, "201" | "202" | "203" | "204" | "205") => {
                Some(ext(1, n))
            }
            "201" if tenant_id == 2 => Some(ext(2, "201")),
            _ => None,
        }
    }
    fn dialogs(&self, extension: &ExtensionKey) -> Vec<DialogView> {
        match extension == &ext(1, "202") {
            true => self.calls_202.clone(),
            false => Vec::new(),
        }
    }
}

fn ext(tenant_id: u32, extension: &str) -> ExtensionKey {
    ExtensionKey {
        tenant_id,
        extension: extension.to_string(),
    }
}

/// Extension 202 being called by 600 ("Ana"): what the call side reports while it rings.
fn ringing(id: &str) -> DialogView {
    DialogView {
        id: id.to_string(),
        state: DialogState::Early,
        direction: Direction::Recipient,
        remote_identity: Some(Identity {
            uri: "sip:600@pbx.example".to_string(),
            display: Some("Ana".to_string()),
        }),
        call_id: Some(format!("{id}@10.0.0.5")),
        local_tag: Some("lt1".to_string()),
        remote_tag: Some("rt1".to_string()),
    }
}

fn with_state(mut d: DialogView, state: DialogState) -> DialogView {
    d.state = state;
    d
}

struct Fixture {
    subs: Subscriptions,
    ids: Ids,
    dir: Directory,
    txn: TransactionLayer,
    now: Instant,
    peer: Peer,
}

fn fixture() -> Fixture {
    Fixture {
        subs: Subscriptions::new(PresenceConfig::new("192.0.2.10:5060".parse().unwrap())),
        ids: Ids::new(Box::new(rand::rngs::StdRng::seed_from_u64(9))),
        dir: Directory {
            calls_202: Vec::new(),
        },
        txn: TransactionLayer::new(TimerConfig::default()),
        now: Instant::now(),
        peer: Peer {
            transport: TransportKind::Udp,
            addr: "127.0.0.1:5062".parse().unwrap(),
        },
    }
}

/// A SUBSCRIBE as a desk phone sends it for a BLF key on `target`; `extra` lines replace the
/// defaults they name.
fn subscribe_to(
    target: &str,
    call_id: &str,
    to_tag: Option<&str>,
    cseq: u32,
    extra: &[&str],
) -> Request {
    let has = |name: &str| extra.iter().any(|l| l.starts_with(name));
    let mut text = format!(
        "SUBSCRIBE sip:{target}@pbx.example SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK{call_id}{cseq}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:201@pbx.example>;tag=ph1\r\n\
         To: <sip:{target}@pbx.example>{}\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: {cseq} SUBSCRIBE\r\n",
        to_tag.map(|t| format!(";tag={t}")).unwrap_or_default()
    );
    if !has("Contact:") {
        text.push_str("Contact: <sip:201@127.0.0.1:5062>\r\n");
    }
    if !has("Event:") {
        text.push_str("Event: dialog\r\n");
    }
    if !has("Accept:") {
        text.push_str("Accept: application/dialog-info+xml\r\n");
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

/// A BLF subscription of ext1201 to extension 202.
fn subscribe(call_id: &str, to_tag: Option<&str>, cseq: u32, extra: &[&str]) -> Request {
    subscribe_to("202", call_id, to_tag, cseq, extra)
}

impl Fixture {
    fn handle(&mut self, req: &Request) -> SubscribeOutcome {
        self.handle_as(ACCOUNT, req)
    }

    fn handle_as(&mut self, account: &str, req: &Request) -> SubscribeOutcome {
        self.subs
            .handle_subscribe(req, account, &self.dir, self.peer, self.now, &mut self.ids)
    }

    fn set(&mut self, extension: &str, dialogs: &[DialogView]) -> Vec<Notify> {
        self.subs
            .set_state(&ext(1, extension), dialogs, self.now, &mut self.ids)
    }

    /// Starts the NOTIFY's client transaction, as the endpoint does, for its key.
    fn send(&mut self, n: &Notify) -> ClientTxKey {
        // The request must survive the wire: print, parse, compare.
        let bytes = n.request.to_bytes();
        let parsed = sip::parse::parse_datagram(&bytes).unwrap();
        assert!(matches!(parsed, Message::Request(ref r) if r.method == Method::Notify));
        self.txn.send_request(n.request.clone(), n.peer, self.now)
    }

    /// Sends `n` and answers it 200 at once.
    fn deliver(&mut self, n: &Notify) -> Vec<Notify> {
        let key = self.send(n);
        self.subs
            .handle_notify_response(&key, 200, self.now, &mut self.ids)
            .unwrap()
    }
}

fn header<'a>(req: &'a Request, name: &str) -> &'a str {
    req.headers
        .list
        .iter()
        .find(|h| h.name.as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
        .unwrap_or("")
}

fn body(n: &Notify) -> String {
    String::from_utf8(n.request.body.clone()).unwrap()
}

/// The `version` attribute of a NOTIFY's document.
fn version(n: &Notify) -> u32 {
    let b = body(n);
    let root = b.find("<dialog-info ").unwrap();
    let start = root + b[root..].find(" version=\"").unwrap() + 10;
    let len = b[start..].find('"').unwrap();
    b[start..start + len].parse().unwrap()
}

/// The `<state>` values of a NOTIFY's document, in order.
fn states(n: &Notify) -> Vec<String> {
    body(n)
        .split("<state>")
        .skip(1)
        .map(|s| s.split('<').next().unwrap().to_string())
        .collect()
}
