//! Atomic writes, private directories and the writers' lock.
//!
//! A write goes to a temp file in the vault's directory, is fsynced, renamed over the vault, and
//! the directory is fsynced, so a process killed at any instant leaves the old file or the new
//! one. The lock lives on a separate `.lock` file because the rename replaces the vault's inode.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::{self, Result};
use crate::text::Shown;

/// The largest vault (or bundle) tokctl reads: far above 10,000 tokens, far below a device.
pub const MAX_VAULT: u64 = 64 * 1024 * 1024;
/// The largest project file or log tokctl reads.
pub const MAX_SMALL: u64 = 4 * 1024 * 1024;

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
        fs::create_dir_all(dir).with_context(|| format!("cannot create the directory {}", dir.shown()))?;
        set_mode(dir, 0o700).with_context(|| format!("cannot make {} private (0700)", dir.shown()))?;
    }
    Ok(())
}

/// Tighten an existing directory that tokctl owns outright (the default data directory).
pub fn tighten_dir(dir: &Path) -> Result<()> {
    set_mode(dir, 0o700).with_context(|| format!("cannot make {} private (0700)", dir.shown()))
}

pub fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Write `bytes` to `path` atomically with mode 0600.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> Result<()> {
    atomic_write_mode(path, bytes, 0o600)
}

/// Write `bytes` to `path` atomically with `mode`. The rename replaces whatever is at `path`,
/// a symlink included, so nothing is ever written through a link left in its place.
pub fn atomic_write_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = parent(path);
    let what = || format!("cannot write {}", path.shown());
    let mut tmp =
        tempfile::Builder::new().prefix(&temp_prefix(path)).suffix(".tmp").tempfile_in(&dir).with_context(what)?;
    set_mode(tmp.path(), mode).with_context(what)?;
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

/// Open (creating it 0600) a file that lives beside a vault: a lock or the log. A symlink
/// planted in its place is refused (O_NOFOLLOW), so another user who can write the directory
/// cannot make tokctl write through it.
pub fn open_beside(path: &Path, append: bool) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    if append {
        opts.create(true).append(true);
    } else {
        opts.create(true).truncate(false).write(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600).custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    opts.read(true).open(path)
}

/// Open a file beside a vault (the log) for reading, with the same refusal of a planted
/// symlink as `open_beside`, and of anything but a regular file (without blocking on a FIFO).
pub fn open_beside_to_read(path: &Path) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut opts,
        (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::NONBLOCK).bits() as i32,
    );
    let f = opts.open(path)?;
    if !f.metadata()?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    Ok(f)
}

pub fn lock(vault: &Path) -> Result<Lock> {
    let path = sibling(vault, ".lock");
    let file = open_beside(&path, false)
        .with_context(|| format!("cannot open the lock file {} (a symlink there is refused)", path.shown()))?;
    file.lock().with_context(|| format!("cannot lock {}", path.shown()))?;
    Ok(Lock { _file: file })
}

/// Read a regular file of at most `limit` bytes, `None` when it does not exist. Anything else
/// is refused at once, before a byte is read: a FIFO (which would block), a device (which
/// would never end), a directory (exit 2); a file over `limit` (exit 6). Symlinks are
/// followed. The open does not block on a FIFO swapped in after a check: it is non-blocking
/// and the kind is checked on the open file.
pub fn read_opt(path: &Path, limit: u64) -> Result<Option<Vec<u8>>> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, rustix::fs::OFlags::NONBLOCK.bits() as i32);
    let mut f = match opts.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::IsADirectory => return Err(not_a_file(path, "a directory")),
        Err(e) => return Err(anyhow::Error::new(e).context(format!("cannot read {}", path.shown()))),
    };
    let meta = f.metadata().with_context(|| format!("cannot read {}", path.shown()))?;
    if !meta.is_file() {
        let what = if meta.is_dir() { "a directory" } else { "not a regular file (a FIFO, socket or device)" };
        return Err(not_a_file(path, what));
    }
    if meta.len() > limit {
        return Err(too_large(path, limit));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    io::Read::read_to_end(&mut io::Read::take(&mut f, limit + 1), &mut bytes)
        .with_context(|| format!("cannot read {}", path.shown()))?;
    if bytes.len() as u64 > limit {
        return Err(too_large(path, limit));
    }
    Ok(Some(bytes))
}

fn not_a_file(path: &Path, what: &str) -> anyhow::Error {
    error::usage(format!("{} is {what}", path.shown())).hint("point it at a vault file").into()
}

fn too_large(path: &Path, limit: u64) -> anyhow::Error {
    error::damaged(format!("{} is larger than {} MiB: not a tokctl file", path.shown(), limit / (1024 * 1024)))
        .hint("it was not read; check the path")
        .into()
}

/// Where reads and writes of the vault at `path` go: the file itself, or, when `path` is a
/// symlink (a vault kept in a synced folder), its final target, so a write replaces the target
/// and the link stays a link. A dangling link is refused rather than written through.
pub fn resolve(path: &Path) -> Result<PathBuf> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => fs::canonicalize(path).map_err(|_| {
            error::usage(format!("{} is a symlink to nothing", path.shown()))
                .hint("point it at an existing vault, or remove the link")
                .into()
        }),
        _ => Ok(path.to_path_buf()),
    }
}

/// Refuse a vault path that exists but is not a regular file (exit 2) before anything is
/// created beside it.
pub fn check_vault_path(path: &Path) -> Result<()> {
    match fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(m) if m.is_dir() => Err(not_a_file(path, "a directory")),
        Ok(_) => Err(not_a_file(path, "not a regular file (a FIFO, socket or device)")),
        Err(_) => Ok(()),
    }
}
