//! What a received REFER, or an INVITE carrying Replaces, must satisfy before the pbx acts.
use super::{ReferError, ReferTo, ReferredBy, Replaces};
use crate::message::{HeaderName, Request};

/// The transfer a REFER asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferRequest {
    pub refer_to: ReferTo,
    /// Absent or unparseable Referred-By reads as `None`: it is informational only (the pbx
    /// knows the referrer from the dialog), so a phone's odd spelling must not fail the transfer.
    pub referred_by: Option<ReferredBy>,
    /// False when the REFER carried `Refer-Sub: false` (RFC 4488): no NOTIFYs are wanted, and
    /// the 2xx must carry `Refer-Sub: false` too.
    pub wants_notify: bool,
}

impl ReferRequest {
    /// Reads the transfer out of a REFER. Exactly one Refer-To value is required (RFC 3515
    /// §2.4.1: otherwise 400). The method is not checked; the caller dispatched on it.
    pub fn from_request(req: &Request) -> Result<ReferRequest, ReferError> {
        let mut values = req.headers.values(&HeaderName::ReferTo);
        let first = values
            .next()
            .ok_or(ReferError::MissingHeader { header: "Refer-To" })?;
        if values.next().is_some() {
            return Err(ReferError::DuplicateHeader { header: "Refer-To" });
        }
        let refer_to = ReferTo::parse(first)?;
        let referred_by = req
            .headers
            .get(&HeaderName::ReferredBy)
            .and_then(|v| ReferredBy::parse(v).ok());
        let wants_notify = !req
            .headers
            .list
            .iter()
            .any(|h| h.name.is("Refer-Sub") && h.value.trim().eq_ignore_ascii_case("false"));
        Ok(ReferRequest {
            refer_to,
            referred_by,
            wants_notify,
        })
    }
}

/// The Replaces header of an INVITE, if any. More than one value is a 400 (RFC 3891 §3). Only
/// INVITE may carry Replaces; the caller, which dispatched on the method, enforces that.
pub fn replaces_of(req: &Request) -> Result<Option<Replaces>, ReferError> {
    let mut values = req.headers.values(&HeaderName::Replaces);
    let Some(first) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(ReferError::DuplicateHeader { header: "Replaces" });
    }
    Replaces::parse(first).map(Some)
}
