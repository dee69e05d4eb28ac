//! What the box knows about one provider account and how it paces its REGISTERs.
use std::fmt;
use std::net::SocketAddr;
use std::time::Duration;

use sip::transaction::TransportKind;

use super::resolve::Target;
use super::TrunkError;

/// One provider account, as the tenant document gives it (the daemon maps the store's
/// `Provider`/`Trunk` onto this: `pbx` does not depend on `store`).
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderConfig {
    /// User part of the AOR and digest username.
    pub username: String,
    pub password: String,
    /// The provider's SIP domain: the AOR host and the Request-URI of REGISTER.
    pub domain: String,
    /// Where requests go instead of `domain` (RFC 3261 §8.1.2 pre-loaded Route), when set.
    pub outbound_proxy: Option<String>,
    pub timing: TrunkTiming,
    pub keepalive: KeepAlive,
    /// User-Agent header value.
    pub user_agent: String,
}

// The password must never reach a log line through `{:?}`.
impl fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .field("domain", &self.domain)
            .field("outbound_proxy", &self.outbound_proxy)
            .field("timing", &self.timing)
            .field("keepalive", &self.keepalive)
            .finish()
    }
}

impl ProviderConfig {
    /// A provider with default timing. Refuses an empty username or domain and a domain or proxy
    /// that is not `host[:port]` (optionally prefixed by `sip:`), so a typo is reported at import
    /// instead of as an endless registration failure.
    pub fn new(
        username: &str,
        password: &str,
        domain: &str,
        outbound_proxy: Option<&str>,
    ) -> Result<ProviderConfig, TrunkError> {
        if username.trim().is_empty() {
            return Err(TrunkError::EmptyField { field: "username" });
        }
        if domain.trim().is_empty() {
            return Err(TrunkError::EmptyField { field: "domain" });
        }
        let domain = domain.trim();
        Target::parse(domain)?;
        let proxy = match outbound_proxy.map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => {
                Target::parse(p)?;
                Some(p.to_string())
            }
            None => None,
        };
        Ok(ProviderConfig {
            username: username.trim().to_string(),
            password: password.to_string(),
            domain: domain.to_string(),
            outbound_proxy: proxy,
            timing: TrunkTiming::default(),
            keepalive: KeepAlive::default(),
            user_agent: "Centralita".to_string(),
        })
    }

    /// The provider of a tenant's directory entry (primary or secondary alike).
    pub fn from_account(a: &crate::directory::TrunkAccount) -> Result<ProviderConfig, TrunkError> {
        ProviderConfig::new(
            &a.username,
            &a.password,
            &a.domain,
            a.outbound_proxy.as_deref(),
        )
    }

    /// The host part of the AOR and Request-URI: the domain without `sip:`, port or parameters.
    pub(crate) fn domain_target(&self) -> Target {
        // `new` validated it; a hand-built config with a bad domain still gets a usable value.
        Target::parse(&self.domain).unwrap_or_else(|_| Target::host(&self.domain))
    }

    /// What must be resolved to reach the provider: the outbound proxy when set, else the domain.
    pub fn next_hop(&self) -> Target {
        match &self.outbound_proxy {
            Some(p) => Target::parse(p).unwrap_or_else(|_| self.domain_target()),
            None => self.domain_target(),
        }
    }
}

/// Registration pacing. Defaults follow common provider practice: ask for an hour, retry failures
/// from 30 s doubling to 30 min (RFC 5626 §4.5 uses the same shape for flow recovery).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrunkTiming {
    /// Expires asked for in REGISTER (raised by a 423's Min-Expires).
    pub expires: u32,
    /// First retry delay after a failure.
    pub retry_base: Duration,
    /// Retry delay ceiling.
    pub retry_max: Duration,
    /// Refresh this long before the binding expires, but never later than half-way through it,
    /// so a lost refresh still leaves time for Timer F (32 s) and one retry.
    pub refresh_margin: Duration,
}

impl Default for TrunkTiming {
    fn default() -> Self {
        TrunkTiming {
            expires: 3600,
            retry_base: Duration::from_secs(30),
            retry_max: Duration::from_secs(30 * 60),
            refresh_margin: Duration::from_secs(60),
        }
    }
}

/// How the NAT binding towards the provider is kept open between REGISTER refreshes (a home
/// router forgets an idle UDP mapping after 30-180 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeepAlive {
    Off,
    /// A bare CRLF CRLF datagram (RFC 5626 §4.4.1 style). Cheapest; teaches nothing about the
    /// public address.
    Crlf {
        every: Duration,
    },
    /// An OPTIONS request. Costs a transaction, but its response's Via tells when the public
    /// address changed, and a timeout reveals a dead provider before the next refresh.
    Options {
        every: Duration,
    },
}

impl Default for KeepAlive {
    fn default() -> Self {
        KeepAlive::Options {
            every: Duration::from_secs(30),
        }
    }
}

impl KeepAlive {
    pub(crate) fn interval(self) -> Option<Duration> {
        match self {
            KeepAlive::Off => None,
            KeepAlive::Crlf { every } | KeepAlive::Options { every } => {
                Some(every.max(Duration::from_secs(1)))
            }
        }
    }
}

/// The box's own address as the provider should see it in Via and Contact (the daemon's
/// advertised SIP address, never 0.0.0.0). The client replaces it with the public address it
/// learns from `received`/`rport` once the provider has told it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalContact {
    pub addr: SocketAddr,
}

/// The transport token for Via, and the `transport=` URI parameter (None for UDP, the default).
pub(crate) fn transport_tokens(t: TransportKind) -> (&'static str, Option<&'static str>) {
    match t {
        TransportKind::Udp => ("UDP", None),
        TransportKind::Tcp => ("TCP", Some("tcp")),
        TransportKind::Tls => ("TLS", Some("tls")),
    }
}
