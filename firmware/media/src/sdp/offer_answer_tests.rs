//! Offer/answer rewriting tests: codecs, addresses, versions, hold, errors.

use super::*;
use crate::sdp::AddressType;

fn sdp(lines: &[&str]) -> SessionDescription {
    let text: String = lines.iter().map(|l| format!("{l}\r\n")).collect();
    SessionDescription::parse(text.as_bytes()).unwrap()
}

const BOX: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 2));

fn relay(port: u16) -> RelayAddress {
    RelayAddress {
        ip: BOX,
        rtp_port: port,
    }
}

fn caller_offer(extra: &[&str]) -> SessionDescription {
    let mut lines = vec![
        "v=0",
        "o=alice 2890844526 2890844526 IN IP4 10.0.0.5",
        "s=-",
        "c=IN IP4 10.0.0.5",
        "t=0 0",
        "m=audio 49170 RTP/AVP 0 8 9 18 96 101",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:18 G729/8000",
        "a=fmtp:18 annexb=no",
        "a=rtpmap:96 opus/48000/2",
        "a=fmtp:96 useinbandfec=1",
        "a=rtcp-fb:96 nack",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        "a=ptime:20",
        "a=rtcp:49171",
        "a=ice-ufrag:abcd",
        "a=candidate:1 1 UDP 2130706431 10.0.0.5 49170 typ host",
    ];
    lines.extend_from_slice(extra);
    sdp(&lines)
}

fn callee_answer(port: u16, direction: &str, connection: &str) -> SessionDescription {
    sdp(&[
        "v=0",
        "o=bob 1 1 IN IP4 10.0.0.9",
        "s=-",
        connection,
        "t=0 0",
        &format!("m=audio {port} RTP/AVP 8 101"),
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-16",
        direction,
    ])
}

#[test]
fn offer_keeps_relayable_codecs_and_points_at_the_box() {
    let mut session = LocalSession::new(777);
    let out = rewrite_offer(&caller_offer(&[]), relay(20000), &mut session).unwrap();
    let m = &out.sdp.media[0];
    // Opus (96 here) is one of the box's codecs too.
    assert_eq!(m.formats, ["0", "8", "9", "96", "101"]);
    assert_eq!(m.port, 20000);
    assert_eq!(out.sdp.connection, Some(Connection::ip(BOX)));
    assert!(m.connections.is_empty());
    assert_eq!(out.peer_rtp, Some("10.0.0.5:49170".parse().unwrap()));
    assert_eq!(out.direction, Direction::SendRecv);
    assert!(!out.on_hold);

    let text = out.sdp.to_string();
    assert!(
        text.starts_with("v=0\r\no=centralita 777 1 IN IP4 192.168.1.2\r\n"),
        "{text}"
    );
    assert!(text.contains("a=fmtp:101 0-16\r\n"));
    assert!(text.contains("a=rtpmap:9 G722/8000\r\n"));
    assert!(text.contains("a=ptime:20\r\n"));
    assert!(text.contains("a=sendrecv\r\n"));
    for gone in ["G729", "annexb", "a=rtcp:", "ice", "candidate", "10.0.0.5"] {
        assert!(!text.contains(gone), "{gone} left in {text}");
    }
    // What the box sends must itself parse.
    assert_eq!(SessionDescription::parse(text.as_bytes()).unwrap(), out.sdp);
}

#[test]
fn answer_is_rewritten_for_the_caller() {
    let mut to_callee = LocalSession::new(1);
    let mut to_caller = LocalSession::new(2);
    let offer = rewrite_offer(&caller_offer(&[]), relay(20002), &mut to_callee).unwrap();
    let answer = callee_answer(30000, "a=sendrecv", "c=IN IP4 10.0.0.9");
    let out = rewrite_answer(&answer, &offer.sdp, relay(20000), &mut to_caller).unwrap();
    assert_eq!(out.sdp.media[0].formats, ["8", "101"]);
    assert_eq!(out.sdp.media[0].port, 20000);
    assert_eq!(out.peer_rtp, Some("10.0.0.9:30000".parse().unwrap()));
    assert_eq!(out.sdp.origin.session_id, "2");
    assert_eq!(out.sdp.connection, Some(Connection::ip(BOX)));
}

#[test]
fn answer_codecs_not_offered_are_dropped() {
    let mut s = LocalSession::new(1);
    let offer = rewrite_offer(
        &sdp(&[
            "v=0",
            "o=- 1 1 IN IP4 10.0.0.5",
            "c=IN IP4 10.0.0.5",
            "m=audio 4000 RTP/AVP 0",
        ]),
        relay(20000),
        &mut s,
    )
    .unwrap();
    // The callee answers PCMA, which was never offered: nothing usable remains.
    let err = rewrite_answer(
        &callee_answer(30000, "a=sendrecv", "c=IN IP4 10.0.0.9"),
        &offer.sdp,
        relay(20002),
        &mut LocalSession::new(2),
    )
    .unwrap_err();
    assert!(matches!(err, OfferAnswerError::NoCommonCodec { .. }));
}

#[test]
fn no_common_codec_is_an_error() {
    let offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.5",
        "s=-",
        "c=IN IP4 10.0.0.5",
        "t=0 0",
        "m=audio 4000 RTP/AVP 18 101",
        "a=rtpmap:18 G729/8000",
        "a=rtpmap:101 telephone-event/8000",
        "m=video 4002 RTP/AVP 31",
    ]);
    let err = rewrite_offer(&offer, relay(20000), &mut LocalSession::new(1)).unwrap_err();
    assert_eq!(
        err,
        OfferAnswerError::NoCommonCodec {
            offered: vec!["18".to_string(), "101".to_string()]
        }
    );
    // A callee that rejects the audio stream (port 0) leaves no common codec either.
    let sent = rewrite_offer(&caller_offer(&[]), relay(20000), &mut LocalSession::new(1)).unwrap();
    let rejected = callee_answer(0, "a=sendrecv", "c=IN IP4 10.0.0.9");
    assert!(matches!(
        rewrite_answer(
            &rejected,
            &sent.sdp,
            relay(20002),
            &mut LocalSession::new(2)
        ),
        Err(OfferAnswerError::NoCommonCodec { .. })
    ));
}

#[test]
fn other_streams_are_disabled_and_line_count_is_kept() {
    let offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.5",
        "s=-",
        "c=IN IP4 10.0.0.5",
        "t=0 0",
        "m=video 5000 RTP/AVP 96",
        "a=rtpmap:96 H264/90000",
        "m=audio 4000 RTP/AVP 0",
    ]);
    let out = rewrite_offer(&offer, relay(20000), &mut LocalSession::new(1)).unwrap();
    assert_eq!(out.sdp.media.len(), 2);
    assert_eq!(out.sdp.media[0].port, 0);
    assert!(out.sdp.media[0].attributes.is_empty());
    assert_eq!(out.sdp.media[1].port, 20000);
    assert_eq!(out.peer_rtp, Some("10.0.0.5:4000".parse().unwrap()));

    let wrong = callee_answer(30000, "a=sendrecv", "c=IN IP4 10.0.0.9");
    assert_eq!(
        rewrite_answer(&wrong, &out.sdp, relay(20002), &mut LocalSession::new(2)),
        Err(OfferAnswerError::MediaCountMismatch {
            offer: 2,
            answer: 1
        })
    );
}

#[test]
fn version_increments_only_when_the_body_changes() {
    let mut session = LocalSession::new(42);
    let first = rewrite_offer(&caller_offer(&[]), relay(20000), &mut session).unwrap();
    assert_eq!(first.sdp.origin.session_version, "1");
    // A session refresh with the same content keeps the version (RFC 3264 §8).
    let same = rewrite_offer(&caller_offer(&[]), relay(20000), &mut session).unwrap();
    assert_eq!(same.sdp.origin.session_version, "1");
    let hold = rewrite_offer(&caller_offer(&["a=sendonly"]), relay(20000), &mut session).unwrap();
    assert_eq!(hold.sdp.origin.session_version, "2");
    assert_eq!(hold.sdp.origin.session_id, "42");
    let resume = rewrite_offer(&caller_offer(&[]), relay(20000), &mut session).unwrap();
    assert_eq!(resume.sdp.origin.session_version, "3");
    assert_eq!(session.version(), 3);
}

#[test]
fn hold_passes_through() {
    let mut s = LocalSession::new(1);
    let out = rewrite_offer(&caller_offer(&["a=sendonly"]), relay(20000), &mut s).unwrap();
    assert!(out.on_hold);
    assert_eq!(out.sdp.media_direction(0), Direction::SendOnly);
    assert_eq!(out.peer_rtp, Some("10.0.0.5:49170".parse().unwrap()));

    let out = rewrite_offer(&caller_offer(&["a=inactive"]), relay(20000), &mut s).unwrap();
    assert!(out.on_hold);
    assert_eq!(out.sdp.media_direction(0), Direction::Inactive);

    // Session-level direction is honoured and moved to the media level.
    let mut offer = caller_offer(&[]);
    offer
        .attributes
        .push(Attribute::Direction(Direction::SendOnly));
    let out = rewrite_offer(&offer, relay(20000), &mut s).unwrap();
    assert!(out.on_hold);
    assert_eq!(out.sdp.direction(), None);
    assert_eq!(out.sdp.media_direction(0), Direction::SendOnly);

    // The callee's recvonly answer passes back as recvonly.
    let sent = rewrite_offer(&caller_offer(&["a=sendonly"]), relay(20002), &mut s).unwrap();
    let answer = callee_answer(30000, "a=recvonly", "c=IN IP4 10.0.0.9");
    let back = rewrite_answer(&answer, &sent.sdp, relay(20000), &mut LocalSession::new(2)).unwrap();
    assert_eq!(back.sdp.media_direction(0), Direction::RecvOnly);
    assert!(!back.on_hold);
}

#[test]
fn old_style_hold_stays_old_style_and_says_sendonly() {
    let offer = sdp(&[
        "v=0",
        "o=- 1 2 IN IP4 10.0.0.5",
        "s=-",
        "c=IN IP4 0.0.0.0",
        "t=0 0",
        "m=audio 4000 RTP/AVP 0",
    ]);
    let out = rewrite_offer(&offer, relay(20000), &mut LocalSession::new(1)).unwrap();
    assert!(out.on_hold);
    assert_eq!(
        out.peer_rtp, None,
        "0.0.0.0 must not become a latching target"
    );
    assert_eq!(out.direction, Direction::SendRecv);
    assert_eq!(
        out.sdp.connection.as_ref().map(|c| c.address.clone()),
        Some(Address::Ip(IpAddr::V4(Ipv4Addr::UNSPECIFIED)))
    );
    assert_eq!(out.sdp.media_direction(0), Direction::SendOnly);
    // The o= line still names the box.
    assert_eq!(out.sdp.origin.address, Address::Ip(BOX));
}

#[test]
fn ipv6_phone_and_ipv6_box() {
    let offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP6 2001:db8::20",
        "s=-",
        "c=IN IP6 2001:db8::20",
        "t=0 0",
        "m=audio 6000 RTP/AVP 0",
    ]);
    let box6: IpAddr = "2001:db8::1".parse().unwrap();
    let out = rewrite_offer(
        &offer,
        RelayAddress {
            ip: box6,
            rtp_port: 20000,
        },
        &mut LocalSession::new(1),
    )
    .unwrap();
    assert_eq!(out.peer_rtp, Some("[2001:db8::20]:6000".parse().unwrap()));
    let c = out.sdp.connection.as_ref().unwrap();
    assert_eq!(c.address_type, AddressType::Ip6);
    assert!(out.sdp.to_string().contains("c=IN IP6 2001:db8::1\r\n"));
}

#[test]
fn missing_connection_is_an_error_and_media_level_c_wins() {
    let offer = sdp(&["v=0", "o=- 1 1 IN IP4 10.0.0.5", "m=audio 4000 RTP/AVP 0"]);
    assert_eq!(
        rewrite_offer(&offer, relay(20000), &mut LocalSession::new(1)),
        Err(OfferAnswerError::NoConnection { index: 0 })
    );
    let offer = sdp(&[
        "v=0",
        "o=- 1 1 IN IP4 10.0.0.5",
        "c=IN IP4 10.0.0.5",
        "m=audio 4000 RTP/AVP 0",
        "c=IN IP4 10.0.0.6",
    ]);
    let out = rewrite_offer(&offer, relay(20000), &mut LocalSession::new(1)).unwrap();
    assert_eq!(out.peer_rtp, Some("10.0.0.6:4000".parse().unwrap()));
}

/// Linphone 5 style offer: AVPF, wildcard rtcp-fb, many codecs, ICE, rtcp-mux.
#[test]
fn linphone_offer() {
    let offer = sdp(&[
        "v=0",
        "o=ten 3385 1224 IN IP4 192.168.1.50",
        "s=Talk",
        "c=IN IP4 192.168.1.50",
        "t=0 0",
        "a=ice-pwd:5d2c1e9e1b0a3c5b",
        "a=ice-ufrag:7c5b1e9e",
        "a=rtcp-xr:rcvr-rtt=all:10000 stat-summary=loss,dup,jitt,TTL voip-metrics",
        "a=record:off",
        "m=audio 7078 RTP/AVPF 96 97 98 0 8 18 101 99 100",
        "a=rtpmap:96 opus/48000/2",
        "a=fmtp:96 useinbandfec=1",
        "a=rtpmap:97 speex/16000",
        "a=fmtp:97 vbr=on",
        "a=rtpmap:98 speex/8000",
        "a=fmtp:98 vbr=on",
        "a=fmtp:18 annexb=yes",
        "a=rtpmap:101 telephone-event/48000",
        "a=rtpmap:99 telephone-event/16000",
        "a=rtpmap:100 telephone-event/8000",
        "a=rtcp-mux",
        "a=rtcp:7079",
        "a=candidate:1 1 UDP 2130706303 192.168.1.50 7078 typ host",
        "a=rtcp-fb:* trr-int 1000",
        "a=rtcp-fb:* ccm tmmbr",
    ]);
    let out = rewrite_offer(&offer, relay(20000), &mut LocalSession::new(5)).unwrap();
    let m = &out.sdp.media[0];
    assert_eq!(m.formats, ["96", "0", "8", "101", "99", "100"]);
    assert_eq!(m.protocol, "RTP/AVPF");
    let text = out.sdp.to_string();
    for kept in [
        "a=rtcp-fb:* trr-int 1000",
        "a=rtcp-fb:* ccm tmmbr",
        "a=rtcp-mux",
        "a=record:off",
        "a=rtcp-xr:",
    ] {
        assert!(text.contains(kept), "{kept} missing from {text}");
    }
    for gone in [
        "ice-",
        "candidate",
        "a=rtcp:",
        "speex",
        "annexb",
        "192.168.1.50",
    ] {
        assert!(!text.contains(gone), "{gone} left in {text}");
    }
}

/// Yealink T4x style: session-level direction absent, media-level sendonly on hold,
/// ptime and maxptime, G722 first.
#[test]
fn yealink_hold_reoffer() {
    let offer = sdp(&[
        "v=0",
        "o=- 20018 20020 IN IP4 192.168.1.61",
        "s=SDP data",
        "c=IN IP4 192.168.1.61",
        "t=0 0",
        "m=audio 11786 RTP/AVP 9 0 8 18 101",
        "a=rtpmap:9 G722/8000",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:18 G729/8000",
        "a=fmtp:18 annexb=no",
        "a=ptime:20",
        "a=maxptime:60",
        "a=sendonly",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
    ]);
    let out = rewrite_offer(&offer, relay(20000), &mut LocalSession::new(5)).unwrap();
    assert!(out.on_hold);
    assert_eq!(out.sdp.media[0].formats, ["9", "0", "8", "101"]);
    assert_eq!(out.sdp.media_direction(0), Direction::SendOnly);
    assert!(out.sdp.media[0]
        .attributes
        .contains(&Attribute::MaxPtime(60)));
}

/// Cost of the SDP work of one call set-up (parse the offer, rewrite, print; parse the
/// answer, rewrite, print). Ignored: a measurement, run with
/// `cargo test -p media --release sdp_cost -- --ignored --nocapture`.
#[test]
#[ignore = "measurement"]
fn sdp_cost_per_call_setup() {
    let offer_text = caller_offer(&[]).to_string();
    let answer_text = callee_answer(30000, "a=sendrecv", "c=IN IP4 10.0.0.9").to_string();
    const N: u32 = 20_000;
    let start = std::time::Instant::now();
    let mut bytes = 0usize;
    for i in 0..N {
        let mut to_callee = LocalSession::new(u64::from(i));
        let mut to_caller = LocalSession::new(u64::from(i) + 1);
        let offer = SessionDescription::parse(offer_text.as_bytes()).unwrap();
        let sent = rewrite_offer(&offer, relay(20002), &mut to_callee).unwrap();
        bytes += sent.sdp.to_string().len();
        let answer = SessionDescription::parse(answer_text.as_bytes()).unwrap();
        let back = rewrite_answer(&answer, &sent.sdp, relay(20000), &mut to_caller).unwrap();
        bytes += back.sdp.to_string().len();
    }
    let per_call = start.elapsed() / N;
    println!("SDP offer+answer per call set-up: {per_call:?} ({bytes} bytes printed)");
}

#[test]
fn multicast_and_broadcast_never_become_relay_targets() {
    for c in [
        "c=IN IP4 224.0.1.1/127",
        "c=IN IP4 255.255.255.255",
        "c=IN IP6 ff02::1",
        "c=IN IP4 voip.example.com",
    ] {
        let offer = sdp(&[
            "v=0",
            "o=- 1 1 IN IP4 10.0.0.5",
            c,
            "m=audio 4000 RTP/AVP 0",
        ]);
        let out = rewrite_offer(&offer, relay(20000), &mut LocalSession::new(1)).unwrap();
        assert_eq!(out.peer_rtp, None, "{c}");
        assert!(!out.on_hold, "{c}");
    }
}
