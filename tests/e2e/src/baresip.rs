//! baresip as a real softphone: one process per phone with its own config folder built
//! from `baresip/*.template`, controlled and observed through its ctrl_tcp module
//! (netstring-framed JSON commands in, call and registration events out).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::error::{HarnessError, Result};
use crate::tenant::TestUser;
use crate::{ports, wait};

pub struct Baresip {
    child: Child,
    dir: TempDir,
    ctrl: TcpStream,
    events: Arc<Mutex<Vec<Value>>>,
    pub user: TestUser,
}

/// Variations of a baresip phone. `Default` is the phone of `baresip.rs`: G.711, a
/// 440 Hz microphone, nothing recorded.
#[derive(Debug, Clone, Default)]
pub struct BaresipOptions {
    /// The account's `audio_codecs` (e.g. `opus/48000/2`): the only codecs it offers
    /// and accepts. The opus module is loaded when this names it.
    pub codecs: Option<String>,
    /// Frequency of the microphone's sine (ausine), default 440 Hz.
    pub tone_hz: Option<u32>,
    /// Dump what the phone sends and hears (sndfile module) as WAV files in its folder:
    /// `dump-…-enc.wav` (sent) and `dump-…-dec.wav` (heard).
    pub record: bool,
}

impl Baresip {
    /// Starts baresip registered (once the daemon agrees) as `user` at `box_sip`.
    pub fn start(box_sip: SocketAddr, user: TestUser, auto_answer: bool) -> Result<Baresip> {
        Baresip::start_with(box_sip, user, auto_answer, &BaresipOptions::default())
    }

    /// [`Baresip::start`] with options.
    pub fn start_with(
        box_sip: SocketAddr,
        user: TestUser,
        auto_answer: bool,
        options: &BaresipOptions,
    ) -> Result<Baresip> {
        crate::require_tool("baresip")?;
        crate::require_tool("stdbuf")?;
        let dir = tempfile::Builder::new()
            .prefix("centralita-baresip-")
            .tempdir()
            .map_err(HarnessError::io("create baresip dir"))?;
        let sip_port = ports::free_port("baresip SIP", false)?;
        // baresip also binds TCP (and TLS) next to its SIP port, so keep ctrl_tcp off
        // sip_port + 1.
        let mut ctrl_port = ports::free_port("baresip ctrl_tcp", true)?;
        while ctrl_port == sip_port.saturating_add(1) {
            ctrl_port = ports::free_port("baresip ctrl_tcp", true)?;
        }
        let rtp_low = ports::free_port("baresip RTP", false)?;
        let fill = |template: &str| -> Result<String> {
            let path = crate::crate_dir().join("baresip").join(template);
            let text = std::fs::read_to_string(&path)
                .map_err(HarnessError::io(format!("read {}", path.display())))?;
            Ok(text
                .replace("@SIP_PORT@", &sip_port.to_string())
                .replace("@CTRL_PORT@", &ctrl_port.to_string())
                .replace("@RTP_LOW@", &rtp_low.to_string())
                .replace("@RTP_HIGH@", &rtp_low.saturating_add(9).to_string())
                .replace("@DEVICE@", &format!("e2e{}", user.extension))
                .replace("@USER@", &user.username())
                .replace("@PASSWORD@", user.password)
                .replace("@BOX@", &box_sip.to_string())
                .replace("@ANSWERMODE@", if auto_answer { "auto" } else { "manual" }))
        };
        let config = with_options(&fill("config.template")?, options, dir.path());
        std::fs::write(dir.path().join("config"), config)
            .map_err(HarnessError::io("write baresip config"))?;
        let mut accounts = fill("accounts.template")?;
        if let Some(codecs) = &options.codecs {
            // An account parameter: baresip then offers and accepts these codecs only.
            accounts = accounts.trim_end().to_string() + &format!(";audio_codecs={codecs}\n");
        }
        std::fs::write(dir.path().join("accounts"), accounts)
            .map_err(HarnessError::io("write baresip accounts"))?;
        let log = std::fs::File::create(dir.path().join("baresip.log"))
            .map_err(HarnessError::io("create baresip log"))?;
        let log_err = log
            .try_clone()
            .map_err(HarnessError::io("clone baresip log"))?;
        // stdbuf (coreutils) makes baresip's stdout line-buffered, so the log can be read
        // while it runs; it execs baresip, so the PID is still baresip's.
        let mut child = Command::new("stdbuf")
            .args(["-oL", "-eL", "baresip", "-f"])
            .arg(dir.path())
            // A hard upper bound on the phone's life in case the harness dies first.
            .args(["-t", "120"])
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .spawn()
            .map_err(HarnessError::io("spawn baresip"))?;
        let ctrl_addr = SocketAddr::from(([127, 0, 0, 1], ctrl_port));
        let connected = wait::until(
            "baresip's ctrl_tcp socket",
            Duration::from_secs(15),
            Duration::from_millis(50),
            || Ok(TcpStream::connect(ctrl_addr).ok()),
        );
        let ctrl = match connected {
            Ok(ctrl) => ctrl,
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(e);
            }
        };
        let events = Arc::new(Mutex::new(Vec::new()));
        let reader = ctrl
            .try_clone()
            .map_err(HarnessError::io("clone ctrl_tcp stream"))?;
        let sink = Arc::clone(&events);
        std::thread::spawn(move || read_netstrings(reader, &sink));
        Ok(Baresip {
            child,
            dir,
            ctrl,
            events,
            user,
        })
    }

    /// Sends a ctrl_tcp command (the long form of a menu command: dial, hangup, quit).
    pub fn command(&mut self, command: &str, params: &str) -> Result<()> {
        let body = json!({"command": command, "params": params, "token": command}).to_string();
        let framed = format!("{}:{},", body.len(), body);
        self.ctrl
            .write_all(framed.as_bytes())
            .map_err(HarnessError::io(format!("send `{command}` to baresip")))
    }

    /// Every event seen so far.
    pub fn events(&self) -> Vec<Value> {
        self.events.lock().map(|e| e.clone()).unwrap_or_default()
    }

    /// Waits (bounded) for an event of `kind` (e.g. REGISTER_OK, CALL_ESTABLISHED).
    pub fn wait_event(&self, kind: &str, limit: Duration) -> Result<Value> {
        let found = wait::until(
            &format!("baresip ({}) event {kind}", self.user.username()),
            limit,
            Duration::from_millis(50),
            || {
                Ok(self
                    .events()
                    .into_iter()
                    .find(|e| e.get("type").and_then(Value::as_str) == Some(kind)))
            },
        );
        found.map_err(|e| HarnessError::Timeout {
            what: format!(
                "{e}\nevents so far: {:?}\nlog:\n{}",
                self.event_types(),
                self.log()
            ),
            waited: limit,
        })
    }

    /// Waits (bounded) until the account is registered. The REGISTER_OK event can fire
    /// before the harness's ctrl_tcp connection is up, so the log line baresip prints
    /// for the 200 (`user@host: {0/UDP/v4} 200 OK (…) [1 binding]`) counts as well.
    pub fn wait_registered(&self, limit: Duration) -> Result<()> {
        let marker = format!("{}@", self.user.username());
        let found = wait::until(
            &format!("baresip ({}) to register", self.user.username()),
            limit,
            Duration::from_millis(50),
            || {
                let in_log = self
                    .log()
                    .lines()
                    .any(|l| l.contains(&marker) && l.contains(" 200 OK"));
                let in_events = self.event_types().iter().any(|t| t == "REGISTER_OK");
                Ok((in_log || in_events).then_some(()))
            },
        );
        found.map_err(|e| HarnessError::Timeout {
            what: format!("{e}\nlog:\n{}", self.log()),
            waited: limit,
        })
    }

    pub fn event_types(&self) -> Vec<String> {
        self.events()
            .iter()
            .filter_map(|e| e.get("type").and_then(Value::as_str).map(str::to_string))
            .collect()
    }

    /// The sndfile dump of what the phone heard (`record` option), once it exists.
    pub fn heard_dump(&self) -> Option<std::path::PathBuf> {
        self.dump("-dec.wav")
    }

    /// The sndfile dump of what the phone sent (`record` option), once it exists.
    pub fn sent_dump(&self) -> Option<std::path::PathBuf> {
        self.dump("-enc.wav")
    }

    fn dump(&self, suffix: &str) -> Option<std::path::PathBuf> {
        std::fs::read_dir(self.dir.path())
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("dump-") && n.ends_with(suffix))
            })
    }

    /// baresip's own output (stdout + stderr).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("baresip.log")).unwrap_or_default()
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        // Ask nicely first so it unregisters, then make sure it is gone (by PID).
        let _ = self.command("quit", "");
        for _ in 0..40 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The config of `options`: another microphone frequency, the opus and sndfile modules.
fn with_options(config: &str, options: &BaresipOptions, dir: &std::path::Path) -> String {
    let mut config = match options.tone_hz {
        Some(hz) => config.replace("ausine,440", &format!("ausine,{hz}")),
        None => config.to_string(),
    };
    if options
        .codecs
        .as_deref()
        .is_some_and(|c| c.to_ascii_lowercase().contains("opus"))
    {
        config.push_str("module\t\t\topus.so\n");
    }
    if options.record {
        config.push_str("module\t\t\tsndfile.so\n");
        config.push_str(&format!("snd_path\t\t{}\n", dir.display()));
    }
    config
}

/// Reads `len:payload,` frames until the stream closes; keeps the JSON objects.
fn read_netstrings(mut stream: TcpStream, sink: &Mutex<Vec<Value>>) {
    let mut buf: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or_default()),
        }
        while let Some(colon) = buf.iter().position(|&b| b == b':') {
            let Some(len) = std::str::from_utf8(&buf[..colon])
                .ok()
                .and_then(|s| s.trim().parse::<usize>().ok())
            else {
                // Not a netstring: nothing sensible left to parse on this stream.
                return;
            };
            let end = colon + 1 + len;
            if buf.len() <= end {
                break;
            }
            if let Ok(value) = serde_json::from_slice::<Value>(&buf[colon + 1..end]) {
                if let Ok(mut events) = sink.lock() {
                    events.push(value);
                }
            }
            buf.drain(..=end);
        }
    }
}
