//! Reconfiguration under load (members deleted or added while ringing, strategy and max time
//! changed while callers wait): the reference model has no reconfiguration, so this checks the
//! invariants only: no member rung for two callers, no deleted member left ringing, every caller
//! ends exactly once, stats add up, no error on any event the call code may send.
use super::ledger::Ledger;
use super::prop::{config, op, Op, NUMBERS, USERS};
use crate::queue::{self, CallerId, Member, Queue, QueueConfig};
use proptest::prelude::{Strategy, *};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
enum ROp {
    Base(Op),
    /// Members kept (bit i = USERS[i]), strategy index, max time in queue.
    Reconfigure(u8, usize, Option<u64>),
}

fn rop() -> impl Strategy<Value = ROp> {
    prop_oneof![
        8 => op().prop_map(ROp::Base),
        1 => (0u8..16, 0usize..4, proptest::option::of(1u64..40))
            .prop_map(|(m, s, w)| ROp::Reconfigure(m, s, w)),
    ]
}

fn reconfigured(
    base: &QueueConfig,
    mask: u8,
    strategy: usize,
    max_wait: Option<u64>,
) -> QueueConfig {
    let strategies = [
        queue::Strategy::RingAll,
        queue::Strategy::Linear,
        queue::Strategy::GroupOrder,
        queue::Strategy::RoundRobin,
    ];
    let mut c = base.clone();
    c.members = (0..USERS.len())
        .filter(|i| mask & (1 << i) != 0)
        .map(|i| Member::new(USERS[i], (i % 2) as u32))
        .collect();
    c.strategy = strategies[strategy % strategies.len()];
    c.max_wait = max_wait.map(Duration::from_secs);
    c
}

fn run(base: QueueConfig, ops: Vec<ROp>) {
    let t0 = Instant::now();
    let mut now = t0;
    let mut queue = Queue::new(base.clone()).unwrap();
    let mut ledger = Ledger::default();
    let mut next_id: CallerId = 1;
    for rop in ops {
        let mut abandoned = None;
        match rop {
            ROp::Reconfigure(mask, s, w) => queue
                .reconfigure(reconfigured(&base, mask, s, w), now)
                .unwrap(),
            ROp::Base(Op::Arrive(n)) => {
                queue.caller_arrived(next_id, NUMBERS[n], now).unwrap();
                next_id += 1;
            }
            ROp::Base(Op::Leave(k)) => {
                let mut live = queue.waiting_callers();
                live.extend(ledger.connected.iter().map(|(c, _)| *c));
                let Some(&id) = live.get(k % live.len().max(1)) else {
                    continue;
                };
                if queue.waiting_callers().contains(&id) {
                    abandoned = Some(id);
                }
                ledger.connected.retain(|(c, _)| *c != id);
                queue.caller_left(id, now).unwrap();
            }
            ROp::Base(Op::State(u, s)) => queue.member_state(USERS[u], s, now),
            ROp::Base(Op::Ring(k, r)) => {
                let pairs = ledger.ringing_pairs();
                let Some((id, user)) = pairs.get(k % pairs.len().max(1)).cloned() else {
                    continue;
                };
                ledger.unring(id, &user);
                queue.ring_result(id, &user, r, now).unwrap();
            }
            ROp::Base(Op::Finish(k, e)) => {
                let Some((id, user)) = ledger
                    .connected
                    .get(k % ledger.connected.len().max(1))
                    .cloned()
                else {
                    continue;
                };
                ledger.connected.retain(|(c, _)| *c != id);
                queue.agent_finished(id, &user, e, now).unwrap();
            }
            ROp::Base(Op::Advance(ms)) => {
                let target = now + Duration::from_millis(ms);
                while let Some(t) = queue.poll_timeout().filter(|t| *t <= target) {
                    now = t;
                    queue.handle_timeout(now);
                    check(&mut queue, &mut ledger);
                }
                now = target;
            }
        }
        check(&mut queue, &mut ledger);
        if let Some(id) = abandoned {
            ledger.end(id, "abandoned");
        }
    }
    for id in queue.waiting_callers() {
        queue.caller_left(id, now).unwrap();
        check(&mut queue, &mut ledger);
        ledger.end(id, "abandoned");
    }
    assert!(
        ledger.ringing.is_empty(),
        "legs left ringing: {:?}",
        ledger.ringing
    );
    assert_eq!(ledger.ended.len() as u64, next_id - 1, "a caller was lost");
    ledger.check_outcomes();
    let s = queue.stats();
    assert!(
        s.adds_up() && s.waiting == 0 && s.offered == next_id - 1,
        "{s:?}"
    );
}

fn check(queue: &mut Queue, ledger: &mut Ledger) {
    let commands: Vec<_> = std::iter::from_fn(|| queue.poll_command()).collect();
    ledger.observe(&commands);
    while let Some(o) = queue.poll_outcome() {
        ledger.outcome(o);
    }
    assert!(queue.stats().adds_up(), "{:?}", queue.stats());
    for user in ledger.ringing.keys() {
        let member = queue.config().members.iter().any(|m| &m.user == user);
        assert!(member, "{user} rings but is no longer a member");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]
    #[test]
    fn reconfiguration_leaves_nothing_hanging(
        config in config(),
        ops in proptest::collection::vec(rop(), 1..80),
    ) {
        run(config, ops);
    }
}
