//! First look at an upload's bytes: which container it claims to be, so that a file
//! that is not audio, or audio the box cannot decode, is named as such instead of
//! failing deep inside a decoder.

/// What the leading bytes say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sniffed {
    /// RIFF/WAVE: read by `media::wav`.
    Wav,
    /// MP3, Ogg or FLAC (or unknown): handed to symphonia, whose probe decides.
    Decodable,
    /// Audio in a container or codec the box does not decode.
    UnsupportedAudio(&'static str),
    /// Recognisably something else.
    NotAudio(&'static str),
}

/// Files shorter than this cannot hold a header and one frame of any supported format.
const MIN_LEN: usize = 12;

pub(super) fn sniff(bytes: &[u8]) -> Sniffed {
    if bytes.is_empty() {
        return Sniffed::NotAudio("empty file");
    }
    if bytes.len() < MIN_LEN {
        return Sniffed::NotAudio("only a few bytes long");
    }
    let at = |i: usize, magic: &[u8]| bytes.get(i..i + magic.len()) == Some(magic);
    if at(0, b"RIFF") {
        return if at(8, b"WAVE") {
            Sniffed::Wav
        } else if at(8, b"AVI ") {
            Sniffed::NotAudio("an AVI video")
        } else if at(8, b"WEBP") {
            Sniffed::NotAudio("a WebP image")
        } else {
            Sniffed::NotAudio("a RIFF file that is not WAVE")
        };
    }
    if at(0, b"ID3") || at(0, b"fLaC") {
        return Sniffed::Decodable;
    }
    if at(0, b"OggS") {
        // The first page carries the codec's identification header.
        let head = &bytes[..bytes.len().min(200)];
        if contains(head, b"OpusHead") {
            return Sniffed::UnsupportedAudio("Ogg Opus");
        }
        if contains(head, b"Speex") {
            return Sniffed::UnsupportedAudio("Ogg Speex");
        }
        if contains(head, b"theora") {
            return Sniffed::NotAudio("an Ogg video");
        }
        return Sniffed::Decodable;
    }
    let unsupported: &[(usize, &[u8], &'static str)] = &[
        (4, b"ftyp", "MP4/M4A (AAC)"),
        (8, b"AIFF", "AIFF"),
        (8, b"AIFC", "AIFF-C"),
        (0, &[0x1A, 0x45, 0xDF, 0xA3], "Matroska/WebM"),
        (0, &[0x30, 0x26, 0xB2, 0x75], "WMA/ASF"),
        (0, b"MThd", "MIDI (notes, not recorded audio)"),
        (0, b"#!AMR", "AMR"),
        (0, b".snd", "Sun/NeXT AU"),
        (0, b"caff", "CAF"),
        (0, b"MAC ", "Monkey's Audio"),
        (0, b"wvpk", "WavPack"),
    ];
    for &(i, magic, name) in unsupported {
        if at(i, magic) {
            return Sniffed::UnsupportedAudio(name);
        }
    }
    // ADTS AAC: 12-bit sync with layer bits 00, which MP3 never uses.
    if bytes[0] == 0xFF && bytes[1] & 0xF6 == 0xF0 {
        return Sniffed::UnsupportedAudio("AAC (ADTS)");
    }
    let other: &[(&[u8], &'static str)] = &[
        (b"%PDF", "a PDF document"),
        (&[0x89, b'P', b'N', b'G'], "a PNG image"),
        (&[0xFF, 0xD8, 0xFF], "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (&[b'P', b'K', 3, 4], "a ZIP archive or office document"),
        (&[0x1F, 0x8B], "a gzip archive"),
        (&[0x7F, b'E', b'L', b'F'], "a program"),
        (b"MZ", "a program"),
        (&[0xD0, 0xCF, 0x11, 0xE0], "an office document"),
    ];
    for &(magic, name) in other {
        if bytes.starts_with(magic) {
            return Sniffed::NotAudio(name);
        }
    }
    if looks_like_text(bytes) {
        return Sniffed::NotAudio("looks like text");
    }
    Sniffed::Decodable
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Text (any UTF-8 without control characters other than whitespace) in the first KB.
/// Binary audio has bytes below 0x20 and invalid UTF-8 within its first frames.
fn looks_like_text(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let valid = match std::str::from_utf8(head) {
        Ok(s) => s,
        // A multi-byte character cut at the 1 KB boundary is still text.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return false,
    };
    !valid.is_empty()
        && valid
            .chars()
            .all(|c| !c.is_control() || matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        assert_eq!(sniff(b""), Sniffed::NotAudio("empty file"));
        assert_eq!(sniff(b"hello"), Sniffed::NotAudio("only a few bytes long"));
        assert_eq!(
            sniff("Hola, esto es un texto con eñes\n".as_bytes()),
            Sniffed::NotAudio("looks like text")
        );
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Sniffed::Wav);
        assert_eq!(
            sniff(b"\0\0\0\x20ftypM4A \0\0\0\0"),
            Sniffed::UnsupportedAudio("MP4/M4A (AAC)")
        );
        assert_eq!(
            sniff(b"OggS\0\x02\0\0\0\0\0\0\0\0\0\0\0\0OpusHead\x01"),
            Sniffed::UnsupportedAudio("Ogg Opus")
        );
        assert_eq!(
            sniff(b"%PDF-1.4\n%\xE2\xE3\xCF\xD3"),
            Sniffed::NotAudio("a PDF document")
        );
        assert_eq!(sniff(b"ID3\x04\0\0\0\0\0\0abc"), Sniffed::Decodable);
        assert_eq!(
            sniff(&[0xFF, 0xFB, 0x90, 0x64, 0, 0, 0, 0, 1, 2, 3, 4]),
            Sniffed::Decodable
        );
        assert_eq!(
            sniff(&[0xFF, 0xF1, 0x50, 0x80, 0, 0, 0, 0, 1, 2, 3, 4]),
            Sniffed::UnsupportedAudio("AAC (ADTS)")
        );
    }
}
