//! Busy-lamp field in the endpoint: SUBSCRIBE (Event: dialog) is authenticated like REGISTER (in
//! `mwi_wiring`) and served by [`crate::presence::Subscriptions`]; after every input the
//! extensions whose calls changed are shown to their watchers.
use super::Pbx;
use crate::directory::{DialTarget, Directory};
use crate::presence::{DialogView, ExtensionKey, WatchLookup};
use sip::message::Request;
use sip::transaction::{ClientTxKey, Peer, ServerTxKey};
use std::time::Instant;

struct Lookup<'a> {
    directory: &'a Directory,
    calls: &'a crate::call::Calls,
    box_host: String,
}

impl WatchLookup for Lookup<'_> {
    fn tenant_of(&self, account_username: &str) -> Option<u32> {
        self.directory
            .account(account_username)
            .map(|a| a.tenant_id)
    }

    fn extension(&self, tenant_id: u32, requested: &str) -> Option<ExtensionKey> {
        let account = match self.directory.resolve(tenant_id, requested) {
            DialTarget::Extension(username) => self.directory.account(&username)?,
            // Phones may also subscribe to the SIP username (ext<tenant><extension>).
            _ => self.directory.account(requested)?,
        };
        Some(ExtensionKey {
            tenant_id: account.tenant_id,
            extension: account.extension.clone(),
        })
    }

    fn dialogs(&self, extension: &ExtensionKey) -> Vec<DialogView> {
        let username = format!("ext{}{}", extension.tenant_id, extension.extension);
        self.calls.dialog_views(&username, &self.box_host)
    }
}

impl Pbx {
    pub(super) fn presence_subscribe(
        &mut self,
        key: Option<ServerTxKey>,
        req: &Request,
        account: &str,
        source: Peer,
        now: Instant,
    ) {
        let lookup = Lookup {
            directory: &self.directory,
            calls: &self.calls,
            box_host: crate::call::host(self.config.sip_addr),
        };
        let outcome =
            self.presence
                .handle_subscribe(req, account, &lookup, source, now, &mut self.ids);
        self.reply(key.as_ref(), outcome.response, source, now);
        self.send_presence(outcome.notify, now);
    }

    fn send_presence(&mut self, notifies: Vec<crate::presence::Notify>, now: Instant) {
        for n in notifies {
            self.txn.send_request(n.request, n.peer, now);
        }
    }

    pub(super) fn presence_response(
        &mut self,
        key: &ClientTxKey,
        status: u16,
        now: Instant,
    ) -> bool {
        match self
            .presence
            .handle_notify_response(key, status, now, &mut self.ids)
        {
            Some(more) => {
                self.send_presence(more, now);
                true
            }
            None => false,
        }
    }

    pub(super) fn presence_expire(&mut self, now: Instant) {
        if self.presence.poll_timeout().is_some_and(|at| at <= now) {
            let notifies = self.presence.handle_timeout(now, &mut self.ids);
            self.send_presence(notifies, now);
        }
    }

    /// Shows the extensions whose calls changed to whoever watches them.
    pub(super) fn refresh_presence(&mut self, now: Instant) {
        let dirty = self.calls.take_dirty_users();
        if dirty.is_empty() || self.presence.is_empty() {
            return;
        }
        let box_host = crate::call::host(self.config.sip_addr);
        for username in dirty {
            let Some(account) = self.directory.account(&username) else {
                continue;
            };
            let key = ExtensionKey {
                tenant_id: account.tenant_id,
                extension: account.extension.clone(),
            };
            if !self.presence.is_watched(&key) {
                continue;
            }
            let views = self.calls.dialog_views(&username, &box_host);
            let notifies = self.presence.set_state(&key, &views, now, &mut self.ids);
            self.send_presence(notifies, now);
        }
    }
}
