//! Validation of the tenant's integration and security settings (API keys, modules, allow
//! list): entities that no call path references.

use std::collections::HashMap;

use super::checks;
use super::model::TenantDocument;
use super::validate::Validator;

pub(super) fn rest(v: &mut Validator<'_>, doc: &TenantDocument) {
    let mut hashes: HashMap<&str, usize> = HashMap::new();
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, k) in doc.api_keys.iter().enumerate() {
        let p = |field: &str| format!("api_keys[{i}].{field}");
        unique(v, &mut ids, &k.id, i, "api_keys");
        v.problem(p("name"), checks::text(&k.name));
        v.problem(p("key_hash"), checks::non_empty(&k.key_hash));
        if let Some(first) = hashes.insert(&k.key_hash, i) {
            v.problem(
                p("key_hash"),
                Some(format!("same hash as api_keys[{first}]")),
            );
        }
        v.problem(p("created"), checks::date(&k.created));
    }
    let mut names: HashMap<&str, usize> = HashMap::new();
    for (i, m) in doc.modules.iter().enumerate() {
        let p = |field: &str| format!("modules[{i}].{field}");
        let name_ok = !m.name.is_empty()
            && m.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            v.problem(
                p("name"),
                Some(format!(
                    "{:?} must be lowercase letters, digits and -",
                    m.name
                )),
            );
        } else if let Some(first) = names.insert(&m.name, i) {
            v.problem(
                p("name"),
                Some(format!("{:?} is already modules[{first}]", m.name)),
            );
        }
        if !m.config.is_object() {
            v.problem(p("config"), Some("must be a JSON object".into()));
        }
    }
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, a) in doc.allow_list.iter().enumerate() {
        let p = |field: &str| format!("allow_list[{i}].{field}");
        unique(v, &mut ids, &a.id, i, "allow_list");
        v.problem(p("address"), checks::allow_address(&a.address, a.netmask));
        v.problem(p("description"), checks::text(&a.description));
    }
}

fn unique<'d>(
    v: &mut Validator<'_>,
    seen: &mut HashMap<&'d str, usize>,
    id: &'d str,
    index: usize,
    collection: &str,
) {
    let path = format!("{collection}[{index}].id");
    if id.trim().is_empty() {
        v.problem(path, Some("must not be empty".into()));
    } else if let Some(first) = seen.get(id) {
        v.problem(
            path,
            Some(format!("duplicate id {id:?} (also {collection}[{first}])")),
        );
    } else {
        seen.insert(id, index);
    }
}
