//! Any SDP a phone may send as an offer, then as an answer: the B2BUA rewriting
//! returns a body or a typed error, and every body it emits parses again.
#![no_main]

use libfuzzer_sys::fuzz_target;
use media::sdp::offer_answer::{rewrite_answer, rewrite_offer, LocalSession, RelayAddress};
use media::sdp::SessionDescription;
use std::net::{IpAddr, Ipv4Addr};

fuzz_target!(|data: &[u8]| {
    let Ok(sdp) = SessionDescription::parse(data) else {
        return;
    };
    let relay = RelayAddress {
        ip: IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
        rtp_port: 20000,
    };
    let mut session = LocalSession::new(1);
    if let Ok(offer) = rewrite_offer(&sdp, relay, &mut session) {
        let text = offer.sdp.to_string();
        assert!(SessionDescription::parse(text.as_bytes()).is_ok(), "{text}");
        if let Ok(answer) = rewrite_answer(&sdp, &offer.sdp, relay, &mut LocalSession::new(2)) {
            let text = answer.sdp.to_string();
            assert!(SessionDescription::parse(text.as_bytes()).is_ok(), "{text}");
        }
    }
});
