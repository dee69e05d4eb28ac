//! IVR (SPEC.md §7): a prompt, options 0-9 to any destination, optional direct dialling of the
//! tenant's extensions, a no-input timeout with one replay, and replays on invalid input.
use super::outbox::{Outbox, PlayEvent};
use super::{App, AppCommand, AppInput};
use crate::media::Playback;
use crate::routing::Destination;
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Invalid entries (unknown digit, a number that is no extension) the IVR accepts before it gives
/// up on the caller and sends the call to the no-input destination. Without a cap a caller (or a
/// stuck key) could keep the call in the IVR forever.
pub const MAX_INVALID: u32 = 3;

/// Longest number collected; more digits than any extension can have is an invalid entry.
const MAX_DIGITS: usize = 32;

#[derive(Debug, Clone)]
pub struct IvrConfig {
    pub id: String,
    pub prompt: Playback,
    /// The caller may dial an extension number (SPEC.md §7 "allow dialling extensions").
    pub allow_extensions: bool,
    /// The tenant's extension numbers (what the caller may dial directly).
    pub extensions: Arc<BTreeSet<String>>,
    /// Destinations of the keys (0-9 in the panel).
    pub options: BTreeMap<char, Destination>,
    pub no_input: Destination,
    /// How long to wait for a key after the prompt ended.
    pub no_input_timeout: Duration,
    /// How long to wait for the next digit of an extension number (3 s).
    pub inter_digit: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Prompt,
    /// The prompt ended; waiting `no_input_timeout` for a key.
    Waiting,
    /// Digits of an extension number are being collected (the prompt was stopped).
    Collecting,
}

/// The IVR machine.
///
/// Behaviour: the prompt plays; a key interrupts it. After the prompt the caller has
/// `no_input_timeout` to press a key; without one the prompt is replayed once, then the call goes
/// to `no_input`. An unknown key (or a dialled number that is no extension) replays the prompt;
/// after [`MAX_INVALID`] invalid entries the call goes to `no_input`. A lone `#` is ignored
/// unless it is an option itself.
///
/// With `allow_extensions`, keys collect into a number: a key that is an option and starts no
/// extension number routes at once; otherwise collection goes on until the digits are an
/// extension and no longer extension starts with them, or `inter_digit` passes, or `#` is
/// pressed. Then an exact extension routes to `Destination::Extension(number)`, a single option
/// key to its option, anything else is invalid.
pub struct Ivr {
    config: IvrConfig,
    out: Outbox,
    state: State,
    digits: String,
    no_input_replays: u32,
    invalid: u32,
}

impl Ivr {
    pub fn new(config: IvrConfig) -> Ivr {
        Ivr {
            config,
            out: Outbox::default(),
            state: State::Prompt,
            digits: String::new(),
            no_input_replays: 0,
            invalid: 0,
        }
    }

    pub fn id(&self) -> &str {
        &self.config.id
    }

    fn play_prompt(&mut self, now: Instant) {
        self.state = State::Prompt;
        self.out.play(self.config.prompt.clone(), now);
    }

    fn route(&mut self, destination: Destination) {
        self.out.finish(AppCommand::Route(destination));
    }

    fn option(&self, key: char) -> Option<Destination> {
        self.config.options.get(&key).cloned()
    }

    fn invalid(&mut self, now: Instant) {
        self.digits.clear();
        self.invalid += 1;
        if self.invalid >= MAX_INVALID {
            let no_input = self.config.no_input.clone();
            self.route(no_input);
            return;
        }
        // The caller did something: the single no-input replay is available again.
        self.no_input_replays = 0;
        self.play_prompt(now);
    }

    /// A key when the IVR does not collect extension numbers (or a lone `#`).
    fn single_key(&mut self, key: char, now: Instant) {
        if let Some(destination) = self.option(key) {
            self.route(destination);
        } else if key == '#' {
            // The "end of number" key pressed with no number: nothing to act on.
        } else {
            self.out.stop_play();
            self.invalid(now);
        }
    }

    fn is_extension(&self, digits: &str) -> bool {
        self.config.extensions.contains(digits)
    }

    /// Whether some extension number is longer than `digits` and starts with them. Every string
    /// with that prefix sorts right after `digits`, so the next set element tells.
    fn longer_extension(&self, digits: &str) -> bool {
        self.config
            .extensions
            .range::<str, _>((Bound::Excluded(digits), Bound::Unbounded))
            .next()
            .is_some_and(|next| next.starts_with(digits))
    }

    fn collect(&mut self, key: char, now: Instant) {
        self.out.stop_play();
        self.digits.push(key);
        if self.digits.len() > MAX_DIGITS {
            self.invalid(now);
            return;
        }
        let exact = self.is_extension(&self.digits);
        let longer = self.longer_extension(&self.digits);
        if exact && !longer {
            let number = std::mem::take(&mut self.digits);
            self.route(Destination::Extension(number));
        } else if !exact && !longer {
            // No extension can come of these digits: a lone option key routes, anything else is invalid.
            match self.single_option() {
                Some(destination) => self.route(destination),
                None => self.invalid(now),
            }
        } else {
            self.state = State::Collecting;
            self.out.set_deadline(Some(now + self.config.inter_digit));
        }
    }

    fn single_option(&self) -> Option<Destination> {
        let mut chars = self.digits.chars();
        match (chars.next(), chars.next()) {
            (Some(key), None) => self.option(key),
            _ => None,
        }
    }

    /// The collected number is complete (`#` or the inter-digit timeout).
    fn end_of_number(&mut self, now: Instant) {
        if self.is_extension(&self.digits) {
            let number = std::mem::take(&mut self.digits);
            self.route(Destination::Extension(number));
        } else if let Some(destination) = self.single_option() {
            self.route(destination);
        } else {
            self.invalid(now);
        }
    }

    fn dtmf(&mut self, key: char, now: Instant) {
        if !self.config.allow_extensions {
            self.single_key(key, now);
        } else if key == '#' {
            if self.digits.is_empty() {
                self.single_key(key, now);
            } else {
                self.end_of_number(now);
            }
        } else {
            self.collect(key, now);
        }
    }

    fn prompt_ended(&mut self, now: Instant) {
        self.state = State::Waiting;
        self.out
            .set_deadline(Some(now + self.config.no_input_timeout));
    }
}

impl App for Ivr {
    fn start(&mut self, now: Instant) {
        self.play_prompt(now);
    }

    fn handle(&mut self, input: AppInput, now: Instant) {
        if self.out.is_finished() {
            return;
        }
        match input {
            AppInput::Dtmf(key) => self.dtmf(key, now),
            AppInput::PlayDone(token) => {
                if self.out.play_done(token, now) == PlayEvent::Finished
                    && self.state == State::Prompt
                {
                    self.prompt_ended(now);
                }
            }
            // The IVR records nothing.
            AppInput::RecordDone { .. } => {}
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if !self.out.due(now) {
            return;
        }
        match self.state {
            State::Prompt => {
                // The playback guard: the prompt's end was never reported.
                self.out.stop_play();
                self.prompt_ended(now);
            }
            State::Waiting if self.no_input_replays == 0 => {
                self.no_input_replays = 1;
                self.play_prompt(now);
            }
            State::Waiting => {
                let no_input = self.config.no_input.clone();
                self.route(no_input);
            }
            State::Collecting => self.end_of_number(now),
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.out.deadline()
    }

    fn poll_command(&mut self) -> Option<AppCommand> {
        self.out.pop()
    }

    fn caller_gone(&mut self, _now: Instant) {
        self.out.end_silently();
    }
}
