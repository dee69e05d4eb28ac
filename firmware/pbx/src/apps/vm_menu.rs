//! The voicemail box menu (SPEC.md §6): PIN, message counts, then each message followed by the
//! message menu (1 repeat, 7 delete, 9 next, # exit).
use super::outbox::{Outbox, PlayEvent};
use super::{App, AppCommand, AppInput};
use crate::media::Playback;
use media::dsp::tone::SystemSound;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Wrong PINs accepted before the menu says goodbye.
pub const MAX_PIN_TRIES: u32 = 3;
/// The PIN is complete this long after its last digit (or after the "enter PIN" phrase) without `#`.
pub const PIN_TIMEOUT: Duration = Duration::from_secs(5);
/// Time to choose after the message menu phrase; the menu is replayed once, then goodbye.
pub const MENU_TIMEOUT: Duration = Duration::from_secs(10);
/// Longer entries are still collected as "wrong" but not stored (a flood of keys costs nothing).
const MAX_PIN_DIGITS: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageInfo {
    pub id: i64,
    /// The message's WAV file, absolute path.
    pub file: PathBuf,
    pub heard: bool,
}

#[derive(Debug, Clone)]
pub struct MenuConfig {
    pub box_id: String,
    /// Numeric PIN. An empty PIN never matches: a box without a PIN cannot be opened from a phone.
    pub pin: String,
    pub messages: Vec<MessageInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// "Enter PIN" (after "wrong PIN") playing, or waiting for the digits.
    Pin,
    /// "You have N new messages (M old messages)".
    Intro,
    /// The current message plays.
    Message,
    /// The message menu plays or waits for a key.
    Menu,
    /// "Message deleted", then the next message.
    Deleted,
    /// The last phrases, then `Hangup`.
    Closing,
}

/// The voicemail menu machine. New messages play first, then old ones, each group oldest first
/// (by id, which grows with each message stored). A new message is marked heard once it was
/// played to its end or skipped with 9. Keys pressed during a phrase interrupt it.
pub struct VoicemailMenu {
    config: MenuConfig,
    out: Outbox,
    state: State,
    entered: String,
    /// More keys than `MAX_PIN_DIGITS` were pressed: the entry is wrong whatever it holds.
    overflow: bool,
    tries: u32,
    playlist: Vec<MessageInfo>,
    current: usize,
    /// `MarkHeard` already sent for the current message.
    marked: bool,
    menu_replays: u32,
}

impl VoicemailMenu {
    pub fn new(config: MenuConfig) -> VoicemailMenu {
        let mut playlist = config.messages.clone();
        // Unheard first; ids ascending (oldest first) within each group.
        playlist.sort_by_key(|m| (m.heard, m.id));
        VoicemailMenu {
            config,
            out: Outbox::default(),
            state: State::Pin,
            entered: String::new(),
            overflow: false,
            tries: 0,
            playlist,
            current: 0,
            marked: false,
            menu_replays: 0,
        }
    }

    pub fn box_id(&self) -> &str {
        &self.config.box_id
    }

    fn closing(&mut self, phrases: &[SystemSound], now: Instant) {
        self.state = State::Closing;
        let items = phrases.iter().map(|s| Playback::System(*s));
        if !self.out.play_all(items, now) {
            self.out.finish(AppCommand::Hangup);
        }
    }

    /// Compares without stopping at the first difference, so timing does not tell how much of a
    /// guess was right.
    fn pin_matches(&self) -> bool {
        let pin = self.config.pin.as_bytes();
        let entered = self.entered.as_bytes();
        !pin.is_empty()
            && !self.overflow
            && pin.len() == entered.len()
            && pin
                .iter()
                .zip(entered)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    fn check_pin(&mut self, now: Instant) {
        let right = self.pin_matches();
        self.entered.clear();
        self.overflow = false;
        if right {
            self.opened(now);
            return;
        }
        self.tries += 1;
        if self.tries >= MAX_PIN_TRIES {
            self.closing(&[SystemSound::WrongPin, SystemSound::Goodbye], now);
        } else {
            self.out.play_all(
                [
                    Playback::System(SystemSound::WrongPin),
                    Playback::System(SystemSound::EnterPin),
                ],
                now,
            );
        }
    }

    fn opened(&mut self, now: Instant) {
        let new = self.playlist.iter().filter(|m| !m.heard).count();
        let old = self.playlist.len() - new;
        if new + old == 0 {
            self.closing(&[SystemSound::NoMessages, SystemSound::Goodbye], now);
            return;
        }
        let number =
            |n: usize| Playback::System(SystemSound::Number(u8::try_from(n).unwrap_or(u8::MAX)));
        let mut intro = vec![
            Playback::System(SystemSound::YouHave),
            number(new),
            Playback::System(SystemSound::NewMessages),
        ];
        if old > 0 {
            intro.push(number(old));
            intro.push(Playback::System(SystemSound::OldMessages));
        }
        self.state = State::Intro;
        self.out.play_all(intro, now);
    }

    fn play_message(&mut self, index: usize, now: Instant) {
        match self.playlist.get(index) {
            Some(message) => {
                let file = message.file.clone();
                self.current = index;
                self.menu_replays = 0;
                self.state = State::Message;
                self.out.play(Playback::File(file), now);
            }
            None => self.closing(&[SystemSound::NoMoreMessages, SystemSound::Goodbye], now),
        }
    }

    fn next(&mut self, now: Instant) {
        self.marked = false;
        self.play_message(self.current + 1, now);
    }

    fn mark_heard(&mut self) {
        if let Some(message) = self.playlist.get(self.current) {
            if !message.heard && !self.marked {
                self.marked = true;
                self.out.push(AppCommand::MarkHeard(message.id));
            }
        }
    }

    fn menu(&mut self, now: Instant) {
        self.state = State::Menu;
        self.out
            .play(Playback::System(SystemSound::MessageMenu), now);
    }

    fn menu_key(&mut self, key: char, now: Instant) {
        match key {
            '1' => {
                self.out.stop_play();
                self.play_message(self.current, now);
            }
            '7' => {
                self.out.stop_play();
                if let Some(message) = self.playlist.get(self.current) {
                    self.out.push(AppCommand::DeleteMessage(message.id));
                }
                self.state = State::Deleted;
                self.out
                    .play(Playback::System(SystemSound::MessageDeleted), now);
            }
            '9' => {
                self.out.stop_play();
                self.mark_heard();
                self.next(now);
            }
            '#' => {
                self.out.stop_play();
                self.closing(&[SystemSound::Goodbye], now);
            }
            // An unknown key while the message plays is ignored; at the menu it is said so.
            _ if self.state == State::Menu => {
                self.menu_replays = 0;
                self.state = State::Menu;
                self.out.play_all(
                    [
                        Playback::System(SystemSound::Invalid),
                        Playback::System(SystemSound::MessageMenu),
                    ],
                    now,
                );
            }
            _ => {}
        }
    }

    fn dtmf(&mut self, key: char, now: Instant) {
        match self.state {
            State::Pin => {
                self.out.stop_play();
                if key == '#' {
                    self.check_pin(now);
                    return;
                }
                if self.entered.len() < MAX_PIN_DIGITS {
                    self.entered.push(key);
                } else {
                    self.overflow = true;
                }
                self.out.set_deadline(Some(now + PIN_TIMEOUT));
            }
            State::Intro if key == '#' => {
                self.out.stop_play();
                self.closing(&[SystemSound::Goodbye], now);
            }
            State::Intro => {
                self.out.stop_play();
                self.play_message(0, now);
            }
            State::Message | State::Menu => {
                self.menu_replays = 0;
                self.menu_key(key, now);
            }
            State::Deleted => {
                self.out.stop_play();
                self.next(now);
            }
            State::Closing => self.out.finish(AppCommand::Hangup),
        }
    }

    /// The current phrase sequence came to its end.
    fn sequence_done(&mut self, now: Instant) {
        match self.state {
            State::Pin => self.out.set_deadline(Some(now + PIN_TIMEOUT)),
            State::Intro => self.play_message(0, now),
            State::Message => {
                self.mark_heard();
                self.menu(now);
            }
            State::Menu => self.out.set_deadline(Some(now + MENU_TIMEOUT)),
            State::Deleted => self.next(now),
            State::Closing => self.out.finish(AppCommand::Hangup),
        }
    }
}

impl App for VoicemailMenu {
    fn start(&mut self, now: Instant) {
        self.state = State::Pin;
        self.out.play(Playback::System(SystemSound::EnterPin), now);
    }

    fn handle(&mut self, input: AppInput, now: Instant) {
        if self.out.is_finished() {
            return;
        }
        match input {
            AppInput::Dtmf(key) => self.dtmf(key, now),
            AppInput::PlayDone(token) => {
                if self.out.play_done(token, now) == PlayEvent::Finished {
                    self.sequence_done(now);
                }
            }
            // The menu records nothing.
            AppInput::RecordDone { .. } => {}
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        if !self.out.due(now) {
            return;
        }
        if let Some(token) = self.out.current_play() {
            // The playback guard: act as if the phrase's end had been reported.
            self.handle(AppInput::PlayDone(token), now);
            return;
        }
        match self.state {
            State::Pin => self.check_pin(now),
            State::Menu if self.menu_replays == 0 => {
                self.menu_replays = 1;
                self.menu(now);
            }
            State::Menu => self.closing(&[SystemSound::Goodbye], now),
            // Nothing else waits without playing.
            State::Intro | State::Message | State::Deleted | State::Closing => {
                self.out.finish(AppCommand::Hangup)
            }
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
