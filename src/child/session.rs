//! `exec --mask` when the user has a terminal (stdin, stdout or stderr is one): the command runs
//! in a session of its own whose controlling terminal is a pseudo-terminal that tokctl reads, so
//! everything it shows the user, `/dev/tty` included, passes the masker.
//!
//! Processes: tokctl ─ helper ─ command. The helper is forked by `pre_exec` (see `helper`); it
//! makes the new session, takes the pseudo-terminal as its controlling terminal and forks the
//! command into a process group of its own. It exists for job control: a process group none of
//! whose members has a parent elsewhere in its session is orphaned, and the kernel discards ^Z
//! for it, so a command that led its own session could never be suspended. The helper never
//! calls exec; it waits for the command, reports its pid and every stop to tokctl on a pipe, and
//! exits with its status (128+N for signal N). It runs only system calls: no allocation, no lock,
//! nothing that could be held by a thread of tokctl's that does not exist in the fork.
//!
//! The command's streams: each one that is a terminal for tokctl is the pseudo-terminal for the
//! command; stdout and stderr otherwise are pipes tokctl masks, stdin otherwise is tokctl's own
//! (a pipe stays a pipe). Everything written to the pseudo-terminal is masked and shown on the
//! user's terminal (stdout's, else stderr's, else stdin's).
//!
//! The keyboard: when stdin and stdout are both the terminal, the user is at it. tokctl puts it
//! in raw mode and passes every key to the pseudo-terminal, whose own line discipline turns ^C,
//! ^Z and ^\ into signals for the command's foreground job. Otherwise tokctl is in a pipeline or
//! redirected (`tokctl exec --mask -- cmd | less`, `… > out`, `… < in`), where another program
//! may own the keyboard: the command starts in the background of its terminal and tokctl leaves
//! the user's terminal alone until the command reads from its terminal or changes its modes (a
//! password prompt). The kernel then stops it (SIGTTIN, SIGTTOU); tokctl takes the keyboard
//! (stdin if it is the terminal, else `/dev/tty` when that is the same terminal), puts it in raw
//! mode, gives the command the foreground and continues it. This is sudo's rule with `use_pty`.
//!
//! ^Z: when the command is stopped (^Z, or any stop signal), tokctl gives the terminal its modes
//! back and stops itself with SIGTSTP, so the shell regains the terminal and reports the job
//! stopped; `fg` continues tokctl, which takes the keyboard again and continues the command. A
//! command that handles SIGTSTP itself and does not stop keeps tokctl running, as it would keep
//! the shell waiting. Where the kernel ignores SIGTSTP (tokctl's process group is orphaned, as
//! under `ssh host tokctl …` or a terminal started on it) tokctl continues the command at once.
//! Before tokctl has taken the keyboard, the user's terminal still sends its own signals: ^C and
//! ^\ reach tokctl, which passes them to the command's whole job; ^Z stops tokctl alone, and the
//! command's output waits for `fg`.
//!
//! Signals: SIGTERM, SIGHUP, SIGQUIT and SIGINT sent to tokctl go to the command; a window size
//! change (SIGWINCH) is copied to the pseudo-terminal, which tells the command's foreground job.
//! When the command ends, the helper gives its process group the terminal and exits: what the
//! command left running there gets SIGHUP, as from a terminal window that closes.
//!
//! The terminal's modes are restored on every way out: the command's end, its failure to start,
//! a panic (a guard), before tokctl stops itself; the signals that would end tokctl are caught
//! and forwarded, so the command's end is tokctl's. SIGKILL alone leaves the terminal raw.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use rustix::io::Errno;
use rustix::process::{Pid, Signal, WaitOptions};
use rustix::termios::{OptionalActions, Termios};

mod helper;

pub(super) use helper::{Setup, enter};

use super::{OnWriteError, pump, start_failure};
use crate::error::Result;
use crate::mask::Masker;

/// What the user has of a terminal, and tokctl's hold on it.
pub(super) struct Terminal {
    stdin: bool,
    stdout: bool,
    stderr: bool,
    /// The user's terminal, where the pseudo-terminal's output is shown.
    screen: File,
    /// Where keys come from: stdin when it is the terminal, else `/dev/tty` when that is the
    /// same terminal as the screen.
    keyboard: Option<File>,
    /// The keyboard's modes before tokctl made it raw; `Some` while it is raw.
    saved: Mutex<Option<Termios>>,
}

impl Terminal {
    /// The user's terminal, or `None` when none of stdin, stdout and stderr is one.
    pub(super) fn detect() -> io::Result<Option<Terminal>> {
        let (stdin, stdout, stderr) =
            (io::stdin().is_terminal(), io::stdout().is_terminal(), io::stderr().is_terminal());
        let screen = match (stdout, stderr, stdin) {
            (true, _, _) => io::stdout().as_fd().try_clone_to_owned()?,
            (_, true, _) => io::stderr().as_fd().try_clone_to_owned()?,
            (_, _, true) => io::stdin().as_fd().try_clone_to_owned()?,
            _ => return Ok(None),
        };
        let screen = File::from(screen);
        let keyboard =
            if stdin { Some(File::from(io::stdin().as_fd().try_clone_to_owned()?)) } else { same_tty(&screen) };
        Ok(Some(Terminal { stdin, stdout, stderr, screen, keyboard, saved: Mutex::new(None) }))
    }

    /// The user is at the terminal: stdin and stdout are both on it.
    fn interactive(&self) -> bool {
        self.stdin && self.stdout
    }

    /// A pseudo-terminal pair set up like the user's terminal (modes and size).
    fn open_pty(&self) -> io::Result<(File, File)> {
        use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::OpenOptionsExt;
        let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
        grantpt(&master)?;
        unlockpt(&master)?;
        let name = ptsname(&master, Vec::new())?;
        let slave = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
            .open(std::ffi::OsStr::from_bytes(name.as_bytes()))?;
        // The user's own settings (erase and interrupt keys, UTF-8, output processing): the
        // command meets the terminal it would have met without tokctl.
        let source = self.keyboard.as_ref().unwrap_or(&self.screen);
        if let Ok(modes) = rustix::termios::tcgetattr(source) {
            let _ = rustix::termios::tcsetattr(&slave, OptionalActions::Now, &modes);
        }
        let master = File::from(master);
        self.sync_size(&master);
        Ok((master, slave))
    }

    /// Give the pseudo-terminal the user's window size (the kernel tells its foreground job).
    fn sync_size(&self, master: &File) {
        if let Ok(ws) = rustix::termios::tcgetwinsize(&self.screen) {
            let _ = rustix::termios::tcsetwinsize(master, ws);
        }
    }

    fn saved(&self) -> std::sync::MutexGuard<'_, Option<Termios>> {
        self.saved.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Put the keyboard in raw mode, remembering its modes the first time. From the background
    /// this stops tokctl (SIGTTOU) until it is in the foreground, as any full-screen program.
    fn raw(&self) {
        let Some(kb) = &self.keyboard else { return };
        let mut saved = self.saved();
        let original = match &*saved {
            Some(m) => m.clone(),
            None => match rustix::termios::tcgetattr(kb) {
                Ok(m) => m,
                Err(_) => return,
            },
        };
        let mut raw = original.clone();
        raw.make_raw();
        if rustix::termios::tcsetattr(kb, OptionalActions::Now, &raw).is_ok() {
            *saved = Some(original);
        }
    }

    /// Raw again if it was raw (tokctl was stopped and continued by someone else).
    fn raw_again(&self) {
        if self.saved().is_some() {
            self.raw();
        }
    }

    /// Give the keyboard its modes back.
    fn restore(&self) {
        if let (Some(kb), Some(m)) = (&self.keyboard, self.saved().take()) {
            let _ = rustix::termios::tcsetattr(kb, OptionalActions::Now, &m);
        }
    }
}

/// `/dev/tty` when `screen` is tokctl's controlling terminal: the keyboard of a user whose
/// stdin is a pipe. Another terminal is nobody's keyboard here.
fn same_tty(screen: &File) -> Option<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // Answers only for the caller's own controlling terminal.
    rustix::termios::tcgetsid(screen).ok()?;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
        .open("/dev/tty")
        .ok()
}

/// Restores the keyboard's modes when dropped: on return, and on a panic's unwinding.
struct RawGuard<'a>(&'a Terminal);

impl Drop for RawGuard<'_> {
    fn drop(&mut self) {
        self.0.restore();
    }
}

/// The thread passing keys from the keyboard to the pseudo-terminal; it stops when this is
/// dropped (the pipe it polls besides the keyboard reports the hang-up).
struct Keys {
    _stop: OwnedFd,
}

impl Keys {
    fn start(term: &Terminal, master: &File) -> io::Result<Option<Keys>> {
        use rustix::event::{PollFd, PollFlags, poll};
        let Some(kb) = &term.keyboard else { return Ok(None) };
        let (kb, mut to) = (kb.try_clone()?, master.try_clone()?);
        let (stopped, stop) = rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC)?;
        std::thread::spawn(move || {
            // Keys may be a password: wiped when the thread ends.
            let mut buf = zeroize::Zeroizing::new([0u8; 4096]);
            loop {
                let mut fds = [PollFd::new(&kb, PollFlags::IN), PollFd::new(&stopped, PollFlags::IN)];
                match poll(&mut fds, None) {
                    Ok(_) => {}
                    Err(Errno::INTR) => continue,
                    Err(_) => break,
                }
                if !fds[1].revents().is_empty() {
                    break;
                }
                let ready = fds[0].revents();
                if ready.contains(PollFlags::IN) {
                    match rustix::io::read(&kb, &mut buf[..]) {
                        // The terminal hung up.
                        Ok(0) => break,
                        Ok(n) => {
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        Err(Errno::INTR | Errno::AGAIN) => continue,
                        Err(_) => break,
                    }
                } else if !ready.is_empty() {
                    break;
                }
            }
        });
        Ok(Some(Keys { _stop: stop }))
    }
}

/// Each secret as it arrives through a terminal that turns `\n` into `\r\n` (ONLCR, the
/// default), besides as written: a multi-line secret must not slip through that way.
fn as_shown(secrets: &[Vec<u8>]) -> zeroize::Zeroizing<Vec<Vec<u8>>> {
    let mut all = zeroize::Zeroizing::new(secrets.to_vec());
    for s in secrets.iter().filter(|s| s.contains(&b'\n')) {
        let mut crlf = Vec::with_capacity(s.len() * 2);
        for &b in s {
            if b == b'\n' {
                crlf.push(b'\r');
            }
            crlf.push(b);
        }
        all.push(crlf);
    }
    all
}

/// Run the command in its own session on a pseudo-terminal (see the module doc).
pub(super) fn run(mut cmd: Command, program: &OsString, secrets: &[Vec<u8>], term: Terminal) -> Result<u8> {
    use signal_hook::consts::{SIGCONT, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGTTIN, SIGTTOU, SIGWINCH};
    use signal_hook::iterator::SignalsInfo;
    use signal_hook::iterator::exfiltrator::WithOrigin;
    use signal_hook::low_level::siginfo::Cause;

    let term = Arc::new(term);
    let (master, slave) = term.open_pty()?;
    // The helper writes the command's pid, then one byte (the signal) for each stop.
    let (report, report_w) =
        rustix::pipe::pipe_with(rustix::pipe::PipeFlags::CLOEXEC | rustix::pipe::PipeFlags::NONBLOCK)?;
    let report = File::from(report);
    cmd.stdin(if term.stdin { Stdio::from(slave.try_clone()?) } else { Stdio::inherit() });
    cmd.stdout(if term.stdout { Stdio::from(slave.try_clone()?) } else { Stdio::piped() });
    cmd.stderr(if term.stderr { Stdio::from(slave.try_clone()?) } else { Stdio::piped() });
    let interactive = term.interactive();
    let setup = Setup { tty: slave.as_raw_fd(), report: report_w.as_raw_fd(), foreground: interactive };
    super::prepare_child(&mut cmd, Some(setup));
    // Handlers go in before the child exists, so no signal is lost or kills tokctl first.
    let mut signals = SignalsInfo::<WithOrigin>::new([SIGTERM, SIGHUP, SIGQUIT, SIGINT, SIGWINCH, SIGCONT])?;
    let guard = RawGuard(&term);
    let mut keys = None;
    if interactive {
        // Before the command starts, so that nothing typed from now on is lost.
        term.raw();
        keys = Keys::start(&term, &master)?;
    }
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            drop(keys);
            drop(guard);
            return Err(start_failure(program, &e));
        }
    };
    // The child side now lives only in the helper and the command. (Dropping the `Command`
    // also frees its copies of the secrets, unwiped: see the module doc of `child`.)
    drop(cmd);
    drop(slave);
    drop(report_w);
    let helper = Pid::from_child(&child);
    let command = read_report::<4>(&report).and_then(|b| Pid::from_raw(i32::from_ne_bytes(b))).unwrap_or(helper);

    let mut pumps = Vec::new();
    let (from, to, m) = (master.try_clone()?, term.screen.try_clone()?, Masker::new(&as_shown(secrets)[..]));
    pumps.push(std::thread::spawn(move || pump(from, to, m, OnWriteError::Drain)));
    if let Some(out) = child.stdout.take() {
        let m = Masker::new(secrets);
        pumps.push(std::thread::spawn(move || pump(out, io::stdout(), m, OnWriteError::Stop)));
    }
    if let Some(err) = child.stderr.take() {
        let m = Masker::new(secrets);
        pumps.push(std::thread::spawn(move || pump(err, io::stderr(), m, OnWriteError::Stop)));
    }

    let handle = signals.handle();
    let (fwd_term, fwd_master) = (term.clone(), master.try_clone()?);
    let forwarder = std::thread::spawn(move || {
        for origin in signals.forever() {
            let sig = match origin.signal {
                SIGWINCH => {
                    fwd_term.sync_size(&fwd_master);
                    continue;
                }
                SIGCONT => {
                    // Someone stopped and continued tokctl: take the keyboard back.
                    fwd_term.raw_again();
                    fwd_term.sync_size(&fwd_master);
                    continue;
                }
                SIGTERM => Signal::TERM,
                SIGHUP => Signal::HUP,
                SIGQUIT => Signal::QUIT,
                _ => Signal::INT,
            };
            // ^C or ^\ at a terminal tokctl did not take (a pipeline): the terminal meant the
            // whole foreground job, so the command's whole job gets it.
            if origin.cause == Cause::Kernel && matches!(origin.signal, SIGINT | SIGQUIT) {
                let _ = rustix::process::kill_process_group(command, sig);
            } else {
                let _ = rustix::process::kill_process(command, sig);
            }
        }
    });

    let status = loop {
        match rustix::process::waitpid(Some(helper), WaitOptions::UNTRACED) {
            Ok(Some((_, st))) if st.stopped() => {
                // No report: someone else stopped the helper, and may continue it.
                let Some(why) = read_report::<1>(&report).map(|b| i32::from(b[0])) else { continue };
                if !matches!(why, SIGTTIN | SIGTTOU) {
                    // Suspended (^Z): the shell gets its terminal back as it was, and tokctl
                    // stops until `fg` (at once when its process group is orphaned).
                    term.restore();
                    let _ = rustix::process::kill_process(rustix::process::getpid(), Signal::TSTP);
                }
                // Continued, or the command wants its terminal: it gets the keyboard.
                term.raw();
                if keys.is_none() {
                    keys = Keys::start(&term, &master)?;
                }
                term.sync_size(&master);
                let _ = rustix::process::kill_process(helper, Signal::CONT);
            }
            Ok(Some((_, st))) => break st,
            Ok(None) | Err(Errno::INTR) => continue,
            Err(e) => return Err(io::Error::from(e).into()),
        }
    };
    handle.close();
    let _ = forwarder.join();
    // Until the output ends, keys still reach whatever holds the terminal.
    for p in pumps {
        let _ = p.join();
    }
    drop(keys);
    drop(guard);
    Ok(match (status.exit_status(), status.terminating_signal()) {
        (Some(c), _) => c.clamp(0, 255) as u8,
        (None, Some(sig)) => (128 + sig).clamp(0, 255) as u8,
        _ => 1,
    })
}

/// `N` bytes the helper reported, if they are there.
fn read_report<const N: usize>(mut report: &File) -> Option<[u8; N]> {
    use std::io::Read;
    let mut b = [0u8; N];
    report.read_exact(&mut b).ok().map(|_| b)
}
