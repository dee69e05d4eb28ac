//! Forwarding loops: unconditional forwards that lead back to where they started would make
//! a call bounce inside the box forever, so such documents are refused.

use std::collections::HashMap;

use super::model::{Destination, TenantDocument};
use crate::error::Problem;

pub(super) fn loops(doc: &TenantDocument) -> Vec<Problem> {
    let mut problems = Vec::new();

    // DID → DID through `forward` (the rules are time-dependent; only the unconditional
    // forward is certain to loop).
    let did_edges: HashMap<&str, &str> = doc
        .dids
        .iter()
        .filter_map(|d| match &d.forward {
            Some(Destination::Did(to)) => Some((d.id.as_str(), to.as_str())),
            _ => None,
        })
        .collect();
    for (i, d) in doc.dids.iter().enumerate() {
        if let Some(cycle) = cycle_from(&did_edges, &d.id) {
            problems.push(Problem::new(
                format!("dids[{i}].forward"),
                format!("forwards in a loop: {}", cycle.join(" → ")),
            ));
        }
    }

    // User → user through "forward always".
    let user_edges: HashMap<&str, &str> = doc
        .users
        .iter()
        .filter_map(|u| match &u.forward_always {
            Some(Destination::Extension(to)) => Some((u.id.as_str(), to.as_str())),
            _ => None,
        })
        .collect();
    for (i, u) in doc.users.iter().enumerate() {
        if let Some(cycle) = cycle_from(&user_edges, &u.id) {
            problems.push(Problem::new(
                format!("users[{i}].forward_always"),
                format!("forwards in a loop: {}", cycle.join(" → ")),
            ));
        }
        // Busy / no answer forwarding to oneself would ring the same busy phone again.
        for (field, dest) in [
            ("forward_busy", &u.forward_busy),
            ("forward_no_answer", &u.forward_no_answer),
        ] {
            if matches!(dest, Some(Destination::Extension(to)) if *to == u.id) {
                problems.push(Problem::new(
                    format!("users[{i}].{field}"),
                    "a user cannot forward to their own extension",
                ));
            }
        }
    }
    problems
}

/// The path from `start` back to `start`, if following `edges` returns there.
fn cycle_from<'a>(edges: &HashMap<&'a str, &'a str>, start: &'a str) -> Option<Vec<&'a str>> {
    let mut path = vec![start];
    let mut at = start;
    // A path longer than the number of nodes must repeat one; stop there.
    for _ in 0..=edges.len() {
        let next = *edges.get(at)?;
        path.push(next);
        if next == start {
            return Some(path);
        }
        at = next;
    }
    None
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn cycles() {
        let edges: HashMap<&str, &str> =
            [("a", "b"), ("b", "c"), ("c", "a"), ("x", "a"), ("y", "y")]
                .into_iter()
                .collect();
        assert_eq!(cycle_from(&edges, "a").unwrap(), vec!["a", "b", "c", "a"]);
        assert_eq!(
            cycle_from(&edges, "x"),
            None,
            "leads into a loop but is not in it"
        );
        assert_eq!(cycle_from(&edges, "y").unwrap(), vec!["y", "y"]);
        assert_eq!(cycle_from(&edges, "z"), None);
    }
}
