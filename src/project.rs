//! Project files (`.tokctl.toml`) and the trust they need before tokctl acts on them.
//!
//! A repository may say which tokens its commands need (`[env] VAR = "token"`), which vault to
//! use (`vault = …`), and which vault CI uses (`[ci] vault = …`, when `CI` is `true` or `1`). A
//! cloned repository is not the user's: its file is used only after `tokctl trust` recorded its
//! canonical path and content hash in the user's trust list (in tokctl's data directory), unless
//! it is exempt: the vault that applies is a regular file inside the project file's own
//! directory tree (symlinks resolved) and is unlocked by `TOKCTL_VAULT_KEY` alone. That is the
//! CI bundle case, which can only expose what its own repository already holds. A file owned by
//! another user (not root) or writable by others is never used, trusted or not.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{self, Code, Error, Result};
use crate::fsio;
use crate::vault;
use crate::vault::check_injectable;

pub const FILE_NAME: &str = ".tokctl.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Ci {
    vault: Option<PathBuf>,
}

/// What the file says, paths still relative to it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Project {
    pub vault: Option<PathBuf>,
    #[serde(default)]
    ci: Ci,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

impl Project {
    pub fn ci_vault(&self) -> Option<&Path> {
        self.ci.vault.as_deref()
    }
}

/// Parse a project file's text; errors name the file.
pub fn parse(text: &str, path: &Path) -> Result<Project> {
    let bad = |what: String| {
        error::usage(format!("{}: {what}", path.display())).hint(
            "it takes an optional `vault = \"path\"`, an optional [ci] table with `vault = \"path\"`, \
             and an [env] table of VAR = \"token-name\" lines",
        )
    };
    let p: Project = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
    for (var, name) in &p.env {
        vault::check_env(var).map_err(|_| bad(format!("'{var}' is not a valid environment variable name")))?;
        check_injectable(var).map_err(|_| bad(format!("refusing {var}: it changes how programs load or run")))?;
        vault::check_name(name).map_err(|_| bad(format!("'{name}' is not a valid token name")))?;
    }
    for v in [&p.vault, &p.ci.vault].into_iter().flatten() {
        if v.as_os_str().is_empty() {
            return Err(bad("a `vault` is empty".into()).into());
        }
    }
    Ok(p)
}

/// Whether this process runs in CI, as every major CI service says it.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A project file found on disk.
pub struct ProjectFile {
    /// Its canonical path.
    pub path: PathBuf,
    /// The canonical directory it sits in: the root of its tree.
    pub dir: PathBuf,
    pub hash: String,
    pub project: Project,
}

impl ProjectFile {
    /// The vault this file selects now (`[ci] vault` in CI, else `vault`), resolved against the
    /// file's directory.
    pub fn vault_now(&self) -> Option<PathBuf> {
        let v = if in_ci() {
            self.project.ci.vault.as_ref().or(self.project.vault.as_ref())
        } else {
            self.project.vault.as_ref()
        };
        v.map(|v| self.resolve(v))
    }

    /// A vault named by the file: a path relative to it, or a remote store's URL as it is.
    fn resolve(&self, v: &Path) -> PathBuf {
        if crate::remote::is_url(v) { v.to_path_buf() } else { self.dir.join(v) }
    }

    /// What the file asks for, in one line, for the user to judge.
    pub fn asks(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.project.env.is_empty() {
            let env: Vec<String> = self.project.env.iter().map(|(var, tok)| format!("{var} = token '{tok}'")).collect();
            parts.push(format!("tokens {}", env.join(", ")));
        }
        if let Some(v) = &self.project.vault {
            parts.push(format!("the vault {}", self.resolve(v).display()));
        }
        if let Some(v) = &self.project.ci.vault {
            parts.push(format!("in CI the vault {}", self.resolve(v).display()));
        }
        if parts.is_empty() { "nothing".into() } else { parts.join("; ") }
    }

    /// Exempt from trust: `vault` is a regular file inside this file's tree once symlinks are
    /// resolved (the caller also requires that it is unlocked by `TOKCTL_VAULT_KEY` alone).
    pub fn holds(&self, vault: &Path) -> bool {
        std::fs::canonicalize(vault)
            .is_ok_and(|v| v.starts_with(&self.dir) && std::fs::metadata(&v).is_ok_and(|m| m.is_file()))
    }
}

/// Read and parse the project file at `path`.
pub fn load(path: &Path) -> Result<ProjectFile> {
    let bytes = fsio::read_opt(path, fsio::MAX_SMALL)?
        .ok_or_else(|| error::not_found(format!("no project file at {}", path.display())))?;
    let path = std::fs::canonicalize(path)?;
    let dir = fsio::parent(&path);
    let text =
        std::str::from_utf8(&bytes).map_err(|_| error::usage(format!("{} is not UTF-8 text", path.display())))?;
    let project = parse(text, &path)?;
    let hash = crate::crypto::hex(&crate::crypto::sha256(&bytes));
    Ok(ProjectFile { path, dir, hash, project })
}

/// The nearest `.tokctl.toml` from `start` upwards.
pub fn find(start: &Path) -> Result<Option<ProjectFile>> {
    for dir in start.ancestors() {
        let f = dir.join(FILE_NAME);
        if std::fs::symlink_metadata(&f).is_ok() {
            return load(&f).map(Some);
        }
    }
    Ok(None)
}

fn untrusted(pf: &ProjectFile, why: &str, fix: String) -> anyhow::Error {
    Error::new(Code::NotTrusted, format!("{} {why}", pf.path.display()))
        .hint(format!("it asks for {}\n{fix}", pf.asks()))
        .into()
}

/// Refuse a file owned by another user (root excepted) or writable by others, trusted or not.
#[cfg(unix)]
fn check_owner(pf: &ProjectFile) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(&pf.path)?;
    let me = rustix::process::geteuid().as_raw();
    if m.uid() != me && m.uid() != 0 {
        return Err(untrusted(
            pf,
            &format!("is owned by another user (uid {}), so it is never used", m.uid()),
            "only a project file you own can be trusted".into(),
        ));
    }
    let mode = m.mode();
    let group_ok = mode & 0o020 == 0 || m.gid() == rustix::process::getegid().as_raw();
    if mode & 0o002 != 0 || !group_ok {
        return Err(untrusted(
            pf,
            &format!("is writable by others (mode {:o}), so it is never used", mode & 0o777),
            format!("make it yours alone first: chmod go-w {}", pf.path.display()),
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_owner(_: &ProjectFile) -> Result<()> {
    Ok(())
}

/// The user's trust list: `<data dir>/tokctl/trusted.json`, 0600.
#[derive(Default, Serialize, Deserialize)]
pub struct TrustList {
    pub files: Vec<Trusted>,
}

#[derive(Clone, Serialize, Deserialize)]
pub struct Trusted {
    pub path: PathBuf,
    pub sha256: String,
}

fn list_path() -> Result<PathBuf> {
    Ok(fsio::parent(&crate::access::default_vault_path()?).join("trusted.json"))
}

impl TrustList {
    pub fn load() -> Result<TrustList> {
        let p = list_path()?;
        match fsio::read_opt(&p, fsio::MAX_SMALL)? {
            None => Ok(TrustList::default()),
            Some(b) => serde_json::from_slice(&b).map_err(|_| {
                error::damaged(format!("the trust list {} is damaged", p.display()))
                    .hint("remove it and trust your project files again")
                    .into()
            }),
        }
    }

    pub fn save(&self) -> Result<()> {
        let p = list_path()?;
        fsio::private_dir(&fsio::parent(&p))?;
        fsio::atomic_write(&p, serde_json::to_string_pretty(self)?.as_bytes())
    }

    fn find(&self, path: &Path) -> Option<&Trusted> {
        self.files.iter().find(|t| t.path == path)
    }
}

/// Allow `pf` to be acted on, or say why not (exit 8) and how to trust it.
pub fn require_trust(pf: &ProjectFile) -> Result<()> {
    check_owner(pf)?;
    let fix = format!("if you trust it: tokctl trust {}", pf.path.display());
    match TrustList::load()?.find(&pf.path) {
        Some(t) if t.sha256 == pf.hash => Ok(()),
        Some(_) => Err(untrusted(pf, "changed since you trusted it", fix)),
        None => Err(untrusted(pf, "is not trusted: a project file can hand your tokens to its repository", fix)),
    }
}

/// Record `pf` as trusted (refusing one that could never be used).
pub fn trust(pf: &ProjectFile) -> Result<()> {
    check_owner(pf)?;
    let mut list = TrustList::load()?;
    list.files.retain(|t| t.path != pf.path);
    list.files.push(Trusted { path: pf.path.clone(), sha256: pf.hash.clone() });
    list.save()
}

/// Forget `path`; whether it was trusted.
pub fn revoke(path: &Path) -> Result<bool> {
    let mut list = TrustList::load()?;
    let before = list.files.len();
    list.files.retain(|t| t.path != path);
    if list.files.len() == before {
        return Ok(false);
    }
    list.save()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_files_are_strict() {
        let p =
            parse("vault = \"ci.vault\"\n[ci]\nvault = \"b\"\n[env]\nEXPO_TOKEN = \"expo\"\n", Path::new("x")).unwrap();
        assert_eq!(p.env["EXPO_TOKEN"], "expo");
        assert_eq!(p.ci_vault(), Some(Path::new("b")));
        for bad in [
            "[env]\n1X = \"a\"",
            "[env]\nA = \"-bad\"",
            "other = 1",
            "[env]\nA = 3",
            "vault = \"\"",
            "[ci]\nvault = \"\"",
            "[ci]\nother = 1",
            "[env",
            "[env]\nLD_PRELOAD = \"gh\"",
        ] {
            assert!(parse(bad, Path::new("x")).is_err(), "{bad}");
        }
    }
}
