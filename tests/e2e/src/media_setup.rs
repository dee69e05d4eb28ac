//! Tenants with media: prompts uploaded through `centralita prompt add` (the CLI a user
//! has) from WAV files the test generates, then IVRs, voicemail boxes and route rules
//! that use them, all in the data folder before the daemon starts, so no reload races
//! the first call.
//!
//! ```ignore
//! let setup = Prepared::new()?;
//! setup.add_tone_prompt("p-menu", "Menú", 440.0, 2000)?;
//! let mut doc = setup.export()?;
//! doc["ivrs"] = json!([ivr("ivr-main", "7000", "p-menu", json!({"2": dest("extension", "u11")}), hangup(), 2)]);
//! let daemon = setup.start(&doc, &[])?;
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::audio;
use crate::daemon::{binary, run_subcommand, Daemon};
use crate::error::{HarnessError, Result};
use crate::tenant::{self, TENANT_ID};

/// Peak level of the tones the tests upload and send: loud enough to stand out of
/// G.711 noise, far enough from full scale that no stage clips.
pub const TONE_DBFS: f32 = -10.0;
/// Rate of the generated uploads (the box converts whatever it gets to 16 kHz).
pub const UPLOAD_RATE: u32 = 16_000;

/// A data folder with the test tenant imported, not yet running.
pub struct Prepared {
    dir: TempDir,
    data: PathBuf,
    bin: PathBuf,
    /// Prompts placed directly in the internal format because the binary has no
    /// `prompt add` yet (see [`Prepared::add_tone_prompt`]); merged into [`Prepared::export`].
    placed: std::cell::RefCell<Vec<Value>>,
}

impl Prepared {
    pub fn new() -> Result<Prepared> {
        Prepared::with_document(&tenant::document())
    }

    /// Starts from `doc` instead of the plain test tenant (e.g. a trunk tenant).
    pub fn with_document(doc: &Value) -> Result<Prepared> {
        let dir = tempfile::Builder::new()
            .prefix("centralita-e2e-")
            .tempdir()
            .map_err(HarnessError::io("create temp dir"))?;
        let prepared = Prepared {
            data: dir.path().join("data"),
            bin: binary()?,
            dir,
            placed: std::cell::RefCell::new(Vec::new()),
        };
        prepared.import(doc)?;
        Ok(prepared)
    }

    pub fn data_dir(&self) -> &Path {
        &self.data
    }

    /// A scratch file next to the data folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `centralita import` of `doc`.
    pub fn import(&self, doc: &Value) -> Result<()> {
        let path = self.file("tenant.json");
        std::fs::write(&path, doc.to_string())
            .map_err(HarnessError::io("write tenant document"))?;
        run_subcommand(
            &self.bin,
            "import",
            &["--data".into(), self.data.clone().into(), path.into()],
        )?;
        Ok(())
    }

    /// `centralita export` of the test tenant.
    pub fn export(&self) -> Result<Value> {
        let text = run_subcommand(
            &self.bin,
            "export",
            &[
                "--data".into(),
                self.data.clone().into(),
                TENANT_ID.to_string().into(),
            ],
        )?;
        let mut doc: Value = serde_json::from_str(&text).map_err(|_| HarnessError::BadJson {
            what: "`centralita export` output".to_string(),
            text,
        })?;
        let placed = self.placed.borrow();
        if !placed.is_empty() {
            if !doc["prompts"].is_array() {
                doc["prompts"] = json!([]);
            }
            if let Some(prompts) = doc["prompts"].as_array_mut() {
                prompts.extend(placed.iter().cloned());
            }
        }
        Ok(doc)
    }

    /// Runs `centralita prompt add --data D --tenant T --id ID --name NAME FILE` on
    /// `bytes` saved as `file_name`, and returns the whole process output (the refusal
    /// tests look at the exit code and the message).
    pub fn prompt_add_output(
        &self,
        id: &str,
        name: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Output> {
        self.upload_output("prompt", id, name, file_name, bytes)
    }

    /// `centralita <kind> add …` (`prompt` or `moh`) of `bytes` saved as `file_name`.
    fn upload_output(
        &self,
        kind: &str,
        id: &str,
        name: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Output> {
        let upload = self.file(file_name);
        std::fs::write(&upload, bytes).map_err(HarnessError::io("write upload"))?;
        Command::new(&self.bin)
            .args([kind, "add", "--data"])
            .arg(&self.data)
            .args([
                "--tenant",
                &TENANT_ID.to_string(),
                "--id",
                id,
                "--name",
                name,
            ])
            .arg(&upload)
            .stdin(Stdio::null())
            .output()
            .map_err(HarnessError::io(format!("run centralita {kind} add")))
    }

    /// Uploads `ms` of a `freq_hz` tone as the tenant's music on hold (`centralita moh add`).
    pub fn add_tone_moh(&self, id: &str, name: &str, freq_hz: f32, ms: u32) -> Result<()> {
        let pcm = audio::tone_ms(freq_hz, TONE_DBFS, UPLOAD_RATE, ms);
        let wav = audio::wav_pcm16(UPLOAD_RATE, 1, &pcm);
        let out = self.upload_output("moh", id, name, &format!("{id}.wav"), &wav)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(HarnessError::Subcommand {
                subcommand: "moh add".to_string(),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            })
        }
    }

    /// Uploads a prompt that must be accepted.
    pub fn add_prompt(&self, id: &str, name: &str, file_name: &str, bytes: &[u8]) -> Result<()> {
        let out = self.prompt_add_output(id, name, file_name, bytes)?;
        if out.status.success() {
            Ok(())
        } else {
            Err(HarnessError::Subcommand {
                subcommand: "prompt add".to_string(),
                status: out.status.to_string(),
                stderr: format!(
                    "{}{}",
                    String::from_utf8_lossy(&out.stdout),
                    String::from_utf8_lossy(&out.stderr)
                ),
            })
        }
    }

    /// Uploads `ms` of a `freq_hz` tone as a 16 kHz WAV prompt. A binary without the
    /// `prompt` subcommand (the CLI landed after the media server) gets the file placed
    /// in the internal format where the contract puts it, so the call tests do not
    /// depend on the CLI; `prompts.rs` tests the CLI itself.
    pub fn add_tone_prompt(&self, id: &str, name: &str, freq_hz: f32, ms: u32) -> Result<()> {
        let pcm = audio::tone_ms(freq_hz, TONE_DBFS, UPLOAD_RATE, ms);
        let wav = audio::wav_pcm16(UPLOAD_RATE, 1, &pcm);
        let out = self.prompt_add_output(id, name, &format!("{id}.wav"), &wav)?;
        let said = String::from_utf8_lossy(&out.stderr).into_owned();
        if out.status.success() {
            return Ok(());
        }
        if !said.contains("unrecognized subcommand") {
            return Err(HarnessError::Subcommand {
                subcommand: "prompt add".to_string(),
                status: out.status.to_string(),
                stderr: said,
            });
        }
        let relative = format!("prompts/{TENANT_ID}/{id}.wav");
        let path = self.data.join(&relative);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(HarnessError::io("create prompts folder"))?;
        }
        std::fs::write(&path, wav).map_err(HarnessError::io("place prompt"))?;
        eprintln!("no `centralita prompt add` in this binary: placed {relative} directly");
        self.placed
            .borrow_mut()
            .push(json!({ "id": id, "name": name, "file": relative }));
        Ok(())
    }

    /// Imports `doc` (normally the export after the uploads, plus the test's IVRs, boxes
    /// and rules) and starts the daemon on this data folder with `extra` run arguments.
    pub fn start(self, doc: &Value, extra: &[&str]) -> Result<Daemon> {
        self.import(doc)?;
        Daemon::spawn(self.bin, self.dir, self.data, extra)
    }
}

/// A destination of the tenant document.
pub fn dest(kind: &str, reference: &str) -> Value {
    json!({ "kind": kind, "ref": reference })
}

/// The `hangup` destination.
pub fn hangup() -> Value {
    json!({ "kind": "hangup" })
}

/// An IVR (`ivrs[]`) without direct dialling.
pub fn ivr(
    id: &str,
    number: &str,
    prompt: &str,
    options: Value,
    no_input: Value,
    no_input_seconds: u32,
) -> Value {
    json!({
        "id": id,
        "name": id,
        "number": number,
        "prompt": prompt,
        "allow_extensions": false,
        "options": options,
        "no_input": no_input,
        "no_input_seconds": no_input_seconds,
    })
}

/// A voicemail box (`voicemail_boxes[]`).
pub fn voicemail_box(
    id: &str,
    number: &str,
    email: &str,
    greeting: Option<&str>,
    pin: &str,
    users: &[&str],
) -> Value {
    json!({
        "id": id,
        "name": format!("Buzón {number}"),
        "number": number,
        "email": email,
        "greeting": greeting,
        "keep_days": 730,
        "pin": pin,
        "users": users,
    })
}

/// Rows of `sql` against the daemon's database, through the sqlite3 CLI (`-json`), so
/// the tests read what the box stored without linking the store crate.
pub fn query(data: &Path, sql: &str) -> Result<Vec<Value>> {
    crate::require_tool("sqlite3")?;
    let db = data.join("centralita.db");
    let out = Command::new("sqlite3")
        .arg("-json")
        .arg("-readonly")
        .arg(&db)
        .arg(sql)
        .stdin(Stdio::null())
        .output()
        .map_err(HarnessError::io("run sqlite3"))?;
    if !out.status.success() {
        return Err(HarnessError::Subcommand {
            subcommand: format!("sqlite3 {sql}"),
            status: out.status.to_string(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        });
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(rows)) => Ok(rows),
        _ => Err(HarnessError::BadJson {
            what: format!("sqlite3 -json output of {sql}"),
            text,
        }),
    }
}

/// A file path the box stored (relative to the data folder, or absolute) made absolute.
pub fn stored_file(data: &Path, stored: &str) -> PathBuf {
    let p = Path::new(stored);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        data.join(p)
    }
}
