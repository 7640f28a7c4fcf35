//! Running a `command` provider's hook: without a shell, in a session of its own with no
//! controlling terminal (it is not interactive), the token's secret on stdin and nowhere else,
//! the environment `exec` gives a command (no vault key, passphrase or age identity, no
//! unlock-cache keyring) plus what the hook is told, stdout and stderr read up to a cap, and
//! one deadline for all of it: at the deadline its process group is killed and tokctl goes on
//! with what it read, even when a process the hook left behind (in a session of its own) still
//! holds its output open.

use std::io::{Read, Write};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::error::Result;
use crate::secret::Secret;

/// The most of a hook's stdout or stderr that is kept; more is read and dropped.
const MAX_OUTPUT: usize = 64 * 1024;

/// How a hook ended.
pub struct Ran {
    /// Its exit status; `None` when it was killed (by tokctl at the deadline, or by a signal).
    pub code: Option<i32>,
    /// The deadline passed: the hook, or what it left holding its output, was still running.
    pub timed_out: bool,
    /// It wrote more than `MAX_OUTPUT` to stdout or stderr.
    pub overflow: bool,
    pub stdout: Zeroizing<Vec<u8>>,
    pub stderr: Vec<u8>,
}

/// Read `from` to its end into `into`, keeping at most `MAX_OUTPUT` bytes; then say so on `done`.
fn drain(
    mut from: impl Read + Send + 'static,
    into: Arc<Mutex<Zeroizing<Vec<u8>>>>,
    over: Arc<AtomicBool>,
    done: mpsc::Sender<()>,
) {
    std::thread::spawn(move || {
        let mut buf = Zeroizing::new([0u8; 8192]);
        while let Ok(n) = from.read(&mut buf[..]) {
            if n == 0 {
                break;
            }
            let mut kept = into.lock().expect("not poisoned");
            let room = MAX_OUTPUT.saturating_sub(kept.len());
            kept.extend_from_slice(&buf[..n.min(room)]);
            if n > room {
                over.store(true, Ordering::Relaxed);
            }
        }
        let _ = done.send(());
    });
}

/// Run `words` with `secret` and a newline on stdin and `vars` added to its environment, for at
/// most `timeout` in all. A hook that cannot be started is an error (exit 1) saying why.
pub fn run(words: &[String], secret: &Secret, vars: &[(&str, String)], timeout: Duration) -> Result<Ran> {
    let argv: Vec<std::ffi::OsString> = words.iter().map(Into::into).collect();
    let mut cmd = super::command(&argv, &[]);
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        super::prepare_child(&mut cmd, None);
        // SAFETY: runs between fork and exec; setsid is one system call through rustix, which
        // neither allocates nor takes a lock.
        unsafe {
            cmd.pre_exec(|| rustix::process::setsid().map(|_| ()).map_err(std::io::Error::from));
        }
    }
    let mut child = cmd.spawn().map_err(|e| {
        anyhow::anyhow!(
            "cannot run {}: {e}\nhooks run without a shell: give the program's absolute path, and make it executable",
            crate::text::escape(&words[0])
        )
    })?;
    let deadline = Instant::now() + timeout;
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("piped");
    let input = Zeroizing::new(format!("{}\n", secret.expose()));
    // A hook that never reads its stdin must not block tokctl: write from a thread.
    std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let (out, err) =
        (Arc::new(Mutex::new(Zeroizing::new(Vec::new()))), Arc::new(Mutex::new(Zeroizing::new(Vec::new()))));
    let over = Arc::new(AtomicBool::new(false));
    let (done, finished) = mpsc::channel();
    drain(child.stdout.take().expect("piped"), Arc::clone(&out), Arc::clone(&over), done.clone());
    drain(child.stderr.take().expect("piped"), Arc::clone(&err), Arc::clone(&over), done);
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if Instant::now() >= deadline {
            timed_out = true;
            kill_group(pid);
            break child.wait().ok();
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    // Its output ends when every process holding it has gone: what stayed in its group goes now.
    kill_group(pid);
    for _ in 0..2 {
        let left = deadline.saturating_duration_since(Instant::now());
        if finished.recv_timeout(left).is_err() {
            // Still held open by a process that left the group: go on without waiting for it.
            timed_out = true;
            break;
        }
    }
    let stdout = Zeroizing::new(out.lock().expect("not poisoned").to_vec());
    let stderr = err.lock().expect("not poisoned").to_vec();
    let overflow = over.load(Ordering::Relaxed);
    Ok(Ran { code: status.and_then(|s| s.code()).filter(|_| !timed_out), timed_out, overflow, stdout, stderr })
}

#[cfg(unix)]
fn kill_group(pid: u32) {
    if let Some(p) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process_group(p, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_: u32) {}
