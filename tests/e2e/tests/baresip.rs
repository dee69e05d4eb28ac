//! Two real softphones (baresip) register with the box and call each other through it.

use std::time::Duration;

use e2e::baresip::Baresip;
use e2e::tenant::{EXT10, EXT11};
use e2e::{Daemon, Result};

const STEP: Duration = Duration::from_secs(20);

#[test]
fn two_baresip_phones_register_and_call_each_other() -> Result<()> {
    let daemon = Daemon::start()?;
    let callee = Baresip::start(daemon.sip, EXT11, true)?;
    callee.wait_registered(STEP)?;
    let mut caller = Baresip::start(daemon.sip, EXT10, false)?;
    caller.wait_registered(STEP)?;

    caller.command("dial", &format!("sip:{}@{}", EXT11.extension, daemon.sip))?;
    caller.wait_event("CALL_ESTABLISHED", STEP)?;
    callee.wait_event("CALL_ESTABLISHED", STEP)?;
    // CALL_RTPESTAB = the first RTP packet arrived; the SDP each phone got points at
    // the box, so this is audio relayed by the box in each direction.
    caller.wait_event("CALL_RTPESTAB", STEP)?;
    callee.wait_event("CALL_RTPESTAB", STEP)?;

    for phone in [&caller, &callee] {
        let port = rtp_source_port(&phone.log());
        assert!(
            port.is_some_and(|p| (daemon.rtp.0..=daemon.rtp.1).contains(&p)),
            "{} received RTP from port {port:?}, not from the box's relay range {:?}",
            phone.user.username(),
            daemon.rtp
        );
    }

    caller.command("hangup", "")?;
    caller.wait_event("CALL_CLOSED", STEP)?;
    callee.wait_event("CALL_CLOSED", STEP)?;

    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    drop(callee);
    drop(caller);
    Ok(())
}

/// The port in baresip's "incoming rtp for 'audio' established, receiving from
/// 127.0.0.1:PORT" line.
fn rtp_source_port(log: &str) -> Option<u16> {
    log.lines()
        .find(|line| line.contains("incoming rtp for 'audio' established"))
        .and_then(|line| line.rsplit(':').next())
        .and_then(|port| port.trim().parse().ok())
}
