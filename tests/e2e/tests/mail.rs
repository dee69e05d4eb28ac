//! The daemon's mail sender (issue 4) against a real SMTP server process (aiosmtpd,
//! `src/mail_sink.rs`): SMTP options checked at start, and mail left queued by an earlier run
//! (a crash, an SMTP outage, a box started without `--smtp-host`) sent once at start.
//! The voicemail-to-email path itself is in `voicemail.rs`.
//!
//! ```sh
//! cargo build -p centralita && cargo test -p e2e --test mail
//! ```

use std::process::{Command, Stdio};
use std::time::Duration;

use e2e::audio;
use e2e::mail_sink::MailSink;
use e2e::media_setup::{self, Prepared};
use e2e::tenant::TENANT_ID;
use e2e::{require_tool, Daemon, HarnessError, Result};

#[test]
fn an_invalid_sender_address_stops_the_daemon_with_the_reason() {
    let started =
        Daemon::start_with_args(&["--smtp-host", "127.0.0.1", "--smtp-from", "not an address"]);
    match started {
        Ok(_) => panic!("the daemon started with an invalid --smtp-from"),
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("smtp") && text.contains("not an address"),
                "reason not given: {text}"
            );
        }
    }
}

/// Writes rows straight into the daemon's database (it is not running yet), as an earlier
/// run would have left them.
fn sql(data: &std::path::Path, statement: &str) -> Result<()> {
    require_tool("sqlite3")?;
    let out = Command::new("sqlite3")
        .arg(data.join("centralita.db"))
        .arg(statement)
        .stdin(Stdio::null())
        .output()
        .map_err(HarnessError::io("run sqlite3"))?;
    if !out.status.success() {
        return Err(HarnessError::Subcommand {
            subcommand: format!("sqlite3 {statement}"),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    Ok(())
}

#[test]
fn mail_queued_by_an_earlier_run_is_sent_once_at_start() -> Result<()> {
    let sink = MailSink::start()?;
    let setup = Prepared::new()?;
    let data = setup.data_dir().to_path_buf();
    let relative = format!("voicemail/{TENANT_ID}/vm-main/1700000000000-1.wav");
    let tone = audio::tone_ms(800.0, -10.0, audio::RATE_8K, 1000);
    let wav = data.join(&relative);
    std::fs::create_dir_all(wav.parent().unwrap_or(&data))
        .map_err(HarnessError::io("create voicemail folder"))?;
    std::fs::write(&wav, audio::wav_pcm16(8000, 1, &tone))
        .map_err(HarnessError::io("write voicemail file"))?;
    // Pending with its audio; pending whose audio was deleted since; already sent.
    sql(
        &data,
        &format!(
            "INSERT INTO mail_queue (tenant_id, to_addr, subject, body, attachment_path,
                 attachment_name, attachment_mime, created_utc, next_attempt_utc, attempts,
                 last_error)
             VALUES ({TENANT_ID}, 'buzon@example.com', 'Nuevo mensaje de voz de 600 (Ventas)',
                 'Hola', '{relative}', 'mensaje-1.wav', 'audio/wav', 1, 1, 3, 'connection refused'),
                ({TENANT_ID}, 'otro@example.com', 'Nuevo mensaje de voz de 601 (Ventas)',
                 'Hola', 'voicemail/{TENANT_ID}/vm-main/gone.wav', 'mensaje-2.wav', 'audio/wav',
                 2, 2, 0, NULL);
             INSERT INTO mail_queue (to_addr, subject, body, created_utc, next_attempt_utc,
                 sent_utc)
             VALUES ('sent@example.com', 'ya enviado', 'x', 1, 1, 5);"
        ),
    )?;
    let doc = setup.export()?;
    let port = sink.port().to_string();
    let daemon = setup.start(
        &doc,
        &[
            "--smtp-host",
            "127.0.0.1",
            "--smtp-port",
            &port,
            "--smtp-tls",
            "none",
            "--smtp-from",
            "centralita@example.com",
        ],
    )?;
    let mails = sink.wait_for(2, Duration::from_secs(30))?;
    let by_rcpt = |to: &str| {
        mails
            .iter()
            .find(|m| m.recipients() == vec![to.to_string()])
            .unwrap_or_else(|| panic!("no mail to {to}: {mails:?}"))
    };
    let with_audio = by_rcpt("buzon@example.com");
    assert_eq!(with_audio.subject(), "Nuevo mensaje de voz de 600 (Ventas)");
    let attachments = with_audio.attachments();
    assert_eq!(attachments.len(), 1, "{}", with_audio.summary);
    let (name, content_type, path) = &attachments[0];
    assert_eq!(
        (name.as_str(), content_type.as_str()),
        ("mensaje-1.wav", "audio/wav")
    );
    assert_eq!(audio::read_wav(path)?.samples, tone);

    let without = by_rcpt("otro@example.com");
    assert!(without.attachments().is_empty(), "{}", without.summary);
    let body = without.summary["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("ya no está en la centralita"),
        "the mail says why the audio is missing: {body:?}"
    );

    // Both recorded as sent; the row sent in 1970 was purged by the retention sweep at start
    // (finished mail is kept 30 days), and nothing was sent twice.
    e2e::wait::until(
        "both mails marked sent",
        Duration::from_secs(10),
        Duration::from_millis(200),
        || {
            let rows = media_setup::query(
                &data,
                "SELECT to_addr, sent_utc FROM mail_queue ORDER BY id",
            )?;
            let sent = rows.iter().all(|r| r["sent_utc"].is_i64());
            Ok((rows.len() == 2 && sent).then_some(()))
        },
    )?;
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(sink.received()?.len(), 2, "{:?}", sink.received()?);
    daemon.stop()?;
    Ok(())
}
