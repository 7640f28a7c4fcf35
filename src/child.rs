//! Running the user's command: replace tokctl with it (execvp), or, with `--mask`, stay as the
//! parent to filter its output, forward signals and return its status.
//!
//! Either way the command gets back the core-dump limit the user had (`os::harden` lowered it
//! for tokctl). `replace` sets it in this process right before execvp and lowers it again if
//! execvp fails. The masked child sets it in a `pre_exec` closure, which also ties the child's
//! life to tokctl's; that closure is the one `unsafe` in this module, which is why the module is
//! allowed `unsafe` at all.
//!
//! What is not wiped: `Command::env` copies each injected secret into std's private `CommandEnv`
//! (and, at spawn or exec, into the `envp` array it builds), and std frees those copies without
//! zeroizing them. No std API reaches them. After a successful execvp they go with tokctl's
//! address space; after a spawn they stay in the parent's freed heap until it is reused or tokctl
//! exits.

use std::ffi::OsString;
use std::io::{self, IsTerminal, Read, Write};
use std::process::{Command, Stdio};

use crate::error::Result;
use crate::mask::Masker;
use crate::secret::Secret;

/// The variables a child must never see.
pub const STRIPPED: [&str; 2] = [crate::keystore::ENV_KEY, crate::keystore::ENV_PASS];

/// The command with the stripped variables removed and the secrets added to its environment.
/// Each secret is copied into the `Command`, where it cannot be wiped (see the module doc).
fn command(argv: &[OsString], inject: &[(String, Secret)]) -> Command {
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..]);
    for v in STRIPPED {
        cmd.env_remove(v);
    }
    for (var, secret) in inject {
        cmd.env(var, secret.expose());
    }
    cmd
}

/// Exit status and message for a command that could not be started, as a shell reports it.
fn start_failure(program: &OsString, e: &io::Error) -> u8 {
    let p = crate::ui::escape(&program.to_string_lossy()).into_owned();
    match e.kind() {
        io::ErrorKind::NotFound => {
            eprintln!("tokctl: {p}: command not found");
            127
        }
        io::ErrorKind::PermissionDenied => {
            eprintln!("tokctl: {p}: permission denied (not executable)");
            126
        }
        _ => {
            eprintln!("tokctl: {p}: cannot run it: {e}");
            126
        }
    }
}

/// For the masked child: get the user's core-dump limit back, and die with tokctl.
#[cfg(unix)]
fn prepare_child(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    let limit = crate::os::original_core_limit();
    let parent = rustix::process::getpid();
    // SAFETY: the closure runs in the child between fork and exec, where only async-signal-safe
    // work is allowed. It captures two `Copy` values and makes only system calls through rustix
    // (setrlimit, prctl(PR_SET_PDEATHSIG), getppid), which take no locks and do not allocate.
    // Its error is an OS error code, which `io::Error` stores inline without allocating.
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
            #[cfg(not(target_os = "linux"))]
            let _ = parent;
            Ok(())
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
        let e = cmd.exec();
        // Still tokctl, with secrets in memory: lower the limit again before anything else.
        crate::os::harden();
        Ok(start_failure(&argv[0], &e))
    }
    #[cfg(not(unix))]
    {
        match cmd.status() {
            Ok(s) => Ok(s.code().map(|c| c.clamp(0, 255) as u8).unwrap_or(1)),
            Err(e) => Ok(start_failure(&argv[0], &e)),
        }
    }
}

/// Copy `from` to `to` through the masker, writing as data arrives.
fn pump(mut from: impl Read, mut to: impl Write, mut masker: Masker) {
    // The command's raw output, secrets and all: wiped when the stream ends.
    let mut buf = zeroize::Zeroizing::new(vec![0u8; 16 * 1024]);
    loop {
        match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let out = masker.push(&buf[..n]);
                if to.write_all(&out).and_then(|_| to.flush()).is_err() {
                    break;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            // A pseudo-terminal reports EIO once the child's side is closed.
            Err(_) => break,
        }
    }
    let _ = to.write_all(&masker.finish());
    let _ = to.flush();
}

/// A pseudo-terminal pair with this terminal's window size.
#[cfg(unix)]
fn open_pty() -> Result<(std::fs::File, std::fs::File)> {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
        .open(std::ffi::OsStr::from_bytes(name.as_bytes()))?;
    if let Ok(ws) = rustix::termios::tcgetwinsize(io::stdout()) {
        let _ = rustix::termios::tcsetwinsize(&slave, ws);
    }
    // No output processing inside: the child's bytes reach the masker exactly as written (a
    // multi-line secret would otherwise arrive with \r\n and escape it), and our own terminal
    // applies its processing once when we write them out.
    let mut modes = rustix::termios::tcgetattr(&slave)?;
    modes.output_modes.remove(rustix::termios::OutputModes::OPOST);
    rustix::termios::tcsetattr(&slave, rustix::termios::OptionalActions::Now, &modes)?;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::OpenOptionsExt;
    Ok((std::fs::File::from(master), slave))
}

/// Run the command as a child, masking every injected secret in its output.
#[cfg(unix)]
pub fn masked(argv: &[OsString], inject: Vec<(String, Secret)>) -> Result<u8> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGQUIT, SIGTERM};
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithOrigin;
    use signal_hook::low_level::siginfo::Cause;

    // Wiped when dropped, like every other copy of a secret.
    let secrets: zeroize::Zeroizing<Vec<Vec<u8>>> =
        zeroize::Zeroizing::new(inject.iter().map(|(_, s)| s.expose().as_bytes().to_vec()).collect());
    let masker = || Masker::new(&secrets[..]);
    let mut cmd = command(argv, &inject);
    drop(inject);
    prepare_child(&mut cmd);
    let tty = io::stdout().is_terminal().then(open_pty).transpose()?;
    match &tty {
        Some((_, slave)) => {
            cmd.stdout(slave.try_clone()?);
            cmd.stderr(if io::stderr().is_terminal() { Stdio::from(slave.try_clone()?) } else { Stdio::piped() });
        }
        None => {
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
    }
    // Handlers go in before the child exists, so no signal is lost or kills tokctl first.
    let mut signals = SignalsInfo::<WithOrigin>::new([SIGTERM, SIGHUP, SIGQUIT, SIGINT])?;
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Ok(start_failure(&argv[0], &e)),
    };
    // Closes our copies of the pty's child side, so its reader sees the end. (It also frees the
    // `Command`'s copies of the secrets, unwiped: see the module doc.)
    drop(cmd);
    let mut pumps = Vec::new();
    if let Some((master, slave)) = tty {
        drop(slave);
        let m = masker();
        pumps.push(std::thread::spawn(move || pump(master, io::stdout(), m)));
    }
    if let Some(out) = child.stdout.take() {
        let m = masker();
        pumps.push(std::thread::spawn(move || pump(out, io::stdout(), m)));
    }
    if let Some(err) = child.stderr.take() {
        let m = masker();
        pumps.push(std::thread::spawn(move || pump(err, io::stderr(), m)));
    }
    drop(secrets);
    let pid = rustix::process::Pid::from_child(&child);
    let handle = signals.handle();
    let forwarder = std::thread::spawn(move || {
        for origin in signals.forever() {
            // A terminal's ^C already reached the child, which shares our process group.
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
    let status = child.wait()?;
    handle.close();
    let _ = forwarder.join();
    for p in pumps {
        let _ = p.join();
    }
    use std::os::unix::process::ExitStatusExt;
    Ok(match (status.code(), status.signal()) {
        (Some(c), _) => c as u8,
        (None, Some(sig)) => (128 + sig) as u8,
        _ => 1,
    })
}

#[cfg(not(unix))]
pub fn masked(argv: &[OsString], inject: Vec<(String, Secret)>) -> Result<u8> {
    // Wiped when dropped, like every other copy of a secret.
    let secrets: zeroize::Zeroizing<Vec<Vec<u8>>> =
        zeroize::Zeroizing::new(inject.iter().map(|(_, s)| s.expose().as_bytes().to_vec()).collect());
    let mut cmd = command(argv, &inject);
    drop(inject);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => return Ok(start_failure(&argv[0], &e)),
    };
    let (out, err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let (m1, m2) = (Masker::new(&secrets[..]), Masker::new(&secrets[..]));
    let a = std::thread::spawn(move || pump(out, io::stdout(), m1));
    let b = std::thread::spawn(move || pump(err, io::stderr(), m2));
    let status = child.wait()?;
    let _ = (a.join(), b.join());
    Ok(status.code().map(|c| c.clamp(0, 255) as u8).unwrap_or(1))
}
