//! What the callee side answers: provisional responses relayed (with early media), the first 2xx
//! wins and the other forks are cancelled, a trunk's digest challenge is answered once, failures
//! fall back to busy/no-answer forwards, and CANCEL from the caller.
use super::targets::{self, Unreachable};
use super::{
    ack_for_2xx, cancel_for, contact_value, tag_of, CallContext, CallState, Calls, ClientPurpose,
    Leg,
};
use crate::cdr::Disposition;
use crate::media::Side;
use crate::routing::Destination;
use sip::builder::reason_phrase;
use sip::message::{HeaderName, Headers, Method, Request, Response, SipHeaders};
use sip::transaction::{ClientTxKey, Peer, ServerTxKey};

/// How many times one call may move on to a forward target.
const MAX_FALLBACKS: u8 = 3;

impl Calls {
    pub fn on_response(&mut self, ctx: &mut CallContext<'_>, key: &ClientTxKey, resp: Response) {
        let Some((id, purpose)) = self.by_client.get(key).cloned() else {
            return;
        };
        // Keep 2xx entries of INVITE forks: retransmitted 2xx arrive on the same key (RFC 6026).
        if resp.status >= 200 && !(resp.status < 300 && matches!(purpose, ClientPurpose::Fork(_))) {
            self.by_client.remove(key);
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
        match resp.status {
            100..=199 => self.on_provisional(ctx, id, i, resp),
            200..=299 => self.on_answer(ctx, id, i, resp),
            401 | 407 if self.retry_with_credentials(ctx, id, i, &resp) => {}
            _ => self.on_fork_failure(ctx, id, i, resp.status),
        }
    }

    fn on_provisional(&mut self, ctx: &mut CallContext<'_>, id: u64, i: usize, resp: Response) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(fork) = call.forks.get_mut(i) else {
            return;
        };
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
                    call.a_format = answer.formats.map(|f| f.a).or(call.a_format);
                    apply_formats(ctx, media.id, answer.formats, call.held);
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
    }

    fn on_answer(&mut self, ctx: &mut CallContext<'_>, id: u64, i: usize, resp: Response) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(fork) = call.forks.get_mut(i) else {
            return;
        };
        let first_2xx = !fork.done;
        fork.done = true;
        let cseq = resp.cseq().map(|c| c.seq).unwrap_or(1);
        let leg = Leg {
            call_id: call.b_call_id.clone(),
            local_header: fork
                .invite
                .headers
                .get(&HeaderName::From)
                .unwrap_or_default()
                .to_string(),
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
            local_cseq: cseq,
        };
        let caller_id = fork.caller_id.clone();
        let through_trunk = fork.provider.is_some();
        let is_live_dialog = call
            .b
            .as_ref()
            .is_some_and(|b| b.remote_tag == leg.remote_tag);
        let late_offer = call.b_offer.is_empty();
        let box_leg = call.box_answered && call.a_invite.is_none();
        let winner =
            first_2xx && call.state == CallState::Ringing && (call.a_invite.is_some() || box_leg);
        if is_live_dialog && call.b_ack_pending.is_some() {
            return; // a retransmission while the caller's answer is awaited: its ACK comes then
        }
        // Late offer: the winner's ACK must carry the caller's answer, so it waits for the
        // caller's ACK; everything else is ACKed now.
        if !(late_offer && winner) {
            let body = if is_live_dialog {
                call.b_ack_body.clone()
            } else {
                None
            };
            super::ack_with_body(ctx, &leg, cseq, body.as_deref());
        }
        if !first_2xx || is_live_dialog {
            return; // a retransmission: the ACK above was all it needed
        }
        if call.state != CallState::Ringing || !winner {
            // Answered after the caller gave up, or a second fork answered: hang it up.
            let mut leg = leg;
            let bye = leg.request(Method::Bye, ctx.config.sip_addr, ctx.ids);
            let k = ctx.txn.send_request(bye, leg.peer, ctx.now);
            self.by_client.insert(k, (id, ClientPurpose::Fire));
            self.forget_if_settled(id);
            return;
        }
        if box_leg {
            // The box answered the caller itself (an IVR sent it here): connect the new leg.
            let Some(media) = call.media else {
                return;
            };
            match call.sdp.answer_to_box(&resp.body) {
                Ok((format, remote)) => {
                    ctx.media.set_format(media.id, Side::B, format);
                    if let Some(addr) = remote {
                        ctx.media.set_remote(media.id, Side::B, addr);
                    }
                }
                Err(problem) => tracing::info!(?problem, "callee answered with unusable SDP"),
            }
            ctx.media.connect(media.id);
            super::recording::start_if_enabled(ctx, call);
            call.b = Some(leg);
            call.caller_id_presented = Some(caller_id);
            if let (true, Some(out)) = (through_trunk, call.out_leg.as_mut()) {
                out.answered = true;
                out.answer_ms = Some(ctx.unix_ms);
            }
            call.state = CallState::Answered;
            self.dirty_users.extend(call.callee_user.iter().cloned());
            self.dirty_users.extend(call.caller_user.iter().cloned());
            if let Some(at) = call.ring_deadline.take() {
                self.deadlines.remove(&(at, id));
            }
            self.cancel_forks(ctx, id);
            return;
        }
        let Some((key, invite)) = call.a_invite.take() else {
            return;
        };
        let mut ok = Response::for_request(&invite, 200, "OK", Some(&tag_of(&call.a.local_header)));
        ok.headers
            .push(HeaderName::Contact, contact_value(ctx.config.sip_addr));
        ok.headers.push(HeaderName::Allow, crate::endpoint::ALLOW);
        let mut body = None;
        if let (Some(media), true) = (call.media, late_offer) {
            match call
                .sdp
                .forward_offer(&resp.body, Side::B, ctx.config.media_ip, media)
            {
                Ok(offer) => {
                    if let Some(addr) = offer.remote {
                        ctx.media.set_remote(media.id, Side::B, addr);
                    }
                    body = Some(offer.body);
                }
                Err(problem) => tracing::info!(?problem, "callee's late offer unusable"),
            }
            call.b_ack_pending = Some(cseq);
        } else if let Some(media) = call.media {
            if !resp.body.is_empty() {
                match call
                    .sdp
                    .forward_answer(&resp.body, Side::B, ctx.config.media_ip, media)
                {
                    Ok(answer) => {
                        if let Some(addr) = answer.remote {
                            ctx.media.set_remote(media.id, Side::B, addr);
                        }
                        call.a_format = answer.formats.map(|f| f.a).or(call.a_format);
                        apply_formats(ctx, media.id, answer.formats, call.held);
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
        super::recording::start_if_enabled(ctx, call);
        // The INVITE key stays mapped so a missing ACK (Timer H/L) can end the call.
        call.b = Some(leg);
        call.caller_id_presented = Some(caller_id);
        if let (true, Some(out)) = (through_trunk, call.out_leg.as_mut()) {
            out.answered = true;
            out.answer_ms = Some(ctx.unix_ms);
        }
        call.state = CallState::Answered;
        self.dirty_users.extend(call.callee_user.iter().cloned());
        self.dirty_users.extend(call.caller_user.iter().cloned());
        call.answer_ms = Some(ctx.unix_ms);
        if let Some(at) = call.ring_deadline.take() {
            self.deadlines.remove(&(at, id));
        }
        self.cancel_forks(ctx, id);
    }

    /// A trunk challenged our INVITE: answer once with the provider credentials (RFC 3261 §22.2),
    /// as a new INVITE with a new branch and the next CSeq. False when there is nothing to retry.
    fn retry_with_credentials(
        &mut self,
        ctx: &mut CallContext<'_>,
        id: u64,
        i: usize,
        resp: &Response,
    ) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        if call.state != CallState::Ringing {
            return false;
        }
        let Some(fork) = call.forks.get_mut(i) else {
            return false;
        };
        let Some(auth) = fork.auth.as_ref().filter(|_| !fork.auth_tried) else {
            return false;
        };
        let (challenge_name, answer_name) = if resp.status == 401 {
            (HeaderName::WwwAuthenticate, HeaderName::Authorization)
        } else {
            (
                HeaderName::ProxyAuthenticate,
                HeaderName::ProxyAuthorization,
            )
        };
        let uri = fork.invite.uri.to_string();
        let cnonce = ctx.ids.cnonce();
        let Some(answer) = resp.headers.lines(&challenge_name).find_map(|challenge| {
            sip::digest::authorize(
                challenge,
                "INVITE",
                &uri,
                &auth.username,
                &auth.password,
                &cnonce,
                1,
            )
        }) else {
            return false;
        };
        let mut invite: Request = fork.invite.clone();
        let seq = invite.cseq().map(|c| c.seq).unwrap_or(1) + 1;
        invite
            .headers
            .set(HeaderName::CSeq, format!("{seq} INVITE"));
        invite
            .headers
            .set(HeaderName::Via, via_value_for(fork.peer, ctx));
        invite.headers.remove(&HeaderName::Authorization);
        invite.headers.remove(&HeaderName::ProxyAuthorization);
        invite.headers.push(answer_name, answer);
        fork.auth_tried = true;
        fork.provisional_seen = false;
        let tx = ctx.txn.send_request(invite.clone(), fork.peer, ctx.now);
        fork.invite = invite;
        fork.tx = tx.clone();
        self.by_client.insert(tx, (id, ClientPurpose::Fork(i)));
        true
    }

    fn on_fork_failure(&mut self, ctx: &mut CallContext<'_>, id: u64, i: usize, status: u16) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(fork) = call.forks.get_mut(i) else {
            return;
        };
        if fork.done {
            return;
        }
        fork.done = true;
        // A provider that answers 5xx or not at all: report it (the trunk group fails over) and
        // try this number once more through the other provider.
        let failed_provider = fork.provider.filter(|_| status >= 500 || status == 408);
        let number = fork.invite.uri.user.clone().unwrap_or_default();
        if let Some(provider) = failed_provider {
            ctx.trunk_failures.push((call.tenant_id, provider));
            let other = ctx.trunks.other(call.tenant_id, provider, ctx.directory);
            let tried_other = call
                .forks
                .iter()
                .any(|f| f.provider.is_some() && f.provider != Some(provider));
            if let (Some(other), false, CallState::Ringing) = (other, tried_other, call.state) {
                if let Ok(t) = targets::external_via(&call.caller, &number, other) {
                    tracing::info!(
                        call = id,
                        provider,
                        "trunk failed; retrying through the other provider"
                    );
                    self.send_forks(ctx, id, t.forks);
                    return;
                }
            }
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.best_failure = Some(match call.best_failure {
            Some(best) if failure_rank(best) >= failure_rank(status) => best,
            _ => status,
        });
        let all_done = call.forks.iter().all(|f| f.done);
        if call.state != CallState::Ringing || !(all_done || status >= 600) {
            self.forget_if_settled(id);
            return;
        }
        let best = call.best_failure.unwrap_or(status);
        let busy = matches!(best, 486 | 600);
        let fallback = if busy {
            call.on_busy.clone()
        } else {
            call.on_no_answer.clone()
        };
        if let Some(next) = fallback {
            if self.move_on(ctx, id, &next) {
                return;
            }
        }
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
    }

    /// The callee did not answer in time: follow its no-answer forward or give up with 480.
    pub(super) fn on_ring_timeout(&mut self, ctx: &mut CallContext<'_>, id: u64) {
        let next = self.calls.get(&id).and_then(|c| c.on_no_answer.clone());
        if let Some(next) = next {
            self.cancel_forks(ctx, id);
            if self.move_on(ctx, id, &next) {
                return;
            }
        }
        self.fail_ringing(ctx, id, 480, Disposition::NoAnswer, "no-answer");
    }

    /// Rings `next` instead of the current targets (busy / no-answer forwarding). False when it
    /// cannot be rung (the caller then gets the original failure).
    fn move_on(&mut self, ctx: &mut CallContext<'_>, id: u64, next: &Destination) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        if call.forwards >= MAX_FALLBACKS {
            return false;
        }
        call.forwards += 1;
        let caller = call.caller.clone();
        let owner = call.fallback_owner.clone();
        match targets::resolve(ctx, &caller, next, owner.as_deref()) {
            Ok(t) => {
                tracing::debug!(call = id, to = %next.describe(), "call forwarded");
                self.ring(ctx, id, t);
                true
            }
            Err(Unreachable { cause, .. }) => {
                tracing::debug!(call = id, cause, "forward target unreachable");
                false
            }
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

/// Tells the relay which codec each leg uses after an offer/answer (it transcodes when they
/// differ).
pub(super) fn apply_formats(
    ctx: &mut CallContext<'_>,
    media_id: u64,
    formats: Option<super::sdp::Formats>,
    held: bool,
) {
    if let Some(f) = formats {
        ctx.media.set_format(media_id, Side::A, f.a);
        ctx.media.set_format(media_id, Side::B, f.b);
        // On hold the held leg hears music until a resume reconnects the two.
        if !held {
            ctx.media.connect(media_id);
        }
    }
}

fn via_value_for(peer: Peer, ctx: &mut CallContext<'_>) -> String {
    super::via_value(peer, ctx.config.sip_addr, ctx.ids)
}

/// A 2xx that matches no live transaction: ACK it if it belongs to the live callee dialog.
pub(super) fn on_stray_2xx(
    calls: &mut Calls,
    ctx: &mut CallContext<'_>,
    resp: Response,
    _source: Peer,
) {
    let is_invite_2xx = (200..300).contains(&resp.status)
        && resp.cseq().is_some_and(|c| c.method == Method::Invite);
    if !is_invite_2xx {
        return;
    }
    let Some(call_id) = resp.call_id() else {
        return;
    };
    let Some(&(id, Side::B)) = calls.by_call_id.get(call_id) else {
        return;
    };
    let Some(call) = calls.calls.get(&id) else {
        return;
    };
    let remote_tag = resp.to_tag().unwrap_or_default();
    let cseq = resp.cseq().map(|c| c.seq).unwrap_or(1);
    if let Some(b) = call.b.as_ref().filter(|b| b.remote_tag == remote_tag) {
        ack_for_2xx(ctx, b, cseq);
    }
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
