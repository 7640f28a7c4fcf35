//! Login sessions as the kernel's key retention service sees them, for the unlock cache.
//!
//! Every command a test runs is put in a session keyring the test chose, so the tests behave the
//! same on a desktop (which has a real login session) and in CI (which has none):
//! - by default the per-user session keyring `_uid_ses.<uid>`, which is what a process with no
//!   login session (a container, a CI job, cron) has: the cache is unavailable there;
//! - after `Env::in_session`, a named keyring of the test's own, kept alive by a holder process
//!   (`sleep`) for as long as the `Env` lives: a login session, like the one `pam_keyinit` or
//!   `keyctl session` gives. Its keyring lets the user's processes join it by name, which is
//!   how every command of the test gets into the same session; the keys tokctl puts there stay
//!   readable by its possessors only.
use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_SETPERM: libc::c_long = 5;
const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;
/// Possessor: everything; user: view, read, search, link (so the test's commands can join).
const SESSION_PERM: libc::c_long = 0x3f1b_0000;

pub struct Session {
    name: CString,
    holder: Child,
}

static NEXT: AtomicU32 = AtomicU32::new(0);

impl Session {
    /// A new login session, alive until dropped.
    pub fn start() -> Session {
        let name = CString::new(format!("tokctl-test-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)))
            .unwrap();
        let mut c = Command::new("sleep");
        c.arg("3600").stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null());
        let n = name.clone();
        // SAFETY: only system calls between fork and exec; the name was allocated before fork.
        unsafe {
            c.pre_exec(move || {
                keyctl(KEYCTL_JOIN_SESSION_KEYRING, n.as_ptr() as libc::c_long, 0)?;
                keyctl(KEYCTL_SETPERM, KEY_SPEC_SESSION_KEYRING, SESSION_PERM)?;
                Ok(())
            });
        }
        let holder = c.spawn().expect("start a session keyring holder (sleep)");
        Session { name, holder }
    }

    pub fn name(&self) -> &str {
        self.name.to_str().unwrap()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = self.holder.kill();
        let _ = self.holder.wait();
    }
}

fn keyctl(op: libc::c_long, a: libc::c_long, b: libc::c_long) -> std::io::Result<()> {
    // SAFETY: keyctl with integer arguments, or a pointer to a live NUL-terminated name.
    let r = unsafe { libc::syscall(libc::SYS_keyctl, op, a, b) };
    if r < 0 { Err(std::io::Error::last_os_error()) } else { Ok(()) }
}

/// Put `c` in the session keyring named `name`, or in the per-user one (no login session).
pub fn join(c: &mut Command, name: Option<&str>) {
    let name = CString::new(match name {
        Some(n) => n.to_string(),
        None => format!("_uid_ses.{}", rustix_uid()),
    })
    .unwrap();
    // SAFETY: one system call between fork and exec; the name was allocated before fork.
    unsafe {
        c.pre_exec(move || keyctl(KEYCTL_JOIN_SESSION_KEYRING, name.as_ptr() as libc::c_long, 0));
    }
}

fn rustix_uid() -> u32 {
    // SAFETY: getuid cannot fail and touches no memory.
    unsafe { libc::getuid() }
}
