//! Process hardening: no core dumps, and on Linux no ptrace attach or /proc/<pid>/mem reads by
//! other processes of the same user. rustix wraps the system calls safely.
//!
//! Only the soft core limit is lowered, so a command started by `exec` gets the user's own limit
//! back (see `child`); the non-dumpable flag is reset by execve itself.

use std::sync::OnceLock;

#[cfg(unix)]
static ORIGINAL_CORE: OnceLock<rustix::process::Rlimit> = OnceLock::new();

pub fn harden() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
        let orig = getrlimit(Resource::Core);
        let _ = ORIGINAL_CORE.set(orig);
        let _ = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: orig.maximum });
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }
}

/// The core-dump limit the user had before `harden`.
#[cfg(unix)]
pub(crate) fn original_core_limit() -> Option<rustix::process::Rlimit> {
    ORIGINAL_CORE.get().copied()
}
