//! SIPp as a subprocess: bounded (`-m`, `-timeout`), on 127.0.0.1 with its own ports,
//! run in a temporary working folder so its `-trace_err` logs land there and can be
//! quoted when a scenario fails.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::error::{HarnessError, Result};
use crate::{ports, wait};

/// Upper bound for one scenario run; SIPp enforces it itself with `-timeout`, the
/// harness waits a little longer before killing it.
const SIPP_TIMEOUT_SECS: u64 = 40;
/// How long files written by a scenario's last `<exec>` may trail SIPp's exit.
pub const EXEC_SETTLE: Duration = Duration::from_millis(500);

pub struct SippBuilder {
    scenario: PathBuf,
    substitutions: Vec<(String, String)>,
    local_port: Option<u16>,
    remote: Option<SocketAddr>,
    args: Vec<String>,
}

impl SippBuilder {
    /// A scenario from `tests/e2e/sipp/<name>.xml`.
    pub fn new(name: &str) -> SippBuilder {
        SippBuilder {
            scenario: crate::crate_dir().join("sipp").join(format!("{name}.xml")),
            substitutions: Vec::new(),
            local_port: None,
            remote: None,
            args: Vec::new(),
        }
    }

    /// Replaces `placeholder` in the scenario text (for values SIPp cannot take as a
    /// keyword, such as the response code a `<recv>` expects).
    pub fn substitute(mut self, placeholder: &str, value: &str) -> SippBuilder {
        self.substitutions
            .push((placeholder.to_string(), value.to_string()));
        self
    }

    /// Talk to `remote` (UAC mode).
    pub fn remote(mut self, remote: SocketAddr) -> SippBuilder {
        self.remote = Some(remote);
        self
    }

    /// Listen on this UDP port (needed for a UAS the box must reach); default: free port.
    pub fn local_port(mut self, port: u16) -> SippBuilder {
        self.local_port = Some(port);
        self
    }

    /// `-key name value`: used as `[name]` inside the scenario.
    pub fn key(mut self, name: &str, value: impl ToString) -> SippBuilder {
        self.args.push("-key".to_string());
        self.args.push(name.to_string());
        self.args.push(value.to_string());
        self
    }

    /// Request-URI user part (`[service]`).
    pub fn service(mut self, service: &str) -> SippBuilder {
        self.args.push("-s".to_string());
        self.args.push(service.to_string());
        self
    }

    /// Signalling over one TCP connection (`-t t1`); `[transport]` becomes TCP.
    pub fn tcp(mut self) -> SippBuilder {
        self.args.extend(["-t".to_string(), "t1".to_string()]);
        self
    }

    /// Any other SIPp argument.
    pub fn arg(mut self, arg: &str) -> SippBuilder {
        self.args.push(arg.to_string());
        self
    }

    /// Credentials SIPp uses for `[authentication]`.
    pub fn auth(mut self, username: &str, password: &str) -> SippBuilder {
        self.args.extend([
            "-au".to_string(),
            username.to_string(),
            "-ap".to_string(),
            password.to_string(),
        ]);
        self
    }

    pub fn spawn(self) -> Result<SippProcess> {
        crate::require_tool("sipp")?;
        let dir = tempfile::Builder::new()
            .prefix("centralita-sipp-")
            .tempdir()
            .map_err(HarnessError::io("create SIPp dir"))?;
        let text = std::fs::read_to_string(&self.scenario).map_err(HarnessError::io(format!(
            "read {}",
            self.scenario.display()
        )))?;
        let text = self
            .substitutions
            .iter()
            .fold(text, |text, (from, to)| text.replace(from, to));
        let name = self
            .scenario
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario.xml".to_string());
        let scenario = dir.path().join(&name);
        std::fs::write(&scenario, text).map_err(HarnessError::io("write SIPp scenario"))?;

        let port = match self.local_port {
            Some(port) => port,
            None => ports::free_port("SIPp signalling", false)?,
        };
        // SIPp always binds an RTP echo socket; give it a free one so parallel SIPp
        // instances do not fight over the default 6000.
        let media_port = ports::free_media_port("SIPp media")?;
        let mut cmd = Command::new("sipp");
        if let Some(remote) = self.remote {
            cmd.arg(remote.to_string());
        }
        cmd.arg("-sf")
            .arg(&scenario)
            .args(["-i", "127.0.0.1", "-mi", "127.0.0.1"])
            .arg("-p")
            .arg(port.to_string())
            .arg("-mp")
            .arg(media_port.to_string())
            .args(["-m", "1", "-l", "1", "-nostdin", "-trace_err"])
            .arg("-timeout")
            .arg(format!("{SIPP_TIMEOUT_SECS}s"))
            .arg("-timeout_error")
            .args(&self.args)
            .current_dir(dir.path())
            .stdin(Stdio::null());
        let stdout = std::fs::File::create(dir.path().join("sipp.stdout"))
            .map_err(HarnessError::io("create SIPp log"))?;
        let stderr = std::fs::File::create(dir.path().join("sipp.stderr"))
            .map_err(HarnessError::io("create SIPp log"))?;
        let child = cmd
            .stdout(Stdio::from(stdout))
            .stderr(Stdio::from(stderr))
            .spawn()
            .map_err(HarnessError::io("spawn sipp"))?;
        Ok(SippProcess {
            child,
            dir,
            name,
            port,
        })
    }
}

/// A running SIPp; killed by PID if dropped while still running.
pub struct SippProcess {
    child: Child,
    dir: TempDir,
    name: String,
    pub port: u16,
}

/// How a SIPp run ended.
#[derive(Debug)]
pub struct SippOutcome {
    /// SIPp's exit code: 0 = every call succeeded, 1 = some call failed, 255/254 =
    /// fatal (bad scenario, socket bind), `None` = killed after the harness timeout.
    pub code: Option<i32>,
    /// SIPp's stderr and -trace_err log, for the assertion message.
    pub log: String,
}

impl SippOutcome {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

impl SippProcess {
    /// Waits until SIPp has bound its signalling port, so the box can reach it.
    pub fn wait_listening(&self) -> Result<()> {
        wait::until(
            &format!("SIPp ({}) to bind UDP port {}", self.name, self.port),
            Duration::from_secs(10),
            Duration::from_millis(20),
            || Ok(ports::udp_port_in_use(self.port).then_some(())),
        )
    }

    pub fn local(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Waits for SIPp to exit by itself (bounded), then collects its logs.
    pub fn wait(mut self) -> Result<SippOutcome> {
        let limit = Duration::from_secs(SIPP_TIMEOUT_SECS + 10);
        let code = wait_bounded(&mut self.child, limit, "wait for sipp")?;
        // SIPp runs `<exec command>` detached (double fork) and does not wait for it, so
        // a file the scenario writes just before its end can appear after SIPp exited;
        // give those shells a moment before anyone reads the files.
        std::thread::sleep(EXEC_SETTLE);
        Ok(SippOutcome {
            code,
            log: self.logs(),
        })
    }

    /// Exit code if SIPp already ended (`Some(None)` = killed by a signal).
    pub fn exited(&mut self) -> Result<Option<Option<i32>>> {
        Ok(self
            .child
            .try_wait()
            .map_err(HarnessError::io("poll sipp"))?
            .map(|status| status.code()))
    }

    /// SIPp's stderr and -trace_err logs so far.
    pub fn logs(&self) -> String {
        let mut log = format!("--- sipp {} (port {}) ---\n", self.name, self.port);
        if let Ok(entries) = std::fs::read_dir(self.dir.path()) {
            for entry in entries.flatten() {
                let path = entry.path();
                let file = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                if file.ends_with(".log") || file == "sipp.stderr" {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    let tail: String = text
                        .chars()
                        .rev()
                        .take(4000)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect();
                    log.push_str(&format!("[{file}]\n{tail}\n"));
                }
            }
        }
        log
    }
}

impl Drop for SippProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Waits for a SIPp process to exit by itself, killing it after `limit`; its exit code, or
/// `None` when it had to be killed or ended by a signal.
pub fn wait_bounded(
    child: &mut std::process::Child,
    limit: Duration,
    what: &'static str,
) -> Result<Option<i32>> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().map_err(HarnessError::io(what))? {
            return Ok(status.code());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
