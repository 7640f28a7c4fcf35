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

pub(crate) const FILE_NAME: &str = ".tokctl.toml";

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
    /// `"host[/path]" = "token-name"`: which token answers git inside this file's tree.
    #[serde(default)]
    pub git: BTreeMap<String, String>,
}

impl Project {
    pub(crate) fn ci_vault(&self) -> Option<&Path> {
        self.ci.vault.as_deref()
    }
}

/// Parse a project file's text; errors name the file.
pub fn parse(text: &str, path: &Path) -> Result<Project> {
    let bad = |what: String| {
        error::usage(format!("{}: {what}", path.display())).hint(
            "it takes an optional `vault = \"path\"`, an optional [ci] table with `vault = \"path\"`, \
             an [env] table of VAR = \"token-name\" lines, and a [git] table of \"host[/path]\" = \"token-name\" lines",
        )
    };
    let p: Project = toml::from_str(text).map_err(|e| bad(e.message().to_string()))?;
    for (var, name) in &p.env {
        vault::check_env(var).map_err(|_| bad(format!("'{var}' is not a valid environment variable name")))?;
        check_injectable(var).map_err(|_| bad(format!("refusing {var}: it changes how programs load or run")))?;
        vault::check_name(name).map_err(|_| bad(format!("'{name}' is not a valid token name")))?;
    }
    for (host, name) in &p.git {
        vault::check_host(host).map_err(|_| bad(format!("[git] '{host}' is not HOST[:PORT][/PATH]")))?;
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
pub(crate) fn in_ci() -> bool {
    crate::settings::get().ci
}

/// A project file found on disk.
pub struct ProjectFile {
    /// Its canonical path.
    pub path: PathBuf,
    /// The canonical directory it sits in: the root of its tree.
    pub dir: PathBuf,
    pub hash: String,
    pub project: Project,
    /// Its owner, group and mode, from the very file that was read (never through a link).
    owner: Owner,
}

/// Who owns a file and who may write it.
#[derive(Clone, Copy)]
struct Owner {
    uid: u32,
    gid: u32,
    mode: u32,
}

#[cfg(unix)]
impl Owner {
    fn of(m: &std::fs::Metadata) -> Owner {
        use std::os::unix::fs::MetadataExt;
        Owner { uid: m.uid(), gid: m.gid(), mode: m.mode() }
    }

    /// Why a file with this owner and mode is never used, or `None`.
    fn refusal(self) -> Option<String> {
        let me = rustix::process::geteuid().as_raw();
        if self.uid != me && self.uid != 0 {
            return Some(format!("is owned by another user (uid {})", self.uid));
        }
        let group_ok = self.mode & 0o020 == 0 || self.gid == rustix::process::getegid().as_raw();
        if self.mode & 0o002 != 0 || !group_ok {
            return Some(format!("is writable by others (mode {:o})", self.mode & 0o777));
        }
        None
    }
}

#[cfg(not(unix))]
impl Owner {
    fn of(_: &std::fs::Metadata) -> Owner {
        Owner { uid: 0, gid: 0, mode: 0 }
    }
    fn refusal(self) -> Option<String> {
        None
    }
}

impl ProjectFile {
    /// The vault this file selects now (`[ci] vault` in CI, else `vault`), resolved against the
    /// file's directory.
    pub(crate) fn vault_now(&self) -> Option<PathBuf> {
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

    /// What the file asks for, in one line, for the user to judge. Every byte that came from
    /// the file is shown escaped: a line break in a `vault` cannot start a line of its own.
    pub(crate) fn asks(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.project.env.is_empty() {
            let env: Vec<String> = self.project.env.iter().map(|(var, tok)| format!("{var} = token '{tok}'")).collect();
            parts.push(format!("tokens {}", env.join(", ")));
        }
        if let Some(v) = &self.project.vault {
            parts.push(format!("the vault {}", shown(&self.resolve(v))));
        }
        if let Some(v) = &self.project.ci.vault {
            parts.push(format!("in CI the vault {}", shown(&self.resolve(v))));
        }
        if parts.is_empty() { "nothing".into() } else { parts.join("; ") }
    }

    /// This file's path as a message shows it (escaped).
    pub(crate) fn shown(&self) -> String {
        shown(&self.path)
    }

    /// The one rule that exempts this file from trust (for commands and for `doctor` alike):
    /// `TOKCTL_VAULT_KEY` (or, for a recipient bundle, an age identity) is set, so it alone
    /// unlocks the vault, and the vault lies inside this file's tree (`holds`). A key bundle
    /// still needs its key: an identity does not open it. The canonical path returned is the one
    /// that was checked, and the one to open.
    pub(crate) fn exempts(&self, vault: &Path) -> Option<PathBuf> {
        let s = crate::settings::get();
        let key_from_env = s.vault_key.is_some() || s.age_identity.is_some() || s.age_identity_file.is_some();
        key_from_env.then(|| self.holds(vault)).flatten()
    }

    /// Inside this file's tree: `vault` is a regular file there once symlinks and `..` are
    /// resolved, with no other name outside it (one link), and this file is one that could be
    /// used at all (`require_usable`).
    pub(crate) fn holds(&self, vault: &Path) -> Option<PathBuf> {
        let v = std::fs::canonicalize(vault).ok()?;
        let m = std::fs::metadata(&v).ok()?;
        (v.starts_with(&self.dir) && m.is_file() && single_link(&m) && self.owner.refusal().is_none()).then_some(v)
    }
}

#[cfg(unix)]
fn single_link(m: &std::fs::Metadata) -> bool {
    std::os::unix::fs::MetadataExt::nlink(m) == 1
}

#[cfg(not(unix))]
fn single_link(_: &std::fs::Metadata) -> bool {
    true
}

/// A path from data, as a message shows it: control characters (a line break too) escaped.
fn shown(p: &Path) -> String {
    crate::text::escape(&p.display().to_string()).into_owned()
}

/// Read at most `limit` bytes of the regular file at `path` and its metadata, from one open
/// that never follows a symlink in the last component. `Ok(None)`: there is none.
fn read_no_link(path: &Path, limit: u64) -> Result<Option<(Vec<u8>, std::fs::Metadata)>> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut opts,
        (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32,
    );
    let mut f = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(_) if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) => {
            return Err(Error::new(Code::NotTrusted, format!("{} is a symlink", shown(path))).into());
        }
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {}", shown(path)))),
    };
    let meta = f.metadata()?;
    if !meta.is_file() || meta.len() > limit {
        return Err(error::usage(format!("{} is not a regular file of at most {limit} bytes", shown(path))).into());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::io::Read::read_to_end(&mut std::io::Read::take(&mut f, limit), &mut bytes)?;
    Ok(Some((bytes, meta)))
}

/// Read and parse the project file at `path`. A project file that is a symlink is refused
/// (exit 8): trust belongs to the file in this tree, not to wherever a link points (a clone
/// shipping `.tokctl.toml -> ../myproj/.tokctl.toml` would otherwise inherit that trust).
pub(crate) fn load(path: &Path) -> Result<ProjectFile> {
    let (bytes, meta) = match read_no_link(path, fsio::MAX_SMALL) {
        Ok(Some(read)) => read,
        Ok(None) => return Err(error::not_found(format!("no project file at {}", shown(path))).into()),
        Err(e) if e.downcast_ref::<Error>().is_some_and(|x| x.code == Code::NotTrusted) => {
            let target = std::fs::read_link(path).map(|t| shown(&t)).unwrap_or_default();
            return Err(Error::new(
                Code::NotTrusted,
                format!(
                    "{} is a symlink (to {target}), so it is never used: trust belongs to the file in this tree, \
                     not to wherever a link points",
                    shown(path)
                ),
            )
            .hint("replace the link with a copy of the file you mean and trust that, or pass -t NAME / --vault")
            .into());
        }
        Err(e) => return Err(e),
    };
    let path = std::fs::canonicalize(path)?;
    let dir = fsio::parent(&path);
    let text = std::str::from_utf8(&bytes).map_err(|_| error::usage(format!("{} is not UTF-8 text", shown(&path))))?;
    let project = parse(text, &path)?;
    let hash = crate::crypto::hex(&crate::crypto::sha256(&bytes));
    Ok(ProjectFile { path, dir, hash, project, owner: Owner::of(&meta) })
}

/// The nearest `.tokctl.toml` from `start` upwards.
pub(crate) fn find(start: &Path) -> Result<Option<ProjectFile>> {
    for dir in start.ancestors() {
        let f = dir.join(FILE_NAME);
        if std::fs::symlink_metadata(&f).is_ok() {
            return load(&f).map(Some);
        }
    }
    Ok(None)
}

/// `why` is what is wrong with the file, and after a `: ` why that matters.
fn untrusted(pf: &ProjectFile, why: &str, fix: String) -> anyhow::Error {
    let short = why.split(':').next().unwrap_or(why).to_string();
    Error::new(Code::NotTrusted, format!("{} {why}", pf.shown()))
        .hint(format!("it asks for {}\n{fix}", pf.asks()))
        .detail(crate::error::Detail::Untrusted { why: short })
        .into()
}

/// Refuse a file owned by another user (root excepted) or writable by others, trusted or not,
/// exempt or not.
pub(crate) fn require_usable(pf: &ProjectFile) -> Result<()> {
    match pf.owner.refusal() {
        None => Ok(()),
        Some(why) if why.starts_with("is owned") => Err(untrusted(
            pf,
            &format!("{why}, so it is never used"),
            "only a project file you own can be trusted".into(),
        )),
        Some(why) => Err(untrusted(
            pf,
            &format!("{why}, so it is never used"),
            format!("make it yours alone first: chmod go-w {}", pf.shown()),
        )),
    }
}

/// The user's trust list: `<data dir>/tokctl/trusted.json`, 0600.
#[derive(Default, Serialize, Deserialize)]
pub(crate) struct TrustList {
    pub files: Vec<Trusted>,
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct Trusted {
    pub path: PathBuf,
    pub sha256: String,
}

fn list_path() -> Result<PathBuf> {
    Ok(fsio::parent(&crate::access::default_vault_path()?).join("trusted.json"))
}

impl TrustList {
    /// The list, refused (exit 8) when it is a symlink, someone else's, or writable by others:
    /// whoever can change it decides which project files get your tokens.
    pub(crate) fn load() -> Result<TrustList> {
        let p = list_path()?;
        let refuse = |why: String| -> anyhow::Error {
            Error::new(Code::NotTrusted, format!("the trust list {} {why}, so no project file is trusted", shown(&p)))
                .hint(format!(
                    "remove it (or make it a file of yours alone: chmod 600) and trust your project files again: {}",
                    shown(&p)
                ))
                .into()
        };
        let (bytes, meta) = match read_no_link(&p, fsio::MAX_SMALL) {
            Ok(Some(read)) => read,
            Ok(None) => return Ok(TrustList::default()),
            Err(e) if e.downcast_ref::<Error>().is_some_and(|x| x.code == Code::NotTrusted) => {
                return Err(refuse("is a symlink".into()));
            }
            Err(e) => return Err(e),
        };
        if let Some(why) = Owner::of(&meta).refusal() {
            return Err(refuse(why));
        }
        serde_json::from_slice(&bytes).map_err(|_| {
            error::damaged(format!("the trust list {} is damaged", shown(&p)))
                .hint("remove it and trust your project files again")
                .into()
        })
    }

    pub(crate) fn save(&self) -> Result<()> {
        let p = list_path()?;
        fsio::private_dir(&fsio::parent(&p))?;
        fsio::atomic_write(&p, serde_json::to_string_pretty(self)?.as_bytes())
    }

    fn find(&self, path: &Path) -> Option<&Trusted> {
        self.files.iter().find(|t| t.path == path)
    }
}

/// Allow `pf` to be acted on, or say why not (exit 8) and how to trust it.
pub(crate) fn require_trust(pf: &ProjectFile) -> Result<()> {
    require_usable(pf)?;
    let fix = format!("if you trust it: tokctl trust {}", pf.shown());
    match TrustList::load()?.find(&pf.path) {
        Some(t) if t.sha256 == pf.hash => Ok(()),
        Some(_) => Err(untrusted(pf, "changed since you trusted it", fix)),
        None => Err(untrusted(pf, "is not trusted: a project file can hand your tokens to its repository", fix)),
    }
}

/// Record `pf` as trusted (refusing one that could never be used).
pub(crate) fn trust(pf: &ProjectFile) -> Result<()> {
    require_usable(pf)?;
    let mut list = TrustList::load()?;
    list.files.retain(|t| t.path != pf.path);
    list.files.push(Trusted { path: pf.path.clone(), sha256: pf.hash.clone() });
    list.save()
}

/// Forget `path`; whether it was trusted.
pub(crate) fn revoke(path: &Path) -> Result<bool> {
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
