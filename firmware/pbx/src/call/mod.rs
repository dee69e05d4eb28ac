//! The B2BUA: each call is two dialogs (leg A towards the caller, leg B towards the callee) with media
//! anchored on the box. This file holds the call table and its indexes; [`setup`] the initial INVITE
//! (forking to every registered contact of the callee), [`dialog`] what happens inside dialogs.
mod app;
mod app_build;
mod client_index;
mod dialog;
mod features;
mod hold;
mod leg;
mod pickup;
mod presence_view;
mod recording;
mod responses;
pub mod sdp;
mod sdp_codecs;
mod setup;
pub mod targets;
mod transfer;

pub use app::{AppAction, AppEffect};
pub use leg::{contact_value, host, host_port, via_value, via_with_branch, Leg};
pub use setup::Origin;

use crate::cdr::{Cdr, Disposition};
use crate::directory::Directory;
use crate::endpoint::PbxConfig;
use crate::ids::Ids;
use crate::media::{MediaControl, MediaPorts, Side};
use crate::registrar::Registrar;
#[allow(unused_imports)]
use crate::routing::Destination;
use sip::message::{Message, Method, Request, Response};
use sip::transaction::{ClientTxKey, Peer, ServerTxKey, TransactionLayer};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::time::Instant;

/// Everything a call handler may touch, borrowed from the endpoint for one event.
pub struct CallContext<'a> {
    pub config: &'a PbxConfig,
    pub txn: &'a mut TransactionLayer,
    pub ids: &'a mut Ids,
    pub directory: &'a Directory,
    pub registrar: &'a Registrar,
    pub trunks: &'a crate::trunk_peers::TrunkPeers,
    /// INVITEs to a provider that got a 5xx or timed out: `(tenant, provider)` for the trunk group.
    pub trunk_failures: &'a mut Vec<(u32, usize)>,
    pub media: &'a mut dyn MediaControl,
    pub cdrs: &'a mut VecDeque<Cdr>,
    pub now: Instant,
    pub unix_ms: i64,
    /// What call applications hand to the daemon (voicemail to store, prompts to keep).
    pub effects: &'a mut VecDeque<AppEffect>,
    /// Voicemail messages per box, for the box menu.
    pub mailboxes: &'a crate::media_config::Mailboxes,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallState {
    /// INVITE forked to the callee's contacts, no answer yet.
    Ringing,
    Answered,
    /// The CDR is written; the call stays only until every fork has a final response.
    Ended,
}

/// One outgoing INVITE to one place the callee may answer (a contact, or the trunk).
#[derive(Debug, Clone)]
struct Fork {
    tx: ClientTxKey,
    invite: Request,
    peer: Peer,
    /// Credentials to answer a trunk's 401/407 once.
    auth: Option<targets::TrunkAuth>,
    /// The provider a trunk fork goes through, and the number it dials (for failover).
    provider: Option<usize>,
    auth_tried: bool,
    caller_id: String,
    provisional_seen: bool,
    /// CANCEL wanted but no provisional yet (§9.1: wait for one before cancelling).
    cancel_pending: bool,
    done: bool,
}

/// What a client transaction of ours was for.
#[derive(Debug, Clone)]
enum ClientPurpose {
    Fork(usize),
    /// A request relayed from `from` (its server transaction) to the other leg.
    Relay {
        from: Side,
        server: ServerTxKey,
        request: Box<Request>,
    },
    /// BYE, CANCEL: nobody waits for the answer.
    Fire,
}

/// The trunk leg of a call that did not start as an outgoing call.
struct OutLeg {
    number: String,
    trunk: Option<String>,
    /// The trunk fork is the one that answered.
    answered: bool,
    /// When it answered (the box may have answered the caller long before: an IVR).
    answer_ms: Option<i64>,
}

struct Call {
    tenant_id: u32,
    source: String,
    destination: String,
    direction: crate::cdr::Direction,
    did: Option<String>,
    caller_id_presented: Option<String>,
    /// The trunk account that carried the call, for the CDR.
    trunk: Option<String>,
    /// An incoming or internal call that also went out through a trunk (forward, twinning, a DID
    /// rule to an external number): the number and trunk of that leg, for its own CDR.
    out_leg: Option<OutLeg>,
    caller: targets::CallerIdentity,
    /// The anchored offer sent to every fork (kept for forwarding to new targets); empty when the
    /// caller sent no offer (RFC 3261 §13.2.1 late offer: the callee offers in its 2xx, the caller
    /// answers in its ACK).
    b_offer: Vec<u8>,
    /// Late offer: CSeq of the callee's 2xx whose ACK waits for the caller's answer.
    b_ack_pending: Option<u32>,
    /// Late offer: the answer the callee's ACK carried (re-sent with 2xx retransmissions).
    b_ack_body: Option<Vec<u8>>,
    on_busy: Option<crate::routing::Destination>,
    on_no_answer: Option<crate::routing::Destination>,
    /// Whose forwards those are (their permissions apply).
    fallback_owner: Option<String>,
    /// How many times ringing moved on to a forward; bounded against loops.
    forwards: u8,
    state: CallState,
    a: Leg,
    /// The caller's INVITE while its final response is not sent yet.
    a_invite: Option<(ServerTxKey, Request)>,
    /// The caller's INVITE transaction, mapped in `by_invite` until the ACK (CANCEL, Timer L).
    invite_key: Option<ServerTxKey>,
    forks: Vec<Fork>,
    b: Option<Leg>,
    /// The B dialog's Call-ID and From tag, shared by every fork.
    b_call_id: String,
    b_tag: String,
    media: Option<MediaPorts>,
    sdp: sdp::CallSdp,
    start_ms: i64,
    answer_ms: Option<i64>,
    ring_deadline: Option<Instant>,
    /// Best failure seen from the forks (486 wins over 480 etc).
    best_failure: Option<u16>,
    /// The application the box runs on the caller's leg (IVR, voicemail, prompt).
    app: Option<app::AppRun>,
    /// The box answered the caller itself (an application); leg B, if any, comes later.
    box_answered: bool,
    /// The caller's INVITE carried an offer.
    a_offered: bool,
    /// The box offered in its 2xx to a late-offer caller; the answer comes in the ACK.
    a_late_answer: bool,
    /// The caller's negotiated format once known.
    a_format: Option<crate::media::SideFormat>,
    /// The call's recording file (tenant with recording on), for the CDR.
    recording: Option<std::path::PathBuf>,
    /// One leg put the other on hold (it hears music on hold until a resume).
    held: bool,
    /// Numbers the applications run on this call, so a late event of an earlier one is ignored.
    apps_started: u64,
    /// Why the call ends once its last application hangs up (a failed leg after an IVR).
    end_cause: Option<String>,
    /// The calling extension's SIP username (internal and outgoing calls), for presence.
    caller_user: Option<String>,
    /// The extension being rung or talking (SIP username), for presence.
    callee_user: Option<String>,
}

#[derive(Default)]
pub struct Calls {
    calls: HashMap<u64, Call>,
    next_id: u64,
    by_invite: HashMap<ServerTxKey, u64>,
    by_call_id: HashMap<String, (u64, Side)>,
    by_client: client_index::ClientIndex,
    deadlines: BTreeSet<(Instant, u64)>,
    /// Calls holding an outside line, per tenant (the concurrent outbound cap).
    outbound: crate::dialplan::OutboundCalls<u64>,
    /// Media id to call id (media events name the media id).
    by_media: HashMap<u64, u64>,
    /// Applications whose call ended while a recording was still being closed.
    orphans: HashMap<u64, app::Orphan>,
    /// Extensions (SIP usernames) whose calls changed since the endpoint last looked: their
    /// busy lamps may need a NOTIFY.
    dirty_users: BTreeSet<String>,
}

impl Calls {
    pub fn len(&self) -> usize {
        self.calls.len()
    }

    pub fn is_empty(&self) -> bool {
        self.calls.is_empty()
    }

    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.iter().next().map(|(t, _)| *t)
    }

    /// Ring timeouts: the callee did not answer in time.
    pub fn handle_timeout(&mut self, ctx: &mut CallContext<'_>) {
        while let Some(&(at, id)) = self.deadlines.iter().next() {
            if at > ctx.now {
                break;
            }
            self.deadlines.remove(&(at, id));
            let Some(call) = self.calls.get(&id) else {
                continue;
            };
            if call.app.as_ref().is_some_and(|r| r.deadline == Some(at)) {
                self.app_timeout(ctx, id);
                continue;
            }
            if call.state == CallState::Ringing && call.ring_deadline == Some(at) {
                self.on_ring_timeout(ctx, id);
            }
        }
    }

    /// A 2xx for an INVITE of ours that no transaction claims any more: the callee did not get our
    /// ACK, or a fork answered after we gave up. ACK it and, if it is not the live dialog, hang it up.
    pub fn on_stray_response(
        &mut self,
        ctx: &mut CallContext<'_>,
        response: Response,
        source: Peer,
    ) {
        responses::on_stray_2xx(self, ctx, response, source);
    }

    pub fn on_ack_timeout(&mut self, ctx: &mut CallContext<'_>, key: &ServerTxKey) {
        // The caller never ACKed our 2xx: §13.3.1.4 says end the session.
        if let Some(&id) = self.by_invite.get(key) {
            self.hang_up(ctx, id, None, "ack-timeout");
        }
    }

    fn insert(&mut self, call: Call) -> u64 {
        self.next_id += 1;
        let id = self.next_id;
        self.by_call_id
            .insert(call.a.call_id.clone(), (id, Side::A));
        self.by_call_id
            .insert(call.b_call_id.clone(), (id, Side::B));
        if let Some(key) = &call.invite_key {
            self.by_invite.insert(key.clone(), id);
        }
        if let Some(at) = call.ring_deadline {
            self.deadlines.insert((at, id));
        }
        if let Some(m) = call.media {
            self.by_media.insert(m.id, id);
        }
        self.dirty_users.extend(call.caller_user.iter().cloned());
        self.calls.insert(id, call);
        id
    }

    /// Ends a ringing call with `status` to the caller, CANCELling forks still ringing.
    fn fail_ringing(
        &mut self,
        ctx: &mut CallContext<'_>,
        id: u64,
        status: u16,
        disposition: Disposition,
        cause: &str,
    ) {
        let reason = sip::builder::reason_phrase(status);
        self.fail_ringing_with(ctx, id, status, reason, disposition, cause);
    }

    fn fail_ringing_with(
        &mut self,
        ctx: &mut CallContext<'_>,
        id: u64,
        status: u16,
        reason: &str,
        disposition: Disposition,
        cause: &str,
    ) {
        if let Some(call) = self.calls.get_mut(&id) {
            if let Some((key, invite)) = call.a_invite.take() {
                let resp = Response::for_request(
                    &invite,
                    status,
                    reason,
                    Some(&tag_of(&call.a.local_header)),
                );
                ctx.txn.send_response(&key, resp, ctx.now);
            } else if call.box_answered && call.state != CallState::Ended {
                // The box answered the caller (an IVR sent it on) and nobody took the call: the
                // caller hears a busy tone for a moment, then the box hangs up.
                let tone = match status {
                    486 | 600 => media::dsp::tone::ToneKind::Busy,
                    _ => media::dsp::tone::ToneKind::Congestion,
                };
                call.end_cause = Some(cause.to_string());
                self.cancel_forks(ctx, id);
                self.run_app(ctx, id, Box::new(app_build::ToneThenHangup::new(tone)));
                return;
            }
        }
        self.cancel_forks(ctx, id);
        // The caller of a box-answered call was answered (the IVR talked to it): the failure of
        // the leg it was sent on is the hang-up cause, not the call's disposition.
        let disposition = match self.calls.get(&id) {
            Some(c) if c.box_answered => Disposition::Answered,
            _ => disposition,
        };
        self.finish(ctx, id, disposition, cause);
    }

    fn cancel_forks(&mut self, ctx: &mut CallContext<'_>, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        for fork in call.forks.iter_mut().filter(|f| !f.done) {
            if fork.provisional_seen {
                fork.cancel_pending = false;
                let key = ctx
                    .txn
                    .send_request(cancel_for(&fork.invite), fork.peer, ctx.now);
                self.by_client.insert(key, (id, ClientPurpose::Fire));
            } else {
                fork.cancel_pending = true;
            }
        }
    }

    /// Sends BYE to every established leg except `except`, and finishes the call.
    fn hang_up(&mut self, ctx: &mut CallContext<'_>, id: u64, except: Option<Side>, cause: &str) {
        if self
            .calls
            .get(&id)
            .is_none_or(|c| c.state == CallState::Ended)
        {
            return;
        }
        // Forks still ringing (a callee rung after an IVR) stop ringing too.
        self.cancel_forks(ctx, id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let mut byes = Vec::new();
        if except != Some(Side::A) && call.a_invite.is_none() {
            byes.push((
                call.a.request(Method::Bye, ctx.config.sip_addr, ctx.ids),
                call.a.peer,
            ));
        }
        if except != Some(Side::B) {
            if let Some(b) = call.b.as_mut() {
                byes.push((b.request(Method::Bye, ctx.config.sip_addr, ctx.ids), b.peer));
            }
        }
        for (bye, peer) in byes {
            let key = ctx.txn.send_request(bye, peer, ctx.now);
            self.by_client.insert(key, (id, ClientPurpose::Fire));
        }
        let disposition = if call.answer_ms.is_some() {
            Disposition::Answered
        } else {
            Disposition::NoAnswer
        };
        self.finish(ctx, id, disposition, cause);
    }

    /// Writes the CDR, frees the media and forgets the call once no fork can still answer.
    fn finish(
        &mut self,
        ctx: &mut CallContext<'_>,
        id: u64,
        disposition: Disposition,
        cause: &str,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.state != CallState::Ended {
            // However the call ends (BYE, ACK time-out, ...), a message being recorded is kept.
            self.app_caller_gone(ctx, id);
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            call.state = CallState::Ended;
            self.dirty_users.extend(call.caller_user.iter().cloned());
            self.dirty_users.extend(call.callee_user.iter().cloned());
            if let Some(run) = call.app.take() {
                if let Some(at) = run.deadline {
                    self.deadlines.remove(&(at, id));
                }
                self.keep_orphan(ctx.now, id, run);
            }
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            self.outbound.finish(call.tenant_id, &id);
            if let Some(m) = call.media.take() {
                self.by_media.remove(&m.id);
                ctx.media.close(m.id);
            }
            let billable_secs = call
                .answer_ms
                .map(|a| u32::try_from((ctx.unix_ms - a).max(0) / 1000).unwrap_or(u32::MAX))
                .unwrap_or(0);
            ctx.cdrs.push_back(Cdr {
                tenant_id: call.tenant_id,
                call_id: call.a.call_id.clone(),
                start_ms: call.start_ms,
                answer_ms: call.answer_ms,
                end_ms: ctx.unix_ms,
                billable_secs,
                direction: call.direction,
                source: call.source.clone(),
                destination: call.destination.clone(),
                disposition,
                did: call.did.clone(),
                caller_id_presented: call.caller_id_presented.clone(),
                trunk: call.trunk.clone(),
                hangup_cause: cause.to_string(),
                recording: call.recording.take(),
            });
            if let Some(out) = call.out_leg.take() {
                // Another fork answering (the extension, not the twinned mobile) means this leg
                // rang unanswered.
                let leg_billable = out
                    .answer_ms
                    .map(|a| u32::try_from((ctx.unix_ms - a).max(0) / 1000).unwrap_or(u32::MAX))
                    .unwrap_or(0);
                let (disposition, billable_secs) = match (out.answered, disposition) {
                    (false, Disposition::Answered) => (Disposition::NoAnswer, 0),
                    (true, _) => (Disposition::Answered, leg_billable),
                    _ => (disposition, billable_secs),
                };
                ctx.cdrs.push_back(Cdr {
                    tenant_id: call.tenant_id,
                    call_id: call.b_call_id.clone(),
                    start_ms: call.start_ms,
                    answer_ms: out.answer_ms,
                    end_ms: ctx.unix_ms,
                    billable_secs,
                    direction: crate::cdr::Direction::Outgoing,
                    source: call.source.clone(),
                    destination: out.number,
                    disposition,
                    did: call.did.clone(),
                    caller_id_presented: call.caller_id_presented.clone(),
                    trunk: out.trunk,
                    hangup_cause: cause.to_string(),
                    recording: None,
                });
            }
            if let Some(at) = call.ring_deadline.take() {
                self.deadlines.remove(&(at, id));
            }
        }
        self.forget_if_settled(id);
    }

    fn forget_if_settled(&mut self, id: u64) {
        let settled = self
            .calls
            .get(&id)
            .is_some_and(|c| c.state == CallState::Ended && c.forks.iter().all(|f| f.done));
        if !settled {
            return;
        }
        if let Some(call) = self.calls.remove(&id) {
            self.by_call_id.remove(&call.a.call_id);
            self.by_call_id.remove(&call.b_call_id);
            if let Some(key) = &call.invite_key {
                self.by_invite.remove(key);
            }
            self.by_client.forget_call(id);
        }
    }
}

/// The tag parameter of a From/To header value we built (`...;tag=xyz`).
fn tag_of(header: &str) -> String {
    header
        .rsplit_once(";tag=")
        .map(|(_, t)| t.split(';').next().unwrap_or(t).to_string())
        .unwrap_or_default()
}

/// CANCEL for a pending INVITE (§9.1): same Request-URI, Call-ID, From, To, top Via and CSeq number.
fn cancel_for(invite: &Request) -> Request {
    use sip::message::{HeaderName, Headers, SipHeaders};
    let mut headers = Headers::new();
    for h in &invite.headers.list {
        match h.name {
            HeaderName::Via | HeaderName::From | HeaderName::To | HeaderName::CallId => {
                headers.list.push(h.clone())
            }
            _ => {}
        }
    }
    let seq = invite.cseq().map(|c| c.seq).unwrap_or(1);
    headers.push(HeaderName::MaxForwards, "70");
    headers.push(HeaderName::CSeq, format!("{seq} CANCEL"));
    Request {
        method: Method::Cancel,
        uri: invite.uri.clone(),
        headers,
        body: Vec::new(),
    }
}

/// ACK for a 2xx to one of our INVITEs (§13.2.2.4): a new transaction-less request in the dialog.
fn ack_for_2xx(ctx: &mut CallContext<'_>, leg: &Leg, cseq: u32) {
    ack_with_body(ctx, leg, cseq, None);
}

/// ACK for a 2xx, carrying the SDP answer when the 2xx carried the offer (late offer).
fn ack_with_body(ctx: &mut CallContext<'_>, leg: &Leg, cseq: u32, body: Option<&[u8]>) {
    let mut ack = leg.request_with_cseq(Method::Ack, cseq, ctx.config.sip_addr, ctx.ids);
    if let Some(body) = body {
        ack.headers
            .push(sip::message::HeaderName::ContentType, "application/sdp");
        ack.body = body.to_vec();
    }
    ctx.txn.send_stateless(&Message::Request(ack), leg.peer);
}
