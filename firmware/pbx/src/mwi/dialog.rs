//! One subscription: its dialog (RFC 6665 §4.1.2.3 / RFC 3261 §12) and the NOTIFYs sent in it.
use super::body;
use super::{MailboxKey, Notify, Summary, CONTENT_TYPE};
use crate::ids::Ids;
use sip::transaction::Peer;
use sip::uri::Uri;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// The Subscription-State a NOTIFY carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubState {
    Active,
    /// `terminated;reason=...` (RFC 6665 §4.1.3: timeout, noresource, ...).
    Terminated(&'static str),
}

/// A NOTIFY sent and not yet answered.
#[derive(Debug, Clone)]
pub struct InFlight {
    pub branch: String,
    pub since: Instant,
}

#[derive(Debug, Clone)]
pub struct Subscription {
    pub account: String,
    pub mailbox: MailboxKey,
    /// `sip:<box number>@<domain the phone used>`: the Message-Account of every body.
    pub message_account: String,
    pub call_id: String,
    pub remote_tag: String,
    pub local_tag: String,
    /// Our identity in the dialog (the SUBSCRIBE's To, with our tag): the NOTIFY From.
    pub local_header: String,
    /// The subscriber's From (with its tag): the NOTIFY To.
    pub remote_header: String,
    pub remote_target: Uri,
    pub route_set: Vec<String>,
    pub peer: Peer,
    /// Event header value to echo (with `id` when the subscriber used one).
    pub event: String,
    pub expires_at: Instant,
    pub remote_cseq: u32,
    pub local_cseq: u32,
    /// Latest counts known for the box (what the next NOTIFY says).
    pub summary: Summary,
    pub in_flight: Option<InFlight>,
    /// The counts changed while a NOTIFY was in flight: send again once it completes.
    pub dirty: bool,
}

impl Subscription {
    /// Whether a NOTIFY may go now: nothing pending, or the pending one is older than `stale`
    /// (its outcome was lost; waiting longer would silence the dialog for good).
    pub fn can_send(&self, now: Instant, stale: Duration) -> bool {
        self.in_flight
            .as_ref()
            .is_none_or(|f| now.saturating_duration_since(f.since) >= stale)
    }

    /// Builds the next NOTIFY (CSeq + 1) with the stored counts. An active one is recorded as in
    /// flight; the caller indexes `in_flight.branch`.
    pub fn notify(
        &mut self,
        state: SubState,
        now: Instant,
        sip_addr: SocketAddr,
        ids: &mut Ids,
    ) -> Notify {
        self.local_cseq = self.local_cseq.wrapping_add(1);
        self.dirty = false;
        let state_value = match state {
            SubState::Active => format!("active;expires={}", self.remaining_secs(now)),
            SubState::Terminated(reason) => format!("terminated;reason={reason}"),
        };
        let body = body::render(self.summary, &self.message_account).into_bytes();
        let (request, branch) = crate::subscribe_request::notify_request(
            &self.notify_dialog(),
            sip_addr,
            state_value,
            CONTENT_TYPE,
            body,
            ids,
        );
        self.in_flight = match state {
            SubState::Active => Some(InFlight { branch, since: now }),
            SubState::Terminated(_) => None,
        };
        Notify {
            request,
            peer: self.peer,
        }
    }

    fn notify_dialog(&self) -> crate::subscribe_request::NotifyDialog<'_> {
        crate::subscribe_request::NotifyDialog {
            peer: self.peer,
            route_set: &self.route_set,
            local_header: &self.local_header,
            remote_header: &self.remote_header,
            call_id: &self.call_id,
            cseq: self.local_cseq,
            event: &self.event,
            remote_target: &self.remote_target,
        }
    }

    /// Whole seconds left, rounded up so an active NOTIFY never says `expires=0`.
    pub fn remaining_secs(&self, now: Instant) -> u64 {
        let left = self.expires_at.saturating_duration_since(now);
        let secs = left.as_secs() + u64::from(left.subsec_nanos() > 0);
        secs.max(1)
    }
}
