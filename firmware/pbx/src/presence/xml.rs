//! XML escaping for strings that reach a dialog-info document. Display names, URIs, Call-IDs
//! and tags come from the network: unescaped, a caller named `</identity>` would rewrite the
//! document a phone parses.

/// Longest string (in characters) rendered from one field: a hostile display name cannot inflate
/// every NOTIFY of every watcher.
pub const MAX_FIELD_CHARS: usize = 256;

/// Appends `value` escaped for both element text and double- or single-quoted attributes.
/// Characters XML 1.0 cannot carry at all (C0 controls other than tab/LF/CR, U+FFFE/U+FFFF) become
/// U+FFFD; tab/LF/CR are written as character references so attribute normalisation keeps them.
/// Input beyond [`MAX_FIELD_CHARS`] is dropped.
pub fn push_escaped(out: &mut String, value: &str) {
    for c in value.chars().take(MAX_FIELD_CHARS) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c if allowed(c) => out.push(c),
            _ => out.push('\u{FFFD}'),
        }
    }
}

/// XML 1.0 `Char` production (tab/LF/CR handled by the caller).
fn allowed(c: char) -> bool {
    let cp = u32::from(c);
    (0x20..=0xD7FF).contains(&cp) || (0xE000..=0xFFFD).contains(&cp) || cp >= 0x10000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(value: &str) -> String {
        let mut out = String::new();
        push_escaped(&mut out, value);
        out
    }

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            escaped(r#"<a href="x">&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;"
        );
        assert_eq!(escaped("Añón 🙂"), "Añón 🙂");
    }

    #[test]
    fn control_characters_cannot_break_the_document() {
        assert_eq!(escaped("a\u{0}b\u{1b}c"), "a\u{FFFD}b\u{FFFD}c");
        assert_eq!(escaped("a\tb\r\nc"), "a&#9;b&#13;&#10;c");
        assert_eq!(escaped("\u{FFFE}\u{FFFF}"), "\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn long_values_are_cut() {
        let long = "x".repeat(10_000);
        assert_eq!(escaped(&long).len(), MAX_FIELD_CHARS);
    }
}
