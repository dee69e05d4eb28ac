//! An in-memory box with phones made of text SIP messages, driven in virtual time.
#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

use pbx::registrar::RegistrarConfig;
use pbx::{
    Account, DialTarget, Directory, MediaControl, MediaPorts, Pbx, PbxConfig, Side, WallClock,
};
use rand::SeedableRng;
use sip::message::{Message, Request, Response, SipHeaders};
use sip::transaction::{Peer, TimerConfig, TransportKind};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub mod phones;

pub const BOX: &str = "192.0.2.1:5060";

/// A directory with `accounts`, a queue at 400 (not routed yet) and whatever `extra` adds.
pub fn directory(accounts: Vec<Account>) -> Directory {
    let mut d = Directory::default();
    for a in accounts {
        d.add_account(a);
    }
    d.add_number(20191, "400", DialTarget::NotYetRouted { kind: "queue" });
    d
}

#[derive(Default)]
pub struct MediaLog {
    pub open: HashMap<u64, MediaPorts>,
    pub remotes: Vec<(u64, Side, SocketAddr)>,
    pub closed: Vec<u64>,
    /// Media-server commands in order (play, record, connect, formats), as text.
    pub commands: Vec<String>,
    next: u64,
}

#[derive(Clone, Default)]
pub struct FakeMedia(pub Arc<Mutex<MediaLog>>);

impl MediaControl for FakeMedia {
    fn open(&mut self) -> Option<MediaPorts> {
        let mut log = self.0.lock().unwrap();
        log.next += 1;
        let id = log.next;
        let base = 40000 + (id as u16) * 4;
        let ports = MediaPorts {
            id,
            port_a: base,
            port_b: base + 2,
        };
        log.open.insert(id, ports);
        Some(ports)
    }
    fn set_remote(&mut self, id: u64, side: Side, addr: SocketAddr) {
        self.0.lock().unwrap().remotes.push((id, side, addr));
    }
    fn close(&mut self, id: u64) {
        let mut log = self.0.lock().unwrap();
        log.open.remove(&id);
        log.closed.push(id);
    }
    fn set_format(&mut self, id: u64, side: Side, format: pbx::SideFormat) {
        self.log(format!("format {id} {side:?} {:?}", format.codec));
    }
    fn connect(&mut self, id: u64) {
        self.log(format!("connect {id}"));
    }
    fn play(&mut self, id: u64, side: Side, what: pbx::Playback, token: u64) {
        self.log(format!("play {id} {side:?} {token} {what:?}"));
    }
    fn stop_play(&mut self, id: u64, side: Side) {
        self.log(format!("stop_play {id} {side:?}"));
    }
    fn record(&mut self, id: u64, side: Side, spec: pbx::RecordSpec, token: u64) {
        self.log(format!(
            "record {id} {side:?} {token} {}",
            spec.path.display()
        ));
    }
    fn stop_record(&mut self, id: u64, side: Side) {
        self.log(format!("stop_record {id} {side:?}"));
    }
    fn record_call(&mut self, id: u64, recording: pbx::CallRecording) {
        self.log(format!("record_call {id} {}", recording.path.display()));
    }
}

impl FakeMedia {
    fn log(&self, line: String) {
        self.0.lock().unwrap().commands.push(line);
    }

    /// The commands logged so far (and forgets them).
    pub fn take_commands(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap().commands)
    }
}

pub struct FixedClock;
impl WallClock for FixedClock {
    fn unix_ms(&self) -> i64 {
        1_764_000_000_000
    }
}

pub fn account(ext: &str, password: &str, ring_seconds: u32) -> Account {
    let mut a = Account::new(20191, ext, password);
    a.display_name = format!("Ext {ext}");
    a.ring_seconds = ring_seconds;
    a
}

pub struct World {
    pub pbx: Pbx,
    pub now: Instant,
    pub media: FakeMedia,
    /// Everything the box sent, by destination address, not yet taken by a test.
    pub inbox: HashMap<SocketAddr, Vec<Message>>,
}

impl World {
    pub fn new(accounts: Vec<Account>) -> World {
        World::with_directory(directory(accounts))
    }

    pub fn with_directory(directory: Directory) -> World {
        let now = Instant::now();
        let media = FakeMedia::default();
        let config = PbxConfig {
            sip_addr: BOX.parse().unwrap(),
            media_ip: "192.0.2.1".parse().unwrap(),
            timers: TimerConfig::default(),
            registrar: RegistrarConfig::default(),
            user_agent: "Centralita/test".into(),
            guard: Default::default(),
            digest_algorithms: vec![sip::digest::Algorithm::Md5, sip::digest::Algorithm::Sha256],
        };
        let pbx = Pbx::new(
            config,
            std::sync::Arc::new(directory),
            Box::new(media.clone()),
            Box::new(FixedClock),
            Box::new(rand::rngs::StdRng::seed_from_u64(1)),
            now,
        );
        World {
            pbx,
            now,
            media,
            inbox: HashMap::new(),
        }
    }

    fn collect(&mut self) {
        while let Some(t) = self.pbx.poll_transmit() {
            let msg = sip::parse::parse_datagram(&t.bytes).expect("box sent unparsable SIP");
            self.inbox.entry(t.peer.addr).or_default().push(msg);
        }
    }

    pub fn send(&mut self, from: SocketAddr, text: &str) {
        let bytes = if text.contains('\r') {
            text.to_string()
        } else {
            text.replace('\n', "\r\n")
        };
        let peer = Peer {
            transport: TransportKind::Udp,
            addr: from,
        };
        self.pbx.handle_datagram(bytes.as_bytes(), peer, self.now);
        self.collect();
    }

    /// The media side reports something (DTMF, end of a playback or recording).
    pub fn media_event(&mut self, event: pbx::MediaEvent) {
        self.pbx.handle_media_event(event, self.now);
        self.collect();
    }

    pub fn advance(&mut self, by: Duration) {
        let end = self.now + by;
        while let Some(t) = self.pbx.poll_timeout() {
            if t > end {
                break;
            }
            self.now = t.max(self.now);
            self.pbx.handle_timeout(self.now);
            self.collect();
        }
        self.now = end;
        self.pbx.handle_timeout(self.now);
        self.collect();
    }

    /// All messages the box sent to `addr`, taken out of the inbox.
    pub fn take(&mut self, addr: SocketAddr) -> Vec<Message> {
        self.inbox.remove(&addr).unwrap_or_default()
    }

    /// The responses sent to `addr` (taken), by status.
    pub fn responses(&mut self, addr: SocketAddr) -> Vec<Response> {
        self.take(addr)
            .into_iter()
            .filter_map(|m| match m {
                Message::Response(r) => Some(r),
                Message::Request(_) => None,
            })
            .collect()
    }

    pub fn requests(&mut self, addr: SocketAddr) -> Vec<Request> {
        self.take(addr)
            .into_iter()
            .filter_map(|m| match m {
                Message::Request(r) => Some(r),
                Message::Response(_) => None,
            })
            .collect()
    }

    pub fn cdrs(&mut self) -> Vec<pbx::Cdr> {
        let mut out = Vec::new();
        while let Some(c) = self.pbx.poll_cdr() {
            out.push(c);
        }
        out
    }
}

/// Finds a header value by long name in a message (test convenience).
pub fn header<'a>(msg: &'a impl SipHeaders, name: &sip::message::HeaderName) -> Option<&'a str> {
    msg.headers().get(name)
}

/// Builds the Authorization value answering the challenge in `resp`.
pub fn answer_challenge(
    resp: &Response,
    method: &str,
    uri: &str,
    user: &str,
    password: &str,
) -> String {
    use sip::message::HeaderName;
    let name = if resp.status == 401 {
        HeaderName::WwwAuthenticate
    } else {
        HeaderName::ProxyAuthenticate
    };
    let challenge = resp
        .headers
        .lines(&name)
        .find(|c| c.contains("MD5"))
        .expect("an MD5 challenge");
    sip::digest::authorize(challenge, method, uri, user, password, "0a4f113b", 1)
        .expect("authorize")
}

pub const SDP_A: &str = "v=0
o=alice 1 1 IN IP4 10.0.0.10
s=-
c=IN IP4 10.0.0.10
t=0 0
m=audio 20000 RTP/AVP 0 8 101
a=rtpmap:0 PCMU/8000
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
";

pub const SDP_B: &str = "v=0
o=bob 7 7 IN IP4 10.0.0.11
s=-
c=IN IP4 10.0.0.11
t=0 0
m=audio 30000 RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=sendrecv
";

/// `text` with `\n` line ends and a correct Content-Length for `body`.
pub fn with_body(head: &str, body: &str) -> String {
    let body = body.replace('\n', "\r\n");
    format!(
        "{head}Content-Type: application/sdp\nContent-Length: {}\n\n{}",
        body.len(),
        body.replace("\r\n", "\n")
    )
}
