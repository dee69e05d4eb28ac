//! Registration state of one provider, as `centralita status` and the web page show it.
use std::fmt;
use std::time::Instant;

/// Where one provider registration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrunkState {
    /// Not registered and not trying (before the first attempt, or after unregistering).
    Unregistered,
    /// A REGISTER (or the DNS resolution before it) is under way and no binding is known yet.
    Registering,
    /// The provider holds our binding until `until`. Refreshes happen while in this state.
    Registered { until: Instant },
    /// The last attempt failed; the next one is due at `retry_at`.
    Failed {
        reason: FailureReason,
        retry_at: Instant,
    },
}

impl TrunkState {
    pub fn is_registered(&self) -> bool {
        matches!(self, TrunkState::Registered { .. })
    }

    pub fn is_failed(&self) -> bool {
        matches!(self, TrunkState::Failed { .. })
    }

    /// One line for `centralita status` and the web page: `registered, 3540 s left`,
    /// `failed (no answer from provider), retry in 25 s`, ...
    pub fn describe(&self, now: Instant) -> String {
        let left = |t: &Instant| t.saturating_duration_since(now).as_secs();
        match self {
            TrunkState::Registered { until } => format!("registered, {} s left", left(until)),
            TrunkState::Failed { reason, retry_at } => {
                format!("failed ({reason}), retry in {} s", left(retry_at))
            }
            other => other.label().to_string(),
        }
    }

    /// Short machine-friendly name (`registered`, `failed`, ...), for the CLI and JSON.
    pub fn label(&self) -> &'static str {
        match self {
            TrunkState::Unregistered => "unregistered",
            TrunkState::Registering => "registering",
            TrunkState::Registered { .. } => "registered",
            TrunkState::Failed { .. } => "failed",
        }
    }
}

/// Why a registration attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    /// The provider's name did not resolve to any address.
    ResolveFailed,
    /// No final response (Timer F) — the provider is down or unreachable.
    Timeout,
    /// The provider refused our credentials (a second challenge right after answering one).
    AuthRejected { status: u16 },
    /// A challenge we cannot answer (unknown algorithm, not Digest, missing fields).
    UnsupportedChallenge,
    /// A 423 whose Min-Expires we could not satisfy (missing, or not above what we asked).
    IntervalTooBrief,
    /// Any other final non-2xx response.
    Rejected { status: u16 },
    /// A 2xx that granted our Contact zero seconds.
    NoBinding,
}

impl fmt::Display for FailureReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FailureReason::ResolveFailed => f.write_str("provider name does not resolve"),
            FailureReason::Timeout => f.write_str("no answer from provider"),
            FailureReason::AuthRejected { status } => {
                write!(f, "credentials refused ({status})")
            }
            FailureReason::UnsupportedChallenge => f.write_str("unsupported auth challenge"),
            FailureReason::IntervalTooBrief => f.write_str("interval too brief (423)"),
            FailureReason::Rejected { status } => write!(f, "rejected ({status})"),
            FailureReason::NoBinding => f.write_str("registrar kept no binding"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn descriptions() {
        let now = Instant::now();
        let s = TrunkState::Registered {
            until: now + Duration::from_secs(90),
        };
        assert_eq!(s.describe(now), "registered, 90 s left");
        let f = TrunkState::Failed {
            reason: FailureReason::Rejected { status: 403 },
            retry_at: now + Duration::from_secs(30),
        };
        assert_eq!(f.describe(now), "failed (rejected (403)), retry in 30 s");
        assert_eq!(f.label(), "failed");
        assert_eq!(TrunkState::Registering.describe(now), "registering");
    }
}
