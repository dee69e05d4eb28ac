//! Calls whose media is a [`MediaPeer`]: the SIPp phones of [`crate::call`] and
//! [`crate::trunk`] do the signalling, and the peer takes over the RTP socket their SDP
//! advertises. The `media_*` scenarios also report the payload types the box answered,
//! so the peer sends the law the box expects and knows the telephone-event type.

use std::net::SocketAddr;
use std::time::Duration;

use tempfile::TempDir;

use crate::call::{self, Phone, PhoneOptions};
use crate::daemon::Daemon;
use crate::error::{HarnessError, Result};
use crate::media_peer::{MediaPeer, G711};
use crate::rtp::MediaInfo;
use crate::tenant::TestUser;
use crate::trunk::{self, InboundCall, Provider};

/// The offer of the `media_*` scenarios when a test does not choose: PCMU then PCMA.
pub const OFFER_G711: &str = "0 8";

/// The media side of one call leg.
pub struct MediaLeg {
    pub peer: MediaPeer,
    /// Where the box wants this leg's RTP (its SDP's c= and m=).
    pub relay: SocketAddr,
    pub call_id: String,
}

impl MediaLeg {
    /// Sends `pcm` to the box as one talk spurt (blocking, paced).
    pub fn play(&self, pcm: &[i16]) -> Result<()> {
        self.peer.play(self.relay, pcm)
    }

    pub fn silence(&self, ms: u32) -> Result<()> {
        self.peer.silence(self.relay, ms)
    }

    pub fn dial(&self, digits: &str) -> Result<()> {
        self.peer.dial(self.relay, digits)
    }

    /// Keeps sending silence while `done` is false, up to `limit`: a phone's microphone
    /// is never quiet on the wire, and some boxes latch or time out on received RTP.
    pub fn keep_talking_until(
        &self,
        limit: Duration,
        mut done: impl FnMut() -> bool,
    ) -> Result<bool> {
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            if done() {
                return Ok(true);
            }
            self.silence(200)?;
        }
        Ok(done())
    }
}

/// Waits for the phone's scenario to see the box's SDP and attaches a peer to its socket.
pub fn attach(phone: &mut Phone) -> Result<MediaLeg> {
    let info = phone.media()?;
    let (pt, event_pt) = answered_payload_types(&phone.media_file)?;
    let codec = G711::from_payload_type(pt.unwrap_or(0)).unwrap_or(G711::Pcmu);
    let mut peer = MediaPeer::from_socket(phone.rtp.try_clone_socket()?, codec)?;
    if let Some(ev) = event_pt {
        peer.event_pt = ev;
    }
    Ok(MediaLeg {
        peer,
        relay: info.relay,
        call_id: info.call_id,
    })
}

/// Lines 4 and 5 of a `media_*` scenario's media file (absent for the other scenarios).
fn answered_payload_types(path: &std::path::Path) -> Result<(Option<u8>, Option<u8>)> {
    let text = std::fs::read_to_string(path)
        .map_err(HarnessError::io(format!("read {}", path.display())))?;
    let mut lines = text.lines().skip(3).map(|l| l.trim().parse::<u8>().ok());
    Ok((lines.next().flatten(), lines.next().flatten()))
}

/// An extension calling `number` with the `media_uac` scenario offering `offer`
/// (payload types, e.g. [`OFFER_G711`] or "8").
pub fn caller(
    daemon: &Daemon,
    user: TestUser,
    number: &str,
    offer: &str,
    dir: &TempDir,
) -> Result<Phone> {
    let subs = [("__OFFER_PTS__", offer)];
    let options = PhoneOptions {
        substitutions: &subs,
        ..PhoneOptions::default()
    };
    call::caller_with(daemon, user, number, "media_uac", dir, &options)
}

/// A registered extension that answers with PCMU (`uas_answer`).
pub fn callee(daemon: &Daemon, user: TestUser, dir: &TempDir) -> Result<Phone> {
    call::callee(daemon, user, "uas_answer", dir)
}

/// The provider calling a DID with the `media_trunk_uac` scenario.
pub fn provider_caller(
    daemon: &Daemon,
    provider: &Provider,
    call: &InboundCall,
    offer: &str,
    dir: &TempDir,
) -> Result<Phone> {
    trunk::provider_uac(
        daemon,
        provider,
        call,
        "media_trunk_uac",
        &[("__OFFER_PTS__", offer)],
        dir,
    )
}

/// The callee's media: waits until the box's INVITE reached the SIPp callee.
pub fn attach_callee(phone: &mut Phone) -> Result<MediaLeg> {
    attach(phone)
}

/// The media file of a phone, read without waiting (None until the scenario wrote it).
pub fn media_now(phone: &Phone) -> Result<Option<MediaInfo>> {
    MediaInfo::read(&phone.media_file)
}

/// Hangs up `leg`'s dialog from `phone` (its SIPp sends BYE) and waits for the scenario.
pub fn hang_up(phone: Phone, leg: &MediaLeg) -> Result<crate::sipp::SippOutcome> {
    call::trigger_hangup(phone.sipp.local(), &leg.call_id)?;
    phone.finish()
}
