//! The codec a [`crate::media_peer::MediaPeer`] speaks: G.711 with the harness's own
//! oracle ([`crate::audio`]), or Opus through the media crate's codec API (libopus, the
//! reference implementation, so decoding the box's Opus with it is an independent check
//! of the box's encoder). The peer works in 8 kHz PCM either way; Opus frames are
//! resampled to and from 48 kHz around the codec.

use media::codec::{self, CodecKind};

use crate::error::{HarnessError, Result};
use crate::media_peer::G711;

/// Payload type the harness's SDP offers use for Opus (RFC 7587 is dynamic; 111 is the
/// common choice and the box's default).
pub const OPUS_PT: u8 = 111;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeerCodec {
    G711(G711),
    /// G.722 (static payload type 9; 16 kHz audio on an 8 kHz RTP clock, RFC 3551).
    G722,
    /// Opus on this dynamic payload type.
    Opus(u8),
}

impl PeerCodec {
    /// The codec of an SDP answer's first payload type, for offers the harness makes
    /// (static G.711 types, otherwise Opus).
    pub fn from_answer(pt: u8) -> PeerCodec {
        match G711::from_payload_type(pt) {
            Some(law) => PeerCodec::G711(law),
            None if pt == 9 => PeerCodec::G722,
            None => PeerCodec::Opus(pt),
        }
    }

    pub fn payload_type(self) -> u8 {
        match self {
            PeerCodec::G711(law) => law.payload_type(),
            PeerCodec::G722 => 9,
            PeerCodec::Opus(pt) => pt,
        }
    }

    /// RTP timestamp ticks of one 20 ms packet.
    pub fn frame_ticks(self) -> u32 {
        match self {
            PeerCodec::G711(_) | PeerCodec::G722 => 160,
            PeerCodec::Opus(_) => 960,
        }
    }

    pub fn is_opus(self) -> bool {
        matches!(self, PeerCodec::Opus(_))
    }
}

fn codec_error(what: &str, e: impl std::fmt::Display) -> HarnessError {
    HarnessError::BadResponse {
        reason: format!("media codec: {what}"),
        text: e.to_string(),
    }
}

/// `pcm` at 8 kHz as 20 ms payloads of `codec`.
pub fn encode_frames(codec: PeerCodec, pcm: &[i16]) -> Result<Vec<Vec<u8>>> {
    match codec {
        PeerCodec::G711(law) => Ok(pcm
            .chunks(160)
            .map(|chunk| {
                let mut payload: Vec<u8> = chunk.iter().map(|&s| law.encode(s)).collect();
                payload.resize(160, law.encode(0));
                payload
            })
            .collect()),
        PeerCodec::G722 => encode_wide(CodecKind::G722, pcm),
        PeerCodec::Opus(_) => encode_wide(CodecKind::Opus, pcm),
    }
}

/// 8 kHz PCM through a codec that works at a higher rate (G.722 16 kHz, Opus 48 kHz).
fn encode_wide(kind: CodecKind, pcm: &[i16]) -> Result<Vec<Vec<u8>>> {
    let rate = kind.sample_rate();
    let per_frame = kind.frame_samples();
    let wide =
        media::resample::resample(pcm, 8000, rate).map_err(|e| codec_error("resample up", e))?;
    let mut encoder = codec::encoder(kind).map_err(|e| codec_error("encoder", e))?;
    let mut frames = Vec::new();
    for chunk in wide.chunks(per_frame) {
        let mut frame = chunk.to_vec();
        frame.resize(per_frame, 0);
        let mut payload = Vec::new();
        encoder
            .encode(&frame, &mut payload)
            .map_err(|e| codec_error("encode", e))?;
        frames.push(payload);
    }
    Ok(frames)
}

/// Decodes a run of Opus payloads (`None` = a gap of one 20 ms frame) to 8 kHz PCM.
pub fn decode_opus(payloads: &[Option<&[u8]>]) -> Result<Vec<i16>> {
    decode_wide(CodecKind::Opus, payloads)
}

/// Decodes a run of `kind` payloads (`None` = a gap of one 20 ms frame) to 8 kHz PCM.
pub fn decode_wide(kind: CodecKind, payloads: &[Option<&[u8]>]) -> Result<Vec<i16>> {
    let per_frame = kind.frame_samples();
    let mut decoder = codec::decoder(kind).map_err(|e| codec_error("decoder", e))?;
    let mut wide = Vec::new();
    for payload in payloads {
        let before = wide.len();
        let decoded = match payload {
            Some(p) => decoder.decode(p, &mut wide),
            None => Err(codec::CodecError::EmptyPayload { codec: kind }),
        };
        // A gap, or a packet the decoder refuses, is heard as 20 ms of silence.
        if decoded.is_err() {
            wide.truncate(before);
            wide.resize(before + per_frame, 0);
        }
    }
    media::resample::resample(&wide, kind.sample_rate(), 8000)
        .map_err(|e| codec_error("resample to 8 kHz", e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::audio;

    #[test]
    fn opus_frames_round_trip_a_tone() {
        let tone = audio::tone_ms(1000.0, -10.0, 8000, 1000);
        let frames = encode_frames(PeerCodec::Opus(OPUS_PT), &tone).unwrap();
        assert_eq!(frames.len(), 50);
        let payloads: Vec<Option<&[u8]>> = frames.iter().map(|f| Some(f.as_slice())).collect();
        let back = decode_opus(&payloads).unwrap();
        assert_eq!(back.len(), 8000);
        // Skip the codec's start-up; the rest is the tone at its level.
        let steady = &back[1600..];
        assert!((audio::dominant_frequency(steady, 8000) - 1000.0).abs() <= 3.0);
        assert!(
            (audio::rms_dbfs(steady) + 13.0).abs() < 1.5,
            "{}",
            audio::rms_dbfs(steady)
        );
    }

    #[test]
    fn g722_frames_round_trip_a_tone() {
        let tone = audio::tone_ms(1000.0, -10.0, 8000, 1000);
        let frames = encode_frames(PeerCodec::G722, &tone).unwrap();
        assert_eq!(frames.len(), 50);
        assert!(frames.iter().all(|f| f.len() == 160));
        let payloads: Vec<Option<&[u8]>> = frames.iter().map(|f| Some(f.as_slice())).collect();
        let back = decode_wide(CodecKind::G722, &payloads).unwrap();
        let steady = &back[800..];
        assert!((audio::dominant_frequency(steady, 8000) - 1000.0).abs() <= 3.0);
        assert!(
            (audio::rms_dbfs(steady) + 13.0).abs() < 1.5,
            "{}",
            audio::rms_dbfs(steady)
        );
    }

    #[test]
    fn g711_frames_are_160_bytes() {
        let frames = encode_frames(PeerCodec::G711(G711::Pcma), &[0; 330]).unwrap();
        assert_eq!(
            frames.iter().map(Vec::len).collect::<Vec<_>>(),
            vec![160, 160, 160]
        );
        assert_eq!(frames[2][159], 0xd5);
    }
}
