//! Why a dial-plan configuration was refused. Raised when a module config is compiled (at import
//! or at load), never per call: a call gets a [`super::Decision`] or a [`super::Refusal`].
use crate::routing::PatternError;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialPlanError {
    /// A number-class pattern that does not compile.
    #[error("numbering.{list}[{index}].pattern: {source}")]
    ClassPattern {
        list: &'static str,
        index: usize,
        #[source]
        source: PatternError,
    },
    /// A field that must be decimal digits (country code, prefixes, DIDs).
    #[error("{field}: {value:?} must be decimal digits, at most {max}")]
    NotDigits {
        field: String,
        value: String,
        max: usize,
    },
    /// A DID OUT dialling prefix: digits, `*` and `#`, must not be empty.
    #[error("did_out.rules[{index}].prefix: {prefix:?} must be 1 to 8 of 0-9, * and #")]
    BadPrefix { index: usize, prefix: String },
    /// Two DID OUT rules where one prefix is a proper prefix of the other: `*81` then `2...` and
    /// `*812` then `...` would read the same digits two ways. (Equal prefixes are fine: they give
    /// different extensions different DIDs.)
    #[error(
        "did_out.rules[{index}].prefix: {prefix:?} overlaps rules[{other}] prefix {other_prefix:?}"
    )]
    OverlappingPrefix {
        index: usize,
        prefix: String,
        other: usize,
        other_prefix: String,
    },
    /// A DID OUT rule presenting a number that is not one of the tenant's DIDs (spoofing).
    #[error("{field}: {did:?} is not a DID of this tenant")]
    UnknownDid { field: String, did: String },
    /// A deny list naming emergency: 112 cannot be taken from a phone by a list (see
    /// `emergency_when_internal_only`), so saying so is refused rather than silently ignored.
    #[error("{field}: emergency numbers cannot be denied")]
    EmergencyDenied { field: String },
    /// An extension in a permission or DID OUT list that is not a plausible extension number.
    #[error("{field}: {value:?} is not an extension number")]
    BadExtension { field: String, value: String },
}
