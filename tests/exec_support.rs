//! Support for the `exec`, `env` and `bundle` tests: one temp world per test, a clean
//! environment for tokctl, and a check that no secret ever reaches tokctl's stderr.
//!
//! Kept apart from `util.rs` on purpose: these tests drive child processes (signals, ptys,
//! streaming) and need a few helpers nobody else does.

use std::cell::RefCell;
use std::ffi::OsStr;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_tokctl");

/// A fresh random vault key in `tokctl key export` format (`tokctl-key-v1-` + base64url of 32
/// bytes). A vault created while `TOKCTL_VAULT_KEY` is set takes that key: no Argon2, no keyring.
pub fn random_key() -> String {
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).expect("read /dev/urandom");
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::from("tokctl-key-v1-");
    for chunk in b.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &x)| acc | (u32::from(x) << (16 - 8 * i)));
        for i in 0..=chunk.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// POSIX single-quoting, for building `script -c` command lines.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// One user's world: a temp dir with HOME, a vault path, and the variables tokctl gets.
pub struct World {
    _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub home: PathBuf,
    pub vault: PathBuf,
    /// Set on every tokctl this world runs (after TOKCTL_* and NO_COLOR were cleared).
    pub vars: Vec<(String, String)>,
    /// Every secret and key this test has seen: none may ever appear on tokctl's stderr.
    secrets: RefCell<Vec<String>>,
}

impl World {
    /// Env-key mode: `TOKCTL_VAULT_KEY` = a fresh key and `TOKCTL_KEYRING=none`. Fast.
    pub fn env_key() -> World {
        let mut w = World::bare();
        let key = random_key();
        w.remember(&key);
        w.vars.push(("TOKCTL_KEYRING".into(), "none".into()));
        w.vars.push(("TOKCTL_VAULT_KEY".into(), key));
        w
    }

    /// A user whose vault key lives in the real OS keyring (the private gnome-keyring of
    /// `.ci/with-keyring`).
    pub fn keyring() -> World {
        assert!(
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
            "this test needs a Secret Service: run it under .ci/with-keyring"
        );
        World::bare()
    }

    fn bare() -> World {
        let tmp = tempfile::Builder::new().prefix("tokctl-exec-").tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        let home = root.join("home");
        std::fs::create_dir(&home).expect("home");
        let vault = root.join("vault").join("vault.toml");
        World { _tmp: tmp, root, home, vault, vars: Vec::new(), secrets: RefCell::new(Vec::new()) }
    }

    pub fn key(&self) -> Option<&str> {
        self.vars.iter().find(|(k, _)| k == "TOKCTL_VAULT_KEY").map(|(_, v)| v.as_str())
    }

    pub fn remember(&self, secret: &str) {
        self.secrets.borrow_mut().push(secret.to_string());
    }

    /// `program args…` with this world's clean environment; cwd is the world's root.
    pub fn std_program(&self, program: impl AsRef<OsStr>) -> StdCommand {
        let mut c = StdCommand::new(program);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("TOKCTL_") || k == "NO_COLOR" || k.starts_with("XDG_") || k.starts_with("GITHUB_") {
                c.env_remove(k.as_ref());
            }
        }
        // `script` runs its line with $SHELL: pin it so the caller's login shell changes nothing.
        c.env("HOME", &self.home).env("SHELL", "/bin/sh").env("TOKCTL_VAULT", &self.vault).current_dir(&self.root);
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// tokctl with this world's environment.
    pub fn std_cmd(&self) -> StdCommand {
        self.std_program(BIN)
    }

    /// tokctl as an `assert_cmd` command.
    pub fn cmd(&self) -> assert_cmd::Command {
        assert_cmd::Command::from_std(self.std_cmd())
    }

    /// Run a prepared tokctl to completion (stdin empty unless given), checking its stderr.
    pub fn run(&self, mut c: assert_cmd::Command) -> Output {
        let out = c.timeout(Duration::from_secs(60)).output().expect("run tokctl");
        self.check_stderr(&out.stderr);
        out
    }

    /// Run `tokctl args…` and return its output (stderr already checked for secrets).
    pub fn tokctl(&self, args: &[&str]) -> Output {
        let mut c = self.cmd();
        c.args(args);
        self.run(c)
    }

    /// Run `tokctl args…` and insist it succeeds.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.tokctl(args);
        assert_eq!(code(&out), Some(0), "tokctl {args:?} failed:\n{}", text(&out.stderr));
        out
    }

    /// Run and insist on one exit code.
    pub fn fails(&self, args: &[&str], want: i32) -> Output {
        let out = self.tokctl(args);
        assert_eq!(
            code(&out),
            Some(want),
            "tokctl {args:?}: stdout {:?} stderr {:?}",
            text(&out.stdout),
            text(&out.stderr)
        );
        out
    }

    /// No secret or key of this test in `stderr`.
    pub fn check_stderr(&self, stderr: &[u8]) {
        let err = text(stderr);
        for s in self.secrets.borrow().iter() {
            assert!(!err.contains(s.as_str()), "a secret reached tokctl's stderr: {err:?}");
        }
    }

    /// `tokctl create NAME extra…`: the minted secret.
    pub fn create(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", "--force", name];
        args.extend_from_slice(extra);
        let out = self.ok(&args);
        let secret = text(&out.stdout).trim_end().to_string();
        assert!(secret.starts_with("tok_"), "create printed {secret:?}");
        self.remember(&secret);
        secret
    }

    /// `tokctl create NAME --expires 30d` with the clock at 2020-01-01: a token expired today.
    pub fn create_expired(&self, name: &str, extra: &[&str]) -> String {
        let mut c = self.std_program("faketime");
        c.args(["-m", "2020-01-01 00:00:00", BIN, "create", "--force", name, "--expires", "30d"]).args(extra);
        let out = assert_cmd::Command::from_std(c).timeout(Duration::from_secs(60)).output().expect("faketime");
        self.check_stderr(&out.stderr);
        assert_eq!(code(&out), Some(0), "faketime create: {}", text(&out.stderr));
        let secret = text(&out.stdout).trim_end().to_string();
        self.remember(&secret);
        secret
    }

    /// `tokctl import NAME extra…` with the secret on stdin.
    pub fn import(&self, name: &str, secret: &str, extra: &[&str]) {
        self.remember(secret);
        let mut c = self.cmd();
        c.arg("import").arg(name).args(extra).write_stdin(format!("{secret}\n"));
        let out = self.run(c);
        assert_eq!(code(&out), Some(0), "import {name}: {}", text(&out.stderr));
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

pub fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

/// The status a shell would show in `$?`: 128+N for a death by signal N.
pub fn shell_status(s: &ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    s.code().unwrap_or_else(|| 128 + s.signal().expect("a code or a signal"))
}

/// Wait for a file to appear (a child saying it has started).
pub fn wait_for_file(p: &Path, within: Duration) -> String {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(s) = std::fs::read_to_string(p)
            && s.ends_with('\n')
        {
            return s;
        }
        assert!(Instant::now() < deadline, "{} did not appear within {within:?}", p.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Wait for a child with a deadline; kills it and panics when it overruns.
pub fn wait_timeout(child: &mut Child, within: Duration) -> ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("process {} did not exit within {within:?}", child.id());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Send a signal by name with kill(1).
pub fn kill(pid: u32, sig: &str) {
    let st = StdCommand::new("kill").arg(format!("-{sig}")).arg(pid.to_string()).status().expect("kill(1)");
    assert!(st.success(), "kill -{sig} {pid} failed");
}

/// A spawned tokctl whose stdout/stderr are collected on threads.
pub struct Running {
    pub child: Child,
    out: Option<std::thread::JoinHandle<Vec<u8>>>,
    err: Option<std::thread::JoinHandle<Vec<u8>>>,
}

impl Running {
    pub fn spawn(mut c: StdCommand) -> Running {
        c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn tokctl");
        let mut o = child.stdout.take().unwrap();
        let mut e = child.stderr.take().unwrap();
        let out = Some(std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = o.read_to_end(&mut v);
            v
        }));
        let err = Some(std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = e.read_to_end(&mut v);
            v
        }));
        Running { child, out, err }
    }

    /// Wait (with a deadline) and return status, stdout, stderr.
    pub fn finish(mut self, within: Duration) -> (ExitStatus, String, String) {
        let st = wait_timeout(&mut self.child, within);
        let out = self.out.take().unwrap().join().unwrap();
        let err = self.err.take().unwrap().join().unwrap();
        (st, text(&out), text(&err))
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A tmpfs mounted on a directory; unmounted (lazily) on drop, also when the test panics.
pub struct Mount(pub PathBuf);

impl Mount {
    /// `mount -t tmpfs`; the error text when this machine refuses it.
    pub fn tmpfs(dir: &Path) -> Result<Mount, String> {
        let out = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", "size=4m", "tokctl-test"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount -t tmpfs refused: {}", text(&out.stderr).trim()));
        }
        Ok(Mount(dir.to_path_buf()))
    }

    pub fn remount_ro(&self) -> Result<(), String> {
        let out = StdCommand::new("mount")
            .args(["-o", "remount,ro"])
            .arg(&self.0)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!("mount -o remount,ro refused: {}", text(&out.stderr).trim()));
        }
        Ok(())
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Bytes and modification time of a file, to prove nothing wrote it.
pub fn fingerprint(p: &Path) -> (Vec<u8>, std::time::SystemTime) {
    let bytes = std::fs::read(p).expect("read file");
    let mtime = std::fs::metadata(p).and_then(|m| m.modified()).expect("mtime");
    (bytes, mtime)
}

/// Names in a directory, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}
