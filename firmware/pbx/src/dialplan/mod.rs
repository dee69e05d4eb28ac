//! Outbound dial plan (SPEC.md §3, §4, §8; issue 3 points 4 and 5): number classes, call
//! permissions, the concurrent-call cap, caller-ID selection (user's DID, anonymous, DID OUT) and
//! aliases. Pure and sans-IO: no clock, no randomness, no I/O; the daemon compiles the tenant's
//! module configs once per configuration load ([`OutboundPolicy::compile`]) and the call code
//! asks per call.
//!
//! # Order of evaluation for a call from an extension
//! 1. The directory resolves internal numbers (extensions, queues, IVRs, voicemail, aliases);
//!    an alias ([`resolve_alias`]) turns into its real number and display name and continues
//!    here with that number, so an alias is a shortcut and never a way round permissions.
//! 2. [`OutboundPolicy::plan_call`] ([`plan_outbound`]): a DID OUT prefix is stripped and picks
//!    the presented DID ([`DidOut::select`]); the rest is normalised and classified
//!    ([`NumberPlan`]); the caller's permissions decide ([`Permissions::check`]). Forwards to
//!    external numbers and mobile twinning go through the same call with the forwarding user as
//!    caller; an external-number destination of a DID rule only needs
//!    [`NumberPlan::analyse`] for the trunk format. Refusals carry the SIP status and a reason
//!    phrase the phone shows, e.g. `403 Forbidden - international calls not allowed`.
//! 3. [`OutboundCalls::try_start`] enforces the tenant's cap on concurrent trunk calls (503 when
//!    full); [`OutboundCalls::finish`] when the call ends.
//!
//! # Configuration (tenant document `modules[].config`, JSON)
//! `call-permissions` ([`CallPermissionsConfig`]); every field optional, `{}` = defaults. The
//! same defaults apply when the module is absent or disabled, so a box is protected against
//! toll fraud out of the box.
//! ```json
//! { "numbering": { "country_code": "34", "international_prefix": "00", "trunk_prefix": "",
//!                  "national_digits": 9, "trunk_format": "national",
//!                  "extra_classes": [ { "pattern": "91[0-9]{7}", "class": "local" } ] },
//!   "default_classes": ["internal", "emergency", "local", "national", "mobile"],
//!   "extensions": { "10": { "allow": ["international"], "deny": [] } },
//!   "max_outbound_calls": 4,
//!   "emergency_when_internal_only": true }
//! ```
//! - `numbering.classes` replaces the Spanish table below; `extra_classes` rows are checked
//!   before it (the way to define a local area: Spain has closed 9-digit numbering, so "local"
//!   has no meaning in the national plan and is empty by default).
//! - Patterns are regular expressions matched against the whole normalised number, with the
//!   same syntax and limits as route-rule fields ([`crate::routing::Pattern`]).
//! - `trunk_format`: `national` (`917374206`, `0044…`), `e164` (`+34917374206`) or
//!   `e164-no-plus` (`34917374206`); short numbers (112, 11888) are never given a country code.
//! - Per extension (keyed by extension number), `allow` is added to the default set and `deny`
//!   removed from it. Emergency numbers are always allowed (a `deny` naming them is refused);
//!   `emergency_when_internal_only: false` is the only way to take them from an "internal calls
//!   only" phone.
//! - `max_outbound_calls`: 0 = unlimited.
//!
//! `did-out` ([`DidOutConfig`]):
//! ```json
//! { "rules": [ { "prefix": "*81", "present": { "did": "917374206" },
//!                "extensions": ["10", "11"], "description": "sales line" },
//!              { "prefix": "*67", "present": "anonymous", "all_extensions": true } ] }
//! ```
//! A prefix starts with `*` or `#` (so it can never be the start of a real number) and is
//! stripped; equal prefixes may give different extensions different DIDs; one prefix being a
//! proper prefix of another is refused. A rule with an empty prefix overrides the caller ID of
//! its extensions when no prefix is dialled. A DID must be one of the tenant's DIDs. Dialling a
//! prefix whose rules do not include the extension is refused (403 `caller ID not allowed`).
//!
//! # Numbers: what phones dial and what the trunk gets
//! Separators (space, `-`, `.`, `(`, `)`, `/`) are dropped; `+34…` and `0034…` become the
//! national number, another `+CC…` becomes `00CC…`. Classes are decided on that form; the
//! trunk gets it in `trunk_format`.
//!
//! # The Spanish default table (first match wins)
//! | pattern | class | what |
//! |---|---|---|
//! | `112 091 092 062 080 085 061 016 024` | emergency | 112, Policía Nacional/Local, Guardia Civil, fire, medical; 016 and 024 crisis lines |
//! | `800xxxxxx` | national | freephone |
//! | `80[1-9]xxxxxx` | premium | 803 adult, 806 leisure, 807 professional (tarificación adicional), unassigned 80x |
//! | `90[0-2]xxxxxx` | national | 900 freephone, 901 shared cost, 902 caller pays |
//! | `90[3-9]xxxxxx` | premium | 905 mass calling, 907 premium data, unassigned 90x |
//! | `118xx` | premium | directory enquiries |
//! | `116xxx` | national | EU social helplines |
//! | `6xxxxxxxx`, `7[1-9]xxxxxxx` | mobile | mobile ranges (71-74 in use since 2011) |
//! | `70xxxxxxx` | national | personal numbers |
//! | `[89][1-8]xxxxxxx` | national | geographic fixed |
//! | `00[1-9]…` | international | |
//!
//! Anything else (other short codes such as 010, 1004) is refused with 484 until a tenant adds a
//! row for it. Sources are cited in `spain.rs` (the ministry's user guide to the Plan Nacional
//! de Numeración, CNMC ranges, operators' restriction lists).
//!
//! # Caller ID on the trunk
//! A DID is sent as the From user and as P-Asserted-Identity. Anonymous calls send
//! `From: "Anonymous" <sip:anonymous@anonymous.invalid>` (RFC 3323 §4.1.1.3), `Privacy: id` and
//! the real number in P-Asserted-Identity to the trusted provider (RFC 3325 §9.1, §9.3):
//! see [`TrunkIdentity`].
mod alias;
mod caller_id;
mod cap;
mod class;
mod error;
mod numbering;
mod outbound;
mod permissions;
mod spain;

pub use alias::{alias_for_number, clean_display_name, resolve_alias, AliasEntry};
pub use caller_id::{
    DidOut, DidOutConfig, DidOutRefusal, DidOutRule, Presentation, Selection, TrunkIdentity,
    ANONYMOUS_DISPLAY, ANONYMOUS_HOST, ANONYMOUS_USER,
};
pub use cap::{CapReached, OutboundCalls};
pub use class::{ClassSet, NumberClass};
pub use error::DialPlanError;
pub use numbering::{
    spanish_table, Analysed, ClassRule, NumberError, NumberPlan, NumberingConfig, RuleInfo,
    TrunkFormat,
};
pub use outbound::{plan_outbound, OutboundCall, OutboundPolicy, OutboundRequest};
pub use permissions::{
    CallPermissionsConfig, Caller, Decision, DialPlan, ExtensionPermissions, Permissions, Refusal,
};
