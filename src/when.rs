//! Durations, dates and relative times: `30d`, `12h`, `2w`, `90m`, RFC 3339, `never`.
//! Timestamps are whole Unix seconds; calendar work is left to jiff.

use jiff::{SignedDuration, Timestamp, civil::Date, tz::TimeZone};

use crate::error::{self, Result};

pub fn now() -> i64 {
    Timestamp::now().as_second()
}

/// An expiry as the user wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expiry {
    Never,
    After(i64),
    At(i64),
}

impl Expiry {
    /// The absolute expiry for a token made at `now`, and the lifetime to renew on regenerate.
    pub fn resolve(self, now: i64) -> (Option<i64>, Option<i64>) {
        match self {
            Expiry::Never => (None, None),
            Expiry::After(secs) => (Some(now.saturating_add(secs)), Some(secs)),
            Expiry::At(t) => (Some(t), Some(t - now)),
        }
    }
}

const HINT: &str = "use a duration such as 90m, 12h, 30d or 2w, a date such as 2027-01-31 \
(or 2027-01-31T12:00:00Z), or `never`";

fn parse_span(s: &str) -> Option<i64> {
    let unit = s.chars().last()?;
    let n: i64 = s[..s.len() - unit.len_utf8()].parse().ok()?;
    if n <= 0 || !s.as_bytes()[0].is_ascii_digit() {
        return None;
    }
    let mult = match unit {
        'm' => 60,
        'h' => 3600,
        'd' => 86_400,
        'w' => 7 * 86_400,
        _ => return None,
    };
    // Beyond 1,000 years is a typo, not an expiry.
    n.checked_mul(mult).filter(|&v| v <= 1000 * 366 * 86_400)
}

fn parse_date(s: &str) -> Option<i64> {
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts.as_second());
    }
    let d: Date = s.parse().ok()?;
    Some(d.to_zoned(TimeZone::UTC).ok()?.timestamp().as_second())
}

/// Parse `--expires`. A date in the past is a usage error.
pub fn parse_expiry(s: &str, now: i64) -> Result<Expiry> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("never") {
        return Ok(Expiry::Never);
    }
    if let Some(secs) = parse_span(s) {
        return Ok(Expiry::After(secs));
    }
    match parse_date(s) {
        Some(t) if t <= now => Err(error::usage(format!("the date '{s}' is in the past"))
            .hint("give a future date, or a duration such as 30d")
            .into()),
        Some(t) => Ok(Expiry::At(t)),
        None => Err(error::usage(format!("'{s}' is not a duration or date")).hint(HINT).into()),
    }
}

/// Parse a window such as `--within 7d` or `--expiring 2w` into seconds from now.
pub fn parse_window(s: &str, now: i64) -> Result<i64> {
    match parse_expiry(s, now)? {
        Expiry::After(secs) => Ok(secs),
        Expiry::At(t) => Ok(t - now),
        Expiry::Never => {
            Err(error::usage("`never` is not a window").hint("use a duration such as 7d or a future date").into())
        }
    }
}

/// Parse `--rotate-every`: a duration such as 90d, or `never` (no period).
pub fn parse_period(s: &str) -> Result<Option<i64>> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    parse_span(s).map(Some).ok_or_else(|| {
        error::usage(format!("'{s}' is not a rotation period"))
            .hint("use a duration such as 30d, 12w or 2160h (or `never` to drop the period)")
            .into()
    })
}

pub fn rfc3339(t: i64) -> String {
    Timestamp::from_second(t).map(|ts| ts.to_string()).unwrap_or_else(|_| t.to_string())
}

/// "in 3 days", "2 hours ago", "just now".
pub fn relative(t: i64, now: i64) -> String {
    let d = t - now;
    let a = d.unsigned_abs() as i64;
    let (size, unit) = if a < 60 {
        return "just now".into();
    } else if a < 3600 {
        (60, "minute")
    } else if a < 86_400 {
        (3600, "hour")
    } else if a < 60 * 86_400 {
        (86_400, "day")
    } else if a < 730 * 86_400 {
        (30 * 86_400, "month")
    } else {
        (365 * 86_400, "year")
    };
    // Round to the nearest unit: a 5-day token a second old is "in 5 days", not "in 4 days".
    let n = (a + size / 2) / size;
    let plural = if n == 1 { "" } else { "s" };
    if d > 0 { format!("in {n} {unit}{plural}") } else { format!("{n} {unit}{plural} ago") }
}

/// A span in words for messages: "90 days".
pub fn span_words(secs: i64) -> String {
    let d = SignedDuration::from_secs(secs);
    let days = d.as_secs() / 86_400;
    if days >= 1 {
        format!("{days} day{}", if days == 1 { "" } else { "s" })
    } else {
        relative(secs, 0).replace("in ", "")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_dates_and_never() {
        let now = 1_800_000_000;
        assert_eq!(parse_expiry("30d", now).unwrap(), Expiry::After(30 * 86_400));
        assert_eq!(parse_expiry("90m", now).unwrap(), Expiry::After(90 * 60));
        assert_eq!(parse_expiry("2w", now).unwrap(), Expiry::After(14 * 86_400));
        assert_eq!(parse_expiry("never", now).unwrap(), Expiry::Never);
        assert!(matches!(parse_expiry("2030-01-31", now).unwrap(), Expiry::At(_)));
        assert!(matches!(parse_expiry("2030-01-31T12:00:00Z", now).unwrap(), Expiry::At(_)));
        for bad in ["", "0d", "-3d", "+3d", "3x", "d", "3.5d", "2020-01-01", "2030-02-30", "99999999999w"] {
            assert!(parse_expiry(bad, now).is_err(), "{bad}");
        }
    }

    #[test]
    fn rotation_periods_are_durations() {
        assert_eq!(parse_period("90d").unwrap(), Some(90 * 86_400));
        assert_eq!(parse_period("never").unwrap(), None);
        for bad in ["2030-01-01", "0d", "x", ""] {
            assert!(parse_period(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative(100 + 3 * 86_400, 100), "in 3 days");
        assert_eq!(relative(100, 100 + 7200), "2 hours ago");
        assert_eq!(relative(100, 100), "just now");
    }
}
