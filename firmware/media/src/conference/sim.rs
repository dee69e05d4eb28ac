//! Virtual-time harness of the scenario tests: simulated phones exchange RTP with a room
//! tick by tick, and what each one decoded is analysed afterwards.

use super::phone::Phone;
use super::*;
use crate::codec::CodecKind;
use crate::dsp::analyse::goertzel_power;
use crate::dsp::tone::sine;
use std::time::Instant;

/// Level of each talker's tone, and the Goertzel power a tone at that level reads.
pub(super) const TALK_DBFS: f32 = -20.0;
pub(super) fn expected_power(dbfs: f32) -> f32 {
    // A sine of amplitude A (full scale 1.0) reads A² / 2.
    let a = 10f32.powf(dbfs / 20.0);
    a * a / 2.0
}

pub(super) fn tone(freq: f32, codec: CodecKind) -> Vec<i16> {
    // One second loops seamlessly for every frequency used here (whole cycles).
    sine(
        freq,
        TALK_DBFS,
        codec.sample_rate(),
        codec.sample_rate() as usize,
    )
}

pub(super) fn db(power: f32, reference: f32) -> f32 {
    10.0 * (power.max(1e-20) / reference).log10()
}

/// What happens to a phone's packet on its way to the room.
pub(super) type Network = Box<dyn FnMut(usize, u64, Vec<u8>) -> Vec<Vec<u8>>>;

pub(super) struct Sim {
    pub room: Room,
    pub phones: Vec<Phone>,
    pub now: Instant,
    pub ticks: u64,
    pub network: Network,
}

impl Sim {
    pub fn new(phones: Vec<Phone>) -> Sim {
        let now = Instant::now();
        let mut room = Room::new(16_000).unwrap();
        for p in &phones {
            room.join(p.id, p.codec, p.payload_type, p.room_ssrc, now)
                .unwrap();
        }
        Sim {
            room,
            phones,
            now,
            ticks: 0,
            network: Box::new(|_, _, p| vec![p]),
        }
    }

    /// Runs `ms` of virtual time: each phone sends its packet, the room ticks when due, the
    /// phones hear what it sent.
    pub fn run(&mut self, ms: u64) {
        for _ in 0..ms / 20 {
            for (i, phone) in self.phones.iter_mut().enumerate() {
                for packet in phone.next_packets() {
                    for p in (self.network)(i, self.ticks, packet) {
                        self.room.push_rtp(phone.id, &p, self.now).unwrap();
                    }
                }
            }
            let due = self.room.poll_timeout().unwrap();
            assert!(due <= self.now, "the room is due every 20 ms");
            self.room.tick(self.now);
            while let Some((to, packet)) = self.room.poll_packet() {
                let phone = self.phones.iter_mut().find(|p| p.id == to).unwrap();
                phone.hear(&packet);
            }
            self.now += TICK;
            self.ticks += 1;
        }
    }

    pub fn leave(&mut self, index: usize) -> Phone {
        let phone = self.phones.remove(index);
        self.room.leave(phone.id, self.now);
        phone
    }
}

/// Checks `heard` carries each of `present` at the talk level and none of `absent`.
pub(super) fn assert_hears(who: &str, heard: &[i16], rate: u32, present: &[f32], absent: &[f32]) {
    let reference = expected_power(TALK_DBFS);
    for &f in present {
        let level = db(goertzel_power(heard, rate, f), reference);
        assert!(
            level.abs() < 1.5,
            "{who} should hear {f} Hz at the talk level, got {level:+.1} dB"
        );
    }
    for &f in absent {
        let level = db(goertzel_power(heard, rate, f), reference);
        assert!(
            level < -30.0,
            "{who} should not hear {f} Hz, got {level:+.1} dB"
        );
    }
}

pub(super) fn three_phones(codecs: [CodecKind; 3]) -> Vec<Phone> {
    let freqs = [440.0, 660.0, 880.0];
    (0..3)
        .map(|i| Phone::new(i as u64 + 1, codecs[i], tone(freqs[i], codecs[i])))
        .collect()
}
