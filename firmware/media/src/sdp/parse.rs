//! Line-oriented SDP parser (RFC 8866 §5, §9 grammar), lenient where phones differ
//! harmlessly and strict where the box would otherwise misroute media.

use super::{
    Address, AddressType, Attribute, Bandwidth, Connection, Direction, MediaDescription, Origin,
    RawLine, RtpMap, SessionDescription,
};
use crate::error::SdpError;
use std::net::IpAddr;

/// Bodies bigger than this are refused: a phone's offer is well under 4 KiB, and the
/// cap bounds the work a hostile peer can cause.
pub const MAX_SDP_LEN: usize = 64 * 1024;

pub(super) fn parse(body: &[u8]) -> Result<SessionDescription, SdpError> {
    if body.len() > MAX_SDP_LEN {
        return Err(SdpError::TooLarge { max: MAX_SDP_LEN });
    }
    let text = std::str::from_utf8(body).map_err(|_| SdpError::NotUtf8)?;
    let mut lines = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end()))
        .filter(|(_, l)| !l.is_empty())
        .map(|(n, l)| split_line(n, l));

    let (line, kind, value) = lines.next().ok_or(SdpError::Empty)??;
    if kind != 'v' {
        return Err(SdpError::MissingVersion { line });
    }
    if value.trim() != "0" {
        return Err(SdpError::UnsupportedVersion {
            line,
            found: value.to_string(),
        });
    }

    let mut session = SessionBuilder::default();
    let mut media: Vec<MediaDescription> = Vec::new();
    for item in lines {
        let (line, kind, value) = item?;
        if kind == 'm' {
            media.push(parse_media(line, value)?);
            continue;
        }
        match media.last_mut() {
            Some(m) => media_line(m, line, kind, value)?,
            None => session.line(line, kind, value)?,
        }
    }
    session.finish(media)
}

fn split_line(line: usize, text: &str) -> Result<(usize, char, &str), SdpError> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(kind), Some('=')) if kind.is_ascii_alphabetic() => Ok((line, kind, &text[2..])),
        _ => Err(SdpError::LineSyntax { line }),
    }
}

#[derive(Default)]
struct SessionBuilder {
    origin: Option<Origin>,
    session_name: Option<String>,
    information: Option<String>,
    uri: Option<String>,
    emails: Vec<String>,
    phones: Vec<String>,
    connection: Option<Connection>,
    bandwidths: Vec<Bandwidth>,
    timing: Vec<RawLine>,
    key: Option<String>,
    extra: Vec<RawLine>,
    attributes: Vec<Attribute>,
}

impl SessionBuilder {
    fn line(&mut self, line: usize, kind: char, value: &str) -> Result<(), SdpError> {
        match kind {
            'o' => self.origin = Some(parse_origin(line, value)?),
            's' => self.session_name = Some(value.to_string()),
            'i' => self.information = Some(value.to_string()),
            'u' => self.uri = Some(value.to_string()),
            'e' => self.emails.push(value.to_string()),
            'p' => self.phones.push(value.to_string()),
            'c' => self.connection = Some(parse_connection(line, value)?),
            'b' => self.bandwidths.push(parse_bandwidth(line, value)?),
            't' | 'r' | 'z' => self.timing.push(raw(kind, value)),
            'k' => self.key = Some(value.to_string()),
            'a' => self.attributes.push(parse_attribute(line, value)?),
            _ => self.extra.push(raw(kind, value)),
        }
        Ok(())
    }

    fn finish(self, media: Vec<MediaDescription>) -> Result<SessionDescription, SdpError> {
        Ok(SessionDescription {
            origin: self.origin.ok_or(SdpError::MissingOrigin)?,
            session_name: self.session_name.unwrap_or_else(|| "-".to_string()),
            information: self.information,
            uri: self.uri,
            emails: self.emails,
            phones: self.phones,
            connection: self.connection,
            bandwidths: self.bandwidths,
            timing: self.timing,
            key: self.key,
            extra: self.extra,
            attributes: self.attributes,
            media,
        })
    }
}

fn raw(kind: char, value: &str) -> RawLine {
    RawLine {
        kind,
        value: value.to_string(),
    }
}

fn media_line(
    m: &mut MediaDescription,
    line: usize,
    kind: char,
    value: &str,
) -> Result<(), SdpError> {
    match kind {
        'i' => m.information = Some(value.to_string()),
        'c' => m.connections.push(parse_connection(line, value)?),
        'b' => m.bandwidths.push(parse_bandwidth(line, value)?),
        'k' => m.key = Some(value.to_string()),
        'a' => m.attributes.push(parse_attribute(line, value)?),
        _ => m.extra.push(raw(kind, value)),
    }
    Ok(())
}

/// `<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`
fn parse_origin(line: usize, value: &str) -> Result<Origin, SdpError> {
    let bad = || SdpError::BadOrigin { line };
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [username, session_id, session_version, net, addr_type, address] = fields[..] else {
        return Err(bad());
    };
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !numeric(session_id) || !numeric(session_version) {
        return Err(bad());
    }
    let (address_type, address) = parse_address(net, addr_type, address).ok_or_else(bad)?;
    Ok(Origin {
        username: username.to_string(),
        session_id: session_id.to_string(),
        session_version: session_version.to_string(),
        address_type,
        address,
    })
}

/// `IN <addrtype> <address>[/ttl[/count]]`
fn parse_connection(line: usize, value: &str) -> Result<Connection, SdpError> {
    let bad = || SdpError::BadConnection { line };
    let fields: Vec<&str> = value.split_ascii_whitespace().collect();
    let [net, addr_type, address] = fields[..] else {
        return Err(bad());
    };
    // IPv6 literals contain no '/', so the first slash always starts the suffix.
    let (address, multicast) = match address.split_once('/') {
        Some((a, suffix)) => (a, Some(suffix.to_string())),
        None => (address, None),
    };
    let (address_type, address) = parse_address(net, addr_type, address).ok_or_else(bad)?;
    Ok(Connection {
        address_type,
        address,
        multicast,
    })
}

fn parse_address(net: &str, addr_type: &str, address: &str) -> Option<(AddressType, Address)> {
    if !net.eq_ignore_ascii_case("IN") {
        return None;
    }
    let address_type = if addr_type.eq_ignore_ascii_case("IP4") {
        AddressType::Ip4
    } else if addr_type.eq_ignore_ascii_case("IP6") {
        AddressType::Ip6
    } else {
        return None;
    };
    // Some stacks bracket IPv6 literals as in SIP URIs; RFC 8866 does not, accept both.
    let bare = address
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(address);
    let address = match bare.parse::<IpAddr>() {
        Ok(ip) => Address::Ip(ip),
        Err(_) if is_host_name(bare) => Address::Host(bare.to_string()),
        Err(_) => return None,
    };
    Some((address_type, address))
}

fn is_host_name(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn parse_bandwidth(line: usize, value: &str) -> Result<Bandwidth, SdpError> {
    let (modifier, value) = value
        .split_once(':')
        .ok_or(SdpError::BadBandwidth { line })?;
    Ok(Bandwidth {
        modifier: modifier.trim().to_string(),
        value: value.trim().to_string(),
    })
}

/// `<media> <port>[/<count>] <proto> <fmt> ...`
fn parse_media(line: usize, value: &str) -> Result<MediaDescription, SdpError> {
    let bad = || SdpError::BadMedia { line };
    let mut fields = value.split_ascii_whitespace();
    let media = fields.next().ok_or_else(bad)?;
    let port_field = fields.next().ok_or_else(bad)?;
    let protocol = fields.next().ok_or_else(bad)?;
    let (port, port_count) = match port_field.split_once('/') {
        Some((p, n)) => (p, Some(n.parse::<u16>().map_err(|_| bad())?)),
        None => (port_field, None),
    };
    let port = port.parse::<u16>().map_err(|_| bad())?;
    let formats: Vec<String> = fields.map(str::to_string).collect();
    if formats.is_empty() {
        return Err(bad());
    }
    Ok(MediaDescription {
        media: media.to_string(),
        port,
        port_count,
        protocol: protocol.to_string(),
        formats,
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        extra: Vec::new(),
        attributes: Vec::new(),
    })
}

fn parse_attribute(line: usize, value: &str) -> Result<Attribute, SdpError> {
    let (name, val) = match value.split_once(':') {
        Some((n, v)) => (n, Some(v)),
        None => (value, None),
    };
    let bad = || SdpError::BadAttribute {
        line,
        name: name.to_string(),
    };
    let attribute = match (name, val) {
        ("rtpmap", Some(v)) => match parse_rtpmap(v) {
            Some(map) => Attribute::RtpMap(map),
            // RFC 4475 sdp01 carries `a=rtpmap:31 LPC` (no clock rate) and calls the
            // message valid: keep such a line verbatim as long as its payload type
            // and encoding name are there.
            None if rtpmap_head_ok(v) => other(name, val),
            None => return Err(bad()),
        },
        ("rtpmap", None) => return Err(bad()),
        ("fmtp", Some(v)) => {
            let (format, params) = v.split_once(' ').unwrap_or((v, ""));
            if format.is_empty() {
                return Err(bad());
            }
            Attribute::Fmtp {
                format: format.to_string(),
                params: params.trim_start().to_string(),
            }
        }
        ("fmtp", None) => return Err(bad()),
        // A ptime the box cannot read is harmless to relay: keep it verbatim.
        ("ptime", Some(v)) => match v.trim().parse() {
            Ok(p) => Attribute::Ptime(p),
            Err(_) => other(name, val),
        },
        ("maxptime", Some(v)) => match v.trim().parse() {
            Ok(p) => Attribute::MaxPtime(p),
            Err(_) => other(name, val),
        },
        (n, None) => match Direction::from_name(n) {
            Some(d) => Attribute::Direction(d),
            None => other(name, val),
        },
        _ => other(name, val),
    };
    Ok(attribute)
}

fn rtpmap_head_ok(v: &str) -> bool {
    let mut fields = v.split_ascii_whitespace();
    let pt_ok = fields
        .next()
        .and_then(|pt| pt.parse::<u8>().ok())
        .is_some_and(|pt| pt < 128);
    pt_ok && fields.next().is_some()
}

fn other(name: &str, value: Option<&str>) -> Attribute {
    Attribute::Other {
        name: name.to_string(),
        value: value.map(str::to_string),
    }
}

/// `<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`
fn parse_rtpmap(v: &str) -> Option<RtpMap> {
    let (pt, rest) = v.trim().split_once(char::is_whitespace)?;
    let payload_type = pt.parse::<u8>().ok().filter(|pt| *pt < 128)?;
    let mut parts = rest.trim().split('/');
    let encoding = parts.next().filter(|e| !e.is_empty())?;
    let clock_rate = parts.next()?.trim().parse::<u32>().ok()?;
    let channels = match parts.next() {
        Some(c) => Some(c.trim().parse::<u16>().ok()?),
        None => None,
    };
    if parts.next().is_some() {
        return None;
    }
    Some(RtpMap {
        payload_type,
        encoding: encoding.to_string(),
        clock_rate,
        channels,
    })
}
