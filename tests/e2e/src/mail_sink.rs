//! A real SMTP server process for the voicemail email test: Python's aiosmtpd running
//! `mail/smtp_sink.py`, which saves each message, its decoded attachments and a JSON
//! summary into a folder. Started on a free loopback port, killed by PID when dropped.
//!
//! Needs Debian's `python3-aiosmtpd`, run with Debian's interpreter (`/usr/bin/python3`):
//! a pyenv or venv `python3` earlier on PATH would not see the package.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::error::{HarnessError, Result};
use crate::{ports, wait};

/// The interpreter python3-aiosmtpd installs into.
const PYTHON: &str = "/usr/bin/python3";

pub struct MailSink {
    child: Child,
    folder: TempDir,
    pub addr: SocketAddr,
}

/// One message the sink received (its JSON summary).
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub summary: Value,
}

impl ReceivedMail {
    pub fn subject(&self) -> &str {
        self.summary["subject"].as_str().unwrap_or_default()
    }

    pub fn recipients(&self) -> Vec<String> {
        self.summary["rcpt_tos"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// (file name, content type, decoded file) of each attachment.
    pub fn attachments(&self) -> Vec<(String, String, PathBuf)> {
        self.summary["attachments"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|att| {
                        let text = |k: &str| att[k].as_str().unwrap_or_default().to_string();
                        (
                            text("filename"),
                            text("content_type"),
                            PathBuf::from(text("path")),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl MailSink {
    pub fn start() -> Result<MailSink> {
        if !Path::new(PYTHON).is_file() {
            return Err(HarnessError::MissingTool {
                tool: PYTHON.to_string(),
            });
        }
        let folder = tempfile::Builder::new()
            .prefix("centralita-e2e-mail-")
            .tempdir()
            .map_err(HarnessError::io("create mail folder"))?;
        let port = ports::free_port("SMTP sink", true)?;
        let script = crate::crate_dir().join("mail").join("smtp_sink.py");
        let log = std::fs::File::create(folder.path().join("sink.log"))
            .map_err(HarnessError::io("create SMTP sink log"))?;
        let log_err = log
            .try_clone()
            .map_err(HarnessError::io("clone SMTP sink log"))?;
        let child = Command::new(PYTHON)
            .arg(&script)
            .arg(port.to_string())
            .arg(folder.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .map_err(HarnessError::io("spawn the aiosmtpd sink"))?;
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let mut sink = MailSink {
            child,
            folder,
            addr,
        };
        let up = wait::until(
            "the aiosmtpd sink to listen",
            Duration::from_secs(15),
            Duration::from_millis(50),
            || {
                if let Ok(Some(status)) = sink.child.try_wait() {
                    return Err(HarnessError::DaemonDied {
                        status: format!("aiosmtpd sink {status} (is python3-aiosmtpd installed?)"),
                        stderr_tail: sink.log(),
                    });
                }
                Ok(TcpStream::connect(addr).ok().map(|_| ()))
            },
        );
        up.map(|()| sink)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// The sink's own output, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.folder.path().join("sink.log")).unwrap_or_default()
    }

    /// Every complete message so far, in arrival order.
    pub fn received(&self) -> Result<Vec<ReceivedMail>> {
        let mut mails = Vec::new();
        for n in 1.. {
            let path = self.folder.path().join(format!("mail-{n}.json"));
            let Ok(text) = std::fs::read_to_string(&path) else {
                break;
            };
            let summary = serde_json::from_str(&text).map_err(|_| HarnessError::BadJson {
                what: path.display().to_string(),
                text,
            })?;
            mails.push(ReceivedMail { summary });
        }
        Ok(mails)
    }

    /// Waits (bounded) for at least `n` messages.
    pub fn wait_for(&self, n: usize, limit: Duration) -> Result<Vec<ReceivedMail>> {
        wait::until(
            &format!("{n} message(s) at the SMTP sink"),
            limit,
            Duration::from_millis(200),
            || {
                let mails = self.received()?;
                Ok((mails.len() >= n).then_some(mails))
            },
        )
    }
}

impl Drop for MailSink {
    fn drop(&mut self) {
        // Closing stdin lets it stop cleanly; the kill (by this child's PID) makes sure.
        drop(self.child.stdin.take());
        for _ in 0..20 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
