//! Caller ID of outgoing calls: the user's own setting, or the DID OUT module's rules (which
//! extensions may present which DID, chosen by a dialling prefix), and what that means for the
//! trunk INVITE's From, Privacy and P-Asserted-Identity (RFC 3323 §4.1.1.3, RFC 3325 §9).
use serde::{Deserialize, Serialize};
use sip::header::NameAddr;
use sip::uri::Uri;

use super::error::DialPlanError;
use super::numbering::{digits, NumberPlan};
use super::permissions::is_extension;

/// What a call shows the called party.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Presentation {
    /// Written `"anonymous"` in configs.
    Anonymous,
    /// One of the tenant's DIDs, by number: `{"did": "917374206"}`.
    Did(String),
}

impl Presentation {
    /// The call asks for privacy (RFC 3323): From anonymous, `Privacy: id`.
    pub fn is_anonymous(&self) -> bool {
        matches!(self, Presentation::Anonymous)
    }
}

/// `modules[name = "did-out"].config` of the tenant document.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DidOutConfig {
    pub rules: Vec<DidOutRule>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DidOutRule {
    /// Dialled before the number and stripped (`*81`): starts with `*` or `#` so it can never
    /// be the start of a real number (a digit prefix like `06` would swallow 061/062). Empty:
    /// the rule applies when no prefix is dialled, overriding the user's own caller ID.
    #[serde(default)]
    pub prefix: String,
    pub present: Presentation,
    /// Extension numbers allowed to use this rule.
    #[serde(default)]
    pub extensions: Vec<String>,
    /// Every extension of the tenant may use this rule.
    #[serde(default)]
    pub all_extensions: bool,
    #[serde(default)]
    pub description: String,
}

/// Compiled DID OUT rules.
#[derive(Debug, Clone, Default)]
pub struct DidOut {
    rules: Vec<DidOutRule>,
}

/// The number left to dial and what the call presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// The dialled string with the DID OUT prefix removed (still to be normalised).
    pub number: String,
    pub presentation: Presentation,
    /// Index of the DID OUT rule used, `None` for the user's own caller ID.
    pub rule: Option<usize>,
}

/// DID OUT refused the call: (status, reason phrase), our own words only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DidOutRefusal {
    pub status: u16,
    pub reason: &'static str,
}

const MAX_PREFIX: usize = 8;

impl DidOut {
    /// `tenant_dids` are the numbers of the tenant's DIDs as stored (`917374206` or
    /// `+34917374206`): presenting a number the tenant does not own is spoofing, so such a rule
    /// is refused at import. Numbers are compared after normalisation by `plan`, so either
    /// spelling matches the other.
    pub fn compile<'a>(
        config: &DidOutConfig,
        tenant_dids: impl IntoIterator<Item = &'a str>,
        plan: &NumberPlan,
    ) -> Result<DidOut, DialPlanError> {
        let owned: Vec<String> = tenant_dids
            .into_iter()
            .filter_map(|d| plan.normalize(d).ok())
            .collect();
        for (index, r) in config.rules.iter().enumerate() {
            let p = &r.prefix;
            let prefix_ok = p.is_empty()
                || (p.len() <= MAX_PREFIX
                    && p.starts_with(['*', '#'])
                    && p.bytes()
                        .all(|b| b.is_ascii_digit() || b == b'*' || b == b'#'));
            if !prefix_ok {
                return Err(DialPlanError::BadPrefix {
                    index,
                    prefix: p.clone(),
                });
            }
            for (other, o) in config.rules[..index].iter().enumerate() {
                let overlap = !p.is_empty()
                    && !o.prefix.is_empty()
                    && p != &o.prefix
                    && (p.starts_with(o.prefix.as_str()) || o.prefix.starts_with(p.as_str()));
                if overlap {
                    return Err(DialPlanError::OverlappingPrefix {
                        index,
                        prefix: p.clone(),
                        other,
                        other_prefix: o.prefix.clone(),
                    });
                }
            }
            if let Presentation::Did(did) = &r.present {
                let field = format!("did_out.rules[{index}].present.did");
                digits(&field, did.strip_prefix('+').unwrap_or(did), 1, 15)?;
                let ours = plan.normalize(did).is_ok_and(|n| owned.contains(&n));
                if !ours {
                    return Err(DialPlanError::UnknownDid {
                        field,
                        did: did.clone(),
                    });
                }
            }
            if let Some(bad) = r.extensions.iter().find(|e| !is_extension(e)) {
                return Err(DialPlanError::BadExtension {
                    field: format!("did_out.rules[{index}].extensions"),
                    value: bad.clone(),
                });
            }
        }
        Ok(DidOut {
            rules: config.rules.clone(),
        })
    }

    /// Chooses the caller ID of a call `extension` dials as `dialled`, given the user's own
    /// setting `own`. A dialled prefix whose rules do not include this extension is refused
    /// rather than silently ignored: the user asked for a specific identity.
    pub fn select(
        &self,
        extension: &str,
        own: &Presentation,
        dialled: &str,
    ) -> Result<Selection, DidOutRefusal> {
        let dialled = dialled.trim();
        let mut prefixed = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.prefix.is_empty() && dialled.starts_with(r.prefix.as_str()))
            .peekable();
        if let Some((_, first)) = prefixed.peek() {
            let rest = &dialled[first.prefix.len()..];
            if rest.is_empty() {
                return Err(DidOutRefusal {
                    status: 484,
                    reason: "Address Incomplete",
                });
            }
            return match prefixed.find(|(_, r)| r.permits(extension)) {
                Some((i, r)) => Ok(Selection {
                    number: rest.to_string(),
                    presentation: r.present.clone(),
                    rule: Some(i),
                }),
                None => Err(DidOutRefusal {
                    status: 403,
                    reason: "Forbidden - caller ID not allowed",
                }),
            };
        }
        let default = self
            .rules
            .iter()
            .enumerate()
            .find(|(_, r)| r.prefix.is_empty() && r.permits(extension));
        Ok(match default {
            Some((i, r)) => Selection {
                number: dialled.to_string(),
                presentation: r.present.clone(),
                rule: Some(i),
            },
            None => Selection {
                number: dialled.to_string(),
                presentation: own.clone(),
                rule: None,
            },
        })
    }
}

impl DidOutRule {
    fn permits(&self, extension: &str) -> bool {
        self.all_extensions || self.extensions.iter().any(|e| e == extension)
    }
}

/// The From URI of an anonymous call (RFC 3323 §4.1.1.3).
pub const ANONYMOUS_USER: &str = "anonymous";
pub const ANONYMOUS_HOST: &str = "anonymous.invalid";
pub const ANONYMOUS_DISPLAY: &str = "Anonymous";

/// The identity parts of the trunk INVITE. The daemon writes them with the SIP printer (which
/// quotes display names) and the trunk's domain as host, except when `anonymous`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkIdentity {
    /// From display name: `Some("Anonymous")` when anonymous; `None` otherwise (Spanish PSTN
    /// carries no names, and the user's name would leak to the called party for nothing).
    pub from_display: Option<&'static str>,
    /// From user part: the presented number in the trunk's format, or `anonymous`.
    pub from_user: String,
    /// From host is `anonymous.invalid` instead of the trunk domain.
    pub anonymous: bool,
    /// Value of a `Privacy` header, `id` when anonymous (RFC 3325 §9.3): the provider, a trusted
    /// network, withholds the asserted identity from the called party.
    pub privacy: Option<&'static str>,
    /// User part of `P-Asserted-Identity` (RFC 3325 §9.1) to the provider: the real number, so
    /// the provider can bill, trace and pass it to emergency services even when hidden.
    pub asserted: Option<String>,
}

impl Presentation {
    /// The trunk identity of a call presenting `self`. `asserted_when_anonymous` is the real
    /// number asserted when the call is anonymous: the user's own DID, else the tenant's main
    /// DID or the trunk account's number; with `None` no P-Asserted-Identity is sent.
    pub fn trunk_identity(
        &self,
        plan: &NumberPlan,
        asserted_when_anonymous: Option<&str>,
    ) -> TrunkIdentity {
        // Only what normalises to a number reaches a header: DIDs are validated at import, and
        // anything else (a fallback with letters) is withheld rather than written into a URI.
        let format = |n: &str| plan.normalize(n).ok().map(|n| plan.to_trunk(&n));
        let presented = match self {
            Presentation::Did(did) => format(did),
            Presentation::Anonymous => None,
        };
        match presented {
            Some(number) => TrunkIdentity {
                from_display: None,
                from_user: number.clone(),
                anonymous: false,
                privacy: None,
                asserted: Some(number),
            },
            None => TrunkIdentity {
                from_display: Some(ANONYMOUS_DISPLAY),
                from_user: ANONYMOUS_USER.to_string(),
                anonymous: true,
                privacy: Some("id"),
                asserted: asserted_when_anonymous.and_then(format),
            },
        }
    }
}

impl TrunkIdentity {
    /// The From header of the trunk INVITE (the dialog layer adds the tag). `trunk_host` is
    /// the provider's domain; an anonymous call uses `anonymous.invalid` instead.
    pub fn from_name_addr(&self, trunk_host: &str) -> NameAddr {
        let host = if self.anonymous {
            ANONYMOUS_HOST
        } else {
            trunk_host
        };
        let mut from = NameAddr::new(Uri::sip(Some(&self.from_user), host, None));
        from.display = self.from_display.map(str::to_string);
        from
    }

    /// The P-Asserted-Identity header value, if any.
    pub fn asserted_name_addr(&self, trunk_host: &str) -> Option<NameAddr> {
        self.asserted
            .as_deref()
            .map(|user| NameAddr::new(Uri::sip(Some(user), trunk_host, None)))
    }
}
