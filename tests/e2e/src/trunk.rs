//! Harness for the SIP-trunk tests (`tests/trunk.rs`): SIPp plays the tenant's provider.
//!
//! The provider is reached by the box at `127.0.0.1:PORT` (the document's `domain`), and
//! the box recognises the provider's INVITEs by that exact address, so every provider role
//! is a SIPp bound to that one port, one after the other: first a registrar
//! (`sipp/trunk_registrar*.xml`, run to completion), then the UAS that answers the box's
//! outbound INVITEs or the UAC that calls the tenant's DIDs.
//!
//! The trunk settings are applied to a daemon started by [`Daemon::start`] (the usual test
//! tenant) by importing a trunk document into its data folder and sending SIGHUP, which
//! makes the running daemon reload its directory and (re)configure its trunks. The tenant
//! runs in time zone UTC so a test can write route rules relative to the current UTC time.
//!
//! Scenarios (`sipp/trunk_*.xml`; each one's header comment says exactly what it checks):
//!
//! | file | role |
//! |---|---|
//! | `trunk_registrar` | 401, digest verified (`verifyauth`), grant `__GRANT__`; 403 fails the run |
//! | `trunk_registrar_refresh` | same, then answers refreshes until a REGISTER with expiry 0 |
//! | `trunk_registrar_rechallenge` | the refresh is re-challenged with a new nonce |
//! | `trunk_registrar_423` | 423 with Min-Expires 7200 first |
//! | `trunk_registrar_nat` | the 200 reveals a NAT (`received`/`rport`): contact moved |
//! | `trunk_reg503` | 503 to REGISTER |
//! | `trunk_uas_out` | the provider's UAS: 407, INVITE facts to `.invite`, 180, 200 |
//! | `trunk_uas_out_early` | same with 183 + SDP, 200 on the harness's MESSAGE |
//! | `trunk_uas_503`, `trunk_uas_486` | the provider's UAS refusing the INVITE |
//! | `trunk_uas_ring_cancel` | the provider's UAS ringing until the box CANCELs |
//! | `trunk_uac_in` | the provider calling a DID (no credentials), answered |
//! | `trunk_uac_in_reject` | same, refused with the substituted code; status line to `.final` |
//! | `trunk_uac_in_cancel` | same, CANCEL while ringing |
//! | `trunk_uac_in_hold` | same, hold and resume by re-INVITE |
//! | `trunk_uac_in_late` | same, INVITE without SDP (offer in the 200, answer in the ACK) |
//! | `trunk_uas_ext` | an extension answering a trunk call; its From header to `.from` |
//! | `trunk_ext_reject` | an extension whose outbound call is refused; status line to `.final` |
//!
//! Provider UAS scenarios run under [`provider_sipp`] (any number of calls, because the
//! box's OPTIONS keep-alives are calls of their own); the rest under the shared
//! [`crate::sipp::SippBuilder`]; keep-alives themselves are checked with
//! [`raw_provider`].

mod civil_time;
pub mod provider_sipp;
pub mod raw_provider;

pub use civil_time::CivilTime;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use serde_json::{json, Value};
use tempfile::TempDir;

use crate::call::Phone;
use crate::daemon::{Cdr, Daemon};
use crate::error::{HarnessError, Result};
use crate::rtp::RtpEndpoint;
use crate::sipp::{SippBuilder, SippOutcome, SippProcess};
use crate::tenant::{self, TestUser};
use crate::wait;
use provider_sipp::ProviderSipp;

/// The tenant's main DID: route rules are written on it by each inbound test.
pub const DID_MAIN: &str = "917374200";
/// A second DID, presented through the DID OUT module.
pub const DID_OUT: &str = "917374206";
/// Id of [`DID_MAIN`] in the document (what `users[].caller_id` points at).
pub const DID_MAIN_ID: &str = "did-main";
/// A DID that exists nowhere on the box.
pub const DID_UNKNOWN: &str = "915550000";
/// The outside number the outbound tests dial (a Spanish mobile: allowed by default).
pub const OUTSIDE: &str = "600123456";

/// Stands for "the provider" where the shared [`Phone`] type wants a [`TestUser`].
pub const PROVIDER_PHONE: TestUser = TestUser {
    extension: "provider",
    password: "",
    ring_seconds: 30,
};

/// One provider account: the SIPp port that plays it and the credentials the box uses.
#[derive(Debug, Clone)]
pub struct Provider {
    /// The port of the document's `domain`.
    pub port: u16,
    /// The outbound proxy's port, when the account has one: then it is where every
    /// request of the box goes and where the provider's SIPp listens.
    pub proxy: Option<u16>,
    pub username: &'static str,
    pub password: &'static str,
}

impl Provider {
    pub fn primary() -> Result<Provider> {
        Ok(Provider {
            port: provider_port()?,
            proxy: None,
            username: "centralita1",
            password: "s3cret",
        })
    }

    pub fn secondary() -> Result<Provider> {
        Ok(Provider {
            port: provider_port()?,
            proxy: None,
            username: "centralita2",
            password: "0ther-s3cret",
        })
    }

    /// The same account reached through an outbound proxy on a port of its own.
    pub fn with_proxy(self) -> Result<Provider> {
        Ok(Provider {
            proxy: Some(provider_port()?),
            ..self
        })
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// Where the box sends this account's requests: the proxy if any, else the domain.
    pub fn listen_port(&self) -> u16 {
        self.proxy.unwrap_or(self.port)
    }

    /// `host:port`: an IP literal, so no DNS is involved, and an explicit port, so the
    /// box recognises the provider by exact address.
    pub fn domain(&self) -> String {
        self.addr().to_string()
    }

    /// How CDRs name the trunk.
    pub fn trunk_name(&self) -> String {
        format!("{}@{}", self.username, self.domain())
    }

    fn json(&self) -> Value {
        json!({
            "username": self.username,
            "password": self.password,
            "domain": self.domain(),
            "outbound_proxy": self.proxy.map(|p| format!("127.0.0.1:{p}")),
        })
    }
}

static NEXT_PROVIDER_PORT: AtomicU16 = AtomicU16::new(0);

/// A free UDP port for a provider, in 65000-65499: outside the kernel's ephemeral range
/// where every other port of the harness comes from. SIPp also binds its `-mp` port + 2
/// (video); with the provider's port among the ephemeral ones, that +2 port was once the
/// provider's own and SIPp died with "Unable to bind video RTP socket".
fn provider_port() -> Result<u16> {
    let spread = (std::process::id() % 100) as u16 * 5;
    for _ in 0..500 {
        let n = NEXT_PROVIDER_PORT.fetch_add(1, Ordering::Relaxed);
        let port = 65_000 + (spread + n) % 500;
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    Err(HarnessError::NoFreePort {
        purpose: "trunk provider (65000-65499)".to_string(),
    })
}

/// The test tenant (extensions 10–13) in time zone UTC, with the provider(s), two DIDs
/// (no rules yet) and extension 10 presenting [`DID_MAIN`]. Tests edit the JSON further.
pub fn document(primary: &Provider, secondary: Option<&Provider>) -> Value {
    let mut doc = tenant::document();
    doc["tenant"]["timezone"] = json!("UTC");
    let mut provider = primary.json();
    provider["secondary"] = secondary.map(Provider::json).unwrap_or(Value::Null);
    doc["provider"] = provider;
    doc["dids"] = json!([
        { "id": DID_MAIN_ID, "number": DID_MAIN, "description": "main line", "rules": [] },
        { "id": "did-out", "number": DID_OUT, "description": "sales line", "rules": [] },
    ]);
    set_user(&mut doc, "u10", "caller_id", json!(DID_MAIN_ID));
    doc
}

/// Sets `field` of the user with id `user` (ids are `u<extension>`).
pub fn set_user(doc: &mut Value, user: &str, field: &str, value: Value) {
    if let Some(users) = doc["users"].as_array_mut() {
        for u in users.iter_mut().filter(|u| u["id"] == user) {
            u[field] = value.clone();
        }
    }
}

/// Replaces the route rules of [`DID_MAIN`].
pub fn set_rules(doc: &mut Value, rules: Value) {
    if let Some(dids) = doc["dids"].as_array_mut() {
        for did in dids.iter_mut().filter(|d| d["id"] == DID_MAIN_ID) {
            did["rules"] = rules.clone();
        }
    }
}

/// Imports `doc` into the running daemon's data folder and makes it reload (SIGHUP), then
/// waits until `centralita status` lists the trunk, i.e. the reload reached the engine.
pub fn apply(daemon: &mut Daemon, doc: &Value) -> Result<()> {
    apply_until(daemon, doc, "the trunk in `centralita status`", |text| {
        text.contains("trunk tenant")
    })
}

/// [`apply`], waiting for the status `ready` says the reload produced.
pub fn apply_until(
    daemon: &mut Daemon,
    doc: &Value,
    what: &str,
    ready: impl FnMut(&str) -> bool,
) -> Result<()> {
    let path = sibling(daemon.data_dir(), "trunk-tenant.json");
    std::fs::write(&path, doc.to_string()).map_err(HarnessError::io("write trunk document"))?;
    daemon.subcommand("import", &[path.into()])?;
    // By PID, never by name: other engineers' daemons run on this machine too.
    let sent = Command::new("kill")
        .arg("-HUP")
        .arg(daemon.pid().to_string())
        .status()
        .map_err(HarnessError::io("send SIGHUP"))?;
    if !sent.success() {
        return Err(HarnessError::Subcommand {
            subcommand: "kill -HUP".to_string(),
            status: sent.to_string(),
            stderr: daemon.stderr_tail(),
        });
    }
    wait_status(daemon, what, ready)?;
    Ok(())
}

fn sibling(data: &Path, name: &str) -> PathBuf {
    data.parent().unwrap_or(data).join(name)
}

/// `centralita status` output.
pub fn status(daemon: &Daemon) -> Result<String> {
    daemon.subcommand("status", &[])
}

/// Waits (bounded) until `centralita status` satisfies `ok`; the status file is rewritten
/// every couple of seconds, so this is a poll, never a timing assertion.
pub fn wait_status(
    daemon: &mut Daemon,
    what: &str,
    mut ok: impl FnMut(&str) -> bool,
) -> Result<String> {
    let mut last = String::new();
    let found = wait::until(
        what,
        Duration::from_secs(15),
        Duration::from_millis(250),
        || {
            if !daemon.is_running() {
                return Err(HarnessError::DaemonDied {
                    status: "exited while the test waited on its status".to_string(),
                    stderr_tail: daemon.stderr_tail(),
                });
            }
            // The status file may not exist yet right after start.
            last = status(daemon).unwrap_or_default();
            Ok(ok(&last).then(|| last.clone()))
        },
    );
    found.map_err(|e| match e {
        HarnessError::Timeout { what, waited } => HarnessError::Timeout {
            what: format!("{what}; last status:\n{last}"),
            waited,
        },
        other => other,
    })
}

/// The status line of the trunk with `role` (`primary` / `secondary`), if listed.
pub fn trunk_line(status: &str, role: &str) -> Option<String> {
    let tag = format!(" {role} ");
    status
        .lines()
        .find(|l| l.starts_with("trunk tenant") && l.contains(&tag))
        .map(str::to_string)
}

/// A SIPp registrar for `provider` on its port: `scenario` with the account's credentials
/// and the granted expiry substituted; `log` is a file the scenario appends a line to for
/// every REGISTER it answers (each scenario says what in its header comment).
pub fn registrar(
    provider: &Provider,
    scenario: &str,
    grant_secs: u32,
    log: &Path,
) -> Result<SippProcess> {
    let sipp = SippBuilder::new(scenario)
        .substitute("__USER__", provider.username)
        .substitute("__PASSWORD__", provider.password)
        .substitute("__GRANT__", &grant_secs.to_string())
        .local_port(provider.listen_port())
        .key("reg_log", log.display())
        .spawn()?;
    sipp.wait_listening()?;
    Ok(sipp)
}

/// Registers the box to `primary` (and `secondary`) with the plain challenging registrar
/// and a one-hour grant, so nothing re-registers while a call test runs. Returns once both
/// SIPp registrars finished successfully and the status shows the primary registered.
pub fn register(
    daemon: &mut Daemon,
    doc: &Value,
    primary: &Provider,
    secondary: Option<&Provider>,
    dir: &TempDir,
) -> Result<()> {
    let mut registrars = vec![registrar(
        primary,
        "trunk_registrar",
        3600,
        &dir.path().join("primary.reg"),
    )?];
    if let Some(s) = secondary {
        registrars.push(registrar(
            s,
            "trunk_registrar",
            3600,
            &dir.path().join("secondary.reg"),
        )?);
    }
    apply(daemon, doc)?;
    for sipp in registrars {
        expect_success("provider registrar", sipp.wait()?)?;
    }
    wait_status(daemon, "the primary trunk registered", |s| {
        trunk_line(s, "primary").is_some_and(|l| l.contains(": registered"))
    })?;
    Ok(())
}

/// Turns an unsuccessful SIPp run into an error carrying its logs.
pub fn expect_success(role: &str, outcome: SippOutcome) -> Result<()> {
    if outcome.success() {
        Ok(())
    } else {
        Err(HarnessError::BadFile {
            path: PathBuf::from(role),
            reason: format!("SIPp exited with {:?}\n{}", outcome.code, outcome.log),
        })
    }
}

/// The provider's side of an outbound call: a harness RTP socket and SIPp running
/// `scenario` on the provider's port (see [`provider_sipp`] for why not the shared runner).
pub struct ProviderUas {
    pub sipp: ProviderSipp,
    pub rtp: RtpEndpoint,
}

/// Starts the provider UAS: SDP pointing at a harness RTP socket, everything it saw
/// written next to `<dir>/<name>.media`.
pub fn provider_uas(
    provider: &Provider,
    scenario: &str,
    dir: &TempDir,
    name: &str,
) -> Result<ProviderUas> {
    let rtp = RtpEndpoint::new(*b"E2EP")?;
    let media_file = dir.path().join(format!("{name}.media"));
    let sipp = ProviderSipp::spawn(
        scenario,
        provider.listen_port(),
        &[],
        &[
            ("caller", provider.username.to_string()),
            ("rtp_ip", "127.0.0.1".to_string()),
            ("rtp_port", rtp.local.port().to_string()),
        ],
        &media_file,
    )?;
    Ok(ProviderUas { sipp, rtp })
}

/// The nonce `sipp/trunk_uas_out.xml` challenges the box's INVITEs with.
pub const INVITE_NONCE: &str = "7c3f2e99a53d62f4cbe2f5a6b7c8d9e0";

/// Checks a `Proxy-Authorization` value the box sent for an INVITE against `provider`'s
/// account (MD5, qop=auth as challenged): SIPp's `verifyauth` only reads `Authorization`,
/// so the provider scenario hands the header to the harness. `Err` says what is wrong.
pub fn check_invite_digest(header: &str, provider: &Provider) -> std::result::Result<(), String> {
    use md5::{Digest as _, Md5};
    let creds = crate::digest::Challenge::parse(header).map_err(|e| e.to_string())?;
    let get = |name: &str| {
        creds
            .param(name)
            .map(str::to_string)
            .ok_or_else(|| format!("no {name} in {header:?}"))
    };
    let (username, realm, nonce, uri, response) = (
        get("username")?,
        get("realm")?,
        get("nonce")?,
        get("uri")?,
        get("response")?,
    );
    if username != provider.username {
        return Err(format!(
            "username {username:?}, the trunk's is {:?}",
            provider.username
        ));
    }
    if realm != "provider.test" || nonce != INVITE_NONCE {
        return Err(format!("realm/nonce not the challenge's: {header:?}"));
    }
    let md5 = |s: String| hex::encode(Md5::digest(s.as_bytes()));
    let ha1 = md5(format!("{username}:{realm}:{}", provider.password));
    let ha2 = md5(format!("INVITE:{uri}"));
    let expected = match creds.param("qop") {
        Some("auth") => md5(format!(
            "{ha1}:{nonce}:{}:{}:auth:{ha2}",
            get("nc")?,
            get("cnonce")?
        )),
        Some(other) => return Err(format!("qop {other:?} was not offered")),
        // The challenge offered qop=auth; answering without it is RFC 2069 style and
        // still verifiable.
        None => md5(format!("{ha1}:{nonce}:{ha2}")),
    };
    if response.eq_ignore_ascii_case(&expected) {
        Ok(())
    } else {
        Err(format!(
            "wrong digest response (expected {expected}): {header:?}"
        ))
    }
}

/// What an inbound call from the provider looks like.
pub struct InboundCall<'a> {
    /// The dialled DID (To user, and Request-URI user unless `request_user` is set).
    pub did: &'a str,
    /// Request-URI user when it is not the DID: registration trunks send calls to the
    /// Contact the box registered, whose user is the trunk account.
    pub request_user: Option<&'a str>,
    /// The caller's number (From user).
    pub caller: &'a str,
    /// The From display part exactly as sent, quotes included (may be empty).
    pub display: &'a str,
}

/// The provider calling the tenant: `scenario` sent from the provider's own port (that is
/// how the box knows it is the provider), SDP pointing at a harness RTP socket.
pub fn provider_uac(
    daemon: &Daemon,
    provider: &Provider,
    call: &InboundCall,
    scenario: &str,
    substitutions: &[(&str, &str)],
    dir: &TempDir,
) -> Result<Phone> {
    inbound_uac(
        daemon,
        provider.listen_port(),
        call,
        scenario,
        substitutions,
        dir,
    )
}

/// Like [`provider_uac`], from any local UDP port: from anywhere but the provider's
/// address it is a stranger pretending to be the provider.
pub fn inbound_uac(
    daemon: &Daemon,
    from_port: u16,
    call: &InboundCall,
    scenario: &str,
    substitutions: &[(&str, &str)],
    dir: &TempDir,
) -> Result<Phone> {
    let rtp = RtpEndpoint::new(*b"E2EP")?;
    let media_file = dir.path().join("provider-uac.media");
    let builder = substitutions
        .iter()
        .fold(SippBuilder::new(scenario), |b, (from, to)| {
            b.substitute(from, to)
        })
        .substitute("__DISPLAY__", call.display)
        .substitute("__RURI_USER__", call.request_user.unwrap_or(call.did));
    let sipp = builder
        .remote(daemon.sip)
        .local_port(from_port)
        .service(call.did)
        .key("caller", call.caller)
        .key("rtp_ip", "127.0.0.1")
        .key("rtp_port", rtp.local.port())
        .key("media_file", media_file.display())
        .spawn()?;
    Ok(Phone {
        sipp,
        rtp,
        media_file,
        user: PROVIDER_PHONE,
    })
}

/// A file a scenario wrote next to its `media_file` (`<media_file><suffix>`), waited for.
pub fn read_marker(phone: &mut Phone, suffix: &str) -> Result<String> {
    phone.wait_marker(suffix)?;
    let mut name = phone.media_file.clone().into_os_string();
    name.push(suffix);
    let path = PathBuf::from(name);
    std::fs::read_to_string(&path).map_err(HarnessError::io(format!("read {}", path.display())))
}

/// Waits (bounded) for the newest CDR satisfying `ok`.
pub fn wait_cdr(daemon: &Daemon, what: &str, ok: impl Fn(&Cdr) -> bool) -> Result<Cdr> {
    let mut seen = Vec::new();
    let found = wait::until(
        what,
        Duration::from_secs(10),
        Duration::from_millis(200),
        || {
            let cdrs = daemon.cdrs(50)?;
            let hit = cdrs.iter().find(|c| ok(c)).cloned();
            if let Some(cdr) = &hit {
                // Shown with --nocapture: the whole record is what a reader checks first.
                eprintln!("CDR: {}", cdr.raw);
            }
            seen = cdrs;
            Ok(hit)
        },
    );
    found.map_err(|e| match e {
        HarnessError::Timeout { what, waited } => HarnessError::Timeout {
            what: format!(
                "{what}; CDRs present: {:?}",
                seen.iter().map(|c| c.raw.to_string()).collect::<Vec<_>>()
            ),
            waited,
        },
        other => other,
    })
}

/// A string field of a CDR (`""` when absent or null).
pub fn field(cdr: &Cdr, key: &str) -> String {
    match cdr.raw.get(key) {
        Some(Value::String(s)) => s.clone(),
        None | Some(Value::Null) => String::new(),
        Some(other) => other.to_string(),
    }
}
