//! The HTTP side of a remote store: one blocking `ureq` agent (rustls with ring, Mozilla's roots
//! compiled in, or `BAO_CACERT`/`VAULT_CACERT` alone for a private CA), the credentials tokctl
//! uses to reach the server, and the server's answers turned into tokctl's exit codes.
//!
//! Nothing here runs unless the vault is a URL: no agent, no TLS set-up, no root store.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::{Value, json};
use zeroize::Zeroizing;

use super::Location;
use crate::error::{self, Result};
use crate::keystore;
use crate::text::Shown;

pub use crate::settings::{ENV_REMOTE_TIMEOUT as ENV_TIMEOUT, ROLE_VARS, TOKEN_VARS};

/// Where AppRole is mounted: the default path, `auth/approle`.
pub const APPROLE_LOGIN: &str = "auth/approle/login";
/// The largest answer read from a server: a list of 100 000 names fits several times over.
pub const MAX_BODY: u64 = 8 << 20;

/// Every variable tokctl reads a server credential from.
pub const CREDENTIAL_VARS: [&str; 4] = [TOKEN_VARS[0], TOKEN_VARS[1], ROLE_VARS[0], ROLE_VARS[1]];

/// Whether this process looked for a server's credentials: from then on `exec` keeps every
/// credential variable from its child (unless a token is injected under that name), not only
/// the one used, since the others are credentials for a server too (`BAO_CACERT` is no secret).
static USED: AtomicBool = AtomicBool::new(false);

pub fn credentials_used() -> &'static [&'static str] {
    if USED.load(Ordering::SeqCst) { &CREDENTIAL_VARS } else { &[] }
}

fn mark_used() {
    USED.store(true, Ordering::SeqCst);
}

/// How this process authenticated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Auth {
    EnvToken(&'static str),
    AppRole,
    Keyring,
}

impl Auth {
    pub fn words(self) -> String {
        match self {
            Auth::EnvToken(v) => format!("the token in {v}"),
            Auth::AppRole => format!("AppRole ({} + {}, {APPROLE_LOGIN})", ROLE_VARS[0], ROLE_VARS[1]),
            Auth::Keyring => "the token kept by `tokctl login` in the OS keyring".into(),
        }
    }
}

pub fn timeout_secs() -> u64 {
    crate::settings::get().remote_timeout
}

/// The account of a server's token in the OS keyring (service `tokctl`): `server:` and the
/// server's scheme, host and port, so one login serves every mount and prefix on it.
pub fn keyring_account(loc: &Location) -> String {
    format!("server:{}", loc.base)
}

pub enum Method {
    Get,
    List,
    Post,
    Delete,
}

impl Method {
    /// The capability a Vault policy grants for this method.
    pub fn capability(&self) -> &'static str {
        match self {
            Method::Get => "read",
            Method::List => "list",
            Method::Post => "create/update",
            Method::Delete => "delete",
        }
    }
}

/// A server's answer: the status and the JSON body (`Null` when there is none).
pub struct Reply {
    pub status: u16,
    pub body: Value,
}

impl Reply {
    pub fn errors(&self) -> String {
        let errs: Vec<&str> = self.body["errors"].as_array().into_iter().flatten().filter_map(|e| e.as_str()).collect();
        let s = errs.join("; ");
        crate::text::escape(s.split_whitespace().collect::<Vec<_>>().join(" ").as_str()).into_owned()
    }
}

pub struct Client {
    agent: ureq::Agent,
    base: String,
    timeout: u64,
    /// Found on the first request; shared by the threads that read records in parallel.
    token: OnceLock<(Zeroizing<String>, Auth)>,
    account: String,
}

impl Client {
    pub fn new(loc: &Location) -> Result<Client> {
        let timeout = timeout_secs();
        let mut roots = None;
        if let Some((var, path)) = crate::settings::get().cacert.clone() {
            let pem = crate::fsio::read_opt(std::path::Path::new(&path), crate::fsio::MAX_SMALL)?.ok_or_else(|| {
                error::usage(format!("{var} names {}, which does not exist", std::path::Path::new(&path).shown()))
                    .hint(format!("point {var} at the PEM file of your server's certificate authority"))
            })?;
            let certs: Vec<_> = ureq::tls::parse_pem(&pem)
                .filter_map(|i| match i {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
                    _ => None,
                })
                .collect();
            if certs.is_empty() {
                return Err(error::usage(format!(
                    "{var}: no PEM certificate in {}",
                    std::path::Path::new(&path).shown()
                ))
                .hint(format!("point {var} at the PEM file of your server's certificate authority"))
                .into());
            }
            roots = Some(certs);
        }
        Ok(Client {
            agent: crate::http::agent(&loc.base, timeout, roots),
            base: loc.base.clone(),
            timeout,
            token: OnceLock::new(),
            account: keyring_account(loc),
        })
    }

    /// One request, without authentication; transport failures are exit 1 with the offline path.
    pub fn send_as(&self, token: Option<&str>, method: &Method, path: &str, body: Option<&Value>) -> Result<Reply> {
        let url = match method {
            Method::List => format!("{}/v1/{path}?list=true", self.base),
            _ => format!("{}/v1/{path}", self.base),
        };
        let mut headers = vec![("X-Vault-Request", "true")];
        headers.extend(token.map(|t| ("X-Vault-Token", t)));
        let verb = match method {
            Method::Get | Method::List => crate::http::Verb::Get,
            Method::Delete => crate::http::Verb::Delete,
            Method::Post => crate::http::Verb::Post,
        };
        let sent = crate::http::send(&self.agent, verb, &url, &headers, body);
        let mut res = sent.map_err(|e| self.unreachable(e))?;
        let status = res.status().as_u16();
        let text = crate::http::body_text(&mut res, MAX_BODY).map_err(|e| match e {
            crate::http::BodyError::TooLarge => super::bad_answer(
                &self.base,
                format!("more than {} MiB to {} {path}", MAX_BODY >> 20, method.capability()),
            ),
            crate::http::BodyError::Transport(e) => self.unreachable(e),
        })?;
        let body = crate::http::json_of(&text);
        Ok(Reply { status, body })
    }

    fn unreachable(&self, e: ureq::Error) -> anyhow::Error {
        let text = e.to_string();
        if text.contains("certificate") {
            return anyhow::anyhow!(
                "the server at {} did not present a certificate tokctl can trust: {}\n\
                 if a private CA signed it, set BAO_CACERT (or VAULT_CACERT) to that CA's PEM file",
                self.base,
                crate::text::escape(&text)
            );
        }
        let why = match &e {
            ureq::Error::Timeout(_) => format!("no answer within {} s ({ENV_TIMEOUT})", self.timeout),
            other => other.to_string(),
        };
        anyhow::anyhow!(
            "cannot reach the server at {}: {why}\n\
             check the address and your network; to work offline, keep a bundle made while online: \
             `tokctl bundle -t NAME… --out FILE`",
            self.base
        )
    }

    /// An authenticated request. 403 is exit 5 naming the path and the capability (or saying
    /// that the token itself was refused).
    pub fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Reply> {
        let (t, auth) = self.login()?;
        let r = self.send_as(Some(t), &method, path, body)?;
        if r.status == 403 {
            // A wrong token and a missing capability both answer 403: ask about the token.
            let me = self.send_as(Some(t), &Method::Get, "auth/token/lookup-self", None)?;
            if me.status == 403 {
                return Err(error::locked(format!("the server at {} refused {}", self.base, auth.words()))
                    .hint(
                        "the token is wrong, expired or revoked: set a valid BAO_TOKEN (or VAULT_TOKEN), \
                         or `tokctl login URL` again",
                    )
                    .into());
            }
            return Err(error::locked(format!(
                "permission denied: the token may not {} {path} on {}",
                method.capability(),
                self.base
            ))
            .hint(format!("ask for a policy granting \"{}\" on \"{path}\"", method.capability().replace('/', "\", \"")))
            .into());
        }
        Ok(r)
    }

    /// The token, from the environment, AppRole, or the OS keyring, in that order.
    pub fn login(&self) -> Result<&(Zeroizing<String>, Auth)> {
        if let Some(t) = self.token.get() {
            return Ok(t);
        }
        let got = self.find_token()?;
        Ok(self.token.get_or_init(|| got))
    }

    fn find_token(&self) -> Result<(Zeroizing<String>, Auth)> {
        mark_used();
        let settings = crate::settings::get();
        if let Some((v, t)) = &settings.server_token {
            return Ok((t.clone(), Auth::EnvToken(v)));
        }
        if let Some((role, secret)) = &settings.approle {
            let body = json!({"role_id": role.as_str(), "secret_id": secret.as_str()});
            let r = self.send_as(None, &Method::Post, APPROLE_LOGIN, Some(&body))?;
            let token = r.body["auth"]["client_token"].as_str().filter(|t| !t.is_empty());
            return match (r.status, token) {
                (200, Some(t)) => Ok((Zeroizing::new(t.to_string()), Auth::AppRole)),
                (400 | 403, _) => Err(error::locked(format!(
                    "the server at {} refused the AppRole login ({} + {}): {}",
                    self.base,
                    ROLE_VARS[0],
                    ROLE_VARS[1],
                    r.errors()
                ))
                .hint("check the role id and secret id (a secret id may be used up or expired)")
                .into()),
                _ => Err(anyhow::anyhow!(
                    "the AppRole login at {}/v1/{APPROLE_LOGIN} failed (HTTP {}): {}",
                    self.base,
                    r.status,
                    r.errors()
                )),
            };
        }
        match keystore::load_text(&self.account) {
            Ok(t) => Ok((t, Auth::Keyring)),
            Err(miss) => Err(error::locked(format!("no credentials for the server at {}", self.base))
                .hint(format!(
                    "set BAO_TOKEN (or VAULT_TOKEN), or BAO_ROLE_ID and BAO_SECRET_ID for AppRole, \
                     or keep a token with `tokctl login URL` (OS keyring: {miss})"
                ))
                .into()),
        }
    }

    /// How this process authenticated, once it has.
    pub fn auth(&self) -> Result<Auth> {
        Ok(self.login()?.1)
    }
}
