//! Which call (and what for) each of our client transactions belongs to, with the reverse index
//! so that forgetting a call removes exactly its own entries instead of scanning every entry of
//! every call (that scan ran once per call end, on the set-up hot path).
use super::ClientPurpose;
use sip::transaction::ClientTxKey;
use std::collections::HashMap;

#[derive(Default)]
pub(super) struct ClientIndex {
    by_key: HashMap<ClientTxKey, (u64, ClientPurpose)>,
    by_call: HashMap<u64, Vec<ClientTxKey>>,
}

impl ClientIndex {
    pub(super) fn insert(&mut self, key: ClientTxKey, (call, purpose): (u64, ClientPurpose)) {
        self.by_call.entry(call).or_default().push(key.clone());
        self.by_key.insert(key, (call, purpose));
    }

    pub(super) fn get(&self, key: &ClientTxKey) -> Option<&(u64, ClientPurpose)> {
        self.by_key.get(key)
    }

    pub(super) fn remove(&mut self, key: &ClientTxKey) -> Option<(u64, ClientPurpose)> {
        self.by_key.remove(key)
    }

    /// Drops every entry of `call` (its transactions may still answer; their lookups miss).
    pub(super) fn forget_call(&mut self, call: u64) {
        for key in self.by_call.remove(&call).unwrap_or_default() {
            if self.by_key.get(&key).is_some_and(|(c, _)| *c == call) {
                self.by_key.remove(&key);
            }
        }
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_key.len() + self.by_call.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sip::message::Method;
    use sip::transaction::{Peer, TimerConfig, TransactionLayer, TransportKind};

    /// Real keys from a transaction layer (the key type is opaque).
    fn keys(n: usize) -> Vec<ClientTxKey> {
        let mut layer = TransactionLayer::new(TimerConfig::default());
        let peer = Peer {
            transport: TransportKind::Udp,
            addr: "127.0.0.1:5060".parse().unwrap(),
        };
        (0..n)
            .map(|i| {
                let mut headers = sip::message::Headers::new();
                headers.push(
                    sip::message::HeaderName::Via,
                    format!("SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKidx{i}"),
                );
                headers.push(sip::message::HeaderName::CSeq, "1 OPTIONS");
                let req = sip::message::Request {
                    method: Method::Options,
                    uri: sip::Uri::sip(None, "127.0.0.1", None),
                    headers,
                    body: Vec::new(),
                };
                layer.send_request(req, peer, std::time::Instant::now())
            })
            .collect()
    }

    #[test]
    fn forgetting_a_call_removes_only_its_entries() {
        let k = keys(3);
        let mut index = ClientIndex::default();
        index.insert(k[0].clone(), (1, ClientPurpose::Fire));
        index.insert(k[1].clone(), (1, ClientPurpose::Fork(0)));
        index.insert(k[2].clone(), (2, ClientPurpose::Fire));
        assert!(index.remove(&k[0]).is_some());
        index.forget_call(1);
        assert!(index.get(&k[1]).is_none());
        assert!(index.get(&k[2]).is_some(), "another call's entry stays");
        index.forget_call(2);
        assert_eq!(index.len(), 0, "nothing left behind");
    }
}
