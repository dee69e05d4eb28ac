//! The one error type of the harness. Tests return `Result<(), HarnessError>` so a broken
//! environment (missing SIPp, daemon that never gets ready) reads as a clear message.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum HarnessError {
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "daemon binary {path} not found: build it with `cargo build -p centralita` \
         or set CENTRALITA_BIN"
    )]
    MissingBinary { path: PathBuf },
    #[error("`{tool}` not found on PATH: run scripts/test once to install it")]
    MissingTool { tool: String },
    #[error("daemon exited before printing `centralita ready` (status {status}); stderr tail:\n{stderr_tail}")]
    DaemonDied { status: String, stderr_tail: String },
    #[error(
        "daemon printed no `centralita ready` line within {waited:?}; stderr tail:\n{stderr_tail}"
    )]
    DaemonNotReady {
        waited: Duration,
        stderr_tail: String,
    },
    #[error("`centralita {subcommand}` failed (status {status}): {stderr}")]
    Subcommand {
        subcommand: String,
        status: String,
        stderr: String,
    },
    #[error("`centralita cdr` printed a line that is not a JSON object: {line}")]
    BadCdrLine { line: String },
    #[error("{what} is not valid JSON: {text}")]
    BadJson { what: String, text: String },
    #[error("no free local port found for {purpose}")]
    NoFreePort { purpose: String },
    #[error("timed out after {waited:?} waiting for {what}")]
    Timeout { what: String, waited: Duration },
    #[error("unparsable SIP response ({reason}): {text:?}")]
    BadResponse { reason: String, text: String },
    #[error("challenge without the {param} parameter: {header}")]
    BadChallenge { param: String, header: String },
    #[error("file {path} has unexpected content: {reason}")]
    BadFile { path: PathBuf, reason: String },
}

impl HarnessError {
    /// Wraps an I/O error with what the harness was doing, since bare io::Error
    /// messages ("Address already in use") say nothing about which step failed.
    pub fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> HarnessError {
        let what = what.into();
        move |source| HarnessError::Io { what, source }
    }
}

pub type Result<T> = std::result::Result<T, HarnessError>;
