//! Helpers of the media server tests: a call on a relay table with two "phones" on
//! 127.0.0.1, paced RTP senders, collectors and audio checks.
#![allow(clippy::unwrap_used)]

pub(super) use super::*;
pub(super) use media::codec::{self, CodecKind};
pub(super) use media::dsp::analyse::dominant_frequency;
pub(super) use media::dsp::level::rms_dbfs;
pub(super) use media::dsp::tone::{sine, ToneKind};
pub(super) use media::rtp::RtpPacket;
pub(super) use media::wav::{self, WavFormat};
pub(super) use pbx::{
    CallRecording, MediaControl, MediaEvent, MediaPorts, Playback, RecordEnd, RecordSpec, Side,
    SideFormat,
};
pub(super) use std::net::Ipv4Addr;
pub(super) use std::path::PathBuf;
pub(super) use tokio::net::UdpSocket;
pub(super) use tokio::sync::mpsc::Receiver;
pub(super) use tokio::time::timeout;

pub(super) const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

pub(super) const PCMU: SideFormat = SideFormat {
    codec: CodecKind::Pcmu,
    payload_type: 0,
    telephone_event: None,
};
pub(super) const PCMU_TE: SideFormat = SideFormat {
    codec: CodecKind::Pcmu,
    payload_type: 0,
    telephone_event: Some(101),
};
pub(super) const OPUS: SideFormat = SideFormat {
    codec: CodecKind::Opus,
    payload_type: 111,
    telephone_event: Some(101),
};

pub(super) struct Call {
    pub(super) table: RelayTable,
    pub(super) events: Receiver<MediaEvent>,
    pub(super) ports: MediaPorts,
    pub(super) a: Arc<UdpSocket>,
    pub(super) b: Arc<UdpSocket>,
}

impl Call {
    pub(super) async fn new(lo: u16) -> Call {
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

    pub(super) fn id(&self) -> u64 {
        self.ports.id
    }

    pub(super) fn relay(&self, side: Side) -> SocketAddr {
        SocketAddr::new(LOCALHOST, self.ports.port(side))
    }

    pub(super) fn phone(&self, side: Side) -> Arc<UdpSocket> {
        Arc::clone(match side {
            Side::A => &self.a,
            Side::B => &self.b,
        })
    }

    pub(super) async fn event(&mut self) -> MediaEvent {
        timeout(Duration::from_secs(5), self.events.recv())
            .await
            .expect("no media event within 5 s")
            .unwrap()
    }

    pub(super) async fn no_event(&mut self, wait: Duration) {
        let r = timeout(wait, self.events.recv()).await;
        assert!(r.is_err(), "unexpected event {r:?}");
    }
}

pub(super) fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("relay-media-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

pub(super) fn rtp(pt: u8, marker: bool, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
    let mut p = vec![0x80, (u8::from(marker) << 7) | pt];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ts.to_be_bytes());
    p.extend_from_slice(&ssrc.to_be_bytes());
    p.extend_from_slice(payload);
    p
}

/// A phone sending `pcm` (at the codec's rate) in 20 ms packets, paced like a real one.
/// Frames whose index is in `skip` are not sent (their sequence numbers are used: loss).
pub(super) async fn send_audio(
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
pub(super) async fn collect(sock: &UdpSocket, idle: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 2048];
    while let Ok(Ok((n, _))) = timeout(idle, sock.recv_from(&mut buf)).await {
        out.push(buf[..n].to_vec());
    }
    out
}

/// Everything `sock` receives during `span`.
pub(super) async fn collect_for(sock: &UdpSocket, span: Duration) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 2048];
    let end = tokio::time::Instant::now() + span;
    while let Ok(Ok((n, _))) = tokio::time::timeout_at(end, sock.recv_from(&mut buf)).await {
        out.push(buf[..n].to_vec());
    }
    out
}

/// Checks the stream is one paced RTP stream and decodes it.
pub(super) fn check_stream(packets: &[Vec<u8>], format: SideFormat) -> Vec<i16> {
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

pub(super) fn assert_tone(pcm: &[i16], rate: u32, freq: f32, dbfs: f32) {
    let f = dominant_frequency(pcm, rate);
    let level = rms_dbfs(pcm);
    assert!((f - freq).abs() <= 5.0, "frequency {f} Hz, wanted {freq}");
    assert!(
        (level - dbfs).abs() <= 2.0,
        "level {level} dBFS, wanted {dbfs}"
    );
}

pub(super) fn prompt_file(dir: &std::path::Path, seconds: f32) -> PathBuf {
    let path = dir.join("prompt.wav");
    let pcm = sine(1000.0, -12.0, 16_000, (16_000.0 * seconds) as usize);
    std::fs::write(&path, wav::encode_pcm16(WavFormat::mono(16_000), &pcm)).unwrap();
    path
}

pub(super) fn event_packet(seq: u16, ts: u32, event: u8, end: bool, duration: u16) -> Vec<u8> {
    let ev = media::dtmf::TelephoneEvent {
        event,
        end,
        volume: 10,
        duration,
    };
    rtp(101, !end && duration == 160, seq, ts, 0x777, &ev.to_bytes())
}
