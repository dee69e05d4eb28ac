//! Transaction identifiers (RFC 3261 §17.1.3 for clients, §17.2.3 for servers).
//!
//! Keys are `Arc`-backed so the timer queue and the indexes can hold them at the cost of a reference
//! count, not a string copy per timer.
use std::sync::Arc;

use crate::header::{Transport, Via};
use crate::message::{Method, Request, Response, SipHeaders};

/// Magic cookie that marks an RFC 3261 branch (§8.1.1.7).
const COOKIE: &str = "z9hG4bK";

#[derive(Debug, PartialEq, Eq, Hash)]
struct ServerParts {
    // Boxed strs, not Strings: ~100k keys can be alive at once and spare capacity adds up.
    branch: Box<str>,
    sent_by: Box<str>,
    method: Method,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ClientParts {
    branch: Box<str>,
    method: Method,
}

/// Identifies a server transaction: top-Via branch + sent-by + method, where an ACK maps to the
/// INVITE it acknowledges (§17.2.3). CANCEL has its own key (method CANCEL).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ServerTxKey(Arc<ServerParts>);

/// Identifies a client transaction: the branch we put in the top Via + the CSeq method (§17.1.3),
/// so a CANCEL (same branch as its INVITE) is a different transaction.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClientTxKey(Arc<ClientParts>);

impl ServerTxKey {
    pub fn method(&self) -> &Method {
        &self.0.method
    }
    pub fn branch(&self) -> &str {
        &self.0.branch
    }
    /// The same transaction identity with another method: CANCEL → INVITE for §9.2 matching.
    pub(crate) fn with_method(&self, method: Method) -> ServerTxKey {
        ServerTxKey(Arc::new(ServerParts {
            branch: self.0.branch.clone(),
            sent_by: self.0.sent_by.clone(),
            method,
        }))
    }
}

impl ClientTxKey {
    pub fn method(&self) -> &Method {
        &self.0.method
    }
    pub fn branch(&self) -> &str {
        &self.0.branch
    }
    pub(crate) fn new(branch: &str, method: Method) -> ClientTxKey {
        ClientTxKey(Arc::new(ClientParts {
            branch: branch.into(),
            method,
        }))
    }
}

/// For logs: `branch@sent-by method`.
impl std::fmt::Display for ServerTxKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{} {}", self.0.branch, self.0.sent_by, self.0.method)
    }
}

/// For logs: `branch method`.
impl std::fmt::Display for ClientTxKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.0.branch, self.0.method)
    }
}

/// `host:port` with the host lower-cased and the default port filled in, so `Host` and
/// `host:5060` are the same sender.
fn sent_by(via: &Via) -> Box<str> {
    let port = via.port.unwrap_or(match via.transport {
        Transport::Tls | Transport::Wss => 5061,
        _ => 5060,
    });
    format!("{}:{}", via.host.to_ascii_lowercase(), port).into_boxed_str()
}

/// Server key of an incoming request whose top Via is `via`.
pub(crate) fn server_key(req: &Request, via: &Via) -> ServerTxKey {
    let method = match req.method {
        Method::Ack => Method::Invite,
        ref m => m.clone(),
    };
    let branch = match via.branch() {
        Some(b) if b.starts_with(COOKIE) => b.into(),
        // RFC 2543 peer: the branch alone is not unique, so fold in the dialog-ish identifiers
        // that are equal between a request, its retransmissions and the ACK for a non-2xx.
        other => legacy_branch(req, other.unwrap_or("")).into_boxed_str(),
    };
    ServerTxKey(Arc::new(ServerParts {
        branch,
        sent_by: sent_by(via),
        method,
    }))
}

fn legacy_branch(req: &Request, branch: &str) -> String {
    let call_id = req.call_id().unwrap_or("");
    let from_tag = req
        .from_header()
        .and_then(|f| f.tag().map(str::to_string))
        .unwrap_or_default();
    let seq = req.cseq().map(|c| c.seq).unwrap_or(0);
    format!("2543|{call_id}|{from_tag}|{seq}|{branch}")
}

/// Client key of a response: top-Via branch and CSeq method. `None` when either is missing.
pub(crate) fn client_key_for_response(resp: &Response) -> Option<ClientTxKey> {
    let via = resp.top_via()?;
    let branch = via.branch()?;
    let cseq = resp.cseq()?;
    Some(ClientTxKey::new(branch, cseq.method))
}

/// Client key of a request the TU is sending. `None` when its top Via has no branch.
pub(crate) fn client_key_for_request(req: &Request) -> Option<ClientTxKey> {
    let via = req.top_via()?;
    let branch = via.branch()?;
    Some(ClientTxKey::new(branch, req.method.clone()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::header::Params;

    fn via(host: &str, port: Option<u16>, branch: &str) -> Via {
        let mut params = Params::default();
        params.set("branch", Some(branch.to_string()));
        Via {
            protocol: "SIP/2.0".into(),
            transport: Transport::Udp,
            host: host.into(),
            port,
            params,
        }
    }

    fn req(method: Method) -> Request {
        Request {
            method,
            uri: crate::uri::Uri::sip(Some("10"), "box", None),
            headers: Default::default(),
            body: Vec::new(),
        }
    }

    #[test]
    fn ack_maps_to_invite_and_default_port_is_filled() {
        let a = server_key(&req(Method::Invite), &via("Phone", None, "z9hG4bKabc"));
        let b = server_key(&req(Method::Ack), &via("phone", Some(5060), "z9hG4bKabc"));
        assert_eq!(a, b);
        let c = server_key(&req(Method::Cancel), &via("phone", None, "z9hG4bKabc"));
        assert_ne!(a, c);
        assert_eq!(c.with_method(Method::Invite), a);
    }

    #[test]
    fn keys_print_for_logs() {
        let k = server_key(&req(Method::Ack), &via("Phone", None, "z9hG4bKabc"));
        assert_eq!(k.to_string(), "z9hG4bKabc@phone:5060 INVITE");
        assert_eq!(
            ClientTxKey::new("z9hG4bKx", Method::Bye).to_string(),
            "z9hG4bKx BYE"
        );
    }

    #[test]
    fn different_sent_by_is_a_different_transaction() {
        let a = server_key(&req(Method::Bye), &via("10.0.0.1", None, "z9hG4bKx"));
        let b = server_key(&req(Method::Bye), &via("10.0.0.2", None, "z9hG4bKx"));
        assert_ne!(a, b);
    }
}
