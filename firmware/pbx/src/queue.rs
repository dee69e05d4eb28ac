//! Queues (SPEC §5, issue 5): a sans-IO machine per queue deciding who rings when.
//!
//! The call code holds one [`Queue`] per configured queue. It reports callers arriving and
//! leaving, member phone states, ring-leg results and the end of connected calls, each with the
//! current monotonic time; it drains [`QueueCommand`]s (ring, cancel, connect, music on hold,
//! destinations) and calls [`Queue::handle_timeout`] at [`Queue::poll_timeout`]. Every option of
//! the manual's "Colas" page is a field of [`QueueConfig`]; "show queue name in caller ID" and
//! the destinations themselves are the call code's, the machine only says when.
//!
//! Contract for the call code:
//! - `Ring` = start one leg per user (auto-answer headers when flagged); report each leg's end
//!   with [`Queue::ring_result`] unless the queue cancelled it with `StopRinging` first. A
//!   [`QueueError::NotRinging`] on an answer means the leg lost a race with a cancel: hang it up.
//! - `Connect` = bridge the caller with that leg; report the end with [`Queue::agent_finished`]
//!   (or [`Queue::caller_left`] when the caller hangs up).
//! - `Unanswered` / `AfterAgent` = route the caller to the queue's configured destinations; the
//!   caller is no longer the queue's (an id turned away at once was never in it).
//! - Member presence comes from [`Queue::member_state`]; members are available until told.
//!
//! Choices (documented where a professional PBX would make them):
//! - Callers are served in arrival order and in parallel: N free agents ring for the first N
//!   idle callers (see `machine.rs`).
//! - A ring step lasts its full time even if every leg was rejected early, so a phone that
//!   rejects at once is retried at the step's pace, not in a loop.
//! - A queue with no member reachable (none configured, or all offline) turns callers away with
//!   [`UnansweredReason::NoMembers`], on arrival and while they wait.
//! - Sticky: the agent who last answered this caller number rings alone in the caller's first
//!   step if free at that moment; otherwise the strategy goes on as usual.
//! - Round robin starts after the member who answered the last call: that member comes last in
//!   each round rather than never, so a queue with one free agent still answers.
mod command;
mod config;
mod machine;
mod outcome;
mod run;
mod stats;
mod sticky;
mod strategy;
#[cfg(test)]
mod tests;

pub use command::{
    CallEnd, CallerId, MemberState, QueueCommand, QueueError, RingResult, UnansweredReason,
};
pub use config::{Member, QueueConfig, QueueConfigError, Strategy, MAX_QUEUE_TIME};
pub use machine::Queue;
pub use outcome::{CallerOutcome, Outcome};
pub use stats::QueueStats;
