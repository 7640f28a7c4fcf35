//! A small tmpfs mounted for one test: a disk that can be filled up or made read-only for real.
//! Mounting needs root (see `require_root`) in a machine that allows mounts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a directory; unmounted (lazily) when dropped, also when the test fails.
pub struct Mount(pub PathBuf);

/// `mount ARGS… DIR`, or what mount(8) said when it refused.
fn mount(args: &[&str], dir: &Path) -> Result<(), String> {
    let out = Command::new("mount").args(args).arg(dir).output().map_err(|e| format!("cannot run mount: {e}"))?;
    if !out.status.success() {
        return Err(format!("mount {} refused: {}", args.join(" "), String::from_utf8_lossy(&out.stderr).trim()));
    }
    Ok(())
}

impl Mount {
    /// A private (0700) tmpfs of `size` (`256k`, `4m`) on `dir`, created if missing.
    pub fn tmpfs(dir: &Path, size: &str) -> Result<Mount, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("create {}: {e}", dir.display()))?;
        mount(&["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tokctl-test"], dir)?;
        Ok(Mount(dir.to_path_buf()))
    }

    pub fn remount_ro(&self) -> Result<(), String> {
        mount(&["-o", "remount,ro"], &self.0)
    }

    /// Bytes still free, from df(1).
    pub fn free(&self) -> u64 {
        let out = Command::new("df").args(["-B1", "--output=avail"]).arg(&self.0).output().expect("df");
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("df said {text:?}"))
    }

    /// Write a filler file until only about `leave` bytes are free (0: until ENOSPC).
    pub fn fill(&self, name: &str, leave: u64) -> PathBuf {
        let p = self.0.join(name);
        let mut f = std::fs::File::create(&p).unwrap_or_else(|e| panic!("create {}: {e}", p.display()));
        let chunk = vec![0x55u8; 4096];
        loop {
            let free = self.free();
            if free <= leave {
                break;
            }
            let n = ((free - leave) as usize).min(chunk.len());
            if f.write_all(&chunk[..n]).and_then(|_| f.sync_all()).is_err() {
                break;
            }
        }
        p
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}
