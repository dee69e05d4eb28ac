//! Registrar (RFC 3261 §10.3): bindings of contacts to an address of record, with expiry.
//!
//! The AOR is the account's SIP username. Bindings remember the transport address the REGISTER came
//! from, and requests to the contact are sent there: behind NAT the contact's own host is useless,
//! the source address is what reaches the phone (the usual "NAT-friendly" registrar behaviour).
use sip::header::{Contact, NameAddr};
use sip::message::{HeaderName, Request, Response, SipHeaders};
use sip::transaction::Peer;
use std::collections::HashMap;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct RegistrarConfig {
    pub min_expires: u32,
    pub max_expires: u32,
    pub default_expires: u32,
    pub max_bindings_per_aor: usize,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            min_expires: 60,
            max_expires: 3600,
            default_expires: 3600,
            max_bindings_per_aor: 10,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Binding {
    /// The contact URI as the phone sent it (inside `<>`), printed back unchanged.
    pub contact_uri: String,
    pub source: Peer,
    pub expires_at: Instant,
    pub call_id: String,
    pub cseq: u32,
    pub user_agent: Option<String>,
}

#[derive(Default)]
pub struct Registrar {
    config: RegistrarConfig,
    bindings: HashMap<String, Vec<Binding>>,
}

/// Why a REGISTER was refused after authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegisterError {
    /// 423 with Min-Expires.
    IntervalTooBrief { min: u32 },
    /// 400: `*` mixed with other contacts or with a non-zero expiry, or an unparsable Contact.
    BadContact,
    /// 500 per §10.3 step 7: an older CSeq for the same Call-ID (out-of-order request). An equal
    /// CSeq is accepted and re-applied: it is a retransmission that outlived its transaction.
    OutOfOrder,
}

impl Registrar {
    pub fn new(config: RegistrarConfig) -> Registrar {
        Registrar {
            config,
            bindings: HashMap::new(),
        }
    }

    /// Applies an authenticated REGISTER for `aor` and builds the 200 listing the current bindings.
    pub fn register(
        &mut self,
        aor: &str,
        req: &Request,
        source: Peer,
        now: Instant,
    ) -> Result<Response, RegisterError> {
        let header_expires = req.expires();
        let call_id = req.call_id().unwrap_or_default().to_string();
        let cseq = req.cseq().map(|c| c.seq).unwrap_or(0);
        let user_agent = req.headers.get(&HeaderName::UserAgent).map(str::to_string);
        let mut contacts = Vec::new();
        for value in req.headers.values(&HeaderName::Contact) {
            contacts.push(Contact::parse(value).map_err(|_| RegisterError::BadContact)?);
        }

        if contacts.iter().any(|c| matches!(c, Contact::Star)) {
            if contacts.len() != 1 || header_expires != Some(0) {
                return Err(RegisterError::BadContact);
            }
            if let Some(list) = self.bindings.get(aor) {
                if list.iter().any(|b| b.call_id == call_id && cseq < b.cseq) {
                    return Err(RegisterError::OutOfOrder);
                }
            }
            self.bindings.remove(aor);
            return Ok(self.ok_response(aor, req, now));
        }

        // Validate every contact before changing anything: a REGISTER is all or nothing.
        let mut updates = Vec::with_capacity(contacts.len());
        for contact in contacts {
            let Contact::Addr(addr) = contact else {
                continue;
            };
            let expires = contact_expires(&addr)
                .or(header_expires)
                .unwrap_or(self.config.default_expires)
                .min(self.config.max_expires);
            if expires != 0 && expires < self.config.min_expires {
                return Err(RegisterError::IntervalTooBrief {
                    min: self.config.min_expires,
                });
            }
            updates.push((addr.uri.to_string(), expires));
        }

        let list = self.bindings.entry(aor.to_string()).or_default();
        for (uri, _) in &updates {
            if let Some(b) = list.iter().find(|b| &b.contact_uri == uri) {
                if b.call_id == call_id && cseq < b.cseq {
                    return Err(RegisterError::OutOfOrder);
                }
            }
        }
        for (uri, expires) in updates {
            list.retain(|b| b.contact_uri != uri);
            if expires == 0 {
                continue;
            }
            list.push(Binding {
                contact_uri: uri,
                source,
                expires_at: now + Duration::from_secs(u64::from(expires)),
                call_id: call_id.clone(),
                cseq,
                user_agent: user_agent.clone(),
            });
        }
        // A phone that re-registers with a new contact (new IP after DHCP) must not pile up
        // bindings forever: the oldest go first.
        let max = self.config.max_bindings_per_aor;
        if list.len() > max {
            let excess = list.len() - max;
            list.drain(..excess);
        }
        if list.is_empty() {
            self.bindings.remove(aor);
        }
        Ok(self.ok_response(aor, req, now))
    }

    fn ok_response(&self, aor: &str, req: &Request, now: Instant) -> Response {
        let mut resp = Response::for_request(req, 200, "OK", None);
        for b in self.contacts(aor, now) {
            let left = b.expires_at.saturating_duration_since(now).as_secs();
            resp.headers.push(
                HeaderName::Contact,
                format!("<{}>;expires={left}", b.contact_uri),
            );
        }
        resp
    }

    /// Live bindings of `aor`.
    pub fn contacts<'a>(&'a self, aor: &str, now: Instant) -> impl Iterator<Item = &'a Binding> {
        self.bindings
            .get(aor)
            .into_iter()
            .flatten()
            .filter(move |b| b.expires_at > now)
    }

    pub fn is_registered(&self, aor: &str, now: Instant) -> bool {
        self.contacts(aor, now).next().is_some()
    }

    /// Drops expired bindings; the daemon calls this about once a second.
    pub fn expire(&mut self, now: Instant) {
        self.bindings.retain(|_, list| {
            list.retain(|b| b.expires_at > now);
            !list.is_empty()
        });
    }

    pub fn binding_count(&self) -> usize {
        self.bindings.values().map(Vec::len).sum()
    }

    /// Every AOR with its live bindings (for status pages and the CLI).
    pub fn snapshot(&self, now: Instant) -> Vec<(String, Vec<Binding>)> {
        let mut out: Vec<_> = self
            .bindings
            .iter()
            .map(|(aor, list)| {
                let live = list
                    .iter()
                    .filter(|b| b.expires_at > now)
                    .cloned()
                    .collect();
                (aor.clone(), live)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

fn contact_expires(addr: &NameAddr) -> Option<u32> {
    // An absurd value (> 2^32-1, RFC 4475 scalar02) is treated as absent, i.e. the default applies.
    addr.params.value("expires").and_then(|v| v.parse().ok())
}
