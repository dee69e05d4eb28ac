//! Digest authentication of requests (RFC 3261 §22, RFC 8760). Unknown users get exactly the same
//! challenge as known ones, and a wrong password is indistinguishable from an unknown user, so the
//! responses never reveal which usernames exist.
use crate::directory::{Account, Directory};
use sip::digest::{self, Algorithm, NonceSigner, NonceState};
use sip::header::Credentials;
use sip::message::{HeaderName, Request, Response};

pub const REALM: &str = "centralita";

/// Which pair of headers a challenge uses: 401/WWW-Authenticate for REGISTER (a registrar), 407/
/// Proxy-Authenticate for requests the box routes onwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    Www,
    Proxy,
}

impl ChallengeKind {
    fn credentials_header(self) -> HeaderName {
        match self {
            ChallengeKind::Www => HeaderName::Authorization,
            ChallengeKind::Proxy => HeaderName::ProxyAuthorization,
        }
    }
    fn challenge_header(self) -> HeaderName {
        match self {
            ChallengeKind::Www => HeaderName::WwwAuthenticate,
            ChallengeKind::Proxy => HeaderName::ProxyAuthenticate,
        }
    }
    pub fn status(self) -> u16 {
        match self {
            ChallengeKind::Www => 401,
            ChallengeKind::Proxy => 407,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthOutcome {
    Authenticated(Box<Account>),
    /// Send a challenge. `failed` is true when credentials were offered and were wrong (counted
    /// towards the ban list); `stale` when the digest was right but the nonce too old.
    Challenge {
        stale: bool,
        failed: bool,
    },
}

pub struct Authenticator {
    signer: NonceSigner,
    /// Offered in this order. MD5 alone is the default: many deployed UAs abort on any SHA-256
    /// challenge (baresip 1.0's libre fails the whole authentication; SIPp 3.6 and older desk
    /// phones read only the first challenge), so SHA-256 (RFC 8760) is opt-in per box.
    algorithms: Vec<Algorithm>,
}

impl Authenticator {
    pub fn new(secret: [u8; 32], algorithms: Vec<Algorithm>) -> Authenticator {
        let algorithms = if algorithms.is_empty() {
            vec![Algorithm::Md5]
        } else {
            algorithms
        };
        Authenticator {
            signer: NonceSigner {
                secret,
                lifetime_secs: 300,
            },
            algorithms,
        }
    }

    pub fn check(
        &self,
        req: &Request,
        kind: ChallengeKind,
        directory: &Directory,
        now_secs: u64,
    ) -> AuthOutcome {
        let header = kind.credentials_header();
        for line in req.headers.lines(&header) {
            let Some(creds) = Credentials::from_header(line) else {
                // Unknown schemes (RFC 4475 regaut01) are ignored, never treated as authenticated.
                continue;
            };
            if creds.realm != REALM {
                continue;
            }
            let Some(account) = directory.account(&creds.username).cloned() else {
                return AuthOutcome::Challenge {
                    stale: false,
                    failed: true,
                };
            };
            if !digest::verify(&creds, req.method.as_str(), &account.password) {
                return AuthOutcome::Challenge {
                    stale: false,
                    failed: true,
                };
            }
            return match self.signer.check(&creds.nonce, now_secs) {
                NonceState::Valid => AuthOutcome::Authenticated(Box::new(account)),
                NonceState::Stale => AuthOutcome::Challenge {
                    stale: true,
                    failed: false,
                },
                NonceState::Invalid => AuthOutcome::Challenge {
                    stale: false,
                    failed: true,
                },
            };
        }
        AuthOutcome::Challenge {
            stale: false,
            failed: false,
        }
    }

    /// Adds one challenge per configured algorithm to `resp`, sharing one nonce.
    pub fn challenge(&self, resp: &mut Response, kind: ChallengeKind, stale: bool, now_secs: u64) {
        let nonce = self.signer.issue(now_secs);
        let name = kind.challenge_header();
        for algorithm in &self.algorithms {
            resp.headers.push(
                name.clone(),
                digest::challenge(REALM, &nonce, *algorithm, stale),
            );
        }
    }
}
