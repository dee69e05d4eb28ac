//! Call set-up: the caller's INVITE becomes a call with an anchored offer, and the destination
//! becomes forks (INVITEs to every place the callee may answer).
use super::targets::{self, CallerIdentity, ForkTarget, Presentation, Targets, Unreachable};
use super::{contact_value, host, sdp, via_value};
use super::{Call, CallContext, CallState, Calls, ClientPurpose, Fork, Leg};
use crate::cdr::{Cdr, Direction, Disposition};
use crate::dialplan::CapReached;
use crate::directory::{Account, DialTarget};
use crate::media::Side;
use crate::routing::Destination;
use sip::builder::reason_phrase;
use sip::message::{HeaderName, Headers, Method, Request, Response, SipHeaders};
use sip::transaction::{Peer, ServerTxKey};
use std::time::Duration;

/// Who sent the INVITE.
pub enum Origin {
    /// An extension that passed digest authentication.
    Extension(Box<Account>),
    /// A tenant's trunk provider (recognised by source address): an incoming call to a DID.
    Trunk { tenant_id: u32 },
}

/// What the first leg of routing decided.
struct Decision {
    /// The calling extension's SIP username (None for calls from a trunk).
    caller_user: Option<String>,
    caller: CallerIdentity,
    trunk: Option<String>,
    direction: Direction,
    did: Option<String>,
    source: String,
    destination: String,
    route: Result<Destination, Refused>,
}

/// A call refused before ringing: status, reason phrase the caller sees, CDR cause.
struct Refused {
    status: u16,
    reason: String,
    cause: String,
}

fn refused(status: u16, cause: &str) -> Refused {
    Refused {
        status,
        reason: reason_phrase(status).to_string(),
        cause: cause.to_string(),
    }
}

impl Calls {
    pub fn on_new_invite(
        &mut self,
        ctx: &mut CallContext<'_>,
        key: ServerTxKey,
        req: Request,
        source: Peer,
        origin: Origin,
    ) {
        if let Origin::Extension(account) = &origin {
            let dialled = req.uri.user_unescaped().unwrap_or_default();
            if let Some(what) = super::pickup::pickup_code(ctx.directory, account, &dialled) {
                let account = account.clone();
                return self.pickup(ctx, key, req, source, &account, what);
            }
        }
        let decision = decide(ctx, &req, origin, source.addr);
        let reject_with = |ctx: &mut CallContext<'_>, status: u16, reason: &str, cause: &str| {
            let tag = ctx.ids.tag();
            let resp = Response::for_request(&req, status, reason, Some(&tag));
            ctx.txn.send_response(&key, resp, ctx.now);
            ctx.cdrs.push_back(Cdr {
                tenant_id: decision.caller.tenant_id,
                call_id: req.call_id().unwrap_or_default().to_string(),
                start_ms: ctx.unix_ms,
                answer_ms: None,
                end_ms: ctx.unix_ms,
                billable_secs: 0,
                direction: decision.direction,
                source: decision.source.clone(),
                destination: decision.destination.clone(),
                did: decision.did.clone(),
                caller_id_presented: None,
                trunk: decision.trunk.clone(),
                disposition: match status {
                    486 => Disposition::Busy,
                    480 => Disposition::NoAnswer,
                    _ => Disposition::Failed,
                },
                hangup_cause: cause.to_string(),
                recording: None,
            });
        };
        let reject = |ctx: &mut CallContext<'_>, status: u16, cause: &str| {
            reject_with(ctx, status, reason_phrase(status), cause)
        };
        if sip::parse::max_forwards(&req.headers) == Some(0) {
            return reject(ctx, 483, "too-many-hops");
        }
        let dest = match &decision.route {
            Ok(dest) => dest.clone(),
            Err(r) => return reject_with(ctx, r.status, &r.reason, &r.cause),
        };
        let targets = match targets::resolve(ctx, &decision.caller, &dest, None) {
            Ok(t) => t,
            Err(Unreachable {
                status,
                cause,
                instead: None,
            }) => return reject(ctx, status, cause),
            Err(Unreachable {
                instead: Some(next),
                status,
                cause,
            }) => match targets::resolve(ctx, &decision.caller, &next, None) {
                Ok(t) => t,
                Err(_) => return reject(ctx, status, cause),
            },
        };
        let mut call_sdp = sdp::CallSdp::new(ctx.ids);
        let Some(media) = ctx.media.open() else {
            return reject(ctx, 503, "no-media-ports");
        };
        let offer = if req.body.is_empty() {
            // Late offer: the callee will offer in its 2xx.
            sdp::Anchored {
                body: Vec::new(),
                remote: None,
                formats: None,
            }
        } else {
            match call_sdp.forward_offer(&req.body, Side::A, ctx.config.media_ip, media) {
                Ok(offer) => offer,
                Err(problem) => {
                    ctx.media.close(media.id);
                    return reject(ctx, problem.status(), problem.cause());
                }
            }
        };
        if let Some(addr) = offer.remote {
            ctx.media.set_remote(media.id, Side::A, addr);
        }
        let trying = Response::for_request(&req, 100, "Trying", None);
        ctx.txn.send_response(&key, trying, ctx.now);

        let a_offered = !req.body.is_empty();
        let caller_user = decision.caller_user.clone();
        let local_tag = ctx.ids.tag();
        let to_value = req.headers.get(&HeaderName::To).unwrap_or_default();
        let a = Leg {
            call_id: req.call_id().unwrap_or_default().to_string(),
            local_header: format!("{to_value};tag={local_tag}"),
            remote_header: req
                .headers
                .get(&HeaderName::From)
                .unwrap_or_default()
                .to_string(),
            remote_tag: req
                .from_header()
                .and_then(|f| f.tag().map(str::to_string))
                .unwrap_or_default(),
            remote_target: req
                .contacts()
                .into_iter()
                .find_map(|c| match c {
                    sip::header::Contact::Addr(a) => Some(a.uri),
                    sip::header::Contact::Star => None,
                })
                .unwrap_or_else(|| req.uri.clone()),
            peer: source,
            local_cseq: 0,
        };
        let call = Call {
            tenant_id: decision.caller.tenant_id,
            source: decision.source,
            destination: decision.destination,
            direction: decision.direction,
            did: decision.did,
            caller_id_presented: None,
            trunk: decision.trunk,
            out_leg: None,
            caller: decision.caller,
            b_offer: offer.body,
            b_ack_pending: None,
            b_ack_body: None,
            on_busy: None,
            on_no_answer: None,
            fallback_owner: None,
            forwards: 0,
            state: CallState::Ringing,
            a,
            invite_key: Some(key.clone()),
            a_invite: Some((key, req)),
            forks: Vec::new(),
            b: None,
            b_call_id: ctx.ids.call_id(&host(ctx.config.sip_addr)),
            b_tag: ctx.ids.tag(),
            media: Some(media),
            sdp: call_sdp,
            start_ms: ctx.unix_ms,
            answer_ms: None,
            ring_deadline: None,
            best_failure: None,
            app: None,
            box_answered: false,
            a_offered,
            a_late_answer: false,
            a_format: None,
            recording: None,
            held: false,
            apps_started: 0,
            end_cause: None,
            caller_user,
            callee_user: None,
        };
        let id = self.insert(call);
        self.ring(ctx, id, targets);
    }

    /// Sends INVITEs to every target and (re)arms the ring timer of the call.
    pub(super) fn ring(&mut self, ctx: &mut CallContext<'_>, id: u64, mut targets: Targets) {
        if let Some(app) = targets.app.take() {
            return self.start_app(ctx, id, app);
        }
        let Some(tenant_id) = self.calls.get(&id).map(|c| c.tenant_id) else {
            return;
        };
        if targets.forks.iter().any(|f| f.auth.is_some()) {
            let limit = ctx
                .directory
                .tenant(tenant_id)
                .and_then(|t| t.outbound.plan.permissions.max_outbound_calls());
            if self.outbound.try_start(tenant_id, limit, id).is_err() {
                targets.forks.retain(|f| f.auth.is_none());
                if targets.forks.is_empty() {
                    self.fail_ringing_with(
                        ctx,
                        id,
                        CapReached::STATUS,
                        CapReached::REASON,
                        Disposition::Failed,
                        "outbound-cap",
                    );
                    return;
                }
            }
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.on_busy = targets.on_busy;
        call.on_no_answer = targets.on_no_answer;
        if let Some(old) = std::mem::replace(&mut call.callee_user, targets.callee) {
            self.dirty_users.insert(old);
        }
        self.dirty_users.extend(call.callee_user.iter().cloned());
        call.fallback_owner = targets.fallback_owner;
        call.best_failure = None;
        if let Some(first) = targets.forks.first() {
            call.caller_id_presented = Some(first.caller_id.clone());
        }
        self.send_forks(ctx, id, targets.forks);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(at) = call.ring_deadline.take() {
            self.deadlines.remove(&(at, id));
        }
        let at = ctx.now + Duration::from_secs(u64::from(targets.ring_seconds));
        call.ring_deadline = Some(at);
        self.deadlines.insert((at, id));
    }
}

impl Calls {
    /// INVITEs to more places for a ringing call (its ring timer and fallbacks unchanged).
    pub(super) fn send_forks(
        &mut self,
        ctx: &mut CallContext<'_>,
        id: u64,
        forks: Vec<ForkTarget>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        for target in forks {
            if let Some(i) = target.provider {
                let label = crate::trunk_peers::TrunkPeers::label(ctx.directory, call.tenant_id, i);
                if call.direction == Direction::Outgoing {
                    call.trunk = label;
                } else {
                    // A call that came in (or is internal) and goes out again: its outgoing leg
                    // gets a CDR of its own, with the trunk and number it used.
                    call.out_leg = Some(super::OutLeg {
                        number: target.uri.user.clone().unwrap_or_default(),
                        trunk: label,
                        answered: false,
                        answer_ms: None,
                    });
                }
            }
            let invite = fork_invite(ctx, call, &target);
            let tx = ctx.txn.send_request(invite.clone(), target.peer, ctx.now);
            call.forks.push(Fork {
                tx: tx.clone(),
                invite,
                peer: target.peer,
                auth: target.auth,
                provider: target.provider,
                auth_tried: false,
                caller_id: target.caller_id,
                provisional_seen: false,
                cancel_pending: false,
                done: false,
            });
            self.by_client
                .insert(tx, (id, ClientPurpose::Fork(call.forks.len() - 1)));
        }
    }
}

fn fork_invite(ctx: &mut CallContext<'_>, call: &Call, target: &ForkTarget) -> Request {
    let mut headers = Headers::new();
    headers.push(
        HeaderName::Via,
        via_value(target.peer, ctx.config.sip_addr, ctx.ids),
    );
    headers.push(HeaderName::MaxForwards, "70");
    headers.push(
        HeaderName::From,
        format!("{};tag={}", target.from, call.b_tag),
    );
    headers.push(HeaderName::To, target.to.clone());
    headers.push(HeaderName::CallId, call.b_call_id.clone());
    headers.push(HeaderName::CSeq, "1 INVITE");
    headers.push(HeaderName::Contact, contact_value(ctx.config.sip_addr));
    headers.push(HeaderName::Allow, crate::endpoint::ALLOW);
    headers.push(HeaderName::UserAgent, ctx.config.user_agent.clone());
    for (name, value) in &target.extra {
        headers.push(name.clone(), value.clone());
    }
    if !call.b_offer.is_empty() {
        headers.push(HeaderName::ContentType, "application/sdp");
    }
    Request {
        method: Method::Invite,
        uri: target.uri.clone(),
        headers,
        body: call.b_offer.clone(),
    }
}

/// Who calls whom: caller identity, direction, and the first destination.
fn decide(
    ctx: &CallContext<'_>,
    req: &Request,
    origin: Origin,
    source_addr: std::net::SocketAddr,
) -> Decision {
    let dialled = req.uri.user_unescaped().unwrap_or_default();
    match origin {
        Origin::Extension(account) => {
            let mut caller = CallerIdentity {
                tenant_id: account.tenant_id,
                number: account.extension.clone(),
                display: if account.display_name.is_empty() {
                    account.extension.clone()
                } else {
                    account.display_name.clone()
                },
                presentation: match &account.caller_id {
                    Some(did) => Presentation::Did(did.clone()),
                    None => Presentation::Anonymous,
                },
                internal_only: account.internal_only,
            };
            let feature = super::features::feature_code(ctx, &account, &dialled);
            let (direction, route) = match feature {
                Some(dest) => (Direction::Internal, Ok(dest)),
                None => match ctx.directory.resolve(account.tenant_id, &dialled) {
                    DialTarget::Extension(username) => {
                        (Direction::Internal, Ok(Destination::Extension(username)))
                    }
                    DialTarget::Alias { number, .. } => {
                        match ctx.directory.resolve(account.tenant_id, &number) {
                            DialTarget::Extension(username) => {
                                (Direction::Internal, Ok(Destination::Extension(username)))
                            }
                            _ => outbound(ctx, &account, &number, &mut caller),
                        }
                    }
                    DialTarget::Ivr(ivr) => (Direction::Internal, Ok(Destination::Ivr(ivr))),
                    // An extension dialling a box's number gets its menu (PIN, messages).
                    DialTarget::Voicemail(vm) => {
                        (Direction::Internal, Ok(Destination::VoicemailMenu(vm)))
                    }
                    DialTarget::NotYetRouted { kind } => {
                        tracing::warn!(%dialled, kind, "destination kind not routed by this build: 503");
                        (Direction::Internal, Err(refused(503, "not-routed")))
                    }
                    DialTarget::Unknown => outbound(ctx, &account, &dialled, &mut caller),
                },
            };
            // An outgoing CDR names the number the provider was asked for (an alias or a DID OUT
            // prefix resolved), so it matches the provider's bill and the number filters.
            let destination = match &route {
                Ok(Destination::External(number)) => number.clone(),
                _ => dialled,
            };
            Decision {
                caller_user: Some(account.username.clone()),
                source: account.extension.clone(),
                trunk: None,
                caller,
                direction,
                did: None,
                destination,
                route,
            }
        }
        Origin::Trunk { tenant_id } => {
            // A registration trunk sends to our Contact (the account username) with the DID in
            // To; a DID trunk puts the DID in the Request-URI. `called_number` reads both.
            let account = ctx
                .trunks
                .provider_of(source_addr)
                .and_then(|(t, i)| ctx.directory.tenant(t)?.trunks.get(i).cloned());
            let dialled = account
                .as_ref()
                .and_then(|a| crate::trunk::called_number(req, &a.username))
                .unwrap_or(dialled);
            let dialled = match ctx.directory.routes.did(&dialled) {
                Some(_) => dialled,
                None => ctx
                    .directory
                    .tenant(tenant_id)
                    .and_then(|t| t.outbound.plan.numbers.normalize(&dialled).ok())
                    .unwrap_or(dialled),
            };
            let from = req.from_header();
            let number = from
                .as_ref()
                .and_then(|f| f.uri.user_unescaped())
                .unwrap_or_else(|| "anonymous".to_string());
            // A caller in the tenant's aliases is shown by the alias's name.
            let national = ctx
                .directory
                .tenant(tenant_id)
                .and_then(|t| t.outbound.plan.numbers.normalize(&number).ok());
            let alias_name = ctx.directory.alias_name(tenant_id, &number).or_else(|| {
                national
                    .as_deref()
                    .and_then(|n| ctx.directory.alias_name(tenant_id, n))
            });
            let mut display = match alias_name {
                Some(name) => name.to_string(),
                None => from
                    .as_ref()
                    .and_then(|f| f.display.clone())
                    .unwrap_or_else(|| number.clone()),
            };
            // Rules, CDRs and the callee see the caller in the tenant's national format, however
            // the provider spelled it (+34..., 0034...): what an admin writes patterns for and
            // what a phone can dial back.
            let number = national.unwrap_or(number);
            let routed = ctx.directory.routes.route(&dialled, &number, ctx.unix_ms);
            let route = match &routed {
                None => Err(refused(404, "unknown-did")),
                Some(r) if r.tenant_id != tenant_id => Err(refused(404, "unknown-did")),
                Some(r) => match (&r.destination, &r.prompt) {
                    // The rule's prompt plays first (the box answers), then its destination.
                    (Some(d), Some(prompt)) => {
                        Ok(Destination::PromptThen(prompt.clone(), Box::new(d.clone())))
                    }
                    (Some(d), None) => Ok(d.clone()),
                    (None, _) => Err(refused(480, "no-route-rule")),
                },
            };
            if let Some(prefix) = routed.as_ref().and_then(|r| r.prefix.as_ref()) {
                display = format!("{prefix}{display}");
            }
            // The configured DID, however the provider spelled it (+34..., national).
            let configured_did = routed
                .as_ref()
                .and_then(|r| r.steps.first())
                .map(|s| s.did.clone())
                .unwrap_or_else(|| dialled.clone());
            let trunk = ctx
                .trunks
                .provider_of(source_addr)
                .and_then(|(t, i)| crate::trunk_peers::TrunkPeers::label(ctx.directory, t, i));
            Decision {
                caller_user: None,
                trunk,
                caller: CallerIdentity {
                    tenant_id,
                    number: number.clone(),
                    display,
                    presentation: Presentation::Redirected {
                        caller: number.clone(),
                        did: configured_did.clone(),
                    },
                    internal_only: false,
                },
                direction: Direction::Incoming,
                // The configured DID, however the provider spelled it (+34..., national).
                did: Some(configured_did),
                source: number,
                destination: dialled,
                route,
            }
        }
    }
}

/// A number that is not internal: the tenant's dial plan decides (DID OUT prefix, class,
/// permissions) and fixes the number format and caller ID the trunk gets.
fn outbound(
    ctx: &CallContext<'_>,
    account: &Account,
    dialled: &str,
    caller: &mut CallerIdentity,
) -> (Direction, Result<Destination, Refused>) {
    let default_tenant;
    let tenant = match ctx.directory.tenant(account.tenant_id) {
        Some(t) => t,
        None => {
            default_tenant = crate::directory::Tenant::default();
            &default_tenant
        }
    };
    let presentation = match &account.caller_id {
        Some(did) => crate::dialplan::Presentation::Did(did.clone()),
        None => crate::dialplan::Presentation::Anonymous,
    };
    let request = crate::dialplan::OutboundRequest {
        extension: &account.extension,
        internal_only: account.internal_only,
        caller_id: &presentation,
        dialled,
        tenant_identity: tenant.main_did.as_deref(),
    };
    match tenant.outbound.plan_call(&request) {
        Ok(call) => {
            caller.presentation = Presentation::Planned(call.identity);
            (Direction::Outgoing, Ok(Destination::External(call.number)))
        }
        // A short number that is neither internal nor a known external pattern is a wrong
        // extension: "not found", not "address incomplete".
        Err(refusal) if refusal.status == 484 && dialled.len() <= 4 => {
            (Direction::Internal, Err(refused(404, "unknown-number")))
        }
        Err(refusal) => {
            let cause = match refusal.class {
                _ if account.internal_only => "refused-internal-only".to_string(),
                Some(class) => format!("refused-{class:?}").to_lowercase(),
                None => "refused".to_string(),
            };
            (
                Direction::Outgoing,
                Err(Refused {
                    status: refusal.status,
                    reason: refusal.reason,
                    cause,
                }),
            )
        }
    }
}
