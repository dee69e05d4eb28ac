//! Calls between extensions through the B2BUA, with SIPp as both phones and RTP sent
//! and counted by the harness. Each test has its own daemon, so the CDR it checks can
//! only be its own call.

use e2e::call::{self, Phone, PhoneOptions};
use e2e::rtp;
use e2e::sipp::SippOutcome;
use e2e::tenant::{EXT10, EXT11, EXT12, EXT13, UNKNOWN_NUMBER};
use e2e::{Daemon, Result};

/// Packets each phone sends; the counts received are asserted, not their timing.
const PACKETS: usize = 50;
/// A relay may lose the odd first packet while it latches; anything beyond that is a bug.
const MIN_RELAYED: usize = PACKETS - 3;

fn assert_sipp(role: &str, outcome: &SippOutcome) {
    assert!(
        outcome.success(),
        "{role} scenario failed (exit {:?}):\n{}",
        outcome.code,
        outcome.log
    );
}

enum Hangup {
    Caller,
    Callee,
}

/// Variations of the answered call.
#[derive(Default)]
struct Setup {
    callee: PhoneOptions<'static>,
    caller: PhoneOptions<'static>,
}

fn answered_call(hangup: Hangup, setup: Setup) -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let mut callee = call::callee_with(&daemon, EXT11, "uas_answer", &dir, &setup.callee)?;
    let mut caller = call::caller_with(
        &daemon,
        EXT10,
        EXT11.extension,
        "uac_call",
        &dir,
        &setup.caller,
    )?;

    let a = caller.media()?;
    let b = callee.media()?;
    let exchange = rtp::exchange(&caller.rtp, a.relay, &callee.rtp, b.relay, PACKETS)?;
    // A key press (RFC 4733): the callee must get the caller's event packets as sent.
    let events: Vec<Vec<u8>> = (0..5u16)
        .map(|i| caller.rtp.event_packet(1000 + i, 5, i == 4))
        .collect();
    for packet in &events {
        caller.rtp.send_raw(a.relay, packet)?;
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let events_received = callee
        .rtp
        .collect(events.len(), std::time::Duration::from_secs(2))?;
    match hangup {
        Hangup::Caller => call::trigger_hangup(caller.sipp.local(), &a.call_id)?,
        Hangup::Callee => call::trigger_hangup(callee.sipp.local(), &b.call_id)?,
    }
    let (caller_rtp, callee_rtp) = (caller.rtp.local, callee.rtp.local);
    let caller_outcome = Phone::finish(caller)?;
    let callee_outcome = Phone::finish(callee)?;

    eprintln!(
        "RTP through the box: callee got {}/{PACKETS}, caller got {}/{PACKETS}",
        exchange.b_received.from_peer, exchange.a_received.from_peer
    );
    assert_sipp("caller", &caller_outcome);
    assert_sipp("callee", &callee_outcome);
    assert!(
        exchange.b_received.from_peer >= MIN_RELAYED,
        "callee got {} of the caller's {} RTP packets through the box ({exchange:?})",
        exchange.b_received.from_peer,
        PACKETS
    );
    assert!(
        exchange.a_received.from_peer >= MIN_RELAYED,
        "caller got {} of the callee's {} RTP packets through the box ({exchange:?})",
        exchange.a_received.from_peer,
        PACKETS
    );
    // Payloads byte for byte; the header fields a relay may legitimately rewrite
    // (sequence number, timestamp, SSRC) are not compared.
    let payloads = |packets: &[Vec<u8>]| -> Vec<Vec<u8>> {
        packets
            .iter()
            .map(|p| {
                [
                    p.get(1..2).unwrap_or_default(),
                    p.get(12..).unwrap_or_default(),
                ]
                .concat()
            })
            .collect()
    };
    assert_eq!(
        payloads(&events_received),
        payloads(&events),
        "telephone-events (PT 101) not passed through unchanged"
    );
    // The codec goes through untouched: each side gets the payload type the other sent.
    assert_eq!(
        exchange.b_received.payload_types,
        [setup.caller.payload_type],
        "{exchange:?}"
    );
    assert_eq!(
        exchange.a_received.payload_types,
        [setup.callee.payload_type],
        "{exchange:?}"
    );
    // Anchored media: what arrives comes from the box's relay ports, never straight
    // from the other phone, and the SDPs the phones saw point at the box.
    assert!(
        !exchange.b_received.sources.contains(&caller_rtp),
        "{exchange:?}"
    );
    assert!(
        !exchange.a_received.sources.contains(&callee_rtp),
        "{exchange:?}"
    );
    assert_ne!(
        a.relay, callee_rtp,
        "caller's SDP points straight at the callee"
    );
    assert_ne!(
        b.relay, caller_rtp,
        "callee's SDP points straight at the caller"
    );

    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    assert!(
        cdr.answer_utc.is_some(),
        "answered call without answer_utc: {:?}",
        cdr.raw
    );
    Ok(())
}

#[test]
fn call_answered_rtp_both_ways_caller_hangs_up() -> Result<()> {
    answered_call(Hangup::Caller, Setup::default())
}

#[test]
fn call_answered_rtp_both_ways_callee_hangs_up() -> Result<()> {
    answered_call(Hangup::Callee, Setup::default())
}

/// The callee registers and answers with a private address (Contact and SDP) that is
/// not where its packets come from: the INVITE must follow rport/received and the
/// relay must latch onto the callee's real RTP source (symmetric RTP).
#[test]
fn callee_behind_nat_is_reached_and_media_latches() -> Result<()> {
    answered_call(
        Hangup::Caller,
        Setup {
            callee: PhoneOptions {
                behind_nat: true,
                ..PhoneOptions::default()
            },
            ..Setup::default()
        },
    )
}

/// Both phones speak only PCMA (G.711 A-law): the box must offer, answer and relay it
/// (payload type 8 end to end), not just PCMU.
#[test]
fn pcma_only_phones_talk_through_the_box() -> Result<()> {
    answered_call(
        Hangup::Caller,
        Setup {
            caller: PhoneOptions {
                substitutions: PCMA_CALLER,
                payload_type: 8,
                ..PhoneOptions::default()
            },
            callee: PhoneOptions {
                substitutions: PCMA_CALLEE,
                payload_type: 8,
                ..PhoneOptions::default()
            },
        },
    )
}

/// uac_call's offer reduced to PCMA (+ telephone-event).
const PCMA_CALLER: &[(&str, &str)] = &[
    ("RTP/AVP 0 8 101", "RTP/AVP 8 101"),
    (
        "a=rtpmap:0 PCMU/8000\n      a=rtpmap:8 PCMA/8000",
        "a=rtpmap:8 PCMA/8000",
    ),
];
/// uas_answer's answer in PCMA.
const PCMA_CALLEE: &[(&str, &str)] = &[
    ("RTP/AVP 0 101", "RTP/AVP 8 101"),
    ("a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000"),
];

/// The caller's signalling over TCP, the callee's over UDP: the B2BUA bridges both.
/// The callee hangs up because the harness's hang-up trigger reaches SIPp over UDP only.
#[test]
fn caller_over_tcp_reaches_a_udp_callee() -> Result<()> {
    answered_call(
        Hangup::Callee,
        Setup {
            caller: PhoneOptions {
                tcp: true,
                ..PhoneOptions::default()
            },
            ..Setup::default()
        },
    )
}

#[test]
fn caller_cancels_while_ringing() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let callee = call::callee(&daemon, EXT11, "uas_ring_cancel", &dir)?;
    let caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_cancel", &[], &dir)?;
    let caller_outcome = caller.finish()?;
    let callee_outcome = callee.finish()?;
    assert_sipp("caller (CANCEL, 487)", &caller_outcome);
    assert_sipp("callee (CANCEL relayed)", &callee_outcome);
    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "no_answer", "{:?}", cdr.raw);
    assert!(
        cdr.answer_utc.is_none(),
        "cancelled call has answer_utc: {:?}",
        cdr.raw
    );
    Ok(())
}

#[test]
fn callee_busy_486_is_relayed() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let callee = call::callee(&daemon, EXT11, "uas_busy", &dir)?;
    let caller = call::caller(
        &daemon,
        EXT10,
        EXT11.extension,
        "uac_reject",
        &[("__EXPECTED__", "486")],
        &dir,
    )?;
    assert_sipp("caller (expects 486)", &caller.finish()?);
    assert_sipp("callee (busy)", &callee.finish()?);
    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "busy", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn callee_does_not_answer_480_after_ring_time() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    // Extension 12 rings for 2 seconds: the box must CANCEL it and answer 480.
    let callee = call::callee(&daemon, EXT12, "uas_ring_cancel", &dir)?;
    let caller = call::caller(
        &daemon,
        EXT10,
        EXT12.extension,
        "uac_reject",
        &[("__EXPECTED__", "480")],
        &dir,
    )?;
    assert_sipp("caller (expects 480)", &caller.finish()?);
    assert_sipp("callee (CANCEL after ring time)", &callee.finish()?);
    let cdr = daemon.wait_cdr(EXT10.extension, EXT12.extension)?;
    assert_eq!(cdr.disposition, "no_answer", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn unknown_number_gets_404() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let caller = call::caller(
        &daemon,
        EXT10,
        UNKNOWN_NUMBER,
        "uac_reject",
        &[("__EXPECTED__", "404")],
        &dir,
    )?;
    assert_sipp("caller (expects 404)", &caller.finish()?);
    let cdr = daemon.wait_cdr(EXT10.extension, UNKNOWN_NUMBER)?;
    assert_eq!(cdr.disposition, "failed", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn unregistered_callee_gets_480() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let caller = call::caller(
        &daemon,
        EXT10,
        EXT13.extension,
        "uac_reject",
        &[("__EXPECTED__", "480")],
        &dir,
    )?;
    assert_sipp("caller (expects 480)", &caller.finish()?);
    let cdr = daemon.wait_cdr(EXT10.extension, EXT13.extension)?;
    // The contract does not say which of the two an unreachable phone is; both are honest.
    assert!(
        matches!(cdr.disposition.as_str(), "failed" | "no_answer"),
        "{:?}",
        cdr.raw
    );
    Ok(())
}

/// The caller's SDP rewritten to offer only G.729, which the box does not relay.
const G729_ONLY: &[(&str, &str)] = &[
    ("RTP/AVP 0 8 101", "RTP/AVP 18"),
    ("a=rtpmap:0 PCMU/8000", "a=rtpmap:18 G729/8000"),
    ("a=rtpmap:8 PCMA/8000", "a=fmtp:18 annexb=no"),
    ("a=rtpmap:101 telephone-event/8000", "a=maxptime:60"),
    ("a=fmtp:101 0-15", "a=ptime:20"),
];

/// Starts a callee that answers 486 if the box wrongly forwards a call it should have
/// refused itself; the caller then sees 486 instead of the expected code.
fn caller_refused_before_ringing(substitutions: &[(&str, &str)], expected: &str) -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let callee = call::callee(&daemon, EXT11, "uas_busy", &dir)?;
    let mut all: Vec<(&str, &str)> = substitutions.to_vec();
    all.push(("__EXPECTED__", expected));
    let caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_reject", &all, &dir)?;
    assert_sipp(&format!("caller (expects {expected})"), &caller.finish()?);
    // The callee must never have been called; its SIPp is simply stopped.
    drop(callee);
    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "failed", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn codec_mismatch_gets_488() -> Result<()> {
    caller_refused_before_ringing(G729_ONLY, "488")
}

#[test]
fn malformed_sdp_gets_400() -> Result<()> {
    caller_refused_before_ringing(
        &[(
            "m=audio [rtp_port] RTP/AVP 0 8 101",
            "m=audio notaport RTP/AVP 0 8 101",
        )],
        "400",
    )
}

#[test]
fn hold_and_resume_pass_through_and_media_flows_after() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let mut callee = call::callee(&daemon, EXT11, "uas_hold", &dir)?;
    let mut caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_hold", &[], &dir)?;
    // Both scenarios check the a=sendonly/recvonly/sendrecv exchange themselves.
    let a = caller.media_after_resume()?;
    let b = callee.media_after_resume()?;
    let exchange = rtp::exchange(&caller.rtp, a.relay, &callee.rtp, b.relay, PACKETS)?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    let caller_outcome = caller.finish()?;
    let callee_outcome = callee.finish()?;
    assert_sipp("caller (hold, resume)", &caller_outcome);
    assert_sipp("callee (hold, resume relayed)", &callee_outcome);
    assert!(
        exchange.a_received.from_peer >= MIN_RELAYED
            && exchange.b_received.from_peer >= MIN_RELAYED,
        "RTP after resume: {exchange:?}"
    );
    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn early_media_flows_before_the_answer() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let mut callee = call::callee(&daemon, EXT11, "uas_early", &dir)?;
    let mut caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_early", &[], &dir)?;
    // The caller's file is written on the relayed 183: nobody has answered yet.
    let a = caller.media()?;
    let b = callee.media()?;
    let early = rtp::exchange(&caller.rtp, a.relay, &callee.rtp, b.relay, PACKETS)?;
    call::trigger(callee.sipp.local(), &b.call_id)?; // the callee answers now
    caller.wait_marker(".answered")?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    let caller_outcome = caller.finish()?;
    let callee_outcome = callee.finish()?;
    assert_sipp("caller (183 with SDP, then 200)", &caller_outcome);
    assert_sipp("callee (early media, then answer)", &callee_outcome);
    assert!(
        early.a_received.from_peer >= MIN_RELAYED && early.b_received.from_peer >= MIN_RELAYED,
        "early media before the answer: {early:?}"
    );
    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn in_dialog_info_and_options_pass_through() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let callee = call::callee(&daemon, EXT11, "uas_info", &dir)?;
    let mut caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_info", &[], &dir)?;
    let a = caller.media()?;
    // Both scenarios check the relayed INFO body and the 200s themselves.
    caller.wait_marker(".done")?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    let caller_outcome = caller.finish()?;
    let callee_outcome = callee.finish()?;
    assert_sipp("caller (INFO, OPTIONS in dialog)", &caller_outcome);
    assert_sipp("callee (INFO, OPTIONS relayed)", &callee_outcome);
    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

#[test]
fn late_offer_invite_without_sdp() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let mut callee = call::callee(&daemon, EXT11, "uas_late", &dir)?;
    let mut caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_late", &[], &dir)?;
    // Caller: the box's offer arrived in the 200. Callee: the answer came in the ACK.
    let a = caller.media()?;
    let b = callee.media()?;
    let exchange = rtp::exchange(&caller.rtp, a.relay, &callee.rtp, b.relay, PACKETS)?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    let caller_outcome = caller.finish()?;
    let callee_outcome = callee.finish()?;
    assert_sipp("caller (offer in 200, answer in ACK)", &caller_outcome);
    assert_sipp("callee (no SDP in INVITE, answer in ACK)", &callee_outcome);
    assert!(
        exchange.a_received.from_peer >= MIN_RELAYED
            && exchange.b_received.from_peer >= MIN_RELAYED,
        "RTP after a late offer: {exchange:?}"
    );
    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "answered", "{:?}", cdr.raw);
    Ok(())
}

/// The callee answers just as the caller cancels: the caller still gets 487, and the
/// box must ACK the callee's 200 and hang it up with BYE (no half-open call left).
#[test]
fn cancel_crossing_the_callee_answer_tears_both_legs_down() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let callee = call::callee(&daemon, EXT11, "uas_cancel_race", &dir)?;
    let caller = call::caller(&daemon, EXT10, EXT11.extension, "uac_cancel", &[], &dir)?;
    assert_sipp("caller (CANCEL, 487)", &caller.finish()?);
    assert_sipp(
        "callee (200 crossed the CANCEL, ACK + BYE)",
        &callee.finish()?,
    );
    let cdr = daemon.wait_cdr(EXT10.extension, EXT11.extension)?;
    assert_eq!(cdr.disposition, "no_answer", "{:?}", cdr.raw);
    Ok(())
}
