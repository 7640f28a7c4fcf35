//! Processes: spawning them alongside the test (`Running`), driving them on a real
//! pseudo-terminal (`Pty`), finding them in /proc, signalling them, and waiting for what they do
//! (a file, a process, a lock wait, a blocked read) with a deadline instead of a fixed sleep.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fmt::Display;
use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{BIN, Env, Out};

/// How often the waits below look again.
const POLL: Duration = Duration::from_millis(20);

/// Poll `cond` until it gives a value; panics naming `what` after `within`.
#[track_caller]
pub fn wait_until<T>(what: impl Display, within: Duration, cond: impl FnMut() -> Option<T>) -> T {
    match wait_until_or(within, cond) {
        Some(v) => v,
        None => panic!("{what}: not within {within:?}"),
    }
}

/// Like `wait_until`, but `None` after `within` instead of a panic.
pub fn wait_until_or<T>(within: Duration, mut cond: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = cond() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(POLL);
    }
}

/// Wait for a file to appear with a whole last line (a child saying it has started); its text.
#[track_caller]
pub fn wait_for_file(p: &Path, within: Duration) -> String {
    wait_until(format!("{} to be written", p.display()), within, || {
        std::fs::read_to_string(p).ok().filter(|s| s.ends_with('\n'))
    })
}

/// The exit code a shell shows in `$?`: 128+N for a death by signal N.
pub fn exit_code(s: &ExitStatus) -> i32 {
    s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))
}

/// Send a signal by name (`TERM`, `KILL`, `INT`, `HUP`, `QUIT`, `ABRT`); whether it was delivered
/// (false when the process is already gone).
pub fn signal(pid: u32, sig: &str) -> bool {
    use rustix::process::{Pid, Signal, kill_process};
    let s = match sig {
        "HUP" => Signal::HUP,
        "INT" => Signal::INT,
        "QUIT" => Signal::QUIT,
        "ABRT" => Signal::ABORT,
        "KILL" => Signal::KILL,
        "TERM" => Signal::TERM,
        other => panic!("signal: no SIG{other} here, add it"),
    };
    let pid = Pid::from_raw(pid as i32).expect("a pid above 0");
    kill_process(pid, s).is_ok()
}

/// Send a signal that must arrive.
#[track_caller]
pub fn kill(pid: u32, sig: &str) {
    assert!(signal(pid, sig), "kill -{sig} {pid}: no such process");
}

/// `(pid, parent pid, argv)` of every process visible in /proc.
pub fn processes() -> Vec<(u32, u32, Vec<String>)> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else { return v };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Some(after) = stat_after_comm(pid) else { continue };
        let Some(ppid) = after.split_whitespace().nth(1).and_then(|s| s.parse().ok()) else { continue };
        let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let argv = raw.split(|&b| b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned());
        v.push((pid, ppid, argv.collect()));
    }
    v
}

/// `/proc/<pid>/stat` after `pid (comm)`: `state ppid …` (comm may hold spaces and parentheses).
fn stat_after_comm(pid: u32) -> Option<String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')').map(|(_, after)| after.trim_start().to_string())
}

/// The process state letter from /proc (`R`, `S`, `D`, `Z`…), `None` once it is gone.
pub fn proc_state(pid: u32) -> Option<char> {
    stat_after_comm(pid)?.chars().next()
}

/// Whether a process is still there (a zombie counts as gone).
pub fn alive(pid: u32) -> bool {
    proc_state(pid).is_some_and(|s| s != 'Z')
}

/// Wait until `root` or one of its descendants runs with an argv that `want` accepts; its pid.
#[track_caller]
pub fn wait_for_process(root: u32, what: &str, want: impl Fn(&[String]) -> bool, within: Duration) -> u32 {
    let mut tree_seen = Vec::new();
    let found = wait_until_or(within, || {
        let all = processes();
        let mut tree = BTreeSet::from([root]);
        loop {
            let n = tree.len();
            for (pid, ppid, _) in &all {
                if tree.contains(ppid) {
                    tree.insert(*pid);
                }
            }
            if tree.len() == n {
                break;
            }
        }
        tree_seen = all.iter().filter(|(p, _, _)| tree.contains(p)).cloned().collect();
        all.iter().find(|(pid, _, argv)| tree.contains(pid) && want(argv)).map(|(pid, _, _)| *pid)
    });
    match found {
        Some(pid) => pid,
        None => panic!("no {what} under pid {root} within {within:?}; the tree: {tree_seen:?}"),
    }
}

/// Whether an argv is tokctl running the subcommand `sub`.
pub fn is_tokctl(argv: &[String], sub: &str) -> bool {
    argv.first().is_some_and(|a| a == BIN) && argv.iter().any(|a| a == sub)
}

/// Wait until `pid` waits for a `flock` held by someone else (a `->` line of /proc/locks).
#[track_caller]
pub fn wait_for_lock_wait(pid: u32, within: Duration) {
    wait_until(format!("pid {pid} waiting for a lock"), within, || {
        let locks = std::fs::read_to_string("/proc/locks").expect("/proc/locks");
        let waits = locks.lines().any(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.get(1) == Some(&"->") && f.get(5) == Some(&pid.to_string().as_str())
        });
        waits.then_some(())
    })
}

/// read(2)'s number in /proc/<pid>/syscall.
#[cfg(target_arch = "x86_64")]
const SYS_READ: Option<&str> = Some("0");
#[cfg(target_arch = "aarch64")]
const SYS_READ: Option<&str> = Some("63");
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
const SYS_READ: Option<&str> = None;

/// Wait until `pid` is blocked in read(2) on descriptor `fd` (/proc/<pid>/syscall). Where that
/// file cannot be read (a non-dumpable process, seen by a user without CAP_SYS_PTRACE) or the
/// architecture's number is not known here, until it is asleep.
#[track_caller]
pub fn wait_for_read_on(pid: u32, fd: u32, within: Duration) {
    wait_until(format!("pid {pid} blocked reading fd {fd}"), within, || {
        let asleep = || (proc_state(pid) == Some('S')).then_some(());
        match (std::fs::read_to_string(format!("/proc/{pid}/syscall")), SYS_READ) {
            (Ok(s), Some(nr)) => {
                let f: Vec<&str> = s.split_whitespace().collect();
                (f.first() == Some(&nr) && f.get(1) == Some(&format!("{fd:#x}").as_str())).then_some(())
            }
            (Err(e), _) if e.kind() != std::io::ErrorKind::PermissionDenied => None,
            _ => asleep(),
        }
    })
}

/// A process running alongside the test: stdin is a pipe held open until `feed`, `close_stdin`
/// or `finish`; stdout and stderr are collected as they come. Killed and reaped when dropped
/// unfinished, however the test ends.
pub struct Running<'e> {
    child: Child,
    what: String,
    start: Instant,
    stdin: Option<ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    stderr: Arc<Mutex<Vec<u8>>>,
    threads: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
    /// Whose secrets must not be on stderr (set by `Env::spawn`).
    env: Option<&'e Env>,
}

fn collect(mut from: impl Read + Send + 'static, into: Arc<Mutex<Vec<u8>>>) -> JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = from.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    })
}

impl<'e> Running<'e> {
    /// Start a command; nothing checks its stderr (see `Env::spawn`).
    pub fn spawn(mut c: Command) -> Running<'e> {
        let what = format!("{c:?}");
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let start = Instant::now();
        let mut child = c.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let (stdout, stderr) = (Arc::default(), Arc::default());
        let threads = vec![
            collect(child.stdout.take().expect("stdout"), Arc::clone(&stdout)),
            collect(child.stderr.take().expect("stderr"), Arc::clone(&stderr)),
        ];
        Running { stdin: child.stdin.take(), child, what, start, stdout, stderr, threads, status: None, env: None }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Write `bytes` to stdin and close it, from a thread (a command that reads none of it
    /// cannot block the test). Empty: just close it.
    pub fn feed(&mut self, bytes: &[u8]) {
        let Some(mut w) = self.stdin.take() else { panic!("stdin of {} is already closed", self.what) };
        if !bytes.is_empty() {
            let bytes = bytes.to_vec();
            self.threads.push(std::thread::spawn(move || {
                let _ = w.write_all(&bytes);
            }));
        }
    }

    pub fn close_stdin(&mut self) {
        self.stdin.take();
    }

    /// stdout so far.
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    /// stdout, then stderr, so far.
    pub fn output(&self) -> String {
        self.stdout() + &String::from_utf8_lossy(&self.stderr.lock().unwrap())
    }

    /// Wait until stdout or stderr contains `text`.
    #[track_caller]
    pub fn wait_for_output(&self, text: &str, within: Duration) {
        if wait_until_or(within, || self.output().contains(text).then_some(())).is_none() {
            panic!("{text:?} not in the output of {} within {within:?}; so far: {:?}", self.what, self.output());
        }
    }

    /// The exit code once it has exited (128+N for signal N), `None` while it runs.
    pub fn exited(&mut self) -> Option<i32> {
        if self.status.is_none() {
            self.status = self.child.try_wait().expect("try_wait");
        }
        self.status.as_ref().map(exit_code)
    }

    /// Signal it while it runs (never a recycled pid: it is not reaped before `exited` says so).
    pub fn signal(&mut self, sig: &str) {
        if self.exited().is_none() {
            signal(self.pid(), sig);
        }
    }

    /// Close stdin, wait for the exit (killing it and failing after `within`), and collect what
    /// it did; stderr is checked for the secrets of the `Env` that spawned it.
    #[track_caller]
    pub fn finish(mut self, within: Duration) -> Out {
        self.close_stdin();
        let status = match self.status {
            Some(s) => s,
            None => {
                let (out, err) = (Arc::clone(&self.stdout), Arc::clone(&self.stderr));
                let so_far = move || {
                    let both = [out.lock().unwrap().as_slice(), err.lock().unwrap().as_slice()].concat();
                    format!("output so far: {:?}", String::from_utf8_lossy(&both))
                };
                wait_for_exit(&mut self.child, Instant::now() + within, &self.what, so_far)
            }
        };
        self.status = Some(status);
        let elapsed = self.start.elapsed();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let stdout = std::mem::take(&mut *self.stdout.lock().unwrap());
        let stderr = String::from_utf8_lossy(&self.stderr.lock().unwrap()).into_owned();
        let out = Out::of(std::mem::take(&mut self.what), &status, stdout, stderr, elapsed);
        if let Some(env) = self.env {
            env.assert_no_secret_in(&out.stderr, &out);
        }
        out
    }
}

/// Wait for `child` to exit; past `deadline` kill it and panic with `so_far()`.
#[track_caller]
fn wait_for_exit(child: &mut Child, deadline: Instant, what: &str, so_far: impl Fn() -> String) -> ExitStatus {
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} did not exit in time; {}", so_far());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if self.exited().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// What the program wrote to the terminal so far, and whether the terminal has closed.
#[derive(Default)]
struct Screen {
    bytes: Vec<u8>,
    closed: bool,
}

/// A program on a real pseudo-terminal: the pty is its stdin, stdout, stderr and controlling
/// terminal (it leads a new session), so `/dev/tty` prompts and `isatty` see a terminal. Killed
/// when dropped unfinished.
pub struct Pty {
    child: Child,
    what: String,
    start: Instant,
    master: File,
    screen: Arc<(Mutex<Screen>, Condvar)>,
    /// Where the previous `expect` matched: the next one searches after it.
    mark: usize,
}

impl Env {
    /// Start `tokctl args…` in this test's environment on a pseudo-terminal of its own.
    pub fn on_pty<S: AsRef<OsStr>>(&self, args: &[S]) -> Pty {
        spawn_on_pty(self.std_cmd(args))
    }

    /// Spawn a prepared command alongside the test; its stderr is checked for this test's
    /// secrets when it is finished.
    pub fn spawn(&self, c: Command) -> Running<'_> {
        let mut r = Running::spawn(c);
        r.env = Some(self);
        r
    }
}

/// Start a prepared command on a pseudo-terminal of its own (see `Env::on_pty`).
pub fn spawn_on_pty(mut c: Command) -> Pty {
    use rustix::fs::{Mode, OFlags};
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let what = format!("{c:?} on a pty");
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC).expect("open /dev/ptmx");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let size = rustix::termios::Winsize { ws_row: 24, ws_col: 80, ws_xpixel: 0, ws_ypixel: 0 };
    rustix::termios::tcsetwinsize(&master, size).expect("set the terminal size");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    // O_NOCTTY: the test process itself must not take the terminal as its own.
    let slave = rustix::fs::open(name.as_c_str(), OFlags::RDWR | OFlags::NOCTTY | OFlags::CLOEXEC, Mode::empty())
        .unwrap_or_else(|e| panic!("open {name:?}: {e}"));
    let dup = |fd: &std::os::fd::OwnedFd| Stdio::from(fd.try_clone().expect("dup the pty"));
    c.stdin(dup(&slave)).stdout(dup(&slave)).stderr(Stdio::from(slave));
    // SAFETY: the closure runs in the forked child before exec, after its stdio is in place. It
    // only makes two system calls (setsid, ioctl TIOCSCTTY on fd 0), both async-signal-safe,
    // and neither allocates nor takes a lock.
    unsafe {
        c.pre_exec(|| {
            rustix::process::setsid()?;
            rustix::process::ioctl_tiocsctty(std::os::fd::BorrowedFd::borrow_raw(0))?;
            Ok(())
        });
    }
    let start = Instant::now();
    let child = c.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    // Our copies of the terminal's far end go with the command: once the program and its
    // children have closed theirs, reading our end says so (EIO) after the last byte.
    drop(c);
    let master = File::from(master);
    let screen: Arc<(Mutex<Screen>, Condvar)> = Arc::default();
    let mut reader = master.try_clone().expect("dup the pty master");
    let shared = Arc::clone(&screen);
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    shared.0.lock().unwrap().bytes.extend_from_slice(&buf[..n]);
                    shared.1.notify_all();
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        shared.0.lock().unwrap().closed = true;
        shared.1.notify_all();
    });
    Pty { child, what, start, master, screen, mark: 0 }
}

impl Pty {
    /// Wait until the transcript (everything the program wrote to the terminal so far) contains
    /// `text` after the previous expect's match point; panics with the transcript after `within`.
    #[track_caller]
    pub fn expect(&mut self, text: &str, within: Duration) {
        let deadline = Instant::now() + within;
        let (lock, cv) = &*self.screen;
        let mut screen = lock.lock().unwrap();
        loop {
            if let Some(i) = find(&screen.bytes[self.mark..], text.as_bytes()) {
                self.mark += i + text.len();
                return;
            }
            let now = Instant::now();
            if screen.closed || now >= deadline {
                let why = if screen.closed { "the terminal closed first" } else { "timed out" };
                panic!(
                    "{text:?} did not appear within {within:?} ({why}) on {}\ntranscript: {:?}",
                    self.what,
                    String::from_utf8_lossy(&screen.bytes)
                );
            }
            screen = cv.wait_timeout(screen, deadline - now).unwrap().0;
        }
    }

    /// Wait until the program has turned the terminal's echo off, as a password prompt does
    /// before it reads. A prompt is printed before echo goes off, so text typed right after
    /// `expect(prompt)` may still be echoed by the terminal itself: wait for this first.
    #[track_caller]
    pub fn wait_echo_off(&self, within: Duration) {
        use rustix::termios::{LocalModes, tcgetattr};
        wait_until(format!("echo off on the terminal of {}", self.what), within, || {
            let t = tcgetattr(&self.master).expect("tcgetattr on the pty");
            (!t.local_modes.contains(LocalModes::ECHO)).then_some(())
        })
    }

    /// Type bytes at the terminal.
    #[track_caller]
    pub fn send(&mut self, text: &str) {
        self.master.write_all(text.as_bytes()).and_then(|_| self.master.flush()).expect("write to the pty");
    }

    /// Close our side's input (type ^D when the program still runs and the terminal is in
    /// line mode, where it means end of file), wait for the exit (panics after `within`) and for
    /// the last byte on the terminal; `Out` with stdout = the full transcript, code = exit code.
    #[track_caller]
    pub fn finish(mut self, within: Duration) -> Out {
        use rustix::termios::{LocalModes, tcgetattr};
        let deadline = Instant::now() + within;
        if self.child.try_wait().expect("try_wait").is_none()
            && tcgetattr(&self.master).is_ok_and(|t| t.local_modes.contains(LocalModes::ICANON))
        {
            let _ = self.master.write_all(b"\x04");
        }
        let screen = Arc::clone(&self.screen);
        let so_far = move || format!("transcript: {:?}", String::from_utf8_lossy(&screen.0.lock().unwrap().bytes));
        let status = wait_for_exit(&mut self.child, deadline, &self.what, so_far);
        let elapsed = self.start.elapsed();
        let (lock, cv) = &*self.screen;
        let mut screen = lock.lock().unwrap();
        while !screen.closed {
            let now = Instant::now();
            assert!(
                now < deadline,
                "{} exited but something still holds its terminal open\ntranscript: {:?}",
                self.what,
                String::from_utf8_lossy(&screen.bytes)
            );
            screen = cv.wait_timeout(screen, deadline - now).unwrap().0;
        }
        let transcript = std::mem::take(&mut screen.bytes);
        Out::of(std::mem::take(&mut self.what), &status, transcript, String::new(), elapsed)
    }

    /// The transcript so far.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.screen.0.lock().unwrap().bytes).into_owned()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Where `needle` first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}
