//! The session helper: the process forked between tokctl and the command for `exec --mask` on a
//! terminal (see the parent module's doc). It makes the new session, takes the pseudo-terminal
//! as its controlling terminal, forks the command into a process group of its own, reports the
//! command's pid and stops to tokctl, and exits with the command's status. Everything here runs
//! between fork and exec, or in the helper, which never execs: system calls only.

use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd, RawFd};

use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions};

/// What the helper needs, captured by value into `pre_exec`.
#[derive(Clone, Copy)]
pub(in crate::child) struct Setup {
    /// The pseudo-terminal's child side.
    pub(super) tty: RawFd,
    /// The write end of the report pipe.
    pub(super) report: RawFd,
    /// Give the command the terminal's foreground at once (the user is at the keyboard).
    pub(super) foreground: bool,
}

/// The child side of `pre_exec` for a session: becomes the helper (never returns) in the
/// process std forked, and returns `Ok` in the command's process, which std then execs.
///
/// # Safety
///
/// Only between fork and exec in a child of a multi-threaded process: it calls fork, and the
/// helper it becomes must run system calls only. The descriptors in `s` must be open in this
/// process.
pub(in crate::child) unsafe fn enter(s: Setup) -> io::Result<()> {
    // SAFETY: the caller guarantees both descriptors are open here; they stay open while the
    // borrows live (this function closes neither before its last use of them).
    let (tty, report) = unsafe { (BorrowedFd::borrow_raw(s.tty), BorrowedFd::borrow_raw(s.report)) };
    rustix::process::setsid()?;
    rustix::process::ioctl_tiocsctty(tty)?;
    // The command waits on this until the helper has set up its process group and terminal.
    let (go_read, go_write) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
    let helper = rustix::process::getpid();
    // SAFETY: we are a single-threaded child of a fork (the caller's contract); both sides of
    // this fork go on with system calls only, and the command's side then execs.
    match unsafe { libc::fork() } {
        -1 => Err(io::Error::last_os_error()),
        0 => {
            // The command.
            drop(go_write);
            rustix::process::setpgid(None, None)?;
            #[cfg(target_os = "linux")]
            {
                let _ = rustix::process::set_parent_process_death_signal(Some(Signal::TERM));
                if rustix::process::getppid() != Some(helper) {
                    return Err(io::Error::from(Errno::SRCH));
                }
            }
            #[cfg(not(target_os = "linux"))]
            let _ = helper;
            let mut b = [0u8; 1];
            loop {
                match rustix::io::read(&go_read, &mut b) {
                    Ok(1) => return Ok(()),
                    Err(Errno::INTR) => continue,
                    // The helper died before the go-ahead.
                    _ => return Err(io::Error::from(Errno::CHILD)),
                }
            }
        }
        pid => match Pid::from_raw(pid) {
            Some(command) => helper_main(command, tty, report, go_write, s.foreground),
            None => exit(1),
        },
    }
}

/// The helper: set the command up, tell tokctl its pid, relay its stops, exit with its status.
fn helper_main(command: Pid, tty: BorrowedFd<'_>, report: BorrowedFd<'_>, go: OwnedFd, foreground: bool) -> ! {
    use rustix::process::{kill_process, kill_process_group, setpgid, waitpid};
    // tokctl's handlers were inherited; the helper must die of these as any process would
    // (SIGHUP when the terminal goes, SIGTERM when tokctl dies). It moves the command to the
    // terminal's foreground from the background, so SIGTTOU must not stop it.
    for sig in [libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT, libc::SIGINT, libc::SIGWINCH, libc::SIGCONT] {
        set_disposition(sig, libc::SIG_DFL);
    }
    set_disposition(libc::SIGTTOU, libc::SIG_IGN);
    let _ = setpgid(Some(command), Some(command));
    if foreground {
        let _ = rustix::termios::tcsetpgrp(tty, command);
    }
    // Nothing of tokctl's stays open here: std's exec-status pipe must reach end-of-file for
    // `spawn` to return, and the pseudo-terminal's master must close when tokctl dies.
    close_all_except([tty.as_raw_fd(), report.as_raw_fd(), go.as_raw_fd()]);
    let _ = rustix::io::write(report, &command.as_raw_pid().to_ne_bytes());
    let _ = rustix::io::write(&go, &[1]);
    drop(go);
    loop {
        match waitpid(Some(command), WaitOptions::UNTRACED) {
            Ok(Some((_, st))) if st.stopped() => {
                let sig = st.stopping_signal().unwrap_or(libc::SIGSTOP);
                let _ = rustix::io::write(report, &[sig as u8]);
                // tokctl sees us stopped, deals with its terminal and continues us.
                let _ = kill_process(rustix::process::getpid(), Signal::STOP);
                let _ = rustix::termios::tcsetpgrp(tty, command);
                let _ = kill_process_group(command, Signal::CONT);
            }
            Ok(Some((_, st))) => {
                // The session ends with us: whatever the command left behind in its group gets
                // SIGHUP, as from a terminal window that closes.
                let _ = rustix::termios::tcsetpgrp(tty, command);
                let code = match (st.exit_status(), st.terminating_signal()) {
                    (Some(c), _) => c,
                    (None, Some(sig)) => 128 + sig,
                    _ => 1,
                };
                exit(code)
            }
            Ok(None) | Err(Errno::INTR) => continue,
            Err(_) => exit(1),
        }
    }
}

fn set_disposition(sig: libc::c_int, action: libc::sighandler_t) {
    // SAFETY: SIG_DFL and SIG_IGN are not handlers, so no code of ours runs on a signal; the
    // call is async-signal-safe.
    unsafe {
        libc::signal(sig, action);
    }
}

fn exit(code: i32) -> ! {
    // SAFETY: _exit ends the process without running anything of tokctl's (atexit handlers,
    // destructors, stdio flushes), which is what a forked process that never execs must do.
    unsafe { libc::_exit(code.clamp(0, 255)) }
}

/// Close every descriptor but `keep`, without allocating.
fn close_all_except(mut keep: [RawFd; 3]) {
    keep.sort_unstable();
    let mut from: u32 = 0;
    for k in keep {
        let Ok(k) = u32::try_from(k) else { continue };
        if k > from {
            close_range(from, k - 1);
        }
        from = from.max(k + 1);
    }
    close_range(from, u32::MAX);
}

fn close_range(first: u32, last: u32) {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: close_range(2) takes plain integers and touches no memory of ours.
        if unsafe { libc::syscall(libc::SYS_close_range, first, last, 0) } == 0 {
            return;
        }
    }
    // Without close_range (Linux before 5.9, other systems): up to the descriptor limit.
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(1024).min(1 << 16);
    for fd in first..=last.min(limit.saturating_sub(1) as u32) {
        // SAFETY: closing a descriptor number touches no memory; nothing in this process uses
        // the closed ones afterwards (the caller keeps the ones it needs).
        unsafe {
            libc::close(fd as RawFd);
        }
    }
}
