//! Call set-up: the caller's INVITE becomes a call with an anchored offer, and the destination
//! becomes forks (INVITEs to every place the callee may answer).
use super::targets::{self, CallerIdentity, ForkTarget, Presentation, Targets, Unreachable};
use super::{contact_value, host, sdp, via_value};
use super::{Call, CallContext, CallState, Calls, ClientPurpose, Fork, Leg};
use crate::cdr::{Cdr, Direction, Disposition};
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
    caller: CallerIdentity,
    direction: Direction,
    did: Option<String>,
    source: String,
    destination: String,
    route: Result<Destination, (u16, &'static str)>,
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
        let decision = decide(ctx, &req, origin);
        let reject = |ctx: &mut CallContext<'_>, status: u16, cause: &str| {
            let tag = ctx.ids.tag();
            let resp = Response::for_request(&req, status, reason_phrase(status), Some(&tag));
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
                disposition: match status {
                    486 => Disposition::Busy,
                    480 => Disposition::NoAnswer,
                    _ => Disposition::Failed,
                },
                hangup_cause: cause.to_string(),
            });
        };
        if sip::parse::max_forwards(&req.headers) == Some(0) {
            return reject(ctx, 483, "too-many-hops");
        }
        let dest = match &decision.route {
            Ok(dest) => dest.clone(),
            Err((status, cause)) => return reject(ctx, *status, cause),
        };
        let targets = match targets::resolve(ctx, &decision.caller, &dest) {
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
            }) => match targets::resolve(ctx, &decision.caller, &next) {
                Ok(t) => t,
                Err(_) => return reject(ctx, status, cause),
            },
        };
        if req.body.is_empty() {
            // Offerless INVITE (offer in the 2xx, answer in the ACK) is not supported yet.
            return reject(ctx, 488, "no-offer");
        }
        let mut call_sdp = sdp::CallSdp::new(ctx.ids);
        let Some(media) = ctx.media.open() else {
            return reject(ctx, 503, "no-media-ports");
        };
        let offer = match call_sdp.forward_offer(&req.body, Side::A, ctx.config.media_ip, media) {
            Ok(offer) => offer,
            Err(problem) => {
                ctx.media.close(media.id);
                return reject(ctx, problem.status(), problem.cause());
            }
        };
        if let Some(addr) = offer.remote {
            ctx.media.set_remote(media.id, Side::A, addr);
        }
        let trying = Response::for_request(&req, 100, "Trying", None);
        ctx.txn.send_response(&key, trying, ctx.now);

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
            caller: decision.caller,
            b_offer: offer.body,
            on_busy: None,
            on_no_answer: None,
            forwards: 0,
            state: CallState::Ringing,
            a,
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
        };
        let id = self.insert(call);
        self.ring(ctx, id, targets);
    }

    /// Sends INVITEs to every target and (re)arms the ring timer of the call.
    pub(super) fn ring(&mut self, ctx: &mut CallContext<'_>, id: u64, targets: Targets) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.on_busy = targets.on_busy;
        call.on_no_answer = targets.on_no_answer;
        call.best_failure = None;
        if let Some(first) = targets.forks.first() {
            call.caller_id_presented = Some(first.caller_id.clone());
        }
        for target in targets.forks {
            let invite = fork_invite(ctx, call, &target);
            let tx = ctx.txn.send_request(invite.clone(), target.peer, ctx.now);
            call.forks.push(Fork {
                tx: tx.clone(),
                invite,
                peer: target.peer,
                auth: target.auth,
                auth_tried: false,
                caller_id: target.caller_id,
                provisional_seen: false,
                cancel_pending: false,
                done: false,
            });
            self.by_client
                .insert(tx, (id, ClientPurpose::Fork(call.forks.len() - 1)));
        }
        if let Some(at) = call.ring_deadline.take() {
            self.deadlines.remove(&(at, id));
        }
        let at = ctx.now + Duration::from_secs(u64::from(targets.ring_seconds));
        call.ring_deadline = Some(at);
        self.deadlines.insert((at, id));
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
    headers.push(HeaderName::ContentType, "application/sdp");
    Request {
        method: Method::Invite,
        uri: target.uri.clone(),
        headers,
        body: call.b_offer.clone(),
    }
}

/// Who calls whom: caller identity, direction, and the first destination.
fn decide(ctx: &CallContext<'_>, req: &Request, origin: Origin) -> Decision {
    let dialled = req.uri.user_unescaped().unwrap_or_default();
    match origin {
        Origin::Extension(account) => {
            let caller = CallerIdentity {
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
            let (direction, route) = match ctx.directory.resolve(account.tenant_id, &dialled) {
                DialTarget::Extension(username) => {
                    (Direction::Internal, Ok(Destination::Extension(username)))
                }
                DialTarget::Alias { number, .. } => {
                    internal_or_external(ctx, account.tenant_id, &number)
                }
                DialTarget::NotYetRouted { kind } => {
                    tracing::warn!(%dialled, kind, "destination kind not routed by this build: 503");
                    (Direction::Internal, Err((503, "not-routed")))
                }
                DialTarget::Unknown if is_phone_number(&dialled) => (
                    Direction::Outgoing,
                    Ok(Destination::External(dialled.clone())),
                ),
                DialTarget::Unknown => (Direction::Internal, Err((404, "unknown-number"))),
            };
            Decision {
                source: account.extension.clone(),
                caller,
                direction,
                did: None,
                destination: dialled,
                route,
            }
        }
        Origin::Trunk { tenant_id } => {
            let from = req.from_header();
            let number = from
                .as_ref()
                .and_then(|f| f.uri.user_unescaped())
                .unwrap_or_else(|| "anonymous".to_string());
            let mut display = from
                .as_ref()
                .and_then(|f| f.display.clone())
                .unwrap_or_else(|| number.clone());
            let routed = ctx.directory.routes.route(&dialled, &number, ctx.unix_ms);
            let route = match &routed {
                None => Err((404, "unknown-did")),
                Some(r) if r.tenant_id != tenant_id => Err((404, "unknown-did")),
                Some(r) => match &r.destination {
                    Some(d) => Ok(d.clone()),
                    None => Err((480, "no-route-rule")),
                },
            };
            if let Some(prefix) = routed.as_ref().and_then(|r| r.prefix.as_ref()) {
                display = format!("{prefix}{display}");
            }
            if let Some(prompt) = routed.as_ref().and_then(|r| r.prompt.as_ref()) {
                tracing::info!(%prompt, "route rule prompt skipped: the media server comes later");
            }
            Decision {
                caller: CallerIdentity {
                    tenant_id,
                    number: number.clone(),
                    display,
                    presentation: Presentation::Number(number.clone()),
                    internal_only: false,
                },
                direction: Direction::Incoming,
                did: Some(dialled.clone()),
                source: number,
                destination: dialled,
                route,
            }
        }
    }
}

fn internal_or_external(
    ctx: &CallContext<'_>,
    tenant_id: u32,
    number: &str,
) -> (Direction, Result<Destination, (u16, &'static str)>) {
    match ctx.directory.resolve(tenant_id, number) {
        DialTarget::Extension(username) => {
            (Direction::Internal, Ok(Destination::Extension(username)))
        }
        _ if is_phone_number(number) => (
            Direction::Outgoing,
            Ok(Destination::External(number.to_string())),
        ),
        _ => (Direction::Internal, Err((404, "unknown-number"))),
    }
}

/// Spanish emergency and public-service numbers: short, yet external.
const EMERGENCY: &[&str] = &["112", "091", "092", "062", "080", "085", "061", "016"];

/// Digits with an optional leading `+`, long enough not to be a mistyped extension (or an
/// emergency number).
fn is_phone_number(s: &str) -> bool {
    let digits = s.strip_prefix('+').unwrap_or(s);
    digits.bytes().all(|b| b.is_ascii_digit())
        && (digits.len() >= 5
            || EMERGENCY.contains(&digits)
            || (s.starts_with('+') && digits.len() >= 3))
}
