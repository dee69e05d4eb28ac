//! Blind transfer (issue 5, RFC 3515): the callee (leg B) REFERs the caller elsewhere. The box
//! accepts (202), tells the transferor it is done (NOTIFY with a sipfrag 200, subscription
//! terminated) and hangs its leg up, then rings the target for the caller itself — the caller
//! hears ringback, and the relay connects it to the new leg on answer, as after an IVR. The
//! target must be a number of the transferor's company (an extension, IVR, voicemail box or
//! alias to one): anything else is refused with 403, so a REFER cannot reach other tenants or
//! dial out around the call permissions.
//!
//! Not yet: a transfer by the caller (leg A), attended transfer (Refer-To with Replaces); both
//! are refused with 501 rather than relayed.
use super::{CallContext, CallState, Calls, ClientPurpose};
use crate::directory::DialTarget;
use crate::media::Side;
use crate::routing::Destination;
use sip::builder::reason_phrase;
use sip::message::{HeaderName, Method, Request, Response};
use sip::refer::ReferRequest;
use sip::transaction::ServerTxKey;

impl Calls {
    /// A REFER inside call `id`'s dialog with `side`. Always answers it.
    pub(super) fn on_refer(
        &mut self,
        ctx: &mut CallContext<'_>,
        id: u64,
        side: Side,
        key: &ServerTxKey,
        req: &Request,
    ) {
        let reply = |ctx: &mut CallContext<'_>, status: u16| {
            let resp = Response::for_request(req, status, reason_phrase(status), None);
            ctx.txn.send_response(key, resp, ctx.now);
        };
        let Some(call) = self.calls.get(&id) else {
            return reply(ctx, 481);
        };
        if call.state != CallState::Answered || call.app.is_some() {
            return reply(ctx, 491);
        }
        let refer = match ReferRequest::from_request(req) {
            Ok(r) => r,
            Err(error) => {
                tracing::info!(%error, call = id, "REFER refused");
                return reply(ctx, 400);
            }
        };
        if side == Side::A || refer.refer_to.is_attended() {
            tracing::info!(
                call = id,
                ?side,
                attended = refer.refer_to.is_attended(),
                "transfer kind not supported yet"
            );
            return reply(ctx, 501);
        }
        let Some(dialled) = refer.refer_to.dialled() else {
            return reply(ctx, 400);
        };
        let dest = match ctx.directory.resolve(call.tenant_id, &dialled) {
            DialTarget::Extension(username) => Destination::Extension(username),
            DialTarget::Ivr(ivr) => Destination::Ivr(ivr),
            DialTarget::Voicemail(vm) => Destination::Voicemail(vm),
            DialTarget::Alias { number, .. } => {
                match ctx.directory.resolve(call.tenant_id, &number) {
                    DialTarget::Extension(username) => Destination::Extension(username),
                    _ => return reply(ctx, 403),
                }
            }
            _ => {
                tracing::info!(call = id, %dialled, "transfer target outside the company refused");
                return reply(ctx, 403);
            }
        };
        let mut accepted = Response::for_request(req, 202, "Accepted", None);
        accepted.headers.push(
            HeaderName::Contact,
            super::contact_value(ctx.config.sip_addr),
        );
        if !refer.wants_notify {
            accepted
                .headers
                .push(HeaderName::Other("Refer-Sub".into()), "false");
        }
        ctx.txn.send_response(key, accepted, ctx.now);
        let refer_cseq = req
            .headers
            .get(&HeaderName::CSeq)
            .and_then(|c| c.split_whitespace().next()?.parse().ok())
            .unwrap_or(1);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // The transferor is done with the call: told so (if it wants NOTIFYs), then hung up.
        if let Some(mut leg) = call.b.take() {
            if refer.wants_notify {
                if let Ok(parts) = sip::refer::refer_notify(refer_cseq, 200, "OK", 0) {
                    let mut notify = leg.request(Method::Notify, ctx.config.sip_addr, ctx.ids);
                    notify.headers.list.extend(parts.headers.list);
                    notify.body = parts.body;
                    let k = ctx.txn.send_request(notify, leg.peer, ctx.now);
                    self.by_client.insert(k, (id, ClientPurpose::Fire));
                }
            }
            let bye = leg.request(Method::Bye, ctx.config.sip_addr, ctx.ids);
            let k = ctx.txn.send_request(bye, leg.peer, ctx.now);
            self.by_client.insert(k, (id, ClientPurpose::Fire));
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        // From here the caller is the box's: the new leg is rung like after an IVR.
        call.box_answered = true;
        self.dirty_users.extend(call.callee_user.iter().cloned());
        tracing::info!(call = id, to = %dest.describe(), "blind transfer");
        self.leave_app(ctx, id, dest);
    }
}
