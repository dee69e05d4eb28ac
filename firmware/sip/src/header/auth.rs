//! Digest challenge / credentials header values (RFC 2617, RFC 7616, RFC 8760):
//! `Digest realm="x", nonce="y", algorithm=SHA-256, qop="auth"`.
use super::lex::{is_token, is_token_byte, quoted_end, skip_ws, unquote, write_quoted};
use crate::error::ParseError;

const ERR: ParseError = ParseError::Header {
    header: "Authorization",
};

/// Parsed `scheme param=value, ...` with unquoted values. Parameter names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParams {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl AuthParams {
    /// `scheme [name=value *(, name=value)]`; values are token or quoted-string (returned
    /// unquoted). Empty list elements (`,,`) are skipped.
    pub fn parse(value: &str) -> Result<AuthParams, ParseError> {
        let b = value.as_bytes();
        let start = skip_ws(b, 0);
        let mut i = start;
        while i < b.len() && is_token_byte(b[i]) {
            i += 1;
        }
        let scheme = &value[start..i];
        if !is_token(scheme) || (i < b.len() && !b[i].is_ascii_whitespace()) {
            return Err(ERR);
        }
        let mut params = Vec::new();
        loop {
            i = skip_ws(b, i);
            while i < b.len() && b[i] == b',' {
                i = skip_ws(b, i + 1);
            }
            if i >= b.len() {
                break;
            }
            let ns = i;
            while i < b.len() && is_token_byte(b[i]) {
                i += 1;
            }
            let name = &value[ns..i];
            i = skip_ws(b, i);
            if name.is_empty() || b.get(i) != Some(&b'=') {
                return Err(ERR);
            }
            i = skip_ws(b, i + 1);
            let val = if b.get(i) == Some(&b'"') {
                let end = quoted_end(b, i).ok_or(ERR)?;
                let v = unquote(&value[i..end]);
                i = end;
                v
            } else {
                let vs = i;
                while i < b.len() && b[i] != b',' && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                value[vs..i].to_string()
            };
            params.push((name.to_string(), val));
            i = skip_ws(b, i);
            match b.get(i) {
                None => break,
                Some(b',') => i += 1,
                Some(_) => return Err(ERR),
            }
        }
        Ok(AuthParams {
            scheme: scheme.to_string(),
            params,
        })
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The fields of an Authorization / Proxy-Authorization Digest header the verifier needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    pub username: String,
    pub realm: String,
    pub nonce: String,
    pub uri: String,
    pub response: String,
    pub algorithm: Option<String>,
    pub qop: Option<String>,
    pub nc: Option<String>,
    pub cnonce: Option<String>,
    pub opaque: Option<String>,
}

impl Credentials {
    /// `None` when the scheme is not Digest or a required field is missing.
    pub fn from_header(value: &str) -> Option<Credentials> {
        let p = AuthParams::parse(value).ok()?;
        if !p.scheme.eq_ignore_ascii_case("Digest") {
            return None;
        }
        let owned = |n: &str| p.get(n).map(str::to_string);
        Some(Credentials {
            username: owned("username")?,
            realm: owned("realm")?,
            nonce: owned("nonce")?,
            uri: owned("uri")?,
            response: owned("response")?,
            algorithm: owned("algorithm"),
            qop: owned("qop"),
            nc: owned("nc"),
            cnonce: owned("cnonce"),
            opaque: owned("opaque"),
        })
    }
}

/// Prints an `Authorization: Digest ...` value that [`Credentials::from_header`] reads back.
impl std::fmt::Display for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut p = AuthParams {
            scheme: "Digest".to_string(),
            params: Vec::with_capacity(10),
        };
        let mut add = |n: &str, v: &str| p.params.push((n.to_string(), v.to_string()));
        add("username", &self.username);
        add("realm", &self.realm);
        add("nonce", &self.nonce);
        add("uri", &self.uri);
        add("response", &self.response);
        let optional = [
            ("algorithm", &self.algorithm),
            ("qop", &self.qop),
            ("nc", &self.nc),
            ("cnonce", &self.cnonce),
            ("opaque", &self.opaque),
        ];
        for (n, v) in optional {
            if let Some(v) = v {
                add(n, v);
            }
        }
        p.fmt(f)
    }
}

/// Parameters whose values RFC 7616 sends unquoted; everything else is quoted when printing.
fn unquoted_param(name: &str) -> bool {
    ["algorithm", "stale", "nc", "qop"]
        .iter()
        .any(|n| n.eq_ignore_ascii_case(name))
}

/// Prints `Scheme name="value", ...`; algorithm, stale, nc and a single-token qop go unquoted (a
/// qop list such as `auth,auth-int` is not a token and gets quoted, as in a challenge).
impl std::fmt::Display for AuthParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.scheme)?;
        for (idx, (n, v)) in self.params.iter().enumerate() {
            f.write_str(if idx == 0 { " " } else { ", " })?;
            write!(f, "{n}=")?;
            if unquoted_param(n) && is_token(v) {
                f.write_str(v)?;
            } else {
                write_quoted(f, v)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_print() {
        let v = r#"Digest realm="testrealm@host.com", qop="auth,auth-int",nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41", algorithm=MD5"#;
        let p = AuthParams::parse(v).unwrap();
        assert_eq!(p.scheme, "Digest");
        assert_eq!(p.get("QOP"), Some("auth,auth-int"));
        assert_eq!(p.get("algorithm"), Some("MD5"));
        assert_eq!(AuthParams::parse(&p.to_string()).unwrap(), p);
        let p = AuthParams::parse("NoOneKnowsThisScheme opaque-data=here").unwrap();
        assert_eq!(p.get("opaque-data"), Some("here"));
        assert!(AuthParams::parse("Digest realm=\"x").is_err());
        assert!(AuthParams::parse("Digest realm").is_err());
        assert!(AuthParams::parse("").is_err());
        assert_eq!(AuthParams::parse("Digest").unwrap().params.len(), 0);
    }

    #[test]
    fn credentials() {
        let v = r#"Digest username="Mufasa", realm="testrealm@host.com", nonce="n", uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", response="6629fae49393a05397450978507c4ef1", opaque="o""#;
        let c = Credentials::from_header(v).unwrap();
        assert_eq!(c.username, "Mufasa");
        assert_eq!(c.qop.as_deref(), Some("auth"));
        assert_eq!(c.nc.as_deref(), Some("00000001"));
        assert_eq!(Credentials::from_header(&c.to_string()).unwrap(), c);
        assert!(c.to_string().contains("qop=auth, nc=00000001"));
        assert!(Credentials::from_header("Basic dXNlcjpwYXNz").is_none());
        assert!(Credentials::from_header("Digest username=\"x\"").is_none());
    }
}
