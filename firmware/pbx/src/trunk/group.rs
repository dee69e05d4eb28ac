//! A tenant's primary provider and optional secondary, and which one outbound calls use now.
//!
//! Failover rules (SPEC §1: "optional secondary provider used when the primary fails"):
//! * the primary is used while it is registered and not held down;
//! * a failed primary registration, or an INVITE to the primary that got a 5xx or timed out
//!   ([`TrunkGroup::report_invite_failure`]), moves calls to the secondary;
//! * an INVITE failure holds the primary down for [`TrunkGroup::hold_down`] and makes it
//!   re-register at once, so a dead provider is also seen as failed by its registration;
//! * back to the primary as soon as it is registered again and the hold-down is over.
use std::time::{Duration, Instant};

use sip::message::{Request, Response};
use sip::transaction::{ClientTxKey, Peer, Transmit};

use super::client::RegistrationClient;
use super::config::{LocalContact, ProviderConfig};
use super::resolve::Target;
use super::state::TrunkState;
use crate::ids::Ids;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProviderRole {
    Primary,
    Secondary,
}

impl ProviderRole {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderRole::Primary => "primary",
            ProviderRole::Secondary => "secondary",
        }
    }
}

/// One line of `centralita status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderStatus {
    pub role: ProviderRole,
    pub username: String,
    pub domain: String,
    pub state: TrunkState,
    /// Whether outbound calls go through this provider now.
    pub active: bool,
    /// The provider address requests go to now (after resolution).
    pub server: Option<Peer>,
    /// Our address as this provider sees it (`received`/`rport`), once known.
    pub public_address: Option<std::net::SocketAddr>,
}

pub struct TrunkGroup {
    primary: RegistrationClient,
    secondary: Option<RegistrationClient>,
    hold_down: Duration,
    primary_held_until: Option<Instant>,
}

impl TrunkGroup {
    /// Default hold-down after an INVITE failure on the primary.
    pub const DEFAULT_HOLD_DOWN: Duration = Duration::from_secs(120);

    pub fn new(primary: RegistrationClient, secondary: Option<RegistrationClient>) -> TrunkGroup {
        TrunkGroup {
            primary,
            secondary,
            hold_down: Self::DEFAULT_HOLD_DOWN,
            primary_held_until: None,
        }
    }

    /// The group for a tenant's trunk list (index 0 primary, 1 secondary; more are ignored);
    /// `None` when the tenant has no trunk. `rng` makes one injected RNG per client.
    pub fn from_accounts(
        accounts: &[crate::directory::TrunkAccount],
        mut rng: impl FnMut() -> Box<dyn rand::RngCore + Send>,
        now: Instant,
    ) -> Result<Option<TrunkGroup>, super::TrunkError> {
        let Some(first) = accounts.first() else {
            return Ok(None);
        };
        let primary = RegistrationClient::new(ProviderConfig::from_account(first)?, rng(), now);
        let secondary = match accounts.get(1) {
            Some(a) => Some(RegistrationClient::new(
                ProviderConfig::from_account(a)?,
                rng(),
                now,
            )),
            None => None,
        };
        Ok(Some(TrunkGroup::new(primary, secondary)))
    }

    pub fn with_hold_down(mut self, hold_down: Duration) -> TrunkGroup {
        self.hold_down = hold_down;
        self
    }

    pub fn hold_down(&self) -> Duration {
        self.hold_down
    }

    pub fn client(&self, role: ProviderRole) -> Option<&RegistrationClient> {
        match role {
            ProviderRole::Primary => Some(&self.primary),
            ProviderRole::Secondary => self.secondary.as_ref(),
        }
    }

    fn clients_mut(&mut self) -> impl Iterator<Item = (ProviderRole, &mut RegistrationClient)> {
        std::iter::once((ProviderRole::Primary, &mut self.primary)).chain(
            self.secondary
                .as_mut()
                .map(|c| (ProviderRole::Secondary, c)),
        )
    }

    fn clients(&self) -> impl Iterator<Item = (ProviderRole, &RegistrationClient)> {
        std::iter::once((ProviderRole::Primary, &self.primary)).chain(
            self.secondary
                .as_ref()
                .map(|c| (ProviderRole::Secondary, c)),
        )
    }

    fn primary_held(&self, now: Instant) -> bool {
        self.primary_held_until.is_some_and(|t| now < t)
    }

    /// The provider outbound INVITEs should use now.
    pub fn active(&self, now: Instant) -> ProviderRole {
        let usable = !self.primary_held(now) && !self.primary.state().is_failed();
        if usable && self.primary.state().is_registered() {
            return ProviderRole::Primary;
        }
        match &self.secondary {
            Some(s) if s.state().is_registered() => ProviderRole::Secondary,
            // Neither is registered: stay on the primary unless it is known bad and the
            // secondary is not.
            Some(s) if !usable && !s.state().is_failed() => ProviderRole::Secondary,
            _ => ProviderRole::Primary,
        }
    }

    /// An INVITE sent through `role` got a 5xx or timed out. For the primary this starts the
    /// hold-down and a registration probe; for the secondary there is nowhere else to go, so it
    /// only triggers its probe.
    pub fn report_invite_failure(&mut self, role: ProviderRole, now: Instant) {
        tracing::info!(role = role.as_str(), "INVITE through trunk failed");
        match role {
            ProviderRole::Primary => {
                self.primary_held_until = Some(now + self.hold_down);
                self.primary.refresh_now(now);
            }
            ProviderRole::Secondary => {
                if let Some(s) = self.secondary.as_mut() {
                    s.refresh_now(now);
                }
            }
        }
    }

    /// States of every provider, primary first.
    pub fn status(&self, now: Instant) -> Vec<ProviderStatus> {
        let active = self.active(now);
        self.clients()
            .map(|(role, c)| ProviderStatus {
                role,
                username: c.config().username.clone(),
                domain: c.config().domain.clone(),
                state: c.state().clone(),
                active: role == active,
                server: c.current_peer(),
                public_address: c.public_address(),
            })
            .collect()
    }

    /// A name to resolve for one of the providers (see [`RegistrationClient::poll_resolve`]).
    pub fn poll_resolve(&mut self, now: Instant) -> Option<(ProviderRole, Target)> {
        self.clients_mut()
            .find_map(|(role, c)| c.poll_resolve(now).map(|t| (role, t)))
    }

    pub fn handle_resolved(&mut self, role: ProviderRole, peers: Vec<Peer>, now: Instant) {
        match role {
            ProviderRole::Primary => self.primary.handle_resolved(peers, now),
            ProviderRole::Secondary => {
                if let Some(s) = self.secondary.as_mut() {
                    s.handle_resolved(peers, now);
                }
            }
        }
    }

    pub fn poll_request(
        &mut self,
        now: Instant,
        ids: &mut Ids,
        local: &LocalContact,
    ) -> Option<(Request, Peer)> {
        self.clients_mut()
            .find_map(|(_, c)| c.poll_request(now, ids, local))
    }

    pub fn poll_keepalive(&mut self, now: Instant) -> Option<Transmit> {
        self.clients_mut().find_map(|(_, c)| c.poll_keepalive(now))
    }

    pub fn owns(&self, key: &ClientTxKey) -> bool {
        self.clients().any(|(_, c)| c.owns(key))
    }

    pub fn handle_response(&mut self, key: &ClientTxKey, resp: &Response, now: Instant) -> bool {
        self.clients_mut()
            .any(|(_, c)| c.handle_response(key, resp, now))
    }

    pub fn handle_timeout_of(&mut self, key: &ClientTxKey, now: Instant) -> bool {
        self.clients_mut()
            .any(|(_, c)| c.handle_timeout_of(key, now))
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        // The hold-down end needs no wake-up: `active` is evaluated when a call asks.
        self.clients().filter_map(|(_, c)| c.poll_timeout()).min()
    }

    /// Unregisters every provider (drive with `poll_request` until [`TrunkGroup::is_stopped`]).
    pub fn shutdown(&mut self, now: Instant) {
        self.clients_mut().for_each(|(_, c)| c.shutdown(now));
    }

    pub fn is_stopped(&self) -> bool {
        self.clients().all(|(_, c)| c.is_stopped())
    }
}
