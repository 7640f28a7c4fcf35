//! The local GitLab/GitHub server of `tests/support/forge.py` (GitLab and GitHub cannot run
//! here; it answers as their REST documentation says), started on a loopback port for one test
//! and killed on drop, with its control API: add tokens, inject faults, read what reached it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Child;

use serde_json::{Value, json};

pub struct Forge {
    child: Child,
    pub port: u16,
}

impl Forge {
    pub fn start() -> Forge {
        let (child, port) = super::python_server("forge.py", &[]);
        Forge { child, port }
    }

    /// The web address a record names (`--provider-url`).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// One request to the control API; the JSON answer.
    fn control(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut text = String::new();
        s.read_to_string(&mut text).unwrap();
        let (_, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
        serde_json::from_str(body).unwrap_or(Value::Null)
    }

    /// A token the server knows (`api` is `gitlab` or `github`), with `extra` fields.
    pub fn token(&self, secret: &str, extra: Value) {
        let mut t = json!({ "token": secret });
        t.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
        self.control("POST", "/_control/token", Some(t));
    }

    /// An npm account `user` with `password` (and two-factor auth with the one-time password
    /// `otp`) holding `token`, served under `/npm`.
    pub fn npm_account(&self, user: &str, password: &str, otp: Option<&str>, token: &str) {
        self.control(
            "POST",
            "/_control/npm",
            Some(json!({"user": user, "password": password, "otp": otp, "token": token})),
        );
    }

    /// The npm tokens the server holds: secret → its state.
    pub fn npm_tokens(&self) -> serde_json::Map<String, Value> {
        self.control("GET", "/_control/npm-tokens", None).as_object().cloned().unwrap_or_default()
    }

    /// The next matching request gets `fault` (see forge.py).
    pub fn fault(&self, fault: Value) {
        self.control("POST", "/_control/fault", Some(fault));
    }

    pub fn release(&self) {
        self.control("POST", "/_control/release", None);
    }

    /// Every API request that reached the server.
    pub fn log(&self) -> Vec<Value> {
        self.control("GET", "/_control/log", None).as_array().cloned().unwrap_or_default()
    }

    /// How many requests reached `method path`.
    pub fn count(&self, method: &str, path: &str) -> usize {
        self.log().iter().filter(|r| r["method"] == method && r["path"] == path).count()
    }

    /// Every token the server has, and its state.
    pub fn tokens(&self) -> Vec<Value> {
        self.control("GET", "/_control/tokens", None).as_array().cloned().unwrap_or_default()
    }

    /// The token the server issued last by rotation (`rotated_to` of `old`).
    pub fn rotated_to(&self, old: &str) -> Option<String> {
        self.tokens().iter().find(|t| t["secret"] == old).and_then(|t| t["rotated_to"].as_str().map(String::from))
    }

    /// Whether the server takes `secret` now.
    pub fn is_valid(&self, secret: &str) -> bool {
        self.tokens().iter().any(|t| t["secret"] == secret && t["revoked"] == false && t["active"] == true)
    }
}

impl Drop for Forge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
