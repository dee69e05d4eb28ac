//! Digest challenge / credentials header values (RFC 2617, RFC 7616, RFC 8760):
//! `Digest realm="x", nonce="y", algorithm=SHA-256, qop="auth"`.
use crate::error::ParseError;

/// Parsed `scheme param=value, ...` with unquoted values. Parameter names compare case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthParams {
    pub scheme: String,
    pub params: Vec<(String, String)>,
}

impl AuthParams {
    pub fn parse(value: &str) -> Result<AuthParams, ParseError> {
        let _ = value;
        todo!("sip parser engineer")
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
        let _ = value;
        todo!("sip parser engineer")
    }
}
