//! The room: who is in it, the 20 ms clock, speaker selection and the per-listener mix.

use super::cues::{Cue, CuePlayer};
use super::participant::Participant;
use super::{ConferenceError, ParticipantId, ParticipantStats};
use crate::codec::CodecKind;
use crate::rtp::RtpPacket;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The mix period: one packet in and out per participant.
pub const TICK: Duration = Duration::from_millis(20);
/// Participants mixed at once (the loudest ones); see the module documentation.
pub const MAX_SPEAKERS: usize = 4;
/// Participants per room: bounds the CPU one room can take on the appliance.
pub const MAX_PARTICIPANTS: usize = 64;
/// Ticks run back to back when the caller was late; beyond this the room skips ahead
/// instead of sending a burst nobody's jitter buffer could absorb.
const MAX_CATCH_UP: usize = 5;
/// Speakers quieter than this (smoothed) are not mixed: an open line's hiss is not a voice.
const SPEAKER_FLOOR_MEAN_SQUARE: f32 = 32_767.0 * 32_767.0 / 2.0 * 1e-6; // -60 dBFS
/// Largest audio payload accepted: 120 ms of G.711 (Opus and G.722 frames are smaller).
const MAX_PAYLOAD: usize = 960;
/// Packets waiting in the outbox per participant at most (a caller that stops polling
/// loses the oldest, the memory stays bounded).
const OUTBOX_PER_PARTICIPANT: usize = 10;

/// A conference room mixer. See the module documentation.
pub struct Room {
    mix_rate: u32,
    frame_len: usize,
    participants: Vec<Participant>,
    next_tick: Option<Instant>,
    cues: CuePlayer,
    outbox: VecDeque<(ParticipantId, Vec<u8>)>,
    /// Scratch buffers reused every tick.
    speakers: Vec<usize>,
    total: Vec<i32>,
    sums: Vec<i32>,
    mix: Vec<i16>,
}

impl Room {
    /// An empty room mixing at `mix_rate` Hz (16 000 recommended: wideband).
    pub fn new(mix_rate: u32) -> Result<Room, ConferenceError> {
        if !matches!(mix_rate, 8000 | 16_000 | 24_000 | 32_000 | 48_000) {
            return Err(ConferenceError::UnsupportedMixRate { hz: mix_rate });
        }
        Ok(Room {
            mix_rate,
            frame_len: (mix_rate / 50) as usize,
            participants: Vec::new(),
            next_tick: None,
            cues: CuePlayer::new(mix_rate),
            outbox: VecDeque::new(),
            speakers: Vec::new(),
            total: Vec::new(),
            sums: Vec::new(),
            mix: Vec::new(),
        })
    }

    pub fn mix_rate(&self) -> u32 {
        self.mix_rate
    }

    pub fn len(&self) -> usize {
        self.participants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.participants.is_empty()
    }

    /// Who is in the room, in the order they joined.
    pub fn participants(&self) -> impl Iterator<Item = ParticipantId> + '_ {
        self.participants.iter().map(|p| p.id)
    }

    pub fn contains(&self, id: ParticipantId) -> bool {
        self.index(id).is_some()
    }

    /// Adds a participant who sends and receives `codec` with `payload_type`; the room sends
    /// to them with SSRC `ssrc` (drawn at random by the caller). Everyone, the newcomer
    /// included, hears the join tone. The first participant starts the clock at `now`.
    pub fn join(
        &mut self,
        id: ParticipantId,
        codec: CodecKind,
        payload_type: u8,
        ssrc: u32,
        now: Instant,
    ) -> Result<(), ConferenceError> {
        if self.contains(id) {
            return Err(ConferenceError::AlreadyJoined { id });
        }
        if self.participants.len() >= MAX_PARTICIPANTS {
            return Err(ConferenceError::RoomFull {
                max: MAX_PARTICIPANTS,
            });
        }
        let p = Participant::new(id, codec, payload_type, ssrc, self.mix_rate)?;
        self.participants.push(p);
        self.cues.enqueue(Cue::Join);
        if self.next_tick.is_none() {
            self.next_tick = Some(now);
        }
        Ok(())
    }

    /// Removes a participant (unknown ids are ignored: a leg may end twice). The others hear
    /// the leave tone; packets still queued for the leaver are dropped.
    pub fn leave(&mut self, id: ParticipantId, now: Instant) {
        let _ = now; // Kept for symmetry with `join`: the relay always has the time at hand.
        let Some(i) = self.index(id) else {
            return;
        };
        self.participants.remove(i);
        self.outbox.retain(|(to, _)| *to != id);
        if self.participants.is_empty() {
            self.next_tick = None;
            self.cues.clear();
        } else {
            self.cues.enqueue(Cue::Leave);
        }
    }

    /// Mutes or unmutes what a participant says (they still hear the room).
    pub fn set_muted(&mut self, id: ParticipantId, muted: bool) -> Result<(), ConferenceError> {
        let i = self
            .index(id)
            .ok_or(ConferenceError::UnknownParticipant { id })?;
        self.participants[i].set_muted(muted);
        Ok(())
    }

    /// Counters of a participant's streams.
    pub fn stats(&self, id: ParticipantId) -> Option<ParticipantStats> {
        self.index(id).map(|i| self.participants[i].stats)
    }

    /// One datagram from a participant. Anything that is not audio of the negotiated payload
    /// type is refused with a typed error (the relay drops it); it never panics. `now` is not
    /// needed by the fixed-depth jitter buffer; it is taken so an adaptive one can come later
    /// without changing callers.
    pub fn push_rtp(
        &mut self,
        id: ParticipantId,
        packet: &[u8],
        now: Instant,
    ) -> Result<(), ConferenceError> {
        let _ = now;
        let i = self
            .index(id)
            .ok_or(ConferenceError::UnknownParticipant { id })?;
        let p = &mut self.participants[i];
        let rtp = match RtpPacket::parse(packet) {
            Ok(rtp) => rtp,
            Err(source) => {
                p.stats.rejected += 1;
                return Err(ConferenceError::BadRtp { id, source });
            }
        };
        if rtp.payload_type != p.payload_type {
            p.stats.rejected += 1;
            return Err(ConferenceError::UnexpectedPayloadType {
                id,
                found: rtp.payload_type,
                expected: p.payload_type,
            });
        }
        if rtp.payload.is_empty() || rtp.payload.len() > MAX_PAYLOAD {
            p.stats.rejected += 1;
            return Err(ConferenceError::BadPayloadLength {
                id,
                len: rtp.payload.len(),
            });
        }
        if !p.muted {
            p.receive(rtp.ssrc, rtp.sequence, rtp.payload);
        }
        Ok(())
    }

    /// When [`Room::tick`] is due next; `None` while the room is empty.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.next_tick
    }

    /// Runs every mix period due by `now` (normally one).
    pub fn tick(&mut self, now: Instant) {
        let Some(mut due) = self.next_tick else {
            return;
        };
        let mut done = 0;
        while due <= now {
            if done == MAX_CATCH_UP {
                // Far behind (the process was stalled): resynchronise instead of bursting.
                due = now + TICK;
                break;
            }
            self.mix_once();
            due += TICK;
            done += 1;
        }
        self.next_tick = Some(due);
    }

    /// The next RTP packet to send, and to whom.
    pub fn poll_packet(&mut self) -> Option<(ParticipantId, Vec<u8>)> {
        self.outbox.pop_front()
    }

    fn index(&self, id: ParticipantId) -> Option<usize> {
        self.participants.iter().position(|p| p.id == id)
    }

    fn mix_once(&mut self) {
        let n = self.frame_len;
        for p in &mut self.participants {
            p.pull_frame(n);
        }
        self.select_speakers();

        self.total.clear();
        self.total.resize(n, 0);
        for &s in &self.speakers {
            for (t, &x) in self.total.iter_mut().zip(&self.participants[s].frame) {
                *t += i32::from(x);
            }
        }
        // Cues are heard by every listener, so they join the common part of the mix.
        self.cues.mix_into(&mut self.total);

        for (i, p) in self.participants.iter_mut().enumerate() {
            self.sums.clear();
            self.sums.extend_from_slice(&self.total);
            if self.speakers.contains(&i) {
                for (s, &own) in self.sums.iter_mut().zip(&p.frame) {
                    *s -= i32::from(own);
                }
            }
            p.limiter.process(&self.sums, &mut self.mix);
            if let Some(packet) = p.send(&self.mix) {
                self.outbox.push_back((p.id, packet));
            }
        }
        let cap = OUTBOX_PER_PARTICIPANT * self.participants.len().max(1);
        while self.outbox.len() > cap {
            self.outbox.pop_front();
        }
    }

    /// Fills `speakers` with the indices of the loudest active participants.
    fn select_speakers(&mut self) {
        self.speakers.clear();
        self.speakers.extend(
            self.participants
                .iter()
                .enumerate()
                .filter(|(_, p)| p.active && p.loudness >= SPEAKER_FLOOR_MEAN_SQUARE)
                .map(|(i, _)| i),
        );
        if self.speakers.len() > MAX_SPEAKERS {
            let participants = &self.participants;
            self.speakers.sort_by(|&a, &b| {
                participants[b]
                    .loudness
                    .total_cmp(&participants[a].loudness)
            });
            self.speakers.truncate(MAX_SPEAKERS);
        }
    }
}
