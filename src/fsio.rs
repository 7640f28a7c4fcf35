//! Atomic writes, private directories and the writers' lock.
//!
//! A write goes to a temp file in the vault's directory, is fsynced, renamed over the vault, and
//! the directory is fsynced, so a process killed at any instant leaves the old file or the new
//! one. The lock lives on a separate `.lock` file because the rename replaces the vault's inode.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::Result;

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

/// Create `dir` (and parents) and make `dir` itself 0700, whatever the umask.
pub fn private_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create the directory {}", dir.display()))?;
        set_mode(dir, 0o700).with_context(|| format!("cannot make {} private (0700)", dir.display()))?;
    }
    Ok(())
}

/// Tighten an existing directory that tokctl owns outright (the default data directory).
pub fn tighten_dir(dir: &Path) -> Result<()> {
    set_mode(dir, 0o700).with_context(|| format!("cannot make {} private (0700)", dir.display()))
}

pub fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Write `bytes` to `path` atomically with mode 0600.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent(path);
    let what = || format!("cannot write {}", path.display());
    let mut tmp =
        tempfile::Builder::new().prefix(&temp_prefix(path)).suffix(".tmp").tempfile_in(&dir).with_context(what)?;
    set_mode(tmp.path(), 0o600).with_context(what)?;
    tmp.write_all(bytes).with_context(what)?;
    tmp.as_file().sync_all().with_context(what)?;
    // On failure the temp file is removed when `persist`'s error drops it.
    tmp.persist(path).map_err(|e| e.error).with_context(what)?;
    sync_dir(&dir).with_context(what)?;
    Ok(())
}

/// Temp files are named after the file they will replace: `.vault.toml.tokctl-XXXXXX.tmp`.
fn temp_prefix(path: &Path) -> String {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    format!(".{name}.tokctl-")
}

/// Remove temp files a killed writer of `vault` (or of its log) left behind. Only called under
/// the vault's lock, when no writer of it can be running.
pub fn sweep_temps(vault: &Path) {
    let Some(name) = vault.file_name().map(|n| n.to_string_lossy().into_owned()) else { return };
    let ours = [temp_prefix(vault), format!(".{name}.log.tokctl-")];
    let Ok(rd) = fs::read_dir(parent(vault)) else { return };
    for e in rd.flatten() {
        let f = e.file_name().to_string_lossy().into_owned();
        if f.ends_with(".tmp") && ours.iter().any(|p| f.starts_with(p.as_str())) {
            let _ = fs::remove_file(e.path());
        }
    }
}

/// Whether two paths name the same file (both must exist), however they are spelled.
pub fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> io::Result<()> {
    Ok(())
}

pub fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// An exclusive advisory lock, held until dropped. Readers never take it.
pub struct Lock {
    _file: File,
}

pub fn lock(vault: &Path) -> Result<Lock> {
    let path = sibling(vault, ".lock");
    let mut opts = OpenOptions::new();
    opts.create(true).truncate(false).write(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts.open(&path).with_context(|| format!("cannot open the lock file {}", path.display()))?;
    file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(Lock { _file: file })
}

/// Read a file, `None` when it does not exist.
pub fn read_opt(path: &Path) -> Result<Option<Vec<u8>>> {
    match fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read {}", path.display()))),
    }
}
