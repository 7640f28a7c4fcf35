//! Login sessions as the kernel's key retention service sees them, for the unlock cache.
//!
//! Every command a test runs is put in a session keyring the test chose, so the tests behave the
//! same on a desktop (which has a real login session) and in CI (which has none):
//! - by default the per-user session keyring `_uid_ses.<uid>`, which is what a process with no
//!   login session (a container, a CI job, cron) has: the cache is unavailable there;
//! - after `Env::in_session`, a private session keyring of the test's own, as `pam_keyinit`
//!   makes one: anonymous, every right for its possessors, view and read for the user, nothing
//!   that lets another process of the user join it by name or link it. No other process can get
//!   into such a keyring, so the commands are not moved into it: the test's own thread joins it,
//!   and every command that thread starts inherits it, as a login shell's children do. (Session
//!   keyrings belong to a thread: the other tests' threads keep theirs.)
use std::cell::Cell;
use std::ffi::CString;
use std::os::unix::process::CommandExt;
use std::process::Command;

const KEYCTL_GET_KEYRING_ID: libc::c_long = 0;
const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
const KEYCTL_SETPERM: libc::c_long = 5;
const KEY_SPEC_SESSION_KEYRING: libc::c_long = -3;
/// `pam_keyinit`'s keyring: possessor everything, user view and read.
pub const PAM_PERM: u32 = 0x3f03_0000;

thread_local! {
    /// The serial of the session keyring this thread joined for a test, if it did.
    static JOINED: Cell<Option<i64>> = const { Cell::new(None) };
}

pub struct Session {
    serial: i64,
    thread: std::thread::ThreadId,
}

impl Session {
    /// A new private login session for the calling test thread and every command it starts.
    pub fn start() -> Session {
        assert!(
            JOINED.get().is_none(),
            "this test thread already has a login session of its own; one per test (a second Env would share it)"
        );
        keyctl(KEYCTL_JOIN_SESSION_KEYRING, 0, 0).expect("join a new anonymous session keyring");
        keyctl(KEYCTL_SETPERM, KEY_SPEC_SESSION_KEYRING, PAM_PERM as libc::c_long)
            .expect("give the session keyring pam_keyinit's permissions");
        let serial = keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0).expect("the session keyring's id");
        JOINED.set(Some(serial));
        Session { serial, thread: std::thread::current().id() }
    }

    /// The session keyring's serial number (`keyctl` takes it as an id).
    pub fn id(&self) -> String {
        self.serial.to_string()
    }
}

fn keyctl(op: libc::c_long, a: libc::c_long, b: libc::c_long) -> std::io::Result<i64> {
    // SAFETY: keyctl with integer arguments, or a pointer to a live NUL-terminated name.
    let r = unsafe { libc::syscall(libc::SYS_keyctl, op, a, b) };
    if r < 0 { Err(std::io::Error::last_os_error()) } else { Ok(r) }
}

/// Put `c` in `session`, or in the per-user session keyring (no login session).
pub fn join(c: &mut Command, session: Option<&Session>) {
    if let Some(s) = session {
        // Inherited from the thread that starts it; a command started from another thread would
        // silently run outside the session.
        assert_eq!(
            std::thread::current().id(),
            s.thread,
            "a command of a test with a login session must be started from the test's own thread"
        );
        return;
    }
    let name = CString::new(format!("_uid_ses.{}", rustix_uid())).unwrap();
    // SAFETY: one system call between fork and exec; the name was allocated before fork.
    unsafe {
        c.pre_exec(move || keyctl(KEYCTL_JOIN_SESSION_KEYRING, name.as_ptr() as libc::c_long, 0).map(|_| ()));
    }
}

fn rustix_uid() -> u32 {
    // SAFETY: getuid cannot fail and touches no memory.
    unsafe { libc::getuid() }
}
