//! The box's live state, written by the daemon to `DATA/status.json` every few seconds (atomic
//! rename, so a reader never sees half a file) and printed by `centralita status`. The web page
//! and the LEDs read the same file later.
use anyhow::Context;
use pbx::Pbx;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

pub const FILE: &str = "status.json";

pub fn snapshot(pbx: &Pbx, now: Instant) -> Value {
    let registrations: Vec<Value> = pbx
        .registrar()
        .snapshot(now)
        .into_iter()
        .filter(|(_, b)| !b.is_empty())
        .map(|(aor, bindings)| {
            json!({
                "username": aor,
                "contacts": bindings.iter().map(|b| json!({
                    "contact": b.contact_uri,
                    "source": b.source.addr.to_string(),
                    "user_agent": b.user_agent,
                    "expires_in": b.expires_at.saturating_duration_since(now).as_secs(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    let trunks: Vec<Value> = pbx
        .trunk_status(now)
        .into_iter()
        .map(|(tenant, s)| {
            json!({
                "tenant": tenant,
                "role": s.role.as_str(),
                "username": s.username,
                "domain": s.domain,
                "state": s.state.label(),
                "detail": s.state.describe(now),
                "active": s.active,
            })
        })
        .collect();
    let bans: Vec<Value> = pbx
        .guard()
        .bans()
        .map(|(ip, b)| {
            json!({
                "address": ip.to_string(),
                "reason": b.reason.to_string(),
                "offences": b.offences,
                "expires_in": b.until.saturating_duration_since(now).as_secs(),
            })
        })
        .collect();
    let written = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    json!({
        "written_unix": written,
        "active_calls": pbx.active_calls(),
        "registered_extensions": registrations.len(),
        "registrations": registrations,
        "trunks": trunks,
        "bans": bans,
    })
}

/// Writes `status.json` via a temporary file and rename.
pub fn write(data: &Path, value: &Value) -> std::io::Result<()> {
    let tmp = data.join(format!("{FILE}.tmp"));
    std::fs::write(&tmp, serde_json::to_vec_pretty(value).unwrap_or_default())?;
    std::fs::rename(tmp, data.join(FILE))
}

/// `centralita status`: a human summary of the running daemon's last status file.
pub fn print(data: &Path) -> anyhow::Result<()> {
    let path = data.join(FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no status at {} (is `centralita run --data {}` running?)",
            path.display(),
            data.display()
        )
    })?;
    let v: Value =
        serde_json::from_str(&text).with_context(|| format!("reading {}", path.display()))?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let age = now.saturating_sub(v["written_unix"].as_u64().unwrap_or(0));
    println!(
        "status written {age} s ago{}",
        if age > 30 {
            " (daemon not running?)"
        } else {
            ""
        }
    );
    println!("active calls: {}", v["active_calls"]);
    println!("registered extensions: {}", v["registered_extensions"]);
    for r in v["registrations"].as_array().into_iter().flatten() {
        for c in r["contacts"].as_array().into_iter().flatten() {
            println!(
                "  {}  {}  from {}  ({})",
                r["username"].as_str().unwrap_or(""),
                c["contact"].as_str().unwrap_or(""),
                c["source"].as_str().unwrap_or(""),
                c["user_agent"].as_str().unwrap_or("-"),
            );
        }
    }
    let trunks = v["trunks"].as_array().cloned().unwrap_or_default();
    if trunks.is_empty() {
        println!("trunks: none configured");
    }
    for t in trunks {
        println!(
            "trunk tenant {} {} {}@{}: {}{}",
            t["tenant"],
            t["role"].as_str().unwrap_or(""),
            t["username"].as_str().unwrap_or(""),
            t["domain"].as_str().unwrap_or(""),
            t["detail"].as_str().unwrap_or(""),
            if t["active"].as_bool() == Some(true) {
                " [active]"
            } else {
                ""
            },
        );
    }
    for b in v["bans"].as_array().into_iter().flatten() {
        println!(
            "banned {} for {} s more: {}",
            b["address"].as_str().unwrap_or(""),
            b["expires_in"],
            b["reason"].as_str().unwrap_or(""),
        );
    }
    Ok(())
}
