//! Message-waiting indication in the endpoint: SUBSCRIBE (Event: message-summary) is
//! authenticated like REGISTER and handed to [`crate::mwi::Subscriptions`]; NOTIFYs go out as
//! client transactions whose outcomes come back here; a box's count change notifies its watchers.
use super::Pbx;
use crate::auth::{AuthOutcome, ChallengeKind};
use crate::directory::DialTarget;
use crate::mwi::{MailboxKey, MailboxLookup, Notify, Summary};
use sip::message::Request;
use sip::transaction::{ClientTxKey, Peer, ServerTxKey};
use std::time::Instant;

/// Which box a subscriber may watch, from the configuration snapshot and the message index.
struct Lookup<'a> {
    directory: &'a crate::directory::Directory,
    mailboxes: &'a crate::media_config::Mailboxes,
}

impl MailboxLookup for Lookup<'_> {
    fn mailbox(&self, account_username: &str, requested: Option<&str>) -> Option<MailboxKey> {
        let account = self.directory.account(account_username)?;
        let tenant_id = account.tenant_id;
        let mine = |id: &str| {
            self.directory
                .media
                .voicemail(tenant_id, id)
                .filter(|b| b.users.iter().any(|u| u == account_username))
        };
        // A box number the subscriber is a user of; otherwise (its own extension or username, as
        // phones subscribe to themselves) the first of its boxes.
        let by_number = requested.and_then(|r| match self.directory.resolve(tenant_id, r) {
            DialTarget::Voicemail(id) => mine(&id),
            _ => None,
        });
        let def = by_number.or_else(|| {
            self.directory
                .media
                .boxes_of_user(account_username)
                .filter(|b| b.tenant_id == tenant_id)
                .min_by(|a, b| a.number.cmp(&b.number))
        })?;
        Some(MailboxKey {
            tenant_id,
            number: def.number.clone(),
        })
    }

    fn summary(&self, mailbox: &MailboxKey) -> Summary {
        let Some(def) = self
            .directory
            .media
            .voicemail
            .values()
            .find(|b| b.tenant_id == mailbox.tenant_id && b.number == mailbox.number)
        else {
            return Summary::default();
        };
        let list = self
            .mailboxes
            .get(&(def.tenant_id, def.id.clone()))
            .map(Vec::as_slice)
            .unwrap_or_default();
        let new = list.iter().filter(|m| !m.heard).count();
        Summary {
            new: u32::try_from(new).unwrap_or(u32::MAX),
            old: u32::try_from(list.len() - new).unwrap_or(u32::MAX),
        }
    }
}

impl Pbx {
    pub(super) fn on_subscribe(
        &mut self,
        key: Option<ServerTxKey>,
        req: &Request,
        source: Peer,
        now: Instant,
    ) {
        let now_secs = self.nonce_secs(now);
        let account =
            match self
                .auth
                .check(req, ChallengeKind::Www, self.directory.as_ref(), now_secs)
            {
                AuthOutcome::Authenticated(account) => account,
                AuthOutcome::Challenge { stale, failed } => {
                    if failed {
                        tracing::info!(peer = %source.addr, "SUBSCRIBE authentication failed");
                        self.guard.auth_failed(source.addr.ip(), now);
                    }
                    self.challenge(key.as_ref(), req, ChallengeKind::Www, stale, source, now);
                    return;
                }
            };
        // Busy-lamp subscriptions (Event: dialog) go to the presence table, the rest to MWI
        // (which answers 489 for packages the box does not serve).
        let package = req
            .headers
            .get(&sip::message::HeaderName::Event)
            .and_then(|e| e.split(';').next())
            .map(|e| e.trim().to_ascii_lowercase());
        if package.as_deref() == Some(crate::presence::EVENT_PACKAGE) {
            self.presence_subscribe(key, req, &account.username, source, now);
            return;
        }
        let lookup = Lookup {
            directory: &self.directory,
            mailboxes: &self.mailboxes,
        };
        let outcome =
            self.mwi
                .handle_subscribe(req, &account.username, &lookup, source, now, &mut self.ids);
        self.reply(key.as_ref(), outcome.response, source, now);
        self.send_notifies(outcome.notify, now);
    }

    pub(super) fn send_notifies(&mut self, notifies: Vec<Notify>, now: Instant) {
        for n in notifies {
            self.txn.send_request(n.request, n.peer, now);
        }
    }

    /// A response to one of our NOTIFYs: true if it was one.
    pub(super) fn mwi_response(&mut self, key: &ClientTxKey, status: u16, now: Instant) -> bool {
        match self
            .mwi
            .handle_notify_response(key, status, now, &mut self.ids)
        {
            Some(more) => {
                self.send_notifies(more, now);
                true
            }
            None => false,
        }
    }

    pub(super) fn mwi_timeout(&mut self, key: &ClientTxKey) -> bool {
        self.mwi.handle_notify_timeout(key)
    }

    pub(super) fn mwi_expire(&mut self, now: Instant) {
        let due = self.mwi.poll_timeout().is_some_and(|at| at <= now);
        if due {
            let notifies = self.mwi.handle_timeout(now, &mut self.ids);
            self.send_notifies(notifies, now);
        }
    }

    /// A box's counts changed: tell every phone watching it.
    pub(super) fn mwi_box_changed(&mut self, tenant_id: u32, box_id: &str, now: Instant) {
        let Some(def) = self.directory.media.voicemail(tenant_id, box_id) else {
            return;
        };
        let mailbox = MailboxKey {
            tenant_id,
            number: def.number.clone(),
        };
        let lookup = Lookup {
            directory: &self.directory,
            mailboxes: &self.mailboxes,
        };
        let summary = lookup.summary(&mailbox);
        let notifies = self.mwi.notify_all(&mailbox, summary, now, &mut self.ids);
        self.send_notifies(notifies, now);
    }
}
