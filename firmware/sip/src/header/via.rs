//! Via (RFC 3261 §20.42, §18.2.1 received/rport per RFC 3581).
use super::Params;
use crate::error::ParseError;

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
    pub fn parse(value: &str) -> Result<Via, ParseError> {
        let _ = value;
        todo!("sip parser engineer")
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
        let _ = f;
        todo!("sip parser engineer")
    }
}
