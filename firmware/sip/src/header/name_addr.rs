//! name-addr / addr-spec headers: From, To, Contact, Route, Record-Route, Refer-To (RFC 3261 §20).
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
    pub fn parse(value: &str) -> Result<NameAddr, ParseError> {
        let _ = value;
        todo!("sip parser engineer")
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
        let _ = f;
        todo!("sip parser engineer")
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
