//! MP3, Ogg/Vorbis and FLAC through symphonia, packet by packet, so the duration limit
//! is enforced while decoding and a file that inflates to hours stops at the limit.

use std::io::Cursor;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{
    CodecType, DecoderOptions, CODEC_TYPE_AAC, CODEC_TYPE_ALAC, CODEC_TYPE_NULL, CODEC_TYPE_OPUS,
};
use symphonia::core::errors::Error as SymError;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use super::sink::Sink;
use crate::{ImportError, Limits};

/// Decode errors tolerated before the file is called corrupt: an MP3 often starts with a
/// frame the decoder cannot use (a cut at the start, a tag symphonia does not parse).
const MAX_DECODE_ERRORS: u32 = 8;

/// Leading ID3v2 tag length (the metadata readers are not compiled in; skipping the tag
/// keeps its bytes, e.g. cover art, from being scanned for MP3 frame syncs).
fn id3v2_len(bytes: &[u8]) -> usize {
    if bytes.len() < 10 || &bytes[..3] != b"ID3" {
        return 0;
    }
    // Size is four 7-bit "syncsafe" bytes; flag 0x10 adds a 10-byte footer.
    let size = bytes[6..10]
        .iter()
        .fold(0usize, |acc, &b| (acc << 7) | usize::from(b & 0x7F));
    let footer = if bytes[5] & 0x10 != 0 { 10 } else { 0 };
    (10 + size + footer).min(bytes.len())
}

fn codec_name(codec: CodecType) -> &'static str {
    match codec {
        CODEC_TYPE_OPUS => "Opus",
        CODEC_TYPE_AAC => "AAC",
        CODEC_TYPE_ALAC => "ALAC",
        _ => "(codec not supported)",
    }
}

fn corrupt(e: &SymError) -> ImportError {
    let detail = match e {
        SymError::IoError(_) => "the file ends in the middle of the audio",
        SymError::DecodeError(d) | SymError::Unsupported(d) | SymError::LimitError(d) => d,
        SymError::SeekError(_) | SymError::ResetRequired => "the stream could not be followed",
    };
    ImportError::Corrupt { detail }
}

pub(super) fn decode(
    bytes: &[u8],
    not_audio: ImportError,
    limits: &Limits,
) -> Result<Vec<i16>, ImportError> {
    let body = bytes[id3v2_len(bytes)..].to_vec();
    let mss = MediaSourceStream::new(Box::new(Cursor::new(body)), Default::default());
    let probed = symphonia::default::get_probe().format(
        &Hint::new(),
        mss,
        &FormatOptions::default(),
        &MetadataOptions::default(),
    );
    let mut format = match probed {
        Ok(p) => p.format,
        Err(SymError::Unsupported(_)) => return Err(not_audio),
        Err(e) => return Err(corrupt(&e)),
    };
    let Some(track) = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
    else {
        return Err(ImportError::NoAudio);
    };
    let track_id = track.id;
    let params = track.codec_params.clone();
    let mut decoder =
        match symphonia::default::get_codecs().make(&params, &DecoderOptions::default()) {
            Ok(d) => d,
            Err(SymError::Unsupported(_)) => {
                return Err(ImportError::Unsupported {
                    format: codec_name(params.codec),
                })
            }
            Err(e) => return Err(corrupt(&e)),
        };
    let mut sink: Option<Sink> = None;
    if let Some(rate) = params.sample_rate {
        let s = Sink::new(rate, limits)?;
        if let Some(n) = params.n_frames {
            s.check_declared(n)?;
        }
        sink = Some(s);
    }
    let mut samples: Option<SampleBuffer<f32>> = None;
    let mut errors = 0u32;
    let mut last_error: Option<SymError> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            // End of stream: symphonia reports it as an unexpected EOF.
            Err(SymError::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(SymError::ResetRequired) => break,
            Err(e) => return Err(corrupt(&e)),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let decoded = match decoder.decode(&packet) {
            Ok(d) => d,
            Err(e @ (SymError::DecodeError(_) | SymError::IoError(_))) => {
                errors += 1;
                if errors > MAX_DECODE_ERRORS {
                    return Err(corrupt(&e));
                }
                last_error = Some(e);
                continue;
            }
            Err(e) => return Err(corrupt(&e)),
        };
        let spec = *decoded.spec();
        let sink = match &mut sink {
            Some(s) if s.rate() == spec.rate => s,
            Some(_) => {
                return Err(ImportError::Unsupported {
                    format: "(sample rate changes within the file)",
                })
            }
            None => sink.insert(Sink::new(spec.rate, limits)?),
        };
        if decoded.frames() == 0 {
            continue;
        }
        let buf = match &mut samples {
            Some(b) if b.capacity() >= decoded.capacity() * spec.channels.count() => b,
            _ => samples.insert(SampleBuffer::new(decoded.capacity() as u64, spec)),
        };
        buf.copy_interleaved_ref(decoded);
        sink.push_f32(buf.samples(), spec.channels.count())?;
    }
    let Some(sink) = sink else {
        return Err(match last_error {
            Some(e) => corrupt(&e),
            None => ImportError::NoAudio,
        });
    };
    if sink.frames() == 0 {
        if let Some(e) = last_error {
            return Err(corrupt(&e));
        }
    }
    // A header that declares the length (MP3 Xing/Info, FLAC STREAMINFO) tells a cut file
    // from a complete one; allow a packet or two of difference for encoder padding.
    if let Some(declared) = params.n_frames {
        let slack = declared / 100 + 4608;
        if declared > 0 && sink.frames() + slack < declared {
            return Err(ImportError::Truncated {
                have: sink.frames(),
                declared,
                unit: "samples",
            });
        }
    }
    sink.finish()
}
