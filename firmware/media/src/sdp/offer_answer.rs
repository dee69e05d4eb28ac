//! RFC 3264 offer/answer for a B2BUA that anchors media on the box.
//!
//! The box sits between two phones and relays RTP without transcoding, so each SDP it
//! forwards is the peer's SDP with the media address replaced by the box's relay
//! socket for the *other* leg, and the codec list narrowed to what the relay can carry
//! (PCMU, PCMA, G722, and RFC 4733 telephone-event). Payload type numbers are kept as
//! they are: both phones then agree on them and RTP passes through byte for byte.
//!
//! Usage by the daemon (one [`LocalSession`] per leg, created with a random id):
//!
//! ```text
//! caller INVITE+offer ──► rewrite_offer(offer, relay port facing B, &mut session_b) ──► callee
//! caller ◄── rewrite_answer(answer, &sent_offer, relay port facing A, &mut session_a) ◄── 200+answer
//! ```
//!
//! A re-INVITE (hold/resume, either direction) goes through the same two calls with the
//! roles swapped as needed; [`LocalSession`] increments `o=` session-version only when
//! the body it emits actually changed (RFC 3264 §8).
//!
//! Each call also reports where the sending peer wants RTP (`peer_rtp`, the relay's
//! initial latching target) and whether the stream is on hold, old style
//! (`c=0.0.0.0`, RFC 2543) or new style (`a=sendonly`/`a=inactive`).

use super::{
    Address, Attribute, Connection, Direction, MediaDescription, Origin, RawLine,
    SessionDescription,
};
use crate::error::OfferAnswerError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Where the box receives one leg's media: its address and the relay's RTP port
/// (RTCP is on `rtp_port + 1`, RFC 3550 §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RelayAddress {
    pub ip: IpAddr,
    pub rtp_port: u16,
}

/// The box's own SDP session toward one phone: the identity and version of its `o=`.
#[derive(Debug, Clone)]
pub struct LocalSession {
    session_id: u64,
    version: u64,
    /// The last body emitted, to tell a changed description from a repeated one.
    last: Option<SessionDescription>,
}

impl LocalSession {
    /// `session_id` comes from the daemon's RNG (RFC 8866 §5.2 asks for uniqueness).
    pub fn new(session_id: u64) -> Self {
        LocalSession {
            session_id,
            version: 1,
            last: None,
        }
    }

    pub fn session_id(&self) -> u64 {
        self.session_id
    }

    pub fn version(&self) -> u64 {
        self.version
    }

    /// Sets the `o=` line of `sdp`, bumping the version if the body differs from the
    /// one this session emitted last.
    fn stamp(&mut self, sdp: &mut SessionDescription, ip: IpAddr) {
        sdp.origin = Origin {
            username: "centralita".to_string(),
            session_id: self.session_id.to_string(),
            session_version: self.version.to_string(),
            address_type: super::AddressType::of(ip),
            address: Address::Ip(ip),
        };
        // Compared with the version still unchanged, so only the body can differ.
        if self.last.as_ref().is_some_and(|last| last != sdp) {
            self.version = self.version.wrapping_add(1);
            sdp.origin.session_version = self.version.to_string();
        }
        self.last = Some(sdp.clone());
    }
}

/// The result of rewriting one SDP body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rewritten {
    /// The body to send on, pointing at the box.
    pub sdp: SessionDescription,
    /// Where the peer that wrote the input wants its RTP, if it said so usably:
    /// `None` for old-style hold, a host name, a multicast/broadcast address, or a
    /// rejected stream (the relay then learns the address from the peer's packets).
    pub peer_rtp: Option<SocketAddr>,
    /// The audio direction as the input stated it (before hold mapping).
    pub direction: Direction,
    /// True when the input puts the stream on hold (sendonly, inactive, `c=0.0.0.0`).
    pub on_hold: bool,
}

/// Rewrites an offer received from one phone into the offer the box sends the other.
pub fn rewrite_offer(
    offer: &SessionDescription,
    relay: RelayAddress,
    session: &mut LocalSession,
) -> Result<Rewritten, OfferAnswerError> {
    let audio = offer
        .media
        .iter()
        .position(|m| is_relayable_audio(m) && has_audio_codec(m, None))
        .ok_or_else(|| no_common_codec(offer))?;
    rewrite(offer, audio, relay, session, None)
}

/// Rewrites the answer to an offer the box sent (`sent_offer`) into the answer the
/// box returns to the phone that made the original offer.
pub fn rewrite_answer(
    answer: &SessionDescription,
    sent_offer: &SessionDescription,
    relay: RelayAddress,
    session: &mut LocalSession,
) -> Result<Rewritten, OfferAnswerError> {
    if answer.media.len() != sent_offer.media.len() {
        return Err(OfferAnswerError::MediaCountMismatch {
            offer: sent_offer.media.len(),
            answer: answer.media.len(),
        });
    }
    let audio = answer
        .media
        .iter()
        .zip(&sent_offer.media)
        .position(|(a, o)| is_relayable_audio(a) && o.port != 0 && has_audio_codec(a, Some(o)))
        .ok_or_else(|| no_common_codec(answer))?;
    rewrite(answer, audio, relay, session, sent_offer.media.get(audio))
}

fn no_common_codec(sdp: &SessionDescription) -> OfferAnswerError {
    OfferAnswerError::NoCommonCodec {
        offered: sdp
            .media
            .iter()
            .filter(|m| m.media == "audio")
            .flat_map(|m| m.formats.iter().cloned())
            .collect(),
    }
}

fn is_relayable_audio(m: &MediaDescription) -> bool {
    m.media.eq_ignore_ascii_case("audio") && m.port != 0 && m.protocol.starts_with("RTP/")
}

/// Codecs the box handles (relays, transcodes, plays and records).
fn is_relayable_codec(encoding: &str, clock_rate: u32) -> bool {
    let is = |name: &str| encoding.eq_ignore_ascii_case(name);
    if is("PCMU") || is("PCMA") || is("G722") {
        clock_rate == 8000
    } else if is("opus") {
        clock_rate == 48000
    } else {
        is("telephone-event")
    }
}

fn is_voice(encoding: &str) -> bool {
    !encoding.eq_ignore_ascii_case("telephone-event")
}

/// Formats of `m` the relay can carry; in an answer, also limited to those the box
/// offered (`offered`), as RFC 3264 §6.1 requires of the answerer.
fn kept_formats(m: &MediaDescription, offered: Option<&MediaDescription>) -> Vec<String> {
    m.formats
        .iter()
        .filter(|f| match offered {
            Some(o) => o.formats.contains(f),
            None => true,
        })
        .filter(|f| {
            m.codec(f)
                .is_some_and(|(enc, rate)| is_relayable_codec(enc, rate))
        })
        .cloned()
        .collect()
}

fn has_audio_codec(m: &MediaDescription, offered: Option<&MediaDescription>) -> bool {
    kept_formats(m, offered)
        .iter()
        .any(|f| m.codec(f).is_some_and(|(enc, _)| is_voice(enc)))
}

/// Attributes that describe the sender's own transport, which the box replaces.
fn is_transport_attribute(name: &str) -> bool {
    matches!(
        name,
        "rtcp"
            | "candidate"
            | "remote-candidates"
            | "end-of-candidates"
            | "ice-ufrag"
            | "ice-pwd"
            | "ice-options"
            | "ice-lite"
            | "ice-mismatch"
    )
}

/// The format an attribute applies to: rtpmap/fmtp, and `a=rtcp-fb:<pt> ...`.
fn bound_format(a: &Attribute) -> Option<String> {
    match a {
        Attribute::Other {
            name,
            value: Some(v),
        } if name == "rtcp-fb" => v
            .split_whitespace()
            .next()
            // `a=rtcp-fb:* ...` applies to every format (RFC 4585 §4.2): never dropped.
            .filter(|f| *f != "*")
            .map(str::to_string),
        _ => a.format(),
    }
}

fn rewrite(
    input: &SessionDescription,
    audio: usize,
    relay: RelayAddress,
    session: &mut LocalSession,
    offered: Option<&MediaDescription>,
) -> Result<Rewritten, OfferAnswerError> {
    let direction = input.media_direction(audio);
    let connection = input
        .media_connection(audio)
        .ok_or(OfferAnswerError::NoConnection { index: audio })?;
    let old_style_hold = connection.address.is_unspecified();
    let sent_direction = if old_style_hold {
        direction.without_receive()
    } else {
        direction
    };
    let media = input
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if i == audio {
                audio_section(m, relay.rtp_port, sent_direction, offered)
            } else {
                disabled_section(m)
            }
        })
        .collect();

    // Old-style hold passes through old style too, so a phone that only knows
    // RFC 2543 still stops sending; the direction attribute tells modern ones.
    let advertised = if old_style_hold {
        match relay.ip {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        }
    } else {
        relay.ip
    };
    let mut sdp = SessionDescription {
        origin: input.origin.clone(),
        session_name: "-".to_string(),
        information: None,
        uri: None,
        emails: Vec::new(),
        phones: Vec::new(),
        connection: Some(Connection::ip(advertised)),
        bandwidths: input.bandwidths.clone(),
        timing: vec![RawLine {
            kind: 't',
            value: "0 0".to_string(),
        }],
        key: None,
        extra: Vec::new(),
        attributes: input
            .attributes
            .iter()
            .filter(|a| !matches!(a, Attribute::Direction(_)) && !is_transport_attribute(a.name()))
            .cloned()
            .collect(),
        media,
    };
    session.stamp(&mut sdp, relay.ip);

    let port = input.media.get(audio).map_or(0, |m| m.port);
    let peer_rtp = match connection.address.ip() {
        Some(ip) if is_unicast(ip) && port != 0 => Some(SocketAddr::new(ip, port)),
        _ => None,
    };
    Ok(Rewritten {
        sdp,
        peer_rtp,
        direction,
        on_hold: old_style_hold || matches!(direction, Direction::SendOnly | Direction::Inactive),
    })
}

/// Only a unicast address may become a relay target: an SDP naming a multicast or
/// broadcast group would otherwise make the box spray the other leg's audio there.
fn is_unicast(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => !(v4.is_unspecified() || v4.is_multicast() || v4.is_broadcast()),
        IpAddr::V6(v6) => !(v6.is_unspecified() || v6.is_multicast()),
    }
}

fn audio_section(
    m: &MediaDescription,
    port: u16,
    direction: Direction,
    offered: Option<&MediaDescription>,
) -> MediaDescription {
    let formats = kept_formats(m, offered);
    let attributes = m
        .attributes
        .iter()
        .filter(|a| match bound_format(a) {
            Some(f) => formats.contains(&f),
            None => true,
        })
        .filter(|a| !matches!(a, Attribute::Direction(_)) && !is_transport_attribute(a.name()))
        .cloned()
        .chain(std::iter::once(Attribute::Direction(direction)))
        .collect();
    MediaDescription {
        media: m.media.clone(),
        port,
        port_count: None,
        protocol: m.protocol.clone(),
        formats,
        information: None,
        connections: Vec::new(),
        bandwidths: m.bandwidths.clone(),
        key: m.key.clone(),
        extra: Vec::new(),
        attributes,
    }
}

/// A stream the box does not relay: port 0 rejects it in an answer and disables it in
/// an offer (RFC 3264 §6, §8.2), keeping the m= line so indexes still match.
fn disabled_section(m: &MediaDescription) -> MediaDescription {
    MediaDescription {
        media: m.media.clone(),
        port: 0,
        port_count: None,
        protocol: m.protocol.clone(),
        formats: m.formats.clone(),
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        extra: Vec::new(),
        attributes: Vec::new(),
    }
}

#[cfg(test)]
#[path = "offer_answer_tests.rs"]
mod tests;
