//! The Refer-To header (RFC 3515 §2.1): a name-addr whose URI may embed headers for the new
//! INVITE, above all `?Replaces=` for an attended transfer (RFC 3891 §4).
use super::escape::escape_header_value;
use super::{ReferError, Replaces};
use crate::header::lex::is_token;
use crate::header::{NameAddr, Params};
use crate::message::Method;
use crate::uri::{unescape, Scheme, Uri};

/// Longest Refer-To (or Referred-By) value accepted. Real ones are under 300 bytes.
pub const MAX_REFER_TO: usize = 2048;
/// Most headers a Refer-To URI may embed (phones send Replaces and at most a Require or two).
pub const MAX_EMBEDDED_HEADERS: usize = 8;

/// A parsed Refer-To value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferTo {
    pub display: Option<String>,
    /// The transfer target with its `?headers` removed: what the new INVITE is sent to.
    pub uri: Uri,
    /// The dialog an attended transfer replaces.
    pub replaces: Option<Replaces>,
    /// Other embedded headers (e.g. `Require: replaces`), names as written, values %-decoded.
    /// Peer-controlled: never copy them into the new INVITE wholesale (a Route or Call-ID here
    /// would steer or forge the request); pick the ones that are understood.
    pub embedded: Vec<(String, String)>,
    /// Header parameters after the `>`.
    pub params: Params,
}

impl ReferTo {
    /// A blind transfer to `uri`.
    pub fn blind(uri: Uri) -> ReferTo {
        ReferTo {
            display: None,
            uri,
            replaces: None,
            embedded: Vec::new(),
            params: Params::default(),
        }
    }

    /// An attended transfer: call `uri` and have it replace the dialog `replaces` names.
    pub fn attended(uri: Uri, replaces: Replaces) -> ReferTo {
        ReferTo {
            replaces: Some(replaces),
            ..ReferTo::blind(uri)
        }
    }

    pub fn parse(value: &str) -> Result<ReferTo, ReferError> {
        if value.len() > MAX_REFER_TO {
            return Err(ReferError::TooLong {
                header: "Refer-To",
                len: value.len(),
                max: MAX_REFER_TO,
            });
        }
        let addr = parse_target(value)?;
        let mut uri = addr.uri;
        let headers = uri.headers.take();
        let mut out = ReferTo {
            display: addr.display,
            uri,
            replaces: None,
            embedded: Vec::new(),
            params: addr.params,
        };
        if let Some(headers) = headers {
            out.read_embedded(&headers)?;
        }
        Ok(out)
    }

    /// Splits `name=value&...`; Replaces is parsed, the rest kept decoded.
    fn read_embedded(&mut self, headers: &str) -> Result<(), ReferError> {
        // A trailing `&` or `?` with nothing after is harmless: skip empty items.
        for item in headers.split('&').filter(|i| !i.is_empty()) {
            if self.embedded.len() + usize::from(self.replaces.is_some()) >= MAX_EMBEDDED_HEADERS {
                return Err(ReferError::TooManyEmbedded {
                    max: MAX_EMBEDDED_HEADERS,
                });
            }
            let (name, value) = item.split_once('=').ok_or(ReferError::EmbeddedHeader)?;
            let name = unescape(name);
            if !is_token(&name) {
                return Err(ReferError::EmbeddedHeader);
            }
            let value = unescape(value);
            if name.eq_ignore_ascii_case("Replaces") {
                if self.replaces.is_some() {
                    return Err(ReferError::DuplicateHeader { header: "Replaces" });
                }
                self.replaces = Some(Replaces::parse(&value)?);
            } else {
                self.embedded.push((name, value));
            }
        }
        Ok(())
    }

    /// The method the target is to be sent (`;method=` URI parameter, RFC 3515 §2.4.2),
    /// INVITE when absent. A transfer is only an INVITE; anything else (a Refer-To asking the
    /// box to send BYE or a second REFER) should be refused with 403 or 501.
    pub fn method(&self) -> Method {
        self.uri
            .params
            .value("method")
            .map(|m| Method::from_token(&unescape(m).to_ascii_uppercase()))
            .unwrap_or(Method::Invite)
    }

    pub fn is_attended(&self) -> bool {
        self.replaces.is_some()
    }

    /// What the transferor dialled, for the dial plan: the user part (%-decoded) of a SIP URI,
    /// the number of a tel: URI, or, for `sip:202` (phones that send a bare number as the host),
    /// the host when it looks like a dial string.
    pub fn dialled(&self) -> Option<String> {
        match &self.uri.scheme {
            Scheme::Sip | Scheme::Sips => self.uri.user_unescaped().or_else(|| {
                let h = &self.uri.host;
                let dial = !h.is_empty() && h.bytes().all(|b| b.is_ascii_digit() || b == b'+');
                dial.then(|| h.clone())
            }),
            Scheme::Tel => {
                let number = self.uri.host.split(';').next().unwrap_or_default();
                (!number.is_empty()).then(|| unescape(number))
            }
            Scheme::Other(_) => None,
        }
    }

    /// The target URI with the embedded headers put back, %-escaped (what goes inside `<>`).
    pub fn uri_with_headers(&self) -> Uri {
        let mut parts = Vec::new();
        if let Some(r) = &self.replaces {
            parts.push(format!("Replaces={}", escape_header_value(&r.to_string())));
        }
        for (n, v) in &self.embedded {
            parts.push(format!("{}={}", n, escape_header_value(v)));
        }
        let mut uri = self.uri.clone();
        uri.headers = (!parts.is_empty()).then(|| parts.join("&"));
        uri
    }
}

/// Prints in `<>` form (required once the URI carries headers, RFC 3261 §20).
impl std::fmt::Display for ReferTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let addr = NameAddr {
            display: self.display.clone(),
            uri: self.uri_with_headers(),
            params: self.params.clone(),
        };
        addr.fmt(f)
    }
}

/// The name-addr, or failing that a bare addr-spec whose `?headers` were not put in `<>`: RFC
/// 3261 forbids that form but it is unambiguous when the whole value is one URI, and refusing it
/// would break the transfer for the phone that sent it.
fn parse_target(value: &str) -> Result<NameAddr, ReferError> {
    let err = |source| ReferError::Address {
        header: "Refer-To",
        source,
    };
    match NameAddr::parse(value) {
        Ok(a) => Ok(a),
        Err(e) => {
            let v = value.trim();
            if v.contains('?') && !v.contains('<') && !v.starts_with('"') {
                Uri::parse(v).map(NameAddr::new).map_err(err)
            } else {
                Err(err(e))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn method_parameter() {
        assert_eq!(
            ReferTo::parse("<sip:202@pbx>").unwrap().method(),
            Method::Invite
        );
        let t = ReferTo::parse("<sip:202@pbx;method=bye>").unwrap();
        assert_eq!(t.method(), Method::Bye);
        let t =
            ReferTo::parse("<sip:202@pbx;method=INVITE?Replaces=a%3Bto-tag%3D1%3Bfrom-tag%3D2>")
                .unwrap();
        assert_eq!(t.method(), Method::Invite);
        assert!(t.is_attended());
    }

    #[test]
    fn size_limit() {
        let long = format!("<sip:{}@pbx>", "2".repeat(MAX_REFER_TO));
        assert_eq!(
            ReferTo::parse(&long),
            Err(ReferError::TooLong {
                header: "Refer-To",
                len: long.len(),
                max: MAX_REFER_TO
            })
        );
    }
}
