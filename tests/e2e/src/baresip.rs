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

impl Baresip {
    /// Starts baresip registered (once the daemon agrees) as `user` at `box_sip`.
    pub fn start(box_sip: SocketAddr, user: TestUser, auto_answer: bool) -> Result<Baresip> {
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
        std::fs::write(dir.path().join("config"), fill("config.template")?)
            .map_err(HarnessError::io("write baresip config"))?;
        std::fs::write(dir.path().join("accounts"), fill("accounts.template")?)
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
