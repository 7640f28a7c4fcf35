//! Which tokens `exec` and `env` inject: `-t NAME[=VAR]`, `--scope S`, or the nearest
//! `.tokctl.toml` (whose `vault = …` may also choose the vault). Never everything by default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::access::{Access, Opened};
use crate::error::{self, Result};
use crate::secret::Secret;
use crate::unlock::Prompter;
use crate::vault::{self, Payload, Status};
use crate::when;

pub const PROJECT_FILE: &str = ".tokctl.toml";

/// `.tokctl.toml`: `[env] VAR = "token-name"` and an optional `vault = "path"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub vault: Option<PathBuf>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// Parse a project file's text; errors name the file.
pub fn parse_project(text: &str, path: &Path) -> Result<Project> {
    let bad = |what: String| {
        error::usage(format!("{}: {what}", path.display()))
            .hint("it takes an optional `vault = \"path\"` and an [env] table of VAR = \"token-name\" lines")
    };
    let p: Project = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
    for (var, name) in &p.env {
        vault::check_env(var).map_err(|_| bad(format!("'{var}' is not a valid environment variable name")))?;
        check_injectable(var).map_err(|_| bad(format!("refusing {var}: it changes how programs load or run")))?;
        vault::check_name(name).map_err(|_| bad(format!("'{name}' is not a valid token name")))?;
    }
    if p.vault.as_ref().is_some_and(|v| v.as_os_str().is_empty()) {
        return Err(bad("`vault` is empty".into()).into());
    }
    Ok(p)
}

/// The nearest `.tokctl.toml` from `start` upwards.
pub fn find_project(start: &Path) -> Result<Option<(PathBuf, Project)>> {
    for dir in start.ancestors() {
        let f = dir.join(PROJECT_FILE);
        if let Some(bytes) = crate::fsio::read_opt(&f, crate::fsio::MAX_SMALL)? {
            let text =
                String::from_utf8(bytes).map_err(|_| error::usage(format!("{} is not UTF-8 text", f.display())))?;
            let p = parse_project(&text, &f)?;
            let p = Project { vault: p.vault.map(|v| dir.join(v)), env: p.env };
            return Ok(Some((f, p)));
        }
    }
    Ok(None)
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

/// What the user asked for, before the vault is read.
pub enum Want {
    /// `(token name, variable override)` pairs and scopes from the command line.
    Flags { tokens: Vec<(String, Option<String>)>, scopes: Vec<String> },
    /// `VAR → token name` from a project file.
    Project { file: PathBuf, env: BTreeMap<String, String> },
}

impl Want {
    /// The token names asked for, when the selection is by name only.
    pub fn names(&self) -> Option<Vec<&str>> {
        match self {
            Want::Flags { tokens, scopes } if scopes.is_empty() => {
                Some(tokens.iter().map(|(n, _)| n.as_str()).collect())
            }
            Want::Flags { .. } => None,
            Want::Project { env, .. } => Some(env.values().map(String::as_str).collect()),
        }
    }
}

pub fn parse_token_flag(s: &str) -> Result<(String, Option<String>)> {
    let (name, var) = match s.split_once('=') {
        Some((n, v)) => (n, Some(v.to_string())),
        None => (s, None),
    };
    vault::check_name(name)?;
    if let Some(v) = &var {
        vault::check_env(v)?;
        check_injectable(v)?;
    }
    Ok((name.to_string(), var))
}

/// Decide the selection; `Ok(None)` for the project file's vault when it should be used.
pub fn want(tokens: &[String], scopes: &[String]) -> Result<(Want, Option<PathBuf>)> {
    if !tokens.is_empty() || !scopes.is_empty() {
        let tokens = tokens.iter().map(|t| parse_token_flag(t)).collect::<Result<Vec<_>>>()?;
        return Ok((Want::Flags { tokens, scopes: vault::scope_set(scopes)? }, None));
    }
    let cwd = std::env::current_dir()?;
    match find_project(&cwd)? {
        Some((file, p)) if !p.env.is_empty() => Ok((Want::Project { file, env: p.env }, p.vault)),
        Some((file, _)) => Err(error::usage(format!("{} selects no tokens", file.display()))
            .hint("add an [env] table, e.g.\n[env]\nEXPO_TOKEN = \"expo\"")
            .into()),
        None => Err(error::usage("no tokens selected")
            .hint(format!("pass -t NAME[=VAR] or --scope S, or put an [env] table in {PROJECT_FILE}; tokctl never injects everything"))
            .into()),
    }
}

/// One chosen token: the variable it goes into, its name, its secret.
pub struct Chosen {
    pub var: String,
    pub name: String,
    pub secret: Secret,
}

/// The opened vault, the tokens chosen from it, and notes for the user (tokens skipped).
pub struct Selection {
    pub opened: Opened,
    pub chosen: Vec<Chosen>,
    pub notes: Vec<String>,
}

/// Read the vault the selection points at and resolve the tokens. A project file's `vault = …`
/// applies only when neither --vault nor TOKCTL_VAULT chose one (`default_path`).
pub fn select(
    vault: &Path,
    default_path: bool,
    person: &dyn Prompter,
    tokens: &[String],
    scopes: &[String],
) -> Result<Selection> {
    let (want, project_vault) = want(tokens, scopes)?;
    let mut acc = match project_vault {
        Some(v) if default_path => Access::new(&v, false, person)?,
        _ => Access::new(vault, default_path, person)?,
    };
    // Named tokens need only their own records; a scope needs to see every record.
    let opened = match want.names() {
        Some(names) => acc.read_only(&names)?,
        None => acc.read()?,
    };
    let mut notes = Vec::new();
    let chosen = resolve(&want, &opened.payload, &mut notes)?;
    Ok(Selection { opened, chosen, notes })
}

/// The chosen tokens; refuses missing (3) or unusable (4) ones.
pub fn resolve(want: &Want, payload: &Payload, notes: &mut Vec<String>) -> Result<Vec<Chosen>> {
    let now = when::now();
    let mut out: Vec<Chosen> = Vec::new();
    let mut push = |var: String, name: &str, secret: &Secret| -> Result<()> {
        if let Some(other) = out.iter().find(|c| c.var == var) {
            if other.name == name {
                return Ok(());
            }
            return Err(error::usage(format!("both '{}' and '{name}' would set {var}", other.name))
                .hint(format!("rename one with -t {name}=OTHER_VAR"))
                .into());
        }
        check_injectable(&var)?;
        out.push(Chosen { var, name: name.to_string(), secret: secret.clone() });
        Ok(())
    };
    match want {
        Want::Flags { tokens, scopes } => {
            for (name, var) in tokens {
                let r = payload.find(name)?;
                push(var.clone().unwrap_or_else(|| r.env.clone()), &r.name, r.usable_secret(now)?)?;
            }
            for s in scopes {
                let mut any = false;
                for r in payload.records.iter().filter(|r| r.scopes.contains(s)) {
                    match r.status(now) {
                        Status::Active => {
                            push(r.env.clone(), &r.name, r.usable_secret(now)?)?;
                            any = true;
                        }
                        Status::Expired => notes.push(format!("skipping '{}' (scope {s}): it has expired", r.name)),
                        _ => {}
                    }
                }
                if !any {
                    return Err(error::not_found(format!("no active token carries the scope '{s}'"))
                        .hint("`tokctl list --all --scope S` shows which tokens carry it")
                        .into());
                }
            }
        }
        Want::Project { file, env } => {
            for (var, name) in env {
                let r = payload.find(name).map_err(|e| {
                    let msg = e.downcast_ref::<error::Error>().map(|x| x.message.clone()).unwrap_or_default();
                    error::not_found(format!("{msg} (named in {})", file.display()))
                        .hint("create or import it, or fix the name in the file")
                })?;
                push(var.clone(), &r.name, r.usable_secret(now)?)?;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_files_are_strict() {
        let p = parse_project("vault = \"ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n", Path::new("x")).unwrap();
        assert_eq!(p.env["EXPO_TOKEN"], "expo");
        for bad in ["[env]\n1X = \"a\"", "[env]\nA = \"-bad\"", "other = 1", "[env]\nA = 3", "vault = \"\"", "[env"] {
            assert!(parse_project(bad, Path::new("x")).is_err(), "{bad}");
        }
    }
}
