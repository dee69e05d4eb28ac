//! Any bytes: the SDP parser returns Ok or a typed error, and what it accepts prints
//! back to a body that parses to the same description.
#![no_main]

use libfuzzer_sys::fuzz_target;
use media::sdp::SessionDescription;

fuzz_target!(|data: &[u8]| {
    if let Ok(sdp) = SessionDescription::parse(data) {
        let printed = sdp.to_string();
        let again = SessionDescription::parse(printed.as_bytes());
        assert_eq!(again.as_ref(), Ok(&sdp), "{printed}");
    }
});
