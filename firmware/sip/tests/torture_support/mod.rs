//! Loads the torture vectors (checking their SHA-256 against index.tsv) and the policy of a PBX.
#![allow(dead_code)] // each test binary uses a different subset
#![allow(clippy::unwrap_used)]

use sha2::{Digest, Sha256};
use sip::uas_checks::UasPolicy;
use std::path::PathBuf;

pub struct Vector {
    pub name: String,
    /// The machine code from index.tsv: accept, 400, drop, 400-or-liberal, ...
    pub code: String,
    pub bytes: Vec<u8>,
}

pub fn vector_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/sip-torture")
}

pub fn load_vectors() -> Vec<Vector> {
    let dir = vector_dir();
    let index = std::fs::read_to_string(dir.join("index.tsv")).unwrap();
    index
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let name = cols[0].to_string();
            let bytes = std::fs::read(dir.join(format!("{name}.sip"))).unwrap();
            let sha = hex::encode(Sha256::digest(&bytes));
            assert_eq!(sha, cols[9], "{name}.sip was altered (line endings?)");
            Vector {
                name,
                code: cols[3].to_string(),
                bytes,
            }
        })
        .collect()
}

/// A PBX: the methods a B2BUA with a registrar handles, the extensions it implements (100rel is
/// left out: reliable provisionals are not implemented, so `Require: 100rel` must get 420), and
/// the bodies it understands.
pub fn pbx_policy() -> UasPolicy<'static> {
    UasPolicy {
        allowed_methods: &[
            "INVITE",
            "ACK",
            "BYE",
            "CANCEL",
            "OPTIONS",
            "REGISTER",
            "INFO",
            "UPDATE",
            "PRACK",
            "SUBSCRIBE",
            "NOTIFY",
            "REFER",
            "MESSAGE",
        ],
        supported_extensions: &["replaces", "timer", "path", "outbound"],
        accepted_body_types: &[
            "application/sdp",
            "application/dtmf-relay",
            "multipart/mixed",
            "message/sipfrag",
            "text/plain",
        ],
    }
}
