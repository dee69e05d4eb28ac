//! Playback tests over real UDP sockets on 127.0.0.1: pacing, timestamps, marker, content
//! and `PlayDone` per codec; tones and music on hold; back to relaying after `connect`.
//! Port range 61400-61459 and 61600-61659 (see `tests` for why 61xxx).
#![allow(clippy::unwrap_used)]

use super::media_test_util::*;

#[tokio::test]
async fn plays_a_file_in_pcmu_paced_and_says_when_done() {
    let mut call = Call::new(61400).await;
    let dir = temp_dir("play-pcmu");
    let path = prompt_file(&dir, 0.5);
    call.table.set_format(call.id(), Side::A, PCMU);
    call.table.play(call.id(), Side::A, Playback::File(path), 7);
    let packets = collect(&call.a, Duration::from_millis(300)).await;
    assert_eq!(
        call.event().await,
        MediaEvent::PlayDone {
            id: call.id(),
            side: Side::A,
            token: 7
        }
    );
    assert_eq!(packets.len(), 25, "0.5 s in 20 ms packets");
    let pcm = check_stream(&packets, PCMU);
    // The first frame holds the resampler's start-up; judge the steady part.
    assert_tone(&pcm[320..], 8000, 1000.0, -12.0);
    // Leg B heard nothing of it.
    assert!(collect(&call.b, Duration::from_millis(50)).await.is_empty());
}

#[tokio::test]
async fn plays_to_an_opus_leg_with_48_khz_timestamps() {
    let mut call = Call::new(61420).await;
    let dir = temp_dir("play-opus");
    let path = prompt_file(&dir, 0.4);
    call.table.set_format(call.id(), Side::B, OPUS);
    call.table
        .play(call.id(), Side::B, Playback::File(path.clone()), 1);
    let packets = collect(&call.b, Duration::from_millis(300)).await;
    assert!(matches!(
        call.event().await,
        MediaEvent::PlayDone { token: 1, .. }
    ));
    assert_eq!(packets.len(), 20);
    let pcm = check_stream(&packets, OPUS);
    assert_tone(&pcm[4800..], 48_000, 1000.0, -12.0);
    // The same SSRC for the next playback on the side, with a marker again.
    call.table.play(call.id(), Side::B, Playback::File(path), 2);
    let again = collect(&call.b, Duration::from_millis(300)).await;
    let (p1, p2) = (
        RtpPacket::parse(&packets[0]).unwrap(),
        RtpPacket::parse(&again[0]).unwrap(),
    );
    assert_eq!(p1.ssrc, p2.ssrc);
    assert!(p2.marker);
    assert!(matches!(
        call.event().await,
        MediaEvent::PlayDone { token: 2, .. }
    ));
}

#[tokio::test]
async fn a_missing_file_ends_at_once_and_tones_loop() {
    let mut call = Call::new(61440).await;
    call.table.play(
        call.id(),
        Side::A,
        Playback::File("/nonexistent/prompt.wav".into()),
        3,
    );
    assert!(matches!(
        call.event().await,
        MediaEvent::PlayDone { token: 3, .. }
    ));
    call.table
        .play(call.id(), Side::A, Playback::Tone(ToneKind::Dial), 4);
    let dial = collect_for(&call.a, Duration::from_millis(300)).await;
    assert!(dial.len() >= 10, "dial tone loops");
    call.no_event(Duration::from_millis(100)).await;
    call.table.stop_play(call.id(), Side::A);
    // Silence follows a stopped playback.
    let _ = collect(&call.a, Duration::from_millis(100)).await;
    assert!(collect(&call.a, Duration::from_millis(100))
        .await
        .is_empty());
    call.table
        .play(call.id(), Side::A, Playback::MusicOnHold(None), 5);
    // The default track is composed on first use (a moment in a debug build).
    let mut moh = Vec::new();
    let mut buf = vec![0u8; 2048];
    while moh.len() < 50 {
        let (n, _) = timeout(Duration::from_secs(10), call.a.recv_from(&mut buf))
            .await
            .unwrap()
            .unwrap();
        moh.push(buf[..n].to_vec());
    }
    let music = check_stream(&moh, PCMU);
    assert!(rms_dbfs(&music) > -40.0, "music, not silence");
    call.table.close(call.id());
    call.no_event(Duration::from_millis(100)).await;
}

#[tokio::test]
async fn plays_to_a_g722_leg() {
    let mut call = Call::new(61600).await;
    let dir = temp_dir("play-g722");
    let path = prompt_file(&dir, 0.3);
    let g722 = SideFormat {
        codec: CodecKind::G722,
        payload_type: 9,
        telephone_event: None,
    };
    call.table.set_format(call.id(), Side::A, g722);
    call.table.play(call.id(), Side::A, Playback::File(path), 1);
    let packets = collect(&call.a, Duration::from_millis(300)).await;
    assert!(matches!(call.event().await, MediaEvent::PlayDone { .. }));
    assert_eq!(packets.len(), 15);
    let pcm = check_stream(&packets, g722);
    assert_tone(&pcm[640..], 16_000, 1000.0, -12.0);
}

#[tokio::test]
async fn connect_after_a_playback_relays_again_with_renumbered_events() {
    let mut call = Call::new(61620).await;
    let b_format = SideFormat {
        telephone_event: Some(96),
        ..PCMU
    };
    call.table.set_format(call.id(), Side::A, PCMU_TE);
    call.table.set_format(call.id(), Side::B, b_format);
    call.table
        .play(call.id(), Side::B, Playback::Tone(ToneKind::Ringback), 1);
    let (a, relay_a) = (call.phone(Side::A), call.relay(Side::A));
    // While B hears the box, A's audio does not reach B.
    let _ = collect_for(&call.b, Duration::from_millis(100)).await;
    a.send_to(&rtp(0, true, 1, 160, 0xabc, &[0xff; 160]), relay_a)
        .await
        .unwrap();
    let during = collect_for(&call.b, Duration::from_millis(100)).await;
    assert!(during
        .iter()
        .all(|p| RtpPacket::parse(p).unwrap().ssrc != 0xabc));
    call.table.connect(call.id());
    let _ = collect(&call.b, Duration::from_millis(60)).await;
    a.send_to(&rtp(0, false, 2, 320, 0xabc, &[0xff; 160]), relay_a)
        .await
        .unwrap();
    a.send_to(&event_packet(3, 480, 1, false, 160), relay_a)
        .await
        .unwrap();
    let after = collect(&call.b, Duration::from_millis(200)).await;
    assert_eq!(after.len(), 2, "A's packets relayed again");
    let audio = RtpPacket::parse(&after[0]).unwrap();
    let event = RtpPacket::parse(&after[1]).unwrap();
    assert_eq!((audio.ssrc, audio.payload_type), (0xabc, 0));
    assert_eq!(
        (event.ssrc, event.payload_type),
        (0x777, 96),
        "B's event PT"
    );
    assert_eq!(event.timestamp, 480, "same codec: the packet as it was");
    call.no_event(Duration::from_millis(50)).await;
}

#[tokio::test]
async fn a_codec_change_mid_play_resumes_where_it_was() {
    let mut call = Call::new(61640).await;
    let dir = temp_dir("play-switch");
    let path = prompt_file(&dir, 1.0);
    call.table.play(call.id(), Side::A, Playback::File(path), 1);
    let before = collect_for(&call.a, Duration::from_millis(300)).await;
    call.table.set_format(call.id(), Side::A, OPUS);
    let after = collect(&call.a, Duration::from_millis(300)).await;
    assert!(matches!(call.event().await, MediaEvent::PlayDone { .. }));
    let total = before.len() + after.len();
    assert!((49..=51).contains(&total), "{total} packets for 1 s");
    let last_pcmu = RtpPacket::parse(before.last().unwrap()).unwrap();
    let switched: Vec<RtpPacket<'_>> = after
        .iter()
        .map(|p| RtpPacket::parse(p).unwrap())
        .skip_while(|p| p.payload_type == 0)
        .collect();
    assert!(switched[0].marker);
    assert_eq!(switched[0].ssrc, last_pcmu.ssrc);
    assert!(switched.iter().all(|p| p.payload_type == 111));
    let opus = check_stream(&after[after.len() - switched.len()..], OPUS);
    assert_tone(&opus[960..], 48_000, 1000.0, -12.0);
}
