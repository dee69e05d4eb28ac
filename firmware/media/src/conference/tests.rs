//! Scenario tests of the mix: who hears whom, at what level, cues, mute, speaker
//! selection, limiting, the clock.

use super::phone::Phone;
use super::sim::*;
use super::*;
use crate::codec::CodecKind;
use crate::dsp::analyse::goertzel_power;
use crate::dsp::tone::sine;
use std::time::Instant;

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
fn a_room_can_move_to_another_thread_and_lists_its_participants() {
    fn assert_send<T: Send>() {}
    assert_send::<Room>();
    let sim = Sim::new(three_phones([
        CodecKind::Pcmu,
        CodecKind::Opus,
        CodecKind::G722,
    ]));
    let ids: Vec<u64> = sim.room.participants().map(|p| p.0).collect();
    assert_eq!(ids, vec![1, 2, 3]);
    assert_eq!(sim.room.mix_rate(), 16_000);
}
