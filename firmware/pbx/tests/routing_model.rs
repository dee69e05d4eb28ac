//! Property test: the route-rule matcher against a naive reference model. The model represents
//! each pattern as an explicit set of values (printed as an alternation or `.`) and each time
//! window as the set of minutes reached by walking from start to end around the clock.
#![allow(clippy::unwrap_used)]
use pbx::routing::{evaluate, LocalTime, Rule, RuleText, TimeOfDay};
use proptest::prelude::*;
use std::collections::BTreeSet;

#[derive(Debug, Clone)]
struct ModelRule {
    order: u32,
    years: Option<BTreeSet<i32>>,
    months: Option<BTreeSet<u32>>,
    days: Option<BTreeSet<u32>>,
    weekdays: Option<BTreeSet<u32>>,
    start: u16,
    end: u16,
}

fn alternation<T: Copy>(set: &Option<BTreeSet<T>>, fmt: impl Fn(T) -> String) -> String {
    match set {
        None => ".".into(),
        Some(s) => s.iter().map(|v| fmt(*v)).collect::<Vec<_>>().join("|"),
    }
}

fn minutes(start: u16, end: u16) -> BTreeSet<u16> {
    let mut set = BTreeSet::new();
    let mut m = start;
    loop {
        set.insert(m);
        if m == end {
            break;
        }
        m = (m + 1) % 1440;
    }
    set
}

fn model_pick(rules: &[ModelRule], at: &LocalTime) -> Option<usize> {
    let mut idx: Vec<usize> = (0..rules.len()).collect();
    idx.sort_by_key(|&i| rules[i].order);
    idx.into_iter().find(|&i| {
        let r = &rules[i];
        r.years.as_ref().is_none_or(|s| s.contains(&at.year))
            && r.months.as_ref().is_none_or(|s| s.contains(&at.month))
            && r.days.as_ref().is_none_or(|s| s.contains(&at.day))
            && r.weekdays.as_ref().is_none_or(|s| s.contains(&at.weekday))
            && minutes(r.start, r.end).contains(&at.time.0)
    })
}

fn opt_set<T: Ord + std::fmt::Debug + Clone + 'static>(
    values: impl Strategy<Value = T> + 'static,
) -> impl Strategy<Value = Option<BTreeSet<T>>> {
    prop_oneof![
        1 => Just(None),
        2 => proptest::collection::btree_set(values, 1..4).prop_map(Some),
    ]
}

fn model_rule() -> impl Strategy<Value = ModelRule> {
    (
        0u32..5,
        opt_set(2024i32..2028),
        opt_set(1u32..13),
        opt_set(1u32..29),
        opt_set(1u32..8),
        0u16..1440,
        0u16..1440,
    )
        .prop_map(
            |(order, years, months, days, weekdays, start, end)| ModelRule {
                order,
                years,
                months,
                days,
                weekdays,
                start,
                end,
            },
        )
}

fn local_time() -> impl Strategy<Value = LocalTime> {
    (2024i32..2028, 1u32..13, 1u32..29, 1u32..8, 0u16..1440).prop_map(
        |(year, month, day, weekday, m)| LocalTime {
            year,
            month,
            day,
            weekday,
            time: TimeOfDay(m),
        },
    )
}

proptest! {
    #[test]
    fn matcher_agrees_with_model(rules in proptest::collection::vec(model_rule(), 0..6), at in local_time()) {
        let compiled: Vec<Rule<usize>> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let year = alternation(&r.years, |v| format!("{v:04}"));
                let month = alternation(&r.months, |v| format!("{v:02}"));
                let day = alternation(&r.days, |v| format!("{v:02}"));
                let weekday = alternation(&r.weekdays, |v| v.to_string());
                let start = TimeOfDay(r.start).to_string();
                let end = TimeOfDay(r.end).to_string();
                Rule::compile(
                    r.order,
                    RuleText { year: &year, month: &month, day: &day, weekday: &weekday, start: &start, end: &end, caller_id: "." },
                    i,
                    None,
                    None,
                    String::new(),
                )
                .unwrap()
            })
            .collect();
        let got = evaluate(&compiled, &at, "600000000").matched;
        prop_assert_eq!(got, model_pick(&rules, &at));
    }
}
