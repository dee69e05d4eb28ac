//! The queue machine: events from the call code in, [`QueueCommand`]s out.
//!
//! Parallel service: callers are served in arrival order, and every waiting caller without a
//! ring step in progress starts one as soon as an eligible member is free, so N free agents ring
//! for the first N callers at once (one member each with linear and round robin; ring all and
//! group order give the first caller every free member of its step, later callers what is left).
//! A member rings for at most one caller at a time, and a caller's step is never taken away to
//! serve an earlier caller: that would cancel a phone mid-ring.
use super::command::{
    CallEnd, CallerId, MemberState, QueueCommand, QueueError, RingResult, UnansweredReason,
};
use super::config::{QueueConfig, QueueConfigError};
use super::outcome::{CallerOutcome, Outcome};
use super::stats::QueueStats;
use super::sticky::StickyAgents;
use super::strategy::Cursor;
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// One caller waiting in the queue.
#[derive(Debug)]
pub(super) struct Waiting {
    pub id: CallerId,
    pub number: String,
    pub arrived: Instant,
    /// When the max time in queue ends.
    pub deadline: Option<Instant>,
    /// Members ringing for this caller now.
    pub ringing: Vec<String>,
    /// End of the ring step in progress; `None` = no step, start one when someone is free.
    pub step_end: Option<Instant>,
    pub cursor: Cursor,
    /// The agent to ring first (sticky), until the caller's first step starts.
    pub sticky: Option<String>,
    /// Whether music on hold was started for this caller.
    pub moh: bool,
}

/// What the queue tracks of a member besides the configuration.
#[derive(Debug)]
pub(super) struct MemberRt {
    pub state: MemberState,
    pub wrapup_until: Option<Instant>,
    /// Queue callers connected to this member now (several only when ringing in use).
    pub serving: Vec<CallerId>,
}

impl MemberRt {
    pub(super) fn new_available() -> MemberRt {
        // Available until the call code says otherwise: a queue whose presence feed is not
        // wired yet still rings, and an unregistered phone just fails its ring leg.
        MemberRt {
            state: MemberState::Available,
            wrapup_until: None,
            serving: Vec::new(),
        }
    }
}

/// The sans-IO machine of one queue. Feed events with the current time, then drain
/// [`Queue::poll_command`] and arm a timer for [`Queue::poll_timeout`].
#[derive(Debug)]
pub struct Queue {
    pub(super) config: QueueConfig,
    pub(super) waiting: Vec<Waiting>,
    pub(super) connected: HashMap<CallerId, String>,
    pub(super) members: HashMap<String, MemberRt>,
    pub(super) sticky: StickyAgents,
    pub(super) last_answerer: Option<String>,
    pub(super) commands: VecDeque<QueueCommand>,
    pub(super) outcomes: VecDeque<CallerOutcome>,
    pub(super) stats: QueueStats,
}

impl Queue {
    pub fn new(config: QueueConfig) -> Result<Queue, QueueConfigError> {
        config.validate()?;
        let members = config
            .members
            .iter()
            .map(|m| (m.user.clone(), MemberRt::new_available()))
            .collect();
        Ok(Queue {
            config,
            waiting: Vec::new(),
            connected: HashMap::new(),
            members,
            sticky: StickyAgents::default(),
            last_answerer: None,
            commands: VecDeque::new(),
            outcomes: VecDeque::new(),
            stats: QueueStats::default(),
        })
    }

    pub fn config(&self) -> &QueueConfig {
        &self.config
    }

    /// A caller enters the queue. Turned away at once (an `Unanswered` command) when no member
    /// is reachable or the queue is full.
    pub fn caller_arrived(
        &mut self,
        caller: CallerId,
        number: &str,
        now: Instant,
    ) -> Result<(), QueueError> {
        if self.is_live(caller) {
            return Err(QueueError::DuplicateCaller { caller });
        }
        self.stats.offered += 1;
        if !self.reachable() {
            self.turn_away(caller, number, Outcome::NoMembers);
            self.push(QueueCommand::Unanswered {
                caller,
                reason: UnansweredReason::NoMembers,
            });
            return Ok(());
        }
        let max = self.config.max_waiting as usize;
        if max > 0 && self.waiting.len() >= max {
            self.turn_away(caller, number, Outcome::Full);
            self.push(QueueCommand::Unanswered {
                caller,
                reason: UnansweredReason::Full,
            });
            return Ok(());
        }
        let sticky = if self.config.sticky {
            self.sticky
                .agent_for(number)
                .filter(|u| self.members.contains_key(*u))
                .map(str::to_string)
        } else {
            None
        };
        let moh = self.config.moh;
        self.waiting.push(Waiting {
            id: caller,
            number: number.to_string(),
            arrived: now,
            deadline: self.config.max_wait.map(|d| now + d),
            ringing: Vec::new(),
            step_end: None,
            cursor: Cursor::default(),
            sticky,
            moh,
        });
        if moh {
            self.push(QueueCommand::StartMoh { caller });
        }
        self.dispatch(now);
        Ok(())
    }

    /// The caller hung up. While waiting that is an abandon; once connected it ends the call.
    pub fn caller_left(&mut self, caller: CallerId, now: Instant) -> Result<(), QueueError> {
        if let Some(index) = self.waiting_index(caller) {
            self.leave(index, now, Outcome::Abandoned, None);
            self.dispatch(now);
            return Ok(());
        }
        match self.connected.get(&caller).cloned() {
            Some(user) => self.agent_finished(caller, &user, CallEnd::CallerHungUp, now),
            None => Err(QueueError::UnknownCaller { caller }),
        }
    }

    /// A member's phone changed state. Unknown users are ignored: the call code may tell every
    /// queue about every user.
    pub fn member_state(&mut self, user: &str, state: MemberState, now: Instant) {
        let Some(member) = self.members.get_mut(user) else {
            return;
        };
        member.state = state;
        if state == MemberState::Offline {
            self.stop_ringing_user(user);
        }
        self.dispatch(now);
    }

    /// How a ring leg ended. An answer connects the caller and cancels the other legs.
    pub fn ring_result(
        &mut self,
        caller: CallerId,
        user: &str,
        result: RingResult,
        now: Instant,
    ) -> Result<(), QueueError> {
        let not_ringing = || QueueError::NotRinging {
            caller,
            user: user.to_string(),
        };
        let Some(index) = self.waiting_index(caller) else {
            return Err(if self.is_live(caller) {
                not_ringing()
            } else {
                QueueError::UnknownCaller { caller }
            });
        };
        let w = &mut self.waiting[index];
        let Some(pos) = w.ringing.iter().position(|u| u == user) else {
            return Err(not_ringing());
        };
        w.ringing.remove(pos);
        if result == RingResult::Answered {
            let number = self.leave(index, now, Outcome::Answered, Some(user));
            self.push(QueueCommand::Connect {
                caller,
                user: user.to_string(),
            });
            self.connected.insert(caller, user.to_string());
            if let Some(m) = self.members.get_mut(user) {
                m.serving.push(caller);
            }
            self.last_answerer = Some(user.to_string());
            self.sticky.remember(&number, user);
        }
        // Otherwise the caller keeps its step until it ends (a phone that rejects at once must
        // not make the queue re-ring it in a loop); the member is free for other callers now.
        self.dispatch(now);
        Ok(())
    }

    /// A connected queue call ended: the member's wrap-up starts, and when the agent hung up
    /// the caller goes on to the "destination after agent".
    pub fn agent_finished(
        &mut self,
        caller: CallerId,
        user: &str,
        end: CallEnd,
        now: Instant,
    ) -> Result<(), QueueError> {
        match self.connected.get(&caller) {
            Some(u) if u == user => {}
            Some(_) => {
                return Err(QueueError::NotConnected {
                    caller,
                    user: user.to_string(),
                })
            }
            None => return Err(QueueError::UnknownCaller { caller }),
        }
        self.connected.remove(&caller);
        let wrapup = self.config.wrapup;
        if let Some(m) = self.members.get_mut(user) {
            m.serving.retain(|c| *c != caller);
            if !wrapup.is_zero() {
                m.wrapup_until = Some(now + wrapup);
            }
        }
        if end == CallEnd::AgentHungUp {
            self.push(QueueCommand::AfterAgent { caller });
        }
        self.dispatch(now);
        Ok(())
    }

    pub fn poll_command(&mut self) -> Option<QueueCommand> {
        self.commands.pop_front()
    }

    pub fn stats(&self) -> QueueStats {
        let mut stats = self.stats.clone();
        stats.waiting = self.waiting.len() as u64;
        stats
    }

    /// Callers waiting now, in arrival order.
    pub fn waiting_callers(&self) -> Vec<CallerId> {
        self.waiting.iter().map(|w| w.id).collect()
    }

    pub(super) fn push(&mut self, command: QueueCommand) {
        self.commands.push_back(command);
    }

    fn is_live(&self, caller: CallerId) -> bool {
        self.waiting_index(caller).is_some() || self.connected.contains_key(&caller)
    }

    pub(super) fn waiting_index(&self, caller: CallerId) -> Option<usize> {
        self.waiting.iter().position(|w| w.id == caller)
    }

    /// Any member who could ever be rung (configured and not offline).
    pub(super) fn reachable(&self) -> bool {
        self.members
            .values()
            .any(|m| m.state != MemberState::Offline)
    }

    /// Takes a caller out of the waiting line: cancels its ring legs and its music, and records
    /// its outcome. Returns the caller's number.
    pub(super) fn leave(
        &mut self,
        index: usize,
        now: Instant,
        outcome: Outcome,
        agent: Option<&str>,
    ) -> String {
        let w = self.waiting.remove(index);
        if !w.ringing.is_empty() {
            self.push(QueueCommand::StopRinging {
                caller: w.id,
                users: w.ringing,
            });
        }
        if w.moh {
            self.push(QueueCommand::StopMoh { caller: w.id });
        }
        self.record(CallerOutcome {
            caller: w.id,
            number: w.number.clone(),
            outcome,
            agent: agent.map(str::to_string),
            wait: now.saturating_duration_since(w.arrived),
        });
        w.number
    }

    fn turn_away(&mut self, caller: CallerId, number: &str, outcome: Outcome) {
        self.record(CallerOutcome {
            caller,
            number: number.to_string(),
            outcome,
            agent: None,
            wait: Duration::ZERO,
        });
    }

    /// Cancels every ring leg of `user` (offline, or removed from the queue).
    pub(super) fn stop_ringing_user(&mut self, user: &str) {
        let mut stops = Vec::new();
        for w in &mut self.waiting {
            if let Some(pos) = w.ringing.iter().position(|u| u == user) {
                w.ringing.remove(pos);
                stops.push(QueueCommand::StopRinging {
                    caller: w.id,
                    users: vec![user.to_string()],
                });
            }
        }
        self.commands.extend(stops);
    }
}
