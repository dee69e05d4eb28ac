//! One real `centralita` daemon per test: temporary data folder, free loopback ports,
//! the test tenant imported first, killed by PID when the guard drops.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tempfile::TempDir;

use crate::error::{HarnessError, Result};
use crate::{ports, tenant, wait};

/// How long a daemon may take to print `centralita ready`: generous because a debug
/// build on a loaded two-core machine can be slow; it is a bound, not a measurement.
const READY_LIMIT: Duration = Duration::from_secs(30);

/// One call detail record as printed by `centralita cdr` (JSON lines).
#[derive(Debug, Clone)]
pub struct Cdr {
    pub call_id: String,
    pub source: String,
    pub destination: String,
    pub disposition: String,
    pub hangup_cause: String,
    pub answer_utc: Option<String>,
    pub billable_secs: Option<u64>,
    /// The whole line, for fields a test wants beyond the ones above.
    pub raw: Value,
}

impl Cdr {
    fn from_json(raw: Value) -> Cdr {
        let text = |key: &str| match raw.get(key) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(other) => other.to_string(),
        };
        Cdr {
            call_id: text("call_id"),
            source: text("source"),
            destination: text("destination"),
            disposition: text("disposition"),
            hangup_cause: text("hangup_cause"),
            // The contract names the field but not its encoding (text or epoch number).
            answer_utc: match raw.get("answer_utc") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.clone()),
                Some(other) => Some(other.to_string()),
            },
            billable_secs: raw.get("billable_secs").and_then(Value::as_u64),
            raw,
        }
    }

    /// True when this record is a call from extension `from` to number `to`. The
    /// contract does not fix whether `source` holds the extension or the SIP username,
    /// so both are accepted.
    pub fn is_between(&self, from: &str, to: &str) -> bool {
        let from_ok = self.source == from
            || self
                .source
                .ends_with(&format!("{}{from}", tenant::TENANT_ID));
        let to_ok = self.destination == to
            || self
                .destination
                .ends_with(&format!("{}{to}", tenant::TENANT_ID));
        from_ok && to_ok
    }
}

/// Path of the daemon under test.
pub fn binary() -> Result<PathBuf> {
    let path = match std::env::var_os("CENTRALITA_BIN") {
        Some(path) => PathBuf::from(path),
        None => crate::crate_dir().join("../../target/debug/centralita"),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(HarnessError::MissingBinary { path })
    }
}

pub struct Daemon {
    child: Child,
    bin: PathBuf,
    dir: Option<TempDir>,
    data: PathBuf,
    stderr_path: PathBuf,
    stdout: Arc<Mutex<Vec<String>>>,
    pub sip: SocketAddr,
    pub http: SocketAddr,
    pub rtp: (u16, u16),
}

impl Daemon {
    /// Imports the test tenant into a fresh data folder and starts the daemon on it.
    pub fn start() -> Result<Daemon> {
        Daemon::start_with_args(&[])
    }

    /// Like [`Daemon::start`], with extra `centralita run` arguments (e.g. `--digest`).
    pub fn start_with_args(extra: &[&str]) -> Result<Daemon> {
        let dir = tempfile::Builder::new()
            .prefix("centralita-e2e-")
            .tempdir()
            .map_err(HarnessError::io("create temp dir"))?;
        let data = dir.path().join("data");
        let doc_path = dir.path().join("tenant.json");
        std::fs::write(&doc_path, tenant::document().to_string())
            .map_err(HarnessError::io("write tenant document"))?;
        let bin = binary()?;
        run_subcommand(
            &bin,
            "import",
            &["--data".into(), data.clone().into(), doc_path.into()],
        )?;
        Daemon::spawn(bin, dir, data, extra)
    }

    /// Starts the daemon on an empty data folder: the first-start path that creates
    /// the demo tenant and prints its credentials.
    pub fn start_empty() -> Result<Daemon> {
        let dir = tempfile::Builder::new()
            .prefix("centralita-e2e-")
            .tempdir()
            .map_err(HarnessError::io("create temp dir"))?;
        let data = dir.path().join("data");
        Daemon::spawn(binary()?, dir, data, &[])
    }

    /// Runs another `centralita` subcommand against this daemon's data folder.
    pub fn subcommand(&self, subcommand: &str, args: &[std::ffi::OsString]) -> Result<String> {
        let mut all: Vec<std::ffi::OsString> = vec!["--data".into(), self.data.clone().into()];
        all.extend_from_slice(args);
        run_subcommand(&self.bin, subcommand, &all)
    }

    pub(crate) fn spawn(
        bin: PathBuf,
        dir: TempDir,
        data: PathBuf,
        extra: &[&str],
    ) -> Result<Daemon> {
        let sip_port = ports::free_port("daemon SIP", true)?;
        let http_port = ports::free_port("daemon HTTP", true)?;
        let rtp = ports::rtp_range();
        let sip = SocketAddr::from(([127, 0, 0, 1], sip_port));
        let http = SocketAddr::from(([127, 0, 0, 1], http_port));
        let stderr_path = dir.path().join("daemon.stderr.log");
        let stderr_file =
            std::fs::File::create(&stderr_path).map_err(HarnessError::io("create daemon log"))?;
        let mut child = Command::new(&bin)
            .arg("run")
            .arg("--data")
            .arg(&data)
            .arg("--sip")
            .arg(sip.to_string())
            .arg("--http")
            .arg(http.to_string())
            .arg("--rtp-ports")
            .arg(format!("{}-{}", rtp.0, rtp.1))
            .args(extra)
            .current_dir(dir.path())
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "debug".to_string()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(stderr_file))
            .spawn()
            .map_err(HarnessError::io(format!("spawn {}", bin.display())))?;

        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            let lines = Arc::clone(&stdout);
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(|l| l.ok()) {
                    let ready = line.starts_with("centralita ready");
                    // Store before signalling: a test reading the lines right after
                    // start() must see the ready line too.
                    if let Ok(mut all) = lines.lock() {
                        all.push(line);
                    }
                    if ready {
                        let _ = ready_tx.send(());
                    }
                }
            });
        }
        let mut daemon = Daemon {
            child,
            bin,
            dir: Some(dir),
            data,
            stderr_path,
            stdout,
            sip,
            http,
            rtp,
        };
        daemon.wait_ready(&ready_rx)?;
        Ok(daemon)
    }

    fn wait_ready(&mut self, ready: &mpsc::Receiver<()>) -> Result<()> {
        let start = Instant::now();
        while start.elapsed() < READY_LIMIT {
            if ready.recv_timeout(Duration::from_millis(100)).is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(HarnessError::DaemonDied {
                    status: status.to_string(),
                    stderr_tail: self.stderr_tail(),
                });
            }
        }
        Err(HarnessError::DaemonNotReady {
            waited: READY_LIMIT,
            stderr_tail: self.stderr_tail(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// Lines the daemon printed on stdout so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Still running (not crashed)?
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// The last 40 lines of the daemon's log, for failure messages.
    pub fn stderr_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.stderr_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// The latest `limit` CDRs, newest first.
    pub fn cdrs(&self, limit: usize) -> Result<Vec<Cdr>> {
        let out = run_subcommand(
            &self.bin,
            "cdr",
            &[
                "--data".into(),
                self.data.clone().into(),
                "--limit".into(),
                limit.to_string().into(),
            ],
        )?;
        out.lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| match serde_json::from_str::<Value>(line) {
                Ok(value @ Value::Object(_)) => Ok(Cdr::from_json(value)),
                _ => Err(HarnessError::BadCdrLine {
                    line: line.to_string(),
                }),
            })
            .collect()
    }

    /// Waits (bounded) for the newest CDR of a call `from` -> `to`: the daemon may write
    /// it a moment after the last SIP message of the call.
    pub fn wait_cdr(&self, from: &str, to: &str) -> Result<Cdr> {
        wait::until(
            &format!("a CDR for a call {from} -> {to}"),
            Duration::from_secs(10),
            Duration::from_millis(200),
            || {
                Ok(self
                    .cdrs(50)?
                    .into_iter()
                    .find(|cdr| cdr.is_between(from, to)))
            },
        )
    }

    /// SIGTERM, then waits (bounded) for a clean exit; SIGKILL if it does not come.
    pub fn stop(mut self) -> Result<ExitStatus> {
        self.terminate()
    }

    fn terminate(&mut self) -> Result<ExitStatus> {
        if let Ok(Some(status)) = self.child.try_wait() {
            return Ok(status);
        }
        // By PID, never by name: other engineers' daemons run on this machine too.
        if let Ok(pid) = i32::try_from(self.child.id()) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGTERM,
            );
        }
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Ok(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        self.child
            .wait()
            .map_err(HarnessError::io("wait for daemon"))
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.terminate();
        // A panicking test (or E2E_KEEP=1, for tests that fail by returning Err after
        // the daemon is gone) keeps the evidence: data folder and full daemon log.
        if std::thread::panicking() || std::env::var_os("E2E_KEEP").is_some() {
            if let Some(dir) = self.dir.take() {
                let kept = dir.keep();
                eprintln!(
                    "daemon log tail ({}):\n{}\n(full log and data kept in {})",
                    self.stderr_path.display(),
                    self.stderr_tail(),
                    kept.display()
                );
            }
        }
    }
}

/// Runs `centralita <subcommand> args…` to completion and returns its stdout.
pub fn run_subcommand(bin: &Path, subcommand: &str, args: &[std::ffi::OsString]) -> Result<String> {
    let out = Command::new(bin)
        .arg(subcommand)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(HarnessError::io(format!("run centralita {subcommand}")))?;
    if !out.status.success() {
        return Err(HarnessError::Subcommand {
            subcommand: subcommand.to_string(),
            status: out.status.to_string(),
            stderr: format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}
