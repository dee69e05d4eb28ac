//! Digest authentication (RFC 2617 / RFC 7616 as profiled for SIP by RFC 3261 §22 and RFC 8760):
//! MD5 and SHA-256, qop=auth, stateless nonces signed with a secret so a flood of REGISTERs costs
//! no memory.
use crate::header::Credentials;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

/// Issues and checks nonces: `nonce = hex(issued_secs) || hex(H(secret || issued_secs))[..]`.
/// Time is injected as seconds on a monotonic scale chosen by the caller.
pub struct NonceSigner {
    pub secret: [u8; 32],
    /// Nonces older than this are `Stale` (the UA retries with the fresh nonce without asking the user).
    pub lifetime_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceState {
    Valid,
    Stale,
    Invalid,
}

impl NonceSigner {
    pub fn issue(&self, now_secs: u64) -> String {
        let _ = now_secs;
        todo!("sip parser engineer")
    }
    pub fn check(&self, nonce: &str, now_secs: u64) -> NonceState {
        let _ = (nonce, now_secs);
        todo!("sip parser engineer")
    }
}

/// The value of a WWW-Authenticate / Proxy-Authenticate header.
pub fn challenge(realm: &str, nonce: &str, algorithm: Algorithm, stale: bool) -> String {
    let _ = (realm, nonce, algorithm, stale);
    todo!("sip parser engineer")
}

/// Verifies `creds` for `method` against the plaintext `password`. Supports qop=auth and no qop
/// (RFC 2069 compatibility), MD5 and SHA-256. Constant-time comparison.
pub fn verify(creds: &Credentials, method: &str, password: &str) -> bool {
    let _ = (creds, method, password);
    todo!("sip parser engineer")
}

/// Client side: the Authorization value answering `challenge_value` (used by the trunk registration
/// client and tests).
pub fn authorize(
    challenge_value: &str,
    method: &str,
    uri: &str,
    username: &str,
    password: &str,
    cnonce: &str,
    nc: u32,
) -> Option<String> {
    let _ = (challenge_value, method, uri, username, password, cnonce, nc);
    todo!("sip parser engineer")
}
