use super::render::well_formed;
use super::*;
use proptest::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone)]
enum Op {
    Subscribe {
        dialog: usize,
        /// 0: initial (no To tag), 1: the tag we gave, 2: a wrong tag.
        to_tag: u8,
        cseq: u32,
        expires: Option<&'static str>,
        contact: u16,
        account: usize,
        target: usize,
    },
    /// Extension `target` now has `calls` calls, all in `state`.
    Change {
        target: usize,
        calls: usize,
        state: usize,
    },
    Respond {
        which: usize,
        status: u16,
    },
    TimedOut(usize),
    Remove(usize),
    Advance(u64),
}

fn op() -> impl Strategy<Value = Op> {
    let expires = prop_oneof![
        Just(None),
        Just(Some("0")),
        Just(Some("30")),
        Just(Some("600")),
        Just(Some("4000")),
        Just(Some("x")),
    ];
    prop_oneof![
        4 => (0usize..24, 0u8..3, 0u32..6, expires, 0u16..4, 0usize..5, 0usize..TARGETS.len())
            .prop_map(|(dialog, to_tag, cseq, expires, contact, account, target)| Op::Subscribe {
                dialog, to_tag, cseq, expires, contact, account, target,
            }),
        3 => (0usize..3, 0usize..5, 0usize..STATES.len())
            .prop_map(|(target, calls, state)| Op::Change { target, calls, state }),
        2 => (0usize..64, prop_oneof![Just(100u16), Just(200), Just(401), Just(481), Just(500)])
            .prop_map(|(which, status)| Op::Respond { which, status }),
        1 => (0usize..64).prop_map(Op::TimedOut),
        1 => (0usize..3).prop_map(Op::Remove),
        1 => (0u64..2000).prop_map(Op::Advance),
    ]
}

const ACCOUNTS: [&str; 5] = ["ext1201", "ext1202", "ext1203", "ext2201", "ext1201"];
/// Request-URI users: numbers of tenant 1, a username of tenant 2, an unknown number.
const TARGETS: [&str; 5] = ["202", "203", "204", "ext2201", "299"];
const STATES: [DialogState; 5] = [
    DialogState::Trying,
    DialogState::Proceeding,
    DialogState::Early,
    DialogState::Confirmed,
    DialogState::Terminated,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_sequence_keeps_the_table_consistent(ops in proptest::collection::vec(op(), 1..120)) {
        let mut f = fixture();
        let mut config = PresenceConfig::new(f.peer.addr);
        config.max_per_account = 3;
        config.max_per_extension = 4;
        config.max_total = 6;
        config.max_dialogs = 3;
        f.subs = Subscriptions::new(config);
        let mut tags: HashMap<usize, String> = HashMap::new();
        let mut keys: Vec<ClientTxKey> = Vec::new();
        // Per subscription dialog (Call-ID): last document version and CSeq seen.
        let mut last: HashMap<String, (u32, u32)> = HashMap::new();
        for op in ops {
            let sent: Vec<Notify> = match op {
                Op::Subscribe { dialog, to_tag, cseq, expires, contact, account, target } => {
                    let tag = match to_tag {
                        0 => None,
                        1 => tags.get(&dialog).cloned(),
                        _ => Some("wrong".to_string()),
                    };
                    let contact = format!("Contact: <sip:p@127.0.0.1:{}>", 5000 + contact);
                    let expires = expires.map(|e| format!("Expires: {e}")).unwrap_or_default();
                    let req = subscribe_to(
                        TARGETS[target], &format!("d{dialog}"), tag.as_deref(), cseq,
                        &[&contact, &expires],
                    );
                    let out = f.handle_as(ACCOUNTS[account], &req);
                    if out.response.status == 200 {
                        prop_assert!(out.notify.len() <= 1);
                        if let Some(t) = out.response.to_tag() {
                            tags.insert(dialog, t);
                        }
                    } else {
                        prop_assert!(out.notify.is_empty());
                    }
                    out.notify
                }
                Op::Change { target, calls, state } => {
                    let views: Vec<DialogView> = (0..calls)
                        .map(|i| with_state(ringing(&format!("call{i}")), STATES[state]))
                        .collect();
                    f.set(TARGETS[target], &views)
                }
                Op::Respond { which, status } => match keys.get(which) {
                    Some(key) => f.subs
                        .handle_notify_response(key, status, f.now, &mut f.ids)
                        .unwrap_or_default(),
                    None => Vec::new(),
                },
                Op::TimedOut(which) => {
                    if let Some(key) = keys.get(which) {
                        f.subs.handle_notify_timeout(key);
                    }
                    Vec::new()
                }
                Op::Remove(target) => {
                    let gone = f.subs.remove_extension(&ext(1, TARGETS[target]), f.now, &mut f.ids);
                    prop_assert!(!f.subs.is_watched(&ext(1, TARGETS[target])));
                    gone
                }
                Op::Advance(secs) => {
                    f.now += Duration::from_secs(secs);
                    let ended = match f.subs.poll_timeout() {
                        Some(due) if due <= f.now => f.subs.handle_timeout(f.now, &mut f.ids),
                        _ => Vec::new(),
                    };
                    prop_assert!(f.subs.poll_timeout().is_none_or(|due| due > f.now));
                    ended
                }
            };
            for n in &sent {
                let call_id = n.request.call_id().unwrap_or_default().to_string();
                let (v, cseq) = (version(n), n.request.cseq().unwrap().seq);
                match last.get(&call_id) {
                    Some(&(lv, lc)) if v != 0 => {
                        prop_assert_eq!(v, lv + 1, "versions step by one");
                        prop_assert_eq!(cseq, lc + 1);
                    }
                    _ => prop_assert_eq!((v, cseq), (0, 1), "a new subscription starts at 0"),
                }
                last.insert(call_id, (v, cseq));
                let doc = body(n);
                well_formed(&doc);
                prop_assert!(states(n).len() <= 3);
                keys.push(f.send(n));
            }
            f.subs.check_invariants();
            for s in f.subs.subs.values() {
                // Never a subscription across tenants or to nothing.
                prop_assert_eq!(f.dir.tenant_of(&s.account), Some(s.extension.tenant_id));
                prop_assert!(s.extension.extension != "299");
            }
        }
    }
}
