//! TEMPORARY stand-in for `media::sdp::negotiate` (being written in the media crate at the same
//! time); same signatures, built on the anchoring rewrite. Removed once the media crate's lands.
use media::codec::CodecKind;
use media::sdp::offer_answer::{rewrite_answer, rewrite_offer, LocalSession, RelayAddress};
use media::sdp::{Attribute, Direction, SessionDescription};
use media::OfferAnswerError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    pub codec: CodecKind,
    pub payload_type: u8,
}

pub fn audio_formats(sdp: &SessionDescription, index: usize) -> (Vec<Format>, Option<u8>) {
    let Some(m) = sdp.media.get(index) else {
        return (Vec::new(), None);
    };
    let mut formats = Vec::new();
    let mut te = None;
    for f in &m.formats {
        let Ok(pt) = f.parse::<u8>() else { continue };
        match m.codec(f) {
            Some((enc, rate)) if enc.eq_ignore_ascii_case("telephone-event") => {
                if te.is_none() && (rate == 8000 || rate == 48000) {
                    te = Some(pt);
                }
            }
            Some((enc, rate)) => {
                if let Some(codec) = CodecKind::from_rtpmap(enc, rate) {
                    formats.push(Format {
                        codec,
                        payload_type: pt,
                    });
                }
            }
            None => {}
        }
    }
    (formats, te)
}

pub fn answer_as_endpoint(
    offer: &SessionDescription,
    relay: RelayAddress,
    session: &mut LocalSession,
) -> Result<(SessionDescription, Format, Option<u8>), OfferAnswerError> {
    let index = offer
        .media
        .iter()
        .position(|m| m.media.eq_ignore_ascii_case("audio") && m.port != 0)
        .ok_or(OfferAnswerError::NoConnection { index: 0 })?;
    let (formats, te) = audio_formats(offer, index);
    let chosen = *formats.first().ok_or(OfferAnswerError::NoCommonCodec {
        offered: Vec::new(),
    })?;
    let mut answer = offer.clone();
    for (i, m) in answer.media.iter_mut().enumerate() {
        if i != index {
            m.port = 0;
            continue;
        }
        let keep: Vec<String> = std::iter::once(chosen.payload_type)
            .chain(te)
            .map(|p| p.to_string())
            .collect();
        m.formats.retain(|f| keep.contains(f));
        m.attributes
            .retain(|a| a.format().map_or(true, |f| keep.contains(&f)));
        let dir = offer.media_direction(index);
        let answer_dir = match dir {
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            other => other,
        };
        m.attributes
            .retain(|a| !matches!(a, Attribute::Direction(_)));
        m.attributes.push(Attribute::Direction(answer_dir));
    }
    answer
        .attributes
        .retain(|a| !matches!(a, Attribute::Direction(_)));
    let out = rewrite_answer(&answer, offer, relay, session)?;
    Ok((out.sdp, chosen, te))
}

pub fn endpoint_offer(
    codecs: &[CodecKind],
    relay: RelayAddress,
    session: &mut LocalSession,
) -> SessionDescription {
    let mut pts = Vec::new();
    let mut lines = String::new();
    for c in codecs {
        let pt = c.default_payload_type();
        pts.push(pt.to_string());
        let channels = if *c == CodecKind::Opus { "/2" } else { "" };
        lines.push_str(&format!(
            "a=rtpmap:{pt} {}/{}{channels}\r\n",
            c.encoding_name(),
            c.rtp_clock_rate()
        ));
        if *c == CodecKind::Opus {
            lines.push_str(&format!("a=fmtp:{pt} useinbandfec=1\r\n"));
        }
    }
    pts.push("101".into());
    lines.push_str("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n");
    let text = format!(
        "v=0\r\no=centralita 1 1 IN IP4 {ip}\r\ns=centralita\r\nc=IN IP4 {ip}\r\nt=0 0\r\nm=audio {port} RTP/AVP {pts}\r\n{lines}a=ptime:20\r\na=sendrecv\r\n",
        ip = relay.ip,
        port = relay.rtp_port,
        pts = pts.join(" ")
    );
    let parsed = SessionDescription::parse(text.as_bytes());
    match parsed
        .ok()
        .and_then(|p| rewrite_offer(&p, relay, session).ok())
    {
        Some(out) => out.sdp,
        None => SessionDescription::parse(text.as_bytes()).unwrap_or_else(|_| unreachable_sdp()),
    }
}

fn unreachable_sdp() -> SessionDescription {
    #[allow(clippy::unwrap_used)]
    SessionDescription::parse(b"v=0\r\no=- 0 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n").unwrap()
}

pub fn extend_offer(offer: &mut SessionDescription, codecs: &[CodecKind]) {
    let Some(index) = offer
        .media
        .iter()
        .position(|m| m.media.eq_ignore_ascii_case("audio") && m.port != 0)
    else {
        return;
    };
    let (have, _) = audio_formats(offer, index);
    let Some(m) = offer.media.get_mut(index) else {
        return;
    };
    for c in codecs {
        if have.iter().any(|f| f.codec == *c) {
            continue;
        }
        let mut pt = c.default_payload_type();
        if m.formats.contains(&pt.to_string()) {
            match (96u8..=127).find(|p| !m.formats.contains(&p.to_string())) {
                Some(p) => pt = p,
                None => continue,
            }
        }
        m.formats.push(pt.to_string());
        let rtpmap = media::sdp::RtpMap {
            payload_type: pt,
            encoding: c.encoding_name().to_string(),
            clock_rate: c.rtp_clock_rate(),
            channels: (*c == CodecKind::Opus).then_some(2),
        };
        m.attributes.push(Attribute::RtpMap(rtpmap));
        if *c == CodecKind::Opus {
            m.attributes.push(Attribute::Fmtp {
                format: pt.to_string(),
                params: "useinbandfec=1".into(),
            });
        }
    }
}
