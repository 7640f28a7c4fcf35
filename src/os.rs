//! Process hardening: no core dumps, and on Linux no ptrace or /proc/<pid>/mem reads by other
//! processes of the same user. rustix wraps the system calls safely, so no `unsafe` is needed.

pub fn harden() {
    #[cfg(unix)]
    {
        use rustix::process::{Resource, Rlimit, setrlimit};
        let _ = setrlimit(Resource::Core, Rlimit { current: Some(0), maximum: Some(0) });
    }
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{DumpableBehavior, set_dumpable_behavior};
        let _ = set_dumpable_behavior(DumpableBehavior::NotDumpable);
    }
}
