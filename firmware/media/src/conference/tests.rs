//! Scenario tests of the room in virtual time: simulated phones exchange RTP with it
//! tick by tick, and what each one decoded is analysed afterwards.

use super::phone::Phone;
use super::*;
use crate::codec::CodecKind;
use crate::dsp::analyse::goertzel_power;
use crate::dsp::tone::sine;
use std::time::Instant;

/// Level of each talker's tone, and the Goertzel power a tone at that level reads.
const TALK_DBFS: f32 = -20.0;
fn expected_power(dbfs: f32) -> f32 {
    // A sine of amplitude A (full scale 1.0) reads A² / 2.
    let a = 10f32.powf(dbfs / 20.0);
    a * a / 2.0
}

fn tone(freq: f32, codec: CodecKind) -> Vec<i16> {
    // One second loops seamlessly for every frequency used here (whole cycles).
    sine(
        freq,
        TALK_DBFS,
        codec.sample_rate(),
        codec.sample_rate() as usize,
    )
}

fn db(power: f32, reference: f32) -> f32 {
    10.0 * (power.max(1e-20) / reference).log10()
}

/// What happens to a phone's packet on its way to the room.
type Network = Box<dyn FnMut(usize, u64, Vec<u8>) -> Vec<Vec<u8>>>;

struct Sim {
    room: Room,
    phones: Vec<Phone>,
    now: Instant,
    ticks: u64,
    network: Network,
}

impl Sim {
    fn new(phones: Vec<Phone>) -> Sim {
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
    fn run(&mut self, ms: u64) {
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

    fn leave(&mut self, index: usize) -> Phone {
        let phone = self.phones.remove(index);
        self.room.leave(phone.id, self.now);
        phone
    }
}

/// Checks `heard` carries each of `present` at the talk level and none of `absent`.
fn assert_hears(who: &str, heard: &[i16], rate: u32, present: &[f32], absent: &[f32]) {
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

fn three_phones(codecs: [CodecKind; 3]) -> Vec<Phone> {
    let freqs = [440.0, 660.0, 880.0];
    (0..3)
        .map(|i| Phone::new(i as u64 + 1, codecs[i], tone(freqs[i], codecs[i])))
        .collect()
}

#[test]
fn each_hears_the_two_others_and_not_themselves_in_mixed_codecs() {
    let freqs = [440.0, 660.0, 880.0];
    let mut sim = Sim::new(three_phones([
        CodecKind::Pcmu,
        CodecKind::G722,
        CodecKind::Opus,
    ]));
    sim.run(1600);
    for (i, phone) in sim.phones.iter().enumerate() {
        let others: Vec<f32> = (0..3).filter(|&j| j != i).map(|j| freqs[j]).collect();
        let rate = phone.codec.sample_rate();
        assert_hears(
            &format!("{:?}", phone.codec),
            phone.tail(600),
            rate,
            &others,
            &[freqs[i]],
        );
        // One packet per tick, marker on the first only (checked in `hear` for continuity).
        assert_eq!(phone.packets_heard, 80);
        assert_eq!(phone.markers, 1);
    }
}

#[test]
fn the_same_holds_for_pcma_and_for_an_8_khz_mix() {
    let freqs = [440.0, 660.0, 880.0];
    let mut sim = Sim::new(three_phones([
        CodecKind::Pcma,
        CodecKind::Pcmu,
        CodecKind::Pcma,
    ]));
    sim.room = Room::new(8000).unwrap();
    for p in &sim.phones {
        sim.room
            .join(p.id, p.codec, p.payload_type, p.room_ssrc, sim.now)
            .unwrap();
    }
    sim.run(1600);
    for (i, phone) in sim.phones.iter().enumerate() {
        let others: Vec<f32> = (0..3).filter(|&j| j != i).map(|j| freqs[j]).collect();
        assert_hears("G.711", phone.tail(600), 8000, &others, &[freqs[i]]);
    }
}

/// Levels (dB against the cue level) of `first` in the first note's 100 ms and of `second`
/// in the second note's, at the start of `pcm`.
fn cue_notes_of(pcm: &[i16], rate: u32, first: f32, second: f32) -> (f32, f32) {
    let r = rate as usize;
    let reference = expected_power(-16.0);
    let a = goertzel_power(&pcm[r / 100..r / 10], rate, first);
    let b = goertzel_power(&pcm[r * 14 / 100..r * 23 / 100], rate, second);
    (db(a, reference), db(b, reference))
}

fn cue_notes(pcm: &[i16], rate: u32) -> (f32, f32) {
    cue_notes_of(pcm, rate, 523.25, 783.99)
}

#[test]
fn everyone_hears_the_join_tone_and_the_others_the_leave_tone() {
    let mut sim = Sim::new(vec![
        Phone::new(1, CodecKind::Pcmu, Vec::new()),
        Phone::new(2, CodecKind::G722, Vec::new()),
    ]);
    sim.run(600);
    for phone in &sim.phones {
        // Silent phones: all they hear is the cues (two joins), rising C5 then G5.
        let (low, high) = cue_notes(&phone.heard, phone.codec.sample_rate());
        assert!(
            low > -4.0 && high > -4.0,
            "join tone: {low:+.1} dB, {high:+.1} dB"
        );
        let (reversed_a, reversed_b) =
            cue_notes_of(&phone.heard, phone.codec.sample_rate(), 783.99, 523.25);
        assert!(
            reversed_a < -20.0 && reversed_b < -20.0,
            "the join tone rises"
        );
    }
    let before: Vec<usize> = sim.phones.iter().map(|p| p.heard.len()).collect();
    sim.leave(0);
    sim.run(400);
    let phone = &sim.phones[0];
    let after = &phone.heard[before[1]..];
    let rate = phone.codec.sample_rate() as usize;
    let (high, low) = cue_notes_of(after, rate as u32, 783.99, 523.25);
    assert!(
        high > -4.0 && low > -4.0,
        "leave tone: {high:+.1} dB, {low:+.1} dB"
    );
    // Then silence.
    let rest = phone.tail(100).iter().map(|s| s.abs()).max();
    assert!(rest < Some(50), "{rest:?}");
}

#[test]
fn a_participant_who_leaves_stops_being_heard() {
    let mut sim = Sim::new(three_phones([
        CodecKind::Pcmu,
        CodecKind::Pcmu,
        CodecKind::G722,
    ]));
    sim.run(1000);
    let gone = sim.leave(2);
    assert!(!sim.room.contains(gone.id));
    assert_eq!(sim.room.len(), 2);
    sim.run(1000);
    assert_hears(
        "first",
        sim.phones[0].tail(500),
        8000,
        &[660.0],
        &[440.0, 880.0],
    );
    assert_hears(
        "second",
        sim.phones[1].tail(500),
        8000,
        &[440.0],
        &[660.0, 880.0],
    );
    // Leaving twice, or someone never there, is harmless.
    sim.room.leave(gone.id, sim.now);
    sim.room.leave(ParticipantId(999), sim.now);
    // The last one out stops the clock.
    let a = sim.leave(0);
    let b = sim.leave(0);
    assert!(sim.room.is_empty() && sim.room.poll_timeout().is_none());
    assert!(
        sim.room.poll_packet().is_none(),
        "nothing queued for people gone"
    );
    drop((a, b));
}

#[test]
fn loss_and_reordering_are_concealed_and_fixed() {
    let mut sim = Sim::new(three_phones([
        CodecKind::Pcmu,
        CodecKind::Opus,
        CodecKind::G722,
    ]));
    // Phone 0 loses one packet in ten; phone 1's packets arrive in swapped pairs.
    let mut held: Option<Vec<u8>> = None;
    sim.network = Box::new(move |phone, tick, packet| match phone {
        0 if tick % 10 == 7 => vec![],
        1 => match held.take() {
            Some(earlier) => vec![packet, earlier],
            None => {
                held = Some(packet);
                vec![]
            }
        },
        _ => vec![packet],
    });
    sim.run(2000);
    let s0 = sim.room.stats(sim.phones[0].id).unwrap();
    let s1 = sim.room.stats(sim.phones[1].id).unwrap();
    assert!(s0.concealed >= 9, "{s0:?}");
    assert_eq!(
        s1.late, 0,
        "a swapped pair is reordered, not dropped: {s1:?}"
    );
    assert!(s1.concealed <= 2, "{s1:?}");
    // The listener still hears both, the lossy one a little lower at most.
    let heard = sim.phones[2].tail(1000);
    let reference = expected_power(TALK_DBFS);
    let lossy = db(goertzel_power(heard, 16_000, 440.0), reference);
    let swapped = db(goertzel_power(heard, 16_000, 660.0), reference);
    assert!(
        (-3.0..1.5).contains(&lossy),
        "lossy talker at {lossy:+.1} dB"
    );
    assert!(swapped.abs() < 1.5, "reordered talker at {swapped:+.1} dB");
}

#[test]
fn a_muted_participant_is_not_heard_until_unmuted() {
    let mut sim = Sim::new(three_phones([
        CodecKind::Pcmu,
        CodecKind::Pcmu,
        CodecKind::Pcmu,
    ]));
    sim.room.set_muted(sim.phones[0].id, true).unwrap();
    sim.run(1000);
    assert_hears(
        "listener",
        sim.phones[1].tail(500),
        8000,
        &[880.0],
        &[440.0],
    );
    sim.room.set_muted(sim.phones[0].id, false).unwrap();
    sim.run(600);
    assert_hears(
        "listener",
        sim.phones[1].tail(400),
        8000,
        &[440.0, 880.0],
        &[],
    );
    assert!(matches!(
        sim.room.set_muted(ParticipantId(42), true),
        Err(ConferenceError::UnknownParticipant { .. })
    ));
}

#[test]
fn only_the_loudest_speakers_are_mixed_and_loud_mixes_do_not_clip() {
    // Six talkers from loud to quiet, and one listener who says nothing.
    let freqs = [500.0, 700.0, 900.0, 1100.0, 1300.0, 1500.0];
    let levels = [-3.0, -4.0, -5.0, -6.0, -20.0, -22.0];
    let mut phones: Vec<Phone> = (0..6)
        .map(|i| {
            let pcm = sine(freqs[i], levels[i], 16_000, 16_000);
            Phone::new(i as u64 + 1, CodecKind::G722, pcm)
        })
        .collect();
    phones.push(Phone::new(7, CodecKind::G722, Vec::new()));
    let mut sim = Sim::new(phones);
    sim.run(1600);
    let heard = sim.phones[6].tail(600);
    let power = |i: usize| {
        db(
            goertzel_power(heard, 16_000, freqs[i]),
            expected_power(levels[i]),
        )
    };
    // The four loudest, summed near 4x full scale, come through limited (reduced together
    // and never clipped); the two quiet ones are left out.
    for i in 0..4 {
        assert!(
            (-16.0..-6.0).contains(&power(i)),
            "talker {i}: {:+.1} dB",
            power(i)
        );
    }
    for i in 4..6 {
        assert!(power(i) < -30.0, "talker {i} mixed: {:+.1} dB", power(i));
    }
    let peak = heard.iter().map(|s| i32::from(*s).abs()).max().unwrap();
    assert!(peak < 32_000, "limited mix peaks at {peak}");
}

#[test]
fn a_stalled_caller_gets_a_bounded_catch_up() {
    let mut sim = Sim::new(three_phones([
        CodecKind::Pcmu,
        CodecKind::Pcmu,
        CodecKind::Pcmu,
    ]));
    sim.run(200);
    let late = sim.now + std::time::Duration::from_secs(2);
    sim.room.tick(late);
    let mut n = 0;
    while sim.room.poll_packet().is_some() {
        n += 1;
    }
    assert!(n <= 3 * 5, "{n} packets after a stall");
    assert!(sim.room.poll_timeout().unwrap() > late);
}

#[test]
fn join_errors_are_typed() {
    let now = Instant::now();
    assert!(matches!(
        Room::new(44_100),
        Err(ConferenceError::UnsupportedMixRate { hz: 44_100 })
    ));
    let mut room = Room::new(16_000).unwrap();
    for i in 0..MAX_PARTICIPANTS as u64 {
        room.join(ParticipantId(i), CodecKind::Pcmu, 0, i as u32, now)
            .unwrap();
    }
    assert!(matches!(
        room.join(ParticipantId(0), CodecKind::Pcmu, 0, 1, now),
        Err(ConferenceError::AlreadyJoined { .. })
    ));
    assert!(matches!(
        room.join(ParticipantId(1000), CodecKind::Pcmu, 0, 1, now),
        Err(ConferenceError::RoomFull { .. })
    ));
    assert!(matches!(
        room.push_rtp(ParticipantId(1000), &[0x80; 20], now),
        Err(ConferenceError::UnknownParticipant { .. })
    ));
}

#[test]
fn a_phone_sending_10_ms_packets_is_heard_whole() {
    let mut phones = three_phones([CodecKind::Pcmu, CodecKind::Pcma, CodecKind::G722]);
    phones[0] = Phone::new(1, CodecKind::Pcmu, tone(440.0, CodecKind::Pcmu)).with_10ms_packets();
    let mut sim = Sim::new(phones);
    // Every other tick, the second 10 ms packet comes just after the tick.
    let (mut this_tick, mut nth, mut held) = (u64::MAX, 0, None);
    sim.network = Box::new(move |phone, tick, packet| {
        if phone != 0 {
            return vec![packet];
        }
        nth = if tick == this_tick { nth + 1 } else { 0 };
        this_tick = tick;
        let mut out: Vec<Vec<u8>> = if nth == 0 {
            held.take().into_iter().collect()
        } else {
            Vec::new()
        };
        if tick % 2 == 1 && nth == 1 {
            held = Some(packet);
        } else {
            out.push(packet);
        }
        out
    });
    sim.run(1600);
    let stats = sim.room.stats(sim.phones[0].id).unwrap();
    assert_eq!(
        (stats.late, stats.concealed, stats.short_frames),
        (0, 0, 0),
        "{stats:?}"
    );
    assert_hears(
        "G.722",
        sim.phones[2].tail(600),
        16_000,
        &[440.0, 660.0],
        &[880.0],
    );
}

#[test]
fn a_jitter_spike_is_concealed_and_the_delayed_packets_still_play() {
    let mut sim = Sim::new(three_phones([
        CodecKind::Pcmu,
        CodecKind::Pcmu,
        CodecKind::Pcmu,
    ]));
    // Phone 0's packets of ticks 20-22 are stuck for 60 ms and arrive with tick 23's.
    let mut stuck = Vec::new();
    sim.network = Box::new(move |phone, tick, packet| {
        if phone != 0 {
            return vec![packet];
        }
        stuck.push(packet);
        if (20..23).contains(&tick) {
            Vec::new()
        } else {
            std::mem::take(&mut stuck)
        }
    });
    sim.run(1000);
    let stats = sim.room.stats(sim.phones[0].id).unwrap();
    assert_eq!(stats.late, 0, "{stats:?}");
    assert!((1..=3).contains(&stats.concealed), "{stats:?}");
    // The extra delay drains once (one packet dropped after a second at most).
    sim.run(1200);
    let stats = sim.room.stats(sim.phones[0].id).unwrap();
    assert!(stats.overflowed <= 3, "{stats:?}");
    assert_hears(
        "listener",
        sim.phones[1].tail(500),
        8000,
        &[440.0, 880.0],
        &[660.0],
    );
}
