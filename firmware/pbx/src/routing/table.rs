//! The DIDs of the box with their compiled rules, and the routing of one call through them:
//! unconditional forward first, then the first matching rule; a rule whose destination is another
//! DID continues with that DID's rules (bounded, so a loop of DIDs cannot hang a call).
use super::rule::{evaluate, Evaluation, LocalTime, Rule, TimeOfDay};
use chrono::{Datelike, TimeZone, Timelike};
use chrono_tz::Tz;
use std::collections::HashMap;

/// Where a call goes (SPEC.md §2 destinations), with references resolved to what the call code
/// needs: SIP usernames for extensions, numbers for external numbers and DIDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    Hangup,
    /// SIP username of the extension's account.
    Extension(String),
    Queue(String),
    Voicemail(String),
    Ivr(String),
    /// A number dialled out through the tenant's trunk.
    External(String),
    Conference(String),
    /// Another DID's rules (its number).
    Did(String),
    PromptThenHangup(String),
    /// A box's menu (PIN, play, delete): an extension dialled the box number. Never configured.
    VoicemailMenu(String),
    /// Record a prompt from the phone into `tel-<slot>` (feature code). Never configured.
    RecordPrompt(String),
    /// Play a prompt, then go on to the destination (a route rule's prompt). Never configured.
    PromptThen(String, Box<Destination>),
}

impl Destination {
    pub fn describe(&self) -> String {
        match self {
            Destination::Hangup => "hang up".into(),
            Destination::Extension(u) => format!("extension {u}"),
            Destination::Queue(q) => format!("queue {q}"),
            Destination::Voicemail(v) => format!("voicemail {v}"),
            Destination::Ivr(i) => format!("IVR {i}"),
            Destination::External(n) => format!("external number {n}"),
            Destination::Conference(c) => format!("conference {c}"),
            Destination::Did(d) => format!("the rules of DID {d}"),
            Destination::PromptThenHangup(p) => format!("prompt {p} then hang up"),
            Destination::VoicemailMenu(v) => format!("the menu of voicemail {v}"),
            Destination::RecordPrompt(slot) => format!("recording prompt tel-{slot}"),
            Destination::PromptThen(p, d) => format!("prompt {p} then {}", d.describe()),
        }
    }
}

pub struct DidRoute {
    pub tenant_id: u32,
    pub number: String,
    pub timezone: Tz,
    pub forward: Option<Destination>,
    pub rules: Vec<Rule<Destination>>,
}

/// One DID visited while routing a call, and what happened there.
#[derive(Debug, Clone)]
pub struct Step {
    pub did: String,
    pub local: LocalTime,
    /// The DID's unconditional forward was taken (rules not evaluated).
    pub forwarded: bool,
    pub evaluation: Evaluation,
}

#[derive(Debug, Clone)]
pub struct Routed {
    pub tenant_id: u32,
    pub steps: Vec<Step>,
    /// `None`: no rule matched (the call is rejected with 480) or the DID chain was too deep.
    pub destination: Option<Destination>,
    pub prompt: Option<String>,
    /// Prepended to the caller's display name.
    pub prefix: Option<String>,
}

const MAX_DID_HOPS: usize = 8;

#[derive(Default)]
pub struct RoutingTable {
    dids: HashMap<String, DidRoute>,
    /// Other spellings of a DID (`+34917374206` for `917374206`) -> the configured number.
    spellings: HashMap<String, String>,
}

impl RoutingTable {
    pub fn insert(&mut self, route: DidRoute) {
        self.dids.insert(route.number.clone(), route);
    }

    /// Another way the network writes a configured DID (national, E.164...).
    pub fn add_spelling(&mut self, spelling: String, number: &str) {
        if spelling != number && !self.dids.contains_key(&spelling) {
            self.spellings.insert(spelling, number.to_string());
        }
    }

    pub fn did(&self, number: &str) -> Option<&DidRoute> {
        self.dids
            .get(number)
            .or_else(|| self.spellings.get(number).and_then(|n| self.dids.get(n)))
    }

    pub fn len(&self) -> usize {
        self.dids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.dids.is_empty()
    }

    /// Routes a call to `did` from `caller` at `unix_ms` (UTC). `None` when the DID is unknown.
    pub fn route(&self, did: &str, caller: &str, unix_ms: i64) -> Option<Routed> {
        let first = self.did(did)?;
        let mut routed = Routed {
            tenant_id: first.tenant_id,
            steps: Vec::new(),
            destination: None,
            prompt: None,
            prefix: None,
        };
        let mut current = first;
        for _ in 0..MAX_DID_HOPS {
            let local = local_time(unix_ms, current.timezone);
            let (next, forwarded, evaluation) = match &current.forward {
                Some(dest) => (
                    Some(dest.clone()),
                    true,
                    Evaluation {
                        matched: None,
                        rejected: Vec::new(),
                    },
                ),
                None => {
                    let evaluation = evaluate(&current.rules, &local, caller);
                    let next = evaluation.matched.map(|i| {
                        let rule = &current.rules[i];
                        if routed.prompt.is_none() {
                            routed.prompt = rule.prompt.clone();
                        }
                        if let Some(p) = rule.prefix.as_ref().filter(|p| !p.is_empty()) {
                            routed.prefix = Some(match routed.prefix.take() {
                                Some(earlier) => format!("{earlier}{p}"),
                                None => p.clone(),
                            });
                        }
                        rule.destination.clone()
                    });
                    (next, false, evaluation)
                }
            };
            routed.steps.push(Step {
                did: current.number.clone(),
                local,
                forwarded,
                evaluation,
            });
            match next {
                Some(Destination::Did(number)) => match self.did(&number) {
                    // Never cross into another tenant's DID.
                    Some(d) if d.tenant_id == routed.tenant_id => current = d,
                    _ => return Some(routed),
                },
                other => {
                    routed.destination = other;
                    return Some(routed);
                }
            }
        }
        Some(routed)
    }
}

/// The civil time of `unix_ms` in `tz`, as route rules see it.
pub fn local_time(unix_ms: i64, tz: Tz) -> LocalTime {
    let utc = chrono::DateTime::from_timestamp_millis(unix_ms).unwrap_or_default();
    let t = tz.from_utc_datetime(&utc.naive_utc());
    LocalTime {
        year: t.year(),
        month: t.month(),
        day: t.day(),
        weekday: t.weekday().number_from_monday(),
        time: TimeOfDay(u16::try_from(t.hour() * 60 + t.minute()).unwrap_or(0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::RuleText;

    fn rule(
        order: u32,
        weekday: &str,
        start: &str,
        end: &str,
        dest: Destination,
    ) -> Rule<Destination> {
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
            Some("VENTAS ".into()),
            String::new(),
        )
        .unwrap()
    }

    fn ms(y: i32, mo: u32, d: u32, h: u32, mi: u32, tz: Tz) -> i64 {
        tz.with_ymd_and_hms(y, mo, d, h, mi, 0)
            .unwrap()
            .timestamp_millis()
    }

    fn table() -> RoutingTable {
        let mut t = RoutingTable::default();
        t.insert(DidRoute {
            tenant_id: 20191,
            number: "917374206".into(),
            timezone: chrono_tz::Europe::Madrid,
            forward: None,
            rules: vec![
                rule(
                    1,
                    "[1-5]",
                    "09:00",
                    "18:00",
                    Destination::Extension("ext2019110".into()),
                ),
                rule(
                    2,
                    ".",
                    "00:00",
                    "23:59",
                    Destination::Did("917374207".into()),
                ),
            ],
        });
        t.insert(DidRoute {
            tenant_id: 20191,
            number: "917374207".into(),
            timezone: chrono_tz::Europe::Madrid,
            forward: None,
            rules: vec![rule(
                1,
                ".",
                "20:00",
                "08:00",
                Destination::Voicemail("700".into()),
            )],
        });
        t
    }

    #[test]
    fn time_zone_and_did_chain() {
        let t = table();
        let madrid = chrono_tz::Europe::Madrid;
        // Wednesday 2026-12-23 10:00 in Madrid is 09:00 UTC.
        let r = t
            .route("917374206", "600", ms(2026, 12, 23, 10, 0, madrid))
            .unwrap();
        assert_eq!(
            r.destination,
            Some(Destination::Extension("ext2019110".into()))
        );
        assert_eq!(r.prefix.as_deref(), Some("VENTAS "));
        // Saturday 21:00: rule 1 fails on weekday, rule 2 sends to the other DID, night rule wins.
        let r = t
            .route("917374206", "600", ms(2026, 12, 26, 21, 0, madrid))
            .unwrap();
        assert_eq!(r.steps.len(), 2);
        assert_eq!(r.destination, Some(Destination::Voicemail("700".into())));
        // Saturday 12:00: the second DID has no matching rule.
        let r = t
            .route("917374206", "600", ms(2026, 12, 26, 12, 0, madrid))
            .unwrap();
        assert_eq!(r.destination, None);
        assert!(t.route("000", "600", 0).is_none());
    }

    #[test]
    fn unconditional_forward_bypasses_rules_and_loops_end() {
        let mut t = table();
        t.insert(DidRoute {
            tenant_id: 20191,
            number: "1".into(),
            timezone: chrono_tz::UTC,
            forward: Some(Destination::Did("2".into())),
            rules: vec![],
        });
        t.insert(DidRoute {
            tenant_id: 20191,
            number: "2".into(),
            timezone: chrono_tz::UTC,
            forward: Some(Destination::Did("1".into())),
            rules: vec![],
        });
        let r = t.route("1", "x", 0).unwrap();
        assert_eq!(r.destination, None);
        assert_eq!(r.steps.len(), MAX_DID_HOPS);
        assert!(r.steps[0].forwarded);
    }
}
