//! Call set-up: the caller's INVITE, forking to the callee's contacts, the callee's responses,
//! CANCEL, and the answer race.
use super::{
    ack_for_2xx, cancel_for, sdp, tag_of, Call, CallContext, CallState, Calls, ClientPurpose, Fork,
    Leg,
};
use super::{contact_value, host, via_value};
use crate::cdr::{Cdr, Direction, Disposition};
use crate::directory::{Account, DialTarget};
use crate::media::Side;
use sip::builder::reason_phrase;
use sip::message::{HeaderName, Headers, Method, Request, Response, SipHeaders};
use sip::transaction::{ClientTxKey, Peer, ServerTxKey};
use sip::uri::Uri;
use std::time::Duration;

impl Calls {
    pub fn on_new_invite(
        &mut self,
        ctx: &mut CallContext<'_>,
        key: ServerTxKey,
        req: Request,
        source: Peer,
        caller: Account,
    ) {
        let dialled = req.uri.user_unescaped().unwrap_or_default();
        let reject = |ctx: &mut CallContext<'_>, status: u16, cause: &str| {
            let tag = ctx.ids.tag();
            let resp = Response::for_request(&req, status, reason_phrase(status), Some(&tag));
            ctx.txn.send_response(&key, resp, ctx.now);
            ctx.cdrs.push_back(Cdr {
                tenant_id: caller.tenant_id,
                call_id: req.call_id().unwrap_or_default().to_string(),
                start_ms: ctx.unix_ms,
                answer_ms: None,
                end_ms: ctx.unix_ms,
                billable_secs: 0,
                direction: Direction::Internal,
                source: caller.extension.clone(),
                destination: dialled.clone(),
                disposition: if status == 486 {
                    Disposition::Busy
                } else {
                    Disposition::Failed
                },
                hangup_cause: cause.to_string(),
            });
        };
        if req
            .headers
            .get(&HeaderName::MaxForwards)
            .is_some_and(|v| v.trim() == "0")
        {
            return reject(ctx, 483, "too-many-hops");
        }
        let callee = match ctx.directory.resolve(caller.tenant_id, &dialled) {
            DialTarget::Extension(callee) => callee,
            DialTarget::NotYetRouted { kind } => {
                tracing::warn!(%dialled, kind, "destination kind not routed by this build: 503");
                return reject(ctx, 503, "not-routed");
            }
            DialTarget::Unknown => return reject(ctx, 404, "unknown-number"),
        };
        let contacts: Vec<_> = ctx
            .registrar
            .contacts(&callee.username, ctx.now)
            .cloned()
            .collect();
        if contacts.is_empty() {
            return reject(ctx, 480, "not-registered");
        }
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
                let status = problem.status();
                return reject(ctx, status, problem.cause());
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
        let box_host = host(ctx.config.sip_addr);
        let b_call_id = ctx.ids.call_id(&box_host);
        let display = escape_display(&caller.display_name);
        let b_local_header = format!(
            "\"{display}\" <sip:{}@{box_host}>;tag={}",
            caller.extension,
            ctx.ids.tag()
        );
        let mut forks = Vec::with_capacity(contacts.len());
        for binding in &contacts {
            let Ok(uri) = Uri::parse(&binding.contact_uri) else {
                continue;
            };
            let mut headers = Headers::new();
            headers.push(
                HeaderName::Via,
                via_value(binding.source, ctx.config.sip_addr, ctx.ids),
            );
            headers.push(HeaderName::MaxForwards, "70");
            headers.push(HeaderName::From, b_local_header.clone());
            headers.push(HeaderName::To, format!("<sip:{dialled}@{box_host}>"));
            headers.push(HeaderName::CallId, b_call_id.clone());
            headers.push(HeaderName::CSeq, "1 INVITE");
            headers.push(HeaderName::Contact, contact_value(ctx.config.sip_addr));
            headers.push(HeaderName::Allow, crate::endpoint::ALLOW);
            headers.push(HeaderName::UserAgent, ctx.config.user_agent.clone());
            headers.push(HeaderName::ContentType, "application/sdp");
            let invite = Request {
                method: Method::Invite,
                uri,
                headers,
                body: offer.body.clone(),
            };
            let tx = ctx
                .txn
                .send_request(invite.clone(), binding.source, ctx.now);
            forks.push(Fork {
                tx,
                invite,
                peer: binding.source,
                provisional_seen: false,
                cancel_pending: false,
                done: false,
            });
        }
        let ring_deadline = ctx.now + Duration::from_secs(u64::from(callee.ring_seconds.max(1)));
        let fork_keys: Vec<ClientTxKey> = forks.iter().map(|f| f.tx.clone()).collect();
        let call = Call {
            tenant_id: caller.tenant_id,
            source: caller.extension.clone(),
            destination: dialled,
            state: CallState::Ringing,
            a,
            a_invite: Some((key, req)),
            forks,
            b: None,
            b_call_id,
            b_local_header,
            media: Some(media),
            sdp: call_sdp,
            start_ms: ctx.unix_ms,
            answer_ms: None,
            ring_deadline: Some(ring_deadline),
            best_failure: None,
        };
        let id = self.insert(call);
        for (i, k) in fork_keys.into_iter().enumerate() {
            self.by_client.insert(k, (id, ClientPurpose::Fork(i)));
        }
    }

    pub fn on_response(&mut self, ctx: &mut CallContext<'_>, key: &ClientTxKey, resp: Response) {
        let Some((id, purpose)) = self.by_client.get(key).cloned() else {
            return;
        };
        if resp.status >= 200 {
            // Keep 2xx entries: retransmitted 2xx for INVITE arrive on the same key (RFC 6026).
            if !(resp.status < 300 && matches!(purpose, ClientPurpose::Fork(_))) {
                self.by_client.remove(key);
            }
        }
        match purpose {
            ClientPurpose::Fork(i) => self.on_fork_response(ctx, id, i, resp),
            ClientPurpose::Relay {
                from,
                server,
                request,
            } => self.on_relay_response(ctx, id, from, &server, &request, resp),
            ClientPurpose::Fire => {}
        }
    }

    pub fn on_client_timeout(&mut self, ctx: &mut CallContext<'_>, key: &ClientTxKey) {
        let Some((id, purpose)) = self.by_client.remove(key) else {
            return;
        };
        match purpose {
            ClientPurpose::Fork(i) => {
                let mut timeout = Response {
                    status: 408,
                    reason: "Request Timeout".into(),
                    headers: Headers::new(),
                    body: Vec::new(),
                };
                timeout.headers.push(HeaderName::CSeq, "1 INVITE");
                self.on_fork_response(ctx, id, i, timeout);
            }
            ClientPurpose::Relay {
                server, request, ..
            } => {
                let resp = Response::for_request(&request, 408, reason_phrase(408), None);
                ctx.txn.send_response(&server, resp, ctx.now);
            }
            ClientPurpose::Fire => {}
        }
    }

    fn on_fork_response(&mut self, ctx: &mut CallContext<'_>, id: u64, i: usize, resp: Response) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(fork) = call.forks.get_mut(i) else {
            return;
        };
        if resp.status < 200 {
            if !fork.provisional_seen {
                fork.provisional_seen = true;
                if fork.cancel_pending {
                    fork.cancel_pending = false;
                    let k = ctx
                        .txn
                        .send_request(cancel_for(&fork.invite), fork.peer, ctx.now);
                    self.by_client.insert(k, (id, ClientPurpose::Fire));
                    return;
                }
            }
            if resp.status == 100 || call.state != CallState::Ringing {
                return;
            }
            let Some((key, invite)) = call.a_invite.as_ref() else {
                return;
            };
            let mut relay = Response::for_request(
                invite,
                resp.status,
                &resp.reason,
                Some(&tag_of(&call.a.local_header)),
            );
            if !resp.body.is_empty() {
                if let Some(media) = call.media {
                    if let Ok(answer) =
                        call.sdp
                            .forward_answer(&resp.body, Side::B, ctx.config.media_ip, media)
                    {
                        if let Some(addr) = answer.remote {
                            ctx.media.set_remote(media.id, Side::B, addr);
                        }
                        relay
                            .headers
                            .push(HeaderName::ContentType, "application/sdp");
                        relay.body = answer.body;
                    }
                }
            }
            relay
                .headers
                .push(HeaderName::Contact, contact_value(ctx.config.sip_addr));
            ctx.txn.send_response(key, relay, ctx.now);
            return;
        }
        if resp.status < 300 {
            let first_2xx = !fork.done;
            fork.done = true;
            let leg = Leg {
                call_id: call.b_call_id.clone(),
                local_header: call.b_local_header.clone(),
                remote_header: resp
                    .headers
                    .get(&HeaderName::To)
                    .unwrap_or_default()
                    .to_string(),
                remote_tag: resp.to_tag().unwrap_or_default(),
                remote_target: resp
                    .contacts()
                    .into_iter()
                    .find_map(|c| match c {
                        sip::header::Contact::Addr(a) => Some(a.uri),
                        sip::header::Contact::Star => None,
                    })
                    .unwrap_or_else(|| fork.invite.uri.clone()),
                peer: fork.peer,
                local_cseq: 1,
            };
            ack_for_2xx(ctx, &leg, 1);
            let is_live_dialog = call
                .b
                .as_ref()
                .is_some_and(|b| b.remote_tag == leg.remote_tag);
            if !first_2xx || is_live_dialog {
                return; // a retransmission: the ACK above was all it needed
            }
            if call.state != CallState::Ringing || call.a_invite.is_none() {
                // Answered after the caller gave up, or a second fork answered: hang it up.
                let mut leg = leg;
                let bye = leg.request(Method::Bye, ctx.config.sip_addr, ctx.ids);
                let k = ctx.txn.send_request(bye, leg.peer, ctx.now);
                self.by_client.insert(k, (id, ClientPurpose::Fire));
                self.forget_if_settled(id);
                return;
            }
            let Some((key, invite)) = call.a_invite.take() else {
                return;
            };
            let mut ok =
                Response::for_request(&invite, 200, "OK", Some(&tag_of(&call.a.local_header)));
            ok.headers
                .push(HeaderName::Contact, contact_value(ctx.config.sip_addr));
            ok.headers.push(HeaderName::Allow, crate::endpoint::ALLOW);
            let mut body = None;
            if let Some(media) = call.media {
                if !resp.body.is_empty() {
                    match call
                        .sdp
                        .forward_answer(&resp.body, Side::B, ctx.config.media_ip, media)
                    {
                        Ok(answer) => {
                            if let Some(addr) = answer.remote {
                                ctx.media.set_remote(media.id, Side::B, addr);
                            }
                            body = Some(answer.body);
                        }
                        Err(problem) => {
                            tracing::info!(?problem, "callee answered with unusable SDP");
                        }
                    }
                } else {
                    body = call.sdp.last_to_a();
                }
            }
            if let Some(body) = body {
                ok.headers.push(HeaderName::ContentType, "application/sdp");
                ok.body = body;
            }
            ctx.txn.send_response(&key, ok, ctx.now);
            // Keep the INVITE key mapped so a missing ACK (Timer H) can end the call.
            call.b = Some(leg);
            call.state = CallState::Answered;
            call.answer_ms = Some(ctx.unix_ms);
            if let Some(at) = call.ring_deadline.take() {
                self.deadlines.remove(&(at, id));
            }
            self.cancel_forks(ctx, id);
            return;
        }
        // 3xx-6xx: this fork failed (its ICT already ACKed it).
        fork.done = true;
        let status = resp.status;
        call.best_failure = Some(match call.best_failure {
            Some(best) if failure_rank(best) >= failure_rank(status) => best,
            _ => status,
        });
        let all_done = call.forks.iter().all(|f| f.done);
        let ringing = call.state == CallState::Ringing;
        if ringing && (all_done || status >= 600) {
            let best = call.best_failure.unwrap_or(status);
            let (to_caller, disposition, cause) = match best {
                486 | 600 => (486, Disposition::Busy, "busy".to_string()),
                603 => (603, Disposition::Failed, "declined".to_string()),
                408 | 480 | 487 => (480, Disposition::NoAnswer, format!("sip-{best}")),
                other => (
                    other.clamp(400, 699),
                    Disposition::Failed,
                    format!("sip-{other}"),
                ),
            };
            self.fail_ringing(ctx, id, to_caller, disposition, &cause);
        } else {
            self.forget_if_settled(id);
        }
    }

    pub fn on_cancel(&mut self, ctx: &mut CallContext<'_>, invite: &ServerTxKey) {
        let Some(&id) = self.by_invite.get(invite) else {
            return;
        };
        let ringing = self
            .calls
            .get(&id)
            .is_some_and(|c| c.state == CallState::Ringing && c.a_invite.is_some());
        if ringing {
            self.fail_ringing(ctx, id, 487, Disposition::NoAnswer, "cancel");
        }
    }
}

/// A 2xx that matches no live transaction: ACK it; if it is not a leg we keep, BYE it too.
pub(super) fn on_stray_2xx(
    calls: &mut Calls,
    ctx: &mut CallContext<'_>,
    resp: Response,
    source: Peer,
) {
    let is_invite_2xx = (200..300).contains(&resp.status)
        && resp.cseq().is_some_and(|c| c.method == Method::Invite);
    if !is_invite_2xx {
        return;
    }
    let Some(call_id) = resp.call_id().map(str::to_string) else {
        return;
    };
    let Some(&(id, Side::B)) = calls.by_call_id.get(&call_id) else {
        return;
    };
    let Some(call) = calls.calls.get(&id) else {
        return;
    };
    let remote_tag = resp.to_tag().unwrap_or_default();
    let cseq = resp.cseq().map(|c| c.seq).unwrap_or(1);
    if let Some(b) = call.b.as_ref().filter(|b| b.remote_tag == remote_tag) {
        ack_for_2xx(ctx, b, cseq);
        return;
    }
    let _ = source;
}

/// Which failure the caller hears when several forks fail: busy beats everything but a 6xx.
fn failure_rank(status: u16) -> u8 {
    match status {
        600..=699 => 5,
        486 => 4,
        400..=499 if status != 408 && status != 480 && status != 487 => 3,
        500..=599 => 2,
        _ => 1,
    }
}

/// Quotes-and-backslashes escaping for a display name inside `"..."` (RFC 3261 §25.1 quoted-pair).
fn escape_display(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars().filter(|c| !c.is_control()) {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
