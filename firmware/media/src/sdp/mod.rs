//! Session Description Protocol (RFC 8866, formerly RFC 4566): data model.
//!
//! [`SessionDescription::parse`] accepts what real phones send (SIPp, baresip,
//! Yealink, Linphone): LF or CRLF line ends, trailing blanks, blank lines, missing
//! `s=`/`t=`, unknown line types (kept, RFC 8866 §5 says to ignore them), unknown
//! attributes (kept verbatim), IPv6 addresses with or without brackets. It rejects
//! what no phone means: a body not starting with `v=0`, lines that are not
//! `<letter>=<value>`, broken `o=`, `c=`, `m=`, `a=rtpmap`/`a=fmtp` lines.
//!
//! The printer ([`std::fmt::Display`]) writes the fields in RFC 8866 §5 order with
//! CRLF line ends, so a well-ordered body prints back byte for byte.
//!
//! [`offer_answer`] holds the RFC 3264 rewriting done by the anchoring B2BUA.

mod parse;
mod print;

pub mod negotiate;
pub mod offer_answer;

use std::net::IpAddr;

/// A whole SDP body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    pub origin: Origin,
    /// `s=`; may be empty (some stacks send `s=`), `-` when the line is missing.
    pub session_name: String,
    pub information: Option<String>,
    pub uri: Option<String>,
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub connection: Option<Connection>,
    pub bandwidths: Vec<Bandwidth>,
    /// `t=`, `r=` and `z=` lines, verbatim and in order (the box never reads them).
    pub timing: Vec<RawLine>,
    pub key: Option<String>,
    /// Lines of unknown types, kept so a proxy-like rewrite does not lose them.
    pub extra: Vec<RawLine>,
    pub attributes: Vec<Attribute>,
    pub media: Vec<MediaDescription>,
}

/// A line the model keeps verbatim: its type letter and its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    pub kind: char,
    pub value: String,
}

/// `o=<username> <sess-id> <sess-version> IN <addrtype> <address>`.
///
/// Session id and version stay strings: RFC 8866 only asks for digits, and phones
/// send numbers wider than 64 bits (NTP timestamps concatenated, for example).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: String,
    pub session_version: String,
    pub address_type: AddressType,
    pub address: Address,
}

/// `IP4` or `IP6` (the only address types of network type `IN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressType {
    Ip4,
    Ip6,
}

impl AddressType {
    /// The address type matching an IP address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(_) => AddressType::Ip4,
            IpAddr::V6(_) => AddressType::Ip6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AddressType::Ip4 => "IP4",
            AddressType::Ip6 => "IP6",
        }
    }
}

/// A connection or origin address: an IP literal or, rarely, a host name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    Ip(IpAddr),
    Host(String),
}

impl Address {
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Address::Ip(ip) => Some(*ip),
            Address::Host(_) => None,
        }
    }

    /// `0.0.0.0` (or `::`): the RFC 2543 way of putting a call on hold.
    pub fn is_unspecified(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }
}

/// `c=IN <addrtype> <address>[/<ttl>][/<count>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub address_type: AddressType,
    pub address: Address,
    /// Multicast `/ttl/count` suffix, verbatim without the first slash.
    pub multicast: Option<String>,
}

impl Connection {
    /// A unicast connection line for an IP address.
    pub fn ip(ip: IpAddr) -> Self {
        Connection {
            address_type: AddressType::of(ip),
            address: Address::Ip(ip),
            multicast: None,
        }
    }
}

/// `b=<modifier>:<value>`, kept as text (the box does not police bandwidth).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth {
    pub modifier: String,
    pub value: String,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// `audio`, `video`, `application`, …
    pub media: String,
    /// 0 means the stream is disabled or rejected (RFC 3264 §5.1, §6).
    pub port: u16,
    pub port_count: Option<u16>,
    /// `RTP/AVP`, `RTP/SAVP`, …
    pub protocol: String,
    /// Format tokens; payload type numbers for RTP profiles.
    pub formats: Vec<String>,
    pub information: Option<String>,
    pub connections: Vec<Connection>,
    pub bandwidths: Vec<Bandwidth>,
    pub key: Option<String>,
    pub extra: Vec<RawLine>,
    pub attributes: Vec<Attribute>,
}

/// Media direction attributes (RFC 8866 §6.7, RFC 3264 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        match name {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }

    /// The same direction with the sending half removed: what RFC 2543 hold
    /// (`c=0.0.0.0`, "do not send to me") means in RFC 3264 terms.
    pub fn without_receive(self) -> Self {
        match self {
            Direction::SendRecv | Direction::SendOnly => Direction::SendOnly,
            Direction::RecvOnly | Direction::Inactive => Direction::Inactive,
        }
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock rate>[/<channels>]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    pub channels: Option<u16>,
}

/// Attributes the box reads are typed; everything else is kept verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attribute {
    RtpMap(RtpMap),
    /// `a=fmtp:<format> <parameters>`, parameters verbatim.
    Fmtp {
        format: String,
        params: String,
    },
    Ptime(u32),
    MaxPtime(u32),
    Direction(Direction),
    /// `a=<name>` or `a=<name>:<value>`.
    Other {
        name: String,
        value: Option<String>,
    },
}

impl Attribute {
    /// The attribute name as it appears after `a=`.
    pub fn name(&self) -> &str {
        match self {
            Attribute::RtpMap(_) => "rtpmap",
            Attribute::Fmtp { .. } => "fmtp",
            Attribute::Ptime(_) => "ptime",
            Attribute::MaxPtime(_) => "maxptime",
            Attribute::Direction(d) => d.as_str(),
            Attribute::Other { name, .. } => name,
        }
    }

    /// The format (payload type) this attribute is bound to, if any.
    pub fn format(&self) -> Option<String> {
        match self {
            Attribute::RtpMap(m) => Some(m.payload_type.to_string()),
            Attribute::Fmtp { format, .. } => Some(format.clone()),
            _ => None,
        }
    }
}

fn direction_of(attributes: &[Attribute]) -> Option<Direction> {
    attributes.iter().rev().find_map(|a| match a {
        Attribute::Direction(d) => Some(*d),
        _ => None,
    })
}

impl SessionDescription {
    /// Parses an SDP body (see the module doc for what is tolerated).
    pub fn parse(body: &[u8]) -> Result<Self, crate::error::SdpError> {
        parse::parse(body)
    }

    /// Session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_of(&self.attributes)
    }

    /// Direction in force for media section `index`: media level overrides session
    /// level, and the default is sendrecv (RFC 8866 §6.7).
    pub fn media_direction(&self, index: usize) -> Direction {
        self.media
            .get(index)
            .and_then(|m| direction_of(&m.attributes))
            .or_else(|| self.direction())
            .unwrap_or(Direction::SendRecv)
    }

    /// Connection in force for media section `index`: the media's own first `c=`,
    /// else the session's (RFC 8866 §5.7).
    pub fn media_connection(&self, index: usize) -> Option<&Connection> {
        self.media
            .get(index)
            .and_then(|m| m.connections.first())
            .or(self.connection.as_ref())
    }
}

impl MediaDescription {
    /// The `a=rtpmap` for a format, if present.
    pub fn rtpmap(&self, format: &str) -> Option<&RtpMap> {
        let pt: u8 = format.parse().ok()?;
        self.attributes.iter().find_map(|a| match a {
            Attribute::RtpMap(m) if m.payload_type == pt => Some(m),
            _ => None,
        })
    }

    /// Encoding name and clock rate of a format: from its rtpmap, else from the static
    /// payload types of RFC 3551 §6 the box knows.
    pub fn codec(&self, format: &str) -> Option<(&str, u32)> {
        if let Some(m) = self.rtpmap(format) {
            return Some((&m.encoding, m.clock_rate));
        }
        let name = match format {
            "0" => "PCMU",
            "3" => "GSM",
            "4" => "G723",
            "8" => "PCMA",
            "9" => "G722",
            "13" => "CN",
            "18" => "G729",
            _ => return None,
        };
        Some((name, 8000))
    }
}

impl std::str::FromStr for SessionDescription {
    type Err = crate::error::SdpError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse::parse(s.as_bytes())
    }
}

#[cfg(test)]
mod tests;
