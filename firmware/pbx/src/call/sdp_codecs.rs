//! Codec choice on top of the anchoring rewrite: which format each leg uses, when the box answers a
//! leg itself (IVR, voicemail), and when it must transcode because the legs share no codec.
//!
//! Offers the box relays are extended with the box's own codecs (after the offerer's), so a callee
//! that lacks the caller's codecs can still answer; the answer sent back to the offerer then names
//! one of the offerer's codecs and the relay transcodes between the two.
use crate::media::SideFormat;
use media::codec::CodecKind;
use media::sdp::negotiate::{self, Format};
use media::sdp::SessionDescription;

/// Index of the first usable audio section.
pub fn audio_index(sdp: &SessionDescription) -> Option<usize> {
    sdp.media
        .iter()
        .position(|m| m.media.eq_ignore_ascii_case("audio") && m.port != 0)
}

/// The format a leg uses: the first codec of its audio section the box supports (in an answer
/// that is the codec the leg will send).
pub fn side_format(sdp: &SessionDescription) -> Option<SideFormat> {
    let index = audio_index(sdp)?;
    let (formats, telephone_event) = negotiate::audio_formats(sdp, index);
    let first: &Format = formats.first()?;
    Some(SideFormat {
        codec: first.codec,
        payload_type: first.payload_type,
        telephone_event,
    })
}

/// The codecs of a leg's audio section the box supports, in its order.
pub fn codecs_of(sdp: &SessionDescription) -> Vec<CodecKind> {
    audio_index(sdp)
        .map(|i| {
            negotiate::audio_formats(sdp, i)
                .0
                .iter()
                .map(|f| f.codec)
                .collect()
        })
        .unwrap_or_default()
}

/// `offer` with its audio formats reordered so `prefer` (if offered) comes first: the box then
/// answers with it and avoids transcoding.
pub fn preferring(offer: &SessionDescription, prefer: Option<CodecKind>) -> SessionDescription {
    let mut offer = offer.clone();
    let (Some(prefer), Some(index)) = (prefer, audio_index(&offer)) else {
        return offer;
    };
    let (formats, _) = negotiate::audio_formats(&offer, index);
    if let Some(pt) = formats
        .iter()
        .find(|f| f.codec == prefer)
        .map(|f| f.payload_type)
    {
        if let Some(m) = offer.media.get_mut(index) {
            let token = pt.to_string();
            m.formats.retain(|f| *f != token);
            m.formats.insert(0, token);
        }
    }
    offer
}

/// The box's codecs with `first` (the other leg's codec, to avoid transcoding) in front.
pub fn box_codecs(first: Option<CodecKind>) -> Vec<CodecKind> {
    let mut codecs: Vec<CodecKind> = first.into_iter().collect();
    codecs.extend(CodecKind::ALL.iter().copied().filter(|c| Some(*c) != first));
    codecs
}

/// The format `sdp` uses for `codec` (its own payload type), with its telephone-event type.
pub fn format_in(sdp: &SessionDescription, codec: CodecKind) -> Option<SideFormat> {
    let index = audio_index(sdp)?;
    let (formats, telephone_event) = negotiate::audio_formats(sdp, index);
    formats
        .iter()
        .find(|f| f.codec == codec)
        .map(|f| SideFormat {
            codec,
            payload_type: f.payload_type,
            telephone_event,
        })
}

/// Where the author of `sdp` wants its RTP (None: on hold, unusable, or no audio).
pub fn remote_rtp(sdp: &SessionDescription) -> Option<std::net::SocketAddr> {
    let index = audio_index(sdp)?;
    let ip = sdp.media_connection(index)?.address.ip()?;
    if ip.is_unspecified() || ip.is_multicast() {
        return None;
    }
    let port = sdp.media.get(index)?.port;
    Some(std::net::SocketAddr::new(ip, port))
}
