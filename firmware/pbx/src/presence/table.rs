//! The subscription table and SUBSCRIBE handling (initial, refresh, unsubscribe, fetch).
//! Fan-out and outcomes are in `fanout.rs`, index upkeep in `index.rs`.
use super::dialog::{Content, SubState, Subscription};
use super::request::{self, Parsed, SubscribeError};
use super::{
    DialogView, ExtensionKey, PresenceConfig, SubscribeOutcome, WatchLookup, CONTENT_TYPE,
    EVENT_PACKAGE,
};
use crate::ids::Ids;
use sip::builder::reason_phrase;
use sip::message::{HeaderName, Request, Response, SipHeaders};
use sip::transaction::Peer;
use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

pub(super) type SubId = u64;

/// A watched extension: its calls as last reported, and who watches it.
#[derive(Debug, Default)]
pub(super) struct Watched {
    pub dialogs: Vec<DialogView>,
    pub subs: Vec<SubId>,
}

pub struct Subscriptions {
    pub(super) config: PresenceConfig,
    pub(super) subs: HashMap<SubId, Subscription>,
    /// (Call-ID, subscriber's tag) → subscription: how a refresh finds its dialog.
    pub(super) dialogs: HashMap<(String, String), SubId>,
    pub(super) watched: HashMap<ExtensionKey, Watched>,
    pub(super) by_account: HashMap<String, Vec<SubId>>,
    /// Branch of the NOTIFY in flight → subscription, to route its response or timeout.
    pub(super) by_branch: HashMap<String, SubId>,
    pub(super) expiry: BTreeSet<(Instant, SubId)>,
    pub(super) next_id: SubId,
}

impl Subscriptions {
    pub fn new(config: PresenceConfig) -> Subscriptions {
        Subscriptions {
            config,
            subs: HashMap::new(),
            dialogs: HashMap::new(),
            watched: HashMap::new(),
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

    /// Live subscriptions watching `extension`.
    pub fn watching(&self, extension: &ExtensionKey) -> usize {
        self.watched.get(extension).map_or(0, |w| w.subs.len())
    }

    /// Whether anyone watches `extension`: the call side may skip building views otherwise.
    pub fn is_watched(&self, extension: &ExtensionKey) -> bool {
        self.watched.contains_key(extension)
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
        lookup: &dyn WatchLookup,
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
                    self.refresh(id, req, &parsed, account_username, source, now, ids)
                }
                (None, Some(_)) => Err(SubscribeError::UnknownDialog),
                (None, None) => {
                    self.create(req, parsed, account_username, lookup, source, now, ids)
                }
            }
        });
        result.unwrap_or_else(|error| {
            tracing::debug!(%error, account = account_username, "dialog SUBSCRIBE refused");
            SubscribeOutcome {
                response: refusal(req, &error, self.config.retry_after_secs, ids),
                notify: Vec::new(),
            }
        })
    }

    /// Which extension an initial SUBSCRIBE may watch: same tenant only.
    fn target(
        req: &Request,
        account: &str,
        lookup: &dyn WatchLookup,
    ) -> Result<ExtensionKey, SubscribeError> {
        let requested = req.uri.user_unescaped().filter(|u| !u.is_empty());
        let watcher = lookup
            .tenant_of(account)
            .ok_or(SubscribeError::NotAnAccount)?;
        let extension = requested
            .as_deref()
            .and_then(|r| lookup.extension(watcher, r))
            .ok_or_else(|| SubscribeError::NoExtension {
                requested: requested.map(|r| r.chars().take(32).collect()),
            })?;
        if extension.tenant_id != watcher {
            return Err(SubscribeError::OtherTenant {
                watcher,
                target: extension.tenant_id,
            });
        }
        Ok(extension)
    }

    #[allow(clippy::too_many_arguments)]
    fn create(
        &mut self,
        req: &Request,
        parsed: Parsed,
        account: &str,
        lookup: &dyn WatchLookup,
        source: Peer,
        now: Instant,
        ids: &mut Ids,
    ) -> Result<SubscribeOutcome, SubscribeError> {
        let extension = Self::target(req, account, lookup)?;
        let contact = parsed.contact.ok_or(SubscribeError::MissingContact)?;
        let local_tag = ids.tag();
        let granted = self.grant(parsed.expires);
        let mut sub = Subscription {
            account: account.to_string(),
            entity: entity(&extension, req, &self.config),
            extension,
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
            next_version: 0,
            in_flight: None,
            dirty: false,
        };
        let response = accepted(req, &sub.local_tag, granted, &self.config);
        if granted == 0 {
            // A fetch (RFC 6665 §4.4.3): one NOTIFY with the state, no subscription kept.
            let current = match self.watched.get(&sub.extension) {
                Some(w) => w.dialogs.clone(),
                None => self.capped(&lookup.dialogs(&sub.extension)),
            };
            let content = Content {
                current: &current,
                ended: &[],
                max_dialogs: self.config.max_dialogs,
            };
            let notify = sub.notify(
                SubState::Terminated("timeout"),
                content,
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
        self.check_caps(&sub.account, &sub.extension)?;
        let id = self.insert(sub, lookup);
        Ok(SubscribeOutcome {
            response,
            notify: self
                .send(id, SubState::Active, &[], now, ids)
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
        let response = accepted(req, &sub.local_tag, granted, &self.config);
        if granted == 0 {
            let notify = self.send(id, SubState::Terminated("timeout"), &[], now, ids);
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
        // one is still in flight; then it follows that one (with the latest calls).
        let send_now = sub.can_send(now, stale);
        sub.dirty = !send_now;
        self.expiry.remove(&(old_expiry, id));
        self.expiry.insert((new_expiry, id));
        let notify = match send_now {
            true => self.send(id, SubState::Active, &[], now, ids),
            false => None,
        };
        Ok(SubscribeOutcome {
            response,
            notify: notify.into_iter().collect(),
        })
    }

    /// Requested expiry clamped to the configured range; 0 stays 0 (unsubscribe / fetch).
    fn grant(&self, requested: Option<u32>) -> u32 {
        match requested {
            Some(0) => 0,
            Some(secs) => secs.clamp(self.config.min_expires, self.config.max_expires),
            None => self.config.default_expires,
        }
    }

    /// What is kept of a reported call list: see [`kept`].
    pub(super) fn capped(&self, dialogs: &[DialogView]) -> Vec<DialogView> {
        kept(dialogs, self.config.max_dialogs)
    }
}

/// The first `max` calls with distinct ids, in the order given: the rest would not be rendered
/// (memory stays bounded), and a repeated id would make the document invalid (RFC 4235 §4.1.6:
/// ids identify dialogs within it).
pub(super) fn kept(dialogs: &[DialogView], max: usize) -> Vec<DialogView> {
    let mut out: Vec<DialogView> = Vec::with_capacity(dialogs.len().min(max));
    for d in dialogs {
        if out.len() == max {
            break;
        }
        if !out.iter().any(|o| o.id == d.id) {
            out.push(d.clone());
        }
    }
    out
}

/// `sip:<extension>@<the domain the phone addressed>`: phones match the entity against the URI
/// they subscribed to. A non-SIP Request-URI falls back to the box's own address.
fn entity(extension: &ExtensionKey, req: &Request, config: &PresenceConfig) -> String {
    let host = match req.uri.is_sip() {
        true => req.uri.host.clone(),
        false => match config.sip_addr {
            std::net::SocketAddr::V4(a) => a.ip().to_string(),
            std::net::SocketAddr::V6(a) => format!("[{}]", a.ip()),
        },
    };
    format!("sip:{}@{host}", extension.extension)
}

/// 200 with the granted Expires and our Contact (the target of later refreshes).
fn accepted(req: &Request, local_tag: &str, granted: u32, config: &PresenceConfig) -> Response {
    let mut resp = Response::for_request(req, 200, "OK", Some(local_tag));
    resp.headers.push(HeaderName::Expires, granted.to_string());
    resp.headers.push(
        HeaderName::Contact,
        crate::call::contact_value(config.sip_addr),
    );
    resp
}

fn refusal(req: &Request, error: &SubscribeError, retry_after: u32, ids: &mut Ids) -> Response {
    let status = error.status();
    let mut resp = Response::for_request(req, status, reason_phrase(status), Some(&ids.tag()));
    match error {
        SubscribeError::BadEvent { .. } => resp
            .headers
            .push(HeaderName::Other("Allow-Events".to_string()), EVENT_PACKAGE),
        SubscribeError::NotAcceptable => resp.headers.push(HeaderName::Accept, CONTENT_TYPE),
        SubscribeError::TooMany { .. } => resp
            .headers
            .push(HeaderName::RetryAfter, retry_after.to_string()),
        _ => {}
    }
    resp
}
