//! Splits a header section into logical header lines, unfolding continuation lines
//! (RFC 3261 §7.3.1: a line starting with SP or HTAB continues the previous one).
use crate::error::ParseError;
use crate::header::lex::is_token;

/// One unfolded header: wire name (trimmed) and value (trimmed, folds replaced by one SP).
pub(crate) struct RawHeader<'a> {
    pub name: &'a str,
    pub value: String,
}

/// Iterator over the header lines following the start line. Each malformed logical line yields
/// one `Err` and iteration continues, so a lenient caller can skip it. Stops at the first empty
/// line.
pub(crate) struct HeaderLines<'a> {
    lines: std::iter::Peekable<std::str::Split<'a, char>>,
    /// 1-based line number of the next physical line (the start line is line 1).
    line_no: usize,
    done: bool,
}

impl<'a> HeaderLines<'a> {
    /// `text` starts with the first header line (after the start line).
    pub fn new(text: &'a str) -> HeaderLines<'a> {
        HeaderLines {
            lines: text.split('\n').peekable(),
            line_no: 2,
            done: false,
        }
    }
}

fn strip_cr(line: &str) -> &str {
    line.strip_suffix('\r').unwrap_or(line)
}

fn is_continuation(line: &str) -> bool {
    line.starts_with([' ', '\t'])
}

impl<'a> Iterator for HeaderLines<'a> {
    type Item = Result<RawHeader<'a>, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let line = strip_cr(self.lines.next()?);
        let this_line = self.line_no;
        self.line_no += 1;
        if line.is_empty() {
            self.done = true;
            return None;
        }
        let mut bad = line.contains('\r');
        let (name, first) = match line.split_once(':') {
            Some((n, v)) => (n.trim_end_matches([' ', '\t']), v),
            None => {
                bad = true;
                ("", "")
            }
        };
        if !is_token(name) {
            bad = true;
        }
        let mut value = String::with_capacity(first.len());
        value.push_str(first.trim_matches([' ', '\t']));
        while let Some(next) = self.lines.peek() {
            let next = strip_cr(next);
            if !is_continuation(next) {
                break;
            }
            bad |= next.contains('\r');
            let cont = next.trim_matches([' ', '\t']);
            if !cont.is_empty() {
                if !value.is_empty() {
                    value.push(' ');
                }
                value.push_str(cont);
            }
            self.lines.next();
            self.line_no += 1;
        }
        if bad {
            return Some(Err(ParseError::HeaderLine { line: this_line }));
        }
        Some(Ok(RawHeader { name, value }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Vec<Result<(String, String), ParseError>> {
        HeaderLines::new(text)
            .map(|r| r.map(|h| (h.name.to_string(), h.value)))
            .collect()
    }

    #[test]
    fn unfolds() {
        let got = collect("TO :\r\n sip:a@b ;   tag    = 1\r\ncseq: 0009\r\n  INVITE\r\ns :\r\nX: y\r\n\r\nignored: body");
        let want = [
            ("TO", "sip:a@b ;   tag    = 1"),
            ("cseq", "0009 INVITE"),
            ("s", ""),
            ("X", "y"),
        ];
        assert_eq!(got.len(), want.len());
        for (g, (n, v)) in got.iter().zip(want) {
            assert_eq!(g.as_ref().unwrap(), &(n.to_string(), v.to_string()));
        }
    }

    #[test]
    fn errors_continue() {
        let got = collect(" leading fold\r\nno colon\r\nA b: c\r\nOk: 1\r\n");
        assert_eq!(got.len(), 4);
        assert_eq!(got[0], Err(ParseError::HeaderLine { line: 2 }));
        assert_eq!(got[1], Err(ParseError::HeaderLine { line: 3 }));
        assert_eq!(got[2], Err(ParseError::HeaderLine { line: 4 }));
        assert!(got[3].is_ok());
    }
}
