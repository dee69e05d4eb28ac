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
