//! Recording, DTMF, transcoding and call-recording tests over real UDP sockets on
//! 127.0.0.1. Port range 61460-61599 (see `tests` for why 61xxx).
#![allow(clippy::unwrap_used)]

use super::media_test_util::*;

#[tokio::test]
async fn records_a_leg_with_lost_packets_concealed() {
    let mut call = Call::new(61460).await;
    let dir = temp_dir("record");
    let path = dir.join("sub/message.wav");
    call.table.set_format(call.id(), Side::A, PCMU);
    let spec = RecordSpec {
        path: path.clone(),
        max: Duration::from_secs(30),
        silence: None,
    };
    call.table.record(call.id(), Side::A, spec, 9);
    // 2 s of tone with 10 packets (200 ms) lost in the middle.
    let tone = sine(1000.0, -12.0, 8000, 16_000);
    send_audio(call.phone(Side::A), call.relay(Side::A), PCMU, tone, 40..50).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    call.table.stop_record(call.id(), Side::A);
    let MediaEvent::RecordDone {
        token,
        end,
        duration,
        ..
    } = call.event().await
    else {
        panic!("not RecordDone")
    };
    assert_eq!((token, end), (9, RecordEnd::Stopped));
    assert_eq!(
        duration,
        Duration::from_secs(2),
        "loss concealed: true length"
    );
    let audio = wav::decode(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(audio.format, WavFormat::mono(8000));
    assert_eq!(audio.samples.len(), 16_000);
    assert_tone(&audio.samples[..6000], 8000, 1000.0, -12.0);
}

#[tokio::test]
async fn a_recording_stops_at_silence_and_at_its_maximum() {
    let mut call = Call::new(61480).await;
    let dir = temp_dir("record-limits");
    let spec = RecordSpec {
        path: dir.join("silence.wav"),
        max: Duration::from_secs(30),
        silence: Some(Duration::from_millis(500)),
    };
    call.table.record(call.id(), Side::A, spec, 1);
    let mut pcm = sine(1000.0, -12.0, 8000, 4000);
    pcm.extend(std::iter::repeat_n(0i16, 12_000));
    send_audio(call.phone(Side::A), call.relay(Side::A), PCMU, pcm, 0..0).await;
    let MediaEvent::RecordDone { end, duration, .. } = call.event().await else {
        panic!("not RecordDone")
    };
    assert_eq!(end, RecordEnd::Silence);
    assert!(
        duration >= Duration::from_millis(900) && duration <= Duration::from_millis(1200),
        "{duration:?}"
    );

    let spec = RecordSpec {
        path: dir.join("max.wav"),
        max: Duration::from_millis(300),
        silence: None,
    };
    call.table.record(call.id(), Side::A, spec, 2);
    let pcm = sine(1000.0, -12.0, 8000, 8000);
    send_audio(call.phone(Side::A), call.relay(Side::A), PCMU, pcm, 0..0).await;
    let MediaEvent::RecordDone {
        end,
        duration,
        token,
        ..
    } = call.event().await
    else {
        panic!("not RecordDone")
    };
    assert_eq!((token, end), (2, RecordEnd::MaxLength));
    assert_eq!(duration, Duration::from_millis(300));
}

#[tokio::test]
async fn an_rfc4733_key_press_is_reported_once() {
    let mut call = Call::new(61500).await;
    call.table.set_format(call.id(), Side::A, PCMU_TE);
    call.table
        .play(call.id(), Side::A, Playback::Tone(ToneKind::Dial), 1);
    let (a, relay) = (call.phone(Side::A), call.relay(Side::A));
    let mut seq = 100;
    for (ts, key) in [(8000u32, 5u8), (16_000, 11)] {
        for d in 1..=5u16 {
            a.send_to(&event_packet(seq, ts, key, false, d * 160), relay)
                .await
                .unwrap();
            seq += 1;
        }
        for _ in 0..3 {
            a.send_to(&event_packet(seq, ts, key, true, 960), relay)
                .await
                .unwrap();
            seq += 1;
        }
    }
    let id = call.id();
    for digit in ['5', '#'] {
        assert_eq!(
            call.event().await,
            MediaEvent::Dtmf {
                id,
                side: Side::A,
                digit
            }
        );
    }
    call.no_event(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn an_in_band_key_press_is_reported() {
    let mut call = Call::new(61520).await;
    call.table
        .play(call.id(), Side::A, Playback::Tone(ToneKind::Dial), 1);
    let (lo, hi) = media::dsp::tone::dtmf_frequencies('7').unwrap();
    let low = sine(lo, -10.0, 8000, 1600);
    let high = sine(hi, -12.0, 8000, 1600);
    let mut pcm: Vec<i16> = low.iter().zip(&high).map(|(l, h)| l + h).collect();
    pcm.extend(std::iter::repeat_n(0i16, 2400));
    send_audio(call.phone(Side::A), call.relay(Side::A), PCMU, pcm, 0..0).await;
    assert_eq!(
        call.event().await,
        MediaEvent::Dtmf {
            id: call.id(),
            side: Side::A,
            digit: '7'
        }
    );
    call.no_event(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn a_flood_of_key_presses_is_capped() {
    let mut call = Call::new(61540).await;
    call.table.set_format(call.id(), Side::A, PCMU_TE);
    call.table.record(
        call.id(),
        Side::A,
        RecordSpec {
            path: temp_dir("flood").join("f.wav"),
            max: Duration::from_secs(60),
            silence: None,
        },
        1,
    );
    let (a, relay) = (call.phone(Side::A), call.relay(Side::A));
    for i in 0..10_000u32 {
        let p = event_packet(i as u16, i * 160, (i % 10) as u8, true, 160);
        a.send_to(&p, relay).await.unwrap();
        if i % 100 == 0 {
            // Let the relay drain its socket buffer now and then.
            tokio::task::yield_now().await;
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut reported = 0;
    while let Ok(Some(e)) = timeout(Duration::from_millis(100), call.events.recv()).await {
        assert!(matches!(e, MediaEvent::Dtmf { .. }));
        reported += 1;
    }
    let dropped = call.table.dtmf_dropped(call.id(), Side::A);
    // 20 per second: the flood takes a second or two to send on a busy machine.
    assert!((20..=100).contains(&reported), "{reported} reported");
    assert!(dropped > 1000, "{dropped} dropped");
}

#[tokio::test]
async fn a_pcmu_to_opus_call_keeps_a_1khz_tone_both_ways() {
    let call = Call::new(61560).await;
    call_transcoded(call).await;
}

async fn call_transcoded(mut call: Call) {
    call.table.set_format(call.id(), Side::A, PCMU_TE);
    call.table.set_format(call.id(), Side::B, OPUS);
    call.table.connect(call.id());
    let tone_8k = sine(1000.0, -12.0, 8000, 8000);
    let tone_48k = sine(1000.0, -12.0, 48_000, 48_000);
    let from_a = tokio::spawn(send_audio(
        call.phone(Side::A),
        call.relay(Side::A),
        PCMU,
        tone_8k,
        0..0,
    ));
    let from_b = tokio::spawn(send_audio(
        call.phone(Side::B),
        call.relay(Side::B),
        OPUS,
        tone_48k,
        0..0,
    ));
    let (at_a, at_b) = tokio::join!(
        collect(&call.a, Duration::from_millis(300)),
        collect(&call.b, Duration::from_millis(300))
    );
    from_a.await.unwrap();
    from_b.await.unwrap();
    assert!(at_b.len() >= 48, "{} Opus packets", at_b.len());
    assert!(at_a.len() >= 48, "{} PCMU packets", at_a.len());
    let heard_b = check_stream(&at_b, OPUS);
    let heard_a = check_stream(&at_a, PCMU);
    assert_tone(&heard_b[9600..], 48_000, 1000.0, -12.0);
    assert_tone(&heard_a[1600..], 8000, 1000.0, -12.0);

    // A key pressed on A reaches B as B's own telephone-event on B's stream.
    let a = call.phone(Side::A);
    for (i, end) in [false, false, true, true, true].into_iter().enumerate() {
        let p = event_packet(500 + i as u16, 90_000, 3, end, 160 * (i as u16 + 1));
        a.send_to(&p, call.relay(Side::A)).await.unwrap();
    }
    let events = collect(&call.b, Duration::from_millis(200)).await;
    assert_eq!(events.len(), 5);
    let last_audio = RtpPacket::parse(at_b.last().unwrap()).unwrap();
    let first = RtpPacket::parse(&events[0]).unwrap();
    assert_eq!(first.payload_type, 101);
    assert!(first.marker);
    assert_eq!(first.ssrc, last_audio.ssrc);
    assert_eq!(first.sequence, last_audio.sequence.wrapping_add(1));
    for e in &events[1..] {
        let p = RtpPacket::parse(e).unwrap();
        assert_eq!(p.timestamp, first.timestamp, "one timestamp per event");
        assert!(!p.marker);
    }
    call.table.close(call.id());
}

#[tokio::test]
async fn a_recorded_call_has_a_left_and_b_right() {
    let mut call = Call::new(61580).await;
    let dir = temp_dir("call-rec");
    let path = dir.join("2026-01-01/call.wav");
    call.table
        .record_call(call.id(), CallRecording { path: path.clone() });
    let a = tokio::spawn(send_audio(
        call.phone(Side::A),
        call.relay(Side::A),
        PCMU,
        sine(600.0, -12.0, 8000, 8000),
        0..0,
    ));
    let b = tokio::spawn(send_audio(
        call.phone(Side::B),
        call.relay(Side::B),
        PCMU,
        sine(1000.0, -12.0, 8000, 8000),
        0..0,
    ));
    a.await.unwrap();
    b.await.unwrap();
    // Relaying went on meanwhile.
    let heard = collect(&call.b, Duration::from_millis(100)).await;
    assert!(heard.len() >= 48);
    call.table.close(call.id());
    call.no_event(Duration::from_millis(100)).await;
    // Dropping the table waits for the writer thread to finish every file.
    drop(call);
    let audio = wav::decode(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(audio.format.channels, 2);
    assert_eq!(audio.format.sample_rate, 8000);
    assert!(
        (7200..=9600).contains(&audio.frames()),
        "{} frames for a 1 s call",
        audio.frames()
    );
    let left: Vec<i16> = audio.samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = audio.samples.iter().skip(1).step_by(2).copied().collect();
    // Judge the middle, away from the edges where one leg started a frame earlier.
    assert_tone(&left[1600..6000], 8000, 600.0, -12.0);
    assert_tone(&right[1600..6000], 8000, 1000.0, -12.0);
}

#[tokio::test]
async fn a_recording_lasts_through_a_pause_in_sending() {
    let mut call = Call::new(61660).await;
    let dir = temp_dir("record-dtx");
    let spec = RecordSpec {
        path: dir.join("dtx.wav"),
        max: Duration::from_secs(30),
        silence: None,
    };
    call.table.record(call.id(), Side::A, spec, 4);
    let mut enc = codec::encoder(CodecKind::Pcmu).unwrap();
    let tone = sine(1000.0, -12.0, 8000, 160);
    let mut payload = Vec::new();
    enc.encode(&tone, &mut payload).unwrap();
    let (a, relay) = (call.phone(Side::A), call.relay(Side::A));
    // 25 frames, then the phone stays quiet for 25 frames (no packets, sequence numbers
    // contiguous, timestamp jumps), then 25 frames more.
    for i in 0..50u16 {
        let frame = u32::from(i) + if i >= 25 { 25 } else { 0 };
        a.send_to(&rtp(0, i == 25, i, frame * 160, 0x55, &payload), relay)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    call.table.stop_record(call.id(), Side::A);
    let MediaEvent::RecordDone { duration, .. } = call.event().await else {
        panic!("not RecordDone")
    };
    assert_eq!(duration, Duration::from_millis(1500));
}

#[tokio::test]
async fn a_leg_that_sends_nothing_still_reaches_the_limits() {
    let mut call = Call::new(61680).await;
    let dir = temp_dir("record-mute");
    let spec = RecordSpec {
        path: dir.join("mute.wav"),
        max: Duration::from_secs(30),
        silence: Some(Duration::from_millis(800)),
    };
    call.table.record(call.id(), Side::A, spec, 1);
    let MediaEvent::RecordDone { end, duration, .. } = call.event().await else {
        panic!("not RecordDone")
    };
    assert_eq!(end, RecordEnd::Silence);
    assert!(duration >= Duration::from_millis(800) && duration < Duration::from_secs(2));
    let spec = RecordSpec {
        path: dir.join("mute-max.wav"),
        max: Duration::from_secs(1),
        silence: None,
    };
    call.table.record(call.id(), Side::A, spec, 2);
    let MediaEvent::RecordDone { end, duration, .. } = call.event().await else {
        panic!("not RecordDone")
    };
    assert_eq!(
        (end, duration),
        (RecordEnd::MaxLength, Duration::from_secs(1))
    );
    let audio = wav::decode(&std::fs::read(dir.join("mute-max.wav")).unwrap()).unwrap();
    assert_eq!(audio.samples.len(), 8000);
}

#[tokio::test]
async fn packets_delayed_past_the_watchdog_do_not_lengthen_a_recording() {
    let mut call = Call::new(61700).await;
    let dir = temp_dir("record-stall");
    let spec = RecordSpec {
        path: dir.join("stall.wav"),
        max: Duration::from_secs(30),
        silence: None,
    };
    call.table.record(call.id(), Side::A, spec, 1);
    let mut enc = codec::encoder(CodecKind::Pcmu).unwrap();
    let mut payload = Vec::new();
    enc.encode(&sine(1000.0, -12.0, 8000, 160), &mut payload)
        .unwrap();
    let (a, relay) = (call.phone(Side::A), call.relay(Side::A));
    let send = |i: u16| rtp(0, i == 0, i, u32::from(i) * 160, 0x66, &payload);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for i in 0..25u16 {
        tick.tick().await;
        a.send_to(&send(i), relay).await.unwrap();
    }
    // The network holds 1.5 s of packets, then delivers them at once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for i in 25..100u16 {
        a.send_to(&send(i), relay).await.unwrap();
    }
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for i in 100..125u16 {
        tick.tick().await;
        a.send_to(&send(i), relay).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    call.table.stop_record(call.id(), Side::A);
    let MediaEvent::RecordDone { duration, .. } = call.event().await else {
        panic!("not RecordDone")
    };
    // Wall time (~2.5 s), not wall time plus the delayed burst (~4 s).
    assert!(
        duration >= Duration::from_millis(2200) && duration <= Duration::from_millis(3200),
        "{duration:?}"
    );
}

#[tokio::test]
async fn a_pause_on_one_leg_keeps_the_transcoded_timestamps_true() {
    let mut call = Call::new(61720).await;
    call.table.set_format(call.id(), Side::A, PCMU);
    call.table.set_format(call.id(), Side::B, OPUS);
    let mut enc = codec::encoder(CodecKind::Pcmu).unwrap();
    let mut payload = Vec::new();
    enc.encode(&sine(1000.0, -12.0, 8000, 160), &mut payload)
        .unwrap();
    let (a, relay) = (call.phone(Side::A), call.relay(Side::A));
    // 10 frames, a 1 s pause (silence suppression: no sequence gap), 10 frames.
    for i in 0..20u16 {
        let frame = u32::from(i) + if i >= 10 { 50 } else { 0 };
        a.send_to(&rtp(0, i == 10, i, frame * 160, 0x99, &payload), relay)
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let got = collect(&call.b, Duration::from_millis(300)).await;
    let p: Vec<RtpPacket<'_>> = got.iter().map(|b| RtpPacket::parse(b).unwrap()).collect();
    assert!(p.len() >= 18, "{} packets", p.len());
    let resumed = p
        .iter()
        .position(|x| x.marker && x.sequence != p[0].sequence);
    let r = resumed.expect("a marker where speech resumes");
    assert_eq!(p[r].sequence, p[r - 1].sequence.wrapping_add(1));
    assert_eq!(
        p[r].timestamp.wrapping_sub(p[r - 1].timestamp),
        960 * 51,
        "the pause's second is on B's clock too"
    );
}
