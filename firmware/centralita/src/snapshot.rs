//! Builds the call brain's snapshot of the configuration ([`pbx::Directory`]) from the store's
//! tenant documents, turning stable ids into what calls need (user ids into SIP usernames,
//! external-number and DID ids into numbers). Rebuilt at start and on SIGHUP.
use pbx::routing::{Destination, DidRoute, Rule, RuleText};
use pbx::{Account, DialTarget, Directory, Tenant, TrunkAccount};
use std::collections::HashMap;
use store::document::model::{Destination as StoredDestination, TenantDocument};
use store::Store;

pub fn load(store: &Store, data_dir: &std::path::Path) -> Result<Directory, store::StoreError> {
    let mut directory = Directory::default();
    directory.media.data_dir = data_dir.to_path_buf();
    for tenant in store.tenant_ids()? {
        let doc = store.export_document(tenant)?;
        add_tenant(&mut directory, &doc);
    }
    Ok(directory)
}

pub fn add_tenant(directory: &mut Directory, doc: &TenantDocument) {
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
    let did_numbers: HashMap<&str, &str> = dids.clone();
    for user in &doc.users {
        let mut account = Account::new(tenant_id, &user.extension, &user.sip_password);
        account.display_name = user.full_name.clone();
        account.internal_only = user.internal_only;
        account.ring_seconds = user.ring_seconds;
        account.dnd = user.dnd;
        account.forward_always = user.forward_always.as_ref().map(resolve);
        account.forward_busy = user.forward_busy.as_ref().map(resolve);
        account.forward_no_answer = user.forward_no_answer.as_ref().map(resolve);
        account.mobile = user.mobile.clone().filter(|m| !m.trim().is_empty());
        account.caller_id = user
            .caller_id
            .as_ref()
            .and_then(|id| did_numbers.get(id.as_str()).map(|n| n.to_string()));
        directory.add_account(account);
    }
    for alias in &doc.aliases {
        directory.add_alias_name(tenant_id, &alias.number, &alias.display_name);
        directory.add_number(
            tenant_id,
            &alias.alias,
            DialTarget::Alias {
                number: alias.number.clone(),
                display_name: alias.display_name.clone(),
            },
        );
    }
    crate::snapshot_media::add_media(directory, doc, &resolve);
    let not_yet = [
        (
            "queue",
            doc.queues
                .iter()
                .map(|q| q.number.as_str())
                .collect::<Vec<_>>(),
        ),
        (
            "conference",
            doc.conference_rooms
                .iter()
                .filter_map(|c| c.number.as_deref())
                .collect(),
        ),
    ];
    for (kind, numbers) in not_yet {
        for n in numbers {
            directory.add_number(tenant_id, n, DialTarget::NotYetRouted { kind });
        }
    }
    let mut trunks = Vec::new();
    if let Some(p) = &doc.provider {
        trunks.push(TrunkAccount {
            username: p.username.clone(),
            password: p.password.clone(),
            domain: p.domain.clone(),
            outbound_proxy: p.outbound_proxy.clone(),
        });
        if let Some(s) = &p.secondary {
            trunks.push(TrunkAccount {
                username: s.username.clone(),
                password: s.password.clone(),
                domain: s.domain.clone(),
                outbound_proxy: s.outbound_proxy.clone(),
            });
        }
    }
    for entry in &doc.allow_list {
        match entry.address.trim().parse() {
            Ok(addr) => directory.allow_list.push(pbx::guard::AllowNet {
                addr,
                prefix: entry.netmask,
            }),
            Err(_) => tracing::error!(address = %entry.address, "allow-list entry ignored"),
        }
    }
    let outbound = outbound_policy(doc);
    for did in &doc.dids {
        // Providers write DIDs their own way (+34..., 0034..., national): all reach the DID.
        if let Ok(national) = outbound.plan.numbers.normalize(&did.number) {
            let e164 = format!("+{}", outbound.plan.numbers.to_e164_digits(&national));
            directory.routes.add_spelling(e164, &did.number);
            directory.routes.add_spelling(national, &did.number);
        }
    }
    directory.add_tenant(Tenant {
        id: tenant_id,
        trunks,
        outbound,
        main_did: doc.dids.first().map(|d| d.number.clone()),
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
        directory.routes.insert(DidRoute {
            tenant_id,
            number: did.number.clone(),
            timezone,
            forward: did.forward.as_ref().map(resolve),
            rules,
        });
    }
}

/// The tenant's call permissions and DID OUT plan. A module config that does not compile is
/// logged and replaced by the defaults (which block international and premium calls), so a bad
/// config can only make the box stricter, never open it up.
fn outbound_policy(doc: &TenantDocument) -> pbx::dialplan::OutboundPolicy {
    fn config<T: serde::de::DeserializeOwned>(doc: &TenantDocument, name: &str) -> Option<T> {
        let module = doc.modules.iter().find(|m| m.name == name && m.enabled)?;
        match serde_json::from_value(module.config.clone()) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::error!(tenant = doc.tenant.id, module = name, error = %e, "module config ignored");
                None
            }
        }
    }
    let permissions: Option<pbx::dialplan::CallPermissionsConfig> = config(doc, "call-permissions");
    let did_out: Option<pbx::dialplan::DidOutConfig> = config(doc, "did-out");
    let dids = doc.dids.iter().map(|d| d.number.as_str());
    match pbx::dialplan::OutboundPolicy::compile(permissions.as_ref(), did_out.as_ref(), dids) {
        Ok(policy) => policy,
        Err(e) => {
            tracing::error!(tenant = doc.tenant.id, error = %e, "dial plan ignored; defaults apply");
            pbx::dialplan::OutboundPolicy::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbx::routing::Destination as D;

    fn example() -> Directory {
        let json = include_str!("../../../docs/examples/tenant-example.json");
        let doc = store::parse_document(json).unwrap();
        let mut directory = Directory::default();
        add_tenant(&mut directory, &doc);
        directory
    }

    #[test]
    fn every_kind_of_number_resolves() {
        let d = example();
        assert_eq!(d.account_count(), 2);
        assert_eq!(
            d.resolve(20191, "11"),
            DialTarget::Extension("ext2019111".into())
        );
        assert_eq!(
            d.resolve(20191, "400"),
            DialTarget::NotYetRouted { kind: "queue" }
        );
        assert_eq!(
            d.resolve(20191, "700"),
            DialTarget::Voicemail("vm700".into())
        );
        assert!(matches!(d.resolve(20191, "7000"), DialTarget::Ivr(_)));
        assert_eq!(
            d.resolve(20191, "800"),
            DialTarget::NotYetRouted { kind: "conference" }
        );
        assert_eq!(
            d.resolve(20191, "20"),
            DialTarget::Alias {
                number: "655974643".into(),
                display_name: "Stefano".into()
            }
        );
        assert_eq!(d.resolve(20191, "99"), DialTarget::Unknown);
        // Nothing leaks between tenants.
        assert_eq!(d.resolve(20200, "10"), DialTarget::Unknown);
        assert_eq!(d.alias_name(20191, "655974643"), Some("Stefano"));
    }

    #[test]
    fn ids_become_what_calls_need() {
        let d = example();
        let ten = d.account("ext2019110").unwrap();
        assert_eq!(
            ten.caller_id.as_deref(),
            Some("917374206"),
            "DID id -> number"
        );
        assert_eq!(ten.forward_busy, Some(D::Voicemail("vm700".into())));
        assert_eq!(ten.mobile.as_deref(), Some("+34655974643"));
        let tenant = d.tenant(20191).unwrap();
        assert_eq!(tenant.trunks.len(), 2, "primary and secondary");
        assert_eq!(
            tenant.trunks[0].outbound_proxy.as_deref(),
            Some("proxy.provider.example:5060")
        );
        // DIDs are found under every spelling the network may use.
        assert!(d.routes.did("917374207").is_some());
        assert!(d.routes.did("+34917374206").is_some());
        let forward = d.routes.did("+34917374207").unwrap().forward.clone();
        assert_eq!(forward, Some(D::Did("917374206".into())));
    }
}
