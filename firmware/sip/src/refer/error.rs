//! Errors of the transfer parsers. Each says which piece was wrong so the pbx can answer 400 with
//! a useful reason (or 481/486 from a [`super::ReplacesVerdict`], which is not an error).
use crate::error::ParseError;
use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReferError {
    #[error("{header} value is {len} bytes, more than the {max} kept")]
    TooLong {
        header: &'static str,
        len: usize,
        max: usize,
    },
    #[error("malformed {header} address")]
    Address {
        header: &'static str,
        #[source]
        source: ParseError,
    },
    #[error("Replaces has an empty or invalid Call-ID")]
    CallId,
    #[error("Replaces lacks its {param} parameter")]
    MissingParam { param: &'static str },
    #[error("Replaces has more than one {param} parameter")]
    DuplicateParam { param: &'static str },
    #[error("Replaces {param} is not a valid token")]
    BadParam { param: &'static str },
    #[error("Replaces has an empty parameter")]
    EmptyParam,
    #[error("Refer-To URI embeds more than {max} headers")]
    TooManyEmbedded { max: usize },
    #[error("malformed embedded header in the Refer-To URI")]
    EmbeddedHeader,
    #[error("request has no {header} header")]
    MissingHeader { header: &'static str },
    #[error("request has more than one {header} header")]
    DuplicateHeader { header: &'static str },
    #[error("status {status} is not a SIP response code")]
    Status { status: u16 },
    #[error("malformed message/sipfrag body")]
    Sipfrag,
}
