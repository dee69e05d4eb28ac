//! Which members one ring step of one caller rings, per strategy. Pure: the machine says who is
//! eligible right now (available, not in wrap-up, not ringing for another caller) and keeps the
//! caller's position between steps in a [`Cursor`].
use super::config::{QueueConfig, Strategy};

/// Where a caller is in the strategy's cycle.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Linear and round robin: members already rung in this round. When every eligible member
    /// has been tried the round starts again, so a caller keeps cycling until answered.
    pub tried: Vec<String>,
    /// Group order: index (in ascending priority) of the group the next step starts looking at.
    pub group: usize,
}

/// The users of the next step in configured order, advancing `cursor`; empty (and `cursor`
/// untouched) when no eligible member fits.
pub fn choose(
    config: &QueueConfig,
    eligible: &dyn Fn(&str) -> bool,
    cursor: &mut Cursor,
    last_answerer: Option<&str>,
) -> Vec<String> {
    match config.strategy {
        Strategy::RingAll => config
            .members
            .iter()
            .filter(|m| eligible(&m.user))
            .map(|m| m.user.clone())
            .collect(),
        Strategy::Linear => one_by_one(config, eligible, cursor, 0),
        Strategy::RoundRobin => {
            // Start just after the agent who took the last call, which puts that agent at the
            // end of the round: skipped while anyone else can take the call, never starved.
            let start = last_answerer
                .and_then(|u| config.members.iter().position(|m| m.user == u))
                .map_or(0, |i| i + 1);
            one_by_one(config, eligible, cursor, start)
        }
        Strategy::GroupOrder => by_group(config, eligible, cursor),
    }
}

fn one_by_one(
    config: &QueueConfig,
    eligible: &dyn Fn(&str) -> bool,
    cursor: &mut Cursor,
    start: usize,
) -> Vec<String> {
    let n = config.members.len();
    let order = (0..n).map(|k| &config.members[(start + k) % n].user);
    let mut first_eligible = None;
    for user in order {
        if !eligible(user) {
            continue;
        }
        if !cursor.tried.iter().any(|t| t == user) {
            cursor.tried.push(user.clone());
            return vec![user.clone()];
        }
        first_eligible.get_or_insert(user);
    }
    // Everyone eligible was tried this round: a new round starts with the first of them.
    match first_eligible {
        Some(user) => {
            cursor.tried = vec![user.clone()];
            vec![user.clone()]
        }
        None => Vec::new(),
    }
}

fn by_group(
    config: &QueueConfig,
    eligible: &dyn Fn(&str) -> bool,
    cursor: &mut Cursor,
) -> Vec<String> {
    let mut groups: Vec<u32> = config.members.iter().map(|m| m.priority).collect();
    groups.sort_unstable();
    groups.dedup();
    let count = groups.len();
    for k in 0..count {
        let g = (cursor.group + k) % count;
        let users: Vec<String> = config
            .members
            .iter()
            .filter(|m| m.priority == groups[g] && eligible(&m.user))
            .map(|m| m.user.clone())
            .collect();
        if !users.is_empty() {
            // A group with nobody free is skipped at once: waiting a whole step on it would only
            // delay the caller.
            cursor.group = (g + 1) % count;
            return users;
        }
    }
    Vec::new()
}
