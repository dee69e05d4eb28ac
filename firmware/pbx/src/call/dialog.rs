//! Inside established dialogs: BYE from either side, ACK, and requests relayed to the other leg
//! (re-INVITE for hold/resume, UPDATE, INFO for DTMF, OPTIONS) with SDP re-anchored.
use super::{ack_for_2xx, tag_of, CallContext, CallState, Calls, ClientPurpose};
use crate::media::Side;
use sip::builder::reason_phrase;
use sip::message::{HeaderName, Method, Request, Response, SipHeaders};
use sip::transaction::{Peer, ServerTxKey};

impl Calls {
    /// Finds the call and side of an in-dialog request, checking the dialog's tags.
    fn dialog_of(&self, req: &Request) -> Option<(u64, Side)> {
        let (id, side) = *self.by_call_id.get(req.call_id()?)?;
        let call = self.calls.get(&id)?;
        let from_tag = req.from_header()?.tag()?.to_string();
        let to_tag = req.to_header()?.tag()?.to_string();
        let leg = match side {
            Side::A => &call.a,
            Side::B => call.b.as_ref()?,
        };
        (leg.remote_tag == from_tag && tag_of(&leg.local_header) == to_tag).then_some((id, side))
    }

    /// ACK from the caller for our 2xx (or for a relayed re-INVITE's 2xx): end-to-end, nothing to
    /// answer. The B2BUA already ACKed the callee when its 2xx arrived.
    /// With a late offer the caller's ACK carries its answer, which the callee's ACK relays.
    pub fn on_ack(&mut self, ctx: &mut CallContext<'_>, req: &Request, _source: Peer) {
        let Some((id, Side::A)) = self.dialog_of(req) else {
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(key) = call.invite_key.take() {
            self.by_invite.remove(&key);
        }
        if std::mem::take(&mut call.a_late_answer) {
            // The box offered in its 2xx (an application answered a late-offer caller).
            if let Some(media) = call.media {
                match call.sdp.answer_to_box(&req.body) {
                    Ok((format, remote)) => {
                        ctx.media.set_format(media.id, Side::A, format);
                        call.a_format = Some(format);
                        if let Some(addr) = remote {
                            ctx.media.set_remote(media.id, Side::A, addr);
                        }
                    }
                    Err(problem) => tracing::info!(?problem, "caller's answer in ACK unusable"),
                }
            }
            return;
        }
        let (Some(cseq), Some(b)) = (call.b_ack_pending.take(), call.b.as_ref()) else {
            return;
        };
        let mut body = None;
        if let (Some(media), false) = (call.media, req.body.is_empty()) {
            match call
                .sdp
                .forward_answer(&req.body, Side::A, ctx.config.media_ip, media)
            {
                Ok(answer) => {
                    if let Some(addr) = answer.remote {
                        ctx.media.set_remote(media.id, Side::A, addr);
                    }
                    super::responses::apply_formats(ctx, media.id, answer.formats, call.held);
                    body = Some(answer.body);
                }
                Err(problem) => tracing::info!(?problem, "caller's answer in ACK unusable"),
            }
        }
        super::ack_with_body(ctx, b, cseq, body.as_deref());
        call.b_ack_body = body;
    }

    /// Returns false when the request belongs to no dialog (the endpoint answers 481).
    pub fn on_in_dialog(
        &mut self,
        ctx: &mut CallContext<'_>,
        key: Option<ServerTxKey>,
        req: Request,
        _source: Peer,
    ) -> bool {
        let Some((id, side)) = self.dialog_of(&req) else {
            return false;
        };
        let Some(key) = key else {
            return true;
        };
        if req.method == Method::Bye {
            let ok = Response::for_request(&req, 200, "OK", None);
            ctx.txn.send_response(&key, ok, ctx.now);
            let cause = match side {
                Side::A => "caller-bye",
                Side::B => "callee-bye",
            };
            if side == Side::A {
                self.app_caller_gone(ctx, id);
            }
            self.hang_up(ctx, id, Some(side), cause);
            return true;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        if side == Side::A && call.app.is_some() {
            self.in_app_request(ctx, id, &key, &req);
            return true;
        }
        if req.method == Method::Refer {
            self.on_refer(ctx, id, side, &key, &req);
            return true;
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        if call.state != CallState::Answered {
            let resp = Response::for_request(&req, 491, reason_phrase(491), None);
            ctx.txn.send_response(&key, resp, ctx.now);
            return true;
        }
        let (Some(b), media) = (call.b.as_mut(), call.media) else {
            return false;
        };
        let target = match side {
            Side::A => b,
            Side::B => &mut call.a,
        };
        let mut out = target.request(req.method.clone(), ctx.config.sip_addr, ctx.ids);
        if !req.body.is_empty() {
            let is_sdp = req
                .content_type()
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/sdp"));
            if is_sdp {
                let Some(media) = media else {
                    return true;
                };
                match call
                    .sdp
                    .forward_offer(&req.body, side, ctx.config.media_ip, media)
                {
                    Ok(anchored) => {
                        if let Some(addr) = anchored.remote {
                            ctx.media.set_remote(media.id, side, addr);
                        }
                        out.body = anchored.body;
                        if req.method == Method::Invite || req.method == Method::Update {
                            let moh = ctx.directory.media.tenant(call.tenant_id).music_on_hold;
                            if let Some(held) =
                                super::hold::on_offer(ctx, media.id, side, &req.body, moh)
                            {
                                call.held = held;
                            }
                        }
                    }
                    Err(problem) => {
                        let status = problem.status();
                        let resp = Response::for_request(&req, status, reason_phrase(status), None);
                        ctx.txn.send_response(&key, resp, ctx.now);
                        return true;
                    }
                }
            } else {
                out.body = req.body.clone();
            }
            if let Some(ct) = req.content_type() {
                out.headers.push(HeaderName::ContentType, ct.to_string());
            }
        }
        let peer = target.peer;
        let k = ctx.txn.send_request(out, peer, ctx.now);
        self.by_client.insert(
            k,
            (
                id,
                ClientPurpose::Relay {
                    from: side,
                    server: key,
                    request: Box::new(req),
                },
            ),
        );
        true
    }

    pub(super) fn on_relay_response(
        &mut self,
        ctx: &mut CallContext<'_>,
        id: u64,
        from: Side,
        server: &ServerTxKey,
        request: &Request,
        resp: Response,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if resp.status == 100 {
            return;
        }
        let responder = from.other();
        let cseq = resp.cseq();
        let is_invite = cseq.as_ref().is_some_and(|c| c.method == Method::Invite);
        if is_invite && (200..300).contains(&resp.status) {
            let leg = match responder {
                Side::A => Some(&call.a),
                Side::B => call.b.as_ref(),
            };
            if let Some(leg) = leg {
                ack_for_2xx(ctx, leg, cseq.as_ref().map(|c| c.seq).unwrap_or(1));
            }
        }
        let mut out = Response::for_request(request, resp.status, &resp.reason, None);
        if is_invite && (200..300).contains(&resp.status) {
            out.headers.push(
                HeaderName::Contact,
                super::contact_value(ctx.config.sip_addr),
            );
        }
        if !resp.body.is_empty() {
            if let Some(media) = call.media {
                if let Ok(anchored) =
                    call.sdp
                        .forward_answer(&resp.body, responder, ctx.config.media_ip, media)
                {
                    if let Some(addr) = anchored.remote {
                        ctx.media.set_remote(media.id, responder, addr);
                    }
                    super::responses::apply_formats(ctx, media.id, anchored.formats, call.held);
                    out.headers.push(HeaderName::ContentType, "application/sdp");
                    out.body = anchored.body;
                }
            }
        }
        ctx.txn.send_response(server, out, ctx.now);
    }
}

impl Calls {
    /// A request from the caller while the box itself talks to it (IVR, voicemail): DTMF by INFO
    /// goes to the application, a re-INVITE is answered by the box, the rest is acknowledged.
    fn in_app_request(
        &mut self,
        ctx: &mut CallContext<'_>,
        id: u64,
        key: &ServerTxKey,
        req: &Request,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let content_type = req.content_type().unwrap_or_default().to_string();
        let mut ok = Response::for_request(req, 200, "OK", None);
        match req.method {
            Method::Info => {
                let digit = crate::info_dtmf::parse(&content_type, &req.body);
                ctx.txn.send_response(key, ok, ctx.now);
                if let Some(digit) = digit {
                    self.app_dtmf(ctx, id, digit);
                }
                return;
            }
            Method::Invite | Method::Update if !req.body.is_empty() => {
                let Some(media) = call.media else {
                    return;
                };
                let prefer = call.a_format.map(|f| f.codec);
                let answered = call.sdp.take_offer(Side::A, &req.body).and_then(|()| {
                    call.sdp
                        .answer_as_box(Side::A, ctx.config.media_ip, media, prefer)
                });
                match answered {
                    Ok((anchored, format)) => {
                        ctx.media.set_format(media.id, Side::A, format);
                        call.a_format = Some(format);
                        if let Some(addr) = anchored.remote {
                            ctx.media.set_remote(media.id, Side::A, addr);
                        }
                        ok.headers.push(
                            HeaderName::Contact,
                            super::contact_value(ctx.config.sip_addr),
                        );
                        ok.headers.push(HeaderName::ContentType, "application/sdp");
                        ok.body = anchored.body;
                    }
                    Err(problem) => {
                        let status = problem.status();
                        let resp = Response::for_request(req, status, reason_phrase(status), None);
                        ctx.txn.send_response(key, resp, ctx.now);
                        return;
                    }
                }
            }
            Method::Invite => {
                // No offer: ours is the last answer we gave (RFC 3261 §14.2); the caller's
                // answer comes in its ACK.
                call.a_late_answer = true;
                if let Some(body) = call.sdp.last_to_a() {
                    ok.headers.push(
                        HeaderName::Contact,
                        super::contact_value(ctx.config.sip_addr),
                    );
                    ok.headers.push(HeaderName::ContentType, "application/sdp");
                    ok.body = body;
                }
            }
            _ => {}
        }
        ctx.txn.send_response(key, ok, ctx.now);
    }
}
