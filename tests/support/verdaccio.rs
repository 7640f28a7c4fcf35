//! A real npm registry for the npm provider's tests: Verdaccio on a free loopback port, with a
//! config of its own in a temp dir (htpasswd accounts anyone may register, no uplinks, storage and
//! log in the temp dir); stopped (killed) on drop.
//!
//! Its token API (`/-/npm/v1/tokens`) needs no switch in 6.8.0: the routes are always mounted
//! (src/api/endpoint/api/v1/token.ts) and the default storage plugin keeps the tokens. The tokens
//! are Verdaccio's default kind, "legacy" AES (`security.api.legacy`, the default): with
//! `security.api.jwt` set instead, 6.8.0 answers 400 "request size did not match content length"
//! to every request with a body that a generated token authenticates (`npm token create` too), so
//! npm's create-then-revoke could not be tested there (its request logger starts the body
//! flowing, and the check of a generated token's key awaits storage before the JSON parser reads
//! it).
//!
//! Verdaccio comes from `TOKCTL_TEST_VERDACCIO`, else `target/verdaccio/node_modules/.bin/verdaccio`
//! (`.ci/test` installs the pinned version there), else `PATH`; it and the `npm` CLI need `node`.
//! Without them the tests skip with a message, except in CI (`CI` is set), where that is a failure.
//!
//! Every request the server received is in its log (`requests`), one JSON line each, logged when
//! it arrives: a test counts what tokctl sent after tokctl has exited.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::bao::free_port;

/// The version `.ci/test` installs (6.9 and later want Node 22; the machine has Node 20).
pub const VERSION: &str = "6.8.0";

/// `name` in a directory of `PATH`.
fn in_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").iter().flat_map(std::env::split_paths).map(|d| d.join(name)).find(|p| p.is_file())
}

/// The `verdaccio` launcher, or `None` (outside CI) when there is none or no `node` to run it.
pub fn verdaccio_bin() -> Option<PathBuf> {
    let found = std::env::var_os("TOKCTL_TEST_VERDACCIO")
        .map(PathBuf::from)
        .into_iter()
        .chain([Path::new(env!("CARGO_MANIFEST_DIR")).join("target/verdaccio/node_modules/.bin/verdaccio")])
        .find(|p| p.is_file())
        .or_else(|| in_path("verdaccio"));
    match (found, in_path("node")) {
        (Some(bin), Some(_)) => Some(bin),
        _ => {
            super::cannot_run(&format!(
                "no `verdaccio` or no `node` (.ci/test installs them: apt-get install nodejs npm && \
                 npm install --prefix target/verdaccio verdaccio@{VERSION})"
            ));
            None
        }
    }
}

/// npm's own CLI, or `None` (outside CI) when there is none.
pub fn npm_bin() -> Option<PathBuf> {
    let found = in_path("npm").filter(|_| in_path("node").is_some());
    if found.is_none() {
        super::cannot_run("no `npm` or no `node` (.ci/test installs them: apt-get install nodejs npm)");
    }
    found
}

pub struct Verdaccio {
    child: Child,
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    /// Holds config.yaml, htpasswd, storage/, verdaccio.log and the npmrc files of `npm`.
    pub dir: tempfile::TempDir,
    agent: ureq::Agent,
    npmrcs: AtomicUsize,
    markers: AtomicUsize,
}

impl Verdaccio {
    /// A running registry with no accounts yet, or `None` when there is no Verdaccio (outside CI).
    pub fn start() -> Option<Verdaccio> {
        let bin = verdaccio_bin()?;
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .new_agent();
        for _ in 0..3 {
            let dir = tempfile::Builder::new().prefix("tokctl-verdaccio-").tempdir().unwrap();
            let root = dir.path();
            let config = root.join("config.yaml");
            std::fs::write(&config, Verdaccio::config(root)).unwrap();
            let url = format!("http://127.0.0.1:{}", free_port());
            let child = Command::new(&bin)
                .arg("--config")
                .arg(&config)
                .arg("--listen")
                .arg(url.trim_start_matches("http://"))
                .env_clear()
                .env("HOME", root)
                .env("PATH", std::env::var_os("PATH").unwrap_or_default())
                .stdin(Stdio::null())
                .stdout(std::fs::File::create(root.join("stdout.txt")).unwrap())
                .stderr(std::fs::File::create(root.join("stderr.txt")).unwrap())
                .spawn()
                .expect("start verdaccio");
            let mut v = Verdaccio {
                child,
                url,
                dir,
                agent: agent.clone(),
                npmrcs: AtomicUsize::new(0),
                markers: AtomicUsize::new(0),
            };
            if v.wait_ready() {
                return Some(v);
            }
            // Another test took the port between our probe and the server's bind: try another.
        }
        panic!("verdaccio did not come up");
    }

    /// The config: htpasswd accounts anyone may create (as `npm adduser` does), every package only
    /// for signed-in users, no uplinks (no internet), no web UI, the log as JSON lines in a file
    /// with every request (`level: http`).
    fn config(root: &Path) -> String {
        let d = root.display();
        format!(
            "storage: {d}/storage\n\
             auth:\n  htpasswd:\n    file: {d}/htpasswd\n    max_users: 1000\n\
             uplinks: {{}}\n\
             packages:\n  '**':\n    access: $authenticated\n    publish: $authenticated\n\
             web:\n  enable: false\n\
             log: {{ type: file, path: {d}/verdaccio.log, format: json, level: http }}\n"
        )
    }

    /// Poll `/-/ping` until it answers 200 (a deadline only against a hang).
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let ping = self.agent.get(format!("{}/-/ping", self.url)).call();
            if ping.is_ok_and(|r| r.status() == 200) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// One request: the status and the body as JSON (`Value::Null` when it is not JSON).
    pub fn request(&self, method: &str, path: &str, bearer: Option<&str>, body: Option<&Value>) -> (u16, Value) {
        let url = format!("{}{path}", self.url);
        let auth = bearer.map(|t| format!("Bearer {t}"));
        let res = match (method, body) {
            ("GET", None) => with_auth(self.agent.get(&url), &auth).call(),
            ("DELETE", None) => with_auth(self.agent.delete(&url), &auth).call(),
            ("POST", Some(b)) => {
                with_auth(self.agent.post(&url), &auth).header("content-type", "application/json").send(b.to_string())
            }
            ("PUT", Some(b)) => {
                with_auth(self.agent.put(&url), &auth).header("content-type", "application/json").send(b.to_string())
            }
            _ => panic!("no such request here: {method} with body {body:?}"),
        };
        let mut res = res.unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = res.status().as_u16();
        let text = res.body_mut().read_to_string().unwrap_or_else(|e| panic!("{method} {url}: body: {e}"));
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Register an account as `npm adduser` does; the session token the registry answers.
    #[track_caller]
    pub fn add_user(&self, name: &str, password: &str) -> String {
        let body = json!({
            "_id": format!("org.couchdb.user:{name}"),
            "name": name,
            "password": password,
            "type": "user",
            "roles": [],
            "date": "2026-01-01T00:00:00.000Z",
        });
        let (status, answer) = self.request("PUT", &format!("/-/user/org.couchdb.user:{name}"), None, Some(&body));
        assert_eq!(status, 201, "adduser {name}: {answer}");
        answer["token"].as_str().unwrap_or_else(|| panic!("adduser {name}: no token in {answer}")).to_string()
    }

    /// `POST /-/npm/v1/tokens` as `npm token create` does: status and answer.
    pub fn create_token_answer(&self, bearer: &str, password: &str) -> (u16, Value) {
        let body = json!({ "password": password, "readonly": false, "cidr_whitelist": [] });
        self.request("POST", "/-/npm/v1/tokens", Some(bearer), Some(&body))
    }

    /// A new token of `bearer`'s account (its password given again, as the registry wants).
    #[track_caller]
    pub fn create_token(&self, bearer: &str, password: &str) -> String {
        let (status, answer) = self.create_token_answer(bearer, password);
        assert_eq!(status, 200, "token create: {answer}");
        answer["token"].as_str().unwrap_or_else(|| panic!("token create: no token in {answer}")).to_string()
    }

    /// `GET /-/npm/v1/tokens`: `{"objects": […], "urls": {"next": …}}`.
    #[track_caller]
    pub fn tokens(&self, bearer: &str) -> Value {
        let (status, answer) = self.request("GET", "/-/npm/v1/tokens", Some(bearer), None);
        assert_eq!(status, 200, "token list: {answer}");
        answer
    }

    /// The keys of `bearer`'s account's tokens, in the registry's order.
    #[track_caller]
    pub fn token_keys(&self, bearer: &str) -> Vec<String> {
        let list = self.tokens(bearer);
        list["objects"].as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap().to_string()).collect()
    }

    /// The key of `token` in `bearer`'s account's list, found by the mask the list shows.
    #[track_caller]
    pub fn key_of(&self, bearer: &str, token: &str) -> String {
        let list = self.tokens(bearer);
        let found: Vec<&Value> =
            list["objects"].as_array().unwrap().iter().filter(|t| t["token"] == mask(token).as_str()).collect();
        assert_eq!(found.len(), 1, "one token masked as {} in {list}", mask(token));
        found[0]["key"].as_str().unwrap().to_string()
    }

    /// `DELETE /-/npm/v1/tokens/token/KEY`: status and answer.
    pub fn revoke(&self, bearer: &str, key: &str) -> (u16, Value) {
        self.request("DELETE", &format!("/-/npm/v1/tokens/token/{key}"), Some(bearer), None)
    }

    /// `GET /-/whoami`: status and answer (`{"username": NAME}` for a valid token).
    pub fn whoami(&self, bearer: &str) -> (u16, Value) {
        self.request("GET", "/-/whoami", Some(bearer), None)
    }

    /// The request lines the server received so far, in order: `POST /-/npm/v1/tokens`, …
    ///
    /// Verdaccio's logger (pino) writes asynchronously, in order: a request of our own with a
    /// unique marker, sent after everything the test waited for, is in the log only after every
    /// line before it, so the lines up to the marker are complete (the markers are left out).
    pub fn requests(&self) -> Vec<String> {
        let n = self.markers.fetch_add(1, Ordering::SeqCst);
        let marker = format!("GET /-/ping?tokctl-test-marker={n}");
        assert_eq!(self.request("GET", &marker["GET ".len()..], None, None).0, 200, "ping");
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let log = std::fs::read_to_string(self.dir.path().join("verdaccio.log")).unwrap_or_default();
            let lines: Vec<String> = log
                .lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .filter(|j| j["msg"].as_str().is_some_and(|m| m.contains(" requested '")))
                .map(|j| {
                    format!(
                        "{} {}",
                        j["req"]["method"].as_str().unwrap_or("?"),
                        j["req"]["url"].as_str().unwrap_or("?")
                    )
                })
                .collect();
            if let Some(end) = lines.iter().position(|l| *l == marker) {
                return lines[..end].iter().filter(|l| !l.contains("?tokctl-test-marker=")).cloned().collect();
            }
            assert!(Instant::now() < deadline, "the marker request never reached verdaccio.log");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// How many received requests had exactly this line (`"POST /-/npm/v1/tokens"`).
    pub fn count(&self, line: &str) -> usize {
        self.requests().iter().filter(|l| *l == line).count()
    }

    /// The `.npmrc` line that gives `token` to this registry, as npm writes it.
    pub fn npmrc_line(&self, token: &str) -> String {
        format!("{}/:_authToken={token}\n", self.url.trim_start_matches("http:"))
    }

    /// An npmrc file (mode 0600) with this registry as the default and `token`, if any, for it.
    pub fn npmrc(&self, token: Option<&str>) -> PathBuf {
        use std::os::unix::fs::OpenOptionsExt;
        let n = self.npmrcs.fetch_add(1, Ordering::SeqCst);
        let path = self.dir.path().join(format!("npmrc-{n}"));
        let mut text = format!("registry={}/\n", self.url);
        if let Some(t) = token {
            text.push_str(&self.npmrc_line(t));
        }
        let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).unwrap();
        std::io::Write::write_all(&mut f, text.as_bytes()).unwrap();
        path
    }

    /// `npm ARGS…` against this registry with `token` (if any) in its user config
    /// (`NPM_CONFIG_USERCONFIG`), never in argv; its own HOME and cache in the temp dir, no update
    /// check, no colour. `None` (outside CI) when there is no npm.
    pub fn npm(&self, token: Option<&str>, args: &[&str]) -> Option<Command> {
        let npm = npm_bin()?;
        let home = self.dir.path().join("npm-home");
        std::fs::create_dir_all(&home).unwrap();
        let mut c = Command::new(npm);
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("NPM_CONFIG_USERCONFIG", self.npmrc(token))
            .env("NPM_CONFIG_GLOBALCONFIG", self.dir.path().join("no-global-npmrc"))
            .env("NPM_CONFIG_CACHE", self.dir.path().join("npm-cache"))
            .env("NPM_CONFIG_UPDATE_NOTIFIER", "false")
            .env("NPM_CONFIG_FUND", "false")
            .env("NPM_CONFIG_AUDIT", "false")
            .env("NO_COLOR", "1");
        Some(c)
    }
}

/// How Verdaccio shows a token in its list: its first and last five characters around `...`
/// (`cryptoUtils.mask(token, 5)`).
pub fn mask(token: &str) -> String {
    format!("{}...{}", &token[..5], &token[token.len() - 5..])
}

fn with_auth<B>(r: ureq::RequestBuilder<B>, auth: &Option<String>) -> ureq::RequestBuilder<B> {
    match auth {
        Some(a) => r.header("authorization", a),
        None => r,
    }
}

impl Drop for Verdaccio {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
