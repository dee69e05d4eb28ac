//! SDP printer: RFC 8866 §5 field order, CRLF line ends.

use super::{
    Address, Attribute, Bandwidth, Connection, MediaDescription, Origin, RawLine,
    SessionDescription,
};
use std::fmt::{self, Display, Formatter};

impl Display for SessionDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "v=0\r\n{}", self.origin)?;
        write!(f, "s={}\r\n", self.session_name)?;
        optional(f, 'i', &self.information)?;
        optional(f, 'u', &self.uri)?;
        for e in &self.emails {
            write!(f, "e={e}\r\n")?;
        }
        for p in &self.phones {
            write!(f, "p={p}\r\n")?;
        }
        if let Some(c) = &self.connection {
            write!(f, "{c}")?;
        }
        for b in &self.bandwidths {
            write!(f, "{b}")?;
        }
        raw_lines(f, &self.timing)?;
        optional(f, 'k', &self.key)?;
        raw_lines(f, &self.extra)?;
        for a in &self.attributes {
            write!(f, "{a}")?;
        }
        for m in &self.media {
            write!(f, "{m}")?;
        }
        Ok(())
    }
}

fn optional(f: &mut Formatter<'_>, kind: char, value: &Option<String>) -> fmt::Result {
    match value {
        Some(v) => write!(f, "{kind}={v}\r\n"),
        None => Ok(()),
    }
}

fn raw_lines(f: &mut Formatter<'_>, lines: &[RawLine]) -> fmt::Result {
    for l in lines {
        write!(f, "{}={}\r\n", l.kind, l.value)?;
    }
    Ok(())
}

impl Display for Address {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            // IpAddr's Display never brackets IPv6, which is what SDP wants.
            Address::Ip(ip) => write!(f, "{ip}"),
            Address::Host(h) => f.write_str(h),
        }
    }
}

impl Display for Origin {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "o={} {} {} IN {} {}\r\n",
            self.username,
            self.session_id,
            self.session_version,
            self.address_type.as_str(),
            self.address
        )
    }
}

impl Display for Connection {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "c=IN {} {}", self.address_type.as_str(), self.address)?;
        if let Some(m) = &self.multicast {
            write!(f, "/{m}")?;
        }
        f.write_str("\r\n")
    }
}

impl Display for Bandwidth {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "b={}:{}\r\n", self.modifier, self.value)
    }
}

impl Display for Attribute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Attribute::RtpMap(m) => {
                write!(
                    f,
                    "a=rtpmap:{} {}/{}",
                    m.payload_type, m.encoding, m.clock_rate
                )?;
                if let Some(c) = m.channels {
                    write!(f, "/{c}")?;
                }
            }
            Attribute::Fmtp { format, params } if params.is_empty() => {
                write!(f, "a=fmtp:{format}")?
            }
            Attribute::Fmtp { format, params } => write!(f, "a=fmtp:{format} {params}")?,
            Attribute::Ptime(p) => write!(f, "a=ptime:{p}")?,
            Attribute::MaxPtime(p) => write!(f, "a=maxptime:{p}")?,
            Attribute::Direction(d) => write!(f, "a={}", d.as_str())?,
            Attribute::Other { name, value: None } => write!(f, "a={name}")?,
            Attribute::Other {
                name,
                value: Some(v),
            } => write!(f, "a={name}:{v}")?,
        }
        f.write_str("\r\n")
    }
}

impl Display for MediaDescription {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {}", self.protocol)?;
        for fmt_token in &self.formats {
            write!(f, " {fmt_token}")?;
        }
        f.write_str("\r\n")?;
        optional(f, 'i', &self.information)?;
        for c in &self.connections {
            write!(f, "{c}")?;
        }
        for b in &self.bandwidths {
            write!(f, "{b}")?;
        }
        optional(f, 'k', &self.key)?;
        raw_lines(f, &self.extra)?;
        for a in &self.attributes {
            write!(f, "{a}")?;
        }
        Ok(())
    }
}
