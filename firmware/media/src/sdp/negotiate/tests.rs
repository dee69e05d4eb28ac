//! Negotiation tests with offers shaped like real phones' (Yealink, Grandstream, baresip,
//! Linphone, a WebRTC gateway).

use super::*;
use std::net::{IpAddr, Ipv4Addr};

fn sdp(lines: &[&str]) -> SessionDescription {
    let text: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
    SessionDescription::parse(text.as_bytes()).unwrap()
}

const BOX: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2));

fn relay() -> RelayAddress {
    RelayAddress {
        ip: BOX,
        rtp_port: 30000,
    }
}

fn yealink() -> SessionDescription {
    sdp(&[
        "v=0",
        "o=- 20012 20012 IN IP4 192.168.1.50",
        "s=SDP data",
        "c=IN IP4 192.168.1.50",
        "t=0 0",
        "m=audio 11780 RTP/AVP 9 0 8 18 101",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:18 G729/8000",
        "a=fmtp:18 annexb=no",
        "a=ptime:20",
        "a=sendrecv",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
    ])
}

fn grandstream() -> SessionDescription {
    sdp(&[
        "v=0",
        "o=1001 8000 8000 IN IP4 192.168.1.60",
        "s=SIP Call",
        "c=IN IP4 192.168.1.60",
        "t=0 0",
        "m=audio 5004 RTP/AVP 0 8 4 18 9 97 2 123 101",
        "c=IN IP4 192.168.1.60",
        "a=sendrecv",
        "a=rtpmap:0 PCMU/8000",
        "a=ptime:20",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:4 G723/8000",
        "a=rtpmap:18 G729/8000",
        "a=fmtp:18 annexb=no",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:97 iLBC/8000",
        "a=fmtp:97 mode=20",
        "a=rtpmap:2 G726-32/8000",
        "a=rtpmap:123 opus/48000/2",
        "a=fmtp:123 maxplaybackrate=16000; useinbandfec=1",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
    ])
}

fn baresip(direction: &str) -> SessionDescription {
    sdp(&[
        "v=0",
        "o=- 1432398452 3159291453 IN IP4 192.168.1.70",
        "s=-",
        "c=IN IP4 192.168.1.70",
        "t=0 0",
        "m=audio 10364 RTP/AVP 96 9 0 8 101 102",
        "a=rtpmap:96 opus/48000/2",
        "a=fmtp:96 stereo=1;sprop-stereo=1",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/48000",
        "a=fmtp:101 0-15",
        "a=rtpmap:102 telephone-event/8000",
        "a=fmtp:102 0-15",
        "a=ptime:20",
        direction,
        "a=rtcp-rsize",
    ])
}

fn f(codec: CodecKind, payload_type: u8) -> Format {
    Format {
        codec,
        payload_type,
    }
}

use CodecKind::{Opus, Pcma, Pcmu, G722};

#[test]
fn audio_formats_of_real_offers() {
    assert_eq!(
        audio_formats(&yealink(), 0),
        (vec![f(G722, 9), f(Pcmu, 0), f(Pcma, 8)], Some(101))
    );
    assert_eq!(
        audio_formats(&grandstream(), 0),
        (
            vec![f(Pcmu, 0), f(Pcma, 8), f(G722, 9), f(Opus, 123)],
            Some(101)
        )
    );
    // Opus first: the 48 kHz telephone-event matches its clock.
    assert_eq!(
        audio_formats(&baresip("a=sendrecv"), 0),
        (
            vec![f(Opus, 96), f(G722, 9), f(Pcmu, 0), f(Pcma, 8)],
            Some(101)
        )
    );
    assert_eq!(audio_formats(&yealink(), 1), (vec![], None));
}

#[test]
fn audio_formats_edge_cases() {
    // Static payload types without rtpmap; names in any case; wrong clock rates ignored.
    let offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.1",
        "s=-",
        "c=IN IP4 10.0.0.1",
        "t=0 0",
        "m=audio 4000 RTP/AVP 8 0 98 99 100 130 x",
        "a=rtpmap:98 OPUS/48000/2",
        "a=rtpmap:99 G722/16000",
        "a=rtpmap:100 telephone-event/16000",
    ]);
    assert_eq!(
        audio_formats(&offer, 0),
        (vec![f(Pcma, 8), f(Pcmu, 0), f(Opus, 98)], None)
    );
    // Only a 48 kHz telephone-event, offered with opus: accepted.
    let offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.1",
        "s=-",
        "c=IN IP4 10.0.0.1",
        "t=0 0",
        "m=audio 4000 RTP/AVP 0 111 110",
        "a=rtpmap:111 opus/48000/2",
        "a=rtpmap:110 telephone-event/48000",
    ]);
    assert_eq!(audio_formats(&offer, 0).1, Some(110));
}

fn audio(answer: &SessionDescription) -> &MediaDescription {
    answer.media.iter().find(|m| m.port != 0).unwrap()
}

#[test]
fn answers_yealink_with_g722_and_its_events() {
    let mut session = LocalSession::new(4242);
    let (answer, format, event) = answer_as_endpoint(&yealink(), relay(), &mut session).unwrap();
    assert_eq!(format, f(G722, 9));
    assert_eq!(event, Some(101));
    let text = answer.to_string();
    assert_eq!(
        text,
        "v=0\r\n\
         o=centralita 4242 1 IN IP4 192.168.1.2\r\n\
         s=-\r\n\
         c=IN IP4 192.168.1.2\r\n\
         t=0 0\r\n\
         m=audio 30000 RTP/AVP 9 101\r\n\
         a=rtpmap:9 G722/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-15\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    assert_eq!(SessionDescription::parse(text.as_bytes()).unwrap(), answer);
}

#[test]
fn answers_baresip_with_opus_per_rfc_7587() {
    let mut session = LocalSession::new(1);
    let (answer, format, event) =
        answer_as_endpoint(&baresip("a=sendrecv"), relay(), &mut session).unwrap();
    assert_eq!(format, f(Opus, 96));
    assert_eq!(event, Some(101));
    let m = audio(&answer);
    assert_eq!(m.formats, ["96", "101"]);
    let text = answer.to_string();
    assert!(text.contains("a=rtpmap:96 opus/48000/2\r\na=fmtp:96 useinbandfec=1\r\n"));
    assert!(text.contains("a=rtpmap:101 telephone-event/48000\r\n"));
}

#[test]
fn answers_grandstream_with_its_first_codec() {
    let mut session = LocalSession::new(1);
    let (answer, format, event) =
        answer_as_endpoint(&grandstream(), relay(), &mut session).unwrap();
    assert_eq!((format, event), (f(Pcmu, 0), Some(101)));
    assert_eq!(audio(&answer).formats, ["0", "101"]);
}

#[test]
fn answer_direction_follows_rfc_3264() {
    let cases = [
        ("a=sendrecv", Direction::SendRecv),
        ("a=sendonly", Direction::RecvOnly),
        ("a=recvonly", Direction::SendOnly),
        ("a=inactive", Direction::Inactive),
    ];
    for (offered, expected) in cases {
        let mut session = LocalSession::new(1);
        let (answer, _, _) = answer_as_endpoint(&baresip(offered), relay(), &mut session).unwrap();
        assert_eq!(answer.media_direction(0), expected, "{offered}");
    }
    // Old-style hold: c=0.0.0.0 means "do not send to me".
    let mut offer = yealink();
    offer.connection = Some(Connection::ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)));
    let (answer, _, _) = answer_as_endpoint(&offer, relay(), &mut LocalSession::new(1)).unwrap();
    assert_eq!(answer.media_direction(0), Direction::RecvOnly);
}

#[test]
fn answer_rejects_other_streams_and_keeps_the_line_count() {
    let offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.8",
        "s=-",
        "c=IN IP4 10.0.0.8",
        "t=0 0",
        "m=video 5006 RTP/AVP 97",
        "a=rtpmap:97 H264/90000",
        "m=audio 5010 RTP/SAVP 0",
        "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc",
        "m=audio 5004 RTP/AVP 18 8",
        "a=rtpmap:18 G729/8000",
    ]);
    let (answer, format, event) =
        answer_as_endpoint(&offer, relay(), &mut LocalSession::new(1)).unwrap();
    assert_eq!((format, event), (f(Pcma, 8), None));
    let ports: Vec<u16> = answer.media.iter().map(|m| m.port).collect();
    assert_eq!(ports, [0, 0, 30000]);
    assert_eq!(answer.media[0].formats, ["97"]);
    assert_eq!(answer.media[2].formats, ["8"]);
    assert!(answer.to_string().contains("m=video 0 RTP/AVP 97\r\n"));
}

#[test]
fn answer_without_a_common_codec_is_488_material() {
    let offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.8",
        "s=-",
        "c=IN IP4 10.0.0.8",
        "t=0 0",
        "m=audio 5004 RTP/AVP 18 101",
        "a=rtpmap:18 G729/8000",
        "a=rtpmap:101 telephone-event/8000",
    ]);
    let err = answer_as_endpoint(&offer, relay(), &mut LocalSession::new(1)).unwrap_err();
    assert_eq!(
        err,
        OfferAnswerError::NoCommonCodec {
            offered: vec!["18".into(), "101".into()]
        }
    );
    // WebRTC-style SRTP only: the box has no keys, so nothing to answer.
    let offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.8",
        "s=-",
        "c=IN IP4 10.0.0.8",
        "t=0 0",
        "m=audio 9 UDP/TLS/RTP/SAVPF 111",
        "a=rtpmap:111 opus/48000/2",
    ]);
    assert!(answer_as_endpoint(&offer, relay(), &mut LocalSession::new(1)).is_err());
}

#[test]
fn answer_version_moves_only_when_the_body_changes() {
    let mut session = LocalSession::new(9);
    let version = |sdp: &SessionDescription| sdp.origin.session_version.clone();
    let (a1, _, _) = answer_as_endpoint(&yealink(), relay(), &mut session).unwrap();
    let (a2, _, _) = answer_as_endpoint(&yealink(), relay(), &mut session).unwrap();
    assert_eq!((version(&a1), version(&a2)), ("1".into(), "1".into()));
    let (a3, _, _) = answer_as_endpoint(&baresip("a=sendonly"), relay(), &mut session).unwrap();
    assert_eq!(version(&a3), "2");
    assert_eq!(a3.origin.session_id, "9");
}

#[test]
fn endpoint_offer_lists_the_box_codecs() {
    let mut session = LocalSession::new(77);
    let offer = endpoint_offer(&CodecKind::ALL, relay(), &mut session);
    assert_eq!(
        offer.to_string(),
        "v=0\r\n\
         o=centralita 77 1 IN IP4 192.168.1.2\r\n\
         s=-\r\n\
         c=IN IP4 192.168.1.2\r\n\
         t=0 0\r\n\
         m=audio 30000 RTP/AVP 111 9 0 8 101\r\n\
         a=rtpmap:111 opus/48000/2\r\n\
         a=fmtp:111 useinbandfec=1\r\n\
         a=rtpmap:9 G722/8000\r\n\
         a=rtpmap:0 PCMU/8000\r\n\
         a=rtpmap:8 PCMA/8000\r\n\
         a=rtpmap:101 telephone-event/8000\r\n\
         a=fmtp:101 0-16\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n"
    );
    assert_eq!(
        audio_formats(&offer, 0),
        (
            vec![f(Opus, 111), f(G722, 9), f(Pcmu, 0), f(Pcma, 8)],
            Some(101)
        )
    );
    let again = endpoint_offer(&CodecKind::ALL, relay(), &mut session);
    assert_eq!(again.origin.session_version, "1");
    let narrower = endpoint_offer(&[Pcma, Pcma, Pcmu], relay(), &mut session);
    assert_eq!(narrower.media[0].formats, ["8", "0", "101"]);
    assert_eq!(narrower.origin.session_version, "2");
}

#[test]
fn extend_offer_adds_missing_codecs_before_telephone_event() {
    let mut offer = yealink();
    extend_offer(&mut offer, &CodecKind::ALL);
    let m = &offer.media[0];
    assert_eq!(m.formats, ["9", "0", "8", "18", "111", "101"]);
    assert_eq!(
        audio_formats(&offer, 0),
        (
            vec![f(G722, 9), f(Pcmu, 0), f(Pcma, 8), f(Opus, 111)],
            Some(101)
        )
    );
    let text = offer.to_string();
    assert!(
        text.ends_with(
            "a=fmtp:101 0-15\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"
        ),
        "{text}"
    );
    // Nothing missing: unchanged.
    let mut full = grandstream();
    extend_offer(&mut full, &CodecKind::ALL);
    assert_eq!(full, grandstream());
}

#[test]
fn extend_offer_picks_free_dynamic_payload_types() {
    // 111 is the caller's telephone-event and 96 its something-else: opus takes 97.
    // PT 9 is mapped to a codec the box does not know, so G.722 needs a dynamic number too.
    let mut offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.8",
        "s=-",
        "c=IN IP4 10.0.0.8",
        "t=0 0",
        "m=audio 5004 RTP/AVP 8 96 9 111",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:96 speex/16000",
        "a=rtpmap:9 foo/8000",
        "a=rtpmap:101 H263-1998/90000",
        "a=rtpmap:111 telephone-event/8000",
    ]);
    extend_offer(&mut offer, &CodecKind::ALL);
    assert_eq!(
        offer.media[0].formats,
        ["8", "96", "9", "97", "98", "0", "111"]
    );
    assert_eq!(
        audio_formats(&offer, 0),
        (
            vec![f(Pcma, 8), f(Opus, 97), f(G722, 98), f(Pcmu, 0)],
            Some(111)
        )
    );
}

#[test]
fn extend_offer_without_free_numbers_or_audio_is_harmless() {
    let formats: Vec<String> = (96..=127).map(|pt| pt.to_string()).collect();
    let mut lines = vec![
        "v=0".to_string(),
        "o=- 1 1 IN IP4 10.0.0.8".into(),
        "s=-".into(),
        "c=IN IP4 10.0.0.8".into(),
        "t=0 0".into(),
        format!("m=audio 5004 RTP/AVP 0 {}", formats.join(" ")),
    ];
    lines.extend((96..=127).map(|pt| format!("a=rtpmap:{pt} x-{pt}/8000")));
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    let mut offer = sdp(&refs);
    extend_offer(&mut offer, &CodecKind::ALL);
    // G.722 and PCMA have static numbers; opus has none left.
    assert_eq!(
        audio_formats(&offer, 0).0,
        vec![f(Pcmu, 0), f(G722, 9), f(Pcma, 8)]
    );

    let mut video_only = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.8",
        "s=-",
        "c=IN IP4 10.0.0.8",
        "t=0 0",
        "m=video 5006 RTP/AVP 97",
    ]);
    let before = video_only.clone();
    extend_offer(&mut video_only, &CodecKind::ALL);
    assert_eq!(video_only, before);
}
