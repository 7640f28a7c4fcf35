//! Running a `command` provider's hook: without a shell, in a session of its own with no
//! controlling terminal (it is not interactive), the token's secret on stdin and nowhere else,
//! the environment `exec` gives a command (no vault key, passphrase or age identity, no
//! unlock-cache keyring) plus what the hook is told, stdout and stderr read in full up to a cap,
//! and a deadline after which its whole process group is killed.

use std::io::{Read, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::error::Result;
use crate::secret::Secret;

/// The most a hook's stdout or stderr is read.
const MAX_OUTPUT: u64 = 64 * 1024;

/// How a hook ended.
pub struct Ran {
    /// Its exit status; `None` when it was killed (by tokctl at the deadline, or by a signal).
    pub code: Option<i32>,
    pub timed_out: bool,
    pub stdout: Zeroizing<Vec<u8>>,
    pub stderr: Vec<u8>,
}

/// Run `words` with `secret` and a newline on stdin and `vars` added to its environment, for at
/// most `timeout`.
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
    let mut child = cmd.spawn().map_err(|e| super::start_failure(&argv[0], &e))?;
    let pid = child.id();
    let mut stdin = child.stdin.take().expect("piped");
    let input = Zeroizing::new(format!("{}\n", secret.expose()));
    // A hook that never reads its stdin must not block tokctl: write from a thread.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut buf = Zeroizing::new(Vec::new());
        let _ = (&mut out).take(MAX_OUTPUT).read_to_end(&mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut err).take(MAX_OUTPUT).read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + timeout;
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
    // The hook's own children may hold its pipes open: they go with its process group.
    kill_group(pid);
    let _ = writer.join();
    let stdout = reader.join().unwrap_or_default();
    let stderr = err_reader.join().unwrap_or_default();
    Ok(Ran { code: status.and_then(|s| s.code()).filter(|_| !timed_out), timed_out, stdout, stderr })
}

#[cfg(unix)]
fn kill_group(pid: u32) {
    if let Some(p) = rustix::process::Pid::from_raw(pid as i32) {
        let _ = rustix::process::kill_process_group(p, rustix::process::Signal::KILL);
    }
}

#[cfg(not(unix))]
fn kill_group(_: u32) {}
