//! SDP of one bridged call as the box presents it to each leg (RFC 3264 through
//! `media::sdp::offer_answer`): offers and answers from one leg are rewritten to point at the relay
//! port facing the other leg, with one `o=` session per leg whose version moves only on change.
use crate::ids::Ids;
use crate::media::{MediaPorts, Side};
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
}

pub struct CallSdp {
    toward_a: LocalSession,
    toward_b: LocalSession,
    /// The last offer the box sent to each leg, to check and rewrite that leg's answer.
    offer_to_a: Option<SessionDescription>,
    offer_to_b: Option<SessionDescription>,
    last_to_a: Option<SessionDescription>,
}

impl CallSdp {
    pub fn new(ids: &mut Ids) -> CallSdp {
        CallSdp {
            toward_a: LocalSession::new(ids.session_id()),
            toward_b: LocalSession::new(ids.session_id()),
            offer_to_a: None,
            offer_to_b: None,
            last_to_a: None,
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
        let out = rewrite_offer(&offer, relay, session).map_err(problem)?;
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
        let out = rewrite_answer(&answer, sent, relay, session).map_err(problem)?;
        if to == Side::A {
            self.last_to_a = Some(out.sdp.clone());
        }
        Ok(Anchored {
            body: out.sdp.to_string().into_bytes(),
            remote: out.peer_rtp,
        })
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
