//! `exec --file VAR=NAME`: secrets handed to the command as files, for tools that read a token
//! from a path. Each run gets a directory of its own, `tokctl-files.<pid>.<random>`, 0700, under
//! `$XDG_RUNTIME_DIR` (a tmpfs only the user can enter), else the temp directory; in it one 0600
//! file per variable holding exactly the secret's bytes. tokctl stays the command's parent and
//! removes the directory when the command ends, however it ends (`Dir`'s drop). Only a SIGKILL
//! of tokctl itself leaves it behind; the next `exec --file` removes every such directory whose
//! tokctl is gone (`sweep`).

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;

use crate::error::Result;
use crate::secret::Secret;
use crate::text::Shown;

const PREFIX: &str = "tokctl-files.";

/// Where the directories go: the runtime directory, else the temp directory.
fn base() -> PathBuf {
    dirs::runtime_dir().unwrap_or_else(std::env::temp_dir)
}

/// The files of one run; removed, directory and all, when dropped.
pub struct Dir {
    path: PathBuf,
    /// `(variable, file)` for the command's environment.
    pub vars: Vec<(String, PathBuf)>,
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// Write `files` (`(variable, secret)`) into a new private directory.
pub fn write(files: &[(String, &Secret)]) -> Result<Dir> {
    let base = base();
    sweep(&base);
    let name = format!("{PREFIX}{}.{}", std::process::id(), crate::crypto::hex(&crate::crypto::random_bytes::<8>()));
    let path = base.join(name);
    // 0700 from the start, and never an existing directory (or a link planted in its place).
    fs::DirBuilder::new()
        .mode(0o700)
        .create(&path)
        .with_context(|| format!("cannot make a private directory for token files in {}", base.shown()))?;
    let mut dir = Dir { path, vars: Vec::new() };
    for (var, secret) in files {
        let file = dir.path.join(var);
        let mut f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&file)
            .with_context(|| format!("cannot create {}", file.shown()))?;
        f.write_all(secret.expose().as_bytes()).with_context(|| format!("cannot write {}", file.shown()))?;
        dir.vars.push((var.clone(), file));
    }
    Ok(dir)
}

/// Remove the directories of earlier runs whose tokctl no longer runs (it was SIGKILLed): only
/// ours (same owner), only by that name, and only when that process id is gone.
fn sweep(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else { return };
    let me = rustix::process::getuid().as_raw();
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix(PREFIX)).and_then(|r| r.split('.').next()) else {
            continue;
        };
        let Some(pid) = pid.parse::<i32>().ok().and_then(rustix::process::Pid::from_raw) else { continue };
        let Ok(meta) = fs::symlink_metadata(e.path()) else { continue };
        if !meta.is_dir() || meta.uid() != me || pid == rustix::process::getpid() {
            continue;
        }
        // No such process any more: the run that made it is over.
        if rustix::process::test_kill_process(pid) == Err(rustix::io::Errno::SRCH) {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}
