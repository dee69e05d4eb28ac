//! `received` and `rport` stamping on incoming requests (RFC 3261 §18.2.1, RFC 3581 §4).
//!
//! Done once when the request enters the layer, so the copy the TU sees and every response built
//! from it (which copies the Via list) tell the phone its public address, and a registrar can
//! record where the phone is really reachable.
use std::net::{IpAddr, SocketAddr};

use crate::header::Via;
use crate::message::{split_list, HeaderName, Request};

/// Stamps the top Via `via` (already parsed from `req`) and writes it back into `req`.
pub(crate) fn stamp_received(req: &mut Request, via: &mut Via, source: SocketAddr) {
    let ip = source.ip();
    let rport = via.params.get("rport");
    let wants_rport = rport.is_some();
    let mut changed = false;
    if rport == Some(None) {
        via.params.set("rport", Some(source.port().to_string()));
        changed = true;
    }
    // RFC 3581 §4: with rport, `received` is added even when the host already matches.
    if wants_rport || !host_is(&via.host, ip) {
        let received = ip.to_string();
        if via.params.value("received") != Some(received.as_str()) {
            via.params.set("received", Some(received));
            changed = true;
        }
    }
    if changed {
        rewrite_top_via(req, via);
    }
}

fn host_is(host: &str, ip: IpAddr) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|h| h == ip)
}

/// Replaces the first Via value (the first element of the first Via line) keeping the rest.
fn rewrite_top_via(req: &mut Request, via: &Via) {
    let Some(line) = req
        .headers
        .list
        .iter_mut()
        .find(|h| h.name == HeaderName::Via)
    else {
        return;
    };
    let mut value = via.to_string();
    for rest in split_list(&line.value).skip(1) {
        value.push_str(", ");
        value.push_str(rest);
    }
    line.value = value;
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::message::{Headers, Method, SipHeaders};
    use crate::uri::Uri;

    fn stamped(via_line: &str, source: &str) -> String {
        let mut headers = Headers::new();
        headers.push(HeaderName::Via, via_line);
        let mut req = Request {
            method: Method::Options,
            uri: Uri::sip(None, "box", None),
            headers,
            body: Vec::new(),
        };
        let mut via = req.top_via().unwrap();
        stamp_received(&mut req, &mut via, source.parse().unwrap());
        req.headers.get(&HeaderName::Via).unwrap().to_string()
    }

    #[test]
    fn same_host_without_rport_is_left_alone() {
        let line = "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1";
        assert_eq!(stamped(line, "10.0.0.5:5060"), line);
    }

    #[test]
    fn other_host_gets_received() {
        let out = stamped(
            "SIP/2.0/UDP phone.lan:5060;branch=z9hG4bK1",
            "10.0.0.5:5060",
        );
        assert!(out.contains(";received=10.0.0.5"), "{out}");
        assert!(!out.contains("rport"), "{out}");
    }

    #[test]
    fn empty_rport_is_filled_and_received_always_added() {
        let out = stamped(
            "SIP/2.0/UDP 10.0.0.5:5060;branch=z9hG4bK1;rport",
            "10.0.0.5:40000",
        );
        assert!(out.contains("rport=40000"), "{out}");
        assert!(out.contains("received=10.0.0.5"), "{out}");
    }

    #[test]
    fn ipv6_source_is_written_without_brackets_and_matches_bracketed_host() {
        let line = "SIP/2.0/UDP [2001:db8::9]:5060;branch=z9hG4bK1";
        assert_eq!(stamped(line, "[2001:db8::9]:5060"), line);
        let out = stamped(line, "[2001:db8::1]:5060");
        assert!(out.contains("received=2001:db8::1"), "{out}");
    }

    #[test]
    fn only_the_first_value_of_a_combined_via_line_changes() {
        let out = stamped(
            "SIP/2.0/UDP phone.lan;branch=z9hG4bK1;rport, SIP/2.0/UDP proxy.lan;branch=z9hG4bK0",
            "10.0.0.5:5070",
        );
        let mut parts = split_list(&out);
        let first = parts.next().unwrap();
        assert!(
            first.contains("rport=5070") && first.contains("received=10.0.0.5"),
            "{out}"
        );
        assert_eq!(parts.next(), Some("SIP/2.0/UDP proxy.lan;branch=z9hG4bK0"));
    }
}
