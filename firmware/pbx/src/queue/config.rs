//! The configuration of one queue (SPEC §5, the manual's "Colas" page), checked once when the
//! queue is built or reconfigured so the machine never meets a value it cannot run with.
use std::collections::HashSet;
use std::time::Duration;

/// The longest any queue time may be. Beyond a day a setting is a typo, and the bound keeps
/// `Instant + duration` far from overflow (which would panic).
pub const MAX_QUEUE_TIME: Duration = Duration::from_secs(24 * 3600);

/// How members are chosen for each ring step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// "Todos a la vez": every eligible member at once; a new step re-rings them.
    RingAll,
    /// "Por orden": one member per step, in configured order, starting from the first.
    Linear,
    /// "Por orden grupal": all eligible members of one priority group per step, lowest priority
    /// number first, then the next group.
    GroupOrder,
    /// "Por orden circular": one member per step, starting after the member who answered the
    /// queue's last call, so that member comes last in the round.
    RoundRobin,
}

/// A member (agent) of the queue: a user, with the priority group used by [`Strategy::GroupOrder`]
/// (lower numbers ring first; other strategies ignore it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub user: String,
    pub priority: u32,
}

impl Member {
    pub fn new(user: &str, priority: u32) -> Member {
        Member {
            user: user.to_string(),
            priority,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// The queue's id (number or key), echoed in logs by the caller of the machine.
    pub id: String,
    pub strategy: Strategy,
    /// Callers allowed to wait at once; 0 = unlimited (the manual's default).
    pub max_waiting: u32,
    /// Ring time of one step before moving to the next member or priority group.
    pub step: Duration,
    /// Longest a caller stays in the queue; `None` = until answered or hung up.
    pub max_wait: Option<Duration>,
    /// Rest time of an agent after a queue call before being rung again.
    pub wrapup: Duration,
    /// Tell the phone to answer by itself (copied into every `Ring` command).
    pub auto_answer: bool,
    /// Ring members who are already in a call (call waiting on their phone).
    pub ring_in_use: bool,
    /// Music on hold while waiting (otherwise the call code plays ringback).
    pub moh: bool,
    /// Ring first the agent who last answered this caller's number.
    pub sticky: bool,
    /// A caller answered within this wait counts towards the service level.
    pub service_level: Duration,
    pub members: Vec<Member>,
}

impl QueueConfig {
    /// A configuration with the manual's defaults: unlimited waiting, no max time, no wrap-up,
    /// every option off, 20 s service level.
    pub fn new(id: &str, strategy: Strategy, step: Duration, members: Vec<Member>) -> QueueConfig {
        QueueConfig {
            id: id.to_string(),
            strategy,
            max_waiting: 0,
            step,
            max_wait: None,
            wrapup: Duration::ZERO,
            auto_answer: false,
            ring_in_use: false,
            moh: false,
            sticky: false,
            service_level: Duration::from_secs(20),
            members,
        }
    }

    /// Refuses what the machine cannot run: a zero step would re-ring without end at one
    /// instant, and a user listed twice would be rung twice for one caller.
    pub fn validate(&self) -> Result<(), QueueConfigError> {
        if self.step.is_zero() {
            return Err(QueueConfigError::ZeroStep {
                queue: self.id.clone(),
            });
        }
        let times = [
            ("step", Some(self.step)),
            ("max_wait", self.max_wait),
            ("wrapup", Some(self.wrapup)),
            ("service_level", Some(self.service_level)),
        ];
        for (field, value) in times {
            if value.is_some_and(|v| v > MAX_QUEUE_TIME) {
                return Err(QueueConfigError::TooLong {
                    queue: self.id.clone(),
                    field,
                    max_secs: MAX_QUEUE_TIME.as_secs(),
                });
            }
        }
        let mut seen = HashSet::new();
        for (index, m) in self.members.iter().enumerate() {
            if m.user.is_empty() {
                return Err(QueueConfigError::EmptyUser {
                    queue: self.id.clone(),
                    index,
                });
            }
            if !seen.insert(m.user.as_str()) {
                return Err(QueueConfigError::DuplicateMember {
                    queue: self.id.clone(),
                    user: m.user.clone(),
                });
            }
        }
        Ok(())
    }
}

/// Why a queue configuration was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueueConfigError {
    #[error("queue {queue}: the ring time per step must be more than zero")]
    ZeroStep { queue: String },
    #[error("queue {queue}: {field} is longer than {max_secs} s")]
    TooLong {
        queue: String,
        field: &'static str,
        max_secs: u64,
    },
    #[error("queue {queue}: members[{index}] has no user")]
    EmptyUser { queue: String, index: usize },
    #[error("queue {queue}: user {user:?} is a member twice")]
    DuplicateMember { queue: String, user: String },
}
