//! Opus through libopus: the encoder's settings as seen in its packets, peers' packets the
//! decoder must take (stereo, longer frames), concealment, and bad input.

use super::opus::{OpusDecoder, OpusEncoder};
use super::{CodecError, CodecKind, Decoder, Encoder};
use crate::dsp::level::rms_dbfs;
use crate::dsp::tone::sine;
use audiopus::coder::Encoder as LibEncoder;
use audiopus::{packet, Application, Channels, SampleRate};

fn encode_tone(frames: usize) -> Vec<Vec<u8>> {
    let pcm = sine(440.0, -12.0, 48_000, 960 * frames);
    let mut enc = OpusEncoder::new().unwrap();
    pcm.chunks_exact(960)
        .map(|frame| {
            let mut payload = Vec::new();
            enc.encode(frame, &mut payload).unwrap();
            payload
        })
        .collect()
}

#[test]
fn packets_are_mono_20_ms_at_the_configured_bitrate() {
    let packets = encode_tone(100);
    for p in &packets {
        assert_eq!(packet::nb_channels(&p[..]).unwrap(), Channels::Mono);
        assert_eq!(
            packet::samples_per_frame(&p[..], SampleRate::Hz48000).unwrap(),
            960
        );
        assert_eq!(
            packet::nb_samples(&p[..], SampleRate::Hz48000).unwrap(),
            960
        );
    }
    let bytes: usize = packets.iter().skip(10).map(Vec::len).sum();
    let bps = bytes * 8 * 50 / (packets.len() - 10);
    assert!((20_000..=36_000).contains(&bps), "{bps} bit/s");
}

#[test]
fn decodes_a_stereo_peer_to_mono() {
    // RFC 7587 signals opus/48000/2 whatever the sender encodes.
    let stereo = LibEncoder::new(SampleRate::Hz48000, Channels::Stereo, Application::Voip).unwrap();
    let left = sine(1000.0, -12.0, 48_000, 960);
    let interleaved: Vec<i16> = left.iter().flat_map(|&s| [s, s]).collect();
    let mut buf = [0u8; 1275];
    let mut dec = OpusDecoder::new().unwrap();
    let mut out = Vec::new();
    for _ in 0..5 {
        let n = stereo.encode(&interleaved, &mut buf).unwrap();
        assert_eq!(dec.decode(&buf[..n], &mut out).unwrap(), 960);
    }
    assert_eq!(out.len(), 4800);
    assert!(rms_dbfs(&out[2400..]) > -20.0);
}

#[test]
fn decodes_longer_frames() {
    let pcm = sine(1000.0, -12.0, 48_000, 2880);
    let mut enc = OpusEncoder::new().unwrap();
    let mut payload = Vec::new();
    enc.encode(&pcm, &mut payload).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        OpusDecoder::new()
            .unwrap()
            .decode(&payload, &mut out)
            .unwrap(),
        2880
    );
}

#[test]
fn conceals_a_lost_packet_with_libopus_plc() {
    let packets = encode_tone(20);
    let mut dec = OpusDecoder::new().unwrap();
    let mut out = Vec::new();
    for p in &packets[..10] {
        dec.decode(p, &mut out).unwrap();
    }
    let before = out.len();
    assert_eq!(dec.conceal(&mut out).unwrap(), 960);
    // The concealment continues the tone rather than dropping to silence.
    assert!(rms_dbfs(&out[before..]) > -30.0);
    for p in &packets[11..] {
        assert_eq!(dec.decode(p, &mut out).unwrap(), 960);
    }
}

#[test]
fn conceal_before_any_packet_is_silence() {
    let mut out = Vec::new();
    assert_eq!(OpusDecoder::new().unwrap().conceal(&mut out).unwrap(), 960);
    assert!(out.iter().all(|&s| s == 0));
}

#[test]
fn bad_input_is_an_error() {
    let mut dec = OpusDecoder::new().unwrap();
    let mut out = Vec::new();
    assert!(matches!(
        dec.decode(&[], &mut out),
        Err(CodecError::EmptyPayload {
            codec: CodecKind::Opus
        })
    ));
    // TOC code 3 (arbitrary frame count) without its count byte.
    assert!(matches!(
        dec.decode(&[0xFF], &mut out),
        Err(CodecError::Opus(_))
    ));
    // A code 3 packet claiming 48 frames of 20 ms: 960 ms, over the 120 ms limit.
    assert!(dec.decode(&[0x0B, 48, 0, 0], &mut out).is_err());
    assert!(out.is_empty());
    let mut enc = OpusEncoder::new().unwrap();
    let mut payload = Vec::new();
    assert!(matches!(
        enc.encode(&[0; 959], &mut payload),
        Err(CodecError::BadFrameLength { samples: 959, .. })
    ));
    assert!(enc.encode(&[], &mut payload).is_err());
    assert!(payload.is_empty());
    // The decoder still works after refusing garbage.
    dec.decode(&encode_tone(1)[0], &mut out).unwrap();
}
