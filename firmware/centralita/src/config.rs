//! `centralita run` options and the addresses derived from them.
use clap::Args;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Data folder (SQLite database, recordings). Created if missing.
    #[arg(long, default_value = "data")]
    pub data: PathBuf,
    /// SIP listen address (UDP and TCP).
    #[arg(long, default_value = "0.0.0.0:5060")]
    pub sip: SocketAddr,
    /// Web page / API listen address.
    #[arg(long, default_value = "0.0.0.0:8080")]
    pub http: SocketAddr,
    /// RTP port range, LO-HI.
    #[arg(long, default_value = "10000-20000", value_parser = parse_port_range)]
    pub rtp_ports: (u16, u16),
    /// Address advertised in SIP and SDP when listening on 0.0.0.0 (default: the first
    /// non-loopback IPv4 address of the box).
    #[arg(long)]
    pub advertise: Option<IpAddr>,
    /// Digest algorithms offered to phones, in order: md5, sha-256 (RFC 8760). MD5 alone is the
    /// default because many phones fail when any SHA-256 challenge is offered.
    #[arg(long, value_delimiter = ',', default_value = "md5", value_parser = parse_algorithm)]
    pub digest: Vec<sip::digest::Algorithm>,
    /// SIP requests per second one address may send before it is banned as a flood (0 = no
    /// limit). Loopback (the box itself) is never banned.
    #[arg(long, default_value_t = 500)]
    pub flood_limit: u32,
    /// SMTP server for voicemail email.
    #[command(flatten)]
    pub mail: crate::mail::MailArgs,
}

fn parse_algorithm(s: &str) -> Result<sip::digest::Algorithm, String> {
    sip::digest::Algorithm::from_param(Some(s.trim()))
        .ok_or_else(|| format!("unknown digest algorithm {s:?} (md5 or sha-256)"))
}

fn parse_port_range(s: &str) -> Result<(u16, u16), String> {
    let (lo, hi) = s
        .split_once('-')
        .ok_or_else(|| format!("expected LO-HI, got {s:?}"))?;
    let lo: u16 = lo.trim().parse().map_err(|_| format!("bad port {lo:?}"))?;
    let hi: u16 = hi.trim().parse().map_err(|_| format!("bad port {hi:?}"))?;
    if lo >= hi || hi - lo < 4 {
        return Err(format!("range {lo}-{hi} is empty or too small"));
    }
    Ok((lo, hi))
}

/// The address phones must reach the box at: the bind address, unless it is a wildcard.
pub fn advertised_ip(bind: IpAddr, explicit: Option<IpAddr>) -> IpAddr {
    if let Some(ip) = explicit {
        return ip;
    }
    if !bind.is_unspecified() {
        return bind;
    }
    first_interface_ipv4().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
}

fn first_interface_ipv4() -> Option<IpAddr> {
    let addrs = nix::ifaddrs::getifaddrs().ok()?;
    for ifa in addrs {
        let Some(addr) = ifa.address else { continue };
        if let Some(sin) = addr.as_sockaddr_in() {
            let ip = sin.ip();
            if !ip.is_loopback() && !ip.is_unspecified() {
                return Some(IpAddr::V4(ip));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_ranges() {
        assert_eq!(parse_port_range("10000-20000"), Ok((10000, 20000)));
        assert!(parse_port_range("20000-10000").is_err());
        assert!(parse_port_range("x").is_err());
        assert!(parse_port_range("1-99999").is_err());
    }
}
