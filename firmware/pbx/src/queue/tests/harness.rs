//! Drives a [`Queue`] through a script of steps in virtual time and collects its commands.
use crate::queue::*;
use std::time::{Duration, Instant};

/// One scripted event (times in milliseconds of virtual time).
#[derive(Debug, Clone)]
pub enum Step {
    Arrive(CallerId, &'static str),
    Leave(CallerId),
    State(&'static str, MemberState),
    Result(CallerId, &'static str, RingResult),
    Finish(CallerId, &'static str, CallEnd),
    /// Let this many milliseconds pass, firing every timeout on the way.
    Advance(u64),
    Reconfigure(QueueConfig),
}

pub struct Harness {
    pub queue: Queue,
    pub now: Instant,
}

impl Harness {
    pub fn new(config: QueueConfig) -> Harness {
        Harness {
            queue: Queue::new(config).unwrap(),
            now: Instant::now(),
        }
    }

    pub fn apply(&mut self, step: &Step) -> Vec<QueueCommand> {
        let now = self.now;
        let q = &mut self.queue;
        match step {
            Step::Arrive(c, n) => q.caller_arrived(*c, n, now).unwrap(),
            Step::Leave(c) => q.caller_left(*c, now).unwrap(),
            Step::State(u, s) => q.member_state(u, *s, now),
            Step::Result(c, u, r) => q.ring_result(*c, u, *r, now).unwrap(),
            Step::Finish(c, u, e) => q.agent_finished(*c, u, *e, now).unwrap(),
            Step::Reconfigure(cfg) => q.reconfigure(cfg.clone(), now).unwrap(),
            Step::Advance(ms) => {
                let target = now + Duration::from_millis(*ms);
                while let Some(t) = self.queue.poll_timeout().filter(|t| *t <= target) {
                    self.now = t;
                    self.queue.handle_timeout(t);
                }
                self.now = target;
            }
        }
        self.drain()
    }

    pub fn drain(&mut self) -> Vec<QueueCommand> {
        std::iter::from_fn(|| self.queue.poll_command()).collect()
    }

    /// Runs a script, checking each step's commands.
    pub fn run(&mut self, name: &str, script: &[(Step, Vec<QueueCommand>)]) {
        for (i, (step, want)) in script.iter().enumerate() {
            let got = self.apply(step);
            assert_eq!(&got, want, "{name}: step {i} {step:?}");
        }
        assert!(
            self.queue.stats().adds_up(),
            "{name}: {:?}",
            self.queue.stats()
        );
    }
}

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// Members `a`, `b` (priority 1) and `c` (priority 2), 10 s steps.
pub fn abc(strategy: Strategy) -> QueueConfig {
    QueueConfig::new(
        "400",
        strategy,
        secs(10),
        vec![
            Member::new("a", 1),
            Member::new("b", 1),
            Member::new("c", 2),
        ],
    )
}

pub fn ring(caller: CallerId, users: &[&str]) -> QueueCommand {
    QueueCommand::Ring {
        caller,
        users: users.iter().map(|u| u.to_string()).collect(),
        auto_answer: false,
    }
}

pub fn stop(caller: CallerId, users: &[&str]) -> QueueCommand {
    QueueCommand::StopRinging {
        caller,
        users: users.iter().map(|u| u.to_string()).collect(),
    }
}

pub fn connect(caller: CallerId, user: &str) -> QueueCommand {
    QueueCommand::Connect {
        caller,
        user: user.to_string(),
    }
}

pub fn unanswered(caller: CallerId, reason: UnansweredReason) -> QueueCommand {
    QueueCommand::Unanswered { caller, reason }
}

/// A named table case: a configuration and its script.
pub type Case = (&'static str, QueueConfig, Vec<(Step, Vec<QueueCommand>)>);
