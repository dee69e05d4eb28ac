//! Calls the box answers itself: it runs a call application (IVR, voicemail deposit or menu, a
//! prompt, prompt recording) on the caller's leg, feeds it DTMF and the media side's events, and
//! carries out its commands — play and record on leg A, leave towards a destination (ringing a
//! new leg B with an offer of the box's own codecs; the relay transcodes if needed), hang up, or
//! hand the daemon something to store ([`AppEffect`]).
use super::app_build::build_app;
use super::{CallContext, CallState, Calls};
use crate::apps::{App, AppCommand, AppInput};
use crate::directory::DialTarget;
use crate::media::{MediaEvent, Playback, Side};
use crate::routing::Destination;
use sip::message::{HeaderName, Response};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What an application decided that the daemon carries out (database, mail, files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppEffect {
    pub tenant_id: u32,
    /// The caller's number (voicemail sender).
    pub caller: String,
    pub action: AppAction,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppAction {
    SaveVoicemail {
        box_id: String,
        file: PathBuf,
        duration: Duration,
    },
    MarkHeard {
        box_id: String,
        message_id: i64,
    },
    DeleteMessage {
        box_id: String,
        message_id: i64,
    },
    /// A prompt recorded from a phone (8 kHz WAV in `file`) to keep as prompt `tel-<slot>`.
    SavePrompt {
        slot: String,
        file: PathBuf,
    },
}

/// Which application runs, for the effects that need its box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum AppKind {
    Ivr,
    Voicemail,
    Menu(String),
    Prompt,
    RecordPrompt,
}

pub(super) struct AppRun {
    pub app: Box<dyn App + Send>,
    pub kind: AppKind,
    /// Token of the recording in progress: a voicemail is handed over only once its file is closed.
    recording: Option<u64>,
    deferred: Vec<AppAction>,
    /// The deadline registered in the call table's timer set.
    pub deadline: Option<Instant>,
    /// The caller hung up: later inputs only release deferred effects.
    gone: bool,
    /// Added to the application's tokens towards the media side: every application of a call
    /// has its own range, so a late end-of-playback of an earlier one is not taken for its own.
    token_base: u64,
    /// Keys arrived as RTP events: SIP INFO copies of them (phones that send both) are dropped.
    rtp_dtmf_seen: bool,
    /// The last key from SIP INFO, to drop its RTP twin.
    last_info_key: Option<(char, Instant)>,
}

/// An RTP key equal to a SIP INFO key this close after it is the same press.
const DTMF_TWIN_WINDOW: Duration = Duration::from_millis(300);

impl AppRun {
    pub fn new(app: Box<dyn App + Send>, kind: AppKind, serial: u64) -> AppRun {
        AppRun {
            app,
            kind,
            recording: None,
            deferred: Vec::new(),
            deadline: None,
            gone: false,
            token_base: serial << 32,
            rtp_dtmf_seen: false,
            last_info_key: None,
        }
    }

    fn media_token(&self, token: u64) -> u64 {
        self.token_base | (token & 0xffff_ffff)
    }

    /// The application's own token for a media-side token, if it is one of this application's.
    fn app_token(&self, media_token: u64) -> Option<u64> {
        (media_token >> 32 == self.token_base >> 32).then_some(media_token & 0xffff_ffff)
    }

    /// Still waiting for a recording to close before its effect can be handed over.
    pub fn holds_effects(&self) -> bool {
        self.recording.is_some() && !self.deferred.is_empty()
    }
}

/// An application outliving its call until its recording is closed.
pub(super) struct Orphan {
    pub tenant_id: u32,
    pub caller: String,
    pub run: AppRun,
    pub since: Instant,
}

/// Orphans whose recording never reported its end are dropped after this long.
const ORPHAN_LIFETIME: Duration = Duration::from_secs(600);

impl Calls {
    /// Runs the application for `dest` on call `id`, answering the caller first if needed.
    pub(super) fn start_app(&mut self, ctx: &mut CallContext<'_>, id: u64, dest: Destination) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let built = build_app(ctx, call, &dest);
        let Some((app, kind)) = built else {
            tracing::warn!(call = id, destination = %dest.describe(), "application not configured");
            self.end_box_call(ctx, id, 404, "unknown-destination");
            return;
        };
        if !self.answer_by_box(ctx, id) {
            return;
        }
        self.cancel_forks(ctx, id);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(at) = call.ring_deadline.take() {
            self.deadlines.remove(&(at, id));
        }
        call.state = CallState::Answered;
        if let Some(old) = call.app.take() {
            if let Some(at) = old.deadline {
                self.deadlines.remove(&(at, id));
            }
            self.keep_orphan(ctx.now, id, old);
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.apps_started += 1;
        let mut run = AppRun::new(app, kind, call.apps_started);
        run.app.start(ctx.now);
        call.app = Some(run);
        self.drive_app(ctx, id);
    }

    /// Runs `app` on a call the box has already answered (a tone before hanging up).
    pub(super) fn run_app(&mut self, ctx: &mut CallContext<'_>, id: u64, app: Box<dyn App + Send>) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(at) = call.ring_deadline.take() {
            self.deadlines.remove(&(at, id));
        }
        call.state = CallState::Answered;
        if let Some(old) = call.app.take() {
            if let Some(at) = old.deadline {
                self.deadlines.remove(&(at, id));
            }
            self.keep_orphan(ctx.now, id, old);
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.apps_started += 1;
        let mut run = AppRun::new(app, AppKind::Prompt, call.apps_started);
        run.app.start(ctx.now);
        call.app = Some(run);
        self.drive_app(ctx, id);
    }

    /// Ends a call the box could not serve: a final response if the caller still waits, else BYE.
    fn end_box_call(&mut self, ctx: &mut CallContext<'_>, id: u64, status: u16, cause: &str) {
        let waiting = self.calls.get(&id).is_some_and(|c| c.a_invite.is_some());
        if waiting {
            self.fail_ringing(ctx, id, status, crate::cdr::Disposition::Failed, cause);
        } else {
            self.hang_up(ctx, id, None, cause);
        }
    }

    /// Answers the caller with the box's own SDP (once). False if the call could not be answered
    /// (it is then ended).
    fn answer_by_box(&mut self, ctx: &mut CallContext<'_>, id: u64) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let Some(media) = call.media else {
            return false;
        };
        if call.a_invite.is_none() {
            return true; // already answered (by the box, or this is a later application)
        }
        let early_answer = call.sdp.last_to_a().filter(|_| call.a_format.is_some());
        let body = if let Some(body) = early_answer {
            // The caller already has an answer (early media from a callee that did not pick
            // up): the 2xx repeats it (RFC 6337 §3.1) and the relay keeps its format.
            body
        } else if call.b_offer.is_empty() && !call.a_offered {
            // Late offer: the box offers in its 2xx, the caller answers in the ACK.
            call.a_late_answer = true;
            call.sdp
                .offer_as_box(Side::A, ctx.config.media_ip, media, None)
        } else {
            match call
                .sdp
                .answer_as_box(Side::A, ctx.config.media_ip, media, None)
            {
                Ok((anchored, format)) => {
                    ctx.media.set_format(media.id, Side::A, format);
                    call.a_format = Some(format);
                    if let Some(addr) = anchored.remote {
                        ctx.media.set_remote(media.id, Side::A, addr);
                    }
                    anchored.body
                }
                Err(problem) => {
                    let status = problem.status();
                    let cause = problem.cause();
                    self.fail_ringing(ctx, id, status, crate::cdr::Disposition::Failed, cause);
                    return false;
                }
            }
        };
        let Some((key, invite)) = call.a_invite.take() else {
            return false;
        };
        let mut ok = Response::for_request(
            &invite,
            200,
            "OK",
            Some(&super::tag_of(&call.a.local_header)),
        );
        ok.headers.push(
            HeaderName::Contact,
            super::contact_value(ctx.config.sip_addr),
        );
        ok.headers.push(HeaderName::Allow, crate::endpoint::ALLOW);
        ok.headers.push(HeaderName::ContentType, "application/sdp");
        ok.body = body;
        ctx.txn.send_response(&key, ok, ctx.now);
        call.box_answered = true;
        call.answer_ms = Some(ctx.unix_ms);
        true
    }

    /// Carries out everything the call's application asked for.
    pub(super) fn drive_app(&mut self, ctx: &mut CallContext<'_>, id: u64) {
        loop {
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            let (Some(run), Some(media)) = (call.app.as_mut(), call.media) else {
                return;
            };
            let Some(command) = run.app.poll_command() else {
                break;
            };
            let effect = |action| super::app::AppEffect {
                tenant_id: call.tenant_id,
                caller: call.source.clone(),
                action,
            };
            match command {
                AppCommand::Play { what, token } => {
                    let token = run.media_token(token);
                    ctx.media.play(media.id, Side::A, what, token)
                }
                AppCommand::StopPlay => ctx.media.stop_play(media.id, Side::A),
                AppCommand::Record { spec, token } => {
                    let token = run.media_token(token);
                    run.recording = Some(token);
                    ctx.media.record(media.id, Side::A, spec, token);
                }
                AppCommand::StopRecord => ctx.media.stop_record(media.id, Side::A),
                AppCommand::SaveVoicemail {
                    box_id,
                    file,
                    duration,
                } => {
                    let action = AppAction::SaveVoicemail {
                        box_id,
                        file,
                        duration,
                    };
                    if run.recording.is_some() {
                        run.deferred.push(action);
                    } else {
                        ctx.effects.push_back(effect(action));
                    }
                }
                AppCommand::MarkHeard(message_id) | AppCommand::DeleteMessage(message_id)
                    if !matches!(run.kind, AppKind::Menu(_)) =>
                {
                    tracing::debug!(message_id, "message action outside a box menu ignored");
                }
                AppCommand::MarkHeard(message_id) => {
                    if let AppKind::Menu(box_id) = &run.kind {
                        let action = AppAction::MarkHeard {
                            box_id: box_id.clone(),
                            message_id,
                        };
                        ctx.effects.push_back(effect(action));
                    }
                }
                AppCommand::DeleteMessage(message_id) => {
                    if let AppKind::Menu(box_id) = &run.kind {
                        let action = AppAction::DeleteMessage {
                            box_id: box_id.clone(),
                            message_id,
                        };
                        ctx.effects.push_back(effect(action));
                    }
                }
                AppCommand::SavePrompt { slot, file } => {
                    ctx.effects
                        .push_back(effect(AppAction::SavePrompt { slot, file }));
                }
                AppCommand::Route(dest) => {
                    let dest = self.app_destination(ctx, id, dest);
                    self.leave_app(ctx, id, dest);
                    return;
                }
                AppCommand::Hangup => {
                    let cause = call.end_cause.take();
                    self.hang_up(ctx, id, None, cause.as_deref().unwrap_or("app-hangup"));
                    return;
                }
            }
        }
        self.rearm_app_deadline(id);
    }

    fn rearm_app_deadline(&mut self, id: u64) {
        let Some(run) = self.calls.get_mut(&id).and_then(|c| c.app.as_mut()) else {
            return;
        };
        let next = run.app.poll_timeout();
        if next != run.deadline {
            if let Some(old) = run.deadline.take() {
                self.deadlines.remove(&(old, id));
            }
            if let Some(at) = next {
                self.deadlines.insert((at, id));
            }
            run.deadline = next;
        }
    }

    /// An app's `Extension` names the number dialled; the directory says what it is.
    fn app_destination(&self, ctx: &CallContext<'_>, id: u64, dest: Destination) -> Destination {
        let Some(call) = self.calls.get(&id) else {
            return dest;
        };
        match dest {
            Destination::Extension(number) => {
                match ctx.directory.resolve(call.tenant_id, &number) {
                    DialTarget::Extension(username) => Destination::Extension(username),
                    DialTarget::Ivr(ivr) => Destination::Ivr(ivr),
                    DialTarget::Voicemail(vm) => Destination::Voicemail(vm),
                    // Not an extension: the resolver answers "unknown extension".
                    _ => Destination::Extension(number),
                }
            }
            other => other,
        }
    }

    /// The application is done with the caller: go to `dest` (another application, or ring it).
    pub(super) fn leave_app(&mut self, ctx: &mut CallContext<'_>, id: u64, dest: Destination) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let caller = call.caller.clone();
        if let Some(run) = call.app.take() {
            if let Some(at) = run.deadline {
                self.deadlines.remove(&(at, id));
            }
            self.keep_orphan(ctx.now, id, run);
        }
        let targets = match super::targets::resolve(ctx, &caller, &dest, None) {
            Ok(t) => t,
            Err(u) => {
                tracing::info!(call = id, cause = u.cause, destination = %dest.describe(), "application destination unreachable");
                match u.instead {
                    Some(next) => return self.leave_app(ctx, id, next),
                    None => return self.hang_up(ctx, id, None, u.cause),
                }
            }
        };
        if let Some(app) = targets.app.clone() {
            return self.start_app(ctx, id, app);
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(media) = call.media else {
            return;
        };
        let first = call.a_format.map(|f| f.codec);
        call.b_offer = call
            .sdp
            .offer_as_box(Side::B, ctx.config.media_ip, media, first);
        // A new dialog towards the callee: the same phone may have been rung earlier in this
        // call (no answer, forward to an IVR, option back to it) and would see a merged request.
        let old_b = std::mem::replace(
            &mut call.b_call_id,
            ctx.ids.call_id(&super::host(ctx.config.sip_addr)),
        );
        call.b_tag = ctx.ids.tag();
        let new_b = call.b_call_id.clone();
        self.by_call_id.remove(&old_b);
        self.by_call_id.insert(new_b, (id, Side::B));
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.state = CallState::Ringing;
        ctx.media.play(
            media.id,
            Side::A,
            Playback::Tone(media::dsp::tone::ToneKind::Ringback),
            0,
        );
        self.ring(ctx, id, targets);
    }

    /// A media event: DTMF and the ends of playbacks and recordings go to the call's application.
    pub fn on_media_event(&mut self, ctx: &mut CallContext<'_>, event: MediaEvent) {
        let (media_id, input) = match event {
            MediaEvent::Dtmf {
                id,
                side: Side::A,
                digit,
            } => (id, AppInput::Dtmf(digit)),
            MediaEvent::Dtmf { .. } => return,
            MediaEvent::PlayDone {
                id,
                side: Side::A,
                token,
            } => (id, AppInput::PlayDone(token)),
            MediaEvent::PlayDone { .. } => return,
            MediaEvent::RecordDone {
                id,
                side: Side::A,
                token,
                end,
                duration,
            } => (
                id,
                AppInput::RecordDone {
                    token,
                    end,
                    duration,
                },
            ),
            MediaEvent::RecordDone { .. } => return,
        };
        let Some(&call_id) = self.by_media.get(&media_id) else {
            self.on_orphan_event(ctx, media_id, input);
            return;
        };
        let Some(run) = self.calls.get_mut(&call_id).and_then(|c| c.app.as_mut()) else {
            return;
        };
        let input = match input {
            AppInput::Dtmf(digit) => {
                run.rtp_dtmf_seen = true;
                let twin = run.last_info_key.take().is_some_and(|(d, at)| {
                    d == digit && ctx.now.saturating_duration_since(at) < DTMF_TWIN_WINDOW
                });
                if twin {
                    return;
                }
                AppInput::Dtmf(digit)
            }
            AppInput::PlayDone(token) => match run.app_token(token) {
                Some(token) => AppInput::PlayDone(token),
                None => return,
            },
            AppInput::RecordDone {
                token,
                end,
                duration,
            } => {
                // Recording bookkeeping works on media tokens; the app gets its own.
                if run.recording == Some(token) {
                    self.record_closed(ctx, call_id, duration);
                }
                let Some(run) = self.calls.get_mut(&call_id).and_then(|c| c.app.as_mut()) else {
                    return;
                };
                match run.app_token(token) {
                    Some(token) => AppInput::RecordDone {
                        token,
                        end,
                        duration,
                    },
                    None => return,
                }
            }
        };
        self.feed_app(ctx, call_id, input);
    }

    /// DTMF from SIP INFO (application/dtmf-relay, application/dtmf) on the caller's leg. Phones
    /// that send both RTP events and INFO would enter every key twice: once RTP keys have been
    /// seen, INFO is ignored, and an RTP key right after the same INFO key is dropped.
    pub(super) fn app_dtmf(&mut self, ctx: &mut CallContext<'_>, id: u64, digit: char) {
        let Some(run) = self.calls.get_mut(&id).and_then(|c| c.app.as_mut()) else {
            return;
        };
        if run.rtp_dtmf_seen {
            return;
        }
        run.last_info_key = Some((digit, ctx.now));
        self.feed_app(ctx, id, AppInput::Dtmf(digit));
    }

    /// The app's recording file is closed: deferred effects (a voicemail) can go.
    fn record_closed(&mut self, ctx: &mut CallContext<'_>, id: u64, duration: Duration) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (tenant_id, caller) = (call.tenant_id, call.source.clone());
        let Some(run) = call.app.as_mut() else {
            return;
        };
        run.recording = None;
        for action in release(run, duration) {
            ctx.effects.push_back(AppEffect {
                tenant_id,
                caller: caller.clone(),
                action,
            });
        }
    }

    fn feed_app(&mut self, ctx: &mut CallContext<'_>, id: u64, input: AppInput) {
        let Some(run) = self.calls.get_mut(&id).and_then(|c| c.app.as_mut()) else {
            return;
        };
        if run.gone {
            return;
        }
        run.app.handle(input, ctx.now);
        self.drive_app(ctx, id);
    }

    /// Application deadlines (no-input timeouts, PIN entry, guards).
    pub(super) fn app_timeout(&mut self, ctx: &mut CallContext<'_>, id: u64) {
        let due = self
            .calls
            .get(&id)
            .and_then(|c| c.app.as_ref())
            .and_then(|r| r.app.poll_timeout())
            .is_some_and(|at| at <= ctx.now);
        if let Some(run) = self.calls.get_mut(&id).and_then(|c| c.app.as_mut()) {
            run.deadline = None;
            if due {
                run.app.handle_timeout(ctx.now);
            }
        }
        self.drive_app(ctx, id);
    }

    /// The caller hung up during an application: it may still have a message to hand over.
    pub(super) fn app_caller_gone(&mut self, ctx: &mut CallContext<'_>, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let (tenant_id, caller) = (call.tenant_id, call.source.clone());
        let Some(run) = call.app.as_mut() else {
            return;
        };
        run.app.caller_gone(ctx.now);
        while let Some(command) = run.app.poll_command() {
            if let AppCommand::SaveVoicemail {
                box_id,
                file,
                duration,
            } = command
            {
                let action = AppAction::SaveVoicemail {
                    box_id,
                    file,
                    duration,
                };
                if run.recording.is_some() {
                    run.deferred.push(action);
                } else {
                    ctx.effects.push_back(AppEffect {
                        tenant_id,
                        caller: caller.clone(),
                        action,
                    });
                }
            }
        }
        run.gone = true;
    }

    /// Keeps an application whose recording is still being closed, so its message is not lost.
    pub(super) fn keep_orphan(&mut self, now: Instant, id: u64, run: AppRun) {
        if !run.holds_effects() {
            return;
        }
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let Some(media) = call.media else {
            return;
        };
        self.orphans
            .retain(|_, o| now.saturating_duration_since(o.since) < ORPHAN_LIFETIME);
        self.orphans.insert(
            media.id,
            Orphan {
                tenant_id: call.tenant_id,
                caller: call.source.clone(),
                run,
                since: now,
            },
        );
    }

    fn on_orphan_event(&mut self, ctx: &mut CallContext<'_>, media_id: u64, input: AppInput) {
        let AppInput::RecordDone {
            token, duration, ..
        } = input
        else {
            return;
        };
        let Some(orphan) = self.orphans.get_mut(&media_id) else {
            return;
        };
        if orphan.run.recording != Some(token) {
            return;
        }
        orphan.run.recording = None;
        let ready = release(&mut orphan.run, duration);
        for action in ready {
            ctx.effects.push_back(AppEffect {
                tenant_id: orphan.tenant_id,
                caller: orphan.caller.clone(),
                action,
            });
        }
        self.orphans.remove(&media_id);
    }
}

/// Deferred effects once their recording closed, with the recording's true length.
fn release(run: &mut AppRun, recorded: Duration) -> Vec<AppAction> {
    run.deferred
        .drain(..)
        .map(|action| match action {
            AppAction::SaveVoicemail { box_id, file, .. } => AppAction::SaveVoicemail {
                box_id,
                file,
                duration: recorded,
            },
            other => other,
        })
        .collect()
}
