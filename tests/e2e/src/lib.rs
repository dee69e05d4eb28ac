//! End-to-end test harness for Centralita.
//!
//! The tests under `tests/` spawn the real `centralita` binary (built by `scripts/test`
//! at `target/debug/centralita`, or the path in `CENTRALITA_BIN`) on 127.0.0.1 with a
//! temporary `--data` folder and free ports, import a tenant with known passwords,
//! wait for the `centralita ready` line and kill the daemon when the test ends. Phones
//! are SIPp scenarios (`sipp/*.xml`), baresip instances (`baresip/`) or the small raw
//! SIP client of this crate when a test must look at exact header bytes. RTP is sent
//! and counted by UDP sockets the harness owns, so the assertions are on packet counts,
//! never on timing.
//!
//! Every wait in the harness is bounded, and every process it starts is killed by PID
//! when its guard drops, so a failing test never leaves a daemon or SIPp behind.

pub mod audio;
pub mod baresip;
pub mod call;
pub mod daemon;
pub mod digest;
pub mod error;
pub mod garbage;
pub mod mail_sink;
pub mod media_call;
pub mod media_check;
pub mod media_codec;
pub mod media_flood;
pub mod media_peer;
pub mod media_setup;
pub mod ports;
pub mod rng;
pub mod rtp;
pub mod sip_client;
pub mod sipp;
pub mod tenant;
pub mod torture;
pub mod trunk;
pub mod wait;

pub use daemon::{Cdr, Daemon};
pub use error::{HarnessError, Result};
pub use tenant::{TestUser, TENANT_ID};

use std::path::PathBuf;

/// Folder of this crate, where the `sipp/` and `baresip/` fixtures live.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Fails early, with an actionable message, when an external tool is missing.
pub fn require_tool(tool: &str) -> Result<()> {
    let found = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|dir| dir.join(tool).is_file()))
        .unwrap_or(false);
    if found {
        Ok(())
    } else {
        Err(HarnessError::MissingTool {
            tool: tool.to_string(),
        })
    }
}
