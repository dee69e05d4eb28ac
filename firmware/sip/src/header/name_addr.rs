//! name-addr / addr-spec headers: From, To, Contact, Route, Record-Route, Refer-To (RFC 3261 §20).
use super::lex::{is_token_byte, quoted_end, skip_ws, unquote, write_quoted};
use super::Params;
use crate::error::ParseError;
use crate::uri::Uri;

/// `"Display" <uri>;params` or a bare addr-spec (`uri;params`, where `;params` belong to the header,
/// RFC 3261 §20.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameAddr {
    /// Display name without quotes, unescaped.
    pub display: Option<String>,
    pub uri: Uri,
    pub params: Params,
}

impl NameAddr {
    /// Parses one value. Refuses an unterminated quote (RFC 4475 quotbal), non-token characters in
    /// an unquoted display name (baddn), white space inside `<>` (badaspec), and a bare addr-spec
    /// carrying `?headers` (regbadct: such URIs must be in `<>`, RFC 3261 §20).
    pub fn parse(value: &str) -> Result<NameAddr, ParseError> {
        const ERR: ParseError = ParseError::Header {
            header: "name-addr",
        };
        let b = value.as_bytes();
        let start = skip_ws(b, 0);
        let (display, open) = if b.get(start) == Some(&b'"') {
            let end = quoted_end(b, start).ok_or(ERR)?;
            let open = skip_ws(b, end);
            if b.get(open) != Some(&b'<') {
                return Err(ERR);
            }
            (Some(unquote(&value[start..end])), open)
        } else {
            match value.find('<') {
                Some(open) => {
                    let name = value[start..open].trim();
                    // Non-ASCII is outside `token`, but phones do send `José <sip:...>`
                    // unquoted and nothing is ambiguous about it; ASCII separators stay refused.
                    let ok = name
                        .bytes()
                        .all(|c| is_token_byte(c) || c == b' ' || c == b'\t' || c >= 0x80);
                    if !ok {
                        return Err(ERR);
                    }
                    let display = (!name.is_empty()).then(|| name.to_string());
                    (display, open)
                }
                None => return parse_addr_spec(&value[start..]),
            }
        };
        let close = value[open..].find('>').map(|i| open + i).ok_or(ERR)?;
        let uri = Uri::parse(&value[open + 1..close])?;
        let params = Params::parse_header(&value[close + 1..], "name-addr")?;
        Ok(NameAddr {
            display,
            uri,
            params,
        })
    }
    pub fn tag(&self) -> Option<&str> {
        self.params.value("tag")
    }
    pub fn new(uri: Uri) -> NameAddr {
        NameAddr {
            display: None,
            uri,
            params: Params::default(),
        }
    }
}

/// Prints always in `<...>` form, quoting and escaping the display name.
impl std::fmt::Display for NameAddr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(d) = &self.display {
            write_quoted(f, d)?;
            f.write_str(" ")?;
        }
        write!(f, "<{}>{}", self.uri, self.params)
    }
}

/// `uri;header-params` without brackets: the first `;` starts the header's parameters.
fn parse_addr_spec(s: &str) -> Result<NameAddr, ParseError> {
    let end = s.find(';').unwrap_or(s.len());
    let uri_text = s[..end].trim_end();
    if uri_text.contains('?') {
        return Err(ParseError::Header {
            header: "name-addr",
        });
    }
    Ok(NameAddr {
        display: None,
        uri: Uri::parse(uri_text)?,
        params: Params::parse_header(&s[end..], "name-addr")?,
    })
}

impl std::fmt::Display for Contact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Contact::Star => f.write_str("*"),
            Contact::Addr(a) => a.fmt(f),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rt(s: &str) -> NameAddr {
        let n = NameAddr::parse(s).unwrap();
        assert_eq!(NameAddr::parse(&n.to_string()).unwrap(), n, "{s}");
        n
    }

    #[test]
    fn forms() {
        let n = rt("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n");
        assert_eq!(n.tag(), Some("1918181833n"));
        assert_eq!(n.uri.host, "chair-dnrc.example.com");
        let n = rt(r#""J Rosenberg \\\"" <sip:jdrosen@example.com> ; tag = 98asjd8"#);
        assert_eq!(n.display.as_deref(), Some(r#"J Rosenberg \""#));
        assert_eq!(n.tag(), Some("98asjd8"));
        let n = rt(r#""caller"<sip:caller@example.com>;tag=323"#);
        assert_eq!(n.display.as_deref(), Some("caller"));
        let n = rt("token1~` token2'+_ token3*%!.- <sip:mundane@example.com>;tag=x");
        assert_eq!(n.display.as_deref(), Some("token1~` token2'+_ token3*%!.-"));
        let n = rt("sip:+19725552222@gw1.example.net;unknownparam");
        assert!(n.params.has("unknownparam"));
        assert!(n.uri.params.list.is_empty());
        let n = rt("<sip:+19725552222@gw1.example.net;unknownparam>");
        assert!(n.uri.params.has("unknownparam"));
        let n = rt("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>");
        assert!(n.uri.headers.is_some());
        rt("isbn:2983792873");
        let n = rt("José Núñez <sip:10@pbx>");
        assert_eq!(n.display.as_deref(), Some("José Núñez"));
        rt("<http://www.example.com>;tag=3234233");
        let n = rt("\"BEL:\u{7} NUL:\u{0} DEL:\u{7f}\" <sip:x@example.com>");
        assert!(n.display.unwrap().contains('\u{0}'));
    }

    #[test]
    fn refusals() {
        for bad in [
            "\"Mr. J. User <sip:j.user@example.com>",
            "Bell, Alexander <sip:a.g.bell@example.com>;tag=43",
            "\"Watson, Thomas\" < sip:t.watson@example.org >",
            "sip:user@example.com?Route=%3Csip:sip.example.com%3E",
            "\"Joe\" <sip:joe@example.org>;;;;",
            "<sip:a@b",
            "",
        ] {
            assert!(NameAddr::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Contact::parse(" * ").unwrap(), Contact::Star);
    }
}

/// A Contact value: `*` (only valid in REGISTER with Expires: 0) or a name-addr with `expires`/`q`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    Star,
    Addr(NameAddr),
}

impl Contact {
    pub fn parse(value: &str) -> Result<Contact, ParseError> {
        if value.trim() == "*" {
            return Ok(Contact::Star);
        }
        NameAddr::parse(value).map(Contact::Addr)
    }
}
