//! Media server tests over real UDP sockets on 127.0.0.1: playback pacing and content,
//! recording, DTMF, transcoding and call recording. Port range 61400-61599 (see `tests`
//! for why 61xxx).
#![allow(clippy::unwrap_used)]

use super::*;
use media::codec::{self, CodecKind};
use media::dsp::analyse::dominant_frequency;
use media::dsp::level::rms_dbfs;
use media::dsp::tone::{sine, ToneKind};
use media::rtp::RtpPacket;
use media::wav::{self, WavFormat};
use pbx::{
    CallRecording, MediaControl, MediaEvent, MediaPorts, Playback, RecordEnd, RecordSpec, Side,
    SideFormat,
};
use std::net::Ipv4Addr;
use std::path::PathBuf;
use tokio::net::UdpSocket;
use tokio::sync::mpsc::Receiver;
use tokio::time::timeout;

const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

const PCMU: SideFormat = SideFormat {
    codec: CodecKind::Pcmu,
    payload_type: 0,
    telephone_event: None,
};
const PCMU_TE: SideFormat = SideFormat {
    codec: CodecKind::Pcmu,
    payload_type: 0,
    telephone_event: Some(101),
};
const OPUS: SideFormat = SideFormat {
    codec: CodecKind::Opus,
    payload_type: 111,
    telephone_event: Some(101),
};

struct Call {
    table: RelayTable,
    events: Receiver<MediaEvent>,
    ports: MediaPorts,
    a: Arc<UdpSocket>,
    b: Arc<UdpSocket>,
}

impl Call {
    async fn new(lo: u16) -> Call {
        let mut table = RelayTable::new(PortPool::new(lo, lo + 19, LOCALHOST).unwrap());
        let events = table.events().unwrap();
        assert!(table.events().is_none(), "taken once");
        let ports = table.open().unwrap();
        let a = Arc::new(UdpSocket::bind((LOCALHOST, 0)).await.unwrap());
        let b = Arc::new(UdpSocket::bind((LOCALHOST, 0)).await.unwrap());
        table.set_remote(ports.id, Side::A, a.local_addr().unwrap());
        table.set_remote(ports.id, Side::B, b.local_addr().unwrap());
        Call {
            table,
            events,
            ports,
            a,
            b,
        }
    }

    fn id(&self) -> u64 {
        self.ports.id
    }

    fn relay(&self, side: Side) -> SocketAddr {
        SocketAddr::new(LOCALHOST, self.ports.port(side))
    }

    fn phone(&self, side: Side) -> Arc<UdpSocket> {
        Arc::clone(match side {
            Side::A => &self.a,
            Side::B => &self.b,
        })
    }

    async fn event(&mut self) -> MediaEvent {
        timeout(Duration::from_secs(5), self.events.recv())
            .await
            .expect("no media event within 5 s")
            .unwrap()
    }

    async fn no_event(&mut self, wait: Duration) {
        let r = timeout(wait, self.events.recv()).await;
        assert!(r.is_err(), "unexpected event {r:?}");
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relay-media-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, (u8::from(marker) << 7) | pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// A phone sending `pcm` (at the codec's rate) in 20 ms packets, paced like a real one.
/// Frames whose index is in `skip` are not sent (their sequence numbers are used: loss).
async fn send_audio(
    sock: Arc<UdpSocket>,
    to: SocketAddr,
    format: SideFormat,
    pcm: Vec<i16>,
    skip: std::ops::Range<usize>,
) {
    let mut enc = codec::encoder(format.codec).unwrap();
    let n = format.codec.frame_samples();
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    let mut payload = Vec::new();
    for (i, frame) in pcm.chunks_exact(n).enumerate() {
        tick.tick().await;
        payload.clear();
        enc.encode(frame, &mut payload).unwrap();
        if skip.contains(&i) {
            continue;
        }
        let ts = (i as u32).wrapping_mul(format.codec.frame_ticks());
        let p = rtp(format.payload_type, i == 0, i as u16, ts, 0x1234, &payload);
        sock.send_to(&p, to).await.unwrap();
    }
}

/// Everything `sock` receives until nothing arrives for `idle`.
async fn collect(sock: &UdpSocket, idle: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 2048];
    while let Ok(Ok((n, _))) = timeout(idle, sock.recv_from(&mut buf)).await {
        out.push(buf[..n].to_vec());
    }
    out
}

/// Everything `sock` receives during `span`.
async fn collect_for(sock: &UdpSocket, span: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 2048];
    let end = tokio::time::Instant::now() + span;
    while let Ok(Ok((n, _))) = tokio::time::timeout_at(end, sock.recv_from(&mut buf)).await {
        out.push(buf[..n].to_vec());
    }
    out
}

/// Checks the stream is one paced RTP stream and decodes it.
fn check_stream(packets: &[Vec<u8>], format: SideFormat) -> Vec<i16> {
    assert!(!packets.is_empty(), "nothing received");
    let parsed: Vec<RtpPacket<'_>> = packets
        .iter()
        .map(|p| RtpPacket::parse(p).unwrap())
        .collect();
    let first = &parsed[0];
    assert!(first.marker, "marker bit on the first packet");
    for w in parsed.windows(2) {
        assert_eq!(w[1].ssrc, first.ssrc, "one SSRC");
        assert!(!w[1].marker, "marker only on the first packet");
        assert_eq!(w[1].payload_type, format.payload_type);
        assert_eq!(w[1].sequence, w[0].sequence.wrapping_add(1));
        assert_eq!(
            w[1].timestamp,
            w[0].timestamp.wrapping_add(format.codec.frame_ticks())
        );
    }
    let mut dec = codec::decoder(format.codec).unwrap();
    let mut pcm = Vec::new();
    for p in &parsed {
        let n = dec.decode(p.payload, &mut pcm).unwrap();
        assert_eq!(n, format.codec.frame_samples(), "20 ms per packet");
    }
    pcm
}

fn assert_tone(pcm: &[i16], rate: u32, freq: f32, dbfs: f32) {
    let f = dominant_frequency(pcm, rate);
    let level = rms_dbfs(pcm);
    assert!((f - freq).abs() <= 5.0, "frequency {f} Hz, wanted {freq}");
    assert!(
        (level - dbfs).abs() <= 2.0,
        "level {level} dBFS, wanted {dbfs}"
    );
}

fn prompt_file(dir: &std::path::Path, seconds: f32) -> PathBuf {
    let path = dir.join("prompt.wav");
    let pcm = sine(1000.0, -12.0, 16_000, (16_000.0 * seconds) as usize);
    std::fs::write(&path, wav::encode_pcm16(WavFormat::mono(16_000), &pcm)).unwrap();
    path
}

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

fn event_packet(seq: u16, ts: u32, event: u8, end: bool, duration: u16) -> Vec<u8> {
    let ev = media::dtmf::TelephoneEvent {
        event,
        end,
        volume: 10,
        duration,
    };
    rtp(101, !end && duration == 160, seq, ts, 0x777, &ev.to_bytes())
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
