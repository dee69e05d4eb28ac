use super::*;
use proptest::prelude::*;

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
    },
    Change(u32),
    Respond {
        which: usize,
        status: u16,
    },
    TimedOut(usize),
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
        4 => (0usize..24, 0u8..3, 0u32..6, expires, 0u16..4, 0usize..4).prop_map(
            |(dialog, to_tag, cseq, expires, contact, account)| Op::Subscribe {
                dialog, to_tag, cseq, expires, contact, account,
            }
        ),
        1 => (0u32..20).prop_map(Op::Change),
        2 => (0usize..64, prop_oneof![Just(100u16), Just(200), Just(401), Just(481), Just(500)])
            .prop_map(|(which, status)| Op::Respond { which, status }),
        1 => (0usize..64).prop_map(Op::TimedOut),
        1 => (0u64..2000).prop_map(Op::Advance),
    ]
}

const ACCOUNTS: [&str; 4] = ["ext1201", "ext1202", "ext1203", "ext1201"];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_sequence_keeps_the_table_consistent(ops in proptest::collection::vec(op(), 1..120)) {
        let mut f = fixture();
        let mut config = MwiConfig::new(f.peer.addr);
        config.max_per_account = 3;
        config.max_per_box = 5;
        config.max_total = 6;
        f.subs = Subscriptions::new(config);
        let mut tags: HashMap<usize, String> = HashMap::new();
        let mut keys: Vec<ClientTxKey> = Vec::new();
        for op in ops {
            let sent: Vec<Notify> = match op {
                Op::Subscribe { dialog, to_tag, cseq, expires, contact, account } => {
                    let tag = match to_tag {
                        0 => None,
                        1 => tags.get(&dialog).cloned(),
                        _ => Some("wrong".to_string()),
                    };
                    let contact = format!("Contact: <sip:p@127.0.0.1:{}>", 5000 + contact);
                    let expires = expires.map(|e| format!("Expires: {e}")).unwrap_or_default();
                    let req = subscribe(&format!("d{dialog}"), tag.as_deref(), cseq, &[&contact, &expires]);
                    let out = f.subs.handle_subscribe(
                        &req, ACCOUNTS[account], &f.boxes, f.peer, f.now, &mut f.ids,
                    );
                    if out.response.status == 200 {
                        prop_assert_eq!(out.notify.len() <= 1, true);
                        if let Some(t) = out.response.to_tag() {
                            tags.insert(dialog, t);
                        }
                    } else {
                        prop_assert!(out.notify.is_empty());
                    }
                    out.notify
                }
                Op::Change(new) => {
                    f.subs.notify_all(&boxkey("700"), Summary { new, old: 1 }, f.now, &mut f.ids)
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
                keys.push(f.send(n));
            }
            f.subs.check_invariants();
        }
    }
}
