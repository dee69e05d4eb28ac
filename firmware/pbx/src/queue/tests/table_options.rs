//! Every queue option, one scripted table per case; then errors and the stats by hand.
use super::harness::*;
use crate::queue::*;
use std::time::Duration;
use MemberState::*;
use RingResult::*;
use Step::*;

fn with(strategy: Strategy, change: impl FnOnce(&mut QueueConfig)) -> QueueConfig {
    let mut config = abc(strategy);
    change(&mut config);
    config
}

fn only_a(change: impl FnOnce(&mut QueueConfig)) -> QueueConfig {
    with(Strategy::Linear, |c| {
        c.members.truncate(1);
        change(c)
    })
}

#[test]
fn options() {
    let after = |caller| QueueCommand::AfterAgent { caller };
    let moh_on = |caller| QueueCommand::StartMoh { caller };
    let moh_off = |caller| QueueCommand::StopMoh { caller };
    let cases: Vec<Case> = vec![
        (
            "max waiting callers turns the next caller away",
            with(Strategy::Linear, |c| c.max_waiting = 1),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (
                    Arrive(2, "601"),
                    vec![unanswered(2, UnansweredReason::Full)],
                ),
                (Leave(1), vec![stop(1, &["a"])]),
                (Arrive(3, "602"), vec![ring(3, &["a"])]),
            ],
        ),
        (
            "max waiting 0 is unlimited",
            only_a(|c| c.max_waiting = 0),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Arrive(2, "601"), vec![]),
                (Arrive(3, "602"), vec![]),
            ],
        ),
        (
            "max time in queue sends the caller to the unanswered destination",
            with(Strategy::Linear, |c| c.max_wait = Some(secs(25))),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Advance(10_000), vec![stop(1, &["a"]), ring(1, &["b"])]),
                (Advance(10_000), vec![stop(1, &["b"]), ring(1, &["c"])]),
                (
                    Advance(5_000),
                    vec![stop(1, &["c"]), unanswered(1, UnansweredReason::MaxWait)],
                ),
            ],
        ),
        (
            "no members configured",
            with(Strategy::RingAll, |c| c.members.clear()),
            vec![(
                Arrive(1, "600"),
                vec![unanswered(1, UnansweredReason::NoMembers)],
            )],
        ),
        (
            "every member offline, on arrival and while waiting",
            only_a(|_| {}),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (
                    State("a", Offline),
                    vec![stop(1, &["a"]), unanswered(1, UnansweredReason::NoMembers)],
                ),
                (
                    Arrive(2, "601"),
                    vec![unanswered(2, UnansweredReason::NoMembers)],
                ),
            ],
        ),
        (
            "wrap-up keeps an agent from ringing until it ends",
            only_a(|c| c.wrapup = secs(30)),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Result(1, "a", Answered), vec![connect(1, "a")]),
                (Arrive(2, "601"), vec![]),
                (Finish(1, "a", CallEnd::AgentHungUp), vec![after(1)]),
                (Advance(29_999), vec![]),
                (Advance(1), vec![ring(2, &["a"])]),
            ],
        ),
        (
            "members in a call are not rung without ring-in-use",
            only_a(|c| c.ring_in_use = false),
            vec![(State("a", InCall), vec![]), (Arrive(1, "600"), vec![])],
        ),
        (
            "members in a call are rung with ring-in-use, even in a queue call",
            only_a(|c| c.ring_in_use = true),
            vec![
                (State("a", InCall), vec![]),
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Result(1, "a", Answered), vec![connect(1, "a")]),
                (Arrive(2, "601"), vec![ring(2, &["a"])]),
            ],
        ),
        (
            "auto-answer is flagged on every ring",
            only_a(|c| c.auto_answer = true),
            vec![(
                Arrive(1, "600"),
                vec![QueueCommand::Ring {
                    caller: 1,
                    users: vec!["a".into()],
                    auto_answer: true,
                }],
            )],
        ),
        (
            "music on hold from arrival until the caller leaves the line",
            only_a(|c| c.moh = true),
            vec![
                (Arrive(1, "600"), vec![moh_on(1), ring(1, &["a"])]),
                (Arrive(2, "601"), vec![moh_on(2)]),
                (Result(1, "a", Answered), vec![moh_off(1), connect(1, "a")]),
                (Leave(2), vec![moh_off(2)]),
            ],
        ),
        (
            "sticky agent rings first, once, then the strategy",
            with(Strategy::Linear, |c| c.sticky = true),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Advance(10_000), vec![stop(1, &["a"]), ring(1, &["b"])]),
                (Result(1, "b", Answered), vec![connect(1, "b")]),
                (Finish(1, "b", CallEnd::CallerHungUp), vec![]),
                (Arrive(2, "600"), vec![ring(2, &["b"])]),
                (Advance(10_000), vec![stop(2, &["b"]), ring(2, &["a"])]),
                (Arrive(3, "601"), vec![ring(3, &["b"])]),
            ],
        ),
        (
            "sticky off ignores who answered last",
            with(Strategy::Linear, |c| c.sticky = false),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Advance(10_000), vec![stop(1, &["a"]), ring(1, &["b"])]),
                (Result(1, "b", Answered), vec![connect(1, "b")]),
                (Finish(1, "b", CallEnd::CallerHungUp), vec![]),
                (Arrive(2, "600"), vec![ring(2, &["a"])]),
            ],
        ),
        (
            "a busy sticky agent is skipped",
            with(Strategy::Linear, |c| c.sticky = true),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Advance(10_000), vec![stop(1, &["a"]), ring(1, &["b"])]),
                (Result(1, "b", Answered), vec![connect(1, "b")]),
                (Arrive(2, "600"), vec![ring(2, &["a"])]),
            ],
        ),
        (
            "a caller hanging up while waiting is an abandon",
            abc(Strategy::RingAll),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a", "b", "c"])]),
                (Leave(1), vec![stop(1, &["a", "b", "c"])]),
            ],
        ),
        (
            "the caller hanging up a connected call gets no after-agent destination",
            only_a(|c| c.wrapup = secs(5)),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Result(1, "a", Answered), vec![connect(1, "a")]),
                (Leave(1), vec![]),
                (Arrive(2, "601"), vec![]),
                (Advance(5_000), vec![ring(2, &["a"])]),
            ],
        ),
        (
            "a member deleted while ringing stops ringing, nothing hangs",
            abc(Strategy::RingAll),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a", "b", "c"])]),
                (
                    Reconfigure(with(Strategy::RingAll, |c| {
                        c.members.remove(1).priority = 0
                    })),
                    vec![stop(1, &["b"])],
                ),
                (
                    Advance(10_000),
                    vec![stop(1, &["a", "c"]), ring(1, &["a", "c"])],
                ),
            ],
        ),
        (
            "deleting every member sends waiting callers on",
            only_a(|c| c.moh = true),
            vec![
                (Arrive(1, "600"), vec![moh_on(1), ring(1, &["a"])]),
                (
                    Reconfigure(only_a(|c| {
                        c.moh = true;
                        c.members.clear()
                    })),
                    vec![
                        stop(1, &["a"]),
                        moh_off(1),
                        unanswered(1, UnansweredReason::NoMembers),
                    ],
                ),
            ],
        ),
        (
            "a shorter max time applies to callers already waiting",
            only_a(|_| {}),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Advance(5_000), vec![]),
                (Reconfigure(only_a(|c| c.max_wait = Some(secs(3)))), vec![]),
                (
                    Advance(0),
                    vec![stop(1, &["a"]), unanswered(1, UnansweredReason::MaxWait)],
                ),
            ],
        ),
    ];
    for (name, config, script) in cases {
        Harness::new(config).run(name, &script);
    }
}

#[test]
fn bad_events_are_typed_errors_and_change_nothing() {
    let mut h = Harness::new(abc(Strategy::Linear));
    let now = h.now;
    h.apply(&Step::Arrive(1, "600"));
    let q = &mut h.queue;
    assert_eq!(
        q.caller_arrived(1, "600", now),
        Err(QueueError::DuplicateCaller { caller: 1 })
    );
    assert_eq!(
        q.ring_result(1, "b", Answered, now),
        Err(QueueError::NotRinging {
            caller: 1,
            user: "b".into()
        })
    );
    assert_eq!(
        q.ring_result(9, "a", Answered, now),
        Err(QueueError::UnknownCaller { caller: 9 })
    );
    assert_eq!(
        q.caller_left(9, now),
        Err(QueueError::UnknownCaller { caller: 9 })
    );
    assert_eq!(
        q.agent_finished(1, "a", CallEnd::AgentHungUp, now),
        Err(QueueError::UnknownCaller { caller: 1 })
    );
    q.member_state("nobody", Offline, now);
    q.ring_result(1, "a", Answered, now).unwrap();
    // A late answer from a leg already cancelled: the call code must hang that leg up.
    assert_eq!(
        q.ring_result(1, "a", Answered, now),
        Err(QueueError::NotRinging {
            caller: 1,
            user: "a".into()
        })
    );
    assert_eq!(
        q.agent_finished(1, "b", CallEnd::AgentHungUp, now),
        Err(QueueError::NotConnected {
            caller: 1,
            user: "b".into()
        })
    );
    assert_eq!(h.drain(), vec![connect(1, "a")]);
}

#[test]
fn bad_configurations_are_refused() {
    let zero = with(Strategy::Linear, |c| c.step = Duration::ZERO);
    assert!(matches!(
        Queue::new(zero),
        Err(QueueConfigError::ZeroStep { .. })
    ));
    let twice = with(Strategy::Linear, |c| c.members.push(Member::new("a", 3)));
    assert!(matches!(
        Queue::new(twice.clone()),
        Err(QueueConfigError::DuplicateMember { .. })
    ));
    let empty = with(Strategy::Linear, |c| c.members.push(Member::new("", 3)));
    assert!(matches!(
        Queue::new(empty),
        Err(QueueConfigError::EmptyUser { index: 3, .. })
    ));
    let long = with(Strategy::Linear, |c| c.max_wait = Some(secs(u64::MAX)));
    assert!(matches!(
        Queue::new(long),
        Err(QueueConfigError::TooLong {
            field: "max_wait",
            ..
        })
    ));
    let mut h = Harness::new(abc(Strategy::Linear));
    let now = h.now;
    assert!(h.queue.reconfigure(twice, now).is_err());
    assert_eq!(h.queue.config(), &abc(Strategy::Linear));
}

#[test]
fn stats_by_hand() {
    let mut h = Harness::new(with(Strategy::Linear, |c| {
        c.members.truncate(2);
        c.max_waiting = 2;
        c.max_wait = Some(secs(60));
        c.service_level = secs(15);
    }));
    h.apply(&Step::Arrive(1, "600")); // rings a
    h.apply(&Step::Arrive(2, "601")); // rings b
    h.apply(&Step::Arrive(3, "602")); // full
    h.apply(&Step::Advance(5_000));
    h.apply(&Step::Result(1, "a", Answered)); // answered after 5 s: within SL
    h.apply(&Step::Advance(15_000));
    h.apply(&Step::Leave(2)); // abandoned after 20 s
    h.apply(&Step::Arrive(4, "603"));
    h.apply(&Step::State("b", InCall));
    h.apply(&Step::Advance(60_000)); // timed out after 60 s
    h.apply(&Step::Arrive(5, "604"));
    h.apply(&Step::Advance(20_000));
    h.apply(&Step::State("b", Available));
    h.apply(&Step::Result(5, "b", Answered)); // answered after 20 s: outside SL
    let outcomes: Vec<_> = std::iter::from_fn(|| h.queue.poll_outcome())
        .map(|o| (o.caller, o.outcome, o.agent, o.wait.as_secs()))
        .collect();
    let a = Some("a".to_string());
    let b = Some("b".to_string());
    assert_eq!(
        outcomes,
        vec![
            (3, Outcome::Full, None, 0),
            (1, Outcome::Answered, a, 5),
            (2, Outcome::Abandoned, None, 20),
            (4, Outcome::TimedOut, None, 60),
            (5, Outcome::Answered, b, 20),
        ]
    );
    let s = h.queue.stats();
    assert_eq!(
        (
            s.offered,
            s.answered,
            s.abandoned,
            s.timed_out,
            s.full,
            s.no_members,
            s.waiting
        ),
        (5, 2, 1, 1, 1, 0, 0)
    );
    assert_eq!(s.answered_wait_total, secs(25));
    assert_eq!(
        s.average_answered_wait(),
        Some(Duration::from_millis(12_500))
    );
    assert_eq!(s.max_wait, secs(60));
    assert_eq!(s.answered_within_sl, 1);
    assert_eq!(s.service_level_pct(), Some(20.0));
    assert!(s.adds_up());
}
