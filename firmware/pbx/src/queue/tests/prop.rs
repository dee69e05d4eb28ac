//! The machine against the reference model under random arrivals, answers, rejections,
//! presence changes, hang-ups and timeouts: the same commands after every event, plus the
//! invariants (no member rung for two callers, every caller ends connected, unanswered or
//! abandoned exactly once, stats add up and match the model).
use super::ledger::Ledger;
use super::model::Model;
use crate::queue::{self, *};
use proptest::prelude::{Strategy, *};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub enum Op {
    Arrive(usize),
    Leave(usize),
    State(usize, MemberState),
    Ring(usize, RingResult),
    Finish(usize, CallEnd),
    Advance(u64),
}

pub const USERS: [&str; 4] = ["a", "b", "c", "d"];
pub const NUMBERS: [&str; 4] = ["600", "601", "602", ""];

pub fn config() -> impl Strategy<Value = QueueConfig> {
    let strategy = prop_oneof![
        Just(queue::Strategy::RingAll),
        Just(queue::Strategy::Linear),
        Just(queue::Strategy::GroupOrder),
        Just(queue::Strategy::RoundRobin),
    ];
    (
        strategy,
        proptest::collection::vec(0u32..3, 1..=4),
        0u32..4,
        1u64..=10,
        proptest::option::of(5u64..60),
        prop_oneof![Just(0u64), 1u64..20],
        any::<[bool; 4]>(),
    )
        .prop_map(
            |(strategy, prios, max_waiting, step, max_wait, wrapup, flags)| {
                let members = prios
                    .iter()
                    .enumerate()
                    .map(|(i, p)| Member::new(USERS[i], *p))
                    .collect();
                let mut c = QueueConfig::new("q", strategy, Duration::from_secs(step), members);
                c.max_waiting = max_waiting;
                c.max_wait = max_wait.map(Duration::from_secs);
                c.wrapup = Duration::from_secs(wrapup);
                [c.auto_answer, c.ring_in_use, c.moh, c.sticky] = flags;
                c
            },
        )
}

pub fn op() -> impl Strategy<Value = Op> {
    let state = prop_oneof![
        3 => Just(MemberState::Available),
        2 => Just(MemberState::InCall),
        1 => Just(MemberState::Offline),
    ];
    let result = prop_oneof![
        3 => Just(RingResult::Answered),
        1 => Just(RingResult::Busy),
        1 => Just(RingResult::NoAnswer),
        1 => Just(RingResult::Failed),
    ];
    let end = prop_oneof![Just(CallEnd::AgentHungUp), Just(CallEnd::CallerHungUp)];
    prop_oneof![
        3 => (0..NUMBERS.len()).prop_map(Op::Arrive),
        1 => (0usize..8).prop_map(Op::Leave),
        2 => (0..USERS.len(), state).prop_map(|(u, s)| Op::State(u, s)),
        3 => (0usize..8, result).prop_map(|(k, r)| Op::Ring(k, r)),
        2 => (0usize..8, end).prop_map(|(k, e)| Op::Finish(k, e)),
        3 => (0u64..15_000).prop_map(Op::Advance),
    ]
}

fn run(config: QueueConfig, ops: Vec<Op>) {
    let t0 = Instant::now();
    let at = |ms: u64| t0 + Duration::from_millis(ms);
    let mut queue = Queue::new(config.clone()).unwrap();
    let mut model = Model::new(config);
    let mut ledger = Ledger::default();
    let mut now = 0u64;
    let mut next_id: CallerId = 1;
    let step = |queue: &mut Queue, model: &mut Model, ledger: &mut Ledger, what: &str| {
        let got: Vec<QueueCommand> = std::iter::from_fn(|| queue.poll_command()).collect();
        let want = std::mem::take(&mut model.out);
        assert_eq!(got, want, "after {what}");
        ledger.observe(&got);
        while let Some(o) = queue.poll_outcome() {
            ledger.outcome(o);
        }
        assert!(queue.stats().adds_up(), "{:?}", queue.stats());
        assert_eq!(queue.waiting_callers(), model.waiting(), "after {what}");
        assert_eq!(
            queue.poll_timeout(),
            model.next_timeout().map(at),
            "after {what}"
        );
    };
    for op in ops {
        let what = format!("{op:?} at {now} ms");
        match op {
            Op::Arrive(n) => {
                let id = next_id;
                next_id += 1;
                queue.caller_arrived(id, NUMBERS[n], at(now)).unwrap();
                model.arrive(id, NUMBERS[n], now);
            }
            Op::Leave(k) => {
                let live: Vec<CallerId> = model
                    .waiting()
                    .into_iter()
                    .chain(model.connected.iter().map(|(c, _)| *c))
                    .collect();
                let Some(&id) = live.get(k % live.len().max(1)) else {
                    continue;
                };
                let abandons = model.waiting().contains(&id);
                queue.caller_left(id, at(now)).unwrap();
                model.leave(id, now);
                step(&mut queue, &mut model, &mut ledger, &what);
                if abandons {
                    ledger.end(id, "abandoned");
                }
                continue;
            }
            Op::State(u, s) => {
                let user = USERS[u];
                queue.member_state(user, s, at(now));
                model.state(user, s, now);
            }
            Op::Ring(k, r) => {
                let pairs = model.ringing();
                let Some((id, user)) = pairs.get(k % pairs.len().max(1)).cloned() else {
                    continue;
                };
                ledger.unring(id, &user);
                queue.ring_result(id, &user, r, at(now)).unwrap();
                model.result(id, &user, r, now);
            }
            Op::Finish(k, e) => {
                let pairs = model.connected.clone();
                let Some(&(id, m)) = pairs.get(k % pairs.len().max(1)) else {
                    continue;
                };
                let user = USERS[m];
                queue.agent_finished(id, user, e, at(now)).unwrap();
                model.finish(id, user, e, now);
            }
            Op::Advance(ms) => {
                let target = now + ms;
                while let Some(t) = model.next_timeout().filter(|t| *t <= target) {
                    now = t;
                    queue.handle_timeout(at(now));
                    model.timeout(now);
                    step(
                        &mut queue,
                        &mut model,
                        &mut ledger,
                        &format!("timeout at {now} ms"),
                    );
                }
                now = target;
                continue;
            }
        }
        step(&mut queue, &mut model, &mut ledger, &what);
    }
    // Everyone still waiting hangs up: then every caller has exactly one ending.
    for id in model.waiting() {
        queue.caller_left(id, at(now)).unwrap();
        model.leave(id, now);
        step(&mut queue, &mut model, &mut ledger, "final hang-up");
        ledger.end(id, "abandoned");
    }
    assert!(
        ledger.ringing.is_empty(),
        "legs left ringing: {:?}",
        ledger.ringing
    );
    assert_eq!(ledger.ended.len() as u64, next_id - 1, "a caller was lost");
    let s = queue.stats();
    assert_eq!(s.offered, next_id - 1);
    assert_eq!(s.waiting, 0);
    assert_eq!(
        (s.answered, s.abandoned, s.timed_out, s.full + s.no_members),
        (
            model.answered,
            model.abandoned,
            model.timed_out,
            model.turned_away
        )
    );
    ledger.check_outcomes();
    let count = |how| ledger.ended.values().filter(|h| **h == how).count() as u64;
    assert_eq!(count("connected"), s.answered);
    assert_eq!(count("abandoned"), s.abandoned);
    assert_eq!(count("unanswered"), s.timed_out + s.full + s.no_members);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]
    #[test]
    fn machine_matches_model(config in config(), ops in proptest::collection::vec(op(), 1..80)) {
        run(config, ops);
    }
}
