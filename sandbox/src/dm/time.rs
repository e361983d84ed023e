//! Timestamps as the Data Manager writes them, and the few date calculations it needs.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::calendar::{civil_from_days, days_from_civil};

/// Seconds since the Unix epoch, with a fraction.
pub(crate) fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// The day number (days since 1970-01-01) of a time.
pub(crate) fn day(secs: f64) -> i64 {
    (secs / 86_400.0).floor() as i64
}

/// `2024-05-01T10:11:12.123456Z`.
pub(crate) fn iso(secs: f64) -> String {
    let whole = secs.floor();
    let micros = ((secs - whole) * 1e6).round().min(999_999.0) as u32;
    let whole = whole as i64;
    let (y, m, d) = civil_from_days(whole.div_euclid(86_400));
    let rest = whole.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// `2024-05-01`.
pub(crate) fn date(secs: f64) -> String {
    let (y, m, d) = civil_from_days(day(secs));
    format!("{y:04}-{m:02}-{d:02}")
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
    let text = text.trim();
    let (date, time) = match text.split_once(['T', ' ']) {
        Some((d, t)) => (d, Some(t)),
        None => (text, None),
    };
    let mut parts = date.split('-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    let mut secs = days_from_civil(y, m, d) as f64 * 86_400.0;
    if let Some(time) = time {
        let (clock, offset) = if let Some(clock) = time.strip_suffix(['Z', 'z']) {
            (clock, 0.0)
        } else if let Some(i) = time.rfind(['+', '-']) {
            let (clock, zone) = time.split_at(i);
            let sign = if zone.starts_with('-') { -1.0 } else { 1.0 };
            let (h, mi) = zone[1..].split_once(':').unwrap_or((&zone[1..], "0"));
            let h: f64 = h.parse().ok()?;
            let mi: f64 = mi.parse().ok()?;
            (clock, sign * (h * 3600.0 + mi * 60.0))
        } else {
            (time, 0.0)
        };
        let mut fields = clock.split(':');
        let h: f64 = fields.next()?.parse().ok()?;
        let mi: f64 = fields.next().unwrap_or("0").parse().ok()?;
        let s: f64 = fields.next().unwrap_or("0").parse().ok()?;
        if fields.next().is_some() || h >= 24.0 || mi >= 60.0 || s >= 61.0 {
            return None;
        }
        secs += h * 3600.0 + mi * 60.0 + s - offset;
    }
    Some(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses() {
        assert_eq!(iso(0.0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(iso(1_714_558_272.5), "2024-05-01T10:11:12.500000Z");
        assert_eq!(date(1_714_558_272.5), "2024-05-01");
        assert_eq!(parse_iso("2024-05-01T10:11:12.5Z"), Some(1_714_558_272.5));
        assert_eq!(
            parse_iso("2024-05-01T11:11:12.5+01:00"),
            Some(1_714_558_272.5)
        );
        assert_eq!(parse_iso("2024-05-01"), Some(1_714_521_600.0));
        assert_eq!(parse_iso("yesterday"), None);
        assert_eq!(duration(2.5), "0:00:02.500000");
        assert_eq!(duration(3723.0), "1:02:03");
    }
}
