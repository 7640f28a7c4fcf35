//! The rules for what a user may call things: token names, environment variables, scopes and
//! minted-token prefixes, and the environment variable a name gets by default.

use crate::error::{self, Result};

pub fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        return Err(error::usage(format!("'{name}' is not a valid token name"))
            .hint("use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
            .into());
    }
    Ok(())
}

pub fn check_env(var: &str) -> Result<()> {
    let ok = !var.is_empty()
        && !var.as_bytes()[0].is_ascii_digit()
        && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        return Err(error::usage(format!("'{var}' is not a valid environment variable name"))
            .hint("use letters, digits and '_', not starting with a digit (e.g. EXPO_TOKEN)")
            .into());
    }
    Ok(())
}

pub fn check_scope(scope: &str) -> Result<()> {
    let ok = !scope.is_empty() && scope.bytes().all(|b| b.is_ascii_alphanumeric() || b":._*-".contains(&b));
    if !ok {
        return Err(error::usage(format!("'{scope}' is not a valid scope"))
            .hint("use letters, digits and ':', '.', '_', '*', '-' (e.g. repo:read)")
            .into());
    }
    Ok(())
}

pub fn check_prefix(prefix: &str) -> Result<()> {
    let ok = !prefix.is_empty()
        && prefix.len() <= 20
        && prefix.as_bytes()[0].is_ascii_alphabetic()
        && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !prefix.as_bytes()[prefix.len() - 1].is_ascii_alphanumeric();
    if !ok {
        return Err(error::usage(format!("'{prefix}' is not a valid token prefix"))
            .hint("use up to 20 letters, digits, '_' or '-', starting with a letter and ending in '_' or '-' (e.g. acme_)")
            .into());
    }
    Ok(())
}

/// The variable a token gets when none is given: a well-known provider name gets the variable
/// its CLI reads (`bws` → `BWS_ACCESS_TOKEN`, `hf` → `HF_TOKEN`), any other name its own,
/// upper-cased with `_TOKEN` (`my.svc` → `MY_SVC_TOKEN`, `gh-token` → `GH_TOKEN`).
pub fn default_env(name: &str) -> String {
    match crate::formats::by_name(name) {
        Some(w) => w.env.to_string(),
        None => derived_env(name),
    }
}

fn derived_env(name: &str) -> String {
    let mut v: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    if v.as_bytes()[0].is_ascii_digit() {
        v.insert(0, '_');
    }
    if !v.ends_with("TOKEN") {
        v.push_str("_TOKEN");
    }
    v
}

/// Sorted, de-duplicated, validated scopes.
pub fn scope_set(scopes: &[String]) -> Result<Vec<String>> {
    for s in scopes {
        check_scope(s)?;
    }
    let mut v = scopes.to_vec();
    v.sort();
    v.dedup();
    Ok(v)
}

/// Variables that change how programs load or run: a token is never injected under one of
/// them, whoever asked (`-t NAME=VAR`, a record's env, a project file). `*` ends a prefix.
pub const REFUSED_VARS: &[&str] = &[
    "PATH",
    "HOME",
    "SHELL",
    "IFS",
    "ENV",
    "BASH_ENV",
    "PROMPT_COMMAND",
    "PS4",
    "SHELLOPTS",
    "BASHOPTS",
    "LD_*",
    "DYLD_*",
    "NODE_OPTIONS",
    "PYTHONPATH",
    "PYTHONSTARTUP",
    "PERL5OPT",
    "RUBYOPT",
    "GIT_SSH_COMMAND",
    "TOKCTL_*",
];

/// Refuse (exit 2) a variable that programs would obey rather than read.
pub fn check_injectable(var: &str) -> Result<()> {
    let refused = REFUSED_VARS.iter().any(|r| match r.strip_suffix('*') {
        Some(prefix) => var.starts_with(prefix),
        None => var == *r,
    });
    if refused {
        return Err(error::usage(format!("refusing to put a token into {var}: it changes how programs load or run"))
            .hint("choose another variable, e.g. -t NAME=MY_TOKEN, or `tokctl update NAME --env MY_TOKEN`")
            .into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_env_names() {
        assert_eq!(default_env("expo"), "EXPO_TOKEN");
        assert_eq!(default_env("gh-token"), "GH_TOKEN");
        assert_eq!(default_env("bws.access"), "BWS_ACCESS_TOKEN");
        assert_eq!(default_env("9lives"), "_9LIVES_TOKEN");
        assert_eq!(default_env("my.svc"), "MY_SVC_TOKEN");
        assert_eq!(default_env("bws"), "BWS_ACCESS_TOKEN");
        assert_eq!(default_env("cargo"), "CARGO_REGISTRY_TOKEN");
        assert_eq!(default_env("hf"), "HF_TOKEN");
    }
}
