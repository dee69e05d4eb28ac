//! Real DNS for the trunk: runs the sans-IO RFC 3263 step machine
//! ([`pbx::trunk::Resolution`]) against a resolver (hickory, tokio runtime).
//!
//! Every lookup failure (NXDOMAIN, no records, SERVFAIL, timeout) is fed to the step machine as
//! an empty answer, which is what RFC 3263 asks: move on to the next step. The result is the
//! ordered list of provider addresses; an empty list means the name does not resolve and the
//! registration client backs off.
//!
//! Names are looked up fully qualified (a trailing dot is added), so a provider domain is never
//! combined with the box's search domains.
use std::net::SocketAddr;
use std::time::Duration;

use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::name_server::TokioConnectionProvider;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::proto::xfer::Protocol;
use hickory_resolver::{ResolveError, TokioResolver};
use pbx::trunk::{Answer, NaptrRecord, Query, Resolution, SrvRecord, Step, Target};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use sip::transaction::{Peer, TransportKind};
use std::sync::Arc;
use tokio::sync::mpsc;

/// How long one lookup may take before it counts as failed. A provider's DNS answers in
/// milliseconds; a box with no internet should fail fast and let the back-off take over.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);
const LOOKUP_ATTEMPTS: usize = 2;
/// Upper bound on lookups of one resolution (NAPTR, a few SRV, a handful of A/AAAA), so a hostile
/// zone with hundreds of SRV targets cannot keep the task busy.
const MAX_LOOKUPS: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum ResolverError {
    #[error("cannot read the system DNS configuration: {source}")]
    SystemConfig {
        #[source]
        source: ResolveError,
    },
}

/// The daemon's DNS client.
pub struct DnsResolver {
    inner: TokioResolver,
}

fn options() -> ResolverOpts {
    let mut opts = ResolverOpts::default();
    opts.timeout = LOOKUP_TIMEOUT;
    opts.attempts = LOOKUP_ATTEMPTS;
    opts
}

impl DnsResolver {
    /// The name servers of `/etc/resolv.conf`.
    pub fn from_system() -> Result<DnsResolver, ResolverError> {
        let mut builder = TokioResolver::builder_tokio()
            .map_err(|source| ResolverError::SystemConfig { source })?;
        // Keep the system's ndots/search settings; bound the time a dead DNS costs.
        builder.options_mut().timeout = LOOKUP_TIMEOUT;
        builder.options_mut().attempts = LOOKUP_ATTEMPTS;
        Ok(DnsResolver {
            inner: builder.build(),
        })
    }

    /// One explicit name server over UDP (configuration override, and tests).
    pub fn with_name_server(addr: SocketAddr) -> DnsResolver {
        let mut config = ResolverConfig::new();
        config.add_name_server(NameServerConfig::new(addr, Protocol::Udp));
        let inner = TokioResolver::builder_with_config(config, TokioConnectionProvider::default())
            .with_options(options())
            .build();
        DnsResolver { inner }
    }

    /// RFC 3263 server location for `target`, best address first. `supported` lists the
    /// transports the box can use, most preferred first.
    pub async fn resolve<R: RngCore + Send>(
        &self,
        target: &Target,
        supported: &[TransportKind],
        rng: &mut R,
    ) -> Vec<Peer> {
        let mut resolution = Resolution::new(target, supported);
        for _ in 0..MAX_LOOKUPS {
            match resolution.step() {
                Step::Done(peers) => return peers,
                Step::Query(query) => {
                    let answer = self.lookup(&query).await;
                    tracing::debug!(?query, ?answer, "trunk DNS lookup");
                    resolution.answer(answer, rng);
                }
            }
        }
        tracing::warn!(host = %target.host, "trunk DNS resolution took too many lookups");
        Vec::new()
    }

    /// One lookup; failures are empty answers.
    pub async fn lookup(&self, query: &Query) -> Answer {
        match query {
            Query::Naptr { name } => Answer::Naptr(self.naptr(name).await),
            Query::Srv { name } => Answer::Srv(self.srv(name).await),
            Query::Ip { host } => Answer::Ip(match self.inner.lookup_ip(fqdn(host)).await {
                Ok(ips) => ips.iter().collect(),
                Err(error) => {
                    tracing::debug!(%host, %error, "A/AAAA lookup failed");
                    Vec::new()
                }
            }),
        }
    }

    async fn naptr(&self, name: &str) -> Vec<NaptrRecord> {
        let lookup = match self.inner.lookup(fqdn(name), RecordType::NAPTR).await {
            Ok(l) => l,
            Err(error) => {
                tracing::debug!(%name, %error, "NAPTR lookup failed");
                return Vec::new();
            }
        };
        lookup
            .iter()
            .filter_map(|rdata| match rdata {
                RData::NAPTR(n) => Some(NaptrRecord {
                    order: n.order(),
                    preference: n.preference(),
                    flags: String::from_utf8_lossy(n.flags()).into_owned(),
                    services: String::from_utf8_lossy(n.services()).into_owned(),
                    replacement: n.replacement().to_ascii(),
                }),
                _ => None,
            })
            .collect()
    }

    async fn srv(&self, name: &str) -> Vec<SrvRecord> {
        let lookup = match self.inner.srv_lookup(fqdn(name)).await {
            Ok(l) => l,
            Err(error) => {
                tracing::debug!(%name, %error, "SRV lookup failed");
                return Vec::new();
            }
        };
        lookup
            .iter()
            .map(|s| SrvRecord {
                priority: s.priority(),
                weight: s.weight(),
                port: s.port(),
                target: s.target().to_ascii(),
            })
            .collect()
    }
}

/// Resolves `target` on a tokio task and sends `(key, peers)` to `results` when done — the shape
/// the engine's select loop wants: `TrunkGroup::poll_resolve` gives `(role, target)`, the
/// answer comes back on the channel and goes to `TrunkGroup::handle_resolved`. The SRV shuffle
/// uses a fresh OS-seeded RNG (the daemon is the one place allowed to own randomness).
pub fn spawn_resolve<K: Send + 'static>(
    resolver: Arc<DnsResolver>,
    key: K,
    target: Target,
    supported: Vec<TransportKind>,
    results: mpsc::UnboundedSender<(K, Vec<Peer>)>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut rng = StdRng::from_entropy();
        let peers = resolver.resolve(&target, &supported, &mut rng).await;
        // The engine may have shut down meanwhile; nothing to do then.
        let _ = results.send((key, peers));
    })
}

/// `name.` — absolute, so no search domain is appended.
fn fqdn(name: &str) -> String {
    if name.ends_with('.') {
        name.to_string()
    } else {
        format!("{name}.")
    }
}

#[cfg(test)]
mod stub;
#[cfg(test)]
mod tests;
