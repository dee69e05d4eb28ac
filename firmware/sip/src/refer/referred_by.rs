//! The Referred-By header (RFC 3892 §3): who asked for the transfer, plus an optional `cid`
//! pointing at a signed body the pbx does not use.
use super::{ReferError, MAX_REFER_TO};
use crate::header::lex::unquote;
use crate::header::NameAddr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferredBy {
    pub addr: NameAddr,
    /// The `cid` parameter without its quotes (RFC 3892 `referredby-id-param`).
    pub cid: Option<String>,
}

impl ReferredBy {
    pub fn parse(value: &str) -> Result<ReferredBy, ReferError> {
        if value.len() > MAX_REFER_TO {
            return Err(ReferError::TooLong {
                header: "Referred-By",
                len: value.len(),
                max: MAX_REFER_TO,
            });
        }
        let addr = NameAddr::parse(value).map_err(|source| ReferError::Address {
            header: "Referred-By",
            source,
        })?;
        let cid = addr.params.value("cid").map(unquote);
        Ok(ReferredBy { addr, cid })
    }

    pub fn new(addr: NameAddr) -> ReferredBy {
        ReferredBy { addr, cid: None }
    }
}

/// The name-addr as parsed; `cid` is printed from the parameters it was read from.
impl std::fmt::Display for ReferredBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.addr.fmt(f)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        let r = ReferredBy::parse("<sip:200@pbx.local>").unwrap();
        assert_eq!(r.addr.uri.user.as_deref(), Some("200"));
        assert_eq!(r.cid, None);
        let r = ReferredBy::parse(
            r#""Ana" <sip:referrer@referrer.example>;cid="20398823.2UWQFN309shb3@referrer.example""#,
        )
        .unwrap();
        assert_eq!(r.addr.display.as_deref(), Some("Ana"));
        assert_eq!(
            r.cid.as_deref(),
            Some("20398823.2UWQFN309shb3@referrer.example")
        );
        assert_eq!(ReferredBy::parse(&r.to_string()).unwrap(), r);
        let r = ReferredBy::parse("sip:200@10.0.0.2:5062").unwrap();
        assert_eq!(r.addr.uri.port, Some(5062));
        assert!(matches!(
            ReferredBy::parse("<sip:200@pbx"),
            Err(ReferError::Address { .. })
        ));
        assert!(matches!(
            ReferredBy::parse(&"x".repeat(MAX_REFER_TO + 1)),
            Err(ReferError::TooLong { .. })
        ));
    }
}
