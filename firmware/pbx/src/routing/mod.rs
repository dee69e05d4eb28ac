//! DID routing (SPEC.md §2, the manual's "Regla de enrutamiento DDI"): the ordered rules of a DID,
//! evaluated against the call's local time in the tenant's time zone and the caller's number.
//! Pure: the caller passes the wall-clock time in; the same function backs real calls and the
//! `centralita route` simulator, so what the simulator says is what calls do.
mod pattern;
mod rule;
mod table;

pub use pattern::{Pattern, PatternError};
pub use rule::{evaluate, Evaluation, LocalTime, Mismatch, Rule, RuleError, RuleText, TimeOfDay};
pub use table::{local_time, Destination, DidRoute, Routed, RoutingTable, Step};
