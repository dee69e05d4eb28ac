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
use crate::media_codec::PeerCodec;
use crate::media_peer::MediaPeer;
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
    let codec = PeerCodec::from_answer(pt.unwrap_or(0));
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

/// The SDP lines that make the `media_*` offers (and `uas_answer`'s answer) Opus:
/// RFC 7587's rtpmap (always /48000/2) and in-band FEC as the box offers it.
const OPUS_RTPMAP: &str = "a=rtpmap:111 opus/48000/2\na=fmtp:111 useinbandfec=1";

/// An extension calling `number` offering Opus only (payload type 111).
pub fn opus_caller(daemon: &Daemon, user: TestUser, number: &str, dir: &TempDir) -> Result<Phone> {
    let rtpmaps = format!("{OPUS_RTPMAP}\na=rtpmap:101 telephone-event/8000");
    let subs = [
        ("__OFFER_PTS__", "111"),
        ("a=rtpmap:101 telephone-event/8000", rtpmaps.as_str()),
    ];
    let options = PhoneOptions {
        substitutions: &subs,
        ..PhoneOptions::default()
    };
    call::caller_with(daemon, user, number, "media_uac", dir, &options)
}

/// An extension calling `number` offering G.722 only (static payload type 9).
pub fn g722_caller(daemon: &Daemon, user: TestUser, number: &str, dir: &TempDir) -> Result<Phone> {
    let subs = [
        ("__OFFER_PTS__", "9"),
        (
            "a=rtpmap:101 telephone-event/8000",
            "a=rtpmap:9 G722/8000\na=rtpmap:101 telephone-event/8000",
        ),
    ];
    let options = PhoneOptions {
        substitutions: &subs,
        ..PhoneOptions::default()
    };
    call::caller_with(daemon, user, number, "media_uac", dir, &options)
}

/// A registered extension that answers with Opus only (`uas_answer` rewritten).
pub fn opus_callee(daemon: &Daemon, user: TestUser, dir: &TempDir) -> Result<Phone> {
    let subs = [
        ("RTP/AVP 0 101", "RTP/AVP 111 101"),
        ("a=rtpmap:0 PCMU/8000", OPUS_RTPMAP),
    ];
    let options = PhoneOptions {
        substitutions: &subs,
        ..PhoneOptions::default()
    };
    call::callee_with(daemon, user, "uas_answer", dir, &options)
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

/// The media of a callee that answered with Opus (`uas_answer` scenarios do not report
/// the payload type they answered with, so the caller of this says it).
pub fn attach_opus(phone: &mut Phone) -> Result<MediaLeg> {
    let mut leg = attach(phone)?;
    leg.peer.codec = PeerCodec::Opus(crate::media_codec::OPUS_PT);
    Ok(leg)
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
