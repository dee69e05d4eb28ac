//! `centralita route`: the routing simulator. It runs the very function real calls use and
//! explains, rule by rule, why each earlier rule did not match.
use anyhow::{bail, Context};
use chrono::TimeZone;
use std::fmt::Write;
use std::path::Path;

pub fn route(data: &Path, did: &str, caller: &str, at: Option<&str>) -> anyhow::Result<()> {
    let store = store::Store::open(data)?;
    let directory = crate::snapshot::load(&store, data)?;
    let table = &directory.routes;
    let Some(route) = table.did(did) else {
        bail!("DID {did} is not configured on this box");
    };
    let unix_ms = match at {
        None => chrono::Utc::now().timestamp_millis(),
        Some(text) => {
            let naive = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
                .with_context(|| format!("--at {text:?}: expected YYYY-MM-DDTHH:MM"))?;
            match route.timezone.from_local_datetime(&naive).earliest() {
                Some(t) => t.timestamp_millis(),
                None => bail!("{text} does not exist in {} (a DST gap)", route.timezone),
            }
        }
    };
    // The caller as calls see it: in the tenant's national format.
    let national = directory
        .tenant(route.tenant_id)
        .and_then(|t| t.outbound.plan.numbers.normalize(caller).ok());
    let caller = national.as_deref().unwrap_or(caller);
    let Some(routed) = table.route(did, caller, unix_ms) else {
        bail!("DID {did} is not configured on this box");
    };
    print!("{}", explain(table, &routed, caller));
    Ok(())
}

fn explain(
    table: &pbx::routing::RoutingTable,
    routed: &pbx::routing::Routed,
    caller: &str,
) -> String {
    let mut out = String::new();
    for step in &routed.steps {
        let l = step.local;
        let tz = table
            .did(&step.did)
            .map(|d| d.timezone.to_string())
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "DID {} at {:04}-{:02}-{:02} {} ({tz}, weekday {}) from {caller:?}:",
            step.did, l.year, l.month, l.day, l.time, l.weekday
        );
        let Some(did) = table.did(&step.did) else {
            continue;
        };
        if step.forwarded {
            let _ = writeln!(out, "  unconditional forward: rules not evaluated");
            continue;
        }
        for (i, why) in &step.evaluation.rejected {
            let r = &did.rules[*i];
            let _ = writeln!(out, "  rule {} ({}) no: {why}", r.order, label(r));
        }
        match step.evaluation.matched {
            Some(i) => {
                let r = &did.rules[i];
                let _ = writeln!(
                    out,
                    "  rule {} ({}) MATCHES -> {}",
                    r.order,
                    label(r),
                    r.destination.describe()
                );
            }
            None => {
                let _ = writeln!(out, "  no rule matches");
            }
        }
    }
    match &routed.destination {
        Some(d) => {
            let _ = writeln!(out, "result: {}", d.describe());
            if let Some(p) = &routed.prompt {
                let _ = writeln!(out, "  prompt played first: {p}");
            }
            if let Some(p) = &routed.prefix {
                let _ = writeln!(out, "  caller name prefix: {p:?}");
            }
        }
        None => {
            let _ = writeln!(
                out,
                "result: rejected with 480 (no rule matches), CDR unanswered"
            );
        }
    }
    out
}

fn label(r: &pbx::routing::Rule<pbx::routing::Destination>) -> String {
    if r.description.is_empty() {
        format!("{}-{}", r.start, r.end)
    } else {
        r.description.clone()
    }
}
