//! Running the user's command: replace tokctl with it (execvp), or, with `--mask`, stay as the
//! parent to filter its output, forward signals and return its status.
//!
//! Under `--mask` with no terminal at all the command gets pipes for stdout and stderr and
//! shares tokctl's process group, so a ^C from a controlling terminal reaches both. As soon as
//! the user has a terminal (stdin, stdout or stderr is one) it runs in a session of its own on a
//! pseudo-terminal instead, with a helper process for job control: see `child/session.rs`, which
//! says when tokctl takes the keyboard (raw mode) and what ^C, ^Z and ^\ do.
//!
//! Either way the command gets back the core-dump limit the user had (`os::harden` lowered it
//! for tokctl). `replace` sets it in this process right before execvp and lowers it again if
//! execvp fails. The masked child sets it in a `pre_exec` closure, which also ties the child's
//! life to tokctl's and, on a terminal, forks the session helper (`session::enter`). That
//! closure, and the helper's few libc calls (fork, signal dispositions, close, _exit), are the
//! `unsafe` in this module, which is why it is allowed `unsafe` at all; none of it allocates.
//!
//! What is not wiped: `Command::env` copies each injected secret into std's private `CommandEnv`
//! (and, at spawn or exec, into the `envp` array it builds), and std frees those copies without
//! zeroizing them. No std API reaches them. After a successful execvp they go with tokctl's
//! address space; after a spawn they stay in the parent's freed heap until it is reused or tokctl
//! exits, and in the session helper (a fork of tokctl that is never dumpable) until it exits.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::process::{Command, Stdio};

use crate::error::Result;
use crate::mask::Masker;
use crate::secret::Secret;

#[cfg(unix)]
#[cfg(unix)]
pub mod files;
pub mod hook;
mod session;

/// The variables a child must never see.
pub const STRIPPED: [&str; 4] = [
    crate::keystore::ENV_KEY,
    crate::keystore::ENV_PASS,
    crate::settings::ENV_AGE_IDENTITY,
    crate::settings::ENV_AGE_IDENTITY_FILE,
];

/// The command with the stripped variables removed and the secrets added to its environment.
/// Each secret is copied into the `Command`, where it cannot be wiped (see the module doc).
fn command(argv: &[OsString], inject: &[(String, Secret)]) -> Command {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for v in STRIPPED.iter().chain(crate::remote::http::credentials_used()) {
        cmd.env_remove(v);
    }
    for (var, secret) in inject {
        cmd.env(var, secret.expose());
    }
    cmd
}

/// A command that could not be started, with the status and words a shell would use; `main`
/// prints it.
fn start_failure(program: &OsString, e: &io::Error) -> anyhow::Error {
    use crate::error::{Code, Error};
    let p = crate::text::escape(&program.to_string_lossy()).into_owned();
    match e.kind() {
        io::ErrorKind::NotFound => Error::new(Code::CommandNotFound, format!("{p}: command not found")),
        io::ErrorKind::PermissionDenied => {
            Error::new(Code::NotExecutable, format!("{p}: permission denied (not executable)"))
        }
        _ => Error::new(Code::NotExecutable, format!("{p}: cannot run it: {e}")),
    }
    .into()
}

/// Refuse a command that cannot be started, as `exec` would (127 not found, 126 not
/// executable), before anything is logged: a use is a command that ran. The PATH is searched as
/// execvp searches it (tokctl never injects PATH). A file that changes between this check and the
/// exec is still reported by the exec itself.
#[cfg(unix)]
pub fn check_startable(program: &OsString) -> Result<()> {
    use std::os::unix::ffi::OsStrExt;
    use std::path::{Path, PathBuf};
    let runnable = |p: &Path| -> io::Result<()> {
        if !std::fs::metadata(p)?.is_file() {
            return Err(io::ErrorKind::PermissionDenied.into());
        }
        rustix::fs::access(p, rustix::fs::Access::EXEC_OK).map_err(io::Error::from)
    };
    let found = if program.as_bytes().contains(&b'/') {
        runnable(Path::new(program))
    } else if program.is_empty() {
        Err(io::ErrorKind::NotFound.into())
    } else {
        let path = std::env::var_os("PATH").unwrap_or_else(|| "/bin:/usr/bin".into());
        let mut denied = None;
        let mut found = None;
        for dir in std::env::split_paths(&path) {
            let dir = if dir.as_os_str().is_empty() { PathBuf::from(".") } else { dir };
            match runnable(&dir.join(program)) {
                Ok(()) => {
                    found = Some(());
                    break;
                }
                Err(e) if e.kind() == io::ErrorKind::PermissionDenied => denied = Some(e),
                Err(_) => {}
            }
        }
        found.ok_or_else(|| denied.unwrap_or_else(|| io::ErrorKind::NotFound.into()))
    };
    found.map_err(|e| start_failure(program, &e))
}

#[cfg(not(unix))]
pub fn check_startable(_: &OsString) -> Result<()> {
    Ok(())
}

/// Put this process, about to become the user's command, in a new anonymous session keyring of
/// its own, so the command cannot read the unlock cache (`cache`): a `tokctl` it runs unlocks
/// again. Only a system call, so it is safe between fork and exec. A kernel without keyutils has
/// no cache to protect.
#[cfg(target_os = "linux")]
#[cfg_attr(not(unix), allow(dead_code))]
fn leave_session_keyring() -> io::Result<()> {
    const KEYCTL_JOIN_SESSION_KEYRING: libc::c_long = 1;
    // SAFETY: keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL) reads no memory of ours (the name is
    // null), allocates nothing in this process and takes no user-space lock.
    let r = unsafe { libc::syscall(libc::SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, std::ptr::null::<libc::c_char>()) };
    if r >= 0 {
        return Ok(());
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::ENOSYS) { Ok(()) } else { Err(e) }
}

#[cfg(not(target_os = "linux"))]
#[cfg_attr(not(unix), allow(dead_code))]
fn leave_session_keyring() -> io::Result<()> {
    Ok(())
}

/// Whether this process could reach a cached key: then a command that cannot leave the session
/// keyring (the key quota is full, say) must not start. Where the cache is off or unavailable,
/// there is nothing to keep from it.
#[cfg_attr(not(unix), allow(dead_code))]
fn cache_in_reach() -> bool {
    !matches!(crate::cache::open(), Ok(crate::cache::Availability::Off | crate::cache::Availability::Unavailable(_)))
}

/// For the masked child: get the user's core-dump limit back, die with tokctl, and on a
/// terminal enter a session of its own through the helper.
#[cfg(unix)]
fn prepare_child(cmd: &mut Command, session: Option<session::Setup>) {
    use std::os::unix::process::CommandExt;
    let limit = crate::os::original_core_limit();
    let parent = rustix::process::getpid();
    let guard = cache_in_reach();
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // work is allowed. It captures only `Copy` values and makes only system calls through rustix
    // (setrlimit, prctl(PR_SET_PDEATHSIG), getppid), which take no locks and do not allocate;
    // its errors are OS error codes, which `io::Error` stores inline without allocating.
    // `session::enter` keeps to the same rules, and its descriptors are open in the child: the
    // pseudo-terminal's child side and the report pipe are held by tokctl until `spawn` returns.
    unsafe {
        cmd.pre_exec(move || {
            if let Some(l) = limit {
                let _ = rustix::process::setrlimit(rustix::process::Resource::Core, l);
            }
            #[cfg(target_os = "linux")]
            {
                // If tokctl dies (even by SIGKILL) the child gets SIGTERM instead of living on.
                let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM));
                // tokctl died before that took effect: do not start the command at all.
                if rustix::process::getppid() != Some(parent) {
                    return Err(io::Error::from(rustix::io::Errno::SRCH));
                }
            }
            // Where the cache could hold a key, a refusal stops the command from starting.
            if let Err(e) = leave_session_keyring()
                && guard
            {
                return Err(e);
            }
            #[cfg(not(target_os = "linux"))]
            let _ = parent;
            match session {
                Some(s) => session::enter(s),
                None => Ok(()),
            }
        });
    }
}

/// Replace this process with the command (Unix), so signals, job control and the exit status
/// are its own. Returns only when the command could not be started.
pub fn replace(argv: &[OsString], inject: Vec<(String, Secret)>) -> Result<u8> {
    let mut cmd = command(argv, &inject);
    // Our copies are wiped now; only the `Command` still holds them (see the module doc).
    drop(inject);
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // The command's own core-dump limit, set in this process: execve keeps it.
        if let Some(l) = crate::os::original_core_limit() {
            let _ = rustix::process::setrlimit(rustix::process::Resource::Core, l);
        }
        if let Err(e) = leave_session_keyring()
            && cache_in_reach()
        {
            crate::os::harden();
            return Err(anyhow::anyhow!(
                "cannot start the command in a session keyring of its own, away from the unlock cache: {e}"
            ));
        }
        let e = cmd.exec();
        // Still tokctl, with secrets in memory: lower the limit again before anything else.
        crate::os::harden();
        Err(start_failure(&argv[0], &e))
    }
    #[cfg(not(unix))]
    {
        match cmd.status() {
            Ok(s) => Ok(s.code().map(|c| c.clamp(0, 255) as u8).unwrap_or(1)),
            Err(e) => Err(start_failure(&argv[0], &e)),
        }
    }
}

/// What a pump does when its destination fails.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OnWriteError {
    /// Stop reading: the command sees its pipe closed, as with `cmd | head`.
    Stop,
    /// Keep reading and discard: a pseudo-terminal nobody reads would block the command.
    Drain,
}

/// Copy `from` to `to` through the masker, writing as data arrives.
fn pump(mut from: impl Read, mut to: impl Write, mut masker: Masker, on_error: OnWriteError) {
    // The command's raw output, secrets and all: wiped when the stream ends.
    let mut buf = zeroize::Zeroizing::new(vec![0u8; 16 * 1024]);
    let mut writing = true;
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let out = masker.push(&buf[..n]);
                if writing && to.write_all(&out).and_then(|_| to.flush()).is_err() {
                    if on_error == OnWriteError::Stop {
                        return;
                    }
                    writing = false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A pseudo-terminal reports EIO once the child's side is closed.
            Err(_) => break,
        }
    }
    if writing {
        let _ = to.write_all(&masker.finish());
        let _ = to.flush();
    }
}

/// The signals a parent tokctl passes on to its command.
#[cfg(unix)]
type Forwarding = (signal_hook::iterator::Handle, std::thread::JoinHandle<()>);

/// Catch the signals tokctl passes on, before the child exists, so none is lost or kills tokctl
/// first; `forward` starts passing them to `pid`.
#[cfg(unix)]
fn catch_signals() -> Result<signal_hook::iterator::SignalsInfo<signal_hook::iterator::exfiltrator::WithOrigin>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    Ok(signal_hook::iterator::SignalsInfo::new([SIGTERM, SIGHUP, SIGQUIT, SIGINT])?)
}

#[cfg(unix)]
fn forward(
    mut signals: signal_hook::iterator::SignalsInfo<signal_hook::iterator::exfiltrator::WithOrigin>,
    pid: rustix::process::Pid,
) -> Forwarding {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    use signal_hook::low_level::siginfo::Cause;
    let handle = signals.handle();
    let thread = std::thread::spawn(move || {
        for origin in signals.forever() {
            // A ^C from a controlling terminal already reached the child, which shares our
            // process group.
            if origin.signal == SIGINT && origin.cause == Cause::Kernel {
                continue;
            }
            let sig = match origin.signal {
                SIGTERM => rustix::process::Signal::TERM,
                SIGHUP => rustix::process::Signal::HUP,
                SIGQUIT => rustix::process::Signal::QUIT,
                _ => rustix::process::Signal::INT,
            };
            let _ = rustix::process::kill_process(pid, sig);
        }
    });
    (handle, thread)
}

/// The child's exit status as a shell reports it (128 + signal).
#[cfg(unix)]
fn status_code(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(c), _) => c as u8,
        (None, Some(sig)) => (128 + sig) as u8,
        _ => 1,
    }
}

/// Run the command as a child with the terminal and stdio it would have had, tokctl waiting as
/// its parent and passing signals on (`exec --file`: the files outlive the command by nothing).
#[cfg(unix)]
pub fn parented(
    argv: &[OsString],
    inject: Vec<(String, Secret)>,
    paths: &[(String, std::path::PathBuf)],
) -> Result<u8> {
    let mut cmd = command(argv, &inject);
    drop(inject);
    cmd.envs(paths.iter().map(|(v, p)| (v, p)));
    prepare_child(&mut cmd, None);
    let signals = catch_signals()?;
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Err(start_failure(&argv[0], &e)),
    };
    // Frees the `Command`'s copies of the secrets, unwiped: see the module doc.
    drop(cmd);
    let (handle, forwarder) = forward(signals, rustix::process::Pid::from_child(&child));
    let status = child.wait()?;
    handle.close();
    let _ = forwarder.join();
    Ok(status_code(status))
}

/// Run the command as a child, masking every injected secret in its output, and those of the
/// token files at `paths` (`exec --file`), given in `in_files`.
#[cfg(unix)]
pub fn masked(
    argv: &[OsString],
    inject: Vec<(String, Secret)>,
    paths: &[(String, std::path::PathBuf)],
    in_files: &[Secret],
) -> Result<u8> {
    // Wiped when dropped, like every other copy of a secret.
    let secrets: zeroize::Zeroizing<Vec<Vec<u8>>> = zeroize::Zeroizing::new(
        inject.iter().map(|(_, s)| s).chain(in_files).map(|s| s.expose().as_bytes().to_vec()).collect(),
    );
    let mut cmd = command(argv, &inject);
    drop(inject);
    cmd.envs(paths.iter().map(|(v, p)| (v, p)));
    if let Some(term) = session::Terminal::detect()? {
        return session::run(cmd, &argv[0], &secrets, term);
    }
    prepare_child(&mut cmd, None);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    // Handlers go in before the child exists, so no signal is lost or kills tokctl first.
    let signals = catch_signals()?;
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Err(start_failure(&argv[0], &e)),
    };
    // Frees the `Command`'s copies of the secrets, unwiped: see the module doc.
    drop(cmd);
    let mut pumps = Vec::new();
    if let Some(out) = child.stdout.take() {
        let m = Masker::new(&secrets[..]);
        pumps.push(std::thread::spawn(move || pump(out, io::stdout(), m, OnWriteError::Stop)));
    }
    if let Some(err) = child.stderr.take() {
        let m = Masker::new(&secrets[..]);
        pumps.push(std::thread::spawn(move || pump(err, io::stderr(), m, OnWriteError::Stop)));
    }
    drop(secrets);
    let (handle, forwarder) = forward(signals, rustix::process::Pid::from_child(&child));
    let status = child.wait()?;
    handle.close();
    let _ = forwarder.join();
    for p in pumps {
        let _ = p.join();
    }
    Ok(status_code(status))
}

#[cfg(not(unix))]
pub fn masked(
    argv: &[OsString],
    inject: Vec<(String, Secret)>,
    _paths: &[(String, std::path::PathBuf)],
    _in_files: &[Secret],
) -> Result<u8> {
    // Wiped when dropped, like every other copy of a secret.
    let secrets: zeroize::Zeroizing<Vec<Vec<u8>>> =
        zeroize::Zeroizing::new(inject.iter().map(|(_, s)| s.expose().as_bytes().to_vec()).collect());
    let mut cmd = command(argv, &inject);
    drop(inject);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Err(start_failure(&argv[0], &e)),
    };
    let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let (m1, m2) = (Masker::new(&secrets[..]), Masker::new(&secrets[..]));
    let a = std::thread::spawn(move || pump(out, io::stdout(), m1, OnWriteError::Stop));
    let b = std::thread::spawn(move || pump(err, io::stderr(), m2, OnWriteError::Stop));
    let status = child.wait()?;
    let _ = (a.join(), b.join());
    Ok(status.code().map(|c| c.clamp(0, 255) as u8).unwrap_or(1))
}
