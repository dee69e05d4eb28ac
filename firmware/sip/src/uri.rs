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
    pub fn parse(value: &str) -> Result<Uri, ParseError> {
        let _ = value;
        todo!("sip parser engineer")
    }

    /// The user part with %HH escapes decoded once (never recursively); bytes that are not UTF-8
    /// are replaced.
    pub fn user_unescaped(&self) -> Option<String> {
        todo!("sip parser engineer")
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
}

impl std::fmt::Display for Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let _ = f;
        todo!("sip parser engineer")
    }
}
