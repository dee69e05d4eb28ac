//! Conference rooms: a sans-IO audio mixer (each participant hears everyone but themselves).
//!
//! A [`Room`] takes each participant's RTP in ([`Room::push_rtp`]), and every 20 ms
//! ([`Room::tick`], due at [`Room::poll_timeout`]) sends each of them one RTP packet of the
//! mix in their own codec and rate ([`Room::poll_packet`]). The daemon's relay owns the
//! sockets and the clock; the room owns no I/O, no clock and no RNG.
//!
//! How a tick works:
//!
//! 1. each participant's jitter buffer yields its packet for this tick, which is
//!    decoded (or concealed when lost) and resampled to the mix rate (16 kHz: wideband, so
//!    G.722 and Opus callers keep their bandwidth while G.711 costs little). A participant
//!    who sends nothing is not decoded at all;
//! 2. only the [`MAX_SPEAKERS`] loudest participants are mixed. Conference mixers and SFUs
//!    commonly do this: a fifth simultaneous talker is unintelligible anyway, while every
//!    extra open line adds its background noise, and the cost of the mix stays bounded
//!    however many people listen;
//! 3. each listener gets the sum of the speakers minus their own voice (mix-minus, as
//!    [`crate::dsp::mix::mix_minus`], but summed in i32), plus any join/leave cue,
//!    through a limiter that lowers the gain instead of clipping when many talk at once;
//! 4. that mix is resampled to the listener's codec rate, encoded, and packetised with the
//!    listener's own SSRC, sequence numbers and timestamps.

mod cues;
mod error;
mod jitter;
mod limiter;
mod participant;
mod room;
mod rtp_out;

#[cfg(test)]
mod bench_tests;
#[cfg(test)]
mod network_tests;
#[cfg(test)]
mod phone;
#[cfg(test)]
mod robustness_tests;
#[cfg(test)]
mod sim;
#[cfg(test)]
mod tests;

pub use error::ConferenceError;
pub use room::{Room, MAX_PARTICIPANTS, MAX_SPEAKERS, TICK};

/// Who a participant is: the relay's own identifier for the call leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ParticipantId(pub u64);

/// Counters of one participant's streams, for diagnostics and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParticipantStats {
    /// Well-formed audio packets received.
    pub received: u64,
    /// Packets that were not RTP, or not the negotiated payload type or size.
    pub rejected: u64,
    /// Packets that arrived after their turn (already concealed).
    pub late: u64,
    pub duplicates: u64,
    /// Packets dropped because the jitter buffer was full.
    pub overflowed: u64,
    /// Frames concealed (lost, or late beyond the buffer).
    pub concealed: u64,
    /// Ticks whose 20 ms were only partly there (the rest played as silence): the end of a
    /// talkspurt, or short packets arriving late.
    pub short_frames: u64,
    /// Payloads the decoder refused (concealed instead).
    pub undecodable: u64,
    /// Packets sent to the participant.
    pub sent: u64,
    /// Frames the encoder refused (no packet sent for that tick).
    pub unencodable: u64,
}
