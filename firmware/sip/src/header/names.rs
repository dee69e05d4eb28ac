//! Header name normalisation: compact forms (RFC 3261 §7.3.3 and later RFCs) expand to long
//! names, long names compare case-insensitively and print in their canonical spelling.
use crate::message::HeaderName;

/// Canonical spellings of the names the stack knows, in one table so parsing and printing agree.
const KNOWN: &[(&str, HeaderName)] = &[
    ("Via", HeaderName::Via),
    ("From", HeaderName::From),
    ("To", HeaderName::To),
    ("Call-ID", HeaderName::CallId),
    ("CSeq", HeaderName::CSeq),
    ("Contact", HeaderName::Contact),
    ("Max-Forwards", HeaderName::MaxForwards),
    ("Content-Length", HeaderName::ContentLength),
    ("Content-Type", HeaderName::ContentType),
    ("Content-Encoding", HeaderName::ContentEncoding),
    ("Expires", HeaderName::Expires),
    ("Min-Expires", HeaderName::MinExpires),
    ("Authorization", HeaderName::Authorization),
    ("WWW-Authenticate", HeaderName::WwwAuthenticate),
    ("Proxy-Authenticate", HeaderName::ProxyAuthenticate),
    ("Proxy-Authorization", HeaderName::ProxyAuthorization),
    ("Route", HeaderName::Route),
    ("Record-Route", HeaderName::RecordRoute),
    ("User-Agent", HeaderName::UserAgent),
    ("Server", HeaderName::Server),
    ("Allow", HeaderName::Allow),
    ("Supported", HeaderName::Supported),
    ("Require", HeaderName::Require),
    ("Proxy-Require", HeaderName::ProxyRequire),
    ("Unsupported", HeaderName::Unsupported),
    ("Accept", HeaderName::Accept),
    ("Event", HeaderName::Event),
    ("Refer-To", HeaderName::ReferTo),
    ("Referred-By", HeaderName::ReferredBy),
    ("Replaces", HeaderName::Replaces),
    ("Subject", HeaderName::Subject),
    ("Date", HeaderName::Date),
    ("Warning", HeaderName::Warning),
    ("Retry-After", HeaderName::RetryAfter),
    ("Reason", HeaderName::Reason),
    ("Privacy", HeaderName::Privacy),
    ("P-Asserted-Identity", HeaderName::PAssertedIdentity),
    ("Session-Expires", HeaderName::SessionExpires),
];

/// Compact forms whose long name has no enum variant; they still expand so that `u:` and
/// `Allow-Events:` are one header for whoever looks it up by name.
fn compact_other(c: u8) -> Option<&'static str> {
    Some(match c {
        b'u' => "Allow-Events",
        b'a' => "Accept-Contact",
        b'j' => "Reject-Contact",
        b'd' => "Request-Disposition",
        b'y' => "Identity",
        b'n' => "Identity-Info",
        _ => return None,
    })
}

impl HeaderName {
    /// The name as read on the wire (already trimmed). Never fails: unknown names are kept.
    pub fn from_wire(name: &str) -> HeaderName {
        if let [c] = name.as_bytes() {
            let c = c.to_ascii_lowercase();
            let known = match c {
                b'v' => Some(HeaderName::Via),
                b'f' => Some(HeaderName::From),
                b't' => Some(HeaderName::To),
                b'i' => Some(HeaderName::CallId),
                b'm' => Some(HeaderName::Contact),
                b'l' => Some(HeaderName::ContentLength),
                b'c' => Some(HeaderName::ContentType),
                b'e' => Some(HeaderName::ContentEncoding),
                b'k' => Some(HeaderName::Supported),
                b's' => Some(HeaderName::Subject),
                b'o' => Some(HeaderName::Event),
                b'r' => Some(HeaderName::ReferTo),
                b'b' => Some(HeaderName::ReferredBy),
                b'x' => Some(HeaderName::SessionExpires),
                _ => None,
            };
            if let Some(h) = known {
                return h;
            }
            if let Some(long) = compact_other(c) {
                return HeaderName::Other(long.to_string());
            }
        }
        for (canonical, h) in KNOWN {
            if canonical.len() == name.len() && canonical.eq_ignore_ascii_case(name) {
                return h.clone();
            }
        }
        HeaderName::Other(name.to_string())
    }

    /// Canonical spelling for printing (unknown names as they were read).
    pub fn as_str(&self) -> &str {
        if let HeaderName::Other(s) = self {
            return s;
        }
        KNOWN
            .iter()
            .find(|(_, h)| h == self)
            .map(|(n, _)| *n)
            .unwrap_or("X-Unknown")
    }

    /// Case-insensitive comparison with a wire name, for headers without an enum variant.
    pub fn is(&self, name: &str) -> bool {
        self.as_str().eq_ignore_ascii_case(name)
    }
}

impl std::fmt::Display for HeaderName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn compact_and_case() {
        assert_eq!(HeaderName::from_wire("v"), HeaderName::Via);
        assert_eq!(HeaderName::from_wire("I"), HeaderName::CallId);
        assert_eq!(
            HeaderName::from_wire("MaX-fOrWaRdS"),
            HeaderName::MaxForwards
        );
        assert_eq!(HeaderName::from_wire("call-id"), HeaderName::CallId);
        assert_eq!(
            HeaderName::from_wire("C%6Fntact"),
            HeaderName::Other("C%6Fntact".into())
        );
        assert_eq!(HeaderName::from_wire("u").as_str(), "Allow-Events");
        assert_eq!(HeaderName::WwwAuthenticate.as_str(), "WWW-Authenticate");
        for (n, h) in KNOWN {
            assert_eq!(&HeaderName::from_wire(n), h);
            assert_eq!(h.as_str(), *n);
        }
    }
}
