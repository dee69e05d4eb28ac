//! The calls of an extension as busy-lamp presence sees them (RFC 4235 dialog states).
use super::{CallState, Calls};
use crate::presence::{DialogState, DialogView, Direction, Identity};

impl Calls {
    /// Extensions whose calls changed since the last call (and forgets them).
    pub fn take_dirty_users(&mut self) -> Vec<String> {
        std::mem::take(&mut self.dirty_users).into_iter().collect()
    }

    /// The live calls of extension `username`: ringing shows as early (with the caller, so a desk
    /// phone can show who rings), talking as confirmed. Ended calls are left out (the presence
    /// table reports them terminated once).
    pub fn dialog_views(&self, username: &str, box_host: &str) -> Vec<DialogView> {
        let mut views: Vec<(u64, DialogView)> = self
            .calls
            .iter()
            .filter(|(_, c)| c.state != CallState::Ended)
            .filter_map(|(&id, c)| {
                let state = match c.state {
                    CallState::Answered => DialogState::Confirmed,
                    _ => DialogState::Early,
                };
                let (direction, remote) = if c.callee_user.as_deref() == Some(username) {
                    (Direction::Recipient, c.caller.number.clone())
                } else if c.caller_user.as_deref() == Some(username) {
                    (Direction::Initiator, c.destination.clone())
                } else {
                    return None;
                };
                let display = (direction == Direction::Recipient).then(|| c.caller.display.clone());
                Some((
                    id,
                    DialogView {
                        id: format!("call{id}"),
                        state,
                        direction,
                        remote_identity: Some(Identity {
                            uri: format!("sip:{remote}@{box_host}"),
                            display,
                        }),
                        call_id: None,
                        local_tag: None,
                        remote_tag: None,
                    },
                ))
            })
            .collect();
        views.sort_by_key(|(id, _)| *id);
        views.into_iter().map(|(_, v)| v).collect()
    }
}
