//! Call pickup (issue 5): an extension dials `*8` (group pickup: any call ringing an extension
//! of its company) or `**<extension>` (directed pickup) and takes the ringing call. The phones
//! still ringing are cancelled, the caller is answered by the box, and the picker's INVITE
//! becomes the call's leg B; the relay connects (transcoding if their codecs differ).
use super::{contact_value, tag_of, CallContext, CallState, Calls, Leg};
use crate::directory::{Account, DialTarget};
use crate::media::Side;
use sip::builder::reason_phrase;
use sip::message::{HeaderName, Request, Response, SipHeaders};
use sip::transaction::{Peer, ServerTxKey};

/// What a pickup code asks for.
pub(super) enum Pickup {
    /// Any call ringing an extension of the picker's tenant (the oldest).
    Group,
    /// The call ringing this extension (SIP username).
    Directed(String),
}

/// `*8` or `**<extension>`, if `dialled` is a pickup code.
pub(super) fn pickup_code(
    directory: &crate::directory::Directory,
    account: &Account,
    dialled: &str,
) -> Option<Pickup> {
    if dialled == "*8" {
        return Some(Pickup::Group);
    }
    let number = dialled.strip_prefix("**")?;
    match directory.resolve(account.tenant_id, number) {
        DialTarget::Extension(username) => Some(Pickup::Directed(username)),
        _ => None,
    }
}

impl Calls {
    pub(super) fn pickup(
        &mut self,
        ctx: &mut CallContext<'_>,
        key: ServerTxKey,
        req: Request,
        source: Peer,
        picker: &Account,
        what: Pickup,
    ) {
        let reject = |ctx: &mut CallContext<'_>, status: u16, reason: &str| {
            let tag = ctx.ids.tag();
            let resp = Response::for_request(&req, status, reason, Some(&tag));
            ctx.txn.send_response(&key, resp, ctx.now);
        };
        let found = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.state == CallState::Ringing
                    && c.a_invite.is_some()
                    && c.a_offered
                    && c.tenant_id == picker.tenant_id
            })
            .filter(|(_, c)| match (&what, c.callee_user.as_deref()) {
                (Pickup::Directed(u), Some(callee)) => callee == u,
                (Pickup::Group, Some(callee)) => callee != picker.username,
                _ => false,
            })
            .map(|(&id, _)| id)
            .min();
        let Some(id) = found else {
            return reject(ctx, 404, "Nothing To Pick Up");
        };
        if req.body.is_empty() {
            return reject(ctx, 488, reason_phrase(488));
        }
        self.cancel_forks(ctx, id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(media) = call.media else {
            return;
        };
        // The picker's side first: its offer, answered by the box.
        let picker_answer = call.sdp.take_offer(Side::B, &req.body).and_then(|()| {
            call.sdp.answer_as_box(
                Side::B,
                ctx.config.media_ip,
                media,
                call.a_format.map(|f| f.codec),
            )
        });
        let (b_answer, b_format) = match picker_answer {
            Ok(a) => a,
            Err(problem) => return reject(ctx, problem.status(), reason_phrase(problem.status())),
        };
        // Then the caller: the early answer it already has, or a box answer preferring the
        // picker's codec.
        let a_body = match (call.sdp.last_to_a(), call.a_format) {
            (Some(body), Some(_)) => body,
            _ => match call.sdp.answer_as_box(
                Side::A,
                ctx.config.media_ip,
                media,
                Some(b_format.codec),
            ) {
                Ok((anchored, format)) => {
                    ctx.media.set_format(media.id, Side::A, format);
                    call.a_format = Some(format);
                    if let Some(addr) = anchored.remote {
                        ctx.media.set_remote(media.id, Side::A, addr);
                    }
                    anchored.body
                }
                Err(problem) => {
                    return reject(ctx, problem.status(), reason_phrase(problem.status()))
                }
            },
        };
        ctx.media.set_format(media.id, Side::B, b_format);
        if let Some(addr) = b_answer.remote {
            ctx.media.set_remote(media.id, Side::B, addr);
        }
        ctx.media.connect(media.id);

        // 200 to the caller.
        if let Some((a_key, invite)) = call.a_invite.take() {
            let mut ok =
                Response::for_request(&invite, 200, "OK", Some(&tag_of(&call.a.local_header)));
            ok.headers
                .push(HeaderName::Contact, contact_value(ctx.config.sip_addr));
            ok.headers.push(HeaderName::Allow, crate::endpoint::ALLOW);
            ok.headers.push(HeaderName::ContentType, "application/sdp");
            ok.body = a_body;
            ctx.txn.send_response(&a_key, ok, ctx.now);
        }
        // 200 to the picker, whose dialog becomes leg B.
        let b_tag = ctx.ids.tag();
        let to_value = req
            .headers
            .get(&HeaderName::To)
            .unwrap_or_default()
            .to_string();
        let mut ok = Response::for_request(&req, 200, "OK", Some(&b_tag));
        ok.headers
            .push(HeaderName::Contact, contact_value(ctx.config.sip_addr));
        ok.headers.push(HeaderName::Allow, crate::endpoint::ALLOW);
        ok.headers.push(HeaderName::ContentType, "application/sdp");
        ok.body = b_answer.body;
        ctx.txn.send_response(&key, ok, ctx.now);
        let leg = Leg {
            call_id: req.call_id().unwrap_or_default().to_string(),
            local_header: format!("{to_value};tag={b_tag}"),
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
        let old_b = std::mem::replace(&mut call.b_call_id, leg.call_id.clone());
        call.b = Some(leg);
        call.state = CallState::Answered;
        call.answer_ms = Some(ctx.unix_ms);
        call.destination = picker.extension.clone();
        if let Some(old) = call.callee_user.replace(picker.username.clone()) {
            self.dirty_users.insert(old);
        }
        self.dirty_users.insert(picker.username.clone());
        self.dirty_users.extend(call.caller_user.iter().cloned());
        super::recording::start_if_enabled(ctx, call);
        let new_b = call.b_call_id.clone();
        if let Some(at) = call.ring_deadline.take() {
            self.deadlines.remove(&(at, id));
        }
        self.by_call_id.remove(&old_b);
        self.by_call_id.insert(new_b, (id, Side::B));
        tracing::info!(call = id, picker = %picker.username, "call picked up");
    }
}
