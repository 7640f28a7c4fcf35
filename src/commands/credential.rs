//! `tokctl credential git get|store|erase`: git's credential-helper protocol (`git help
//! credential`), so git over HTTPS gets a token from the vault instead of a plain-text file.
//!
//! A request names a protocol, a host (with its port when not the scheme's default) and, with
//! `credential.useHttpPath`, a path. It is answered by the token a trusted project file's `[git]`
//! table names for it (inside that file's tree), else by the token whose `--host` matches it
//! best: the same host and port, and the longest path whose whole segments begin the request's
//! (a host-only `--host` answers any path; one with a path only requests that carry one). Only
//! https, and http to a loopback address, are answered. An expired or revoked match answers
//! nothing, so git moves on to its next helper or its prompt, and stderr says why.

use std::collections::HashMap;
use std::io::{Read, Write};

use zeroize::Zeroizing;

use crate::commands::Ctx;
use crate::error::{self, Result};
use crate::journal::Action;
use crate::text::Shown;
use crate::vault::{Payload, Record};
use crate::when;

/// What git asked, from its `key=value` lines.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Request {
    protocol: String,
    /// Lowercase, with `:port` when git gave one.
    host: String,
    path: Option<String>,
}

impl Request {
    /// Parse git's input: `key=value` lines up to a blank line or the end. A `url=` fills in what
    /// the other keys do not say.
    pub(crate) fn parse(text: &str) -> Request {
        let mut kv: HashMap<&str, &str> = HashMap::new();
        for line in text.lines() {
            if line.is_empty() {
                break;
            }
            if let Some((k, v)) = line.split_once('=') {
                kv.insert(k, v);
            }
        }
        let mut r = Request {
            protocol: kv.get("protocol").copied().unwrap_or_default().to_ascii_lowercase(),
            host: kv.get("host").copied().unwrap_or_default().to_ascii_lowercase(),
            path: kv.get("path").map(|p| p.trim_matches('/').to_string()).filter(|p| !p.is_empty()),
        };
        if let Some(url) = kv.get("url")
            && let Some((scheme, rest)) = url.split_once("://")
        {
            let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if r.protocol.is_empty() {
                r.protocol = scheme.to_ascii_lowercase();
            }
            if r.host.is_empty() {
                r.host = host.to_ascii_lowercase();
            }
            if r.path.is_none() {
                let p = path.split(['?', '#']).next().unwrap_or("").trim_matches('/');
                r.path = Some(p.to_string()).filter(|p| !p.is_empty());
            }
        }
        r
    }

    /// The host and the port, the scheme's default when git gave none.
    fn host_port(&self) -> (&str, Option<u16>) {
        split_port(&self.host, default_port(&self.protocol))
    }

    /// Whether a token may be sent for this request at all: https, or http to this machine.
    fn may_answer(&self) -> bool {
        let (host, _) = self.host_port();
        match self.protocol.as_str() {
            "https" => true,
            "http" => matches!(host, "localhost" | "127.0.0.1" | "[::1]") || host.starts_with("127."),
            _ => false,
        }
    }

    fn described(&self) -> String {
        match &self.path {
            Some(p) => format!("{}/{p}", self.host),
            None => self.host.clone(),
        }
    }
}

fn default_port(protocol: &str) -> Option<u16> {
    match protocol {
        "https" => Some(443),
        "http" => Some(80),
        _ => None,
    }
}

/// `host[:port]` as host and port, `default` when there is none.
fn split_port(s: &str, default: Option<u16>) -> (&str, Option<u16>) {
    let colon = if s.starts_with('[') { s.find("]:").map(|i| i + 1) } else { s.rfind(':') };
    match colon {
        Some(i) => (&s[..i], s[i + 1..].parse().ok()),
        None => (s, default),
    }
}

/// A path's segments, a trailing `.git` on the last one dropped (`org/repo.git` is `org/repo`).
fn segments(p: &str) -> Vec<&str> {
    let mut v: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
    if let Some(last) = v.last_mut() {
        *last = last.strip_suffix(".git").unwrap_or(last);
    }
    v
}

/// How well `spec` (a `--host` or a `[git]` key, in its written form) matches `req`: `None` when
/// it does not, else the number of path segments it matched (more is better).
fn score(spec: &str, req: &Request) -> Option<usize> {
    let (authority, path) = spec.split_once('/').unwrap_or((spec, ""));
    let default = default_port(&req.protocol);
    if split_port(authority, default) != req.host_port() {
        return None;
    }
    if path.is_empty() {
        return Some(0);
    }
    let want = segments(path);
    let have = segments(req.path.as_deref()?);
    (have.len() >= want.len() && have[..want.len()] == want[..]).then_some(want.len())
}

/// The record that answers `req` among those with `--host`, best match first; ties cannot
/// happen (a host is one token's).
fn by_host<'p>(payload: &'p Payload, req: &Request) -> Option<&'p Record> {
    payload
        .records
        .iter()
        .filter_map(|r| r.hosts.iter().filter_map(|h| score(h, req)).max().map(|s| (s, r)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, r)| r)
}

/// What a trusted project file's `[git]` table names for `req`, longest key first.
fn by_project(table: &std::collections::BTreeMap<String, String>, req: &Request) -> Option<String> {
    table
        .iter()
        .filter_map(|(k, name)| Some((score(&crate::vault::check_host(k).ok()?, req)?, name)))
        .max_by_key(|(s, _)| *s)
        .map(|(_, n)| n.clone())
}

pub fn run(ctx: &Ctx, helper: &str, action: &str) -> Result<u8> {
    if helper == "docker" {
        return crate::commands::docker::run(ctx, action);
    }
    if helper != "git" {
        return Err(error::usage(format!("there is no credential helper '{}'", crate::text::escape(helper)))
            .hint("tokctl credential git get|store|erase, or tokctl credential docker get|list|store|erase")
            .into());
    }
    let mut input = Zeroizing::new(String::new());
    std::io::stdin().lock().take(64 * 1024).read_to_string(&mut input)?;
    // git's "store" hands over what it used; tokctl keeps its tokens itself. Any other operation
    // a newer git may send is ignored, as the protocol asks.
    if action != "get" && action != "erase" {
        return Ok(0);
    }
    let req = Request::parse(&input);
    if req.host.is_empty() || !req.may_answer() {
        return Ok(0);
    }
    // Inside a project whose [git] table is trusted, that table decides; an untrusted one is
    // ignored, and so is the vault it names.
    let mut from_table = None;
    let mut project_trusted = false;
    if let Some(pf) = ctx.project.as_ref().filter(|p| !p.project.git.is_empty() || ctx.from_project) {
        let trusted = crate::project::require_usable(pf).is_ok()
            && (crate::project::require_trust(pf).is_ok() || pf.exempts(&ctx.vault).is_some());
        if trusted {
            project_trusted = true;
            from_table = by_project(&pf.project.git, &req);
        } else if !pf.project.git.is_empty() || ctx.from_project {
            ctx.say(format!(
                "ignoring {} (not trusted: `tokctl trust {}` if you trust it); answering from your own vault",
                pf.shown(),
                pf.path.shown()
            ));
        }
    }
    let path =
        if ctx.from_project && !project_trusted { crate::access::default_vault_path()? } else { ctx.vault.clone() };
    if !path.exists() {
        return Ok(0);
    }
    let mut acc = crate::access::Access::new(&path, ctx.default_path || path != ctx.vault, ctx.person())?;
    let op = acc.read()?;
    let record = match &from_table {
        Some(name) => Some(op.payload.find(name)?),
        None => by_host(&op.payload, &req),
    };
    let Some(r) = record else { return Ok(0) };
    let how = format!("git {}", req.described());
    if action == "erase" {
        op.record_event(Action::Rejected, &[&r.name], &how);
        ctx.say(format!("noted that {} rejected '{}' (`tokctl doctor` shows it)", req.described(), r.name));
        return Ok(0);
    }
    let now = when::now();
    // Nothing for git, so it moves on to its next helper or its prompt; the reason on stderr.
    let secret = match r.usable_secret(now) {
        Ok(s) => s,
        Err(e) => {
            ctx.say(format!("'{}' answers for {}, but: {e:#}", r.name, req.described()));
            return Ok(0);
        }
    };
    let username =
        r.username.clone().unwrap_or_else(|| crate::commands::inject::username_for(r.provider, secret.expose()).into());
    let mut out = Zeroizing::new(String::with_capacity(secret.expose().len() + 64));
    out.push_str("username=");
    out.push_str(&username);
    out.push_str("\npassword=");
    out.push_str(secret.expose());
    out.push('\n');
    if let Some(t) = r.expires_at {
        out.push_str(&format!("password_expiry_utc={t}\n"));
    }
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(out.as_bytes())?;
    stdout.flush()?;
    op.record_use(&[&r.name], &how);
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(protocol: &str, host: &str, path: Option<&str>) -> Request {
        Request { protocol: protocol.into(), host: host.into(), path: path.map(String::from) }
    }

    #[test]
    fn git_input_and_urls_parse_to_the_same_request() {
        let a = Request::parse("protocol=https\nhost=GitHub.com\npath=org/repo.git\n\nignored=1\n");
        assert_eq!(a, req("https", "github.com", Some("org/repo.git")));
        let b = Request::parse("url=https://me@github.com/org/repo.git?x=1\n");
        assert_eq!(b, a);
        assert_eq!(Request::parse("protocol=https\nhost=h:8443\n"), req("https", "h:8443", None));
    }

    #[test]
    fn hosts_match_whole_segments_ports_and_the_longest_path() {
        let r = req("https", "github.com", Some("org/repo.git"));
        assert_eq!(score("github.com", &r), Some(0));
        assert_eq!(score("github.com:443", &r), Some(0), "the scheme's default port");
        assert_eq!(score("github.com:8443", &r), None);
        assert_eq!(score("github.com/org", &r), Some(1));
        assert_eq!(score("github.com/org/repo", &r), Some(2), "repo matches repo.git");
        assert_eq!(score("github.com/or", &r), None, "whole segments only");
        assert_eq!(score("gitlab.com", &r), None);
        assert_eq!(score("github.com/org", &req("https", "github.com", None)), None, "a path needs a path");
        assert_eq!(score("h:8443", &req("https", "h:8443", None)), Some(0));
        assert_eq!(score("h", &req("https", "h:8443", None)), None);
        assert_eq!(score("[::1]:8080", &req("http", "[::1]:8080", None)), Some(0));
    }

    #[test]
    fn only_https_and_loopback_http_are_answered() {
        assert!(req("https", "example.com", None).may_answer());
        assert!(req("http", "127.0.0.1:8080", None).may_answer());
        assert!(req("http", "localhost", None).may_answer());
        assert!(!req("http", "example.com", None).may_answer());
        assert!(!req("ftp", "example.com", None).may_answer());
    }
}
