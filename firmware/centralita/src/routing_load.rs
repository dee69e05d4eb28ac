//! Builds the call brain's DID routing table from the store's tenant documents, turning stable
//! ids into what calls need (extension ids into SIP usernames, external-number and DID ids into
//! numbers).
use pbx::routing::{Destination, DidRoute, RoutingTable, Rule, RuleText};
use std::collections::HashMap;
use store::document::model::{Destination as StoredDestination, TenantDocument};
use store::Store;

pub fn load(store: &Store) -> Result<RoutingTable, store::StoreError> {
    let mut table = RoutingTable::default();
    for tenant in store.tenant_ids()? {
        let doc = store.export_document(tenant)?;
        add_tenant(&mut table, &doc);
    }
    Ok(table)
}

pub fn add_tenant(table: &mut RoutingTable, doc: &TenantDocument) {
    let tenant_id = doc.tenant.id;
    let usernames: HashMap<&str, String> = doc
        .users
        .iter()
        .map(|u| (u.id.as_str(), format!("ext{tenant_id}{}", u.extension)))
        .collect();
    let externals: HashMap<&str, &str> = doc
        .external_numbers
        .iter()
        .map(|e| (e.id.as_str(), e.number.as_str()))
        .collect();
    let dids: HashMap<&str, &str> = doc
        .dids
        .iter()
        .map(|d| (d.id.as_str(), d.number.as_str()))
        .collect();
    let resolve = |d: &StoredDestination| -> Destination {
        let lookup = |map: &HashMap<&str, &str>, r: &str| {
            map.get(r).map_or(r.to_string(), |v| v.to_string())
        };
        match d {
            StoredDestination::Hangup => Destination::Hangup,
            StoredDestination::Extension(r) => Destination::Extension(
                usernames
                    .get(r.as_str())
                    .cloned()
                    .unwrap_or_else(|| r.clone()),
            ),
            StoredDestination::Queue(r) => Destination::Queue(r.clone()),
            StoredDestination::Voicemail(r) => Destination::Voicemail(r.clone()),
            StoredDestination::Ivr(r) => Destination::Ivr(r.clone()),
            StoredDestination::External(r) => Destination::External(lookup(&externals, r)),
            StoredDestination::Conference(r) => Destination::Conference(r.clone()),
            StoredDestination::Did(r) => Destination::Did(lookup(&dids, r)),
            StoredDestination::PromptThenHangup(r) => Destination::PromptThenHangup(r.clone()),
        }
    };
    let timezone: chrono_tz::Tz = doc.tenant.timezone.parse().unwrap_or_else(|_| {
        tracing::warn!(tenant = tenant_id, tz = %doc.tenant.timezone, "unknown time zone; using UTC");
        chrono_tz::UTC
    });
    for did in &doc.dids {
        let mut rules = Vec::with_capacity(did.rules.len());
        for (i, r) in did.rules.iter().enumerate() {
            let text = RuleText {
                year: &r.year,
                month: &r.month,
                day: &r.day,
                weekday: &r.weekday,
                start: &r.start,
                end: &r.end,
                caller_id: &r.caller_id,
            };
            match Rule::compile(
                r.order,
                text,
                resolve(&r.destination),
                r.prompt.clone(),
                r.prefix.clone(),
                r.description.clone(),
            ) {
                Ok(rule) => rules.push(rule),
                // Import refuses invalid rules; one that slipped in is skipped, loudly.
                Err(e) => {
                    tracing::error!(did = %did.number, rule = i, error = %e, "route rule skipped")
                }
            }
        }
        table.insert(DidRoute {
            tenant_id,
            number: did.number.clone(),
            timezone,
            forward: did.forward.as_ref().map(resolve),
            rules,
        });
    }
}
