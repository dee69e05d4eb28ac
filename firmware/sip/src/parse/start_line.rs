//! Request-Line and Status-Line (RFC 3261 §7.1, §7.2).
use crate::error::ParseError;
use crate::header::lex::is_token;
use crate::message::Method;
use crate::uri::Uri;

pub(crate) enum StartLine {
    Request { method: Method, uri: Uri },
    Response { status: u16, reason: String },
}

/// Whether a start line is a status line (and so the message a response).
pub(crate) fn is_status_line(line: &str) -> bool {
    line.len() >= 4 && line.as_bytes()[..4].eq_ignore_ascii_case(b"SIP/")
}

/// SIP/2.0 is the only version; anything else shaped like `SIP/x` is a version error (505),
/// anything else at all a malformed start line.
fn check_version(v: &str) -> Result<(), ParseError> {
    if v.eq_ignore_ascii_case("SIP/2.0") {
        Ok(())
    } else if is_status_line(v) {
        Err(ParseError::Version {
            version: v.chars().take(32).collect(),
        })
    } else {
        Err(ParseError::StartLine)
    }
}

/// Parses the first line (without its line end). Runs of spaces and trailing spaces are tolerated
/// (RFC 4475 lwsstart, trws: "liberal" handling; we never forward the line as read), but a
/// Request-URI containing white space makes four fields and is refused (lwsruri).
pub(crate) fn parse_start_line(line: &str) -> Result<StartLine, ParseError> {
    if is_status_line(line) {
        return parse_status_line(line);
    }
    let mut parts = line.split_ascii_whitespace();
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::StartLine);
    };
    if !is_token(method) {
        return Err(ParseError::StartLine);
    }
    check_version(version)?;
    Ok(StartLine::Request {
        method: Method::from_token(method),
        uri: Uri::parse(uri)?,
    })
}

fn parse_status_line(line: &str) -> Result<StartLine, ParseError> {
    let line = line.trim_start();
    let (version, rest) = line.split_once([' ', '\t']).ok_or(ParseError::StartLine)?;
    check_version(version)?;
    let rest = rest.trim_start_matches([' ', '\t']);
    let (code, reason) = match rest.split_once([' ', '\t']) {
        Some((c, r)) => (c, r.trim()),
        None => (rest, ""),
    };
    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::Status);
    }
    let status: u16 = code.parse().map_err(|_| ParseError::Status)?;
    if !(100..=699).contains(&status) {
        return Err(ParseError::Status);
    }
    // The reason phrase is printed back when relaying; a stray CR must not travel with it.
    if reason.chars().any(|c| c.is_control() && c != '\t') {
        return Err(ParseError::StartLine);
    }
    Ok(StartLine::Response {
        status,
        reason: reason.to_string(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn request_lines() {
        let StartLine::Request { method, uri } =
            parse_start_line("INVITE  sip:user@example.com  SIP/2.0  ").unwrap()
        else {
            panic!("not a request")
        };
        assert_eq!(method, Method::Invite);
        assert_eq!(uri.host, "example.com");
        assert!(matches!(
            parse_start_line("OPTIONS sip:t@example.org SIP/7.0"),
            Err(ParseError::Version { .. })
        ));
        assert_eq!(
            parse_start_line("INVITE sip:user@example.com; lr SIP/2.0").err(),
            Some(ParseError::StartLine)
        );
        assert_eq!(
            parse_start_line("INVITE <sip:user@example.com> SIP/2.0").err(),
            Some(ParseError::Uri)
        );
        assert_eq!(
            parse_start_line("INVITE sip:a@b HTTP/1.1").err(),
            Some(ParseError::StartLine)
        );
        assert_eq!(parse_start_line("").err(), Some(ParseError::StartLine));
    }

    #[test]
    fn status_lines() {
        let StartLine::Response { status, reason } = parse_start_line("SIP/2.0 100 ").unwrap()
        else {
            panic!("not a response")
        };
        assert_eq!((status, reason.as_str()), (100, ""));
        let StartLine::Response { status, reason } =
            parse_start_line("SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять").unwrap()
        else {
            panic!("not a response")
        };
        assert_eq!(status, 200);
        assert!(reason.ends_with("девять"));
        for bad in [
            "SIP/2.0 4294967301 x",
            "SIP/2.0 099 x",
            "SIP/2.0 700 x",
            "SIP/2.0 2000",
            "SIP/2.0",
        ] {
            assert!(parse_start_line(bad).is_err(), "{bad}");
        }
        assert!(matches!(
            parse_start_line("SIP/3.0 200 OK"),
            Err(ParseError::Version { .. })
        ));
    }
}
