//! SIP/SIPS URIs (RFC 3261 §19.1) and, opaquely, other schemes (tel:, im:, http: ... kept verbatim
//! so a registrar can reject them with the right code instead of failing to parse the message).
use crate::error::ParseError;
use crate::header::Params;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scheme {
    Sip,
    Sips,
    Tel,
    Other(String),
}

/// A URI. For `Sip`/`Sips` every field is meaningful. For other schemes `host` holds everything
/// after the `:` verbatim and the other fields are empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uri {
    pub scheme: Scheme,
    /// User part exactly as on the wire (still %-escaped); see [`Uri::user_unescaped`].
    pub user: Option<String>,
    pub password: Option<String>,
    /// Host as written: name, IPv4, or bracketed IPv6 reference.
    pub host: String,
    pub port: Option<u16>,
    pub params: Params,
    /// `?hname=hvalue&...` part as on the wire, without the `?`.
    pub headers: Option<String>,
}

impl Uri {
    /// Parses a whole URI (no surrounding `<>`, no white space anywhere: RFC 4475 lwsruri,
    /// badaspec). Non-SIP schemes are kept opaque.
    pub fn parse(value: &str) -> Result<Uri, ParseError> {
        if value.bytes().any(|b| {
            b.is_ascii_whitespace() || b.is_ascii_control() || matches!(b, b'<' | b'>' | b'"')
        }) {
            return Err(ParseError::Uri);
        }
        let (scheme, rest) = value.split_once(':').ok_or(ParseError::Uri)?;
        let scheme = parse_scheme(scheme)?;
        if rest.is_empty() {
            return Err(ParseError::Uri);
        }
        if !matches!(scheme, Scheme::Sip | Scheme::Sips) {
            return Ok(Uri {
                scheme,
                user: None,
                password: None,
                host: rest.to_string(),
                port: None,
                params: Params::default(),
                headers: None,
            });
        }
        parse_sip(scheme, rest)
    }

    /// The user part with %HH escapes decoded once (never recursively); bytes that are not UTF-8
    /// are replaced.
    pub fn user_unescaped(&self) -> Option<String> {
        self.user.as_deref().map(unescape)
    }

    /// `sip:user@host:port` with no parameters, for building Request-URIs and AORs.
    pub fn sip(user: Option<&str>, host: &str, port: Option<u16>) -> Uri {
        Uri {
            scheme: Scheme::Sip,
            user: user.map(str::to_string),
            password: None,
            host: host.to_string(),
            port,
            params: Params::default(),
            headers: None,
        }
    }

    pub fn is_sip(&self) -> bool {
        matches!(self.scheme, Scheme::Sip | Scheme::Sips)
    }

    /// URI equivalence of RFC 3261 §19.1.4 (what a registrar uses to match a Contact on refresh):
    /// user and password case-sensitive after unescaping, host case-insensitive, ports equal (an
    /// absent port differs from an explicit 5060), `user`/`ttl`/`method`/`maddr`/`transport`
    /// parameters must agree even when only one side has them, other parameters only when both
    /// do, headers must agree. Non-SIP schemes compare their text case-insensitively.
    pub fn equivalent(&self, other: &Uri) -> bool {
        if self.scheme != other.scheme {
            return false;
        }
        if !self.is_sip() {
            return self.host.eq_ignore_ascii_case(&other.host);
        }
        let unesc = |s: &Option<String>| s.as_deref().map(unescape);
        if unesc(&self.user) != unesc(&other.user)
            || unesc(&self.password) != unesc(&other.password)
            || !self.host.eq_ignore_ascii_case(&other.host)
            || self.port != other.port
            || unesc(&self.headers) != unesc(&other.headers)
        {
            return false;
        }
        const MUST_MATCH: [&str; 5] = ["user", "ttl", "method", "maddr", "transport"];
        let same = |a: Option<&str>, b: Option<&str>| match (a, b) {
            (Some(a), Some(b)) => unescape(a).eq_ignore_ascii_case(&unescape(b)),
            (a, b) => a.is_none() && b.is_none(),
        };
        let (mine, theirs) = (&self.params, &other.params);
        MUST_MATCH
            .iter()
            .all(|n| match (mine.get(n), theirs.get(n)) {
                (Some(a), Some(b)) => same(a, b),
                (None, None) => true,
                _ => false,
            })
            && mine.list.iter().all(|(n, v)| match theirs.get(n) {
                Some(tv) => same(v.as_deref(), tv),
                None => true,
            })
    }
}

impl Scheme {
    pub fn as_str(&self) -> &str {
        match self {
            Scheme::Sip => "sip",
            Scheme::Sips => "sips",
            Scheme::Tel => "tel",
            Scheme::Other(s) => s,
        }
    }
}

impl std::fmt::Display for Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:", self.scheme.as_str())?;
        if let Some(user) = &self.user {
            f.write_str(user)?;
            if let Some(pw) = &self.password {
                write!(f, ":{pw}")?;
            }
            f.write_str("@")?;
        }
        f.write_str(&self.host)?;
        if let Some(port) = self.port {
            write!(f, ":{port}")?;
        }
        write!(f, "{}", self.params)?;
        if let Some(h) = &self.headers {
            write!(f, "?{h}")?;
        }
        Ok(())
    }
}

/// RFC 3261 §19.1.1: `scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`, case-insensitive.
fn parse_scheme(s: &str) -> Result<Scheme, ParseError> {
    let b = s.as_bytes();
    let valid = b.first().is_some_and(u8::is_ascii_alphabetic)
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'+' | b'-' | b'.'));
    if !valid {
        return Err(ParseError::Uri);
    }
    Ok(if s.eq_ignore_ascii_case("sip") {
        Scheme::Sip
    } else if s.eq_ignore_ascii_case("sips") {
        Scheme::Sips
    } else if s.eq_ignore_ascii_case("tel") {
        Scheme::Tel
    } else {
        Scheme::Other(s.to_string())
    })
}

fn parse_sip(scheme: Scheme, rest: &str) -> Result<Uri, ParseError> {
    // Neither user, password, host, params nor headers may hold an unescaped '@', so the first
    // one ends the userinfo even when the user part contains ';' or '?' (RFC 4475 intmeth, semiuri).
    let (userinfo, hostpart) = match rest.split_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let (user, password) = match userinfo {
        Some(u) => {
            let (user, pw) = match u.split_once(':') {
                Some((user, pw)) => (user, Some(pw.to_string())),
                None => (u, None),
            };
            if user.is_empty() {
                return Err(ParseError::Uri);
            }
            (Some(user.to_string()), pw)
        }
        None => (None, None),
    };
    let (before_headers, headers) = match hostpart.split_once('?') {
        Some((a, h)) => (a, Some(h.to_string())),
        None => (hostpart, None),
    };
    let params_at = before_headers.find(';').unwrap_or(before_headers.len());
    let (hostport, params) = before_headers.split_at(params_at);
    let (host, port) = split_hostport(hostport).ok_or(ParseError::Uri)?;
    Ok(Uri {
        scheme,
        user,
        password,
        host: host.to_string(),
        port,
        params: Params::parse_uri(params)?,
        headers,
    })
}

/// `host[:port]` where host is a name, IPv4 address or `[IPv6 reference]` (RFC 5118). A bare
/// IPv6 address is refused (its colons would read as a port: RFC 5118 §4.2).
pub(crate) fn split_hostport(s: &str) -> Option<(&str, Option<u16>)> {
    let (host, port) = if s.starts_with('[') {
        let close = s.find(']')?;
        let inner = &s[1..close];
        if inner.is_empty()
            || !inner
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return None;
        }
        let after = &s[close + 1..];
        let port = if after.is_empty() {
            None
        } else {
            Some(after.strip_prefix(':')?)
        };
        (&s[..=close], port)
    } else {
        match s.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    if !host.starts_with('[') && !is_hostname(host) {
        return None;
    }
    let port = match port {
        Some(p) => Some(parse_port(p)?),
        None => None,
    };
    Some((host, port))
}

/// Host names and IPv4 addresses: alphanumerics, `-`, `.` (and `_`, which real deployments use).
fn is_hostname(h: &str) -> bool {
    !h.is_empty()
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
}

pub(crate) fn parse_port(p: &str) -> Option<u16> {
    if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    p.parse().ok()
}

/// Decodes `%HH` once; a `%` not followed by two hex digits stays literal (RFC 4475 esc02).
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex_val(b[i + 1]), hex_val(b[i + 2])) {
                out.push(h * 16 + l);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rt(s: &str) -> Uri {
        let u = Uri::parse(s).unwrap();
        assert_eq!(Uri::parse(&u.to_string()).unwrap(), u, "{s}");
        u
    }

    #[test]
    fn sip_uris() {
        let u = rt("sip:alice:secret@example.com:5070;transport=tcp;lr?subject=hi");
        assert_eq!(u.user.as_deref(), Some("alice"));
        assert_eq!(u.password.as_deref(), Some("secret"));
        assert_eq!(u.host, "example.com");
        assert_eq!(u.port, Some(5070));
        assert_eq!(u.params.value("transport"), Some("tcp"));
        assert!(u.params.has("lr"));
        assert_eq!(u.headers.as_deref(), Some("subject=hi"));
        let u = rt("SIPS:example.com");
        assert_eq!(u.scheme, Scheme::Sips);
        assert_eq!(u.user, None);
    }

    #[test]
    fn ipv6_references() {
        let u = rt("sip:[2001:db8::10]:5070");
        assert_eq!((u.host.as_str(), u.port), ("[2001:db8::10]", Some(5070)));
        let u = rt("sip:[2001:db8::10:5070]");
        assert_eq!((u.host.as_str(), u.port), ("[2001:db8::10:5070]", None));
        assert!(Uri::parse("sip:2001:db8::10").is_err());
        assert!(Uri::parse("sip:[2001:db8::10").is_err());
        rt("sip:user@[::ffff:192.0.2.10]:5060");
    }

    #[test]
    fn escapes_and_odd_users() {
        let u = rt("sip:user;par=u%40example.net@example.com");
        assert_eq!(u.user.as_deref(), Some("user;par=u%40example.net"));
        assert_eq!(
            u.user_unescaped().as_deref(),
            Some("user;par=u@example.net")
        );
        let u = rt("sip:null-%00-null@example.com");
        assert_eq!(u.user_unescaped().as_deref(), Some("null-\0-null"));
        let u = rt("sip:%25%34%31@h");
        assert_eq!(u.user_unescaped().as_deref(), Some("%41"));
        let u = rt("sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com");
        assert_eq!(u.host, "example.com");
        assert_eq!(
            u.password.as_deref(),
            Some("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)")
        );
        assert_eq!(unescape("%Z%45%4"), "%ZE%4");
    }

    #[test]
    fn equivalence_rfc3261_19_1_4() {
        let eq = |a: &str, b: &str| Uri::parse(a).unwrap().equivalent(&Uri::parse(b).unwrap());
        assert!(eq(
            "sip:%61lice@atlanta.com;transport=TCP",
            "sip:alice@AtLanTa.CoM;Transport=tcp"
        ));
        assert!(eq(
            "sip:carol@chicago.com",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:carol@chicago.com;security=on",
            "sip:carol@chicago.com;newparam=5"
        ));
        assert!(eq(
            "sip:biloxi.com;transport=tcp;method=REGISTER?to=sip:bob%40biloxi.com",
            "sip:biloxi.com;method=REGISTER;transport=tcp?to=sip:bob%40biloxi.com"
        ));
        assert!(!eq(
            "SIP:ALICE@AtLanTa.CoM;Transport=udp",
            "sip:alice@AtLanTa.CoM;Transport=UDP"
        ));
        assert!(!eq("sip:bob@biloxi.com", "sip:bob@biloxi.com:5060"));
        assert!(!eq(
            "sip:bob@biloxi.com",
            "sip:bob@biloxi.com;transport=udp"
        ));
        assert!(!eq(
            "sip:carol@chicago.com;newparam=5",
            "sip:carol@chicago.com;newparam=6"
        ));
        assert!(!eq("sip:a@h", "sips:a@h"));
        assert!(!eq("sip:a@h?x=1", "sip:a@h"));
    }

    #[test]
    fn other_schemes_and_errors() {
        let u = rt("tel:+34911234567;phone-context=x");
        assert_eq!(u.scheme, Scheme::Tel);
        let u = rt("soap.beep://192.0.2.103:3002");
        assert_eq!(u.scheme, Scheme::Other("soap.beep".into()));
        assert!(!u.is_sip());
        for bad in [
            "<sip:a@b>",
            "sip:a@b; lr",
            "sip:",
            "sip:@host",
            "nocolon",
            "1x:y",
            "sip:h:99999",
            "sip:h;;x",
            "sip:h:",
        ] {
            assert!(Uri::parse(bad).is_err(), "{bad}");
        }
    }
}
