//! Which agent last answered each caller number ("recordar agente que atiende"). Bounded,
//! because caller numbers come from the network: past the cap the oldest entry goes.
use std::collections::HashMap;

const CAP: usize = 10_000;

#[derive(Debug, Default)]
pub struct StickyAgents {
    by_number: HashMap<String, (String, u64)>,
    seq: u64,
}

impl StickyAgents {
    pub fn remember(&mut self, number: &str, user: &str) {
        // An anonymous caller has no identity to be sticky to.
        if number.is_empty() {
            return;
        }
        if self.by_number.len() >= CAP && !self.by_number.contains_key(number) {
            let oldest = self
                .by_number
                .iter()
                .min_by_key(|(_, (_, seq))| *seq)
                .map(|(n, _)| n.clone());
            if let Some(n) = oldest {
                self.by_number.remove(&n);
            }
        }
        self.seq += 1;
        self.by_number
            .insert(number.to_string(), (user.to_string(), self.seq));
    }

    pub fn agent_for(&self, number: &str) -> Option<&str> {
        self.by_number.get(number).map(|(u, _)| u.as_str())
    }

    /// A user removed from the queue is no longer anyone's sticky agent.
    pub fn forget_user(&mut self, user: &str) {
        self.by_number.retain(|_, (u, _)| u != user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_oldest_goes_first_and_anonymous_is_not_remembered() {
        let mut s = StickyAgents::default();
        s.remember("", "a");
        assert_eq!(s.agent_for(""), None);
        for i in 0..CAP {
            s.remember(&i.to_string(), "a");
        }
        s.remember("0", "b"); // refreshed: now the newest
        s.remember("new", "c");
        assert_eq!(s.by_number.len(), CAP);
        assert_eq!(s.agent_for("0"), Some("b"));
        assert_eq!(s.agent_for("1"), None);
        assert_eq!(s.agent_for("new"), Some("c"));
        s.forget_user("b");
        assert_eq!(s.agent_for("0"), None);
    }
}
