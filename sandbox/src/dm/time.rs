//! Timestamps as the Data Manager writes them, and the few date calculations it needs. The
//! Data Manager keeps times as seconds since the Unix epoch; [`crate::calendar`] turns them
//! into text and back.

use jiff::Timestamp;

use crate::calendar;

/// Seconds since the Unix epoch, with a fraction.
pub(crate) fn now() -> f64 {
    seconds(calendar::now())
}

fn seconds(at: Timestamp) -> f64 {
    at.as_microsecond() as f64 / 1e6
}

fn instant(secs: f64) -> Timestamp {
    Timestamp::from_microsecond((secs * 1e6).round() as i64).unwrap_or(Timestamp::UNIX_EPOCH)
}

/// The day number (days since 1970-01-01) of a time.
pub(crate) fn day(secs: f64) -> i64 {
    (secs / 86_400.0).floor() as i64
}

/// `2024-05-01T10:11:12.123456`: naive UTC, as the real Data Manager writes it.
pub(crate) fn iso(secs: f64) -> String {
    calendar::naive_utc(instant(secs))
}

/// `2024-05-01`.
pub(crate) fn date(secs: f64) -> String {
    calendar::utc_date(instant(secs)).to_string()
}

/// A duration as Python's `str(timedelta)` writes it: `0:00:02.500000`, `1:02:03`.
pub(crate) fn duration(secs: f64) -> String {
    let secs = secs.max(0.0);
    let whole = secs.floor() as u64;
    let micros = ((secs - secs.floor()) * 1e6).round().min(999_999.0) as u64;
    let text = format!(
        "{}:{:02}:{:02}",
        whole / 3600,
        whole % 3600 / 60,
        whole % 60
    );
    if micros == 0 {
        text
    } else {
        format!("{text}.{micros:06}")
    }
}

/// Reads an ISO-8601 date (`2024-01-01`) or date-time (`2024-01-01T10:00:00`, with an
/// optional fraction and a `Z` or `±hh:mm` offset; no offset means UTC).
pub(crate) fn parse_iso(text: &str) -> Option<f64> {
    calendar::parse_instant(text).map(seconds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(iso(0.0), "1970-01-01T00:00:00");
        assert_eq!(iso(1_714_558_272.5), "2024-05-01T10:11:12.500000");
        assert_eq!(date(1_714_558_272.5), "2024-05-01");
        assert_eq!(parse_iso("2024-05-01T10:11:12.5Z"), Some(1_714_558_272.5));
        assert_eq!(
            parse_iso("2024-05-01T11:11:12.5+01:00"),
            Some(1_714_558_272.5)
        );
        assert_eq!(parse_iso("2024-05-01"), Some(1_714_521_600.0));
        assert_eq!(parse_iso(&iso(1_714_558_272.5)), Some(1_714_558_272.5));
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(duration(2.5), "0:00:02.500000");
        assert_eq!(duration(3723.0), "1:02:03");
    }
}
