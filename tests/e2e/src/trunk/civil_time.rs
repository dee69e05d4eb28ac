//! The current civil time in UTC (the test tenant's time zone), for route rules written
//! relative to "now" without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current UTC civil time, for route rules written relative to "now".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CivilTime {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    /// ISO weekday: 1 = Monday … 7 = Sunday.
    pub weekday: u32,
    /// Minutes since midnight.
    pub minute_of_day: u32,
}

impl CivilTime {
    pub fn now_utc() -> CivilTime {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        CivilTime::from_unix(secs)
    }

    /// Civil date from days since 1970-01-01 (H. Hinnant's `civil_from_days` algorithm,
    /// so the test needs no date crate).
    pub fn from_unix(secs: u64) -> CivilTime {
        let days = (secs / 86_400) as i64;
        let minute_of_day = ((secs % 86_400) / 60) as u32;
        // 1970-01-01 was a Thursday (ISO 4).
        let weekday = ((days + 3).rem_euclid(7) + 1) as u32;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        CivilTime {
            year,
            month,
            day,
            weekday,
            minute_of_day,
        }
    }

    /// `HH:MM` of `minute_of_day + offset`, clamped to the same day.
    pub fn hhmm(&self, offset_minutes: i64) -> String {
        let m = (i64::from(self.minute_of_day) + offset_minutes).clamp(0, 23 * 60 + 59);
        format!("{:02}:{:02}", m / 60, m % 60)
    }

    /// A weekday pattern matching every day but today, e.g. `1|2|4|5|6|7`.
    pub fn other_weekdays(&self) -> String {
        (1..=7)
            .filter(|d| *d != self.weekday)
            .map(|d| d.to_string())
            .collect::<Vec<_>>()
            .join("|")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_time_known_dates() {
        // 2026-12-26 21:00 UTC is a Saturday.
        let t = CivilTime::from_unix(1_798_318_800);
        assert_eq!((t.year, t.month, t.day, t.weekday), (2026, 12, 26, 6));
        assert_eq!(t.hhmm(0), "21:00");
        assert_eq!(CivilTime::from_unix(0).weekday, 4);
        let leap = CivilTime::from_unix(951_782_400); // 2000-02-29
        assert_eq!((leap.year, leap.month, leap.day), (2000, 2, 29));
        assert_eq!(t.other_weekdays(), "1|2|3|4|5|7");
    }
}
