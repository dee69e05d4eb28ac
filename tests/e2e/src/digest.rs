//! Client side of HTTP digest (RFC 2617 / RFC 7616 / RFC 8760) for the raw SIP client:
//! enough to answer the daemon's challenges with MD5 or SHA-256 and qop=auth.

use md5::{Digest as _, Md5};
use sha2::Sha256;

use crate::error::{HarnessError, Result};

/// One parsed `Digest …` challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    /// Parameters in the order the server sent them, names lower-cased.
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn parse(header: &str) -> Result<Challenge> {
        let rest = header.trim();
        let Some(rest) = rest
            .strip_prefix("Digest")
            .or_else(|| rest.strip_prefix("digest"))
        else {
            return Err(HarnessError::BadChallenge {
                param: "Digest scheme".to_string(),
                header: header.to_string(),
            });
        };
        Ok(Challenge {
            params: split_params(rest),
        })
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, name: &str) -> Result<&str> {
        self.param(name).ok_or_else(|| HarnessError::BadChallenge {
            param: name.to_string(),
            header: format!("{:?}", self.params),
        })
    }

    /// Algorithm token as sent (MD5 when absent, as RFC 2617 says).
    pub fn algorithm(&self) -> String {
        self.param("algorithm")
            .unwrap_or("MD5")
            .to_ascii_uppercase()
    }

    /// The `Authorization`/`Proxy-Authorization` value answering this challenge.
    pub fn answer(
        &self,
        username: &str,
        password: &str,
        method: &str,
        uri: &str,
    ) -> Result<String> {
        let realm = self.required("realm")?;
        let nonce = self.required("nonce")?;
        let algorithm = self.algorithm();
        let hash = |input: &str| -> String {
            if algorithm.starts_with("SHA-256") {
                hex::encode(Sha256::digest(input.as_bytes()))
            } else {
                hex::encode(Md5::digest(input.as_bytes()))
            }
        };
        let ha1 = hash(&format!("{username}:{realm}:{password}"));
        let ha2 = hash(&format!("{method}:{uri}"));
        let qop_auth = self
            .param("qop")
            .is_some_and(|qop| qop.split(',').any(|q| q.trim() == "auth"));
        let cnonce = "e2ec0ffee";
        let nc = "00000001";
        let response = if qop_auth {
            hash(&format!("{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}"))
        } else {
            hash(&format!("{ha1}:{nonce}:{ha2}"))
        };
        let mut value = format!(
            "Digest username=\"{username}\", realm=\"{realm}\", nonce=\"{nonce}\", \
             uri=\"{uri}\", response=\"{response}\", algorithm={algorithm}"
        );
        if qop_auth {
            value.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
        }
        if let Some(opaque) = self.param("opaque") {
            value.push_str(&format!(", opaque=\"{opaque}\""));
        }
        Ok(value)
    }
}

/// Splits `a="x, y", b=z` at commas outside quotes; values lose their quotes.
fn split_params(text: &str) -> Vec<(String, String)> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for ch in text.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                current.push(ch);
            }
            ',' if !quoted => parts.push(std::mem::take(&mut current)),
            _ => current.push(ch),
        }
    }
    parts.push(current);
    parts
        .iter()
        .filter_map(|part| {
            let (name, value) = part.split_once('=')?;
            Some((
                name.trim().to_ascii_lowercase(),
                value.trim().trim_matches('"').to_string(),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 2617 section 3.5 example, transposed to SIP fields.
    #[test]
    fn md5_with_qop_matches_rfc2617_example() -> Result<()> {
        let challenge = Challenge::parse(
            "Digest realm=\"testrealm@host.com\", qop=\"auth,auth-int\", \
             nonce=\"dcd98b7102dd2f0e8b11d0f600bfb0c093\", opaque=\"5ccc069c403ebaf9f0171e9517f40e41\"",
        )?;
        let hash = |s: &str| hex::encode(Md5::digest(s.as_bytes()));
        let ha1 = hash("Mufasa:testrealm@host.com:Circle Of Life");
        let ha2 = hash("GET:/dir/index.html");
        let expected = hash(&format!(
            "{ha1}:dcd98b7102dd2f0e8b11d0f600bfb0c093:00000001:e2ec0ffee:auth:{ha2}"
        ));
        let answer = challenge.answer("Mufasa", "Circle Of Life", "GET", "/dir/index.html")?;
        assert!(
            answer.contains(&format!("response=\"{expected}\"")),
            "{answer}"
        );
        assert!(answer.contains("opaque=\"5ccc069c403ebaf9f0171e9517f40e41\""));
        Ok(())
    }

    #[test]
    fn sha256_is_selected_by_algorithm() -> Result<()> {
        let challenge = Challenge::parse("Digest realm=\"r\", nonce=\"n\", algorithm=SHA-256")?;
        let answer = challenge.answer("u", "p", "REGISTER", "sip:x")?;
        let hash = |s: &str| hex::encode(Sha256::digest(s.as_bytes()));
        let expected = hash(&format!("{}:n:{}", hash("u:r:p"), hash("REGISTER:sip:x")));
        assert!(answer.contains(&expected), "{answer}");
        Ok(())
    }
}
