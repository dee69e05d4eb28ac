//! SDP of one bridged call as the box presents it to each leg (RFC 3264 through
//! `media::sdp::offer_answer`): offers and answers from one leg are rewritten to point at the relay
//! port facing the other leg, with one `o=` session per leg whose version moves only on change.
use super::sdp_codecs::{box_codecs, codecs_of, preferring, side_format};
use crate::ids::Ids;
use crate::media::{MediaPorts, Side, SideFormat};
use media::codec::CodecKind;
use media::sdp::negotiate;
use media::sdp::offer_answer::{rewrite_answer, rewrite_offer, LocalSession, RelayAddress};
use media::sdp::SessionDescription;
use media::OfferAnswerError;
use std::net::{IpAddr, SocketAddr};

/// Why an SDP body could not be used, and what the SIP peer is told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SdpProblem {
    Malformed,
    NoCommonCodec,
    /// An answer that does not fit the offer we made.
    Mismatch,
}

impl SdpProblem {
    pub fn status(&self) -> u16 {
        match self {
            SdpProblem::Malformed => 400,
            SdpProblem::NoCommonCodec | SdpProblem::Mismatch => 488,
        }
    }
    pub fn cause(&self) -> &'static str {
        match self {
            SdpProblem::Malformed => "malformed-sdp",
            SdpProblem::NoCommonCodec => "codec-mismatch",
            SdpProblem::Mismatch => "sdp-mismatch",
        }
    }
}

/// A rewritten body and where its author wants RTP.
pub struct Anchored {
    pub body: Vec<u8>,
    pub remote: Option<SocketAddr>,
    /// After an answer: the format of the leg that wrote it and of the leg it goes to (the relay
    /// transcodes when their codecs differ).
    pub formats: Option<Formats>,
}

/// The codec each side of the call uses once an offer/answer completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Formats {
    pub a: SideFormat,
    pub b: SideFormat,
}

impl Formats {
    fn new(side: Side, mine: SideFormat, other: SideFormat) -> Formats {
        match side {
            Side::A => Formats { a: mine, b: other },
            Side::B => Formats { a: other, b: mine },
        }
    }
}

pub struct CallSdp {
    toward_a: LocalSession,
    toward_b: LocalSession,
    /// The last offer the box sent to each leg, to check and rewrite that leg's answer.
    offer_to_a: Option<SessionDescription>,
    offer_to_b: Option<SessionDescription>,
    last_to_a: Option<SessionDescription>,
    /// The last offer each leg made, as it wrote it (to answer it as the box when transcoding).
    offer_from_a: Option<SessionDescription>,
    offer_from_b: Option<SessionDescription>,
}

impl CallSdp {
    pub fn new(ids: &mut Ids) -> CallSdp {
        CallSdp {
            toward_a: LocalSession::new(ids.session_id()),
            toward_b: LocalSession::new(ids.session_id()),
            offer_to_a: None,
            offer_to_b: None,
            last_to_a: None,
            offer_from_a: None,
            offer_from_b: None,
        }
    }

    /// An offer written by `from`, to be sent to the other leg.
    pub fn forward_offer(
        &mut self,
        body: &[u8],
        from: Side,
        ip: IpAddr,
        ports: MediaPorts,
    ) -> Result<Anchored, SdpProblem> {
        let offer = SessionDescription::parse(body).map_err(|_| SdpProblem::Malformed)?;
        let to = from.other();
        let relay = RelayAddress {
            ip,
            rtp_port: ports.port(to),
        };
        let session = match to {
            Side::A => &mut self.toward_a,
            Side::B => &mut self.toward_b,
        };
        let mut out = rewrite_offer(&offer, relay, session).map_err(problem)?;
        // The other leg may lack the offerer's codecs: offer the box's too (it transcodes).
        negotiate::extend_offer(&mut out.sdp, &CodecKind::ALL);
        match from {
            Side::A => self.offer_from_a = Some(offer),
            Side::B => self.offer_from_b = Some(offer),
        }
        match to {
            Side::A => {
                self.offer_to_a = Some(out.sdp.clone());
                self.last_to_a = Some(out.sdp.clone());
            }
            Side::B => self.offer_to_b = Some(out.sdp.clone()),
        }
        Ok(Anchored {
            body: out.sdp.to_string().into_bytes(),
            remote: out.peer_rtp,
            formats: None,
        })
    }

    /// An answer written by `from` to the offer the box sent it, to be sent to the other leg.
    pub fn forward_answer(
        &mut self,
        body: &[u8],
        from: Side,
        ip: IpAddr,
        ports: MediaPorts,
    ) -> Result<Anchored, SdpProblem> {
        let answer = SessionDescription::parse(body).map_err(|_| SdpProblem::Malformed)?;
        let to = from.other();
        let sent = match from {
            Side::A => self.offer_to_a.as_ref(),
            Side::B => self.offer_to_b.as_ref(),
        }
        .ok_or(SdpProblem::Mismatch)?;
        let relay = RelayAddress {
            ip,
            rtp_port: ports.port(to),
        };
        let session = match to {
            Side::A => &mut self.toward_a,
            Side::B => &mut self.toward_b,
        };
        let answerer = side_format(&answer).ok_or(SdpProblem::NoCommonCodec)?;
        let original = match to {
            Side::A => self.offer_from_a.as_ref(),
            Side::B => self.offer_from_b.as_ref(),
        };
        let offerer_codecs = original.map(codecs_of).unwrap_or_default();
        let answered = codecs_of(&answer);
        let pass_through = answered.iter().all(|c| offerer_codecs.contains(c));
        let (sdp, remote, offerer) = match original {
            Some(original) if !pass_through => {
                // The answerer chose a codec the offerer lacks: the box answers the offerer
                // itself with one of its codecs and transcodes.
                let prefer = preferring(original, Some(answerer.codec));
                let (sdp, format, te) =
                    negotiate::answer_as_endpoint(&prefer, relay, session).map_err(problem)?;
                let remote = super::sdp_codecs::remote_rtp(&answer);
                let offerer = SideFormat {
                    codec: format.codec,
                    payload_type: format.payload_type,
                    telephone_event: te,
                };
                (sdp, remote, offerer)
            }
            _ => {
                let out = rewrite_answer(&answer, sent, relay, session).map_err(problem)?;
                let offerer = original
                    .and_then(|o| super::sdp_codecs::format_in(o, answerer.codec))
                    .unwrap_or(answerer);
                (out.sdp, out.peer_rtp, offerer)
            }
        };
        if to == Side::A {
            self.last_to_a = Some(sdp.clone());
        }
        Ok(Anchored {
            body: sdp.to_string().into_bytes(),
            remote,
            formats: Some(Formats::new(from, answerer, offerer)),
        })
    }

    /// Keeps an offer `side` made to the box itself (a re-INVITE while an application runs).
    pub fn take_offer(&mut self, side: Side, body: &[u8]) -> Result<(), SdpProblem> {
        let offer = SessionDescription::parse(body).map_err(|_| SdpProblem::Malformed)?;
        match side {
            Side::A => self.offer_from_a = Some(offer),
            Side::B => self.offer_from_b = Some(offer),
        }
        Ok(())
    }

    /// The box answers the last offer `side` made (it is the endpoint: IVR, voicemail).
    pub fn answer_as_box(
        &mut self,
        side: Side,
        ip: IpAddr,
        ports: MediaPorts,
        prefer: Option<CodecKind>,
    ) -> Result<(Anchored, SideFormat), SdpProblem> {
        let offer = match side {
            Side::A => self.offer_from_a.as_ref(),
            Side::B => self.offer_from_b.as_ref(),
        }
        .ok_or(SdpProblem::Mismatch)?;
        let remote = super::sdp_codecs::remote_rtp(offer);
        let offer = preferring(offer, prefer);
        let relay = RelayAddress {
            ip,
            rtp_port: ports.port(side),
        };
        let session = match side {
            Side::A => &mut self.toward_a,
            Side::B => &mut self.toward_b,
        };
        let (sdp, format, te) =
            negotiate::answer_as_endpoint(&offer, relay, session).map_err(problem)?;
        if side == Side::A {
            self.last_to_a = Some(sdp.clone());
        }
        let format = SideFormat {
            codec: format.codec,
            payload_type: format.payload_type,
            telephone_event: te,
        };
        Ok((
            Anchored {
                body: sdp.to_string().into_bytes(),
                remote,
                formats: None,
            },
            format,
        ))
    }

    /// A fresh offer from the box to `to` (a leg the box originates after answering the caller
    /// itself, or a late-offer caller), preferring `first` to avoid transcoding.
    pub fn offer_as_box(
        &mut self,
        to: Side,
        ip: IpAddr,
        ports: MediaPorts,
        first: Option<CodecKind>,
    ) -> Vec<u8> {
        let relay = RelayAddress {
            ip,
            rtp_port: ports.port(to),
        };
        let session = match to {
            Side::A => &mut self.toward_a,
            Side::B => &mut self.toward_b,
        };
        let sdp = negotiate::endpoint_offer(&box_codecs(first), relay, session);
        match to {
            Side::A => {
                self.offer_to_a = Some(sdp.clone());
                self.last_to_a = Some(sdp.clone());
            }
            Side::B => self.offer_to_b = Some(sdp.clone()),
        }
        sdp.to_string().into_bytes()
    }

    /// The answer `from` gave to an offer the box made itself: its format and RTP address.
    pub fn answer_to_box(
        &mut self,
        body: &[u8],
    ) -> Result<(SideFormat, Option<SocketAddr>), SdpProblem> {
        let answer = SessionDescription::parse(body).map_err(|_| SdpProblem::Malformed)?;
        let format = side_format(&answer).ok_or(SdpProblem::NoCommonCodec)?;
        Ok((format, super::sdp_codecs::remote_rtp(&answer)))
    }

    /// The last body sent to the caller (a 200 after SDP already came in a 183 repeats it).
    pub fn last_to_a(&self) -> Option<Vec<u8>> {
        self.last_to_a.as_ref().map(|s| s.to_string().into_bytes())
    }
}

fn problem(e: OfferAnswerError) -> SdpProblem {
    match e {
        OfferAnswerError::NoCommonCodec { .. } => SdpProblem::NoCommonCodec,
        OfferAnswerError::MediaCountMismatch { .. } => SdpProblem::Mismatch,
        OfferAnswerError::NoConnection { .. } => SdpProblem::Malformed,
    }
}
