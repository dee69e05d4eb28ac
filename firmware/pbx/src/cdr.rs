//! Call detail records assembled by the call brain and drained by the daemon into the store.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Internal,
    Incoming,
    Outgoing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    Answered,
    NoAnswer,
    Busy,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cdr {
    pub tenant_id: u32,
    /// Call-ID of the caller's leg.
    pub call_id: String,
    pub start_ms: i64,
    pub answer_ms: Option<i64>,
    pub end_ms: i64,
    pub billable_secs: u32,
    pub direction: Direction,
    pub source: String,
    pub destination: String,
    pub disposition: Disposition,
    /// The DID the call came in on (incoming) or presented (outgoing).
    pub did: Option<String>,
    /// The caller ID the callee was shown.
    pub caller_id_presented: Option<String>,
    /// The trunk account that carried the call (`username@domain`), if any.
    pub trunk: Option<String>,
    /// What ended the call, e.g. `caller-bye`, `callee-bye`, `cancel`, `busy`, `no-answer`,
    /// `unknown-number`, `sip-486`.
    pub hangup_cause: String,
    /// The call's recording (both parties), when the tenant records calls.
    pub recording: Option<std::path::PathBuf>,
}
