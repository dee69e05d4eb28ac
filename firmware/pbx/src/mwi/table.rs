//! The subscription table: SUBSCRIBE handling, change fan-out, NOTIFY outcomes and expiry.
use super::dialog::{SubState, Subscription};
use super::request::{self, Parsed, Scope, SubscribeError};
use super::{
    MailboxKey, MailboxLookup, MwiConfig, Notify, SubscribeOutcome, Summary, EVENT_PACKAGE,
};
use crate::ids::Ids;
use sip::builder::reason_phrase;
use sip::message::{HeaderName, Method, Request, Response, SipHeaders};
use sip::transaction::{ClientTxKey, Peer};
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

type SubId = u64;

pub struct Subscriptions {
    config: MwiConfig,
    subs: HashMap<SubId, Subscription>,
    /// (Call-ID, subscriber's tag) → subscription: how a refresh finds its dialog.
    dialogs: HashMap<(String, String), SubId>,
    by_mailbox: HashMap<MailboxKey, Vec<SubId>>,
    by_account: HashMap<String, Vec<SubId>>,
    /// Branch of the NOTIFY in flight → subscription, to route its response or timeout.
    by_branch: HashMap<String, SubId>,
    expiry: BTreeSet<(Instant, SubId)>,
    next_id: SubId,
}

impl Subscriptions {
    pub fn new(config: MwiConfig) -> Subscriptions {
        Subscriptions {
            config,
            subs: HashMap::new(),
            dialogs: HashMap::new(),
            by_mailbox: HashMap::new(),
            by_account: HashMap::new(),
            by_branch: HashMap::new(),
            expiry: BTreeSet::new(),
            next_id: 1,
        }
    }

    pub fn len(&self) -> usize {
        self.subs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.subs.is_empty()
    }

    /// Live subscriptions watching `mailbox`.
    pub fn watching(&self, mailbox: &MailboxKey) -> usize {
        self.by_mailbox.get(mailbox).map_or(0, Vec::len)
    }

    /// Whether `req` (Call-ID + From tag) belongs to one of the live subscription dialogs: lets
    /// the endpoint route an in-dialog SUBSCRIBE here rather than to the calls.
    pub fn has_dialog(&self, req: &Request) -> bool {
        let (Some(call_id), Some(from)) = (req.call_id(), req.from_header()) else {
            return false;
        };
        let Some(tag) = from.tag() else {
            return false;
        };
        self.dialogs
            .contains_key(&(call_id.to_string(), tag.to_string()))
    }

    /// An authenticated SUBSCRIBE (initial or refresh) of `account_username`, received from
    /// `source`. Never fails: refusals come back as the error response to send.
    pub fn handle_subscribe(
        &mut self,
        req: &Request,
        account_username: &str,
        lookup: &dyn MailboxLookup,
        source: Peer,
        now: Instant,
        ids: &mut Ids,
    ) -> SubscribeOutcome {
        let result = request::parse(req).and_then(|parsed| {
            let dialog = (parsed.call_id.clone(), parsed.from_tag.clone());
            match (self.dialogs.get(&dialog).copied(), &parsed.to_tag) {
                (Some(id), to_tag) => {
                    let ours = self.subs.get(&id).map(|s| s.local_tag.as_str());
                    if to_tag.as_deref().is_some_and(|t| Some(t) != ours) {
                        return Err(SubscribeError::UnknownDialog);
                    }
                    // An initial SUBSCRIBE matching a live dialog is a retransmission that
                    // outlived its transaction: answer it like a refresh, with the same tag.
                    self.refresh(id, req, &parsed, account_username, lookup, source, now, ids)
                }
                (None, Some(_)) => Err(SubscribeError::UnknownDialog),
                (None, None) => {
                    self.create(req, parsed, account_username, lookup, source, now, ids)
                }
            }
        });
        result.unwrap_or_else(|error| {
            tracing::debug!(%error, account = account_username, "SUBSCRIBE refused");
            SubscribeOutcome {
                response: refusal(req, &error, self.config.retry_after_secs, ids),
                notify: Vec::new(),
            }
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        req: &Request,
        parsed: Parsed,
        account: &str,
        lookup: &dyn MailboxLookup,
        source: Peer,
        now: Instant,
        ids: &mut Ids,
    ) -> Result<SubscribeOutcome, SubscribeError> {
        let requested = req.uri.user_unescaped();
        let mailbox = lookup
            .mailbox(account, requested.as_deref())
            .ok_or(SubscribeError::NoMailbox)?;
        let contact = parsed.contact.ok_or(SubscribeError::MissingContact)?;
        let local_tag = ids.tag();
        let granted = self.grant(parsed.expires);
        let mut sub = Subscription {
            account: account.to_string(),
            message_account: message_account(&mailbox, req, &self.config),
            summary: lookup.summary(&mailbox),
            mailbox,
            call_id: parsed.call_id,
            remote_tag: parsed.from_tag,
            local_header: format!("{};tag={local_tag}", parsed.to),
            local_tag,
            remote_header: parsed.from,
            remote_target: contact,
            route_set: parsed.record_route,
            peer: source,
            event: parsed.event,
            expires_at: now + Duration::from_secs(u64::from(granted)),
            remote_cseq: parsed.cseq,
            local_cseq: 0,
            in_flight: None,
            dirty: false,
        };
        let response = accepted(req, &sub.local_tag, granted, &self.config);
        if granted == 0 {
            // A fetch (RFC 6665 §4.4.3): one NOTIFY with the state, no subscription kept.
            let notify = sub.notify(
                SubState::Terminated("timeout"),
                now,
                self.config.sip_addr,
                ids,
            );
            return Ok(SubscribeOutcome {
                response,
                notify: vec![notify],
            });
        }
        self.replace_duplicate(&sub);
        self.check_caps(&sub.account, &sub.mailbox)?;
        let id = self.insert(sub);
        Ok(SubscribeOutcome {
            response,
            notify: self
                .send(id, SubState::Active, now, ids)
                .into_iter()
                .collect(),
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn refresh(
        &mut self,
        id: SubId,
        req: &Request,
        parsed: &Parsed,
        account: &str,
        lookup: &dyn MailboxLookup,
        source: Peer,
        now: Instant,
        ids: &mut Ids,
    ) -> Result<SubscribeOutcome, SubscribeError> {
        let granted = self.grant(parsed.expires);
        let stale = self.config.notify_timeout;
        let sub = self
            .subs
            .get_mut(&id)
            .ok_or(SubscribeError::UnknownDialog)?;
        if sub.account != account {
            return Err(SubscribeError::WrongAccount);
        }
        if parsed.cseq < sub.remote_cseq {
            return Err(SubscribeError::OutOfOrder {
                got: parsed.cseq,
                last: sub.remote_cseq,
            });
        }
        sub.remote_cseq = parsed.cseq;
        sub.peer = source;
        if let Some(contact) = &parsed.contact {
            sub.remote_target = contact.clone();
        }
        sub.summary = lookup.summary(&sub.mailbox);
        let response = accepted(req, &sub.local_tag, granted, &self.config);
        if granted == 0 {
            let notify = self.send(id, SubState::Terminated("timeout"), now, ids);
            self.remove(id);
            return Ok(SubscribeOutcome {
                response,
                notify: notify.into_iter().collect(),
            });
        }
        let old_expiry = sub.expires_at;
        sub.expires_at = now + Duration::from_secs(u64::from(granted));
        let new_expiry = sub.expires_at;
        // RFC 6665 §4.2.1.2: a refresh is followed by a NOTIFY of the current state, unless
        // one is still in flight; then it follows that one (with these counts).
        let send_now = sub.can_send(now, stale);
        sub.dirty = !send_now;
        self.expiry.remove(&(old_expiry, id));
        self.expiry.insert((new_expiry, id));
        let notify = match send_now {
            true => self.send(id, SubState::Active, now, ids),
            false => None,
        };
        Ok(SubscribeOutcome {
            response,
            notify: notify.into_iter().collect(),
        })
    }

    /// The counts of `mailbox` changed: one NOTIFY per live subscription on it (deferred for a
    /// dialog whose previous NOTIFY is still unanswered).
    pub fn notify_all(
        &mut self,
        mailbox: &MailboxKey,
        summary: Summary,
        now: Instant,
        ids: &mut Ids,
    ) -> Vec<Notify> {
        let ids_on_box = self.by_mailbox.get(mailbox).cloned().unwrap_or_default();
        let mut out = Vec::with_capacity(ids_on_box.len());
        for id in ids_on_box {
            let Some(sub) = self.subs.get_mut(&id) else {
                continue;
            };
            sub.summary = summary;
            if sub.expires_at <= now {
                continue; // handle_timeout ends it
            }
            if sub.can_send(now, self.config.notify_timeout) {
                out.extend(self.send(id, SubState::Active, now, ids));
            } else {
                sub.dirty = true;
            }
        }
        out
    }

    /// The box is gone (removed from the configuration): its subscriptions end with
    /// `terminated;reason=noresource`.
    pub fn remove_mailbox(
        &mut self,
        mailbox: &MailboxKey,
        now: Instant,
        ids: &mut Ids,
    ) -> Vec<Notify> {
        let on_box = self.by_mailbox.get(mailbox).cloned().unwrap_or_default();
        self.terminate_all(on_box, "noresource", now, ids)
    }

    /// A response to a NOTIFY this table sent. `None`: the transaction is not ours (pass it on).
    /// `Some(notifies)`: handled; `notifies` holds a deferred NOTIFY to send now, if any.
    /// RFC 6665 §4.2.2 / RFC 5057 §5.1: responses saying the dialog is gone remove it.
    pub fn handle_notify_response(
        &mut self,
        key: &ClientTxKey,
        status: u16,
        now: Instant,
        ids: &mut Ids,
    ) -> Option<Vec<Notify>> {
        if key.method() != &Method::Notify {
            return None;
        }
        let id = *self.by_branch.get(key.branch())?;
        if status < 200 {
            return Some(Vec::new());
        }
        self.by_branch.remove(key.branch());
        if ends_dialog(status) {
            tracing::debug!(status, "NOTIFY refused: subscription removed");
            self.remove(id);
            return Some(Vec::new());
        }
        let sub = self.subs.get_mut(&id)?;
        sub.in_flight = None;
        if !sub.dirty || sub.expires_at <= now {
            return Some(Vec::new());
        }
        Some(
            self.send(id, SubState::Active, now, ids)
                .into_iter()
                .collect(),
        )
    }

    /// A NOTIFY transaction timed out (Timer F or a transport error): the subscriber is gone, the
    /// subscription is removed (RFC 6665 §4.2.2). `false`: not one of ours.
    pub fn handle_notify_timeout(&mut self, key: &ClientTxKey) -> bool {
        if key.method() != &Method::Notify {
            return false;
        }
        match self.by_branch.remove(key.branch()) {
            Some(id) => {
                self.remove(id);
                true
            }
            None => false,
        }
    }

    /// The next subscription expiry.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.expiry.first().map(|(at, _)| *at)
    }

    /// Ends expired subscriptions with a final `terminated;reason=timeout` NOTIFY each.
    pub fn handle_timeout(&mut self, now: Instant, ids: &mut Ids) -> Vec<Notify> {
        let mut due = Vec::new();
        while let Some(&(at, id)) = self.expiry.first() {
            if at > now {
                break;
            }
            self.expiry.pop_first();
            due.push(id);
        }
        self.terminate_all(due, "timeout", now, ids)
    }

    fn terminate_all(
        &mut self,
        ids_to_end: Vec<SubId>,
        reason: &'static str,
        now: Instant,
        ids: &mut Ids,
    ) -> Vec<Notify> {
        let mut out = Vec::with_capacity(ids_to_end.len());
        for id in ids_to_end {
            out.extend(self.send(id, SubState::Terminated(reason), now, ids));
            self.remove(id);
        }
        out
    }

    /// Requested expiry clamped to the configured range; 0 stays 0 (unsubscribe / fetch).
    fn grant(&self, requested: Option<u32>) -> u32 {
        match requested {
            Some(0) => 0,
            Some(secs) => secs.clamp(self.config.min_expires, self.config.max_expires),
            None => self.config.default_expires,
        }
    }

    /// Drops an older subscription of the same account, box and Contact: the phone lost its
    /// dialog (reboot) and started a new one; keeping both would only waste a slot.
    fn replace_duplicate(&mut self, new: &Subscription) {
        let duplicate = self.by_account.get(&new.account).and_then(|list| {
            list.iter().copied().find(|id| {
                self.subs.get(id).is_some_and(|s| {
                    s.mailbox == new.mailbox
                        && s.remote_target == new.remote_target
                        && s.event == new.event
                })
            })
        });
        if let Some(id) = duplicate {
            self.remove(id);
        }
    }

    fn check_caps(&self, account: &str, mailbox: &MailboxKey) -> Result<(), SubscribeError> {
        let scope = if self.subs.len() >= self.config.max_total {
            Scope::Total
        } else if self.by_account.get(account).map_or(0, Vec::len) >= self.config.max_per_account {
            Scope::Account
        } else if self.watching(mailbox) >= self.config.max_per_box {
            Scope::Mailbox
        } else {
            return Ok(());
        };
        Err(SubscribeError::TooMany { scope })
    }

    /// Builds the next NOTIFY of subscription `id` and keeps the branch index in step: the
    /// previous in-flight branch (if any) is forgotten, an active NOTIFY's branch is recorded.
    fn send(&mut self, id: SubId, state: SubState, now: Instant, ids: &mut Ids) -> Option<Notify> {
        let sub = self.subs.get_mut(&id)?;
        if let Some(old) = sub.in_flight.take() {
            self.by_branch.remove(&old.branch);
        }
        let notify = sub.notify(state, now, self.config.sip_addr, ids);
        if let Some(flight) = &sub.in_flight {
            self.by_branch.insert(flight.branch.clone(), id);
        }
        Some(notify)
    }

    fn insert(&mut self, sub: Subscription) -> SubId {
        let id = self.next_id;
        self.next_id += 1;
        self.dialogs
            .insert((sub.call_id.clone(), sub.remote_tag.clone()), id);
        self.by_mailbox
            .entry(sub.mailbox.clone())
            .or_default()
            .push(id);
        self.by_account
            .entry(sub.account.clone())
            .or_default()
            .push(id);
        self.expiry.insert((sub.expires_at, id));
        self.subs.insert(id, sub);
        id
    }

    fn remove(&mut self, id: SubId) {
        let Some(sub) = self.subs.remove(&id) else {
            return;
        };
        self.dialogs
            .remove(&(sub.call_id.clone(), sub.remote_tag.clone()));
        detach(&mut self.by_mailbox, &sub.mailbox, id);
        detach(&mut self.by_account, &sub.account, id);
        self.expiry.remove(&(sub.expires_at, id));
        if let Some(flight) = &sub.in_flight {
            self.by_branch.remove(&flight.branch);
        }
    }
}

#[cfg(test)]
impl Subscriptions {
    /// Every index agrees with the table (checked by the property tests after each step).
    pub(super) fn check_invariants(&self) {
        assert_eq!(self.dialogs.len(), self.subs.len());
        assert_eq!(self.expiry.len(), self.subs.len());
        let on_boxes: usize = self.by_mailbox.values().map(Vec::len).sum();
        let on_accounts: usize = self.by_account.values().map(Vec::len).sum();
        assert_eq!(on_boxes, self.subs.len());
        assert_eq!(on_accounts, self.subs.len());
        assert!(self.subs.len() <= self.config.max_total);
        for (id, s) in &self.subs {
            let dialog = (s.call_id.clone(), s.remote_tag.clone());
            assert_eq!(self.dialogs.get(&dialog), Some(id));
            assert!(self.expiry.contains(&(s.expires_at, *id)));
            assert!(self.by_mailbox[&s.mailbox].contains(id));
            assert!(self.by_account[&s.account].contains(id));
            assert!(self.by_account[&s.account].len() <= self.config.max_per_account);
            assert!(self.by_mailbox[&s.mailbox].len() <= self.config.max_per_box);
        }
        let flying = self.subs.values().filter(|s| s.in_flight.is_some()).count();
        assert_eq!(flying, self.by_branch.len());
        for (branch, id) in &self.by_branch {
            let flight = self.subs[id].in_flight.as_ref().map(|f| f.branch.as_str());
            assert_eq!(flight, Some(branch.as_str()));
        }
    }
}

fn detach<K: std::hash::Hash + Eq + Clone>(map: &mut HashMap<K, Vec<SubId>>, key: &K, id: SubId) {
    if let Some(list) = map.get_mut(key) {
        list.retain(|x| *x != id);
        if list.is_empty() {
            map.remove(key);
        }
    }
}

/// RFC 5057 §5.1: the responses to a NOTIFY that end its dialog usage, plus 408 (no answer).
fn ends_dialog(status: u16) -> bool {
    matches!(
        status,
        404 | 405 | 408 | 410 | 416 | 480..=485 | 489 | 501 | 604
    )
}

/// `sip:<box>@<the domain the phone addressed>`; a non-SIP Request-URI falls back to the box's
/// own address so the body stays a SIP URI.
fn message_account(mailbox: &MailboxKey, req: &Request, config: &MwiConfig) -> String {
    match req.uri.is_sip() {
        true => format!("sip:{}@{}", mailbox.number, req.uri.host),
        false => match config.sip_addr {
            std::net::SocketAddr::V4(a) => format!("sip:{}@{}", mailbox.number, a.ip()),
            std::net::SocketAddr::V6(a) => format!("sip:{}@[{}]", mailbox.number, a.ip()),
        },
    }
}

/// 200 with the granted Expires and our Contact (the target of later refreshes).
fn accepted(req: &Request, local_tag: &str, granted: u32, config: &MwiConfig) -> Response {
    let mut resp = Response::for_request(req, 200, "OK", Some(local_tag));
    resp.headers.push(HeaderName::Expires, granted.to_string());
    let contact = match config.sip_addr {
        std::net::SocketAddr::V4(a) => format!("<sip:centralita@{}:{}>", a.ip(), a.port()),
        std::net::SocketAddr::V6(a) => format!("<sip:centralita@[{}]:{}>", a.ip(), a.port()),
    };
    resp.headers.push(HeaderName::Contact, contact);
    resp
}

fn refusal(req: &Request, error: &SubscribeError, retry_after: u32, ids: &mut Ids) -> Response {
    let status = error.status();
    let mut resp = Response::for_request(req, status, reason_phrase(status), Some(&ids.tag()));
    match error {
        SubscribeError::BadEvent { .. } => resp
            .headers
            .push(HeaderName::Other("Allow-Events".to_string()), EVENT_PACKAGE),
        SubscribeError::NotAcceptable => resp.headers.push(HeaderName::Accept, super::CONTENT_TYPE),
        SubscribeError::TooMany { .. } => resp
            .headers
            .push(HeaderName::RetryAfter, retry_after.to_string()),
        _ => {}
    }
    resp
}
