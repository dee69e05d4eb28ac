//! SIPp playing the provider's UAS for the box's outbound INVITEs.
//!
//! Not the shared [`crate::sipp::SippBuilder`]: that one runs `-m 1`, and a provider gets
//! the box's OPTIONS keep-alives (every 30 s, each on a Call-ID of its own, so each one
//! a SIPp "call") besides the INVITE. With `-m 1` a keep-alive that arrives first would
//! use up the run and the INVITE would never be answered. Here SIPp takes any number of
//! calls; the provider scenarios answer OPTIONS with 200, and end the run themselves
//! (`stop_gracefully`) once the INVITE dialog is over, so the exit code still says
//! whether every call went as scripted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use tempfile::TempDir;

use crate::error::{HarnessError, Result};
use crate::rtp::MediaInfo;
use crate::sipp::SippOutcome;
use crate::{ports, wait};

/// SIPp's own bound (`-timeout`); the harness waits a little longer before killing it.
/// Long enough for a failover after timer B (32 s) plus the call itself.
const PROVIDER_TIMEOUT_SECS: u64 = 90;
/// Calls SIPp may take: the INVITE dialog plus keep-alives; only a bound.
const MAX_CALLS: u32 = 50;

pub struct ProviderSipp {
    child: Child,
    dir: TempDir,
    name: String,
    pub port: u16,
    /// Where the scenario writes the box's media address (`[media_file]`); markers
    /// are written beside it with a suffix.
    pub media_file: PathBuf,
}

impl ProviderSipp {
    /// Starts `sipp/<scenario>.xml` on `port` with `substitutions` applied to its text
    /// and `keys` passed as `-key name value`, and waits until it listens.
    pub fn spawn(
        scenario: &str,
        port: u16,
        substitutions: &[(&str, &str)],
        keys: &[(&str, String)],
        media_file: &Path,
    ) -> Result<ProviderSipp> {
        crate::require_tool("sipp")?;
        let source = crate::crate_dir()
            .join("sipp")
            .join(format!("{scenario}.xml"));
        let text = std::fs::read_to_string(&source)
            .map_err(HarnessError::io(format!("read {}", source.display())))?;
        let text = substitutions
            .iter()
            .fold(text, |text, (from, to)| text.replace(from, to));
        let dir = tempfile::Builder::new()
            .prefix("centralita-provider-")
            .tempdir()
            .map_err(HarnessError::io("create provider SIPp dir"))?;
        let name = format!("{scenario}.xml");
        let path = dir.path().join(&name);
        std::fs::write(&path, text).map_err(HarnessError::io("write provider scenario"))?;
        let media_port = media_port(port)?;
        let mut cmd = Command::new("sipp");
        cmd.arg("-sf")
            .arg(&path)
            .args(["-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .arg("-p")
            .arg(port.to_string())
            .arg("-mp")
            .arg(media_port.to_string())
            .arg("-m")
            .arg(MAX_CALLS.to_string())
            .args(["-nostdin", "-trace_err", "-trace_msg"])
            .arg("-timeout")
            .arg(format!("{PROVIDER_TIMEOUT_SECS}s"))
            .arg("-timeout_error")
            .arg("-key")
            .arg("media_file")
            .arg(media_file);
        for (key, value) in keys {
            cmd.arg("-key").arg(key).arg(value);
        }
        let out = std::fs::File::create(dir.path().join("sipp.stdout"))
            .map_err(HarnessError::io("create provider SIPp log"))?;
        let err = std::fs::File::create(dir.path().join("sipp.stderr"))
            .map_err(HarnessError::io("create provider SIPp log"))?;
        let child = cmd
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(HarnessError::io("spawn provider sipp"))?;
        let sipp = ProviderSipp {
            child,
            dir,
            name,
            port,
            media_file: media_file.to_path_buf(),
        };
        wait::until(
            &format!("provider SIPp to bind UDP port {port}"),
            Duration::from_secs(10),
            Duration::from_millis(20),
            || Ok(ports::udp_port_in_use(port).then_some(())),
        )?;
        Ok(sipp)
    }

    /// Where SIPp listens (to send it the harness's hang-up trigger).
    pub fn local(&self) -> std::net::SocketAddr {
        std::net::SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `<media_file><suffix>`.
    pub fn marker_path(&self, suffix: &str) -> PathBuf {
        let mut name = self.media_file.clone().into_os_string();
        name.push(suffix);
        PathBuf::from(name)
    }

    /// Waits (up to `limit`) for the scenario to write `<media_file><suffix>` and reads
    /// it; fails early, with SIPp's logs, if SIPp exits first.
    pub fn marker(&mut self, suffix: &str, limit: Duration) -> Result<String> {
        let path = self.marker_path(suffix);
        wait::until(
            &format!("the provider to write {}", path.display()),
            limit,
            Duration::from_millis(50),
            || {
                if let Ok(text) = std::fs::read_to_string(&path) {
                    return Ok(Some(text));
                }
                if let Ok(Some(status)) = self.child.try_wait() {
                    return Err(HarnessError::Timeout {
                        what: format!(
                            "{}; provider SIPp already exited with {:?}\n{}",
                            path.display(),
                            status.code(),
                            self.logs()
                        ),
                        waited: Duration::ZERO,
                    });
                }
                Ok(None)
            },
        )
    }

    /// The box's media address once the scenario answered.
    pub fn media(&mut self, limit: Duration) -> Result<MediaInfo> {
        self.marker("", limit)?;
        MediaInfo::read(&self.media_file)?.ok_or_else(|| HarnessError::BadFile {
            path: self.media_file.clone(),
            reason: "vanished after being written".to_string(),
        })
    }

    /// Waits (bounded) for SIPp to end the run by itself, then collects its logs.
    pub fn finish(mut self) -> Result<SippOutcome> {
        let limit = Duration::from_secs(PROVIDER_TIMEOUT_SECS + 10);
        let code = crate::sipp::wait_bounded(&mut self.child, limit, "wait for provider sipp")?;
        Ok(SippOutcome {
            code,
            log: self.logs(),
        })
    }

    /// SIPp's stderr, error log and the tail of its message trace.
    pub fn logs(&self) -> String {
        let mut log = format!("--- provider sipp {} (port {}) ---\n", self.name, self.port);
        let Ok(entries) = std::fs::read_dir(self.dir.path()) else {
            return log;
        };
        for entry in entries.flatten() {
            let file = entry.file_name().to_string_lossy().into_owned();
            if file.ends_with(".log") || file == "sipp.stderr" {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                let tail: String = text
                    .chars()
                    .rev()
                    .take(6000)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                log.push_str(&format!("[{file}]\n{tail}\n"));
            }
        }
        log
    }
}

/// SIPp binds its audio echo socket on `-mp` and a video one on `-mp` + 2: both must be
/// free and neither may be the signalling port (a free port alone is not enough: the
/// +2 port once was this SIPp's own signalling port, and SIPp exited with 254).
fn media_port(signalling: u16) -> Result<u16> {
    for _ in 0..50 {
        let audio = ports::free_port("provider SIPp media", false)?;
        let Some(video) = audio.checked_add(2) else {
            continue;
        };
        if video != signalling && std::net::UdpSocket::bind(("127.0.0.1", video)).is_ok() {
            return Ok(audio);
        }
    }
    Err(HarnessError::NoFreePort {
        purpose: "provider SIPp media (audio and audio+2)".to_string(),
    })
}

impl Drop for ProviderSipp {
    fn drop(&mut self) {
        // By PID (the Child handle), never by name.
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
