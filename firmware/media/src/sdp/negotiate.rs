//! Codec negotiation when the box terminates media itself or transcodes (RFC 3264 offer/
//! answer, RFC 7587 for Opus, RFC 4733 for telephone-event).
//!
//! [`super::offer_answer`] rewrites SDP between two phones that share a codec; this module
//! covers the rest: reading which of the box's codecs a peer offered
//! ([`audio_formats`]), answering as the endpoint of a call (IVR, voicemail, prompts:
//! [`answer_as_endpoint`]), making an offer of its own ([`endpoint_offer`]), and adding
//! the box's codecs to an offer it forwards so a callee without the caller's codecs can
//! still answer and the box transcodes ([`extend_offer`]).

use super::offer_answer::{rewrite_offer, LocalSession, RelayAddress};
use super::{
    Address, AddressType, Attribute, Connection, Direction, MediaDescription, Origin, RawLine,
    RtpMap, SessionDescription,
};
use crate::codec::CodecKind;
use crate::error::OfferAnswerError;

/// One audio format a peer offered/answered that the box supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Format {
    pub codec: CodecKind,
    pub payload_type: u8,
}

/// The telephone-event payload type the box uses in its own offers (the value most
/// phones use, so their answers seldom renumber it).
const TELEPHONE_EVENT_PT: u8 = 101;
/// Events the box understands: DTMF 0-9, *, #, A-D and flash (RFC 4733 §3.2).
const TELEPHONE_EVENTS: &str = "0-16";
/// The Opus parameters the box asks for (RFC 7587 §6.1): it wants FEC from the sender.
const OPUS_FMTP: &str = "useinbandfec=1";
const PTIME_MS: u32 = 20;

fn is_telephone_event(encoding: &str) -> bool {
    encoding.eq_ignore_ascii_case("telephone-event")
}

/// An RTP payload type number from an `m=` format token (7 bits, RFC 3550 §5.1).
fn payload_type(token: &str) -> Option<u8> {
    token.parse::<u8>().ok().filter(|pt| *pt < 128)
}

/// Audio formats of media section `index`, in the peer's order, limited to codecs the box supports;
/// plus the peer's telephone-event payload type (rtpmap "telephone-event/8000"; 48000 also accepted for opus).
///
/// When the peer offers telephone-event at several clock rates, the one matching the
/// clock of its first supported codec wins (RFC 4733 §2.1: events share the audio's clock).
pub fn audio_formats(sdp: &SessionDescription, index: usize) -> (Vec<Format>, Option<u8>) {
    let Some(m) = sdp.media.get(index) else {
        return (Vec::new(), None);
    };
    let mut formats = Vec::new();
    let mut events: Vec<(u8, u32)> = Vec::new();
    for token in &m.formats {
        let (Some(pt), Some((encoding, rate))) = (payload_type(token), m.codec(token)) else {
            continue;
        };
        if is_telephone_event(encoding) {
            if rate == 8000 || rate == 48_000 {
                events.push((pt, rate));
            }
        } else if let Some(codec) = CodecKind::from_rtpmap(encoding, rate) {
            formats.push(Format {
                codec,
                payload_type: pt,
            });
        }
    }
    let has_opus = formats.iter().any(|f| f.codec == CodecKind::Opus);
    let wanted = formats.first().map(|f| f.codec.rtp_clock_rate());
    let event = events
        .iter()
        .find(|(_, rate)| Some(*rate) == wanted)
        .or_else(|| events.iter().find(|(_, rate)| *rate == 8000))
        .or_else(|| events.iter().find(|_| has_opus))
        .map(|(pt, _)| *pt);
    (formats, event)
}

/// Media sections the box can terminate: plain RTP audio. SRTP profiles are left out
/// (the box has no keys to answer them with), so the peer falls back or the call fails
/// with 488 instead of a one-way-audio call.
fn is_usable_audio(m: &MediaDescription) -> bool {
    m.media.eq_ignore_ascii_case("audio")
        && m.port != 0
        && (m.protocol.eq_ignore_ascii_case("RTP/AVP")
            || m.protocol.eq_ignore_ascii_case("RTP/AVPF"))
}

/// The box answers an offer itself (the box is the endpoint): picks the first offered codec the box supports,
/// answers with exactly that codec + telephone-event if offered, same direction semantics as RFC 3264
/// (sendrecv->sendrecv, sendonly->recvonly, recvonly->sendonly, inactive->inactive), pointed at `relay`.
///
/// Other media sections are rejected with port 0 (RFC 3264 §6), so the answer has as
/// many `m=` lines as the offer. An offer on hold old style (`c=0.0.0.0`, RFC 2543) is
/// read as not wanting to receive.
pub fn answer_as_endpoint(
    offer: &SessionDescription,
    relay: RelayAddress,
    session: &mut LocalSession,
) -> Result<(SessionDescription, Format, Option<u8>), OfferAnswerError> {
    let chosen = offer
        .media
        .iter()
        .enumerate()
        .filter(|(_, m)| is_usable_audio(m))
        .find_map(|(i, _)| {
            let (formats, event) = audio_formats(offer, i);
            formats.first().map(|f| (i, *f, event))
        });
    let Some((index, format, event)) = chosen else {
        return Err(OfferAnswerError::NoCommonCodec {
            offered: offer
                .media
                .iter()
                .filter(|m| m.media.eq_ignore_ascii_case("audio"))
                .flat_map(|m| m.formats.iter().cloned())
                .collect(),
        });
    };

    let offered = offer.media_direction(index);
    let on_old_hold = offer
        .media_connection(index)
        .is_some_and(|c| c.address.is_unspecified());
    let offered = if on_old_hold {
        offered.without_receive()
    } else {
        offered
    };
    let direction = match offered {
        Direction::SendRecv => Direction::SendRecv,
        Direction::SendOnly => Direction::RecvOnly,
        Direction::RecvOnly => Direction::SendOnly,
        Direction::Inactive => Direction::Inactive,
    };

    let media = offer
        .media
        .iter()
        .enumerate()
        .map(|(i, m)| {
            if i == index {
                answered_section(m, relay.rtp_port, format, event, direction)
            } else {
                rejected_section(m)
            }
        })
        .collect();
    let mut answer = own_description(relay, media);
    stamp(&mut answer, relay, session);
    Ok((answer, format, event))
}

/// The audio section of the box's answer: the chosen codec, telephone-event if the
/// peer offered it, with the peer's payload type numbers (RFC 3264 §6.1).
fn answered_section(
    offered: &MediaDescription,
    port: u16,
    format: Format,
    event: Option<u8>,
    direction: Direction,
) -> MediaDescription {
    let mut attributes = vec![Attribute::RtpMap(rtpmap(format.codec, format.payload_type))];
    if format.codec == CodecKind::Opus {
        attributes.push(fmtp(format.payload_type, OPUS_FMTP));
    }
    let mut formats = vec![format.payload_type.to_string()];
    if let Some(pt) = event {
        let token = pt.to_string();
        // The same clock rate the peer gave it, and its event list if it sent one
        // (answering a subset would be allowed; echoing is what phones expect).
        let rate = offered.codec(&token).map_or(8000, |(_, rate)| rate);
        let events = offered
            .attributes
            .iter()
            .find_map(|a| match a {
                Attribute::Fmtp { format, params } if *format == token => Some(params.as_str()),
                _ => None,
            })
            .unwrap_or(TELEPHONE_EVENTS);
        attributes.push(Attribute::RtpMap(RtpMap {
            payload_type: pt,
            encoding: "telephone-event".to_string(),
            clock_rate: rate,
            channels: None,
        }));
        attributes.push(fmtp(pt, events));
        formats.push(token);
    }
    attributes.push(Attribute::Ptime(PTIME_MS));
    attributes.push(Attribute::Direction(direction));
    MediaDescription {
        media: offered.media.clone(),
        port,
        port_count: None,
        protocol: offered.protocol.clone(),
        formats,
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        extra: Vec::new(),
        attributes,
    }
}

/// A declined stream: port 0 and the offered format list (RFC 3264 §6 wants at least one).
fn rejected_section(offered: &MediaDescription) -> MediaDescription {
    MediaDescription {
        media: offered.media.clone(),
        port: 0,
        port_count: None,
        protocol: offered.protocol.clone(),
        formats: offered.formats.clone(),
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        extra: Vec::new(),
        attributes: Vec::new(),
    }
}

/// A fresh offer from the box (it originates a leg): every codec in `codecs` order with default PTs,
/// telephone-event/8000 on PT 101, sendrecv, ptime 20.
pub fn endpoint_offer(
    codecs: &[CodecKind],
    relay: RelayAddress,
    session: &mut LocalSession,
) -> SessionDescription {
    let mut formats = Vec::new();
    let mut attributes = Vec::new();
    for (i, &codec) in codecs.iter().enumerate() {
        if codecs[..i].contains(&codec) {
            continue;
        }
        let pt = codec.default_payload_type();
        formats.push(pt.to_string());
        attributes.push(Attribute::RtpMap(rtpmap(codec, pt)));
        if codec == CodecKind::Opus {
            attributes.push(fmtp(pt, OPUS_FMTP));
        }
    }
    formats.push(TELEPHONE_EVENT_PT.to_string());
    attributes.push(Attribute::RtpMap(RtpMap {
        payload_type: TELEPHONE_EVENT_PT,
        encoding: "telephone-event".to_string(),
        clock_rate: 8000,
        channels: None,
    }));
    attributes.push(fmtp(TELEPHONE_EVENT_PT, TELEPHONE_EVENTS));
    attributes.push(Attribute::Ptime(PTIME_MS));
    attributes.push(Attribute::Direction(Direction::SendRecv));
    let audio = MediaDescription {
        media: "audio".to_string(),
        port: relay.rtp_port,
        port_count: None,
        protocol: "RTP/AVP".to_string(),
        formats,
        information: None,
        connections: Vec::new(),
        bandwidths: Vec::new(),
        key: None,
        extra: Vec::new(),
        attributes,
    };
    let mut offer = own_description(relay, vec![audio]);
    stamp(&mut offer, relay, session);
    offer
}

/// Adds to an offer (already rewritten to point at the box) the box's codecs it lacks, after the
/// offered ones, so a callee that lacks the caller's codecs can still answer (the box then transcodes).
///
/// The new formats go after the offered codecs but before telephone-event and other
/// non-codec formats. Each takes its static payload type, else its default (111 for
/// Opus), else the first free dynamic one (96-127); a codec with no free number is left out.
pub fn extend_offer(offer: &mut SessionDescription, codecs: &[CodecKind]) {
    let Some(index) = offer.media.iter().position(is_usable_audio) else {
        return;
    };
    let (present, _) = audio_formats(offer, index);
    let Some(m) = offer.media.get_mut(index) else {
        return;
    };
    let mut insert_at = first_non_codec(m);
    let mut rtpmap_at = m
        .attributes
        .iter()
        .rposition(|a| matches!(a, Attribute::RtpMap(_) | Attribute::Fmtp { .. }))
        .map_or(0, |i| i + 1);
    for (i, &codec) in codecs.iter().enumerate() {
        if codecs[..i].contains(&codec) || present.iter().any(|f| f.codec == codec) {
            continue;
        }
        let Some(pt) = free_payload_type(m, codec) else {
            continue;
        };
        m.formats.insert(insert_at, pt.to_string());
        insert_at += 1;
        m.attributes
            .insert(rtpmap_at, Attribute::RtpMap(rtpmap(codec, pt)));
        rtpmap_at += 1;
        if codec == CodecKind::Opus {
            m.attributes.insert(rtpmap_at, fmtp(pt, OPUS_FMTP));
            rtpmap_at += 1;
        }
    }
}

/// Position of the first format that is not a voice codec (telephone-event, comfort
/// noise, RED), or the end of the list.
fn first_non_codec(m: &MediaDescription) -> usize {
    m.formats
        .iter()
        .position(|f| {
            m.codec(f).is_some_and(|(encoding, _)| {
                is_telephone_event(encoding)
                    || encoding.eq_ignore_ascii_case("CN")
                    || encoding.eq_ignore_ascii_case("red")
            })
        })
        .unwrap_or(m.formats.len())
}

/// A payload type number for `codec` that no format of `m` uses or maps.
fn free_payload_type(m: &MediaDescription, codec: CodecKind) -> Option<u8> {
    let taken = |pt: u8| {
        let token = pt.to_string();
        m.formats.contains(&token) || m.rtpmap(&token).is_some()
    };
    std::iter::once(codec.default_payload_type())
        .chain(96..=127)
        .find(|&pt| !taken(pt))
}

fn rtpmap(codec: CodecKind, pt: u8) -> RtpMap {
    RtpMap {
        payload_type: pt,
        encoding: codec.encoding_name().to_string(),
        clock_rate: codec.rtp_clock_rate(),
        // RFC 7587 §7: opus is always signalled with two channels.
        channels: (codec == CodecKind::Opus).then_some(2),
    }
}

fn fmtp(pt: u8, params: &str) -> Attribute {
    Attribute::Fmtp {
        format: pt.to_string(),
        params: params.to_string(),
    }
}

/// A description written by the box: its relay address at session level, `t=0 0`, the
/// given media. The origin is a placeholder until [`stamp`] sets it.
fn own_description(relay: RelayAddress, media: Vec<MediaDescription>) -> SessionDescription {
    SessionDescription {
        origin: placeholder_origin(relay),
        session_name: "-".to_string(),
        information: None,
        uri: None,
        emails: Vec::new(),
        phones: Vec::new(),
        connection: Some(Connection::ip(relay.ip)),
        bandwidths: Vec::new(),
        timing: vec![RawLine {
            kind: 't',
            value: "0 0".to_string(),
        }],
        key: None,
        extra: Vec::new(),
        attributes: Vec::new(),
        media,
    }
}

fn placeholder_origin(relay: RelayAddress) -> Origin {
    Origin {
        username: "centralita".to_string(),
        session_id: "0".to_string(),
        session_version: "0".to_string(),
        address_type: AddressType::of(relay.ip),
        address: Address::Ip(relay.ip),
    }
}

/// Sets the `o=` line of a description the box wrote, with the session's id and a
/// version that increases exactly when the body changes (RFC 3264 §8).
///
/// `LocalSession` keeps that bookkeeping private to `offer_answer` and runs it only
/// inside its rewrite functions, which accept relayable codecs only. So a stand-in goes
/// through `rewrite_offer`: a minimal PCMU description carrying this body's text in a
/// session attribute. The stand-in changes exactly when the body does, so the session
/// bumps its version exactly then, and the body takes the resulting id and version.
fn stamp(sdp: &mut SessionDescription, relay: RelayAddress, session: &mut LocalSession) {
    sdp.origin = placeholder_origin(relay);
    let stand_in = SessionDescription {
        attributes: vec![Attribute::Other {
            name: "x-centralita-body".to_string(),
            value: Some(sdp.to_string()),
        }],
        media: vec![MediaDescription {
            media: "audio".to_string(),
            port: relay.rtp_port,
            port_count: None,
            protocol: "RTP/AVP".to_string(),
            formats: vec!["0".to_string()],
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            extra: Vec::new(),
            attributes: Vec::new(),
        }],
        ..own_description(relay, Vec::new())
    };
    // Cannot fail: the stand-in has a connection and a relayable codec. Were it to,
    // the version simply stays where it was.
    let _ = rewrite_offer(&stand_in, relay, session);
    sdp.origin.session_id = session.session_id().to_string();
    sdp.origin.session_version = session.version().to_string();
}

#[cfg(test)]
mod tests;
