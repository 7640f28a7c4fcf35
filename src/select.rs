//! Which tokens `exec` and `env` inject: `-t NAME[=VAR]`, `--scope S`, or the `[env]` table of
//! the nearest project file (`project`). Never everything by default.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::access::{Access, Opened};
use crate::error::{self, Result};
use crate::project::{self, ProjectFile};
use crate::secret::Secret;
use crate::text::Shown;
use crate::vault::{self, Payload, Status, check_injectable};
use crate::when;

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

/// `exec --file VAR=NAME`: the variable (checked as `-t NAME=VAR`'s is) and the token's name.
pub fn parse_file_flag(s: &str) -> Result<(String, String)> {
    let Some((var, name)) = s.split_once('=') else {
        return Err(error::usage(format!("--file {s}: expected VAR=NAME"))
            .hint(
                "e.g. --file GOOGLE_APPLICATION_CREDENTIALS=gcp-sa: VAR gets the path of a file holding NAME's secret",
            )
            .into());
    };
    vault::check_env(var)?;
    check_injectable(var)?;
    vault::check_name(name)?;
    Ok((var.to_string(), name.to_string()))
}

/// Decide the selection: the flags the user typed, else the project file's `[env]`. `by_file`:
/// tokens asked for with `exec --file`, a selection too (no project file's `[env]` is then used).
pub fn want(tokens: &[String], scopes: &[String], by_file: bool, project: Option<&ProjectFile>) -> Result<Want> {
    if !tokens.is_empty() || !scopes.is_empty() || by_file {
        let tokens = tokens.iter().map(|t| parse_token_flag(t)).collect::<Result<Vec<_>>>()?;
        return Ok(Want::Flags { tokens, scopes: vault::scope_set(scopes)? });
    }
    match project {
        Some(pf) if !pf.project.env.is_empty() => {
            Ok(Want::Project { file: pf.path.clone(), env: pf.project.env.clone() })
        }
        Some(pf) => Err(error::usage(format!("{} selects no tokens", pf.path.shown()))
            .hint("add an [env] table, e.g.\n[env]\nEXPO_TOKEN = \"expo\"")
            .into()),
        None => Err(error::usage("no tokens selected")
            .hint(format!(
                "pass -t NAME[=VAR] or --scope S, or put an [env] table in {}; tokctl never injects everything",
                project::FILE_NAME
            ))
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

/// Read the vault through `acc` and resolve the tokens; the records named in `also` are read
/// too (`exec --file`), for the caller to take.
pub fn select(want: &Want, also: &[&str], acc: &mut Access) -> Result<Selection> {
    // Named tokens need only their own records; a scope needs to see every record.
    let opened = match want.names() {
        Some(mut names) => {
            names.extend_from_slice(also);
            acc.read_only(&names)?
        }
        None => acc.read()?,
    };
    let mut notes = Vec::new();
    let chosen = resolve(want, &opened.payload, opened.is_remote(), &mut notes)?;
    Ok(Selection { opened, chosen, notes })
}

/// Refuse (exit 2) the variable a record from a remote store chose for itself, unless it ends
/// like a secret's (`…TOKEN`, `…KEY`…): whoever can write the team's prefix must not pick
/// `FOO_URL` or `GH_HOST` for the reader's programs. Copying the record to a file (`copy`,
/// `bundle`) would drop where it came from, so they ask the same.
pub fn check_remote_env(name: &str, var: &str) -> Result<()> {
    if vault::secret_like(var) {
        return Ok(());
    }
    Err(error::usage(format!(
        "refusing to put '{name}' into {var}: a record from a remote store may only choose a variable ending in {}",
        vault::SECRET_LIKE.join(", ")
    ))
    .hint(format!(
        "whoever can write the store chose {var}; if you want it there, name it yourself: -t {name}={var} \
         (or in a trusted project file), or give the record another env with `tokctl update {name} --env NAME_TOKEN`"
    ))
    .into())
}

/// The chosen tokens; refuses missing (3) or unusable (4) ones. `remote`: the records came from
/// a remote store, so a variable only a record chose must look like a secret's (`check_remote_env`).
pub fn resolve(want: &Want, payload: &Payload, remote: bool, notes: &mut Vec<String>) -> Result<Vec<Chosen>> {
    let now = when::now();
    let mut out: Vec<Chosen> = Vec::new();
    // `named`: the user wrote the variable (`-t NAME=VAR`, a project file's [env]).
    let mut push = |var: String, named: bool, name: &str, secret: &Secret| -> Result<()> {
        if let Some(other) = out.iter().find(|c| c.var == var) {
            if other.name == name {
                return Ok(());
            }
            return Err(error::usage(format!("both '{}' and '{name}' would set {var}", other.name))
                .hint(format!("rename one with -t {name}=OTHER_VAR"))
                .into());
        }
        check_injectable(&var)?;
        if remote && !named {
            check_remote_env(name, &var)?;
        }
        out.push(Chosen { var, name: name.to_string(), secret: secret.clone() });
        Ok(())
    };
    match want {
        Want::Flags { tokens, scopes } => {
            for (name, var) in tokens {
                let r = payload.find(name)?;
                let named = var.is_some();
                push(var.clone().unwrap_or_else(|| r.env.clone()), named, &r.name, r.usable_secret(now)?)?;
            }
            for s in scopes {
                let mut any = false;
                for r in payload.records.iter().filter(|r| r.scopes.contains(s)) {
                    match r.status(now) {
                        Status::Active => {
                            push(r.env.clone(), false, &r.name, r.usable_secret(now)?)?;
                            any = true;
                        }
                        Status::Expired => notes.push(format!("skipping '{}' (scope {s}): it has expired", r.name)),
                        Status::DeadAtProvider => {
                            notes.push(format!("skipping '{}' (scope {s}): its provider says it is dead", r.name))
                        }
                        Status::RotationPending => notes.push(format!(
                            "skipping '{}' (scope {s}): a rotation at its provider never finished",
                            r.name
                        )),
                        Status::Revoked => {}
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
                let r = payload.find(name).map_err(|e| match error::detail_of(&e) {
                    Some(error::Detail::NoSuchToken { .. }) => {
                        error::not_found(format!("no token named '{name}' (named in {})", file.shown()))
                            .hint("create or import it, or fix the name in the file")
                            .into()
                    }
                    _ => e,
                })?;
                push(var.clone(), true, &r.name, r.usable_secret(now)?)?;
            }
        }
    }
    Ok(out)
}
