//! Any datagram: RTP, RTCP and telephone-event parsing never panic and never return
//! slices outside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use media::dtmf::TelephoneEvent;
use media::rtp::{classify, RtpPacket};

fuzz_target!(|data: &[u8]| {
    let _ = classify(data);
    if let Ok(rtp) = RtpPacket::parse(data) {
        assert!(rtp.payload.len() <= data.len());
        assert_eq!(rtp.csrcs().count(), rtp.csrc_count());
        let _ = TelephoneEvent::parse(rtp.payload);
    }
    for packet in media::rtcp::packets(data).flatten() {
        assert!(packet.bytes.len() >= 4 && packet.bytes.len() <= data.len());
    }
});
