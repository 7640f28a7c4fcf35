//! Requests to a provider's HTTP API, over the one client (`crate::http`): the address is
//! checked again when used (https, or http to this machine), the secret goes only in a header
//! or a body, and failures become tokctl's exit codes: unreachable, slow or a server error is
//! exit 1, a refusal (403) exit 5. A 429 is waited out once within the timeout, for a request
//! that may be repeated; a rotation never is.

use std::time::{Duration, Instant};

use serde_json::Value;
use zeroize::Zeroizing;

use crate::error::{self, Result};
use crate::http::Verb;
use crate::settings::ENV_PROVIDER_TIMEOUT;
use crate::vault::check_provider_url;

/// The largest answer read from a provider.
const MAX_BODY: u64 = 4 << 20;

pub struct Api {
    agent: ureq::Agent,
    /// What must never be repeated from an answer: the token, and a password sent with it. A
    /// provider that echoes one in an error message gets `***` shown instead.
    scrub: Vec<Zeroizing<String>>,
    pub base: String,
    /// Who the provider is, for messages: "gitlab at https://gitlab.com".
    pub who: String,
    timeout: u64,
}

/// An answer: the status, the headers tokctl reads, the body as JSON (`Null` when none or not JSON).
pub struct Reply {
    pub status: u16,
    pub headers: ureq::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A transport failure: whether the request certainly never reached the provider.
pub struct Unreachable {
    pub error: anyhow::Error,
    pub never_sent: bool,
}

impl Api {
    /// The API at `base` (derived from the record's address), checked as `--provider-url` is,
    /// for requests that carry `secret`.
    pub fn new(base: String, who: String, secret: &crate::secret::Secret) -> Result<Api> {
        check_provider_url(&base)
            .map_err(|e| error::within(e, format!("the provider address for {who}"), Some(error::Code::Usage)))?;
        let timeout = crate::settings::get().provider_timeout;
        let scrub = vec![Zeroizing::new(secret.expose().to_string())];
        Ok(Api { agent: crate::http::agent(&base, timeout, None), scrub, base, who, timeout })
    }

    /// The API of `t`'s provider, for requests that carry its secret.
    pub fn of(t: &super::Target) -> Result<Api> {
        let base = t.provider.api_base(t.url()).expect("a provider spoken over HTTP has an API");
        Api::new(base, t.words(), &t.secret)
    }

    /// Never repeat `secret` from an answer either (a password sent in a body).
    pub fn scrub_too(&mut self, secret: &str) {
        self.scrub.push(Zeroizing::new(secret.to_string()));
    }

    /// The provider's own words for an error in `r`, from its JSON (`message`, `error`), as
    /// `their_words` gives them: the secrets sent never repeated.
    pub fn said(&self, r: &Reply) -> String {
        let s = ["message", "error", "error_description"]
            .iter()
            .find_map(|k| match &r.body[k] {
                Value::String(s) => Some(s.clone()),
                Value::Null => None,
                other => Some(other.to_string()),
            })
            .unwrap_or_default();
        let secrets: Vec<&str> = self.scrub.iter().map(|x| x.as_str()).collect();
        super::their_words(&s, &secrets, 200)
    }

    /// One request, sent once. `auth` is a header carrying the secret.
    pub fn once(
        &self,
        verb: Verb,
        path: &str,
        auth: Option<(&str, &str)>,
        extra: &[(&str, &str)],
        body: Option<&Value>,
    ) -> std::result::Result<Reply, Unreachable> {
        let url = format!("{}{path}", self.base);
        let agent = concat!("tokctl/", env!("CARGO_PKG_VERSION"));
        let mut headers = vec![("User-Agent", agent)];
        headers.extend(auth);
        headers.extend_from_slice(extra);
        let sent = crate::http::send(&self.agent, verb, &url, &headers, body);
        let mut res = sent.map_err(|e| self.unreachable(e))?;
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = crate::http::body_text(&mut res, MAX_BODY).map_err(|e| match e {
            crate::http::BodyError::TooLarge => Unreachable {
                error: anyhow::anyhow!("{} answered with more than {} MiB", self.who, MAX_BODY >> 20),
                never_sent: false,
            },
            crate::http::BodyError::Transport(e) => self.unreachable(e),
        })?;
        let body = crate::http::json_of(&text);
        Ok(Reply { status, headers, body })
    }

    /// A request that may be repeated: a 429 is waited out once, when its `Retry-After` fits
    /// in the timeout; any transport failure is exit 1.
    pub fn call(
        &self,
        verb: Verb,
        path: &str,
        auth: Option<(&str, &str)>,
        extra: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Result<Reply> {
        let start = Instant::now();
        let r = self.once(verb, path, auth, extra, body).map_err(|u| u.error)?;
        if r.status != 429 {
            return Ok(r);
        }
        let wait = r.header("retry-after").and_then(|s| s.trim().parse::<u64>().ok());
        match wait {
            Some(w) if start.elapsed() + Duration::from_secs(w) < Duration::from_secs(self.timeout) => {
                std::thread::sleep(Duration::from_secs(w));
                let again = self.once(verb, path, auth, extra, body).map_err(|u| u.error)?;
                if again.status == 429 {
                    return Err(self.rate_limited(&again));
                }
                Ok(again)
            }
            _ => Err(self.rate_limited(&r)),
        }
    }

    pub fn rate_limited(&self, r: &Reply) -> anyhow::Error {
        let after = r.header("retry-after").map(|s| format!(" (it asks to wait {} s)", s.trim())).unwrap_or_default();
        anyhow::anyhow!(
            "{} is rate-limiting requests{after}, longer than {ENV_PROVIDER_TIMEOUT} allows ({} s)\n\
             try again later",
            self.who,
            self.timeout
        )
    }

    fn unreachable(&self, e: ureq::Error) -> Unreachable {
        let never_sent = crate::http::never_sent(&e);
        let text = e.to_string();
        let error = if text.contains("certificate") {
            anyhow::anyhow!(
                "{} did not present a certificate tokctl can trust: {}\nthe token was not sent",
                self.who,
                crate::text::escape(&text)
            )
        } else {
            let why = match &e {
                ureq::Error::Timeout(_) => format!("no answer within {} s ({ENV_PROVIDER_TIMEOUT})", self.timeout),
                other => crate::text::escape(&other.to_string()).into_owned(),
            };
            anyhow::anyhow!("cannot reach {}: {why}\ncheck the address and your network, then try again", self.who)
        };
        Unreachable { error, never_sent }
    }

    /// The error for an answer tokctl did not expect: exit 1, with the status and the
    /// provider's words.
    pub fn unexpected(&self, what: &str, r: &Reply) -> anyhow::Error {
        let said = self.said(r);
        anyhow::anyhow!(
            "{} answered {what} with HTTP {}{}\nif this keeps happening, check the provider's status page and the address",
            self.who,
            r.status,
            if said.is_empty() { String::new() } else { format!(": {said}") }
        )
    }

    /// The error for a refusal (a 403, or another status the caller knows is one): exit 5.
    pub fn refused(&self, what: &str, r: &Reply, hint: &str) -> anyhow::Error {
        let said = self.said(r);
        error::locked(format!(
            "{} refused {what} (HTTP {}){}",
            self.who,
            r.status,
            if said.is_empty() { String::new() } else { format!(": {said}") }
        ))
        .hint(hint)
        .into()
    }
}
