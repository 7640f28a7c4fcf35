//! The `command` provider: the user's own hooks, one command line each (`--on-rotate`,
//! `--on-revoke`, `--on-inspect`), run by `child::hook` with the secret on stdin. A hook answers
//! on stdout in `key=value` lines, as git's credential helpers do: rotate `secret=` and
//! optionally `expires=`; inspect `valid=true|false` and optionally `expires=`, `scopes=`,
//! `last_used=`. A non-zero exit, a timeout or an answer without what it must say changes
//! nothing: exit 1, with the hook's stderr.

use std::time::Duration;

use zeroize::Zeroizing;

use super::{Facts, RotateFailure, Rotated, Target};
use crate::child::hook::{self, Ran};
use crate::error::Result;
use crate::settings::ENV_PROVIDER_TIMEOUT;
use crate::vault::{Hook, hook_words};

/// Run the hook for `what` on `t`'s secret, to its end or the deadline.
fn start(t: &Target, what: Hook, cmd: &str) -> Result<Ran> {
    let words = hook_words(what, cmd)?;
    let timeout = crate::settings::get().provider_timeout;
    let vars = [
        ("TOKCTL_TOKEN_NAME", t.name.clone()),
        ("TOKCTL_TOKEN_ENV", t.env.clone()),
        ("TOKCTL_TOKEN_SCOPES", t.scopes.join(",")),
    ];
    hook::run(&words, &t.secret, &vars, Duration::from_secs(timeout))
        .map_err(|e| anyhow::anyhow!("the {} hook of '{}': {e:#}", what.flag(), t.name))
}

/// Why a hook that ran did not succeed, if it did not: the first line says what happened (it is
/// what the log keeps), the hook's own stderr follows on a line of its own (shown, never logged).
fn failure(t: &Target, what: Hook, ran: &Ran) -> Option<anyhow::Error> {
    let how = if ran.timed_out {
        format!(
            "did not finish within {} s ({ENV_PROVIDER_TIMEOUT}); it was stopped",
            crate::settings::get().provider_timeout
        )
    } else if ran.overflow {
        "wrote more than 64 KiB, more than an answer needs".to_string()
    } else {
        match ran.code {
            Some(0) => return None,
            Some(c) => format!("exited with status {c}"),
            None => "was killed by a signal".to_string(),
        }
    };
    let said = stderr_words(&ran.stderr, t.secret.expose());
    Some(anyhow::anyhow!(
        "the {} hook of '{}' {how}{}\nnothing was changed",
        what.flag(),
        t.name,
        if said.is_empty() { String::new() } else { format!("\nit said: {said}") }
    ))
}

/// Run the hook for `what`; its answer when it exited 0 in time, and what it said on stderr
/// (shown to the user: a hook warns there).
fn run(t: &Target, what: Hook, cmd: &str) -> Result<(Zeroizing<String>, Option<String>)> {
    let ran = start(t, what, cmd)?;
    if let Some(e) = failure(t, what, &ran) {
        return Err(e);
    }
    Ok((answer_text(t, what, &ran)?, note(t, what, &ran)))
}

/// The hook's stdout as text.
fn answer_text(t: &Target, what: Hook, ran: &Ran) -> Result<Zeroizing<String>> {
    String::from_utf8(ran.stdout.to_vec()).map(Zeroizing::new).map_err(|_| {
        anyhow::anyhow!(
            "the {} hook of '{}' answered with text that is not UTF-8\nnothing was changed",
            what.flag(),
            t.name
        )
    })
}

/// The hook's stderr as `their_words` gives it; empty when it said nothing.
fn stderr_words(stderr: &[u8], secret: &str) -> String {
    super::their_words(&String::from_utf8_lossy(stderr), &[secret], 400)
}

/// What a hook that succeeded said on stderr, for the user (a hook warns there).
fn note(t: &Target, what: Hook, ran: &Ran) -> Option<String> {
    let said = stderr_words(&ran.stderr, t.secret.expose());
    (!said.is_empty()).then(|| format!("the {} hook of '{}' said: {said}", what.flag(), t.name))
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

/// A time in `key=`: an RFC 3339 date or date-time; `None` when it is not there or empty.
fn date(t: &Target, what: Hook, key: &str, v: Option<&str>) -> Result<Option<i64>> {
    match v.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => crate::when::parse_date(s).map(Some).ok_or_else(|| {
            bad_answer(t, what, format!("answered {key}={}, not an RFC 3339 date", crate::text::escape(s)))
        }),
    }
}

/// `expires=`: a time, or `never`.
fn expires(t: &Target, what: Hook, v: Option<&str>) -> Result<Option<Option<i64>>> {
    match v.map(str::trim) {
        Some("never") => Ok(Some(None)),
        other => Ok(date(t, what, "expires", other)?.map(Some)),
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
    let last_used_at = date(t, Hook::Inspect, "last_used", value(&pairs, "last_used"))?;
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
    let ran = start(t, Hook::Rotate, cmd).map_err(fail)?;
    let text = answer_text(t, Hook::Rotate, &ran).ok();
    let pairs = text.as_deref().map(|x| answer(x)).unwrap_or_default();
    let secret = value(&pairs, "secret").filter(|s| !s.is_empty()).and_then(|s| {
        crate::input::secret_exact(s.as_bytes().to_vec(), "the hook's secret=", "the --on-rotate hook").ok()
    });
    if let Some(error) = failure(t, Hook::Rotate, &ran) {
        // A failed hook changes nothing, unless it answered a new secret before it failed: then
        // its provider may hold that one now, so it is handed to the user (printed once) and the
        // mark stays, keeping the old secret from being sent to rotate again.
        return Err(RotateFailure { error, maybe_done: secret.is_some(), dead: false, secret });
    }
    let Some(secret) = secret else {
        let why = if value(&pairs, "secret").is_some_and(|s| !s.is_empty()) {
            "answered an unusable secret= (empty, too long, or with control characters)"
        } else {
            "answered no secret= line"
        };
        return Err(fail(bad_answer(t, Hook::Rotate, why.into())));
    };
    let mut told = note(t, Hook::Rotate, &ran);
    // A bad expires= does not lose a new secret: it is stored, its expiry as before.
    let expires_at = match expires(t, Hook::Rotate, value(&pairs, "expires")) {
        Ok(x) => x,
        Err(e) => {
            let line = format!("{e:#}").lines().next().unwrap_or("").to_string();
            told = Some(format!("{line}; the new secret is stored with the expiry it would have had"));
            None
        }
    };
    Ok(Rotated { secret, expires_at, warning: None, note: told })
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
