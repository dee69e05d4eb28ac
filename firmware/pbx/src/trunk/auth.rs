//! Digest credentials of the registration client (RFC 3261 §22.2-§22.3, RFC 8760): the last
//! challenge of each kind is remembered and answered pre-emptively on every later REGISTER
//! (most providers expect that on refreshes), with `nc` counting up per nonce and a fresh cnonce
//! from the injected RNG.
//!
//! The registrar (401, WWW-Authenticate → Authorization) and an outbound proxy (407,
//! Proxy-Authenticate → Proxy-Authorization) may both challenge the same REGISTER, so one
//! challenge per kind is kept and answered together.
use rand::RngCore;
use sip::message::{HeaderName, Response};

use super::message;
use super::state::FailureReason;

/// More answers per attempt only when the server says our nonce is merely `stale=true`.
const MAX_STALE_RETRIES: u8 = 3;

#[derive(Debug)]
struct Cached {
    /// Authorization or Proxy-Authorization.
    header: HeaderName,
    challenge: String,
    nc: u32,
    /// Challenges of this kind answered in the current attempt.
    answered: u8,
}

#[derive(Debug, Default)]
pub(crate) struct AuthCache {
    entries: Vec<Cached>,
}

impl AuthCache {
    /// A new attempt (a scheduled REGISTER, not a retry after a challenge) starts.
    pub fn new_attempt(&mut self) {
        for e in &mut self.entries {
            e.answered = 0;
        }
    }

    /// Takes in a 401/407. `Ok` means "send again now with the new credentials"; `Err` says why
    /// not (an unusable challenge, or credentials refused twice — the cache is dropped then, so
    /// the next attempt starts clean).
    pub fn on_challenge(&mut self, resp: &Response) -> Result<(), FailureReason> {
        let Some((header, challenge)) = message::pick_challenge(resp) else {
            return Err(FailureReason::UnsupportedChallenge);
        };
        let stale = message::is_stale(&challenge);
        let entry = self.entries.iter_mut().find(|e| e.header == header);
        let answered = entry.as_ref().map_or(0, |e| e.answered);
        if answered > 0 && !(stale && answered < MAX_STALE_RETRIES) {
            self.entries.clear();
            return Err(FailureReason::AuthRejected {
                status: resp.status,
            });
        }
        let fresh = Cached {
            header,
            challenge,
            nc: 0,
            answered: answered + 1,
        };
        match entry {
            Some(e) => *e = fresh,
            None => self.entries.push(fresh),
        }
        Ok(())
    }

    /// The credential headers for the next REGISTER to `uri`.
    pub fn headers(
        &mut self,
        uri: &str,
        username: &str,
        password: &str,
        rng: &mut dyn RngCore,
    ) -> Vec<(HeaderName, String)> {
        let mut out = Vec::with_capacity(self.entries.len());
        for e in &mut self.entries {
            let mut raw = [0u8; 8];
            rng.fill_bytes(&mut raw);
            let cnonce: String = raw.iter().map(|b| format!("{b:02x}")).collect();
            e.nc = e.nc.wrapping_add(1);
            if let Some(v) = sip::digest::authorize(
                &e.challenge,
                "REGISTER",
                uri,
                username,
                password,
                &cnonce,
                e.nc,
            ) {
                out.push((e.header.clone(), v));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::mock::StepRng;
    use sip::header::Credentials;
    use sip::message::Headers;

    fn challenge(status: u16, nonce: &str, stale: bool) -> Response {
        let name = if status == 401 {
            HeaderName::WwwAuthenticate
        } else {
            HeaderName::ProxyAuthenticate
        };
        let mut headers = Headers::new();
        headers.push(
            name,
            sip::digest::challenge("realm", nonce, sip::digest::Algorithm::Md5, stale),
        );
        Response {
            status,
            reason: String::new(),
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn proxy_and_registrar_challenges_are_both_answered() {
        let mut cache = AuthCache::default();
        let mut rng = StepRng::new(1, 1);
        assert!(cache.headers("sip:d", "u", "p", &mut rng).is_empty());
        cache.on_challenge(&challenge(407, "n1", false)).unwrap();
        cache.on_challenge(&challenge(401, "n2", false)).unwrap();
        let h = cache.headers("sip:d", "u", "p", &mut rng);
        let names: Vec<_> = h.iter().map(|(n, _)| n.clone()).collect();
        assert_eq!(
            names,
            vec![HeaderName::ProxyAuthorization, HeaderName::Authorization]
        );
        let c = Credentials::from_header(&h[1].1).unwrap();
        assert_eq!(
            (c.nonce.as_str(), c.nc.as_deref()),
            ("n2", Some("00000001"))
        );
        let again = cache.headers("sip:d", "u", "p", &mut rng);
        let c = Credentials::from_header(&again[1].1).unwrap();
        assert_eq!(c.nc.as_deref(), Some("00000002"));
    }

    #[test]
    fn a_second_challenge_is_a_refusal_unless_stale() {
        let mut cache = AuthCache::default();
        cache.on_challenge(&challenge(401, "n1", false)).unwrap();
        cache.on_challenge(&challenge(401, "n2", true)).unwrap();
        cache.on_challenge(&challenge(401, "n3", true)).unwrap();
        assert_eq!(
            cache.on_challenge(&challenge(401, "n4", true)),
            Err(FailureReason::AuthRejected { status: 401 })
        );
        // Dropped: the next attempt starts without credentials.
        let mut rng = StepRng::new(1, 1);
        assert!(cache.headers("sip:d", "u", "p", &mut rng).is_empty());
        cache.on_challenge(&challenge(401, "n5", false)).unwrap();
        assert_eq!(
            cache.on_challenge(&challenge(401, "n6", false)),
            Err(FailureReason::AuthRejected { status: 401 })
        );
        cache.on_challenge(&challenge(401, "n7", false)).unwrap();
        cache.new_attempt();
        cache.on_challenge(&challenge(401, "n8", false)).unwrap();
    }

    #[test]
    fn garbage_challenges_are_unsupported() {
        let mut cache = AuthCache::default();
        let mut r = challenge(401, "n", false);
        r.headers
            .set(HeaderName::WwwAuthenticate, "Basic realm=\"x\"");
        assert_eq!(
            cache.on_challenge(&r),
            Err(FailureReason::UnsupportedChallenge)
        );
    }
}
