//! A naive reference model of the queue rules, written apart from the machine for the property
//! test: integer milliseconds, members by index, everything recomputed by brute force on every
//! event, no reconfiguration. It states the rules as plainly as possible:
//! - callers are served in arrival order; an idle caller (no step running) rings the members its
//!   strategy picks among the eligible ones: not offline, not in wrap-up, not ringing for anyone,
//!   and not in a call unless ringing in use;
//! - a step lasts `step` ms whatever the legs do; an answer ends the wait;
//! - at a timeout: max times first, then step ends, then wrap-ups, then dispatch.
use crate::queue::{
    CallEnd, CallerId, MemberState, QueueCommand, QueueConfig, RingResult, Strategy,
    UnansweredReason,
};

struct M {
    user: String,
    prio: u32,
    state: MemberState,
    wrap_end: Option<u64>,
    serving: u32,
}

struct C {
    id: CallerId,
    number: String,
    arrived: u64,
    ringing: Vec<usize>,
    step_end: Option<u64>,
    tried: Vec<usize>,
    group: usize,
    sticky: Option<usize>,
}

pub struct Model {
    cfg: QueueConfig,
    members: Vec<M>,
    callers: Vec<C>,
    pub connected: Vec<(CallerId, usize)>,
    last: Option<usize>,
    remembered: Vec<(String, usize)>,
    pub out: Vec<QueueCommand>,
    pub answered: u64,
    pub abandoned: u64,
    pub timed_out: u64,
    pub turned_away: u64,
}

fn ms(d: std::time::Duration) -> u64 {
    d.as_millis() as u64
}

impl Model {
    pub fn new(cfg: QueueConfig) -> Model {
        let members = cfg
            .members
            .iter()
            .map(|m| M {
                user: m.user.clone(),
                prio: m.priority,
                state: MemberState::Available,
                wrap_end: None,
                serving: 0,
            })
            .collect();
        Model {
            cfg,
            members,
            callers: Vec::new(),
            connected: Vec::new(),
            last: None,
            remembered: Vec::new(),
            out: Vec::new(),
            answered: 0,
            abandoned: 0,
            timed_out: 0,
            turned_away: 0,
        }
    }

    fn idx(&self, user: &str) -> usize {
        self.members.iter().position(|m| m.user == user).unwrap()
    }

    /// (caller, user) pairs ringing now, callers in arrival order.
    pub fn ringing(&self) -> Vec<(CallerId, String)> {
        let mut v = Vec::new();
        for c in &self.callers {
            for &m in &c.ringing {
                v.push((c.id, self.members[m].user.clone()));
            }
        }
        v
    }

    pub fn waiting(&self) -> Vec<CallerId> {
        self.callers.iter().map(|c| c.id).collect()
    }

    pub fn next_timeout(&self) -> Option<u64> {
        let mut all: Vec<u64> = Vec::new();
        for c in &self.callers {
            all.extend(self.cfg.max_wait.map(|d| c.arrived + ms(d)));
            all.extend(c.step_end);
        }
        all.extend(self.members.iter().filter_map(|m| m.wrap_end));
        all.into_iter().min()
    }

    fn names(&self, ms: &[usize]) -> Vec<String> {
        ms.iter().map(|&i| self.members[i].user.clone()).collect()
    }

    fn take_out(&mut self, k: usize) {
        let c = self.callers.remove(k);
        if !c.ringing.is_empty() {
            let users = self.names(&c.ringing);
            self.out.push(QueueCommand::StopRinging {
                caller: c.id,
                users,
            });
        }
        if self.cfg.moh {
            self.out.push(QueueCommand::StopMoh { caller: c.id });
        }
    }

    pub fn arrive(&mut self, id: CallerId, number: &str, _now: u64) {
        let now = _now;
        let anyone = self.members.iter().any(|m| m.state != MemberState::Offline);
        let full = self.cfg.max_waiting > 0 && self.callers.len() >= self.cfg.max_waiting as usize;
        let reason = if !anyone {
            Some(UnansweredReason::NoMembers)
        } else if full {
            Some(UnansweredReason::Full)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.turned_away += 1;
            self.out
                .push(QueueCommand::Unanswered { caller: id, reason });
            return;
        }
        let sticky = if self.cfg.sticky {
            self.remembered
                .iter()
                .find(|(n, _)| n == number)
                .map(|(_, m)| *m)
        } else {
            None
        };
        self.callers.push(C {
            id,
            number: number.to_string(),
            arrived: now,
            ringing: vec![],
            step_end: None,
            tried: vec![],
            group: 0,
            sticky,
        });
        if self.cfg.moh {
            self.out.push(QueueCommand::StartMoh { caller: id });
        }
        self.dispatch(now);
    }

    pub fn leave(&mut self, id: CallerId, now: u64) {
        if let Some(k) = self.callers.iter().position(|c| c.id == id) {
            self.take_out(k);
            self.abandoned += 1;
            self.dispatch(now);
        } else {
            let m = self.connected.iter().find(|(c, _)| *c == id).unwrap().1;
            let user = self.members[m].user.clone();
            self.finish(id, &user, CallEnd::CallerHungUp, now);
        }
    }

    pub fn state(&mut self, user: &str, s: MemberState, now: u64) {
        // Users outside the queue are no news to it.
        let Some(m) = self.members.iter().position(|m| m.user == user) else {
            return;
        };
        self.members[m].state = s;
        if s == MemberState::Offline {
            for c in &mut self.callers {
                if c.ringing.contains(&m) {
                    c.ringing.retain(|x| *x != m);
                    let users = vec![user.to_string()];
                    self.out.push(QueueCommand::StopRinging {
                        caller: c.id,
                        users,
                    });
                }
            }
        }
        self.dispatch(now);
    }

    pub fn result(&mut self, id: CallerId, user: &str, r: RingResult, now: u64) {
        let m = self.idx(user);
        let k = self.callers.iter().position(|c| c.id == id).unwrap();
        self.callers[k].ringing.retain(|x| *x != m);
        if r == RingResult::Answered {
            let number = self.callers[k].number.clone();
            self.take_out(k);
            self.out.push(QueueCommand::Connect {
                caller: id,
                user: user.to_string(),
            });
            self.answered += 1;
            self.connected.push((id, m));
            self.members[m].serving += 1;
            self.last = Some(m);
            if !number.is_empty() {
                self.remembered.retain(|(n, _)| *n != number);
                self.remembered.push((number, m));
            }
        }
        self.dispatch(now);
    }

    pub fn finish(&mut self, id: CallerId, user: &str, end: CallEnd, now: u64) {
        let m = self.idx(user);
        self.connected.retain(|(c, _)| *c != id);
        self.members[m].serving -= 1;
        if !self.cfg.wrapup.is_zero() {
            self.members[m].wrap_end = Some(now + ms(self.cfg.wrapup));
        }
        if end == CallEnd::AgentHungUp {
            self.out.push(QueueCommand::AfterAgent { caller: id });
        }
        self.dispatch(now);
    }

    pub fn timeout(&mut self, now: u64) {
        if let Some(max) = self.cfg.max_wait {
            while let Some(k) = self.callers.iter().position(|c| c.arrived + ms(max) <= now) {
                let id = self.callers[k].id;
                self.take_out(k);
                self.timed_out += 1;
                let reason = UnansweredReason::MaxWait;
                self.out
                    .push(QueueCommand::Unanswered { caller: id, reason });
            }
        }
        for k in 0..self.callers.len() {
            if self.callers[k].step_end.is_some_and(|t| t <= now) {
                self.callers[k].step_end = None;
                let ringing = std::mem::take(&mut self.callers[k].ringing);
                if !ringing.is_empty() {
                    let users = self.names(&ringing);
                    let caller = self.callers[k].id;
                    self.out.push(QueueCommand::StopRinging { caller, users });
                }
            }
        }
        for m in &mut self.members {
            if m.wrap_end.is_some_and(|t| t <= now) {
                m.wrap_end = None;
            }
        }
        self.dispatch(now);
    }

    fn free(&self, m: usize) -> bool {
        let mm = &self.members[m];
        let rung = self.callers.iter().any(|c| c.ringing.contains(&m));
        let in_call = mm.state == MemberState::InCall || mm.serving > 0;
        mm.state != MemberState::Offline
            && mm.wrap_end.is_none()
            && !rung
            && (self.cfg.ring_in_use || !in_call)
    }

    fn dispatch(&mut self, now: u64) {
        if self.members.iter().all(|m| m.state == MemberState::Offline) {
            while !self.callers.is_empty() {
                let id = self.callers[0].id;
                self.take_out(0);
                self.turned_away += 1;
                let reason = UnansweredReason::NoMembers;
                self.out
                    .push(QueueCommand::Unanswered { caller: id, reason });
            }
            return;
        }
        for k in 0..self.callers.len() {
            if self.callers[k].step_end.is_some() {
                continue;
            }
            let free: Vec<usize> = (0..self.members.len()).filter(|&m| self.free(m)).collect();
            let pick = match self.callers[k].sticky.filter(|s| free.contains(s)) {
                Some(s) => vec![s],
                None => self.pick(k, &free),
            };
            if pick.is_empty() {
                continue;
            }
            let users = self.names(&pick);
            let step_end = Some(now + ms(self.cfg.step));
            let c = &mut self.callers[k];
            c.sticky = None;
            c.ringing = pick;
            c.step_end = step_end;
            let caller = c.id;
            let auto_answer = self.cfg.auto_answer;
            self.out.push(QueueCommand::Ring {
                caller,
                users,
                auto_answer,
            });
        }
    }

    /// The strategy's choice for caller `k` among the free members (ascending indexes).
    fn pick(&mut self, k: usize, free: &[usize]) -> Vec<usize> {
        let n = self.members.len();
        match self.cfg.strategy {
            Strategy::RingAll => free.to_vec(),
            Strategy::Linear | Strategy::RoundRobin => {
                let start = match (self.cfg.strategy, self.last) {
                    (Strategy::RoundRobin, Some(l)) => l + 1,
                    _ => 0,
                };
                let order: Vec<usize> = (0..n)
                    .map(|i| (start + i) % n)
                    .filter(|m| free.contains(m))
                    .collect();
                let c = &mut self.callers[k];
                let fresh = order.iter().find(|m| !c.tried.contains(m)).copied();
                match (fresh, order.first()) {
                    (Some(m), _) => {
                        c.tried.push(m);
                        vec![m]
                    }
                    (None, Some(&m)) => {
                        c.tried = vec![m];
                        vec![m]
                    }
                    (None, None) => vec![],
                }
            }
            Strategy::GroupOrder => {
                let mut prios: Vec<u32> = self.members.iter().map(|m| m.prio).collect();
                prios.sort();
                prios.dedup();
                let g0 = self.callers[k].group;
                for j in 0..prios.len() {
                    let g = (g0 + j) % prios.len();
                    let set: Vec<usize> = free
                        .iter()
                        .copied()
                        .filter(|&m| self.members[m].prio == prios[g])
                        .collect();
                    if !set.is_empty() {
                        self.callers[k].group = (g + 1) % prios.len();
                        return set;
                    }
                }
                vec![]
            }
        }
    }
}
