//! Test support: each test gets its own temp dir, vault path and a clean environment.
//!
//! `Env` owns a temp dir with `HOME` and the vault (`<tmp>/vault/vault.toml`) inside it, and builds
//! `tokctl` commands whose environment holds none of the variables tokctl reads except what the
//! test sets. `DBUS_SESSION_BUS_ADDRESS` is kept, so keyring tests reach the private Secret Service
//! started by `.ci/with-keyring`. When a test fails, its temp dir is kept and its path printed.
#![allow(dead_code)] // every test module uses a different part of this

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{self, Stdio};
use std::sync::OnceLock;

pub use assert_cmd::Command;
pub use predicates::prelude::*;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_tokctl");

/// Every environment variable tokctl reads. Stripped from each command before the test's own.
pub const READ_BY_TOKCTL: &[&str] =
    &["TOKCTL_VAULT_KEY", "TOKCTL_PASSPHRASE", "TOKCTL_KEYRING", "TOKCTL_KEYRING_TIMEOUT", "TOKCTL_VAULT", "NO_COLOR"];

/// A minted secret with the default prefix.
pub const MINTED: &str = r"^tok_[0-9A-Za-z]{36}$";

/// How this test's tokctl finds its vault key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// The real OS keyring (gnome-keyring on the private D-Bus session).
    Keyring,
    /// `TOKCTL_VAULT_KEY` set to a fresh key and `TOKCTL_KEYRING=none`: fast, no keyring at all.
    EnvKey,
    /// No keyring at all and nothing set: the test sets what it needs.
    Bare,
}

/// One test's world: a temp dir, a vault path in it, and a clean environment for tokctl.
pub struct Env {
    tmp: Option<tempfile::TempDir>,
    pub root: PathBuf,
    pub home: PathBuf,
    pub vault: PathBuf,
    /// Variables set on every command, after the ones tokctl reads were removed.
    vars: Vec<(String, String)>,
}

impl Env {
    /// A user with a working OS keyring. Panics when no Secret Service is reachable.
    pub fn keyring() -> Env {
        require_keyring();
        Env::new(Mode::Keyring)
    }

    /// Env-key mode: `TOKCTL_VAULT_KEY` holds a fresh key, `TOKCTL_KEYRING=none`.
    pub fn env_key() -> Env {
        Env::new(Mode::EnvKey)
    }

    /// No key source at all: `TOKCTL_KEYRING=none`, the test adds a passphrase or key.
    pub fn bare() -> Env {
        Env::new(Mode::Bare)
    }

    pub fn new(mode: Mode) -> Env {
        let tmp = tempfile::Builder::new().prefix("tokctl-test-").tempdir().expect("temp dir");
        let root = tmp.path().to_path_buf();
        let home = root.join("home");
        std::fs::create_dir(&home).expect("home dir");
        let vault = root.join("vault").join("vault.toml");
        let mut env = Env { tmp: Some(tmp), root, home, vault, vars: Vec::new() };
        match mode {
            Mode::Keyring => {}
            Mode::EnvKey => {
                env.set("TOKCTL_KEYRING", "none");
                env.set("TOKCTL_VAULT_KEY", &random_key());
            }
            Mode::Bare => {
                env.set("TOKCTL_KEYRING", "none");
            }
        }
        env
    }

    /// Set a variable on every later command.
    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        self.vars.retain(|(x, _)| x != k);
        self.vars.push((k.to_string(), v.to_string()));
        self
    }

    /// Stop setting a variable (it stays removed when tokctl reads it).
    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.vars.retain(|(x, _)| x != k);
        self
    }

    pub fn var(&self, k: &str) -> Option<&str> {
        self.vars.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str())
    }

    /// A `std` command running `program args…` in this test's environment.
    pub fn std_cmd_of<S: AsRef<OsStr>>(&self, program: impl AsRef<OsStr>, args: &[S]) -> process::Command {
        let mut c = process::Command::new(program);
        c.args(args);
        for v in READ_BY_TOKCTL {
            c.env_remove(v);
        }
        // `script` runs its line with $SHELL: pin it so the caller's login shell changes nothing.
        c.env("HOME", &self.home)
            .env("SHELL", "/bin/sh")
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("TOKCTL_VAULT", &self.vault)
            .current_dir(&self.root);
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        c
    }

    /// A `std` command running tokctl.
    pub fn std_cmd<S: AsRef<OsStr>>(&self, args: &[S]) -> process::Command {
        self.std_cmd_of(BIN, args)
    }

    /// An `assert_cmd` command running tokctl with `args`, for `.assert()` with predicates.
    pub fn cmd<S: AsRef<OsStr>>(&self, args: &[S]) -> Command {
        let mut c = Command::from_std(self.std_cmd(args));
        c.timeout(std::time::Duration::from_secs(60));
        c
    }

    /// Run tokctl with `stdin` (closed when empty) and collect what happened.
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> Out {
        run_std(self.std_cmd(args), stdin)
    }

    /// Run tokctl expecting exit 0; returns stdout.
    pub fn ok<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> String {
        let out = self.run(args, stdin);
        assert_eq!(out.code, 0, "expected success\n{out}");
        out.stdout
    }

    /// Run tokctl expecting exit `code`; returns what happened.
    pub fn fails<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8], code: i32) -> Out {
        let out = self.run(args, stdin);
        assert_eq!(out.code, code, "expected exit {code}\n{out}");
        assert!(out.stderr.starts_with("tokctl: ") || code == 2, "an error starts with `tokctl:`\n{out}");
        out
    }

    /// `tokctl create NAME …`: the minted secret, checked for its shape. `--force`, so tests
    /// may mint under providers' names (expo, gh…) too.
    pub fn create(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", "--force", name];
        args.extend_from_slice(extra);
        let s = self.ok(&args, b"");
        let secret = s.strip_suffix('\n').unwrap_or_else(|| panic!("create prints one line: {s:?}")).to_string();
        assert!(!secret.contains('\n'), "create prints one line: {s:?}");
        secret
    }

    /// `tokctl import NAME …` with `secret` on stdin.
    pub fn import(&self, name: &str, secret: &str, extra: &[&str]) {
        let mut args = vec!["import", name];
        args.extend_from_slice(extra);
        let out = self.ok(&args, secret.as_bytes());
        assert_eq!(out, "", "import prints nothing on stdout");
    }

    /// `tokctl get -n NAME`: the secret.
    pub fn get(&self, name: &str) -> String {
        self.ok(&["get", "-n", name], b"")
    }

    /// Run tokctl expecting exit 0 and JSON on stdout.
    pub fn json<S: AsRef<OsStr>>(&self, args: &[S]) -> serde_json::Value {
        let out = self.run(args, b"");
        assert_eq!(out.code, 0, "expected success\n{out}");
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("not JSON ({e})\n{out}"))
    }

    /// `list --all --json` as name → record.
    pub fn records(&self) -> BTreeMap<String, serde_json::Value> {
        let v = self.json(&["list", "--all", "--json"]);
        v.as_array()
            .expect("list --json is an array")
            .iter()
            .map(|r| (r["name"].as_str().expect("a name").to_string(), r.clone()))
            .collect()
    }

    /// The names in the vault (`list --all --json`).
    pub fn names(&self) -> Vec<String> {
        self.records().into_keys().collect()
    }

    /// `tokctl key export`, checked for its shape.
    pub fn export_key(&self) -> String {
        let out = self.ok(&["key", "export"], b"");
        let key = out.trim_end_matches('\n').to_string();
        assert!(key.starts_with("tokctl-key-v1-") && !key.contains('\n'), "key export prints one key: {out:?}");
        key
    }

    pub fn vault_bytes(&self) -> Vec<u8> {
        std::fs::read(&self.vault).unwrap_or_else(|e| panic!("read {}: {e}", self.vault.display()))
    }

    pub fn log_path(&self) -> PathBuf {
        sibling(&self.vault, ".log")
    }

    /// The vault id from the file's plain header (`vault_id = "v_…"`).
    pub fn vault_id(&self) -> String {
        let text = String::from_utf8(self.vault_bytes()).expect("the vault is text");
        text.lines()
            .find_map(|l| l.strip_prefix("vault_id = \"")?.strip_suffix('"').map(str::to_string))
            .expect("the header names the vault id")
    }

    /// Every file and directory under the temp dir, with the files' bytes.
    pub fn snapshot(&self) -> Snapshot {
        snapshot(&self.root)
    }

    /// A file in the temp dir, e.g. a dotenv file to import.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let p = self.root.join(name);
        std::fs::write(&p, bytes).expect("write a test file");
        p
    }

    /// Leftover temp files of the atomic writer in the vault's directory.
    pub fn temp_files(&self) -> Vec<String> {
        let dir = self.vault.parent().expect("the vault has a directory");
        match std::fs::read_dir(dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.') && n.contains(".tokctl-") && n.ends_with(".tmp"))
                .collect(),
            Err(_) => Vec::new(),
        }
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Some(tmp) = self.tmp.take()
        {
            let kept = tmp.keep();
            eprintln!("tokctl test dir kept for inspection: {}", kept.display());
        }
    }
}

/// What one run of a command did.
pub struct Out {
    pub what: String,
    /// The exit code; 128+N when killed by signal N.
    pub code: i32,
    pub stdout: String,
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
    pub elapsed: std::time::Duration,
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}", self.what)?;
        writeln!(f, "exit:    {} (after {:?})", self.code, self.elapsed)?;
        writeln!(f, "stdout:  {:?}", self.stdout)?;
        write!(f, "stderr:  {:?}", self.stderr)
    }
}

/// Run a command to completion with `stdin` (an empty one is closed at once).
pub fn run_std(mut c: process::Command, stdin: &[u8]) -> Out {
    let what = format!("{:?}", c);
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let start = std::time::Instant::now();
    let mut child = c.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
    let mut w = child.stdin.take().expect("stdin");
    let input = stdin.to_vec();
    // A writer thread, so a command that does not read all of stdin cannot deadlock the test.
    let feeder = std::thread::spawn(move || {
        let _ = w.write_all(&input);
    });
    let out = child.wait_with_output().unwrap_or_else(|e| panic!("wait {what}: {e}"));
    let _ = feeder.join();
    Out::of(what, out, start)
}

impl Out {
    /// A finished process's outcome, timed from `start`.
    pub fn of(what: String, out: process::Output, start: std::time::Instant) -> Out {
        Out {
            what,
            code: exit_code(&out.status),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stdout_bytes: out.stdout,
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            elapsed: start.elapsed(),
        }
    }
}

pub fn exit_code(s: &process::ExitStatus) -> i32 {
    use std::os::unix::process::ExitStatusExt;
    s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0))
}

pub fn sibling(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Every path under a directory: files with their bytes, directories as `None`.
#[derive(Clone, PartialEq, Eq)]
pub struct Snapshot(pub BTreeMap<PathBuf, Option<Vec<u8>>>);

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (p, b) in &self.0 {
            match b {
                None => writeln!(f, "  {}/", p.display())?,
                Some(b) => writeln!(f, "  {} ({} bytes)", p.display(), b.len())?,
            }
        }
        Ok(())
    }
}

impl Snapshot {
    /// How `after` differs from `self`, in words; empty when byte-for-byte equal.
    pub fn diff(&self, after: &Snapshot) -> String {
        let mut d = String::new();
        for (p, b) in &self.0 {
            match after.0.get(p) {
                None => d.push_str(&format!("removed {}\n", p.display())),
                Some(a) if a != b => d.push_str(&format!("changed {}\n", p.display())),
                _ => {}
            }
        }
        for p in after.0.keys() {
            if !self.0.contains_key(p) {
                d.push_str(&format!("added   {}\n", p.display()));
            }
        }
        d
    }
}

pub fn snapshot(root: &Path) -> Snapshot {
    fn walk(root: &Path, dir: &Path, into: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
        let Ok(rd) = std::fs::read_dir(dir) else { return };
        for e in rd.flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).expect("under root").to_path_buf();
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                into.insert(rel, None);
                walk(root, &p, into);
            } else {
                into.insert(rel, std::fs::read(&p).ok());
            }
        }
    }
    let mut m = BTreeMap::new();
    walk(root, root, &mut m);
    Snapshot(m)
}

/// Assert that nothing under the snapshot's directory changed, byte for byte.
#[track_caller]
pub fn assert_unchanged(before: &Snapshot, after: &Snapshot, context: &dyn fmt::Display) {
    let d = before.diff(after);
    assert!(d.is_empty(), "the directory changed:\n{d}after:\n{context}");
}

/// A fresh vault key in the exported text form, made without tokctl.
pub fn random_key() -> String {
    let mut b = [0u8; 32];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).expect("/dev/urandom");
    format!("tokctl-key-v1-{}", b64url(&b))
}

fn b64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
        }
    }
    out
}

/// Panic unless a Secret Service answers on the session bus.
pub fn require_keyring() {
    static CHECK: OnceLock<Result<(), String>> = OnceLock::new();
    let r = CHECK.get_or_init(|| {
        if std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_none() {
            return Err("DBUS_SESSION_BUS_ADDRESS is not set".into());
        }
        let out = process::Command::new("dbus-send")
            .args([
                "--session",
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .map_err(|e| format!("cannot run dbus-send: {e}"))?;
        if String::from_utf8_lossy(&out.stdout).contains("boolean true") {
            Ok(())
        } else {
            Err(format!(
                "org.freedesktop.secrets has no owner on the session bus: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ))
        }
    });
    if let Err(why) = r {
        panic!(
            "this test needs a real Secret Service and none is reachable ({why}): \
             run under .ci/with-keyring, e.g. `.ci/with-keyring cargo test`"
        );
    }
}

/// `secret-tool ARGS…` on the test session's keyring.
pub fn secret_tool(args: &[&str]) -> process::Output {
    require_keyring();
    process::Command::new("secret-tool").args(args).output().expect("run secret-tool (package libsecret-tools)")
}

/// The key the OS keyring holds for a vault id, if any.
pub fn keyring_key(vault_id: &str) -> Option<String> {
    let out = secret_tool(&["lookup", "service", "tokctl", "username", vault_id]);
    let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
    (out.status.success() && !s.is_empty()).then_some(s)
}

/// How many keyring entries are labelled with this vault path (tokctl labels each entry
/// `tokctl vault key (<path>)`).
pub fn keyring_entries_for(vault: &Path) -> usize {
    let out = secret_tool(&["search", "--all", "service", "tokctl"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    let label = format!("label = tokctl vault key ({})", vault.display());
    text.lines().filter(|l| l.trim() == label).count()
}

/// A tiny xorshift generator: random moments and positions without a `rand` dependency.
pub struct Rng(u64);

impl Rng {
    pub fn seeded() -> Rng {
        let mut b = [0u8; 8];
        std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).expect("/dev/urandom");
        Rng(u64::from_le_bytes(b) | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[test]
fn the_key_encoder_matches_the_exported_form() {
    // 32 bytes → 43 base64url characters without padding, as `tokctl key export` prints.
    let k = random_key();
    assert_eq!(k.len(), "tokctl-key-v1-".len() + 43, "{k}");
    assert_eq!(b64url(b"\xfb\xff"), "-_8");
    assert_eq!(b64url(b"Man"), "TWFu");
}

/// Seconds since the epoch, now.
pub fn now() -> i64 {
    jiff::Timestamp::now().as_second()
}

/// An RFC 3339 time from `--json` output, as seconds since the epoch.
#[track_caller]
pub fn epoch(v: &serde_json::Value) -> i64 {
    let s = v.as_str().unwrap_or_else(|| panic!("expected an RFC 3339 time, got {v}"));
    s.parse::<jiff::Timestamp>().unwrap_or_else(|e| panic!("'{s}' is not RFC 3339: {e}")).as_second()
}

/// Assert `t` is `want` give or take `slack` seconds.
#[track_caller]
pub fn assert_near(t: i64, want: i64, slack: i64, what: &str) {
    assert!((t - want).abs() <= slack, "{what}: {t} is not within {slack} s of {want} (off by {} s)", t - want);
}
