//! Via (RFC 3261 §20.42, §18.2.1 received/rport per RFC 3581).
use super::lex::{is_token_byte, is_ws, skip_ws};
use super::Params;
use crate::error::ParseError;
use crate::uri::parse_port;

const ERR: ParseError = ParseError::Header { header: "Via" };

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp,
    Tls,
    Sctp,
    Ws,
    Wss,
    Other(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Protocol name/version as sent (`SIP/2.0`).
    pub protocol: String,
    pub transport: Transport,
    /// Host as written: a name, IPv4, or a bracketed IPv6 reference `[2001:db8::1]`.
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
}

impl Via {
    /// One Via value: `SIP / 2.0 / UDP host[:port] *(;param)`, LWS allowed around `/`, `:`, `;`
    /// and `=` (RFC 4475 wsinv). An empty parameter (`;;`, badinv01) is refused.
    pub fn parse(value: &str) -> Result<Via, ParseError> {
        let (mut via, rest) = parse_head(value).ok_or(ERR)?;
        via.params = Params::parse_header(rest, "Via")?;
        Ok(via)
    }

    /// The sent-by part and whatever parameters parse before the first error: enough to address
    /// a 400 to a request whose Via parameters are broken.
    pub(crate) fn parse_lenient(value: &str) -> Option<Via> {
        let (mut via, rest) = parse_head(value)?;
        via.params = Params::parse_header_lenient(rest);
        Some(via)
    }
    pub fn branch(&self) -> Option<&str> {
        self.params.value("branch")
    }
    /// True when the branch carries the RFC 3261 magic cookie (and more than just the cookie).
    pub fn is_rfc3261_branch(&self) -> bool {
        self.branch()
            .is_some_and(|b| b.len() > 7 && b.starts_with("z9hG4bK"))
    }
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{} {}", self.protocol, self.transport, self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        write!(f, "{}", self.params)
    }
}

impl Transport {
    pub fn from_token(t: &str) -> Transport {
        const KNOWN: [(&str, Transport); 6] = [
            ("UDP", Transport::Udp),
            ("TCP", Transport::Tcp),
            ("TLS", Transport::Tls),
            ("SCTP", Transport::Sctp),
            ("WS", Transport::Ws),
            ("WSS", Transport::Wss),
        ];
        KNOWN
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(t))
            .map(|(_, tr)| tr.clone())
            .unwrap_or_else(|| Transport::Other(t.to_string()))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
            Transport::Tls => "TLS",
            Transport::Sctp => "SCTP",
            Transport::Ws => "WS",
            Transport::Wss => "WSS",
            Transport::Other(s) => s,
        }
    }
}

impl std::fmt::Display for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a token at `i` (after skipping LWS); returns it and the index after it.
fn token_at(s: &str, i: usize) -> Option<(&str, usize)> {
    let b = s.as_bytes();
    let start = skip_ws(b, i);
    let mut end = start;
    while end < b.len() && is_token_byte(b[end]) {
        end += 1;
    }
    (end > start).then(|| (&s[start..end], end))
}

fn expect_slash(b: &[u8], i: usize) -> Option<usize> {
    let i = skip_ws(b, i);
    (b.get(i) == Some(&b'/')).then_some(i + 1)
}

/// Parses up to the end of sent-by; returns the Via (without params) and the parameter text.
fn parse_head(value: &str) -> Option<(Via, &str)> {
    let b = value.as_bytes();
    let (name, i) = token_at(value, 0)?;
    let i = expect_slash(b, i)?;
    let (version, i) = token_at(value, i)?;
    let i = expect_slash(b, i)?;
    let (transport, i) = token_at(value, i)?;
    let start = skip_ws(b, i);
    if start == i {
        return None;
    }
    let host_end = if b.get(start) == Some(&b'[') {
        start + value[start..].find(']')? + 1
    } else {
        let mut e = start;
        while e < b.len() && !is_ws(b[e]) && !matches!(b[e], b':' | b';') {
            e += 1;
        }
        e
    };
    let host = &value[start..host_end];
    let Some((_, None)) = crate::uri::split_hostport(host) else {
        return None;
    };
    let mut i = skip_ws(b, host_end);
    let mut port = None;
    if b.get(i) == Some(&b':') {
        let ps = skip_ws(b, i + 1);
        let mut pe = ps;
        while pe < b.len() && b[pe].is_ascii_digit() {
            pe += 1;
        }
        port = Some(parse_port(&value[ps..pe])?);
        i = pe;
    }
    let via = Via {
        protocol: format!("{name}/{version}"),
        transport: Transport::from_token(transport),
        host: host.to_string(),
        port,
        params: Params::default(),
    };
    Some((via, &value[i..]))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rt(s: &str) -> Via {
        let v = Via::parse(s).unwrap();
        assert_eq!(Via::parse(&v.to_string()).unwrap(), v, "{s}");
        v
    }

    #[test]
    fn forms() {
        let v = rt("SIP  /   2.0  /UDP    192.0.2.2;branch=390skdjuw");
        assert_eq!(v.protocol, "SIP/2.0");
        assert_eq!(v.transport, Transport::Udp);
        assert_eq!(v.host, "192.0.2.2");
        assert_eq!(v.branch(), Some("390skdjuw"));
        assert!(!v.is_rfc3261_branch());
        let v = rt("SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8");
        assert_eq!(v.branch(), Some("z9hG4bK9ikj8"));
        assert!(v.is_rfc3261_branch());
        let v = rt("SIP/2.0/UDP [2001:db8::9:1]:5070;branch=z9hG4bKas3-111;received=[2001:db8::9:255];rport");
        assert_eq!((v.host.as_str(), v.port), ("[2001:db8::9:1]", Some(5070)));
        assert_eq!(v.params.value("received"), Some("[2001:db8::9:255]"));
        assert_eq!(v.params.get("rport"), Some(None));
        let v = rt("SIP/2.0/UDP host : 5060 ;received=2001:db8::9:255");
        assert_eq!(v.port, Some(5060));
        assert_eq!(v.params.value("received"), Some("2001:db8::9:255"));
        assert_eq!(
            rt("SIP/2.0/UNKNOWN t4.example.com").transport,
            Transport::Other("UNKNOWN".into())
        );
        assert_eq!(rt("SIP/7.0/UDP c.example.com").protocol, "SIP/7.0");
        assert_eq!(
            Via::parse("SIP/2.0/UDP h:5060;rport").unwrap().to_string(),
            "SIP/2.0/UDP h:5060;rport"
        );
    }

    #[test]
    fn refusals() {
        for bad in [
            "SIP/2.0/UDP 192.0.2.15;;",
            ";",
            "SIP/2.0 h",
            "SIP/2.0/UDP",
            "SIP/2.0/UDPh",
            "SIP/2.0/UDP h:x",
            "SIP/2.0/UDP 2001:db8::1",
        ] {
            assert!(Via::parse(bad).is_err(), "{bad}");
        }
        let v = Via::parse_lenient("SIP/2.0/UDP 192.0.2.15;branch=z9hG4bKx;;").unwrap();
        assert_eq!(v.branch(), Some("z9hG4bKx"));
    }
}
