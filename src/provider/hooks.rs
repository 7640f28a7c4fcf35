//! The `command` provider: the user's own hooks, one command line each (`--on-rotate`,
//! `--on-revoke`, `--on-inspect`), run by `child::hook` with the secret on stdin. A hook answers
//! on stdout in `key=value` lines, as git's credential helpers do: rotate `secret=` and
//! optionally `expires=`; inspect `valid=true|false` and optionally `expires=`, `scopes=`,
//! `last_used=`. A non-zero exit, a timeout or an answer without what it must say changes
//! nothing: exit 1, with the hook's stderr.

use std::time::Duration;

use zeroize::Zeroizing;

use super::{Facts, RotateFailure, Rotated, Target, parse_when};
use crate::child::hook::{self, Ran};
use crate::error::{self, Result};
use crate::settings::ENV_PROVIDER_TIMEOUT;
use crate::vault::{Hook, hook_words};

/// Run the hook for `what` on `t`'s secret; its answer when it exited 0 in time, and what it
/// said on stderr (shown to the user: a hook warns there).
fn run(t: &Target, what: Hook, cmd: &str) -> Result<(Zeroizing<String>, Option<String>)> {
    let words = hook_words(what, cmd)?;
    let timeout = crate::settings::get().provider_timeout;
    let vars = [
        ("TOKCTL_TOKEN_NAME", t.name.clone()),
        ("TOKCTL_TOKEN_ENV", t.env.clone()),
        ("TOKCTL_TOKEN_SCOPES", t.scopes.join(",")),
    ];
    let ran = hook::run(&words, &t.secret, &vars, Duration::from_secs(timeout))
        .map_err(|e| error::within(e, format!("the {} hook of '{}'", what.flag(), t.name), None))?;
    let Ran { code, timed_out, stdout, stderr } = ran;
    let said = stderr_words(&stderr, t.secret.expose());
    if timed_out {
        return Err(anyhow::anyhow!(
            "the {} hook of '{}' did not finish within {timeout} s ({ENV_PROVIDER_TIMEOUT}); it was stopped{said}\n\
             nothing was changed",
            what.flag(),
            t.name
        ));
    }
    if code != Some(0) {
        let how = code.map(|c| format!("exited with status {c}")).unwrap_or_else(|| "was killed by a signal".into());
        return Err(anyhow::anyhow!("the {} hook of '{}' {how}{said}\nnothing was changed", what.flag(), t.name));
    }
    let text = String::from_utf8(stdout.to_vec()).map_err(|_| {
        anyhow::anyhow!(
            "the {} hook of '{}' answered with text that is not UTF-8\nnothing was changed",
            what.flag(),
            t.name
        )
    })?;
    let said = said.strip_prefix(": ").map(|s| format!("the {} hook of '{}' said: {s}", what.flag(), t.name));
    Ok((Zeroizing::new(text), said))
}

/// The hook's stderr as `: its words`, one line, escaped and clipped, the secret (should a hook
/// repeat it) shown as `***`; empty when it said nothing.
fn stderr_words(stderr: &[u8], secret: &str) -> String {
    let s = String::from_utf8_lossy(stderr);
    let mut one = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if !secret.is_empty() {
        one = one.replace(secret, "***");
    }
    let one: String = one.chars().take(400).collect();
    if one.is_empty() { String::new() } else { format!(": {}", crate::text::escape(&one)) }
}

/// The `key=value` lines of an answer (the last of a key wins; other lines are ignored).
fn answer(text: &str) -> Vec<(&str, &str)> {
    text.lines().filter_map(|l| l.trim_end_matches('\r').split_once('=')).map(|(k, v)| (k.trim(), v)).collect()
}

fn value<'a>(pairs: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

fn bad_answer(t: &Target, what: Hook, why: String) -> anyhow::Error {
    anyhow::anyhow!("the {} hook of '{}' {why}\nnothing was changed", what.flag(), t.name)
}

/// `expires=`: an RFC 3339 date or date-time, or `never`.
fn expires(t: &Target, what: Hook, v: Option<&str>) -> Result<Option<Option<i64>>> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some("never") => Ok(Some(None)),
        Some(s) => parse_when(s).map(|at| Some(Some(at))).ok_or_else(|| {
            bad_answer(t, what, format!("answered expires={}, not an RFC 3339 date", crate::text::escape(s)))
        }),
    }
}

pub fn inspect(t: &Target, cmd: &str) -> Result<Facts> {
    let (text, note) = run(t, Hook::Inspect, cmd)?;
    let pairs = answer(&text);
    let valid = match value(&pairs, "valid").map(str::trim) {
        Some("true") => true,
        Some("false") => false,
        other => {
            return Err(bad_answer(
                t,
                Hook::Inspect,
                match other {
                    None => "answered no valid=true or valid=false line".into(),
                    Some(v) => format!("answered valid={}, not true or false", crate::text::escape(v)),
                },
            ));
        }
    };
    let last_used_at = match value(&pairs, "last_used").map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(parse_when(s).ok_or_else(|| {
            bad_answer(t, Hook::Inspect, format!("answered last_used={}, not an RFC 3339 date", crate::text::escape(s)))
        })?),
    };
    Ok(Facts {
        valid,
        expires_at: expires(t, Hook::Inspect, value(&pairs, "expires"))?,
        scopes: value(&pairs, "scopes")
            .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect()),
        last_used_at,
        account: None,
        why: (!valid).then(|| "the inspect hook answered valid=false".into()),
        note,
    })
}

pub fn rotate(t: &Target, cmd: &str) -> std::result::Result<Rotated, RotateFailure> {
    let fail = RotateFailure::not_done;
    let (text, note) = run(t, Hook::Rotate, cmd).map_err(fail)?;
    let pairs = answer(&text);
    let Some(secret) = value(&pairs, "secret").filter(|s| !s.is_empty()) else {
        return Err(fail(bad_answer(t, Hook::Rotate, "answered no secret= line".into())));
    };
    let secret = crate::input::secret_exact(secret.as_bytes().to_vec(), "the hook's secret=", "the --on-rotate hook")
        .map_err(|e| {
        fail(bad_answer(t, Hook::Rotate, format!("answered an unusable secret: {}", e.root_cause())))
    })?;
    let expires_at = expires(t, Hook::Rotate, value(&pairs, "expires")).map_err(fail)?;
    Ok(Rotated { secret, expires_at, warning: None, note })
}

pub fn revoke(t: &Target, cmd: &str) -> Result<Option<String>> {
    run(t, Hook::Revoke, cmd).map(|(_, note)| note)
}

#[cfg(test)]
mod tests {
    #[test]
    fn answers_are_key_value_lines() {
        let pairs = super::answer("noise\nsecret=a=b\r\nexpires=2027-01-01\nsecret=c\n");
        assert_eq!(super::value(&pairs, "secret"), Some("c"));
        assert_eq!(super::value(&pairs, "expires"), Some("2027-01-01"));
        assert_eq!(super::value(&pairs, "valid"), None);
        let pairs = super::answer("secret=x=y\n");
        assert_eq!(super::value(&pairs, "secret"), Some("x=y"), "a value keeps its own '='");
    }
}
