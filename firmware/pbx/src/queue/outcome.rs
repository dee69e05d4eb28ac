//! How each caller's stay in the queue ended, one record per caller, for the store's queue call
//! records and for the live counters: every outcome is counted in one place, here.
use super::command::CallerId;
use super::machine::Queue;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A member answered (the conversation's length is the call code's to add).
    Answered,
    /// The caller hung up while waiting.
    Abandoned,
    /// The max time in queue was reached.
    TimedOut,
    /// Turned away on arrival: max waiting callers reached.
    Full,
    /// No member reachable, on arrival or while waiting.
    NoMembers,
}

/// Emitted once per caller, when the waiting ends (at the answer for an answered caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerOutcome {
    pub caller: CallerId,
    /// The caller's number as given on arrival.
    pub number: String,
    pub outcome: Outcome,
    /// The member who answered.
    pub agent: Option<String>,
    /// Time from arrival to the outcome (zero for callers turned away).
    pub wait: Duration,
}

impl Queue {
    /// The next caller outcome, in the order they happened.
    pub fn poll_outcome(&mut self) -> Option<CallerOutcome> {
        self.outcomes.pop_front()
    }

    pub(super) fn record(&mut self, outcome: CallerOutcome) {
        let s = &mut self.stats;
        match outcome.outcome {
            Outcome::Answered => {
                s.answered += 1;
                s.answered_wait_total += outcome.wait;
                if outcome.wait <= self.config.service_level {
                    s.answered_within_sl += 1;
                }
            }
            Outcome::Abandoned => s.abandoned += 1,
            Outcome::TimedOut => s.timed_out += 1,
            Outcome::Full => s.full += 1,
            Outcome::NoMembers => s.no_members += 1,
        }
        s.max_wait = s.max_wait.max(outcome.wait);
        self.outcomes.push_back(outcome);
    }
}
