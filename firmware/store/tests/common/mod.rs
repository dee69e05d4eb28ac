//! Helpers shared by the integration tests (each test binary uses a subset).
#![allow(dead_code)]

use store::{parse_document, Store, TenantDocument};

pub const EXAMPLE: &str = include_str!("../../../../docs/examples/tenant-example.json");

pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    (dir, store)
}

pub fn example() -> TenantDocument {
    parse_document(EXAMPLE).unwrap()
}

/// The smallest useful document: the daemon contract's example.
pub const MINIMAL: &str = r#"{"schema":1,"tenant":{"id":20191,"name":"Test","max_extensions":20,
  "timezone":"Europe/Madrid","recording":false,"created":"2024-01-02"},"provider":null,
  "users":[{"id":"u10","extension":"10","full_name":"Ten","email":"ten@example.com","role":"user",
            "sip_password":"secret10","internal_only":false,"ring_seconds":30},
           {"id":"u11","extension":"11","full_name":"Eleven","email":"eleven@example.com",
            "role":"user","sip_password":"secret11"}]}"#;

pub fn minimal() -> TenantDocument {
    parse_document(MINIMAL).unwrap()
}

/// The problems of a refused import, as "path: message" lines.
pub fn refused(store: &mut Store, doc: &TenantDocument) -> Vec<String> {
    match store.import_document(doc) {
        Err(e) => {
            let problems: Vec<String> = e.problems().iter().map(|p| p.to_string()).collect();
            assert!(!problems.is_empty(), "refused without problems: {e}");
            problems
        }
        Ok(s) => panic!("document accepted: {s:?}"),
    }
}
