//! Which member rings when, per strategy: one scripted table per case.
use super::harness::*;
use crate::queue::*;
use MemberState::*;
use RingResult::*;
use Step::*;

#[test]
fn strategies() {
    let cases: Vec<Case> = vec![
        (
            "ring all rings everyone, re-rings each step, first answer wins",
            abc(Strategy::RingAll),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a", "b", "c"])]),
                (
                    Advance(10_000),
                    vec![stop(1, &["a", "b", "c"]), ring(1, &["a", "b", "c"])],
                ),
                (
                    Result(1, "b", Answered),
                    vec![stop(1, &["a", "c"]), connect(1, "b")],
                ),
            ],
        ),
        (
            "ring all gives later callers only what the first left free",
            abc(Strategy::RingAll),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a", "b", "c"])]),
                (Arrive(2, "601"), vec![]),
                (
                    Result(1, "a", Answered),
                    vec![stop(1, &["b", "c"]), connect(1, "a"), ring(2, &["b", "c"])],
                ),
            ],
        ),
        (
            "linear walks the members in order and wraps",
            abc(Strategy::Linear),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Advance(10_000), vec![stop(1, &["a"]), ring(1, &["b"])]),
                (Advance(10_000), vec![stop(1, &["b"]), ring(1, &["c"])]),
                (Advance(10_000), vec![stop(1, &["c"]), ring(1, &["a"])]),
            ],
        ),
        (
            "linear skips a member in a call",
            abc(Strategy::Linear),
            vec![
                (State("a", InCall), vec![]),
                (Arrive(1, "600"), vec![ring(1, &["b"])]),
                (Advance(10_000), vec![stop(1, &["b"]), ring(1, &["c"])]),
                (State("a", Available), vec![]),
                (Advance(10_000), vec![stop(1, &["c"]), ring(1, &["a"])]),
            ],
        ),
        (
            "linear serves callers in parallel on distinct members",
            abc(Strategy::Linear),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Arrive(2, "601"), vec![ring(2, &["b"])]),
                (Arrive(3, "602"), vec![ring(3, &["c"])]),
                (Arrive(4, "603"), vec![]),
                (Result(1, "a", Answered), vec![connect(1, "a")]),
                (
                    Advance(10_000),
                    vec![
                        stop(2, &["b"]),
                        stop(3, &["c"]),
                        ring(2, &["c"]),
                        ring(3, &["b"]),
                    ],
                ),
            ],
        ),
        (
            "a rejected ring frees the member for others; the caller waits out its step",
            abc(Strategy::Linear),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Result(1, "a", Busy), vec![]),
                (Arrive(2, "601"), vec![ring(2, &["a"])]),
                (
                    Advance(10_000),
                    vec![stop(2, &["a"]), ring(1, &["b"]), ring(2, &["c"])],
                ),
            ],
        ),
        (
            "group order rings a priority group, then the next",
            abc(Strategy::GroupOrder),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a", "b"])]),
                (Advance(10_000), vec![stop(1, &["a", "b"]), ring(1, &["c"])]),
                (Advance(10_000), vec![stop(1, &["c"]), ring(1, &["a", "b"])]),
            ],
        ),
        (
            "group order skips a group with nobody free",
            abc(Strategy::GroupOrder),
            vec![
                (State("a", Offline), vec![]),
                (State("b", InCall), vec![]),
                (Arrive(1, "600"), vec![ring(1, &["c"])]),
                (Advance(10_000), vec![stop(1, &["c"]), ring(1, &["c"])]),
            ],
        ),
        (
            "round robin starts after the agent who took the last call",
            abc(Strategy::RoundRobin),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Result(1, "a", Answered), vec![connect(1, "a")]),
                (
                    Finish(1, "a", CallEnd::AgentHungUp),
                    vec![QueueCommand::AfterAgent { caller: 1 }],
                ),
                (Arrive(2, "601"), vec![ring(2, &["b"])]),
                (Result(2, "b", NoAnswer), vec![]),
                (Advance(10_000), vec![ring(2, &["c"])]),
                (Advance(10_000), vec![stop(2, &["c"]), ring(2, &["a"])]),
                (Result(2, "a", Answered), vec![connect(2, "a")]),
                (
                    Finish(2, "a", CallEnd::AgentHungUp),
                    vec![QueueCommand::AfterAgent { caller: 2 }],
                ),
                (Arrive(3, "602"), vec![ring(3, &["b"])]),
            ],
        ),
        (
            "round robin still rings the last agent when nobody else is free",
            abc(Strategy::RoundRobin),
            vec![
                (Arrive(1, "600"), vec![ring(1, &["a"])]),
                (Result(1, "a", Answered), vec![connect(1, "a")]),
                (Finish(1, "a", CallEnd::CallerHungUp), vec![]),
                (State("b", Offline), vec![]),
                (State("c", Offline), vec![]),
                (Arrive(2, "601"), vec![ring(2, &["a"])]),
            ],
        ),
    ];
    for (name, config, script) in cases {
        Harness::new(config).run(name, &script);
    }
}
