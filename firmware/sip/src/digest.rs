//! Digest authentication (RFC 2617 / RFC 7616 as profiled for SIP by RFC 3261 §22 and RFC 8760):
//! MD5 and SHA-256, qop=auth, stateless nonces signed with a secret so a flood of REGISTERs costs
//! no memory.
//!
//! Stateless nonces can be replayed while they are fresh; a registrar that cares tracks `nc` per
//! nonce. Verification compares in constant time so the response leaks nothing about the expected
//! digest.
use crate::header::{AuthParams, Credentials};
use md5::{Digest as _, Md5};
use sha2::Sha256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    Md5,
    Sha256,
}

impl Algorithm {
    /// RFC 8760 token. The `-sess` variants are not supported (no SIP phone needs them).
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// `None` (absent) means MD5 (RFC 2617 §3.2.1).
    pub fn from_param(value: Option<&str>) -> Option<Algorithm> {
        match value {
            None => Some(Algorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("MD5") => Some(Algorithm::Md5),
            Some(v) if v.eq_ignore_ascii_case("SHA-256") => Some(Algorithm::Sha256),
            Some(_) => None,
        }
    }

    /// Lower-case hex digest of the `:`-joined parts.
    fn hash(self, parts: &[&str]) -> String {
        fn run<D: md5::Digest>(mut d: D, parts: &[&str]) -> String {
            for (i, p) in parts.iter().enumerate() {
                if i > 0 {
                    d.update(b":");
                }
                d.update(p.as_bytes());
            }
            hex::encode(d.finalize())
        }
        match self {
            Algorithm::Md5 => run(Md5::new(), parts),
            Algorithm::Sha256 => run(Sha256::new(), parts),
        }
    }
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

/// 16 hex digits of timestamp followed by 32 hex digits (128 bits) of signature.
const NONCE_TS_LEN: usize = 16;
const NONCE_LEN: usize = NONCE_TS_LEN + 32;

impl NonceSigner {
    fn sign(&self, ts: u64) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(ts.to_be_bytes());
        hex::encode(&h.finalize()[..16])
    }

    pub fn issue(&self, now_secs: u64) -> String {
        let mut nonce = format!("{now_secs:016x}");
        nonce.push_str(&self.sign(now_secs));
        nonce
    }

    /// `Invalid` for anything we did not sign (or signed "in the future", which only happens after
    /// a clock-scale change); `Stale` for a genuine nonce past its lifetime.
    pub fn check(&self, nonce: &str, now_secs: u64) -> NonceState {
        if nonce.len() != NONCE_LEN || !nonce.is_ascii() {
            return NonceState::Invalid;
        }
        let (ts_hex, sig) = nonce.split_at(NONCE_TS_LEN);
        let Ok(ts) = u64::from_str_radix(ts_hex, 16) else {
            return NonceState::Invalid;
        };
        if !ct_eq_ignore_case(sig, &self.sign(ts)) || ts > now_secs {
            return NonceState::Invalid;
        }
        if now_secs - ts > self.lifetime_secs {
            NonceState::Stale
        } else {
            NonceState::Valid
        }
    }
}

/// Constant-time (for equal lengths) ASCII-case-insensitive comparison of hex strings.
fn ct_eq_ignore_case(a: &str, b: &str) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| {
        acc | (x.to_ascii_lowercase() ^ y.to_ascii_lowercase())
    });
    diff == 0
}

/// Escapes a value for a quoted-string.
fn quoted(v: &str) -> String {
    let mut s = String::with_capacity(v.len() + 2);
    s.push('"');
    for c in v.chars() {
        if c == '"' || c == '\\' {
            s.push('\\');
        }
        s.push(c);
    }
    s.push('"');
    s
}

/// The value of a WWW-Authenticate / Proxy-Authenticate header.
pub fn challenge(realm: &str, nonce: &str, algorithm: Algorithm, stale: bool) -> String {
    let mut v = format!(
        "Digest realm={}, nonce={}, algorithm={}, qop=\"auth\"",
        quoted(realm),
        quoted(nonce),
        algorithm.as_str()
    );
    if stale {
        v.push_str(", stale=true");
    }
    v
}

/// The expected `response` value (RFC 2617 §3.2.2.1) for qop=auth or no qop.
fn expected_response(
    alg: Algorithm,
    c: &Credentials,
    method: &str,
    password: &str,
) -> Option<String> {
    let ha1 = alg.hash(&[&c.username, &c.realm, password]);
    let ha2 = alg.hash(&[method, &c.uri]);
    match c.qop.as_deref() {
        None => Some(alg.hash(&[&ha1, &c.nonce, &ha2])),
        Some(q) if q.eq_ignore_ascii_case("auth") => {
            let nc = c.nc.as_deref()?;
            let cnonce = c.cnonce.as_deref()?;
            Some(alg.hash(&[&ha1, &c.nonce, nc, cnonce, "auth", &ha2]))
        }
        Some(_) => None,
    }
}

/// Verifies `creds` for `method` against the plaintext `password`. Supports qop=auth and no qop
/// (RFC 2069 compatibility), MD5 and SHA-256. Constant-time comparison.
pub fn verify(creds: &Credentials, method: &str, password: &str) -> bool {
    let Some(alg) = Algorithm::from_param(creds.algorithm.as_deref()) else {
        return false;
    };
    match expected_response(alg, creds, method, password) {
        Some(expected) => ct_eq_ignore_case(&creds.response, &expected),
        None => false,
    }
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
    let ch = AuthParams::parse(challenge_value).ok()?;
    if !ch.scheme.eq_ignore_ascii_case("Digest") {
        return None;
    }
    let alg = Algorithm::from_param(ch.get("algorithm"))?;
    let realm = ch.get("realm")?;
    let nonce = ch.get("nonce")?;
    let use_qop = ch
        .get("qop")
        .is_some_and(|q| q.split(',').any(|t| t.trim().eq_ignore_ascii_case("auth")));
    let nc_hex = format!("{nc:08x}");
    let creds = Credentials {
        username: username.to_string(),
        realm: realm.to_string(),
        nonce: nonce.to_string(),
        uri: uri.to_string(),
        response: String::new(),
        algorithm: None,
        qop: use_qop.then(|| "auth".to_string()),
        nc: Some(nc_hex.clone()),
        cnonce: Some(cnonce.to_string()),
        opaque: None,
    };
    let response = expected_response(alg, &creds, method, password)?;
    let mut v = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response={}, algorithm={}",
        quoted(username),
        quoted(realm),
        quoted(nonce),
        quoted(uri),
        quoted(&response),
        alg.as_str()
    );
    if use_qop {
        v.push_str(&format!(
            ", qop=auth, nc={nc_hex}, cnonce={}",
            quoted(cnonce)
        ));
    }
    if let Some(opaque) = ch.get("opaque") {
        v.push_str(&format!(", opaque={}", quoted(opaque)));
    }
    Some(v)
}
