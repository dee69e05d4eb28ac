//! CSeq (RFC 3261 §20.16): a 32-bit sequence number and a method.
use super::lex::{is_token, parse_decimal};
use crate::error::ParseError;
use crate::message::Method;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CSeq {
    pub seq: u32,
    pub method: Method,
}

impl CSeq {
    /// `1*DIGIT LWS Method`; leading zeros are fine, values over 2^32-1 are refused (RFC 4475
    /// scalar02).
    pub fn parse(value: &str) -> Result<CSeq, ParseError> {
        const ERR: ParseError = ParseError::Header { header: "CSeq" };
        let mut parts = value.split_ascii_whitespace();
        let (Some(num), Some(method), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ERR);
        };
        let seq = parse_decimal(num, u64::from(u32::MAX)).ok_or(ERR)?;
        if !is_token(method) {
            return Err(ERR);
        }
        Ok(CSeq {
            seq: u32::try_from(seq).map_err(|_| ERR)?,
            method: Method::from_token(method),
        })
    }
}

impl std::fmt::Display for CSeq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.seq, self.method)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cseq() {
        let c = CSeq::parse("0009\r\n  INVITE").unwrap();
        assert_eq!((c.seq, c.method.clone()), (9, Method::Invite));
        assert_eq!(c.to_string(), "9 INVITE");
        assert_eq!(CSeq::parse("4294967295 ACK").unwrap().seq, u32::MAX);
        for bad in [
            "36893488147419103232 REGISTER",
            "4294967296 ACK",
            "-1 INVITE",
            "1",
            "1 INVITE x",
            "x INVITE",
            "1 IN<VITE",
            "",
        ] {
            assert!(CSeq::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            CSeq::parse("8 NEWMETHOD").unwrap().method,
            Method::Other("NEWMETHOD".into())
        );
    }
}
