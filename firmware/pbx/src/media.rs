//! The media anchor seen from the call brain: a pair of relay ports per call, one facing each leg.
//! The daemon implements it over its RTP relay; tests use a fake.
use std::net::SocketAddr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The caller's leg (the box is its UAS).
    A,
    /// The callee's leg (the box is its UAC).
    B,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// Relay ports of one call: `port_a` is what leg A sends to, `port_b` what leg B sends to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaPorts {
    pub id: u64,
    pub port_a: u16,
    pub port_b: u16,
}

impl MediaPorts {
    pub fn port(&self, side: Side) -> u16 {
        match side {
            Side::A => self.port_a,
            Side::B => self.port_b,
        }
    }
}

pub trait MediaControl {
    /// `None` when no ports are free (the call is refused with 503).
    fn open(&mut self) -> Option<MediaPorts>;
    /// Where `side` said (in its SDP) it wants media; the relay still latches to the real source.
    fn set_remote(&mut self, id: u64, side: Side, addr: SocketAddr);
    fn close(&mut self, id: u64);

    // The media server (issue 4). Defaults do nothing so that a relay-only fake still works.

    /// The format `side` negotiated (after its offer/answer completed).
    fn set_format(&mut self, _id: u64, _side: Side, _format: SideFormat) {}
    /// Bridge A and B (the default state of a new call): pass-through when both sides have the
    /// same codec, transcoding otherwise. Stops any playback/recording on both sides.
    fn connect(&mut self, _id: u64) {}
    /// Play to `side` (instead of relaying the other leg to it); replaces any playback there.
    /// DTMF detection runs on a side while the box plays to it or records it.
    fn play(&mut self, _id: u64, _side: Side, _what: Playback, _token: u64) {}
    /// Stop playing to `side` (silence follows; no `PlayDone`).
    fn stop_play(&mut self, _id: u64, _side: Side) {}
    /// Record what `side` sends until a limit or `stop_record`; ends with `RecordDone`.
    fn record(&mut self, _id: u64, _side: Side, _spec: RecordSpec, _token: u64) {}
    fn stop_record(&mut self, _id: u64, _side: Side) {}
    /// Record the whole call (both directions) until `close`.
    fn record_call(&mut self, _id: u64, _recording: CallRecording) {}
}

/// What one leg negotiated with the box: its codec, the payload type it uses for it, and its
/// RFC 4733 telephone-event payload type if it offered one. The relay passes packets through
/// unchanged when both legs have the same codec and transcodes when they differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SideFormat {
    pub codec: media::codec::CodecKind,
    pub payload_type: u8,
    pub telephone_event: Option<u8>,
}

/// Audio the box itself plays to a leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playback {
    /// A file in the internal format (16 kHz mono PCM16 WAV), absolute path. Plays once.
    File(std::path::PathBuf),
    /// Music on hold: the file, or the firmware's default track when `None`. Loops.
    MusicOnHold(Option<std::path::PathBuf>),
    /// A built-in prompt of the firmware (default greetings, menu phrases). Plays once.
    System(media::dsp::tone::SystemSound),
    /// A call-progress tone or beep (finite tones end with `PlayDone`, cadenced ones loop).
    Tone(media::dsp::tone::ToneKind),
}

/// A recording of one leg's audio (what the leg says), e.g. a voicemail message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSpec {
    /// Absolute path of the WAV file to write (8 kHz mono PCM16); parent folders are created.
    pub path: std::path::PathBuf,
    /// Stop after this long.
    pub max: std::time::Duration,
    /// Stop after this much continuous silence (None: never for silence).
    pub silence: Option<std::time::Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordEnd {
    Silence,
    MaxLength,
    /// `stop_record`, or the leg was closed/connected elsewhere.
    Stopped,
}

/// What the media side reports to the call brain (`Pbx::handle_media_event`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaEvent {
    /// A key pressed on `side` (RFC 4733 event or in-band tone), reported once per press.
    Dtmf { id: u64, side: Side, digit: char },
    /// A `play` with this token came to its end (not sent for `stop_play` or a replaced play).
    PlayDone { id: u64, side: Side, token: u64 },
    /// A `record` with this token ended; the file is complete and closed.
    RecordDone {
        id: u64,
        side: Side,
        token: u64,
        end: RecordEnd,
        duration: std::time::Duration,
    },
}

/// Call recording: both legs, A in the left channel and B in the right (8 kHz stereo PCM16 WAV).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecording {
    pub path: std::path::PathBuf,
}
