//! Bounded media-server load measurements, ignored by default (each takes ~6 s and wants
//! a quiet machine). Run them with
//! `cargo test -p centralita --release media_load -- --ignored --nocapture --test-threads 1`.
//!
//! * `media_load_transcoding`: `MEDIA_LOAD_CALLS` (default 100) PCMU<->Opus calls, both
//!   phones sending 20 ms frames, everything decoded, resampled and re-encoded by the box;
//! * `media_load_recorded_calls`: `MEDIA_LOAD_CALLS` PCMU calls recorded (both legs decoded,
//!   mixed to stereo by a 20 ms clock and written by the disk writer thread);
//! * `media_load_prompt`: `MEDIA_LOAD_PROMPT_CALLS` (default 200) callers hearing the same
//!   prompt file (PCMU, or Opus with `MEDIA_LOAD_CODEC=opus`).
//!
//! `MEDIA_LOAD_SECS` (default 5) sets the measured time. The relay runs on its own 2-thread
//! runtime ("media-load") whose CPU time is read from /proc, as in `load_tests`; the phones
//! run elsewhere and are not counted.
#![allow(clippy::unwrap_used)]

use super::load_tests::{env_or, rss_kib, thread_cpu_seconds};
use super::*;
use media::codec::{self, CodecKind};
use media::dsp::tone::sine;
use pbx::{MediaControl, Playback, Side, SideFormat};
use std::net::Ipv4Addr;
use std::sync::atomic::AtomicU64;
use std::time::Instant;
use tokio::net::UdpSocket;
use tokio::runtime::Runtime;

const RELAY_THREADS: &str = "media-load";

fn runtimes() -> (Runtime, Runtime) {
    let relay = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(RELAY_THREADS)
        .enable_all()
        .build()
        .unwrap();
    let phones = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("phones")
        .enable_all()
        .build()
        .unwrap();
    (relay, phones)
}

fn format(codec: CodecKind) -> SideFormat {
    SideFormat {
        codec,
        payload_type: codec.default_payload_type(),
        telephone_event: Some(101),
    }
}

/// One second of a 1 kHz tone as 50 encoded 20 ms payloads.
fn payloads(codec: CodecKind) -> Arc<Vec<Vec<u8>>> {
    let pcm = sine(
        1000.0,
        -12.0,
        codec.sample_rate(),
        codec.sample_rate() as usize,
    );
    let mut enc = codec::encoder(codec).unwrap();
    Arc::new(
        pcm.chunks_exact(codec.frame_samples())
            .map(|f| {
                let mut p = Vec::new();
                enc.encode(f, &mut p).unwrap();
                p
            })
            .collect(),
    )
}

/// A phone that counts what it receives, forever (the runtime's end stops it).
fn receiver(rt: &Runtime, sock: Arc<UdpSocket>, received: Arc<AtomicU64>) {
    rt.spawn(async move {
        let mut buf = [0u8; 2048];
        loop {
            if sock.recv_from(&mut buf).await.is_ok() {
                received.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
}

struct Measure {
    started: Instant,
    cpu_before: f64,
}

impl Measure {
    fn start() -> Self {
        Measure {
            started: Instant::now(),
            cpu_before: thread_cpu_seconds(RELAY_THREADS),
        }
    }

    /// (wall seconds, % of one core used by the relay threads)
    fn stop(&self) -> (f64, f64) {
        let wall = self.started.elapsed().as_secs_f64();
        let cpu = thread_cpu_seconds(RELAY_THREADS) - self.cpu_before;
        (wall, 100.0 * cpu / wall)
    }
}

#[test]
#[ignore = "load measurement: run on demand with --release --ignored --nocapture"]
fn media_load_transcoding() {
    let calls = usize::try_from(env_or("MEDIA_LOAD_CALLS", 100)).unwrap();
    bridged_calls_load(calls, [CodecKind::Pcmu, CodecKind::Opus], None);
}

/// Calls whose two legs the box records (PCMU both ways): the cost of a tenant recording
/// every call.
#[test]
#[ignore = "load measurement: run on demand with --release --ignored --nocapture"]
fn media_load_recorded_calls() {
    let calls = usize::try_from(env_or("MEDIA_LOAD_CALLS", 100)).unwrap();
    let dir = std::env::temp_dir().join(format!("relay-rec-load-{}", std::process::id()));
    bridged_calls_load(calls, [CodecKind::Pcmu, CodecKind::Pcmu], Some(&dir));
    // Every file holds the whole call (the table, dropped, has finished them all).
    let secs = env_or("MEDIA_LOAD_SECS", 5).min(60) as usize;
    for call in 0..calls {
        let bytes = std::fs::read(dir.join(format!("{call}.wav"))).unwrap();
        let audio = media::wav::decode(&bytes).unwrap();
        assert!(
            audio.frames() >= secs * 8000 * 9 / 10,
            "call {call}: {} frames",
            audio.frames()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `calls` bridged calls, leg A sending in `codecs[0]` and leg B in `codecs[1]`, each
/// recorded into `record_dir` if given.
fn bridged_calls_load(calls: usize, codecs: [CodecKind; 2], record_dir: Option<&std::path::Path>) {
    let secs = env_or("MEDIA_LOAD_SECS", 5).min(60);
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let (relay_rt, phone_rt) = runtimes();
    let _enter = relay_rt.enter();
    let mut table = RelayTable::new(PortPool::new(40000, 59999, ip).unwrap());
    let _events = table.events();
    let streams = codecs.map(|c| (format(c), payloads(c)));
    let sent = Arc::new(AtomicU64::new(0));
    let received = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut senders = Vec::new();
    let mut ids = Vec::new();
    for call in 0..calls {
        let ports = table.open().unwrap();
        for (side, (fmt, frames)) in [Side::A, Side::B].into_iter().zip(&streams) {
            let sock = Arc::new(phone_rt.block_on(UdpSocket::bind((ip, 0))).unwrap());
            table.set_format(ports.id, side, *fmt);
            table.set_remote(ports.id, side, sock.local_addr().unwrap());
            receiver(&phone_rt, Arc::clone(&sock), Arc::clone(&received));
            let relay = SocketAddr::new(ip, ports.port(side));
            let (sent, frames, fmt) = (Arc::clone(&sent), Arc::clone(frames), *fmt);
            let offset = (call as u64).wrapping_mul(20_000) / calls.max(1) as u64;
            senders.push(phone_rt.spawn(async move {
                tokio::time::sleep(Duration::from_micros(offset)).await;
                let mut tick = tokio::time::interval(Duration::from_millis(20));
                let mut i: u32 = 0;
                while Instant::now() < deadline {
                    tick.tick().await;
                    let payload = &frames[i as usize % frames.len()];
                    let mut p = vec![0x80, fmt.payload_type];
                    p.extend_from_slice(&(i as u16).to_be_bytes());
                    p.extend_from_slice(&i.wrapping_mul(fmt.codec.frame_ticks()).to_be_bytes());
                    p.extend_from_slice(&[0, 0, 0x10, 0x01]);
                    p.extend_from_slice(payload);
                    if sock.send_to(&p, relay).await.is_ok() {
                        sent.fetch_add(1, Ordering::Relaxed);
                    }
                    i = i.wrapping_add(1);
                }
            }));
        }
        table.connect(ports.id);
        if let Some(dir) = record_dir {
            let path = dir.join(format!("{call}.wav"));
            table.record_call(ports.id, pbx::CallRecording { path });
        }
        ids.push(ports.id);
    }
    let m = Measure::start();
    for s in senders {
        phone_rt.block_on(s).unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    let (wall, cpu) = m.stop();
    let writer_cpu = thread_cpu_seconds("media-disk");
    let (sent, received) = (
        sent.load(Ordering::Relaxed),
        received.load(Ordering::Relaxed),
    );
    let loss = 100.0 * sent.saturating_sub(received) as f64 / sent.max(1) as f64;
    println!(
        "bridged load: {calls} {:?}<->{:?} calls{}, {:.0} packets/s in, loss {loss:.3}%, \
         relay CPU {cpu:.1}% of a core ({:.3}% per call), disk writer {:.1}% of a core",
        codecs[0],
        codecs[1],
        if record_dir.is_some() {
            " recorded"
        } else {
            ""
        },
        sent as f64 / wall,
        cpu / calls as f64,
        100.0 * writer_cpu / wall,
    );
    for id in ids {
        table.close(id);
    }
    drop(table);
    assert!(loss < 2.0, "lost {loss:.3}% of packets");
}

#[test]
#[ignore = "load measurement: run on demand with --release --ignored --nocapture"]
fn media_load_prompt() {
    let calls = usize::try_from(env_or("MEDIA_LOAD_PROMPT_CALLS", 200)).unwrap();
    let secs = env_or("MEDIA_LOAD_SECS", 5).min(60);
    let codec = match std::env::var("MEDIA_LOAD_CODEC").as_deref() {
        Ok("opus") => CodecKind::Opus,
        _ => CodecKind::Pcmu,
    };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let dir = std::env::temp_dir().join(format!("relay-prompt-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("welcome.wav");
    // Longer than the measurement, so every caller is still listening at the end.
    let pcm = sine(700.0, -12.0, 16_000, 16_000 * (secs as usize + 5));
    std::fs::write(
        &path,
        media::wav::encode_pcm16(media::wav::WavFormat::mono(16_000), &pcm),
    )
    .unwrap();

    let (relay_rt, phone_rt) = runtimes();
    let _enter = relay_rt.enter();
    let mut table = RelayTable::new(PortPool::new(40000, 59999, ip).unwrap());
    let _events = table.events();
    let received = Arc::new(AtomicU64::new(0));
    let rss_before = rss_kib();
    let mut ids = Vec::new();
    for token in 0..calls {
        let ports = table.open().unwrap();
        let sock = Arc::new(phone_rt.block_on(UdpSocket::bind((ip, 0))).unwrap());
        table.set_format(ports.id, Side::A, format(codec));
        table.set_remote(ports.id, Side::A, sock.local_addr().unwrap());
        receiver(&phone_rt, sock, Arc::clone(&received));
        table.play(
            ports.id,
            Side::A,
            Playback::File(path.clone()),
            token as u64,
        );
        ids.push(ports.id);
    }
    // Let every player load (one decode, shared) and start.
    std::thread::sleep(Duration::from_millis(500));
    let rss_per_call = rss_kib().saturating_sub(rss_before) as f64 / calls as f64;
    let before = received.load(Ordering::Relaxed);
    let m = Measure::start();
    std::thread::sleep(Duration::from_secs(secs));
    let (wall, cpu) = m.stop();
    let got = received.load(Ordering::Relaxed) - before;
    let expected = calls as f64 * 50.0 * wall;
    let shortfall = 100.0 * (expected - got as f64).max(0.0) / expected;
    println!(
        "prompt load: {calls} callers hearing one prompt in {codec:?}, {:.0} packets/s out \
         ({shortfall:.2}% short of 50/s each), relay CPU {cpu:.1}% of a core ({:.3}% per call), \
         {rss_per_call:.1} KiB RSS per call",
        got as f64 / wall,
        cpu / calls as f64,
    );
    for id in ids {
        table.close(id);
    }
    drop(table);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        shortfall < 5.0,
        "players sent {shortfall:.2}% too few packets"
    );
}

/// Where a transcoded call's CPU goes besides the codecs (whose figures the media crate's
/// `codec::bench_tests` prints): the rate conversions of one PCMU<->Opus call.
#[test]
#[ignore = "micro-benchmark: run on demand with --release --ignored --nocapture"]
fn media_load_resampler_cost() {
    use media::resample::Resampler;
    for (from, to) in [
        (8000, 48_000),
        (48_000, 8000),
        (16_000, 8000),
        (16_000, 48_000),
    ] {
        let input = sine(1000.0, -12.0, from, from as usize / 50);
        let mut r = Resampler::new(from, to).unwrap();
        let mut out = Vec::new();
        let frames = 5000;
        let started = Instant::now();
        for _ in 0..frames {
            out.clear();
            r.process(&input, &mut out);
        }
        let ns = started.elapsed().as_nanos() / frames;
        println!("resample {from} -> {to} Hz: {ns} ns per 20 ms frame");
    }
}
