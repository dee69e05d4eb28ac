//! Small field checks shared by the document validation. Each returns the message of the
//! problem, or `None` when the value is fine.

use std::net::IpAddr;

/// Longest number we accept anywhere (E.164 is 15 digits; a few extra for prefixes).
const MAX_NUMBER_LEN: usize = 20;

/// A number dialled inside the tenant (extension, queue, IVR, ...): digits only, so that it
/// can never be taken for a feature code, which starts with `*`.
pub(crate) fn internal_number(value: &str) -> Option<String> {
    if value.starts_with('*') {
        return Some(format!(
            "{value:?} is not allowed: numbers starting with * are feature codes"
        ));
    }
    if value.is_empty() || value.len() > MAX_NUMBER_LEN || !all_digits(value) {
        return Some(format!("{value:?} must be 1 to {MAX_NUMBER_LEN} digits"));
    }
    None
}

/// A public number (DID, external number, alias target, mobile): an optional `+` then digits.
pub(crate) fn public_number(value: &str) -> Option<String> {
    let digits = value.strip_prefix('+').unwrap_or(value);
    if digits.is_empty() || digits.len() > MAX_NUMBER_LEN || !all_digits(digits) {
        return Some(format!(
            "{value:?} must be digits, optionally after a leading +"
        ));
    }
    None
}

fn all_digits(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_digit())
}

pub(crate) fn non_empty(value: &str) -> Option<String> {
    value
        .trim()
        .is_empty()
        .then(|| "must not be empty".to_owned())
}

/// Free text shown to people or put in SIP headers: no control characters, which would let a
/// value break a header line or a log line.
pub(crate) fn text(value: &str) -> Option<String> {
    value
        .chars()
        .any(char::is_control)
        .then(|| "must not contain control characters".to_owned())
}

pub(crate) fn email(value: &str) -> Option<String> {
    let ok = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(|c| c.is_whitespace() || c.is_control())
                && !domain.contains('@')
        }
        None => false,
    };
    (!ok).then(|| format!("{value:?} is not an email address"))
}

/// `YYYY-MM-DD` with a real month and a day that exists in it.
pub(crate) fn date(value: &str) -> Option<String> {
    let bad = || Some(format!("{value:?} is not a date (YYYY-MM-DD)"));
    let b = value.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return bad();
    }
    let (Ok(year), Ok(month), Ok(day)) = (
        value[0..4].parse::<u32>(),
        value[5..7].parse::<u32>(),
        value[8..10].parse::<u32>(),
    ) else {
        return bad();
    };
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return bad(),
    };
    if day == 0 || day > days {
        return bad();
    }
    None
}

/// `HH:MM`, 00:00 to 23:59.
pub(crate) fn time_of_day(value: &str) -> Option<String> {
    let b = value.as_bytes();
    let ok = b.len() == 5
        && b[2] == b':'
        && all_digits(&value[0..2])
        && all_digits(&value[3..5])
        && value[0..2].parse::<u32>().is_ok_and(|h| h < 24)
        && value[3..5].parse::<u32>().is_ok_and(|m| m < 60);
    (!ok).then(|| format!("{value:?} is not a time (HH:MM, 00:00 to 23:59)"))
}

/// A route-rule pattern: `.` or empty means any value, otherwise a regular expression that
/// must match the whole zero-padded field, so it must compile.
pub(crate) fn pattern(value: &str) -> Option<String> {
    if value.is_empty() || value == "." {
        return None;
    }
    match regex::Regex::new(&format!("^(?:{value})$")) {
        Ok(_) => None,
        Err(e) => Some(format!(
            "{value:?} is not a valid pattern: {}",
            first_line(&e.to_string())
        )),
    }
}

/// regex errors are multi-line drawings; the last line says what is wrong.
fn first_line(message: &str) -> String {
    message
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(message)
        .trim()
        .trim_start_matches("error:")
        .trim()
        .to_owned()
}

/// A SIP server: `host` or `host:port` (host a DNS name, an IPv4 address or a bracketed IPv6
/// address), optionally written as a `sip:` URI. The trunk resolves it (RFC 3263).
pub(crate) fn sip_server(value: &str) -> Option<String> {
    let bad = || Some(format!("{value:?} is not a host or host:port"));
    let rest = value.strip_prefix("sip:").unwrap_or(value);
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((addr, tail)) if addr.parse::<std::net::Ipv6Addr>().is_ok() => {
                (addr, tail.strip_prefix(':'))
            }
            _ => return bad(),
        }
    } else {
        match rest.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (rest, None),
        }
    };
    if let Some(port) = port {
        if !port.parse::<u16>().is_ok_and(|p| p > 0) {
            return bad();
        }
    }
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    let is_v6 = rest.starts_with('[');
    if !is_v6 && (host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok)) {
        return bad();
    }
    None
}

/// An IANA zone name known to the firmware's zone database (`Europe/Madrid`, `UTC`): route
/// rules evaluate times in it, so an unknown name must not silently become UTC.
pub(crate) fn timezone(value: &str) -> Option<String> {
    value
        .parse::<chrono_tz::Tz>()
        .is_err()
        .then(|| format!("{value:?} is not a known time zone (an IANA name like Europe/Madrid)"))
}

/// A file the firmware will open: relative to the data folder and unable to leave it.
pub(crate) fn data_file(value: &str) -> Option<String> {
    let ok = !value.is_empty()
        && !value.starts_with('/')
        && !value.contains('\\')
        && !value.chars().any(char::is_control)
        && value
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    (!ok).then(|| format!("{value:?} must be a relative path inside the data folder"))
}

pub(crate) fn allow_address(address: &str, netmask: u8) -> Option<String> {
    match address.parse::<IpAddr>() {
        Err(_) => Some(format!("{address:?} is not an IP address")),
        Ok(IpAddr::V4(_)) if netmask > 32 => {
            Some(format!("netmask {netmask} is too long for IPv4 (0 to 32)"))
        }
        Ok(_) if netmask > 128 => Some(format!("netmask {netmask} is too long (0 to 128)")),
        Ok(_) => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn manual_patterns_compile() {
        for p in [
            ".",
            "",
            "2021",
            "202[1-5]",
            "2021|2025",
            "0[3-6]",
            "(03|06)",
            "0[5-9]|1[0-9]|2[0-5]",
            "[2-5]",
        ] {
            assert_eq!(pattern(p), None, "{p}");
        }
        assert!(pattern("([0-9]").is_some());
    }

    #[test]
    fn numbers() {
        assert_eq!(internal_number("10"), None);
        assert!(internal_number("*10").unwrap().contains("feature code"));
        assert!(internal_number("1a").is_some());
        assert!(internal_number("").is_some());
        assert_eq!(public_number("+34917374206"), None);
        assert!(public_number("+").is_some());
    }

    #[test]
    fn dates_and_times() {
        assert_eq!(date("2024-02-29"), None);
        assert!(date("2023-02-29").is_some());
        assert!(date("2024-13-01").is_some());
        assert!(date("24-01-01").is_some());
        assert_eq!(time_of_day("23:59"), None);
        assert!(time_of_day("24:00").is_some());
        assert!(time_of_day("9:00").is_some());
    }

    #[test]
    fn sip_servers() {
        for ok in [
            "sip.provider.example",
            "proxy.provider.example:5060",
            "sip:proxy.example:5080",
            "192.0.2.1",
            "192.0.2.1:5060",
            "[2001:db8::1]:5060",
            "localhost",
        ] {
            assert_eq!(sip_server(ok), None, "{ok}");
        }
        for bad in [
            "",
            "sip.example:",
            "sip.example:0",
            "a b.example",
            "-x.example",
            "[::1",
            "x..y",
        ] {
            assert!(sip_server(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn time_zones() {
        assert_eq!(timezone("Europe/Madrid"), None);
        assert_eq!(timezone("Atlantic/Canary"), None);
        assert_eq!(timezone("UTC"), None);
        assert!(timezone("Europe/Madird").is_some());
        assert!(timezone("").is_some());
    }

    #[test]
    fn files_stay_inside() {
        assert_eq!(data_file("prompts/welcome.wav"), None);
        assert!(data_file("../etc/passwd").is_some());
        assert!(data_file("/etc/passwd").is_some());
        assert!(data_file("a//b").is_some());
    }

    #[test]
    fn emails_and_addresses() {
        assert_eq!(email("ten@example.com"), None);
        assert!(email("ten@example").is_some());
        assert!(email("ten example.com").is_some());
        assert_eq!(allow_address("35.242.193.46", 32), None);
        assert!(allow_address("35.242.193.46", 33).is_some());
        assert_eq!(allow_address("::1", 128), None);
        assert!(allow_address("nope", 8).is_some());
    }
}
