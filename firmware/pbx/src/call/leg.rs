//! One dialog of a bridged call and the requests the box sends inside it (RFC 3261 §12.2.1).
use crate::ids::Ids;
use sip::message::{HeaderName, Headers, Method, Request};
use sip::transaction::{Peer, TransportKind};
use sip::uri::Uri;
use std::net::SocketAddr;

#[derive(Debug, Clone)]
pub struct Leg {
    pub call_id: String,
    /// Our From (as UAC) or To (as UAS) header value, tag included.
    pub local_header: String,
    /// The peer's header value, tag included.
    pub remote_header: String,
    pub remote_tag: String,
    /// Where in-dialog requests go (the peer's Contact).
    pub remote_target: Uri,
    /// Transport address the peer is reached at (its source address: NAT-friendly).
    pub peer: Peer,
    pub local_cseq: u32,
}

impl Leg {
    /// A new in-dialog request with the next local CSeq.
    pub fn request(&mut self, method: Method, sip_addr: SocketAddr, ids: &mut Ids) -> Request {
        self.local_cseq += 1;
        let seq = self.local_cseq;
        self.request_with_cseq(method, seq, sip_addr, ids)
    }

    /// An in-dialog request with a given CSeq (ACK reuses its INVITE's number).
    pub fn request_with_cseq(
        &self,
        method: Method,
        cseq: u32,
        sip_addr: SocketAddr,
        ids: &mut Ids,
    ) -> Request {
        let mut headers = Headers::new();
        headers.push(HeaderName::Via, via_value(self.peer, sip_addr, ids));
        headers.push(HeaderName::MaxForwards, "70");
        headers.push(HeaderName::From, self.local_header.clone());
        headers.push(HeaderName::To, self.remote_header.clone());
        headers.push(HeaderName::CallId, self.call_id.clone());
        headers.push(HeaderName::CSeq, format!("{cseq} {}", method.as_str()));
        if matches!(method, Method::Invite | Method::Update) {
            headers.push(HeaderName::Contact, contact_value(sip_addr));
        }
        Request {
            method,
            uri: self.remote_target.clone(),
            headers,
            body: Vec::new(),
        }
    }
}

pub fn transport_token(kind: TransportKind) -> &'static str {
    match kind {
        TransportKind::Udp => "UDP",
        TransportKind::Tcp => "TCP",
        TransportKind::Tls => "TLS",
    }
}

pub fn via_value(peer: Peer, sip_addr: SocketAddr, ids: &mut Ids) -> String {
    via_with_branch(peer, sip_addr, &ids.branch())
}

/// A Via for a request whose branch the caller keeps (to match the response to it).
pub fn via_with_branch(peer: Peer, sip_addr: SocketAddr, branch: &str) -> String {
    format!(
        "SIP/2.0/{} {};branch={branch};rport",
        transport_token(peer.transport),
        host_port(sip_addr),
    )
}

pub fn contact_value(sip_addr: SocketAddr) -> String {
    format!("<sip:centralita@{}>", host_port(sip_addr))
}

pub fn host(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    }
}

pub fn host_port(addr: SocketAddr) -> String {
    format!("{}:{}", host(addr), addr.port())
}
