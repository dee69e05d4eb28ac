//! Why the conference mixer refused something. The relay maps each variant to its own
//! reaction: a bad datagram is dropped and counted, a join failure ends that call leg.

use super::ParticipantId;
use crate::codec::{CodecError, CodecKind};
use crate::error::RtpError;
use crate::resample::ResampleError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum ConferenceError {
    /// The mix runs in 20 ms frames, so its rate must be a multiple of 50 Hz that the
    /// resampler supports.
    #[error("mix rate {hz} Hz is not supported (8000, 16000, 24000, 32000 or 48000)")]
    UnsupportedMixRate { hz: u32 },
    #[error("participant {id:?} is already in the room")]
    AlreadyJoined { id: ParticipantId },
    #[error("participant {id:?} is not in the room")]
    UnknownParticipant { id: ParticipantId },
    #[error("the room is full ({max} participants)")]
    RoomFull { max: usize },
    /// The codec could not start (only Opus can fail: libopus allocates its state).
    #[error("cannot start {codec:?}: {source}")]
    Codec {
        codec: CodecKind,
        #[source]
        source: CodecError,
    },
    #[error("cannot convert between {from_hz} Hz and {to_hz} Hz: {source}")]
    Resample {
        from_hz: u32,
        to_hz: u32,
        #[source]
        source: ResampleError,
    },
    /// A datagram that is not a well-formed RTP packet.
    #[error("participant {id:?} sent a malformed RTP packet: {source}")]
    BadRtp {
        id: ParticipantId,
        #[source]
        source: RtpError,
    },
    /// RTP with another payload type than the one negotiated (telephone-event, comfort
    /// noise, a codec switch the signalling never agreed): not audio for the mix.
    #[error("participant {id:?} sent payload type {found}, expected {expected}")]
    UnexpectedPayloadType {
        id: ParticipantId,
        found: u8,
        expected: u8,
    },
    /// A packet whose payload is empty or larger than any 20-120 ms audio frame.
    #[error("participant {id:?} sent a payload of {len} bytes")]
    BadPayloadLength { id: ParticipantId, len: usize },
}
