//! Time and reconfiguration of the queue machine, and the dispatch pass every event ends with:
//! it starts a ring step for each idle caller that an eligible member can serve.
use super::command::{MemberState, QueueCommand, UnansweredReason};
use super::config::{QueueConfig, QueueConfigError};
use super::machine::{MemberRt, Queue};
use super::outcome::Outcome;
use super::strategy::{choose, Cursor};
use std::collections::HashSet;
use std::time::Instant;

impl Queue {
    /// The earliest instant at which [`Queue::handle_timeout`] has work: a max time in queue, a
    /// ring step or a wrap-up ending.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let callers = self
            .waiting
            .iter()
            .flat_map(|w| w.deadline.into_iter().chain(w.step_end));
        let wrapups = self.members.values().filter_map(|m| m.wrapup_until);
        callers.chain(wrapups).min()
    }

    /// Applies everything due at `now`: callers past their max time leave (in arrival order),
    /// then ring steps end, then wrap-ups end, then idle callers ring whoever is free.
    pub fn handle_timeout(&mut self, now: Instant) {
        let mut index = 0;
        while index < self.waiting.len() {
            if self.waiting[index].deadline.is_some_and(|d| d <= now) {
                let caller = self.waiting[index].id;
                self.leave(index, now, Outcome::TimedOut, None);
                self.push(QueueCommand::Unanswered {
                    caller,
                    reason: UnansweredReason::MaxWait,
                });
            } else {
                index += 1;
            }
        }
        let mut stops = Vec::new();
        for w in &mut self.waiting {
            if w.step_end.is_some_and(|t| t <= now) {
                w.step_end = None;
                if !w.ringing.is_empty() {
                    stops.push(QueueCommand::StopRinging {
                        caller: w.id,
                        users: std::mem::take(&mut w.ringing),
                    });
                }
            }
        }
        self.commands.extend(stops);
        for m in self.members.values_mut() {
            if m.wrapup_until.is_some_and(|t| t <= now) {
                m.wrapup_until = None;
            }
        }
        self.dispatch(now);
    }

    /// Replaces the configuration while callers wait. Members removed stop ringing at once (no
    /// leg is left ringing for a deleted user); calls they are in continue. Max times are
    /// recomputed from each caller's arrival. On error the old configuration stays.
    pub fn reconfigure(
        &mut self,
        config: QueueConfig,
        now: Instant,
    ) -> Result<(), QueueConfigError> {
        config.validate()?;
        let kept: HashSet<&str> = config.members.iter().map(|m| m.user.as_str()).collect();
        // In the old configured order (the members map holds exactly those users), so the
        // StopRinging commands come out in a stable order.
        let removed: Vec<String> = self
            .config
            .members
            .iter()
            .filter(|m| !kept.contains(m.user.as_str()))
            .map(|m| m.user.clone())
            .collect();
        for user in &removed {
            self.stop_ringing_user(user);
            self.members.remove(user);
            self.sticky.forget_user(user);
            if self.last_answerer.as_deref() == Some(user.as_str()) {
                self.last_answerer = None;
            }
        }
        for m in &config.members {
            self.members
                .entry(m.user.clone())
                .or_insert_with(MemberRt::new_available);
        }
        let mut moh = Vec::new();
        for w in &mut self.waiting {
            w.deadline = config.max_wait.map(|d| w.arrived + d);
            w.cursor.tried.retain(|u| kept.contains(u.as_str()));
            if w.sticky.as_deref().is_some_and(|u| !kept.contains(u)) {
                w.sticky = None;
            }
            if config.strategy != self.config.strategy {
                w.cursor = Cursor::default();
            }
            if w.moh != config.moh {
                w.moh = config.moh;
                moh.push(if config.moh {
                    QueueCommand::StartMoh { caller: w.id }
                } else {
                    QueueCommand::StopMoh { caller: w.id }
                });
            }
        }
        self.commands.extend(moh);
        self.config = config;
        self.dispatch(now);
        Ok(())
    }

    /// Ends every event: with nobody reachable the waiting callers go to the unanswered
    /// destination (waiting for no one would only hold the line); otherwise each idle caller,
    /// in arrival order, starts a ring step with the members still free.
    pub(super) fn dispatch(&mut self, now: Instant) {
        if !self.reachable() {
            while !self.waiting.is_empty() {
                let caller = self.waiting[0].id;
                self.leave(0, now, Outcome::NoMembers, None);
                self.push(QueueCommand::Unanswered {
                    caller,
                    reason: UnansweredReason::NoMembers,
                });
            }
            return;
        }
        let mut reserved: HashSet<String> = self
            .waiting
            .iter()
            .flat_map(|w| w.ringing.iter().cloned())
            .collect();
        let mut rings = Vec::new();
        for w in &mut self.waiting {
            if w.step_end.is_some() {
                continue;
            }
            let eligible = |user: &str| {
                !reserved.contains(user)
                    && self
                        .members
                        .get(user)
                        .is_some_and(|m| can_ring(m, self.config.ring_in_use, now))
            };
            let sticky = w.sticky.clone().filter(|u| eligible(u));
            let users = match sticky {
                Some(user) => vec![user],
                None => choose(
                    &self.config,
                    &eligible,
                    &mut w.cursor,
                    self.last_answerer.as_deref(),
                ),
            };
            if users.is_empty() {
                continue;
            }
            // The sticky agent gets one chance, at the caller's first step.
            w.sticky = None;
            reserved.extend(users.iter().cloned());
            w.ringing = users.clone();
            w.step_end = Some(now + self.config.step);
            rings.push(QueueCommand::Ring {
                caller: w.id,
                users,
                auto_answer: self.config.auto_answer,
            });
        }
        self.commands.extend(rings);
    }
}

/// Whether a member may be rung now (the ring reservations are checked by the caller).
fn can_ring(m: &MemberRt, ring_in_use: bool, now: Instant) -> bool {
    let busy = m.state == MemberState::InCall || !m.serving.is_empty();
    m.state != MemberState::Offline
        && m.wrapup_until.is_none_or(|t| t <= now)
        && (ring_in_use || !busy)
}
