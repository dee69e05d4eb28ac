//! Calls the box answers itself, in virtual time: IVR digits and time-outs, voicemail deposit and
//! menu, and transcoding decided by offer/answer. The media side is the harness's fake, which
//! logs every command; the tests play the media side's part by reporting events.
#![allow(clippy::unwrap_used, clippy::expect_used)]
mod harness;

use harness::phones::*;
use harness::*;
use pbx::media_config::{IvrDef, StoredMessage, VoicemailDef};
use pbx::routing::Destination;
use pbx::{DialTarget, MediaEvent, RecordEnd, Side};
use sip::message::Method;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

const TENANT: u32 = 20191;
/// The fake media side numbers calls from 1.
const MEDIA: u64 = 1;

fn media_world() -> World {
    let mut d = directory(vec![account("10", "pa", 30), account("11", "pb", 5)]);
    d.media.data_dir = PathBuf::from("/data");
    d.media.prompts.insert(
        (TENANT, "hola".into()),
        PathBuf::from("/data/prompts/20191/hola.wav"),
    );
    d.media.ivrs.insert(
        (TENANT, "menu".into()),
        IvrDef {
            tenant_id: TENANT,
            id: "menu".into(),
            number: "7000".into(),
            prompt: Some(PathBuf::from("/data/prompts/20191/hola.wav")),
            allow_extensions: false,
            options: BTreeMap::from([('2', Destination::Extension("ext2019111".into()))]),
            no_input: Destination::Voicemail("vm1".into()),
            no_input_seconds: 5,
        },
    );
    d.add_number(TENANT, "7000", DialTarget::Ivr("menu".into()));
    d.media.voicemail.insert(
        (TENANT, "vm1".into()),
        VoicemailDef {
            tenant_id: TENANT,
            id: "vm1".into(),
            number: "700".into(),
            name: "Ventas".into(),
            email: "ventas@example.com".into(),
            greeting: None,
            keep_days: 730,
            pin: "1234".into(),
            users: vec!["ext2019110".into()],
        },
    );
    d.add_number(TENANT, "700", DialTarget::Voicemail("vm1".into()));
    let mut w = World::with_directory(d);
    let ok = register(&mut w, B, "ext2019111", "pb", 600);
    assert_eq!(ok.status, 200);
    w
}

/// The token of the last `play` command in `commands`.
fn last_play(commands: &[String]) -> (u64, String) {
    let line = commands
        .iter()
        .rev()
        .find(|c| c.starts_with("play "))
        .unwrap_or_else(|| panic!("no play in {commands:?}"));
    let token = line.split(' ').nth(3).unwrap().parse().unwrap();
    (token, line.clone())
}

fn play_done(w: &mut World, token: u64) {
    w.media_event(MediaEvent::PlayDone {
        id: MEDIA,
        side: Side::A,
        token,
    });
}

fn dtmf(w: &mut World, digit: char) {
    w.media_event(MediaEvent::Dtmf {
        id: MEDIA,
        side: Side::A,
        digit,
    });
}

/// The box answered the caller itself: one 200 with the box's SDP. Returns its To tag.
fn assert_answered_by_box(w: &mut World) -> String {
    let ok: Vec<_> = w
        .responses(addr(A))
        .into_iter()
        .filter(|r| r.status == 200)
        .collect();
    assert_eq!(ok.len(), 1, "one 200 to the caller");
    let sdp = String::from_utf8(ok[0].body.clone()).unwrap();
    assert!(sdp.contains("c=IN IP4 192.0.2.1"), "{sdp}");
    assert!(
        sdp.contains("m=audio 40004 RTP/AVP 0 101"),
        "answers PCMU + events: {sdp}"
    );
    ok[0].to_tag().unwrap()
}

#[test]
fn ivr_plays_its_prompt_and_digit_2_rings_the_extension_then_connects() {
    let mut w = media_world();
    let to_b = call(&mut w, "7000");
    assert!(to_b.is_empty(), "nobody rings before a digit");
    assert_answered_by_box(&mut w);
    let commands = w.media.take_commands();
    assert!(
        commands
            .iter()
            .any(|c| c == &format!("format {MEDIA} A Pcmu")),
        "{commands:?}"
    );
    let (_, line) = last_play(&commands);
    assert!(line.contains("hola.wav"), "{line}");

    dtmf(&mut w, '2');
    let invites = w.requests(addr(B));
    assert_eq!(invites.len(), 1, "option 2 rings extension 11");
    let offer = String::from_utf8(invites[0].body.clone()).unwrap();
    assert!(
        offer.contains("PCMU/8000"),
        "box offer starts with the caller's codec: {offer}"
    );
    assert!(
        offer.contains("opus/48000/2"),
        "and offers its others: {offer}"
    );
    let commands = w.media.take_commands();
    assert!(
        commands.iter().any(|c| c.contains("Tone(Ringback)")),
        "the caller hears ringback: {commands:?}"
    );

    respond(&mut w, &invites[0], 200, "OK", Some(SDP_B));
    let commands = w.media.take_commands();
    assert!(
        commands
            .iter()
            .any(|c| c == &format!("format {MEDIA} B Pcmu")),
        "{commands:?}"
    );
    assert!(
        commands.iter().any(|c| c == &format!("connect {MEDIA}")),
        "{commands:?}"
    );
    assert!(
        w.responses(addr(A)).iter().all(|r| r.status != 200),
        "the caller was answered once, by the IVR"
    );
    assert!(
        w.requests(addr(B)).iter().any(|r| r.method == Method::Ack),
        "B's 200 is ACKed"
    );
}

#[test]
fn ivr_without_input_replays_once_then_voicemail_keeps_the_message_after_hang_up() {
    let mut w = media_world();
    call(&mut w, "7000");
    let a_tag = assert_answered_by_box(&mut w);
    let (first, _) = last_play(&w.media.take_commands());
    play_done(&mut w, first);
    w.advance(Duration::from_secs(5));
    let (replay, line) = last_play(&w.media.take_commands());
    assert!(
        replay > first && line.contains("hola.wav"),
        "prompt replayed once: {line}"
    );
    play_done(&mut w, replay);
    w.advance(Duration::from_secs(5));

    // Voicemail: default greeting, beep, recording.
    let (greeting, line) = last_play(&w.media.take_commands());
    assert!(line.contains("VoicemailGreeting"), "{line}");
    play_done(&mut w, greeting);
    let (beep, line) = last_play(&w.media.take_commands());
    assert!(line.contains("Beep"), "{line}");
    play_done(&mut w, beep);
    let commands = w.media.take_commands();
    let record = commands
        .iter()
        .find(|c| c.starts_with("record "))
        .unwrap_or_else(|| panic!("recording starts: {commands:?}"));
    assert!(record.contains("/data/voicemail/20191/vm1/"), "{record}");
    let token: u64 = record.split(' ').nth(3).unwrap().parse().unwrap();

    // The caller hangs up mid-message; the file closes after the call is gone.
    w.advance(Duration::from_secs(4));
    w.send(addr(A), &in_dialog_from_a("BYE", 9, &a_tag, None));
    assert!(
        w.pbx.poll_effect().is_none(),
        "handed over only once the file is closed"
    );
    w.media_event(MediaEvent::RecordDone {
        id: MEDIA,
        side: Side::A,
        token,
        end: RecordEnd::Stopped,
        duration: Duration::from_secs(4),
    });
    let effect = w
        .pbx
        .poll_effect()
        .expect("the message is handed to the daemon");
    match effect.action {
        pbx::call::AppAction::SaveVoicemail {
            box_id, duration, ..
        } => {
            assert_eq!(box_id, "vm1");
            assert_eq!(duration, Duration::from_secs(4));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert_eq!(effect.caller, "10");
    assert!(w.pbx.poll_effect().is_none(), "exactly one message");
}

#[test]
fn dialling_the_box_number_opens_its_menu_behind_the_pin() {
    let mut w = media_world();
    let now = w.now;
    w.pbx.set_mailbox(
        TENANT,
        "vm1",
        vec![StoredMessage {
            id: 7,
            file: PathBuf::from("/data/voicemail/20191/vm1/1.wav"),
            heard: false,
        }],
        now,
    );
    call(&mut w, "700");
    assert_answered_by_box(&mut w);
    let (pin_prompt, line) = last_play(&w.media.take_commands());
    assert!(line.contains("EnterPin"), "{line}");
    play_done(&mut w, pin_prompt);
    for d in ['1', '2', '3', '4', '#'] {
        dtmf(&mut w, d);
    }
    let commands = w.media.take_commands();
    assert!(
        commands.iter().any(|c| c.contains("YouHave")),
        "right PIN: the count is read: {commands:?}"
    );
}

#[test]
fn a_callee_with_only_opus_is_transcoded_and_the_caller_keeps_pcmu() {
    let mut w = media_world();
    let invites = call(&mut w, "11");
    let offer = String::from_utf8(invites[0].body.clone()).unwrap();
    assert!(
        offer.contains("opus/48000/2"),
        "the box adds its codecs: {offer}"
    );
    let opus_answer = "v=0
o=bob 7 7 IN IP4 10.0.0.11
s=-
c=IN IP4 10.0.0.11
t=0 0
m=audio 30000 RTP/AVP 111 101
a=rtpmap:111 opus/48000/2
a=rtpmap:101 telephone-event/8000
a=sendrecv
";
    respond(&mut w, &invites[0], 200, "OK", Some(opus_answer));
    let ok = w
        .responses(addr(A))
        .into_iter()
        .find(|r| r.status == 200)
        .expect("caller answered");
    let sdp = String::from_utf8(ok.body).unwrap();
    assert!(
        sdp.contains("m=audio 40004 RTP/AVP 0"),
        "caller keeps PCMU: {sdp}"
    );
    assert!(!sdp.contains("opus"), "{sdp}");
    let commands = w.media.take_commands();
    assert!(
        commands
            .iter()
            .any(|c| c == &format!("format {MEDIA} A Pcmu")),
        "{commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c == &format!("format {MEDIA} B Opus")),
        "{commands:?}"
    );
    assert!(
        commands.iter().any(|c| c == &format!("connect {MEDIA}")),
        "{commands:?}"
    );
}

fn subscribe_head(cseq: u32, auth: &str) -> String {
    format!(
        "SUBSCRIBE sip:ext2019110@192.0.2.1 SIP/2.0
Via: SIP/2.0/UDP {A};branch=z9hG4bKsub{cseq};rport
From: <sip:ext2019110@192.0.2.1>;tag=mwi1
To: <sip:ext2019110@192.0.2.1>
Call-ID: mwi-call
CSeq: {cseq} SUBSCRIBE
Contact: <sip:ext2019110@{A}>
Event: message-summary
Accept: application/simple-message-summary
Expires: 3600
Max-Forwards: 70
{auth}Content-Length: 0

"
    )
}

#[test]
fn message_waiting_subscription_is_told_when_a_message_arrives() {
    let mut w = media_world();
    w.send(addr(A), &subscribe_head(1, ""));
    let challenge = w.responses(addr(A)).pop().expect("challenged");
    assert_eq!(challenge.status, 401);
    let auth = answer_challenge(
        &challenge,
        "SUBSCRIBE",
        "sip:ext2019110@192.0.2.1",
        "ext2019110",
        "pa",
    );
    w.send(
        addr(A),
        &subscribe_head(2, &format!("Authorization: {auth}\n")),
    );
    let messages = w.take(addr(A));
    let ok = messages
        .iter()
        .any(|m| matches!(m, sip::message::Message::Response(r) if r.status == 200));
    assert!(ok, "subscription accepted: {messages:?}");
    let first: Vec<String> = messages
        .iter()
        .filter_map(|m| match m {
            sip::message::Message::Request(r) if r.method == Method::Notify => {
                Some(String::from_utf8(r.body.clone()).unwrap())
            }
            _ => None,
        })
        .collect();
    assert_eq!(first.len(), 1, "an immediate NOTIFY");
    assert!(first[0].contains("Messages-Waiting: no"), "{}", first[0]);
    let notify = match messages
        .iter()
        .find(|m| matches!(m, sip::message::Message::Request(_)))
    {
        Some(sip::message::Message::Request(r)) => r.clone(),
        _ => unreachable!(),
    };
    let ok = sip::message::Response::for_request(&notify, 200, "OK", None);
    w.send(addr(A), std::str::from_utf8(&ok.to_bytes()).unwrap());

    let now = w.now;
    w.pbx.set_mailbox(
        TENANT,
        "vm1",
        vec![StoredMessage {
            id: 1,
            file: PathBuf::from("/data/voicemail/20191/vm1/1.wav"),
            heard: false,
        }],
        now,
    );
    w.advance(Duration::from_millis(1));
    let bodies: Vec<String> = w
        .requests(addr(A))
        .into_iter()
        .filter(|r| r.method == Method::Notify)
        .map(|r| String::from_utf8(r.body).unwrap())
        .collect();
    assert_eq!(bodies.len(), 1, "one NOTIFY for the change");
    assert!(bodies[0].contains("Messages-Waiting: yes"), "{}", bodies[0]);
    assert!(bodies[0].contains("Voice-Message: 1/0"), "{}", bodies[0]);
}

#[test]
fn caller_hanging_up_while_the_ivr_rings_an_extension_cancels_it() {
    let mut w = media_world();
    call(&mut w, "7000");
    let a_tag = assert_answered_by_box(&mut w);
    dtmf(&mut w, '2');
    let invites = w.requests(addr(B));
    assert_eq!(invites.len(), 1);
    respond(&mut w, &invites[0], 180, "Ringing", None);
    w.send(addr(A), &in_dialog_from_a("BYE", 9, &a_tag, None));
    let to_b = w.requests(addr(B));
    assert!(
        to_b.iter().any(|r| r.method == Method::Cancel),
        "the ringing extension is cancelled: {to_b:?}"
    );
    assert_eq!(
        w.pbx.active_calls(),
        1,
        "kept only until the INVITE completes"
    );
    respond(&mut w, &invites[0], 487, "Request Terminated", None);
    w.advance(Duration::from_secs(40));
    assert_eq!(w.pbx.active_calls(), 0, "nothing left behind");
    let cdrs = w.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_eq!(
        cdrs[0].disposition,
        pbx::Disposition::Answered,
        "the IVR answered"
    );
}

#[test]
fn music_on_hold_keeps_playing_after_the_held_phone_answers_the_hold() {
    let mut w = media_world();
    let invites = call(&mut w, "11");
    respond(&mut w, &invites[0], 200, "OK", Some(SDP_B));
    let ok = w
        .responses(addr(A))
        .into_iter()
        .find(|r| r.status == 200)
        .unwrap();
    let a_tag = ok.to_tag().unwrap();
    w.media.take_commands();
    let hold = SDP_A
        .replace("a=sendrecv", "a=sendonly")
        .replace("o=alice 1 1", "o=alice 1 2");
    w.send(
        addr(A),
        &in_dialog_from_a("INVITE", 5, &a_tag, Some(("application/sdp", &hold))),
    );
    let reinvite = w
        .requests(addr(B))
        .into_iter()
        .find(|r| r.method == Method::Invite)
        .unwrap();
    respond(
        &mut w,
        &reinvite,
        200,
        "OK",
        Some(&SDP_B.replace("a=sendrecv", "a=recvonly")),
    );
    let commands = w.media.take_commands();
    assert!(
        commands.iter().any(|c| c.contains("MusicOnHold")),
        "{commands:?}"
    );
    assert!(
        !commands.iter().any(|c| c.starts_with("connect")),
        "the held answer does not reconnect: {commands:?}"
    );
    let resume = SDP_A.replace("o=alice 1 1", "o=alice 1 3");
    w.send(
        addr(A),
        &in_dialog_from_a("INVITE", 6, &a_tag, Some(("application/sdp", &resume))),
    );
    let commands = w.media.take_commands();
    assert!(
        commands.iter().any(|c| c.starts_with("connect")),
        "resume reconnects: {commands:?}"
    );
}

#[test]
fn a_busy_extension_after_the_ivr_gives_the_caller_a_busy_tone_then_hangs_up() {
    let mut w = media_world();
    call(&mut w, "7000");
    assert_answered_by_box(&mut w);
    dtmf(&mut w, '2');
    let invites = w.requests(addr(B));
    respond(&mut w, &invites[0], 486, "Busy Here", None);
    let commands = w.media.take_commands();
    assert!(
        commands.iter().any(|c| c.contains("Tone(Busy)")),
        "busy tone: {commands:?}"
    );
    assert!(
        w.requests(addr(A)).iter().all(|r| r.method != Method::Bye),
        "not hung up at once"
    );
    w.advance(Duration::from_secs(5));
    assert!(
        w.requests(addr(A)).iter().any(|r| r.method == Method::Bye),
        "hung up after the tone"
    );
    let cdrs = w.cdrs();
    assert_eq!(cdrs.len(), 1);
    assert_ne!(
        cdrs[0].hangup_cause, "app-hangup",
        "the failed leg's cause is kept"
    );
    assert_eq!(cdrs[0].disposition, pbx::Disposition::Answered);
}
