//! Which application a destination runs, configured from the directory snapshot.
use super::app::AppKind;
use super::{Call, CallContext};
use crate::apps::{
    App, AppCommand, AppInput, Ivr, IvrConfig, MenuConfig, MessageInfo, PromptThenHangup,
    RecConfig, RecordPrompt, VmConfig, VoicemailDeposit, VoicemailMenu,
};
use crate::media::Playback;
use crate::routing::Destination;
use media::dsp::tone::SystemSound;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Longest voicemail message.
const VOICEMAIL_MAX: Duration = Duration::from_secs(180);
/// A voicemail recording ends after this much silence.
const VOICEMAIL_SILENCE: Duration = Duration::from_secs(5);
/// Shorter messages are discarded (a caller who hung up at the beep).
const VOICEMAIL_MIN: Duration = Duration::from_secs(1);
/// Longest prompt recorded from a phone.
const PHONE_PROMPT_MAX: Duration = Duration::from_secs(120);
/// Between digits of an extension dialled in an IVR.
const IVR_INTER_DIGIT: Duration = Duration::from_secs(3);

pub(super) fn build_app(
    ctx: &CallContext<'_>,
    call: &Call,
    dest: &Destination,
) -> Option<(Box<dyn App + Send>, AppKind)> {
    let media = &ctx.directory.media;
    let tenant = call.tenant_id;
    let prompt = |id: &str| media.prompt(tenant, id).cloned().map(Playback::File);
    match dest {
        Destination::Ivr(id) => {
            let def = media.ivr(tenant, id)?;
            let config = IvrConfig {
                id: id.clone(),
                // A missing prompt file still lets callers dial (the IVR waits in silence).
                prompt: def
                    .prompt
                    .clone()
                    .map(Playback::File)
                    .unwrap_or(Playback::System(SystemSound::Invalid)),
                allow_extensions: def.allow_extensions,
                extensions: media.extensions(tenant),
                options: def.options.clone(),
                no_input: def.no_input.clone(),
                no_input_timeout: Duration::from_secs(u64::from(def.no_input_seconds.max(1))),
                inter_digit: IVR_INTER_DIGIT,
            };
            Some((Box::new(Ivr::new(config)), AppKind::Ivr))
        }
        Destination::Voicemail(id) => {
            let def = media.voicemail(tenant, id)?;
            let file = media
                .data_dir
                .join("voicemail")
                .join(tenant.to_string())
                .join(safe_component(id))
                .join(format!(
                    "{}-{:08x}.wav",
                    ctx.unix_ms,
                    short_hash(&call.a.call_id)
                ));
            let config = VmConfig {
                box_id: id.clone(),
                greeting: def
                    .greeting
                    .clone()
                    .map(Playback::File)
                    .unwrap_or(Playback::System(SystemSound::VoicemailGreeting)),
                file,
                max: VOICEMAIL_MAX,
                silence: VOICEMAIL_SILENCE,
                min: VOICEMAIL_MIN,
            };
            Some((Box::new(VoicemailDeposit::new(config)), AppKind::Voicemail))
        }
        Destination::VoicemailMenu(id) => {
            let def = media.voicemail(tenant, id)?;
            let messages = ctx
                .mailboxes
                .get(&(tenant, id.clone()))
                .map(|list| {
                    list.iter()
                        .map(|m| MessageInfo {
                            id: m.id,
                            file: m.file.clone(),
                            heard: m.heard,
                        })
                        .collect()
                })
                .unwrap_or_default();
            let config = MenuConfig {
                box_id: id.clone(),
                pin: def.pin.clone(),
                messages,
            };
            Some((
                Box::new(VoicemailMenu::new(config)),
                AppKind::Menu(id.clone()),
            ))
        }
        Destination::RecordPrompt(slot) => {
            let file = media
                .data_dir
                .join("prompts")
                .join(tenant.to_string())
                .join(format!(
                    "tel-{}-{:08x}.recording.wav",
                    safe_component(slot),
                    short_hash(&call.a.call_id)
                ));
            let config = RecConfig {
                slot: slot.clone(),
                file,
                max: PHONE_PROMPT_MAX,
            };
            Some((Box::new(RecordPrompt::new(config)), AppKind::RecordPrompt))
        }
        Destination::PromptThenHangup(id) => Some((
            Box::new(PromptThenHangup::new(prompt(id)?)),
            AppKind::Prompt,
        )),
        Destination::PromptThen(id, next) => Some((
            Box::new(PromptThen::new(prompt(id)?, (**next).clone())),
            AppKind::Prompt,
        )),
        _ => None,
    }
}

/// Distinguishes two messages left in the same millisecond (FNV-1a of the Call-ID).
fn short_hash(s: &str) -> u32 {
    s.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// Ids from the configuration are checked by the store; this keeps any odd one inside its folder.
fn safe_component(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A route rule's prompt: play it, then go to the rule's destination (a digit skips it).
struct PromptThen {
    prompt: Option<Playback>,
    next: Option<Destination>,
    out: VecDeque<AppCommand>,
    /// Goes on even if the media side never reports the end of the prompt.
    guard: Option<Instant>,
}

/// Longer than any prompt an upload may hold (10 minutes).
const PROMPT_GUARD: Duration = Duration::from_secs(660);

impl PromptThen {
    fn new(prompt: Playback, next: Destination) -> PromptThen {
        PromptThen {
            prompt: Some(prompt),
            next: Some(next),
            out: VecDeque::new(),
            guard: None,
        }
    }

    fn go_on(&mut self) {
        if let Some(next) = self.next.take() {
            self.out.push_back(AppCommand::StopPlay);
            self.out.push_back(AppCommand::Route(next));
        }
    }
}

impl App for PromptThen {
    fn start(&mut self, now: Instant) {
        if let Some(what) = self.prompt.take() {
            self.out.push_back(AppCommand::Play { what, token: 1 });
            self.guard = Some(now + PROMPT_GUARD);
        }
    }

    fn handle(&mut self, input: AppInput, _now: Instant) {
        if matches!(input, AppInput::PlayDone(1) | AppInput::Dtmf(_)) {
            self.go_on();
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if self.guard.is_some_and(|at| at <= now) {
            self.go_on();
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.guard.filter(|_| self.next.is_some())
    }

    fn poll_command(&mut self) -> Option<AppCommand> {
        self.out.pop_front()
    }

    fn caller_gone(&mut self, _now: Instant) {
        self.next = None;
    }
}

/// A tone for a few seconds, then hang up: what a caller the box answered hears when the leg it
/// was sent on fails (busy, nobody answered, unreachable).
pub(super) struct ToneThenHangup {
    tone: Option<media::dsp::tone::ToneKind>,
    until: Option<Instant>,
    out: VecDeque<AppCommand>,
}

/// How long the failure tone plays.
const FAILURE_TONE: Duration = Duration::from_secs(4);

impl ToneThenHangup {
    pub(super) fn new(tone: media::dsp::tone::ToneKind) -> ToneThenHangup {
        ToneThenHangup {
            tone: Some(tone),
            until: None,
            out: VecDeque::new(),
        }
    }
}

impl App for ToneThenHangup {
    fn start(&mut self, now: Instant) {
        if let Some(tone) = self.tone.take() {
            self.out.push_back(AppCommand::Play {
                what: Playback::Tone(tone),
                token: 1,
            });
            self.until = Some(now + FAILURE_TONE);
        }
    }

    fn handle(&mut self, _input: AppInput, _now: Instant) {}

    fn handle_timeout(&mut self, now: Instant) {
        if self.until.is_some_and(|at| at <= now) {
            self.until = None;
            self.out.push_back(AppCommand::StopPlay);
            self.out.push_back(AppCommand::Hangup);
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.until
    }

    fn poll_command(&mut self) -> Option<AppCommand> {
        self.out.pop_front()
    }

    fn caller_gone(&mut self, _now: Instant) {
        self.until = None;
    }
}
