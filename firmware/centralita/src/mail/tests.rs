//! The mail sender against a real SMTP server: Python aiosmtpd (Debian python3-aiosmtpd) on
//! 127.0.0.1, saving every message it accepts (test_smtp_server.py). The daemon has no library
//! crate for the e2e tests to call, so these live here.

#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the test failing

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use media::wav::{decode, encode_pcm16, WavFormat};
use store::{NewMail, Store, VoicemailMessage, DEMO_TENANT_ID};

use super::args::{SmtpSettings, SmtpTls};
use super::backoff::Backoff;
use super::compose::voicemail_mail;
use super::sweep::{sweep, SweepReport};
use super::worker::{self, now_ms, WorkerOptions};
use super::{start, MailArgs, MailHandle};

const SERVER_SCRIPT: &str = include_str!("test_smtp_server.py");
const EXAMPLE: &str = include_str!("../../../../docs/examples/tenant-example.json");
/// Every wait in these tests is bounded by this.
const PATIENCE: Duration = Duration::from_secs(20);

fn python() -> &'static str {
    // Debian's interpreter: the one python3-aiosmtpd installs into (a pyenv python3 first on
    // PATH would not see it).
    if Path::new("/usr/bin/python3").exists() {
        "/usr/bin/python3"
    } else {
        "python3"
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An aiosmtpd process; killed (by its own handle) when dropped.
struct SmtpServer {
    child: Child,
    out: tempfile::TempDir,
}

impl SmtpServer {
    fn start(port: u16, extra: &[&str]) -> SmtpServer {
        let out = tempfile::tempdir().unwrap();
        let script = out.path().join("server.py");
        std::fs::write(&script, SERVER_SCRIPT).unwrap();
        let mut child = Command::new(python())
            .arg(&script)
            .arg(port.to_string())
            .arg(out.path())
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = child.try_wait() {
                panic!("SMTP test server exited ({status}): is python3-aiosmtpd installed?");
            }
            assert!(
                start.elapsed() < PATIENCE,
                "SMTP test server never listened"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        SmtpServer { child, out }
    }

    /// The summaries of the messages received so far, in order.
    fn received(&self) -> Vec<serde_json::Value> {
        (1..)
            .map(|n| self.out.path().join(format!("{n}.json")))
            .take_while(|p| p.exists())
            .map(|p| serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap())
            .collect()
    }

    fn wait_for(&self, count: usize) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "{} of {count} mails arrived",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn settings(port: u16, tls: SmtpTls, user: Option<(&str, &str)>) -> SmtpSettings {
    MailArgs {
        smtp_host: Some("127.0.0.1".into()),
        smtp_port: Some(port),
        smtp_tls: tls,
        smtp_user: user.map(|u| u.0.to_owned()),
        smtp_password: user.map(|u| u.1.to_owned()),
        smtp_from: Some("Centralita <centralita@example.com>".into()),
        smtp_accept_invalid_certs: true,
    }
    .settings(None)
    .unwrap()
    .unwrap()
}

/// Fast retries so an outage of a second is bridged within the test's patience.
fn quick() -> WorkerOptions {
    WorkerOptions {
        backoff: Backoff {
            first: Duration::from_millis(200),
            max: Duration::from_millis(800),
            window: Duration::from_secs(60),
        },
        sweep_every: Duration::from_secs(3600),
    }
}

/// A data folder with the example tenant and one stored 8 kHz voicemail recording.
fn data_with_message() -> (tempfile::TempDir, Store, VoicemailMessage, Vec<i16>) {
    let dir = tempfile::tempdir().unwrap();
    let mut store = Store::open(dir.path()).unwrap();
    // The example tenant, its box vm700 keeping messages long enough that the sweep at the
    // thread's start leaves this 2023 message alone.
    let mut doc = store::parse_document(EXAMPLE).unwrap();
    doc.voicemail_boxes[0].keep_days = 100_000;
    store.import_document(&doc).unwrap();
    let samples: Vec<i16> = (0..8000).map(|i| ((i * 37) % 2000 - 1000) as i16).collect();
    let received_utc = 1_700_000_000_000;
    let file = format!("voicemail/{DEMO_TENANT_ID}/vm700/{received_utc}-1.wav");
    let path = dir.path().join(&file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, encode_pcm16(WavFormat::mono(8000), &samples)).unwrap();
    let message = VoicemailMessage {
        id: 0,
        tenant_id: DEMO_TENANT_ID,
        box_id: "vm700".into(),
        caller: "600111222".into(),
        received_utc,
        duration_ms: 1000,
        file,
        heard: false,
    };
    (dir, store, message, samples)
}

/// What the daemon does when a message is saved: the message and its mail in one
/// transaction, then the sender woken.
fn save(
    handle: &MailHandle,
    store: &mut Store,
    message: &VoicemailMessage,
    email: &str,
    time_zone: Option<chrono_tz::Tz>,
    now_utc: i64,
) -> i64 {
    let mail = voicemail_mail(message, "Ventas", email, time_zone);
    let (id, _) = store
        .add_voicemail_with_mail(message, mail.as_ref(), now_utc)
        .unwrap();
    handle.wake();
    id
}

fn now() -> i64 {
    1_700_000_000_000
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn voicemail_arrives_once_with_its_wav() {
    let port = free_port();
    let server = SmtpServer::start(port, &[]);
    let (dir, mut store, message, samples) = data_with_message();
    let handle = worker::spawn(
        dir.path(),
        Some(settings(port, SmtpTls::None, None)),
        quick(),
    )
    .unwrap();
    let tz = Some(chrono_tz::Europe::Madrid);
    let id = save(
        &handle,
        &mut store,
        &message,
        "ventas@example.com",
        tz,
        now(),
    );
    assert_eq!(store.voicemail(id).unwrap().unwrap().file, message.file);

    let mails = server.wait_for(1);
    let m = &mails[0];
    assert_eq!(m["rcpt_tos"], serde_json::json!(["ventas@example.com"]));
    assert_eq!(m["mail_from"], "centralita@example.com");
    assert_eq!(m["subject"], "Nuevo mensaje de voz de 600111222 (Ventas)");
    let text = m["text"].as_str().unwrap();
    assert!(
        text.contains("14 de noviembre de 2023, 23:13:20 (Europe/Madrid)"),
        "{text}"
    );
    let attachments = m["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1, "{m}");
    assert_eq!(attachments[0]["name"], "mensaje-20231114-231320.wav");
    assert_eq!(attachments[0]["mime"], "audio/wav");
    let bytes = std::fs::read(attachments[0]["file"].as_str().unwrap()).unwrap();
    let audio = decode(&bytes).unwrap();
    assert_eq!(audio.format, WavFormat::mono(8000));
    assert_eq!(audio.samples, samples);

    wait_until("the mail marked sent", || {
        store.mail_queue_counts().unwrap().sent == 1
    });
    // Waking again sends nothing more: the mail went out once.
    handle.wake();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.received().len(), 1);
    let counts = store.mail_queue_counts().unwrap();
    assert_eq!((counts.pending, counts.sent, counts.failed), (0, 1, 0));
    handle.shutdown();
}

#[test]
fn queued_while_the_server_is_down_then_delivered() {
    let port = free_port();
    let (dir, mut store, message, _) = data_with_message();
    let handle = worker::spawn(
        dir.path(),
        Some(settings(port, SmtpTls::None, None)),
        quick(),
    )
    .unwrap();
    let mail = voicemail_mail(&message, "Ventas", "ventas@example.com", None).unwrap();
    let (_, mail_id) = store
        .add_voicemail_with_mail(&message, Some(&mail), now_ms())
        .unwrap();
    let mail_id = mail_id.unwrap();
    handle.wake();
    wait_until("a failed attempt", || {
        store.mail(mail_id).unwrap().unwrap().attempts >= 1
    });
    let failed = store.mail(mail_id).unwrap().unwrap();
    assert!(failed.last_error.is_some());
    assert_eq!(store.mail_queue_counts().unwrap().pending, 1);

    let server = SmtpServer::start(port, &[]);
    let mails = server.wait_for(1);
    assert_eq!(
        mails[0]["subject"],
        "Nuevo mensaje de voz de 600111222 (Ventas)"
    );
    wait_until("the mail marked sent", || {
        store.mail_queue_counts().unwrap().sent == 1
    });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(server.received().len(), 1, "delivered once");
    handle.shutdown();
}

fn self_signed_cert(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "openssl could not make a certificate");
    (cert, key)
}

#[test]
fn starttls_and_auth_with_a_self_signed_server() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_cert(certs.path());
    let port = free_port();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let server = SmtpServer::start(port, &["--auth", "buzon:s3creta", "--starttls", cert, key]);
    let (dir, mut store, message, _) = data_with_message();
    let good = settings(port, SmtpTls::Starttls, Some(("buzon", "s3creta")));
    let handle = worker::spawn(dir.path(), Some(good), quick()).unwrap();
    save(&handle, &mut store, &message, "a@example.com", None, now());
    let mails = server.wait_for(1);
    assert_eq!(mails[0]["auth_user"], "buzon");
    assert_eq!(mails[0]["tls"], true);
    handle.shutdown();

    // A wrong password is refused with 535: given up at once, not retried for two days.
    let bad = settings(port, SmtpTls::Starttls, Some(("buzon", "wrong")));
    let handle = worker::spawn(dir.path(), Some(bad), quick()).unwrap();
    let plain = NewMail {
        tenant_id: None,
        to: "b@example.com".into(),
        subject: "prueba".into(),
        body: "hola".into(),
        attachment: None,
    };
    let id = store.enqueue_mail(&plain, now_ms()).unwrap();
    handle.wake();
    wait_until("the mail given up", || {
        store.mail_queue_counts().unwrap().failed == 1
    });
    let given_up = store.mail(id).unwrap().unwrap();
    assert_eq!(given_up.attempts, 1);
    assert!(given_up.last_error.unwrap().contains("535"));
    assert_eq!(server.received().len(), 1);
    handle.shutdown();
}

#[test]
fn implicit_tls() {
    let certs = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed_cert(certs.path());
    let port = free_port();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let server = SmtpServer::start(port, &["--tls", cert, key]);
    let (dir, mut store, message, _) = data_with_message();
    let handle = worker::spawn(
        dir.path(),
        Some(settings(port, SmtpTls::Tls, None)),
        quick(),
    )
    .unwrap();
    save(&handle, &mut store, &message, "a@example.com", None, now());
    let mails = server.wait_for(1);
    assert_eq!(mails[0]["tls"], true);
    assert_eq!(mails[0]["attachments"].as_array().unwrap().len(), 1);
    handle.shutdown();
}

#[test]
fn sweep_expires_messages_and_removes_their_files() {
    let (dir, mut store, mut message, _) = data_with_message();
    // A box no longer in the configuration: 730 days.
    message.box_id = "removed".into();
    let id = store.add_voicemail(&message).unwrap();
    let path = dir.path().join(&message.file);
    let day = 86_400_000;
    let kept = sweep(&mut store, dir.path(), message.received_utc + 730 * day).unwrap();
    assert_eq!(kept, SweepReport::default());
    assert!(path.exists());
    let swept = sweep(&mut store, dir.path(), message.received_utc + 731 * day).unwrap();
    assert_eq!((swept.expired_messages, swept.files_removed), (1, 1));
    assert!(!path.exists());
    assert!(store.voicemail(id).unwrap().is_none());

    // A row pointing outside the data folder never deletes that file.
    let outside = tempfile::NamedTempFile::new().unwrap();
    let mut evil = message.clone();
    evil.file = format!("../{}", outside.path().display());
    store.add_voicemail(&evil).unwrap();
    let swept = sweep(&mut store, dir.path(), message.received_utc + 731 * day).unwrap();
    assert_eq!((swept.expired_messages, swept.files_removed), (1, 0));
    assert!(outside.path().exists());
}

#[test]
fn without_smtp_host_mail_stays_queued() {
    let (dir, mut store, message, _) = data_with_message();
    let handle = start(dir.path(), MailArgs::default()).unwrap();
    save(
        &handle,
        &mut store,
        &message,
        "a@example.com",
        None,
        now_ms(),
    );
    std::thread::sleep(Duration::from_millis(300));
    let counts = store.mail_queue_counts().unwrap();
    assert_eq!((counts.pending, counts.sent, counts.failed), (1, 0, 0));
    handle.shutdown();
}

/// Throughput figure (not a pass/fail timing): 100 voicemail mails with a 10 s WAV each
/// (160 kB, ~215 kB encoded), one SMTP connection per mail, to aiosmtpd on loopback.
/// `cargo test -p centralita mail::tests::bench -- --ignored --nocapture`
#[test]
#[ignore]
fn bench_mail_throughput() {
    const MAILS: usize = 100;
    let port = free_port();
    let server = SmtpServer::start(port, &[]);
    let (dir, mut store, mut message, _) = data_with_message();
    let samples: Vec<i16> = (0..80_000)
        .map(|i| ((i * 37) % 2000 - 1000) as i16)
        .collect();
    std::fs::write(
        dir.path().join(&message.file),
        encode_pcm16(WavFormat::mono(8000), &samples),
    )
    .unwrap();
    message.duration_ms = 10_000;
    for _ in 0..MAILS {
        let mail = voicemail_mail(&message, "Ventas", "v@example.com", None).unwrap();
        store.enqueue_mail(&mail, now_ms()).unwrap();
    }
    let start = Instant::now();
    let handle = worker::spawn(
        dir.path(),
        Some(settings(port, SmtpTls::None, None)),
        quick(),
    )
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while server.received().len() < MAILS {
        assert!(
            Instant::now() < deadline,
            "{} mails arrived",
            server.received().len()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let elapsed = start.elapsed();
    println!(
        "{MAILS} mails with a 10 s WAV in {:.2} s: {:.1} mails/s",
        elapsed.as_secs_f64(),
        MAILS as f64 / elapsed.as_secs_f64()
    );
    handle.shutdown();
}
