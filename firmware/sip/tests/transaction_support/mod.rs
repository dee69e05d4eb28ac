//! Shared helpers of the transaction tests: virtual time, message builders, output draining.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sip::message::SipHeaders;
use sip::transaction::{Peer, TransactionLayer, Transmit, TransportKind, TxEvent};
use sip::{HeaderName, Headers, Method, Request, Response, Uri};

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

pub fn udp(port: u16) -> Peer {
    peer(TransportKind::Udp, port)
}

pub fn tcp(port: u16) -> Peer {
    peer(TransportKind::Tcp, port)
}

pub fn peer(transport: TransportKind, port: u16) -> Peer {
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    Peer { transport, addr }
}

/// A request as a phone at `host:port` would send it, with one Via carrying `branch`.
pub fn request(method: Method, branch: &str, call_id: &str, seq: u32, via_host: &str) -> Request {
    request_over("UDP", method, branch, call_id, seq, via_host)
}

pub fn request_over(
    transport: &str,
    method: Method,
    branch: &str,
    call_id: &str,
    seq: u32,
    via_host: &str,
) -> Request {
    let mut headers = Headers::new();
    headers.push(
        HeaderName::Via,
        format!("SIP/2.0/{transport} {via_host};branch={branch};rport"),
    );
    headers.push(HeaderName::MaxForwards, "70");
    headers.push(HeaderName::From, "<sip:10@box.example>;tag=from1");
    headers.push(HeaderName::To, "<sip:11@box.example>");
    headers.push(HeaderName::CallId, call_id);
    headers.push(HeaderName::CSeq, format!("{seq} {}", method.as_str()));
    Request {
        method,
        uri: Uri::sip(Some("11"), "box.example", None),
        headers,
        body: Vec::new(),
    }
}

pub fn invite(branch: &str, call_id: &str) -> Request {
    request(Method::Invite, branch, call_id, 1, "127.0.0.1:5070")
}

/// CANCEL for `invite` (§9.1: same Request-URI, Call-ID, From, To, CSeq number and top Via).
pub fn cancel_for(invite: &Request) -> Request {
    let mut c = invite.clone();
    c.method = Method::Cancel;
    let seq = invite.cseq().unwrap().seq;
    c.headers.set(HeaderName::CSeq, format!("{seq} CANCEL"));
    c
}

/// ACK for a 2xx (new branch, To with the response's tag).
pub fn ack_for_2xx(invite: &Request, to_tag: &str, branch: &str) -> Request {
    let mut a = invite.clone();
    a.method = Method::Ack;
    let seq = invite.cseq().unwrap().seq;
    a.headers.set(HeaderName::CSeq, format!("{seq} ACK"));
    a.headers.set(
        HeaderName::Via,
        format!("SIP/2.0/UDP 127.0.0.1:5070;branch={branch};rport"),
    );
    let to = format!(
        "{};tag={to_tag}",
        invite.headers.get(&HeaderName::To).unwrap()
    );
    a.headers.set(HeaderName::To, to);
    a
}

/// ACK for a non-2xx: same branch as the INVITE.
pub fn ack_same_branch(invite: &Request, to_tag: &str) -> Request {
    let mut a = ack_for_2xx(invite, to_tag, "unused");
    a.headers.set(
        HeaderName::Via,
        invite.headers.get(&HeaderName::Via).unwrap().to_string(),
    );
    a
}

pub fn response(req: &Request, status: u16) -> Response {
    let tag = (status > 100).then_some("uas1");
    Response::for_request(req, status, sip::builder::reason_phrase(status), tag)
}

pub fn transmits(layer: &mut TransactionLayer) -> Vec<Transmit> {
    std::iter::from_fn(|| layer.poll_transmit()).collect()
}

pub fn events(layer: &mut TransactionLayer) -> Vec<TxEvent> {
    std::iter::from_fn(|| layer.poll_event()).collect()
}

pub fn text(t: &Transmit) -> String {
    String::from_utf8_lossy(&t.bytes).into_owned()
}

/// The status code of a transmitted response, or 0 for a request.
pub fn status_of(t: &Transmit) -> u16 {
    let s = text(t);
    s.strip_prefix("SIP/2.0 ")
        .and_then(|r| r.get(..3))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// The method of a transmitted request.
pub fn method_of(t: &Transmit) -> String {
    text(t).split(' ').next().unwrap_or("").to_string()
}

/// What happened while time advanced: (offset from base, item).
pub type Timeline = (Vec<(Duration, Transmit)>, Vec<(Duration, TxEvent)>);

/// Advances virtual time timer by timer until `until`, collecting (offset from base, transmit)
/// and events. Never sleeps.
pub fn run_until(layer: &mut TransactionLayer, base: Instant, until: Duration) -> Timeline {
    let mut sent = Vec::new();
    let mut evs = Vec::new();
    while let Some(at) = layer.poll_timeout() {
        if at > base + until {
            break;
        }
        layer.handle_timeout(at);
        for t in transmits(layer) {
            sent.push((at - base, t));
        }
        for e in events(layer) {
            evs.push((at - base, e));
        }
    }
    (sent, evs)
}
