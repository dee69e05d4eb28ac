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

#[test]
fn recovers_a_lost_packet_from_the_next_ones_fec() {
    // Speech-like enough for SILK (where the FEC copy lives): a low tone with a harmonic.
    let a = sine(180.0, -14.0, 48_000, 960 * 30);
    let b = sine(540.0, -20.0, 48_000, 960 * 30);
    let pcm: Vec<i16> = a
        .iter()
        .zip(&b)
        .map(|(x, y)| x.saturating_add(*y))
        .collect();
    let mut enc = OpusEncoder::new().unwrap();
    let packets: Vec<Vec<u8>> = pcm
        .chunks_exact(960)
        .map(|frame| {
            let mut p = Vec::new();
            enc.encode(frame, &mut p).unwrap();
            p
        })
        .collect();
    let mut dec = OpusDecoder::new().unwrap();
    let mut out = Vec::new();
    for p in &packets[..20] {
        dec.decode(p, &mut out).unwrap();
    }
    // Packet 20 is lost; 21 arrives and carries its redundant copy.
    let start = out.len();
    assert_eq!(dec.recover(&packets[21], &mut out).unwrap(), 960);
    assert!(
        rms_dbfs(&out[start..]) > -24.0,
        "{}",
        rms_dbfs(&out[start..])
    );
    assert_eq!(dec.decode(&packets[21], &mut out).unwrap(), 960);
    // Against a decoder that did receive packet 20 and one that only concealed it, the
    // FEC copy is far closer to the real thing (measured: about 60 times less error energy).
    let mut reference = OpusDecoder::new().unwrap();
    let mut concealing = OpusDecoder::new().unwrap();
    let (mut heard, mut guessed) = (Vec::new(), Vec::new());
    for p in &packets[..20] {
        reference.decode(p, &mut heard).unwrap();
        concealing.decode(p, &mut guessed).unwrap();
    }
    reference.decode(&packets[20], &mut heard).unwrap();
    concealing.conceal(&mut guessed).unwrap();
    let error = |x: &[i16]| -> f64 {
        x.iter()
            .zip(&heard[start..start + 960])
            .map(|(a, b)| (f64::from(*a) - f64::from(*b)).powi(2))
            .sum()
    };
    let fec_error = error(&out[start..start + 960]);
    let plc_error = error(&guessed[start..start + 960]);
    assert!(
        fec_error * 10.0 < plc_error,
        "FEC {fec_error}, PLC {plc_error}"
    );
    // Garbage as the next packet is an error, and an empty one just conceals.
    assert!(dec.recover(&[0xFF], &mut out).is_err());
    assert_eq!(dec.recover(&[], &mut out).unwrap(), 960);
}

#[test]
fn an_encoder_for_a_g711_source_sends_narrowband_and_keeps_the_tone() {
    let mut enc = super::encoder_for_source(CodecKind::Opus, 8_000).unwrap();
    let mut dec = super::decoder(CodecKind::Opus).unwrap();
    let tone = crate::dsp::tone::sine(1000.0, -12.0, 48_000, 48_000);
    let mut out = Vec::new();
    let mut configs = Vec::new();
    for frame in tone.chunks(960) {
        let mut payload = Vec::new();
        enc.encode(frame, &mut payload).unwrap();
        // RFC 6716 §3.1: TOC config 0-3 is SILK narrowband.
        configs.push(payload[0] >> 3);
        dec.decode(&payload, &mut out).unwrap();
    }
    assert!(
        configs.iter().skip(5).all(|&c| c <= 3),
        "narrowband SILK: {configs:?}"
    );
    let tail = &out[out.len() - 9600..];
    let f = crate::dsp::analyse::dominant_frequency(tail, 48_000);
    assert!((f - 1000.0).abs() < 5.0, "{f}");
}
