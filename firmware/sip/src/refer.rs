//! Call transfer on the wire: REFER (RFC 3515), Replaces (RFC 3891), Referred-By (RFC 3892) and
//! the message/sipfrag bodies (RFC 3420) that report a transfer's progress.
//!
//! Only the protocol pieces live here, all pure functions over text: the pbx owns the dialogs,
//! decides whether a target is allowed and sends the requests.
//!
//! * [`ReferTo`] — the Refer-To target, with an attended transfer's embedded `?Replaces=`.
//! * [`Replaces`] — parse, print, and match against a dialog ([`Replaces::verdict`]).
//! * [`ReferredBy`] — who asked for the transfer.
//! * [`ReferRequest`] — the checks a REFER must pass before the 202 (exactly one Refer-To).
//! * [`sipfrag`] / [`refer_notify`] — the NOTIFY body and headers that report progress.
//!
//! Every parser returns a [`ReferError`] and never panics; the sizes it keeps are bounded.
mod error;
mod escape;
mod refer_to;
mod referred_by;
mod replaces;
mod request;
mod sipfrag;

#[cfg(test)]
mod tests_phones;
#[cfg(test)]
mod tests_robust;

pub use error::ReferError;
pub use escape::escape_header_value;
pub use refer_to::{ReferTo, MAX_EMBEDDED_HEADERS, MAX_REFER_TO};
pub use referred_by::ReferredBy;
pub use replaces::{
    DialogState, ReplacedDialog, Replaces, ReplacesVerdict, MAX_CALL_ID, MAX_REPLACES, MAX_TAG,
};
pub use request::{replaces_of, ReferRequest};
pub use sipfrag::{parse_sipfrag, refer_notify, sipfrag, NotifyParts, SipfragStatus};
