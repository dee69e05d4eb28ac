//! Turning a destination into the places to ring: an extension's registered contacts (plus its
//! mobile through the trunk when twinning is on), or an external number through the tenant's trunk.
//! Forwarding (always, DND) and DID chains are followed here; busy and no-answer forwarding are
//! kept as fallbacks for when ringing fails.
use super::{host, CallContext};
use crate::directory::Account;
use crate::routing::Destination;
use sip::message::HeaderName;
use sip::transaction::Peer;
use sip::uri::Uri;

/// Credentials for a trunk that challenges our INVITE.
#[derive(Debug, Clone)]
pub struct TrunkAuth {
    pub username: String,
    pub password: String,
}

/// One place to ring.
#[derive(Debug, Clone)]
pub struct ForkTarget {
    pub uri: Uri,
    pub peer: Peer,
    /// From header value without tag (the identity the callee sees).
    pub from: String,
    pub to: String,
    pub extra: Vec<(HeaderName, String)>,
    pub auth: Option<TrunkAuth>,
    /// For CDRs: what the callee was shown.
    pub caller_id: String,
    /// Which of the tenant's providers a trunk fork goes through (0 = primary).
    pub provider: Option<usize>,
}

/// What a call sent out through the trunk presents as caller ID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presentation {
    /// One of the tenant's DIDs.
    Did(String),
    /// Withheld (RFC 3323 `Privacy: id`).
    Anonymous,
    /// An external caller's number on a call that came in on `did` and goes back out (a forward,
    /// twinning, a DID rule to an external number): From keeps the caller, and the DID is named
    /// in Diversion (RFC 5806) and P-Asserted-Identity, which providers check against their
    /// customer's numbers.
    Redirected { caller: String, did: String },
    /// Decided by the tenant's dial plan (DID OUT prefix, privacy, number format).
    Planned(crate::dialplan::TrunkIdentity),
}

/// Who is calling, as the callee should see it.
#[derive(Debug, Clone)]
pub struct CallerIdentity {
    pub tenant_id: u32,
    /// The caller's number: an extension for internal callers, the external number for trunk calls.
    pub number: String,
    pub display: String,
    /// What a trunk leg of this call presents.
    pub presentation: Presentation,
    pub internal_only: bool,
}

/// The result of resolving a destination.
pub struct Targets {
    pub forks: Vec<ForkTarget>,
    pub ring_seconds: u32,
    pub on_busy: Option<Destination>,
    pub on_no_answer: Option<Destination>,
    /// Whose forwards `on_busy`/`on_no_answer` are (their permissions apply to external forwards).
    pub fallback_owner: Option<String>,
    /// The callee, for CDRs (extension number or external number).
    pub label: String,
    /// The box itself answers (IVR, voicemail, prompt): `forks` is empty.
    pub app: Option<Destination>,
    /// The extension rung (SIP username), for busy-lamp presence.
    pub callee: Option<String>,
}

impl Targets {
    fn app(dest: Destination) -> Targets {
        Targets {
            forks: Vec::new(),
            ring_seconds: 0,
            on_busy: None,
            on_no_answer: None,
            fallback_owner: None,
            label: String::new(),
            app: Some(dest),
            callee: None,
        }
    }
}

/// Why a destination cannot be rung, and what the caller hears.
pub struct Unreachable {
    pub status: u16,
    pub cause: &'static str,
    /// A forward to follow instead (busy/unavailable forwarding).
    pub instead: Option<Destination>,
}

fn unreachable(status: u16, cause: &'static str) -> Unreachable {
    Unreachable {
        status,
        cause,
        instead: None,
    }
}

const MAX_FORWARDS: usize = 5;

/// Resolves `dest`. `forwarded_by` is the SIP username whose forward led here: an external number
/// reached through a forward is dialled with that user's call permissions.
pub fn resolve(
    ctx: &CallContext<'_>,
    caller: &CallerIdentity,
    dest: &Destination,
    forwarded_by: Option<&str>,
) -> Result<Targets, Unreachable> {
    let mut dest = dest.clone();
    let mut owner: Option<&crate::directory::Account> =
        forwarded_by.and_then(|u| ctx.directory.account(u));
    for _ in 0..MAX_FORWARDS {
        let next = match &dest {
            Destination::Extension(username) => {
                let Some(account) = ctx.directory.account(username) else {
                    return Err(unreachable(404, "unknown-extension"));
                };
                if account.tenant_id != caller.tenant_id {
                    return Err(unreachable(404, "unknown-extension"));
                }
                match extension(ctx, caller, account) {
                    Ok(t) => return Ok(t),
                    Err(Unreachable {
                        instead: Some(next),
                        ..
                    }) => {
                        owner = Some(account);
                        next
                    }
                    Err(e) => return Err(e),
                }
            }
            Destination::External(number) => return forwarded_external(ctx, caller, number, owner),
            Destination::Did(number) => {
                let Some(routed) = ctx
                    .directory
                    .routes
                    .route(number, &caller.number, ctx.unix_ms)
                else {
                    return Err(unreachable(404, "unknown-did"));
                };
                match routed.destination {
                    Some(d) => d,
                    None => return Err(unreachable(480, "no-route-rule")),
                }
            }
            Destination::Hangup => return Err(unreachable(603, "hangup")),
            Destination::Voicemail(_)
            | Destination::Ivr(_)
            | Destination::PromptThenHangup(_)
            | Destination::VoicemailMenu(_)
            | Destination::RecordPrompt(_)
            | Destination::PromptThen(..) => return Ok(Targets::app(dest)),
            Destination::Queue(_) | Destination::Conference(_) => {
                tracing::warn!(destination = %dest.describe(), "destination not routed by this build: 503");
                return Err(unreachable(503, "not-routed"));
            }
        };
        dest = next;
    }
    Err(unreachable(482, "forward-loop"))
}

fn extension(
    ctx: &CallContext<'_>,
    caller: &CallerIdentity,
    account: &Account,
) -> Result<Targets, Unreachable> {
    if let Some(always) = &account.forward_always {
        return Err(Unreachable {
            status: 480,
            cause: "forward-always",
            instead: Some(always.clone()),
        });
    }
    if account.dnd {
        return Err(Unreachable {
            status: 486,
            cause: "dnd",
            instead: account.forward_busy.clone(),
        });
    }
    let box_host = host(ctx.config.sip_addr);
    let display = escape_display(&caller.display);
    let from = format!("\"{display}\" <sip:{}@{box_host}>", caller.number);
    let mut forks: Vec<ForkTarget> = ctx
        .registrar
        .contacts(&account.username, ctx.now)
        .filter_map(|b| {
            Some(ForkTarget {
                uri: Uri::parse(&b.contact_uri).ok()?,
                peer: b.source,
                from: from.clone(),
                to: format!("<sip:{}@{box_host}>", account.extension),
                extra: Vec::new(),
                auth: None,
                caller_id: caller.number.clone(),
                provider: None,
            })
        })
        .collect();
    if let Some(mobile) = &account.mobile {
        if let Ok(twin) = forwarded_external(ctx, caller, mobile, Some(account)) {
            forks.extend(twin.forks);
        }
    }
    if forks.is_empty() {
        return Err(Unreachable {
            status: 480,
            cause: "not-registered",
            instead: account.forward_no_answer.clone(),
        });
    }
    Ok(Targets {
        app: None,
        forks,
        ring_seconds: account.ring_seconds.max(1),
        on_busy: account.forward_busy.clone(),
        on_no_answer: account.forward_no_answer.clone(),
        fallback_owner: Some(account.username.clone()),
        label: account.extension.clone(),
        callee: Some(account.username.clone()),
    })
}

/// An external number reached by a forward or twinning: dialled with the forwarding user's
/// permissions (an extension that may not call mobiles cannot forward to one either).
fn forwarded_external(
    ctx: &CallContext<'_>,
    caller: &CallerIdentity,
    number: &str,
    owner: Option<&crate::directory::Account>,
) -> Result<Targets, Unreachable> {
    let Some(owner) = owner else {
        return external(ctx, caller, number);
    };
    let Some(tenant) = ctx.directory.tenant(owner.tenant_id) else {
        return Err(unreachable(503, "no-trunk"));
    };
    let who = crate::dialplan::Caller {
        extension: &owner.extension,
        internal_only: owner.internal_only,
    };
    match tenant.outbound.plan.decide(who, number) {
        crate::dialplan::Decision::Allow { normalized, .. } => {
            let trunk_number = tenant.outbound.plan.numbers.to_trunk(&normalized);
            external(ctx, caller, &trunk_number)
        }
        crate::dialplan::Decision::Deny { .. } => Err(unreachable(403, "forward-not-permitted")),
    }
}

/// An external number through the tenant's active trunk.
fn external(
    ctx: &CallContext<'_>,
    caller: &CallerIdentity,
    number: &str,
) -> Result<Targets, Unreachable> {
    let Some(provider) = ctx.trunks.active(caller.tenant_id, ctx.directory) else {
        return Err(unreachable(503, "no-trunk"));
    };
    external_via(caller, number, provider)
}

/// An external number through one given provider (`(index, account, address)`).
pub(super) fn external_via(
    caller: &CallerIdentity,
    number: &str,
    (index, account, peer): (usize, &crate::directory::TrunkAccount, Peer),
) -> Result<Targets, Unreachable> {
    let domain = &account.domain;
    let mut extra = Vec::new();
    let (from, caller_id) = match &caller.presentation {
        Presentation::Did(did) => (
            format!(
                "\"{}\" <sip:{did}@{domain}>",
                escape_display(&caller.display)
            ),
            did.clone(),
        ),
        Presentation::Redirected { caller, did } => {
            extra.push((
                HeaderName::Other("Diversion".into()),
                format!("<sip:{did}@{domain}>;reason=unconditional"),
            ));
            extra.push((
                HeaderName::PAssertedIdentity,
                format!("<sip:{did}@{domain}>"),
            ));
            (format!("<sip:{caller}@{domain}>"), caller.clone())
        }
        Presentation::Planned(identity) => {
            if let Some(privacy) = identity.privacy {
                extra.push((HeaderName::Privacy, privacy.to_string()));
            }
            if let Some(asserted) = identity.asserted_name_addr(domain) {
                extra.push((HeaderName::PAssertedIdentity, asserted.to_string()));
            }
            (
                identity.from_name_addr(domain).to_string(),
                if identity.anonymous {
                    "anonymous".to_string()
                } else {
                    identity.from_user.clone()
                },
            )
        }
        Presentation::Anonymous => {
            // RFC 3323/3325: hide the identity from the callee, assert it to the trusted provider.
            extra.push((HeaderName::Privacy, "id".to_string()));
            extra.push((
                HeaderName::PAssertedIdentity,
                format!("<sip:{}@{domain}>", account.username),
            ));
            (
                "\"Anonymous\" <sip:anonymous@anonymous.invalid>".to_string(),
                "anonymous".to_string(),
            )
        }
    };
    Ok(Targets {
        app: None,
        callee: None,
        forks: vec![ForkTarget {
            uri: Uri::sip(Some(number), domain, None),
            peer,
            from,
            to: format!("<sip:{number}@{domain}>"),
            extra,
            auth: Some(TrunkAuth {
                username: account.username.clone(),
                password: account.password.clone(),
            }),
            caller_id,
            provider: Some(index),
        }],
        ring_seconds: 60,
        on_busy: None,
        on_no_answer: None,
        fallback_owner: None,
        label: number.to_string(),
    })
}

/// Quotes-and-backslashes escaping for a display name inside `"..."` (RFC 3261 §25.1 quoted-pair);
/// control characters are dropped so a hostile caller name cannot break the header.
pub fn escape_display(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
