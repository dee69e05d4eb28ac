//! One route rule and the first-match evaluation over a DID's rules.
use super::pattern::{Pattern, PatternError};
use std::fmt;

/// Minute of the day, 00:00 to 23:59.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct TimeOfDay(pub u16);

impl TimeOfDay {
    /// `HH:MM` (also `H:MM`), 00:00 to 23:59.
    pub fn parse(s: &str) -> Option<TimeOfDay> {
        let (h, m) = s.trim().split_once(':')?;
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60 && !s.trim().is_empty()).then_some(TimeOfDay(h * 60 + m))
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// The call's moment in the tenant's time zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTime {
    pub year: i32,
    pub month: u32,
    pub day: u32,
    /// ISO 8601: 1 = Monday .. 7 = Sunday.
    pub weekday: u32,
    pub time: TimeOfDay,
}

#[derive(Debug, Clone)]
pub struct Rule<D> {
    pub order: u32,
    pub year: Pattern,
    pub month: Pattern,
    pub day: Pattern,
    pub weekday: Pattern,
    pub start: TimeOfDay,
    pub end: TimeOfDay,
    pub caller_id: Pattern,
    pub destination: D,
    pub prompt: Option<String>,
    pub prefix: Option<String>,
    pub description: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("{field}: {source}")]
    Pattern {
        field: &'static str,
        source: PatternError,
    },
    #[error("{field}: {value:?} is not a time HH:MM between 00:00 and 23:59")]
    Time { field: &'static str, value: String },
}

/// The raw text fields of a rule, as stored.
pub struct RuleText<'a> {
    pub year: &'a str,
    pub month: &'a str,
    pub day: &'a str,
    pub weekday: &'a str,
    pub start: &'a str,
    pub end: &'a str,
    pub caller_id: &'a str,
}

impl<D> Rule<D> {
    #[allow(clippy::too_many_arguments)]
    pub fn compile(
        order: u32,
        text: RuleText<'_>,
        destination: D,
        prompt: Option<String>,
        prefix: Option<String>,
        description: String,
    ) -> Result<Rule<D>, RuleError> {
        let pattern = |field: &'static str, s: &str| {
            Pattern::parse(s).map_err(|source| RuleError::Pattern { field, source })
        };
        let time = |field: &'static str, s: &str| {
            TimeOfDay::parse(s).ok_or_else(|| RuleError::Time {
                field,
                value: s.to_string(),
            })
        };
        Ok(Rule {
            order,
            year: pattern("year", text.year)?,
            month: pattern("month", text.month)?,
            day: pattern("day", text.day)?,
            weekday: pattern("weekday", text.weekday)?,
            start: time("start", text.start)?,
            end: time("end", text.end)?,
            caller_id: pattern("caller_id", text.caller_id)?,
            destination,
            prompt,
            prefix,
            description,
        })
    }

    /// Why this rule does not match, or `Ok(())` when it does.
    pub fn check(&self, at: &LocalTime, caller: &str) -> Result<(), Mismatch> {
        let fields = [
            ("year", &self.year, format!("{:04}", at.year)),
            ("month", &self.month, format!("{:02}", at.month)),
            ("day", &self.day, format!("{:02}", at.day)),
            ("weekday", &self.weekday, at.weekday.to_string()),
        ];
        for (field, pattern, value) in fields {
            if !pattern.matches(&value) {
                return Err(Mismatch::Field {
                    field,
                    pattern: pattern.source().to_string(),
                    value,
                });
            }
        }
        if !in_window(self.start, self.end, at.time) {
            return Err(Mismatch::Time {
                start: self.start,
                end: self.end,
                at: at.time,
            });
        }
        if !self.caller_id.matches(caller) {
            return Err(Mismatch::Field {
                field: "caller_id",
                pattern: self.caller_id.source().to_string(),
                value: caller.to_string(),
            });
        }
        Ok(())
    }
}

/// Inclusive window; a start after the end wraps midnight (20:00-08:00 is the night).
fn in_window(start: TimeOfDay, end: TimeOfDay, at: TimeOfDay) -> bool {
    if start <= end {
        start <= at && at <= end
    } else {
        at >= start || at <= end
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    Field {
        field: &'static str,
        pattern: String,
        value: String,
    },
    Time {
        start: TimeOfDay,
        end: TimeOfDay,
        at: TimeOfDay,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Field {
                field,
                pattern,
                value,
            } => write!(f, "{field} {value:?} does not match {pattern:?}"),
            Mismatch::Time { start, end, at } => {
                write!(f, "time {at} is outside {start}-{end}")
            }
        }
    }
}

/// The result of evaluating a DID's rules: the winner (index into the rules as given) and, for
/// every rule tried before it, why it did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub matched: Option<usize>,
    pub rejected: Vec<(usize, Mismatch)>,
}

/// First rule by `order` (ties keep the given order) whose every field matches.
pub fn evaluate<D>(rules: &[Rule<D>], at: &LocalTime, caller: &str) -> Evaluation {
    let mut by_order: Vec<usize> = (0..rules.len()).collect();
    by_order.sort_by_key(|&i| rules[i].order);
    let mut rejected = Vec::new();
    for i in by_order {
        match rules[i].check(at, caller) {
            Ok(()) => {
                return Evaluation {
                    matched: Some(i),
                    rejected,
                }
            }
            Err(why) => rejected.push((i, why)),
        }
    }
    Evaluation {
        matched: None,
        rejected,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rule(
        order: u32,
        weekday: &str,
        start: &str,
        end: &str,
        dest: &'static str,
    ) -> Rule<&'static str> {
        Rule::compile(
            order,
            RuleText {
                year: ".",
                month: ".",
                day: ".",
                weekday,
                start,
                end,
                caller_id: ".",
            },
            dest,
            None,
            None,
            String::new(),
        )
        .unwrap()
    }

    fn at(weekday: u32, hh: u16, mm: u16) -> LocalTime {
        LocalTime {
            year: 2026,
            month: 12,
            day: 24,
            weekday,
            time: TimeOfDay(hh * 60 + mm),
        }
    }

    #[test]
    fn office_hours_then_night() {
        let rules = vec![
            rule(1, "[1-5]", "09:00", "18:00", "office"),
            rule(2, ".", "18:01", "08:59", "voicemail"),
            rule(3, ".", "00:00", "23:59", "weekend"),
        ];
        let pick = |a: LocalTime| {
            evaluate(&rules, &a, "600")
                .matched
                .map(|i| rules[i].destination)
        };
        assert_eq!(pick(at(2, 9, 0)), Some("office"), "inclusive start");
        assert_eq!(pick(at(2, 18, 0)), Some("office"), "inclusive end");
        assert_eq!(pick(at(2, 18, 1)), Some("voicemail"));
        assert_eq!(
            pick(at(6, 21, 0)),
            Some("voicemail"),
            "Saturday 21:00, wraps midnight"
        );
        assert_eq!(pick(at(6, 3, 0)), Some("voicemail"), "after midnight");
        assert_eq!(pick(at(6, 12, 0)), Some("weekend"));
    }

    #[test]
    fn order_field_decides_not_position_and_trace_explains() {
        let rules = vec![
            rule(5, ".", "00:00", "23:59", "late"),
            rule(1, "7", "00:00", "23:59", "sunday"),
        ];
        let e = evaluate(&rules, &at(3, 10, 0), "600");
        assert_eq!(e.matched, Some(0));
        assert_eq!(e.rejected.len(), 1);
        assert_eq!(e.rejected[0].0, 1);
        assert!(e.rejected[0].1.to_string().contains("weekday"));
    }

    #[test]
    fn caller_id_and_no_match() {
        let mut r = rule(1, ".", "00:00", "23:59", "vip");
        r.caller_id = Pattern::parse("6[0-9]{8}").unwrap();
        let rules = vec![r];
        assert_eq!(evaluate(&rules, &at(1, 1, 0), "600111222").matched, Some(0));
        let e = evaluate(&rules, &at(1, 1, 0), "911222333");
        assert_eq!(e.matched, None);
        assert!(matches!(
            e.rejected[0].1,
            Mismatch::Field {
                field: "caller_id",
                ..
            }
        ));
    }

    #[test]
    fn bad_fields_are_refused() {
        let bad = Rule::compile(
            1,
            RuleText {
                year: "20[",
                month: ".",
                day: ".",
                weekday: ".",
                start: "00:00",
                end: "23:59",
                caller_id: ".",
            },
            (),
            None,
            None,
            String::new(),
        );
        assert!(matches!(bad, Err(RuleError::Pattern { field: "year", .. })));
        assert!(TimeOfDay::parse("24:00").is_none());
        assert!(TimeOfDay::parse("9:5x").is_none());
        assert_eq!(TimeOfDay::parse("9:05"), Some(TimeOfDay(545)));
    }
}
