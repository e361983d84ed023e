//! Dates and times as the Data Manager and the Account Server write and read them, on the
//! `jiff` crate (one place for both services).
//!
//! Both services are Python and write `datetime.isoformat()` of a naive UTC value:
//! `2026-12-01T20:09:51.813613`, no zone designator, microseconds (none when zero). What the
//! vendor's own tools do with the values shows it (see `sandbox/FIDELITY.md`). They read a
//! date-time with a `Z` or an offset, or without one (UTC assumed), or a date alone.

use jiff::civil::{Date, DateTime, Time};
use jiff::tz::Offset;
use jiff::Timestamp;

/// The current time, on the sandbox's clock ([`crate::clock`]).
pub(crate) fn now() -> Timestamp {
    crate::clock::now()
}

/// The UTC date and time of an instant.
pub(crate) fn utc(at: Timestamp) -> DateTime {
    Offset::UTC.to_datetime(at)
}

/// The UTC day of an instant.
pub(crate) fn utc_date(at: Timestamp) -> Date {
    utc(at).date()
}

/// A date and time as Python's `isoformat()` writes a naive value: microseconds (truncated,
/// as Python keeps them), and no fraction at all when they are zero.
pub(crate) fn naive_iso(at: DateTime) -> String {
    let micros = at.subsec_nanosecond() / 1000;
    if micros == 0 {
        format!("{:.0}", at)
    } else {
        // Six places: the nanoseconds beyond the microsecond are cut off, not rounded.
        let at = at
            .with()
            .subsec_nanosecond(micros * 1000)
            .build()
            .unwrap_or(at);
        format!("{at:.6}")
    }
}

/// An instant as the services write it: naive UTC (see [`naive_iso`]).
pub(crate) fn naive_utc(at: Timestamp) -> String {
    naive_iso(utc(at))
}

/// Reads a date-time as the services accept one: RFC 3339 / ISO 8601 with a `Z` or an
/// offset, the same without a zone (UTC), with `T` or a space between date and time, or a
/// date alone (its midnight, UTC).
pub(crate) fn parse_instant(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if let Ok(at) = text.parse::<Timestamp>() {
        return Some(at);
    }
    let civil = match text.parse::<DateTime>() {
        Ok(at) => at,
        Err(_) => text.parse::<Date>().ok()?.to_datetime(Time::midnight()),
    };
    Offset::UTC.to_timestamp(civil).ok()
}

/// Reads the civil date a date or date-time text starts with (`2024-01-01`,
/// `2024-01-01T10:00:00`, `2024-01-01 10:00:00+02:00`, ...), its time and zone ignored.
pub(crate) fn parse_date(text: &str) -> Option<Date> {
    let text = text.trim();
    if let Ok(at) = text.parse::<DateTime>() {
        return Some(at.date());
    }
    // A civil date-time refuses a `Z` (which names an instant): the instant's UTC day.
    text.parse::<Timestamp>().ok().map(utc_date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_naive_utc_as_python_does() {
        let at: Timestamp = "2026-12-01T20:09:51.813613999Z".parse().unwrap();
        assert_eq!(naive_utc(at), "2026-12-01T20:09:51.813613");
        let at: Timestamp = "2026-12-01T20:09:51Z".parse().unwrap();
        assert_eq!(naive_utc(at), "2026-12-01T20:09:51");
        let at: Timestamp = "2024-05-01T10:11:12.5Z".parse().unwrap();
        assert_eq!(naive_utc(at), "2024-05-01T10:11:12.500000");
    }

    #[test]
    fn reads_zoned_naive_and_date_only_text() {
        let at: Timestamp = "2024-05-01T10:11:12.5Z".parse().unwrap();
        assert_eq!(parse_instant("2024-05-01T10:11:12.5Z"), Some(at));
        assert_eq!(parse_instant("2024-05-01T11:11:12.5+01:00"), Some(at));
        assert_eq!(parse_instant("2024-05-01T10:11:12.500000"), Some(at));
        assert_eq!(parse_instant("2024-05-01 10:11:12.5"), Some(at));
        assert_eq!(
            parse_instant("2024-05-01"),
            Some("2024-05-01T00:00:00Z".parse().unwrap())
        );
        assert_eq!(parse_instant("yesterday"), None);
        assert_eq!(parse_instant("2024-13-01"), None);
    }

    #[test]
    fn reads_the_date_of_a_date_time() {
        let day = Date::constant(2024, 1, 1);
        assert_eq!(parse_date("2024-01-01"), Some(day));
        assert_eq!(parse_date("2024-01-01 12:30:00"), Some(day));
        assert_eq!(parse_date("2024-01-01T12:30:00.5Z"), Some(day));
        assert_eq!(parse_date("2024-01-01T23:30:00-05:00"), Some(day));
        assert_eq!(parse_date("2024-1-1"), None);
        assert_eq!(parse_date("2024-01-01x"), None);
        assert_eq!(parse_date("1 December 2021"), None);
        assert_eq!(parse_date("2024-01-0é"), None);
        assert_eq!(parse_date("2023-02-29"), None);
    }
}
