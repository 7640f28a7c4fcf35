//! Test support: one `Env` per test, the commands it runs, and what they did.
//!
//! `Env` owns a temp dir with `HOME` and the vault (`<tmp>/vault/vault.toml`) inside it, and builds
//! commands whose environment holds none of the variables tokctl reads except what the test sets.
//! `DBUS_SESSION_BUS_ADDRESS` is kept, so keyring tests reach the private Secret Service started
//! by `.ci/with-keyring`. When a test fails, its temp dir is kept and its path printed.
//!
//! `Env` remembers every secret and key the test made, imported, read or registered, and every
//! run through `Env` (`run`, `ok`, `fails`, `cmd`, `spawn`…) fails the test when one of them shows
//! up on stderr. `run_std` runs a command without that check: the explicit way out.
//!
//! The rest lives in `proc` (processes, signals, waiting, the pty driver), `mount` (tmpfs) and
//! `keyring` (the Secret Service).
#![allow(dead_code)] // every test module uses a different part of this

pub mod age;
pub mod bao;
pub mod forge;
pub mod keyring;
pub mod mount;
pub mod proc;
pub mod session;
pub mod verdaccio;

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{self, ExitStatus};
use std::sync::Mutex;
use std::time::Duration;

pub use assert_cmd::assert::Assert;
pub use keyring::*;
pub use mount::*;
pub use predicates::prelude::*;
pub use proc::*;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_tokctl");

/// How long one tokctl run may take before the test calls it hung (the host is slow at times).
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// A minted secret with the default prefix.
pub const MINTED: &str = r"^tok_[0-9A-Za-z]{36}$";

/// Secrets shorter than this are not remembered: too short to tell a leak from an ordinary word
/// ("short" is a passphrase some tests are refused for, and also a word in the refusal).
const MIN_REMEMBERED: usize = 8;

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

/// One test's world: a temp dir, a vault path in it, a clean environment for tokctl, and the
/// secrets that must never reach stderr.
pub struct Env {
    tmp: Option<tempfile::TempDir>,
    pub root: PathBuf,
    pub home: PathBuf,
    pub vault: PathBuf,
    /// Variables set on every command, after the inherited ones tokctl reads were removed.
    vars: Vec<(String, String)>,
    secrets: Mutex<Vec<String>>,
    /// The login session every command runs in; none (the per-user session keyring) unless
    /// `in_session` made one.
    pub session: Option<session::Session>,
}

impl Env {
    /// A user with a working OS keyring. Panics when no Secret Service is reachable.
    pub fn keyring() -> Env {
        require_keyring();
        Env::new(Mode::Keyring)
    }

    /// Env-key mode: `TOKCTL_VAULT_KEY` holds a fresh key, `TOKCTL_KEYRING=none`. A vault created
    /// this way takes that key: no Argon2, no keyring.
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
        let mut env =
            Env { tmp: Some(tmp), root, home, vault, vars: Vec::new(), secrets: Mutex::new(Vec::new()), session: None };
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

    /// Run every later command in a login session of this test's own (see `session`), where the
    /// unlock cache is usable.
    pub fn in_session(&mut self) -> &mut Self {
        self.session = Some(session::Session::start());
        self
    }

    /// Set a variable on every later command. A key or passphrase set this way is remembered.
    pub fn set(&mut self, k: &str, v: &str) -> &mut Self {
        if k == "TOKCTL_VAULT_KEY" || k == "TOKCTL_PASSPHRASE" {
            self.remember(v);
        }
        self.vars.retain(|(x, _)| x != k);
        self.vars.push((k.to_string(), v.to_string()));
        self
    }

    /// Stop setting a variable (it stays removed when it is one tokctl reads).
    pub fn unset(&mut self, k: &str) -> &mut Self {
        self.vars.retain(|(x, _)| x != k);
        self
    }

    pub fn var(&self, k: &str) -> Option<&str> {
        self.vars.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str())
    }

    /// A path under the test's temp dir.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Register a secret: from now on no run of this test may show it on stderr.
    pub fn remember(&self, secret: &str) {
        let mut secrets = self.secrets.lock().unwrap();
        if secret.len() >= MIN_REMEMBERED && !secrets.iter().any(|s| s == secret) {
            secrets.push(secret.to_string());
        }
    }

    /// Whether `text` holds a secret or key this test has seen.
    pub fn holds_a_secret(&self, text: &str) -> bool {
        self.secrets.lock().unwrap().iter().any(|s| text.contains(s.as_str()))
    }

    /// Fail if `stderr` holds a secret or key this test has seen.
    #[track_caller]
    pub fn assert_no_secret_in(&self, stderr: &str, context: &dyn fmt::Display) {
        assert!(!self.holds_a_secret(stderr), "a secret reached stderr\n{context}");
    }

    /// A `std` command running `program args…` in this test's environment: none of the caller's
    /// `TOKCTL_*`, `NO_COLOR`, `XDG_*`, `GITHUB_*`, `BAO_*`, `VAULT_*` or `CI` (CI itself sets it, and it chooses a
    /// project file's `[ci]` vault), then this test's variables; cwd is the root.
    pub fn std_cmd_of<S: AsRef<OsStr>>(&self, program: impl AsRef<OsStr>, args: &[S]) -> process::Command {
        let mut c = process::Command::new(program);
        c.args(args);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("TOKCTL_")
                || k == "NO_COLOR"
                || k == "CI"
                || k.starts_with("XDG_")
                || k.starts_with("GITHUB_")
                || k.starts_with("BAO_")
                || k.starts_with("VAULT_")
            {
                c.env_remove(k.as_ref());
            }
        }
        // Pinned, so a program that runs a line with $SHELL (script(1), say) behaves the same
        // whatever the caller's login shell is.
        c.env("HOME", &self.home)
            .env("SHELL", "/bin/sh")
            .env("XDG_DATA_HOME", self.home.join(".local/share"))
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("TOKCTL_VAULT", &self.vault)
            .current_dir(&self.root);
        for (k, v) in &self.vars {
            c.env(k, v);
        }
        session::join(&mut c, self.session.as_ref());
        c
    }

    /// A `std` command running tokctl.
    pub fn std_cmd<S: AsRef<OsStr>>(&self, args: &[S]) -> process::Command {
        self.std_cmd_of(BIN, args)
    }

    /// tokctl as an `assert_cmd`-style command, for `.assert()` with predicates; its stderr is
    /// checked for secrets like every other run.
    pub fn cmd<S: AsRef<OsStr>>(&self, args: &[S]) -> Cmd<'_> {
        let std = self.std_cmd(args);
        let what = format!("{std:?}");
        let mut inner = assert_cmd::Command::from_std(std);
        inner.timeout(RUN_TIMEOUT);
        Cmd { env: self, inner, what }
    }

    /// Run a prepared command (from `std_cmd`/`std_cmd_of`) with `stdin` (closed when empty):
    /// what happened, with stderr checked for secrets.
    #[track_caller]
    pub fn run_cmd(&self, c: process::Command, stdin: &[u8]) -> Out {
        let out = run_std(c, stdin);
        self.assert_no_secret_in(&out.stderr, &out);
        out
    }

    /// Run tokctl with `stdin` (closed when empty) and collect what happened.
    #[track_caller]
    pub fn run<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> Out {
        self.run_cmd(self.std_cmd(args), stdin)
    }

    /// Run tokctl expecting exit 0; returns what happened (for when stderr matters too).
    #[track_caller]
    pub fn succeeds<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> Out {
        let out = self.run(args, stdin);
        assert_eq!(out.code, 0, "expected success\n{out}");
        out
    }

    /// Run tokctl expecting exit 0; returns stdout.
    #[track_caller]
    pub fn ok<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8]) -> String {
        self.succeeds(args, stdin).stdout
    }

    /// Run tokctl expecting exit `code` and, unless it is a usage error, a `tokctl:` message.
    #[track_caller]
    pub fn fails<S: AsRef<OsStr>>(&self, args: &[S], stdin: &[u8], code: i32) -> Out {
        let out = self.run(args, stdin);
        assert_eq!(out.code, code, "expected exit {code}\n{out}");
        assert!(out.stderr.starts_with("tokctl: ") || code == 2, "an error starts with `tokctl:`\n{out}");
        out
    }

    /// `tokctl create NAME …`: the minted secret (remembered), checked for its shape. `--force`,
    /// so tests may mint under providers' names (expo, gh…) too.
    #[track_caller]
    pub fn create(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", "--force", name];
        args.extend_from_slice(extra);
        let secret = self.one_secret(self.ok(&args, b""));
        if !extra.contains(&"--prefix") {
            assert!(predicate::str::is_match(MINTED).unwrap().eval(&secret), "a minted secret: {secret:?}");
        }
        secret
    }

    /// `tokctl create NAME --expires 30d …` with the clock at 2020-01-01: a token expired today.
    #[track_caller]
    pub fn create_expired(&self, name: &str, extra: &[&str]) -> String {
        let mut args = vec!["create", "--force", name, "--expires", "30d"];
        args.extend_from_slice(extra);
        self.one_secret(self.ok_in_2020(&args, b""))
    }

    /// Run tokctl with its wall clock starting at 2020-01-01 (libfaketime), expecting exit 0;
    /// returns stdout.
    #[track_caller]
    pub fn ok_in_2020(&self, args: &[&str], stdin: &[u8]) -> String {
        let mut full = vec!["-m", "2020-01-01 00:00:00", BIN];
        full.extend_from_slice(args);
        let out = self.run_cmd(self.std_cmd_of("faketime", &full), stdin);
        assert_ne!(out.code, 127, "faketime is needed (apt-get install faketime)\n{out}");
        assert_eq!(out.code, 0, "{out}");
        out.stdout
    }

    /// The one line a command printed, remembered as a secret.
    #[track_caller]
    pub fn one_secret(&self, stdout: String) -> String {
        let secret = stdout.strip_suffix('\n').unwrap_or_else(|| panic!("prints one line: {stdout:?}")).to_string();
        assert!(!secret.is_empty() && !secret.contains('\n'), "prints one line: {stdout:?}");
        self.remember(&secret);
        secret
    }

    /// `tokctl import NAME …` with `secret` (remembered) on stdin.
    #[track_caller]
    pub fn import(&self, name: &str, secret: &str, extra: &[&str]) {
        self.remember(secret);
        let mut args = vec!["import", name];
        args.extend_from_slice(extra);
        let out = self.ok(&args, secret.as_bytes());
        assert_eq!(out, "", "import prints nothing on stdout");
    }

    /// `tokctl get -n NAME`: the secret (remembered).
    #[track_caller]
    pub fn get(&self, name: &str) -> String {
        let secret = self.ok(&["get", "-n", name], b"");
        self.remember(&secret);
        secret
    }

    /// Run tokctl expecting exit 0 and JSON on stdout.
    #[track_caller]
    pub fn json<S: AsRef<OsStr>>(&self, args: &[S]) -> serde_json::Value {
        let out = self.succeeds(args, b"");
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

    /// `tokctl key export`, checked for its shape and remembered.
    #[track_caller]
    pub fn export_key(&self) -> String {
        let key = self.one_secret(self.ok(&["key", "export"], b""));
        assert!(key.starts_with("tokctl-key-v1-"), "key export prints one key: {key:?}");
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

/// tokctl as an `assert_cmd` command (from `Env::cmd`), run with its stderr checked for secrets.
pub struct Cmd<'e> {
    env: &'e Env,
    inner: assert_cmd::Command,
    what: String,
}

impl Cmd<'_> {
    pub fn write_stdin(&mut self, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.inner.write_stdin(bytes);
        self
    }

    pub fn env(&mut self, k: &str, v: impl AsRef<OsStr>) -> &mut Self {
        self.inner.env(k, v);
        self
    }

    /// Run it, check stderr for secrets, and hand the output to `assert_cmd`'s assertions.
    #[track_caller]
    pub fn assert(&mut self) -> Assert {
        let out = self.inner.output().unwrap_or_else(|e| panic!("run {}: {e}", self.what));
        self.env.assert_no_secret_in(&String::from_utf8_lossy(&out.stderr), &self.what);
        Assert::new(out).append_context("command", self.what.clone())
    }
}

/// What one run of a command did.
pub struct Out {
    pub what: String,
    /// The exit code; 128+N when killed by signal N (as a shell shows it in `$?`).
    pub code: i32,
    /// The signal that killed it, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stdout_bytes: Vec<u8>,
    pub stderr: String,
    pub elapsed: Duration,
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}", self.what)?;
        writeln!(f, "exit:    {} (after {:?})", self.code, self.elapsed)?;
        writeln!(f, "stdout:  {:?}", self.stdout)?;
        write!(f, "stderr:  {:?}", self.stderr)
    }
}

impl Out {
    /// What a finished process did: its exit status, the bytes of its stdout, its stderr.
    pub fn of(what: String, status: &ExitStatus, stdout: Vec<u8>, stderr: String, elapsed: Duration) -> Out {
        Out {
            what,
            code: exit_code(status),
            signal: status.signal(),
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stdout_bytes: stdout,
            stderr,
            elapsed,
        }
    }
}

impl fmt::Debug for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Run a command to completion with `stdin` (an empty one is closed at once), without checking
/// its stderr for secrets: for programs other than tokctl, or a test that checks itself.
/// Start `tests/support/SCRIPT` (a server of the harness's own) with python3 and `args`; it
/// prints the loopback port it listens on as its first line.
pub fn python_server(script: &str, args: &[&str]) -> (process::Child, u16) {
    use std::io::BufRead;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support").join(script);
    let mut child = process::Command::new("python3")
        .arg(path)
        .args(args)
        .stdout(process::Stdio::piped())
        .stderr(process::Stdio::null())
        .spawn()
        .expect("python3 runs");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, line.trim().parse().unwrap_or_else(|_| panic!("{script} prints its port, not {line:?}")))
}

pub fn run_std(c: process::Command, stdin: &[u8]) -> Out {
    let mut r = Running::spawn(c);
    r.feed(stdin);
    r.finish(RUN_TIMEOUT)
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

/// Bytes and modification time of a file, to prove nothing wrote it.
pub fn fingerprint(p: &Path) -> (Vec<u8>, std::time::SystemTime) {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
    let mtime = std::fs::metadata(p).and_then(|m| m.modified()).expect("mtime");
    (bytes, mtime)
}

/// Names in a directory, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

pub fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// POSIX single-quoting, for building shell command lines.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Bytes from the kernel's random source.
fn urandom<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut b)).expect("/dev/urandom");
    b
}

/// A fresh vault key in the exported text form (`tokctl-key-v1-` + base64url of 32 bytes),
/// made without tokctl.
pub fn random_key() -> String {
    format!("tokctl-key-v1-{}", b64url(&urandom::<32>()))
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

#[test]
fn the_key_encoder_matches_the_exported_form() {
    // 32 bytes → 43 base64url characters without padding, as `tokctl key export` prints.
    let k = random_key();
    assert_eq!(k.len(), "tokctl-key-v1-".len() + 43, "{k}");
    assert_eq!(b64url(b"\xfb\xff"), "-_8");
    assert_eq!(b64url(b"Man"), "TWFu");
}

/// The variable that replays a random schedule: `TOKCTL_TEST_SEED=N cargo test …`.
pub const SEED_VAR: &str = "TOKCTL_TEST_SEED";

/// A tiny xorshift generator: random moments and positions without a `rand` dependency.
pub struct Rng(u64);

impl Rng {
    /// Seeded from `TOKCTL_TEST_SEED` when set, else at random. The seed is printed to stderr
    /// (`seed = N`, shown when the test fails) so a failing schedule can be replayed.
    pub fn seeded() -> Rng {
        let seed = match std::env::var(SEED_VAR) {
            Ok(s) => s.trim().parse::<u64>().unwrap_or_else(|e| panic!("{SEED_VAR}={s:?} is not a number: {e}")),
            Err(_) => u64::from_le_bytes(urandom::<8>()),
        };
        Rng::from_seed(seed)
    }

    /// A generator for a given seed (0 is taken as 1: xorshift needs a non-zero state).
    pub fn from_seed(seed: u64) -> Rng {
        let seed = seed.max(1);
        eprintln!("seed = {seed} (replay with {SEED_VAR}={seed})");
        Rng(seed)
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

/// Whether the tests run in CI (`CI` set, and not to `0` or `false`). The commands a test runs
/// never see it (`std_cmd_of` removes it); the test process reads it here.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
}

/// The one rule for a test that cannot run here: in CI (which runs as root and installs what the
/// tests need) it is a failure; elsewhere a visible skip, `skipped: <why>` on stderr. The caller
/// returns after it.
#[track_caller]
pub fn cannot_run(why: &str) {
    assert!(!in_ci(), "this test cannot run here, and in CI that is a failure: {why}");
    eprintln!("skipped: {why}");
}

/// Whether this test runs as root. When not, the test cannot run (`cannot_run`: a failure in CI,
/// `skipped: needs root` elsewhere) and the caller returns: tests that mount, change owners or
/// become another user cannot run as a normal user.
#[track_caller]
pub fn require_root() -> bool {
    let root = rustix::process::geteuid().is_root();
    if !root {
        cannot_run("needs root");
    }
    root
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
