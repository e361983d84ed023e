//! Calendar days, timestamps, billing periods and coin amounts for the Account Server (the
//! calendar itself is `jiff`'s, through [`crate::calendar`]).

use std::fmt;

use jiff::civil;
use jiff::{Timestamp, ToSpan};

use crate::calendar;

/// One calendar day (UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Date(civil::Date);

impl Date {
    /// A valid civil date, or `None`.
    pub(crate) fn from_ymd(y: i64, m: u32, d: u32) -> Option<Date> {
        let (y, m, d) = (
            i16::try_from(y).ok()?,
            i8::try_from(m).ok()?,
            i8::try_from(d).ok()?,
        );
        civil::Date::new(y, m, d).ok().map(Date)
    }

    /// The (UTC) day of an instant.
    pub(crate) fn of(at: Timestamp) -> Date {
        Date(calendar::utc_date(at))
    }

    pub(crate) fn ymd(self) -> (i64, u32, u32) {
        (
            i64::from(self.0.year()),
            self.0.month() as u32,
            self.0.day() as u32,
        )
    }

    /// `n` days later (earlier when negative); the same day beyond the calendar's range.
    pub(crate) fn add_days(self, n: i64) -> Date {
        Date(self.0.checked_add(n.days()).unwrap_or(self.0))
    }

    /// Days from `self` to `other` (negative when `other` is earlier).
    pub(crate) fn days_until(self, other: Date) -> i64 {
        self.0.duration_until(other.0).as_secs() / 86_400
    }

    /// The same day of the month `n` months later (earlier when negative), the day clamped to
    /// the month's length.
    pub(crate) fn add_months(self, n: i64) -> Date {
        Date(self.0.checked_add(n.months()).unwrap_or(self.0))
    }

    /// Parses the date at the start of `text`: `YYYY-MM-DD`, optionally followed by a time
    /// (`T` or a space, then `HH:MM[:SS[.f]]` and an optional zone), which is ignored.
    pub(crate) fn parse(text: &str) -> Option<Date> {
        calendar::parse_date(text).map(Date)
    }

    /// The start of the billing period that contains `self`, for a billing day of the month
    /// (1 to 28).
    pub(crate) fn period_start(self, billing_day: u32) -> Date {
        let (y, m, d) = self.ymd();
        let this_month = Date::from_ymd(y, m, billing_day).unwrap_or(self);
        if d >= billing_day {
            this_month
        } else {
            this_month.add_months(-1)
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A timestamp of `day` at the (UTC) time of day of `at`, naive UTC as the real Account
/// Server writes it: `2024-01-31T12:30:00.123456`.
pub(crate) fn timestamp(day: Date, at: Timestamp) -> String {
    calendar::naive_iso(day.0.to_datetime(calendar::utc(at).time()))
}

/// The start of `day` as a timestamp: `2024-01-31T00:00:00`.
pub(crate) fn midnight(day: Date) -> String {
    calendar::naive_iso(day.0.to_datetime(civil::Time::midnight()))
}

/// A billing period: `[from, until)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Period {
    pub(crate) from: Date,
    pub(crate) until: Date,
}

impl Period {
    /// The billing period `pbp` periods before (0: the one) that contains `today`.
    pub(crate) fn billing(billing_day: u32, today: Date, pbp: i64) -> Period {
        let start = today.period_start(billing_day).add_months(pbp);
        Period {
            from: start,
            until: start.add_months(1),
        }
    }

    pub(crate) fn contains(&self, day: Date) -> bool {
        self.from <= day && day < self.until
    }
}

/// Coins are kept as whole hundredths.
pub(crate) type Cents = i64;

/// Coins as the Account Server writes them: a decimal string with two places.
pub(crate) fn coins_text(cents: Cents) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{}.{:02}", cents / 100, cents % 100)
}

/// Coins as a JSON number.
pub(crate) fn coins_number(cents: Cents) -> f64 {
    cents as f64 / 100.0
}

/// Parses a non-negative coin amount with at most two decimal places (`"3"`, `"3.5"`,
/// `"3.25"`).
pub(crate) fn parse_coins(text: &str) -> Option<Cents> {
    let (whole, fraction) = text.trim().split_once('.').unwrap_or((text.trim(), ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 2 {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
    whole.checked_mul(100)?.checked_add(fraction)
}

/// A byte count as people read it: `0 B`, `512 B`, `1.5 KiB`, `2.0 GiB`.
pub(crate) fn humanise_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_round_trip() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (2024, 12, 31), (1969, 12, 31)] {
            let date = Date::from_ymd(y, m, d).unwrap();
            assert_eq!(date.ymd(), (y, m, d));
        }
        assert!(Date::from_ymd(2023, 2, 29).is_none());
        let at = Timestamp::from_second(86_400 * 365).unwrap();
        assert_eq!(Date::of(at).to_string(), "1971-01-01");
        let d = |y, m, d| Date::from_ymd(y, m, d).unwrap();
        assert_eq!(d(2024, 2, 28).add_days(2), d(2024, 3, 1));
        assert_eq!(d(2024, 3, 1).days_until(d(2024, 2, 28)), -2);
    }

    #[test]
    fn dates_parse_as_python_writes_them() {
        let day = Date::from_ymd(2024, 1, 1).unwrap();
        assert_eq!(Date::parse("2024-01-01"), Some(day));
        assert_eq!(Date::parse("2024-01-01 12:30:00"), Some(day));
        assert_eq!(Date::parse("2024-01-01T12:30:00.5Z"), Some(day));
        assert_eq!(Date::parse("2024-1-1"), None);
        assert_eq!(Date::parse("2024-01-01x"), None);
        assert_eq!(Date::parse("1 December 2021"), None);
        assert_eq!(Date::parse("2024-01-0é"), None);
    }

    #[test]
    fn months_and_billing_periods() {
        let d = |y, m, d| Date::from_ymd(y, m, d).unwrap();
        assert_eq!(d(2024, 1, 31).add_months(1), d(2024, 2, 29));
        assert_eq!(d(2024, 1, 15).add_months(-1), d(2023, 12, 15));
        assert_eq!(
            Period::billing(3, d(2024, 3, 2), 0),
            Period {
                from: d(2024, 2, 3),
                until: d(2024, 3, 3)
            }
        );
        assert_eq!(Period::billing(3, d(2024, 3, 3), -1).from, d(2024, 2, 3));
        let at = Timestamp::from_second(86_400 + 3600 + 61).unwrap();
        assert_eq!(timestamp(d(2024, 1, 1), at), "2024-01-01T01:01:01");
        assert_eq!(midnight(d(2024, 1, 1)), "2024-01-01T00:00:00");
    }

    #[test]
    fn coins_and_bytes() {
        assert_eq!(coins_text(0), "0.00");
        assert_eq!(coins_text(1234), "12.34");
        assert_eq!(coins_text(-5), "-0.05");
        assert_eq!(parse_coins("3.5"), Some(350));
        assert_eq!(parse_coins("3"), Some(300));
        assert_eq!(parse_coins("0.05"), Some(5));
        assert_eq!(parse_coins("1.234"), None);
        assert_eq!(parse_coins("-1"), None);
        assert_eq!(humanise_bytes(0), "0 B");
        assert_eq!(humanise_bytes(1536), "1.5 KiB");
        assert_eq!(humanise_bytes(3 << 30), "3.0 GiB");
    }
}
