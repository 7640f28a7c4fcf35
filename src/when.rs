//! Durations, dates and relative times: `30d`, `12h`, `2w`, `90m`, RFC 3339, `never`.
//! Timestamps are whole Unix seconds; calendar work is left to jiff.

use jiff::{Timestamp, civil::Date, tz::TimeZone};

use crate::error::{self, Result};

pub(crate) fn now() -> i64 {
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
    pub(crate) fn resolve(self, now: i64) -> (Option<i64>, Option<i64>) {
        match self {
            Expiry::Never => (None, None),
            Expiry::After(secs) => (Some(now.saturating_add(secs)), Some(secs)),
            Expiry::At(t) => (Some(t), Some(t - now)),
        }
    }
}

/// The shared grammar's examples, for hints.
const FORMS: &str = "45s, 90m, 12h, 30d or 2w";
/// Beyond 1,000 years is a typo, not a length.
const LONGEST: i64 = 1000 * 366 * 86_400;
/// The longest timeout (`TOKCTL_*_TIMEOUT`), and its default.
pub(crate) const MAX_TIMEOUT: u64 = 3600;
pub(crate) const DEFAULT_TIMEOUT: u64 = 10;

/// The one grammar every length shares (SPEC "Durations"): a positive whole number and one of
/// `s`, `m`, `h`, `d`, `w`, nothing around it. `None` for anything else, zero included.
pub(crate) fn span(s: &str) -> Option<i64> {
    let digits = s.strip_suffix(['s', 'm', 'h', 'd', 'w'])?;
    let mult = match s.as_bytes()[s.len() - 1] {
        b's' => 1,
        b'm' => 60,
        b'h' => 3600,
        b'd' => 86_400,
        _ => 7 * 86_400,
    };
    whole(digits)?.checked_mul(mult).filter(|&v| v <= LONGEST)
}

/// A positive whole number written with ASCII digits only (no sign, no space).
fn whole(digits: &str) -> Option<i64> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().filter(|&n| n > 0)
}

/// How a message names a value: `--for '1w'`, `TOKCTL_CACHE_TTL='2x'`.
fn subject(what: &str, value: &str) -> String {
    let value = crate::text::escape(value);
    if what.starts_with('-') { format!("{what} '{value}'") } else { format!("{what}='{value}'") }
}

/// `what 'value' is not a <kind>`, with the forms `what` takes.
fn not_a(what: &str, value: &str, kind: &str, forms: impl Into<String>) -> crate::error::Error {
    error::usage(format!("{} is not a {kind}", subject(what, value))).hint(forms)
}

/// An RFC 3339 date-time, or a bare date (midnight UTC, the start of that day): what
/// `--expires` takes, and how providers and hooks write a token's times.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(ts) = s.parse::<Timestamp>() {
        return Some(ts.as_second());
    }
    let d: Date = s.parse().ok()?;
    Some(d.to_zoned(TimeZone::UTC).ok()?.timestamp().as_second())
}

/// Parse `--expires`: a length, an RFC 3339 date or date-time, or `never`. A date in the past is
/// a usage error.
pub fn parse_expiry(s: &str, now: i64) -> Result<Expiry> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("never") {
        return Ok(Expiry::Never);
    }
    if let Some(secs) = span(s) {
        return Ok(Expiry::After(secs));
    }
    match parse_date(s) {
        Some(t) if t <= now => Err(error::usage(format!("--expires: the date '{s}' is in the past"))
            .hint("give a future date, or a duration such as 30d")
            .into()),
        Some(t) => Ok(Expiry::At(t)),
        None => Err(not_a(
            "--expires",
            s,
            "duration or date",
            format!("use a duration such as {FORMS}, a date such as 2027-01-31 (or 2027-01-31T12:00:00Z), or `never`"),
        )
        .into()),
    }
}

/// Parse a window (`--within`, `--expiring`, `--unused`) into seconds.
pub(crate) fn parse_window(what: &str, s: &str) -> Result<i64> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("never") {
        return Err(error::usage(format!("{what}: `never` is not a window"))
            .hint(format!("use a duration such as {FORMS}"))
            .into());
    }
    span(s).ok_or_else(|| not_a(what, s, "duration", format!("use a duration such as {FORMS}")).into())
}

/// Parse `--rotate-every`: a length, or `never` (no period).
pub(crate) fn parse_period(s: &str) -> Result<Option<i64>> {
    let s = s.trim();
    if s.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    span(s).map(Some).ok_or_else(|| {
        not_a(
            "--rotate-every",
            s,
            "rotation period",
            format!("use a duration such as {FORMS} (or `never` to drop the period)"),
        )
        .into()
    })
}

/// Parse a length with a limit of its own (`unlock --for`, at most `max` seconds): a value
/// beyond it gets its own message, never the grammar's.
pub(crate) fn parse_capped(what: &str, s: &str, max: u64, why: &str) -> Result<u64> {
    let s = s.trim();
    let secs = span(s).ok_or_else(|| not_a(what, s, "duration", format!("use a duration such as {FORMS}")))?;
    capped(what, s, secs as u64, max, why)
}

fn capped(what: &str, s: &str, secs: u64, max: u64, why: &str) -> Result<u64> {
    if secs > max {
        return Err(error::usage(format!("{} is longer than {}", subject(what, s), exact_words(max))).hint(why).into());
    }
    Ok(secs)
}

/// Parse `TOKCTL_CACHE_TTL`: a length up to `max` (`why` says why beyond it), or `0`/`off` (any zero length too), which is
/// `None`: the cache is off.
pub(crate) fn parse_cache_ttl(var: &str, s: &str, max: u64, why: &str) -> Result<Option<u64>> {
    let s = s.trim();
    let zero = s.strip_suffix(['s', 'm', 'h', 'd', 'w']).unwrap_or(s);
    if s.eq_ignore_ascii_case("off") || (!zero.is_empty() && zero.bytes().all(|b| b == b'0')) {
        return Ok(None);
    }
    let secs = span(s).ok_or_else(|| {
        not_a(var, s, "duration", format!("use a duration such as {FORMS}, or 0 or off to turn the cache off"))
    })?;
    capped(var, s, secs as u64, max, why).map(Some)
}

/// Parse a `TOKCTL_*_TIMEOUT`: a length or a bare number of seconds, from 1 s to an hour.
pub(crate) fn parse_timeout(var: &str, s: &str) -> Result<u64> {
    let s = s.trim();
    let secs = span(s).or_else(|| whole(s)).ok_or_else(|| {
        not_a(
            var,
            s,
            "timeout",
            format!("use a number of seconds (1 to {MAX_TIMEOUT}) or a duration such as 30s or 2m, or unset it ({DEFAULT_TIMEOUT} s)"),
        )
    })?;
    capped(var, s, secs as u64, MAX_TIMEOUT, "a timeout is at most an hour (3600 or 1h); unset it for 10 s")
}

pub(crate) fn rfc3339(t: i64) -> String {
    Timestamp::from_second(t).map(|ts| ts.to_string()).unwrap_or_else(|_| t.to_string())
}

/// "in 3 days", "2 hours ago", "just now". A unit is used from two of it on ("in 90 minutes",
/// "in 36 hours", "in 45 days"), so rounding to the nearest one is never off by more than a fifth:
/// a 90-minute token is not "in 2 hours", and a 5-day token a second old is "in 5 days".
pub(crate) fn relative(t: i64, now: i64) -> String {
    let d = t.saturating_sub(now);
    let a = d.saturating_abs();
    let (size, unit) = if a < 10 {
        return "just now".into();
    } else if a < 2 * 60 {
        (1, "second")
    } else if a < 2 * 3600 {
        (60, "minute")
    } else if a < 2 * 86_400 {
        (3600, "hour")
    } else if a < 60 * 86_400 {
        (86_400, "day")
    } else if a < 730 * 86_400 {
        (30 * 86_400, "month")
    } else {
        (365 * 86_400, "year")
    };
    let n = a / size + i64::from(a % size >= size - size / 2);
    let plural = if n == 1 { "" } else { "s" };
    if d > 0 { format!("in {n} {unit}{plural}") } else { format!("{n} {unit}{plural} ago") }
}

/// A span in words for messages: "90 days", "36 hours".
pub(crate) fn span_words(secs: i64) -> String {
    if secs >= 86_400 && secs % 86_400 == 0 {
        let days = secs / 86_400;
        return format!("{days} day{}", if days == 1 { "" } else { "s" });
    }
    relative(secs, 0).trim_start_matches("in ").to_string()
}

/// A length as it was given, exactly: "15 minutes", "24 hours", "90 seconds".
pub(crate) fn exact_words(secs: u64) -> String {
    let (n, unit) = match secs {
        s if s > 0 && s % 3600 == 0 => (s / 3600, "hour"),
        s if s > 0 && s % 60 == 0 => (s / 60, "minute"),
        s => (s, "second"),
    };
    format!("{n} {unit}{}", if n == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_providers_write_them() {
        assert_eq!(parse_date("2026-12-31"), Some(1_798_675_200));
        assert_eq!(parse_date("2026-12-31T00:00:00Z"), Some(1_798_675_200));
        assert_eq!(parse_date("2026-12-31T01:00:00.123+01:00"), Some(1_798_675_200));
        assert_eq!(parse_date("soon"), None);
    }

    const NOW: i64 = 1_800_000_000;
    /// Every unit of the shared grammar, and what it is in seconds.
    const UNITS: [(&str, i64); 5] =
        [("45s", 45), ("90m", 5400), ("12h", 43_200), ("30d", 2_592_000), ("2w", 1_209_600)];
    /// Not in the grammar, for any flag or variable.
    const NOT_LENGTHS: [&str; 15] =
        ["", "3x", "d", "-3d", "+3d", "3.5d", "3 d", "3D", "0x10s", "１d", "3dd", "s", "99999999999w", "1e3s", "3ms"];

    /// Each flag or variable, parsed to seconds (`None` where the value means no length: `never`
    /// or off).
    type Flag = (&'static str, fn(&str) -> Result<Option<i64>>);

    fn flags() -> Vec<Flag> {
        fn expires(s: &str) -> Result<Option<i64>> {
            Ok(match parse_expiry(s, NOW)? {
                Expiry::After(secs) => Some(secs),
                Expiry::At(t) => Some(t - NOW),
                Expiry::Never => None,
            })
        }
        vec![
            ("--expires", expires),
            ("--within", |s| parse_window("--within", s).map(Some)),
            ("--expiring", |s| parse_window("--expiring", s).map(Some)),
            ("--unused", |s| parse_window("--unused", s).map(Some)),
            ("--rotate-every", parse_period),
            ("--for", |s| parse_capped("--for", s, 24 * 3600, "at most 24h").map(|n| Some(n as i64))),
            ("TOKCTL_CACHE_TTL", |s| {
                parse_cache_ttl("TOKCTL_CACHE_TTL", s, 24 * 3600, "").map(|n| n.map(|n| n as i64))
            }),
            ("TOKCTL_KEYRING_TIMEOUT", |s| parse_timeout("TOKCTL_KEYRING_TIMEOUT", s).map(|n| Some(n as i64))),
            ("TOKCTL_REMOTE_TIMEOUT", |s| parse_timeout("TOKCTL_REMOTE_TIMEOUT", s).map(|n| Some(n as i64))),
            ("TOKCTL_PROVIDER_TIMEOUT", |s| parse_timeout("TOKCTL_PROVIDER_TIMEOUT", s).map(|n| Some(n as i64))),
        ]
    }

    fn message(r: Result<Option<i64>>) -> String {
        let e = r.expect_err("an error");
        let e = e.downcast_ref::<crate::error::Error>().expect("a usage error");
        assert_eq!(e.code, crate::error::Code::Usage, "{e}");
        e.to_string()
    }

    #[test]
    fn every_flag_takes_every_unit_within_its_limit() {
        for (flag, parse) in flags() {
            for (text, secs) in UNITS {
                // A limit of its own: at most 24 hours for the cache, an hour for a timeout.
                let limit = match flag {
                    "--for" | "TOKCTL_CACHE_TTL" => 86_400,
                    f if f.ends_with("_TIMEOUT") => 3600,
                    _ => i64::MAX,
                };
                let got = parse(text);
                if secs <= limit {
                    assert_eq!(got.unwrap(), Some(secs), "{flag} {text}");
                } else {
                    let m = message(got);
                    assert!(m.contains("is longer than") && m.contains(text), "{flag} {text}: {m}");
                }
            }
            // The same with spaces around it, as an environment variable may carry.
            assert_eq!(parse(" 45s ").unwrap(), Some(45), "{flag}");
            assert_eq!(parse("1s").unwrap(), Some(1), "{flag}");
        }
    }

    #[test]
    fn what_is_not_a_length_is_a_grammar_error_naming_the_flag() {
        for (flag, parse) in flags() {
            for bad in NOT_LENGTHS {
                let m = message(parse(bad));
                assert!(m.contains(flag) && m.contains("is not a"), "{flag} {bad:?}: {m}");
                assert!(!m.contains("longer than"), "{flag} {bad:?}: {m}");
            }
        }
    }

    #[test]
    fn the_extra_forms_belong_to_their_flags_only() {
        let table: [(&str, &[&str]); 6] = [
            // Only --expires takes a date; only it and --rotate-every take `never`.
            ("2030-01-31", &["--expires"]),
            ("2030-01-31T12:00:00Z", &["--expires"]),
            ("never", &["--expires", "--rotate-every"]),
            // A bare number of seconds: the timeouts.
            ("30", &["TOKCTL_KEYRING_TIMEOUT", "TOKCTL_REMOTE_TIMEOUT", "TOKCTL_PROVIDER_TIMEOUT"]),
            // Off: the cache's TTL.
            ("off", &["TOKCTL_CACHE_TTL"]),
            ("0", &["TOKCTL_CACHE_TTL"]),
        ];
        for (text, takers) in table {
            for (flag, parse) in flags() {
                let got = parse(text);
                if takers.contains(&flag) {
                    assert!(got.is_ok(), "{flag} {text}: {:?}", got.err());
                } else {
                    let m = message(got);
                    assert!(m.contains(flag) && !m.contains("longer than"), "{flag} {text}: {m}");
                }
            }
        }
        assert_eq!(parse_timeout("X", "30").unwrap(), 30);
        assert_eq!(parse_cache_ttl("X", "OFF", 86_400, "").unwrap(), None);
        assert_eq!(parse_cache_ttl("X", "0m", 86_400, "").unwrap(), None);
        assert_eq!(parse_expiry("NEVER", NOW).unwrap(), Expiry::Never);
        assert!(matches!(parse_expiry("2030-01-31", NOW).unwrap(), Expiry::At(t) if t == 1_896_048_000));
    }

    #[test]
    fn limits_speak_for_themselves() {
        let m = message(parse_capped("--for", "1w", 86_400, "at most 24h").map(|n| Some(n as i64)));
        assert!(m.contains("--for '1w' is longer than 24 hours"), "{m}");
        assert!(parse_capped("--for", "24h", 86_400, "").is_ok() && parse_capped("--for", "1d", 86_400, "").is_ok());
        let m = message(parse_capped("--for", "86401s", 86_400, "").map(|n| Some(n as i64)));
        assert!(m.contains("longer than 24 hours"), "{m}");
        let m = message(parse_timeout("TOKCTL_KEYRING_TIMEOUT", "3601").map(|n| Some(n as i64)));
        assert!(m.contains("TOKCTL_KEYRING_TIMEOUT='3601' is longer than 1 hour"), "{m}");
        assert_eq!(parse_timeout("X", "1h").unwrap(), 3600);
        let m = message(parse_cache_ttl("TOKCTL_CACHE_TTL", "25h", 86_400, "").map(|n| n.map(|n| n as i64)));
        assert!(m.contains("TOKCTL_CACHE_TTL='25h' is longer than 24 hours"), "{m}");
        // A date in the past, and a zero length, are not lengths to use.
        let m = message(parse_expiry("2020-01-01", NOW).map(|_| None));
        assert!(m.contains("the date '2020-01-01' is in the past"), "{m}");
        for flag in ["--within", "--expiring", "--unused"] {
            assert!(message(parse_window(flag, "0d").map(Some)).contains(&format!("{flag} '0d' is not a duration")));
            assert!(message(parse_window(flag, "never").map(Some)).contains("`never` is not a window"));
        }
        assert!(message(parse_timeout("X", "0").map(|n| Some(n as i64))).contains("X='0' is not a timeout"));
    }

    #[test]
    fn relative_times_read_naturally() {
        let table = [
            (0, "just now"),
            (9, "just now"),
            (10, "in 10 seconds"),
            (-45, "45 seconds ago"),
            (90 * 60, "in 90 minutes"),
            (-90 * 60, "90 minutes ago"),
            (2 * 3600 + 29 * 60, "in 2 hours"),
            (2 * 3600 + 30 * 60, "in 3 hours"),
            (36 * 3600, "in 36 hours"),
            (3 * 86_400, "in 3 days"),
            (5 * 86_400 - 1, "in 5 days"),
            (-7200, "2 hours ago"),
            (90 * 86_400, "in 3 months"),
            (3 * 365 * 86_400, "in 3 years"),
        ];
        for (d, want) in table {
            assert_eq!(relative(100 + d, 100), want, "{d}");
        }
        assert!(relative(i64::MAX, i64::MIN).ends_with("years"));
        assert_eq!(span_words(90 * 60), "90 minutes");
        assert_eq!(span_words(90 * 86_400), "90 days");
        assert_eq!(
            (exact_words(900), exact_words(86_400), exact_words(90)),
            ("15 minutes".into(), "24 hours".into(), "90 seconds".into())
        );
    }
}
