//! The RFC 4475 / RFC 5118 torture corpus (`tests/vectors/sip-torture`, byte-exact
//! copies with an index of what a compliant PBX must answer) and the rule that judges
//! the daemon's answer to each message.

use std::path::{Path, PathBuf};

use crate::error::{HarnessError, Result};

/// One message of the corpus.
#[derive(Debug, Clone)]
pub struct Vector {
    pub name: String,
    /// `expected_code` column: accept, drop, 400, 400-or-liberal, 501, …
    pub expected: String,
    pub bytes: Vec<u8>,
}

pub fn corpus_dir() -> PathBuf {
    crate::crate_dir().join("../vectors/sip-torture")
}

/// Reads index.tsv (header row, tab-separated) and every `<name>.sip` it lists.
pub fn load(dir: &Path) -> Result<Vec<Vector>> {
    let index_path = dir.join("index.tsv");
    let index = std::fs::read_to_string(&index_path)
        .map_err(HarnessError::io(format!("read {}", index_path.display())))?;
    let mut lines = index.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| HarnessError::BadFile {
                path: index_path.clone(),
                reason: format!("no {name} column"),
            })
    };
    let (name_col, code_col) = (column("name")?, column("expected_code")?);
    let mut vectors = Vec::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (Some(name), Some(expected)) = (fields.get(name_col), fields.get(code_col)) else {
            return Err(HarnessError::BadFile {
                path: index_path.clone(),
                reason: format!("short row: {line}"),
            });
        };
        let path = dir.join(format!("{name}.sip"));
        let bytes =
            std::fs::read(&path).map_err(HarnessError::io(format!("read {}", path.display())))?;
        vectors.push(Vector {
            name: name.to_string(),
            expected: expected.to_string(),
            bytes,
        });
    }
    Ok(vectors)
}

impl Vector {
    /// A response in the corpus (stray responses must be dropped silently).
    pub fn is_response(&self) -> bool {
        self.bytes.starts_with(b"SIP/")
    }

    fn header_lines(&self) -> impl Iterator<Item = String> + '_ {
        let text = String::from_utf8_lossy(&self.bytes).into_owned();
        let head = text
            .split("\r\n\r\n")
            .next()
            .unwrap_or_default()
            .to_string();
        head.split("\r\n")
            .skip(1)
            .map(str::to_string)
            .collect::<Vec<_>>()
            .into_iter()
    }

    fn header_values(&self, long: &str, short: &str) -> Vec<String> {
        self.header_lines()
            .filter_map(|line| {
                let (name, value) = line.split_once(':')?;
                let name = name.trim();
                (name.eq_ignore_ascii_case(long) || name.eq_ignore_ascii_case(short))
                    .then(|| value.trim().to_string())
            })
            .collect()
    }

    /// Every Call-ID value the message carries (some carry several, some none).
    pub fn call_ids(&self) -> Vec<String> {
        self.header_values("Call-ID", "i")
    }

    /// What a server matches a request's transaction by (RFC 3261 §17.2.3: top Via
    /// branch and sent-by, plus the method), approximated by the raw top Via and CSeq.
    /// Several RFC 4475 messages share one (e.g. cparam01/cparam02), and a correct
    /// server absorbs the second as a retransmission of the first, answering the first
    /// sender again: the test gives such a message a fresh daemon.
    pub fn transaction_key(&self) -> String {
        let via = self
            .header_values("Via", "v")
            .into_iter()
            .next()
            .unwrap_or_default();
        let cseq = self
            .header_values("CSeq", "CSeq")
            .into_iter()
            .next()
            .unwrap_or_default();
        let method = cseq
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        format!("{via}|{method}")
    }

    /// The port a strictly RFC 3261 §18.2.2 server answers to for the top Via (its
    /// sent-by port, 5060 when absent); the harness listens there too, besides the
    /// source port an rport-style server answers to.
    pub fn via_port(&self) -> u16 {
        let Some(via) = self.header_values("Via", "v").into_iter().next() else {
            return 5060;
        };
        // "SIP/2.0/UDP host:port;params" (odd spacing allowed), first value only.
        let first = via.split(',').next().unwrap_or_default();
        let sent_by = first
            .split(';')
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .last()
            .unwrap_or_default();
        let port = if let Some(rest) = sent_by.strip_prefix('[') {
            rest.split_once("]:").map(|(_, p)| p)
        } else {
            sent_by.rsplit_once(':').map(|(_, p)| p)
        };
        port.and_then(|p| p.parse().ok()).unwrap_or(5060)
    }

    /// Judges the daemon's first final response (`None` = nothing within the wait).
    pub fn judge(&self, got: Option<u16>) -> std::result::Result<(), String> {
        let not_malformed = |c: u16| c != 400 && c < 500;
        let ok = if self.is_response() {
            got.is_none()
        } else {
            match (self.expected.as_str(), got) {
                ("drop", None) => true,
                ("drop", Some(_)) => false,
                (_, None) => false,
                ("accept", Some(c)) => not_malformed(c),
                ("400-or-liberal" | "400-or-2543", Some(c)) => c == 400 || c < 500,
                ("accept-or-483", Some(c)) => c == 483 || not_malformed(c),
                (code, Some(c)) => code.parse::<u16>().is_ok_and(|want| want == c),
            }
        };
        if ok {
            Ok(())
        } else {
            let what = if self.is_response() {
                "a stray response must get no answer".to_string()
            } else {
                format!("expected {}", self.expected)
            };
            Err(format!("{}: {what}, got {got:?}", self.name))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corpus_loads_and_via_ports_parse() -> Result<()> {
        let vectors = load(&corpus_dir())?;
        assert!(vectors.len() >= 60, "{} vectors", vectors.len());
        let port = |name: &str| {
            vectors
                .iter()
                .find(|v| v.name == name)
                .map(Vector::via_port)
        };
        assert_eq!(port("quotbal"), Some(5050));
        assert_eq!(port("mult-ip-in-header"), Some(6050));
        assert_eq!(port("ipv4-mapped-ipv6"), Some(19823));
        assert_eq!(port("wsinv"), Some(5060));
        assert!(vectors.iter().any(Vector::is_response));
        Ok(())
    }

    #[test]
    fn judging_rules() {
        let v = |expected: &str, bytes: &[u8]| Vector {
            name: "t".into(),
            expected: expected.into(),
            bytes: bytes.to_vec(),
        };
        let req = b"OPTIONS sip:x SIP/2.0\r\n\r\n";
        assert!(v("accept", req).judge(Some(407)).is_ok());
        assert!(v("accept", req).judge(Some(400)).is_err());
        assert!(v("accept", req).judge(None).is_err());
        assert!(v("400-or-liberal", req).judge(Some(200)).is_ok());
        assert!(v("400-or-liberal", req).judge(Some(500)).is_err());
        assert!(v("501", req).judge(Some(501)).is_ok());
        assert!(v("501", req).judge(Some(405)).is_err());
        assert!(v("drop", req).judge(None).is_ok());
        assert!(v("accept", b"SIP/2.0 200 OK\r\n\r\n").judge(None).is_ok());
        assert!(v("accept", b"SIP/2.0 200 OK\r\n\r\n")
            .judge(Some(400))
            .is_err());
    }
}
