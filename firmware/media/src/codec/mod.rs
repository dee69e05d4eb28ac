//! Audio codecs the box speaks: G.711 µ-law and A-law (ITU-T G.711), G.722 (ITU-T G.722,
//! 64 kbit/s mode) and Opus (RFC 6716, RTP payload per RFC 7587).

/// A codec the box can negotiate, play, record and transcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodecKind {
    Pcmu,
    Pcma,
    G722,
    Opus,
}

impl CodecKind {
    /// Every codec, in the box's order of preference when it makes an offer itself.
    pub const ALL: [CodecKind; 4] = [
        CodecKind::Opus,
        CodecKind::G722,
        CodecKind::Pcmu,
        CodecKind::Pcma,
    ];
}
