//! Where each tenant's trunk providers are: the outbound proxy if one is set, else the domain.
//! A literal `IP[:port]` needs no lookup; a host name is looked up with the system resolver
//! (A/AAAA, port 5060). An explicit port also means "recognise the provider by IP and port".
use pbx::Directory;
use sip::transaction::{Peer, TransportKind};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

/// A provider's resolved address, or why it has none.
pub struct Resolved {
    pub tenant_id: u32,
    pub provider: usize,
    pub peer: Option<Peer>,
    pub exact_port: bool,
}

pub fn resolve_all(directory: &Directory) -> Vec<Resolved> {
    let mut out = Vec::new();
    for tenant in directory.tenants() {
        for (i, trunk) in tenant.trunks.iter().enumerate() {
            let target = trunk.outbound_proxy.as_deref().unwrap_or(&trunk.domain);
            let (addr, exact_port) = match resolve(target) {
                Some(found) => (Some(found.0), found.1),
                None => {
                    tracing::warn!(tenant = tenant.id, provider = i, %target, "trunk provider not resolvable");
                    (None, false)
                }
            };
            out.push(Resolved {
                tenant_id: tenant.id,
                provider: i,
                peer: addr.map(|addr| Peer {
                    transport: TransportKind::Udp,
                    addr,
                }),
                exact_port,
            });
        }
    }
    out
}

fn resolve(target: &str) -> Option<(SocketAddr, bool)> {
    let target = target.trim().trim_start_matches("sip:");
    if let Ok(addr) = target.parse::<SocketAddr>() {
        return Some((addr, true));
    }
    if let Ok(ip) = target
        .trim_matches(|c| c == '[' || c == ']')
        .parse::<IpAddr>()
    {
        return Some((SocketAddr::new(ip, 5060), false));
    }
    let (host, port, exact) = match target.rsplit_once(':') {
        Some((h, p)) if p.parse::<u16>().is_ok() => (h, p.parse().unwrap_or(5060), true),
        _ => (target, 5060, false),
    };
    (host, port)
        .to_socket_addrs()
        .ok()?
        .next()
        .map(|a| (a, exact))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_need_no_lookup() {
        assert_eq!(
            resolve("127.0.0.1:5070"),
            Some(("127.0.0.1:5070".parse().unwrap(), true))
        );
        assert_eq!(
            resolve("10.1.2.3"),
            Some(("10.1.2.3:5060".parse().unwrap(), false))
        );
        assert_eq!(resolve("[::1]:5080").map(|r| r.1), Some(true));
    }
}
