//! What the command stream says about each caller and each member, so property tests can
//! check the invariants whatever the machine decides.
use crate::queue::{CallerId, CallerOutcome, Outcome, QueueCommand};
use std::collections::HashMap;

/// What the command stream says about each caller and each member, to check invariants.
#[derive(Default)]
pub struct Ledger {
    pub ringing: HashMap<String, CallerId>,
    pub ended: HashMap<CallerId, &'static str>,
    /// Connected calls not yet finished: (caller, member).
    pub connected: Vec<(CallerId, String)>,
    /// The outcome records, by caller.
    pub outcomes: HashMap<CallerId, Outcome>,
}

impl Ledger {
    pub fn unring(&mut self, caller: CallerId, user: &str) {
        assert_eq!(
            self.ringing.remove(user),
            Some(caller),
            "{user} was not ringing for {caller}"
        );
    }

    pub fn end(&mut self, caller: CallerId, how: &'static str) {
        assert!(
            !self.ringing.values().any(|c| *c == caller),
            "{caller} left with legs ringing"
        );
        let before = self.ended.insert(caller, how);
        assert!(
            before.is_none(),
            "caller {caller} ended twice: {before:?} then {how}"
        );
    }

    pub fn observe(&mut self, commands: &[QueueCommand]) {
        for c in commands {
            match c {
                QueueCommand::Ring { caller, users, .. } => {
                    for u in users {
                        let other = self.ringing.insert(u.clone(), *caller);
                        assert!(
                            other.is_none(),
                            "{u} rung for {caller} while ringing for {other:?}"
                        );
                    }
                }
                QueueCommand::StopRinging { caller, users } => {
                    users.iter().for_each(|u| self.unring(*caller, u))
                }
                QueueCommand::Connect { caller, user } => {
                    self.end(*caller, "connected");
                    self.connected.push((*caller, user.clone()));
                }
                QueueCommand::Unanswered { caller, .. } => self.end(*caller, "unanswered"),
                _ => {}
            }
        }
    }
}

impl Ledger {
    /// Ringing legs as (caller, user), sorted so a proptest case replays the same way.
    pub fn ringing_pairs(&self) -> Vec<(CallerId, String)> {
        let mut pairs: Vec<(CallerId, String)> =
            self.ringing.iter().map(|(u, c)| (*c, u.clone())).collect();
        pairs.sort();
        pairs
    }
}

impl Ledger {
    /// One outcome per caller, an agent exactly on answers.
    pub fn outcome(&mut self, o: CallerOutcome) {
        assert_eq!(o.agent.is_some(), o.outcome == Outcome::Answered, "{o:?}");
        let before = self.outcomes.insert(o.caller, o.outcome);
        assert!(before.is_none(), "two outcomes for {o:?}: {before:?}");
    }

    /// The outcome records agree with what the commands said of each caller.
    pub fn check_outcomes(&self) {
        assert_eq!(self.outcomes.len(), self.ended.len());
        for (caller, how) in &self.ended {
            let want = match self.outcomes.get(caller) {
                Some(Outcome::Answered) => "connected",
                Some(Outcome::Abandoned) => "abandoned",
                Some(_) => "unanswered",
                None => "no outcome",
            };
            assert_eq!(*how, want, "caller {caller}");
        }
    }
}
