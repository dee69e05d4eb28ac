//! Audio through the box between two phones (issue 4): tones cross a call both ways with
//! their frequency and level, the relayed stream keeps its shape, and a caller flooding
//! the box with 10,000 RFC 4733 events does not disturb another call.
//!
//! The phones are SIPp scenarios whose SDP points at [`e2e::media_peer::MediaPeer`]s:
//! they send paced G.711 from PCM and decode what they receive (see `src/media_peer.rs`).
//!
//! ```sh
//! cargo build -p centralita && cargo test -p e2e --test media
//! ```

use std::time::Duration;

use e2e::audio;
use e2e::baresip::{Baresip, BaresipOptions};
use e2e::call;
use e2e::media_call::{self, MediaLeg, OFFER_G711};
use e2e::media_check::{sine_rms_dbfs, ToneCheck};
use e2e::media_flood::flood_beside_a_call;
use e2e::media_setup::TONE_DBFS;
use e2e::sipp::SippOutcome;
use e2e::tenant::{EXT10, EXT11, EXT12, EXT13};
use e2e::{Daemon, Result};

/// How long each side talks.
const TALK_MS: u32 = 2000;
/// Level tolerance through G.711 (twice, when transcoding) and the box: generous, since
/// the check is "the tone arrives at about the level it was sent", not a codec test.
const LEVEL_TOL_DB: f32 = 2.0;

fn assert_sipp(role: &str, outcome: &SippOutcome) {
    assert!(
        outcome.success(),
        "{role} scenario failed (exit {:?}):\n{}",
        outcome.code,
        outcome.log
    );
}

/// Both legs talk at once (a tone each), each on its own thread, as two people would.
fn talk_both(a: &MediaLeg, a_tone: f32, b: &MediaLeg, b_tone: f32) -> Result<()> {
    let a_pcm = audio::tone_ms(a_tone, TONE_DBFS, audio::RATE_8K, TALK_MS);
    let b_pcm = audio::tone_ms(b_tone, TONE_DBFS, audio::RATE_8K, TALK_MS);
    std::thread::scope(|s| {
        let other = s.spawn(|| b.play(&b_pcm));
        let mine = a.play(&a_pcm);
        let theirs = other.join().unwrap_or_else(|_| {
            Err(e2e::HarnessError::Timeout {
                what: "the other talker's thread panicked".to_string(),
                waited: Duration::ZERO,
            })
        });
        mine.and(theirs)
    })?;
    // Let the last packets arrive; what is heard is read afterwards, never timed.
    std::thread::sleep(Duration::from_millis(300));
    Ok(())
}

/// Extension `from` calls `to`; returns both phones and their media legs, answered.
fn answered(
    daemon: &Daemon,
    from: e2e::TestUser,
    to: e2e::TestUser,
    offer: &str,
    dir: &tempfile::TempDir,
) -> Result<(call::Phone, MediaLeg, call::Phone, MediaLeg)> {
    let mut callee = media_call::callee(daemon, to, dir)?;
    let mut caller = media_call::caller(daemon, from, to.extension, offer, dir)?;
    let a = media_call::attach(&mut caller)?;
    let b = media_call::attach(&mut callee)?;
    Ok((caller, a, callee, b))
}

#[test]
fn tones_cross_a_call_both_ways_at_their_level() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let (caller, a, callee, b) = answered(&daemon, EXT10, EXT11, OFFER_G711, &dir)?;
    talk_both(&a, 1000.0, &b, 440.0)?;

    let heard_by_callee = b.peer.heard();
    let heard_by_caller = a.peer.heard();
    let level = Some((sine_rms_dbfs(TONE_DBFS), LEVEL_TOL_DB));
    let at_callee = ToneCheck::of(&heard_by_callee, 1000.0).expect(
        1000.0,
        TALK_MS - 300,
        5.0,
        level,
        &heard_by_callee,
    );
    let at_caller = ToneCheck::of(&heard_by_caller, 440.0).expect(
        440.0,
        TALK_MS - 300,
        5.0,
        level,
        &heard_by_caller,
    );
    // The relayed stream keeps the sender's shape: one spurt, marker first, no gaps.
    let shape = b.peer.stream_report();
    assert_sipp("caller", &media_call::hang_up(caller, &a)?);
    assert_sipp("callee", &callee.finish()?);
    assert!(at_callee.is_ok(), "callee heard: {at_callee:?}");
    assert!(at_caller.is_ok(), "caller heard: {at_caller:?}");
    assert_eq!(shape.unmarked_spurts(10), 0, "{shape:?}");
    assert_eq!((shape.ts_errors(), shape.odd_sizes()), (0, 0), "{shape:?}");
    Ok(())
}

#[test]
fn pcma_caller_and_pcmu_callee_hear_each_other() -> Result<()> {
    // The caller offers only A-law, the callee answers only µ-law: the box must either
    // transcode or refuse (488); if it connects them, both must hear the right tone.
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let mut callee = media_call::callee(&daemon, EXT11, &dir)?;
    let mut caller = media_call::caller(&daemon, EXT10, EXT11.extension, "8", &dir)?;
    let a = media_call::attach(&mut caller)?;
    let b = media_call::attach(&mut callee)?;
    assert_eq!(
        a.peer.codec.payload_type(),
        8,
        "the box answered the caller with A-law"
    );
    talk_both(&a, 1000.0, &b, 440.0)?;
    let (by_callee, by_caller) = (b.peer.heard(), a.peer.heard());
    assert_sipp("caller", &media_call::hang_up(caller, &a)?);
    assert_sipp("callee", &callee.finish()?);
    let level = Some((sine_rms_dbfs(TONE_DBFS), LEVEL_TOL_DB));
    let r1 =
        ToneCheck::of(&by_callee, 1000.0).expect(1000.0, TALK_MS - 300, 5.0, level, &by_callee);
    let r2 = ToneCheck::of(&by_caller, 440.0).expect(440.0, TALK_MS - 300, 5.0, level, &by_caller);
    assert!(r1.is_ok() && r2.is_ok(), "callee: {r1:?}\ncaller: {r2:?}");
    Ok(())
}

#[test]
fn ten_thousand_dtmf_events_do_not_disturb_another_call() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    // The hostile caller: 10 -> 11, flooding telephone-events through the relay.
    let (flood_phone, flooder, flood_callee, _flood_b) =
        answered(&daemon, EXT10, EXT11, OFFER_G711, &dir)?;
    // The innocent call: 12 -> 13, a tone from 12 to 13.
    let (quiet_phone, a, quiet_callee, b) = answered(&daemon, EXT12, EXT13, OFFER_G711, &dir)?;
    let outcome = flood_beside_a_call(&daemon, &flooder, "0123456789*#", &a, &b)?;
    eprintln!("{outcome:?}");
    assert_sipp(
        "flooding caller",
        &media_call::hang_up(flood_phone, &flooder)?,
    );
    assert_sipp("flooded callee", &flood_callee.finish()?);
    assert_sipp("quiet caller", &media_call::hang_up(quiet_phone, &a)?);
    assert_sipp("quiet callee", &quiet_callee.finish()?);
    assert!(outcome.undisturbed(), "{outcome:?}");
    Ok(())
}

/// What a baresip dump holds, brought to 8 kHz mono for the checks.
fn dump_at_8k(path: &std::path::Path) -> Result<Vec<i16>> {
    let wav = audio::read_wav(path)?;
    let left = audio::channel(&wav.samples, wav.channels, 0);
    let factor = (wav.sample_rate / audio::RATE_8K).max(1) as usize;
    Ok(audio::decimate(&left, factor))
}

#[test]
fn pcmu_phone_and_opus_phone_hear_each_other() -> Result<()> {
    const STEP: Duration = Duration::from_secs(20);
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let options = BaresipOptions {
        codecs: Some("opus/48000/2".to_string()),
        tone_hz: Some(440),
        record: true,
    };
    let opus_phone = Baresip::start_with(daemon.sip, EXT11, true, &options)?;
    opus_phone.wait_registered(STEP)?;
    let mut caller = media_call::caller(&daemon, EXT10, EXT11.extension, "0", &dir)?;
    let a = media_call::attach(&mut caller)?;
    assert_eq!(a.peer.codec.payload_type(), 0, "the caller keeps PCMU");
    opus_phone.wait_event("CALL_ESTABLISHED", STEP)?;

    // The PCMU side talks 1 kHz; the Opus side's microphone is a steady 440 Hz sine.
    a.play(&audio::tone_ms(1000.0, TONE_DBFS, audio::RATE_8K, 3000))?;
    a.silence(300)?;
    let by_caller = a.peer.heard();
    assert_sipp("PCMU caller", &media_call::hang_up(caller, &a)?);
    opus_phone.wait_event("CALL_CLOSED", STEP)?;

    let log = opus_phone.log();
    assert!(
        log.to_lowercase().contains("opus"),
        "baresip never mentions opus: the call was not Opus on its side\n{log}"
    );
    // The Opus phone heard the 1 kHz at about the level it was sent.
    let heard_dump = opus_phone.heard_dump();
    let Some(heard_path) = heard_dump else {
        panic!("baresip wrote no dump of what it heard\n{log}");
    };
    let by_callee = dump_at_8k(&heard_path)?;
    let level = Some((sine_rms_dbfs(TONE_DBFS), 3.0));
    let at_callee = ToneCheck::of(&by_callee, 1000.0).expect(1000.0, 2500, 5.0, level, &by_callee);
    // The PCMU phone heard the 440 Hz at the level baresip sent it (its own dump).
    let sent_level = match opus_phone.sent_dump() {
        Some(p) => ToneCheck::of(&dump_at_8k(&p)?, 440.0).level_dbfs,
        None => panic!("baresip wrote no dump of what it sent\n{log}"),
    };
    let at_caller = ToneCheck::of(&by_caller, 440.0).expect(
        440.0,
        2500,
        5.0,
        Some((sent_level, 3.0)),
        &by_caller,
    );
    assert!(
        at_callee.is_ok() && at_caller.is_ok(),
        "Opus phone heard: {at_callee:?}\nPCMU phone heard: {at_caller:?} (sent at {sent_level:.1} dBFS)"
    );
    Ok(())
}

#[test]
fn two_opus_phones_hear_each_other() -> Result<()> {
    // Opus end to end through the box: the Opus side of the transcoding test above.
    two_baresip_phones_hear_each_other("opus/48000/2")
}

#[test]
fn two_pcmu_baresip_phones_hear_each_other() -> Result<()> {
    // Also checks the harness's baresip options (codec list, tone, sndfile dumps).
    two_baresip_phones_hear_each_other("PCMU/8000/1")
}

fn two_baresip_phones_hear_each_other(codecs: &str) -> Result<()> {
    const STEP: Duration = Duration::from_secs(20);
    let daemon = Daemon::start()?;
    let options = |tone_hz| BaresipOptions {
        codecs: Some(codecs.to_string()),
        tone_hz: Some(tone_hz),
        record: true,
    };
    let callee = Baresip::start_with(daemon.sip, EXT11, true, &options(660))?;
    callee.wait_registered(STEP)?;
    let mut caller = Baresip::start_with(daemon.sip, EXT10, false, &options(440))?;
    caller.wait_registered(STEP)?;
    caller.command("dial", &format!("sip:{}@{}", EXT11.extension, daemon.sip))?;
    caller.wait_event("CALL_RTPESTAB", STEP)?;
    callee.wait_event("CALL_RTPESTAB", STEP)?;
    // Two seconds of conversation, then hang up; the dumps are read afterwards.
    std::thread::sleep(Duration::from_secs(2));
    caller.command("hangup", "")?;
    caller.wait_event("CALL_CLOSED", STEP)?;
    callee.wait_event("CALL_CLOSED", STEP)?;
    for (phone, hz) in [(&caller, 660.0), (&callee, 440.0)] {
        let Some(path) = phone.heard_dump() else {
            panic!("{} wrote no dump\n{}", phone.user.username(), phone.log());
        };
        let heard = dump_at_8k(&path)?;
        let check = ToneCheck::of(&heard, hz).expect(hz, 1000, 5.0, None, &heard);
        assert!(check.is_ok(), "{} heard: {check:?}", phone.user.username());
    }
    Ok(())
}

/// Debian's sip-tester ships RFC 4733 key presses as pcaps: `dtmf_2833_<key>.pcap`.
const SIPP_DTMF_PCAPS: &str = "/usr/share/sip-tester";

#[test]
fn sipp_pcap_key_press_reaches_the_callee() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let mut callee = media_call::callee(&daemon, EXT11, &dir)?;
    let pcap = format!("{SIPP_DTMF_PCAPS}/dtmf_2833_2.pcap");
    let subs = [
        ("__OFFER_PTS__", "0"),
        ("__PCAP__", pcap.as_str()),
        ("__DELAY_MS__", "300"),
    ];
    let options = call::PhoneOptions {
        substitutions: &subs,
        ..call::PhoneOptions::default()
    };
    let mut caller = call::caller_with(
        &daemon,
        EXT10,
        EXT11.extension,
        "media_uac_pcap",
        &dir,
        &options,
    )?;
    let b = media_call::attach(&mut callee)?;
    let a = caller.media()?;
    // The pcap is ten packets over 140 ms; wait (bounded) for the end packets.
    let got_key = b.keep_talking_until(Duration::from_secs(10), || {
        b.peer.received().iter().any(|p| {
            p.payload_type == 101
                && p.payload.first() == Some(&2)
                && p.payload.get(1).is_some_and(|f| f & 0x80 != 0)
        })
    })?;
    call::trigger_hangup(caller.sipp.local(), &a.call_id)?;
    assert_sipp("caller (SIPp playing the pcap)", &caller.finish()?);
    assert_sipp("callee", &callee.finish()?);
    let events: Vec<_> = b
        .peer
        .received()
        .into_iter()
        .filter(|p| p.payload_type == 101)
        .map(|p| p.payload)
        .collect();
    assert!(
        got_key,
        "key 2 (with its end) not relayed; events: {events:?}"
    );
    Ok(())
}

#[test]
fn opus_caller_and_pcmu_callee_hear_each_other_sipp() -> Result<()> {
    // The same transcoded call with both peers the harness's own: the Opus side is
    // libopus through the media crate, so the far-end checks are the harness's.
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let mut callee = media_call::callee(&daemon, EXT11, &dir)?;
    let mut caller = media_call::opus_caller(&daemon, EXT10, EXT11.extension, &dir)?;
    let a = media_call::attach(&mut caller)?;
    let b = media_call::attach(&mut callee)?;
    assert!(
        a.peer.codec.is_opus(),
        "the box answered the Opus caller with {:?}",
        a.peer.codec
    );
    talk_both(&a, 1000.0, &b, 440.0)?;
    let (by_callee, by_caller) = (b.peer.heard(), a.peer.heard());
    let opus_shape = a.peer.stream_report();
    assert_sipp("Opus caller", &media_call::hang_up(caller, &a)?);
    assert_sipp("PCMU callee", &callee.finish()?);
    let level = Some((sine_rms_dbfs(TONE_DBFS), 3.0));
    let r1 =
        ToneCheck::of(&by_callee, 1000.0).expect(1000.0, TALK_MS - 400, 5.0, level, &by_callee);
    let r2 = ToneCheck::of(&by_caller, 440.0).expect(440.0, TALK_MS - 400, 5.0, level, &by_caller);
    assert!(
        r1.is_ok() && r2.is_ok(),
        "PCMU callee: {r1:?}\nOpus caller: {r2:?}"
    );
    // The box's Opus: timestamps +960 per 20 ms packet.
    assert_eq!(
        (opus_shape.seq_jumps(), opus_shape.ts_errors()),
        (0, 0),
        "{opus_shape:?}"
    );
    Ok(())
}

#[test]
fn g722_caller_and_pcmu_callee_hear_each_other() -> Result<()> {
    let daemon = Daemon::start()?;
    let dir = call::scratch()?;
    let mut callee = media_call::callee(&daemon, EXT11, &dir)?;
    let mut caller = media_call::g722_caller(&daemon, EXT10, EXT11.extension, &dir)?;
    let a = media_call::attach(&mut caller)?;
    let b = media_call::attach(&mut callee)?;
    assert_eq!(
        a.peer.codec.payload_type(),
        9,
        "the box answered the G.722 caller with {:?}",
        a.peer.codec
    );
    talk_both(&a, 1000.0, &b, 440.0)?;
    let (by_callee, by_caller) = (b.peer.heard(), a.peer.heard());
    let shape = a.peer.stream_report();
    assert_sipp("G.722 caller", &media_call::hang_up(caller, &a)?);
    assert_sipp("PCMU callee", &callee.finish()?);
    let level = Some((sine_rms_dbfs(TONE_DBFS), 3.0));
    let r1 =
        ToneCheck::of(&by_callee, 1000.0).expect(1000.0, TALK_MS - 400, 5.0, level, &by_callee);
    let r2 = ToneCheck::of(&by_caller, 440.0).expect(440.0, TALK_MS - 400, 5.0, level, &by_caller);
    assert!(
        r1.is_ok() && r2.is_ok(),
        "PCMU callee: {r1:?}\nG.722 caller: {r2:?}"
    );
    // G.722 from the box: 160-byte payloads, timestamps +160 (the RFC 3551 8 kHz clock).
    assert_eq!(
        (shape.seq_jumps(), shape.ts_errors(), shape.odd_sizes()),
        (0, 0, 0),
        "{shape:?}"
    );
    Ok(())
}
