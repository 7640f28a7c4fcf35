//! `tokctl credential docker get|list|store|erase`, and `docker-credential-tokctl ACTION` (the
//! same binary through a symlink of that name): the docker credential-helper protocol, so
//! `"credsStore": "tokctl"` in `~/.docker/config.json`, or `credHelpers` in containers'
//! `auth.json` (podman, skopeo, buildah), keeps registry tokens in the vault.
//!
//! `get` and `erase` read a bare server URL on stdin, `store` reads `{"ServerURL", "Username",
//! "Secret"}`; `get` answers that JSON, `list` a map of server URL to username. A server URL
//! matches a token by its host and port (`--host`, host only); `docker.io`, `index.docker.io`
//! and `registry-1.docker.io` are one host. `store` keeps the secret as an imported token for
//! that host in the user's own vault (never a project file's); `erase` deletes only a token
//! `store` made for that registry, and logs the rest as rejected.

use std::io::{Read, Write};

use serde::Deserialize;
use zeroize::Zeroizing;

use crate::access::Access;
use crate::commands::Ctx;
use crate::error::{self, Result};
use crate::journal::Action;
use crate::secret::Secret;
use crate::vault::{Kind, Meta, Payload, Record};
use crate::when::{self, Expiry};

/// What the protocol answers when there is nothing for a server (docker-credential-helpers'
/// `ErrCredentialsNotFound`), with exit 1.
pub const NOT_FOUND: &str = "credentials not found in native keychain";

/// The note `store` gives the tokens it makes: how `erase` knows them.
const STORED_NOTE: &str = "stored by the docker credential helper for ";

/// A registry's host and port from a server URL as docker and containers write them
/// (`https://index.docker.io/v1/`, `ghcr.io`, `127.0.0.1:5000`), in `--host`'s form; docker
/// hub's names are one.
pub(crate) fn registry_host(server_url: &str) -> Option<String> {
    let s = server_url.trim();
    let s = s.split_once("://").map_or(s, |(_, rest)| rest);
    let authority = s.split('/').next()?.rsplit('@').next()?;
    let host = crate::vault::check_host(authority).ok()?;
    Some(match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => "docker.io".to_string(),
        "docker.io:443" | "index.docker.io:443" | "registry-1.docker.io:443" => "docker.io".to_string(),
        _ => host.strip_suffix(":443").map(String::from).unwrap_or(host),
    })
}

/// The token answering for `host`: one whose `--host` is that host (no path).
fn for_host<'p>(payload: &'p Payload, host: &str) -> Option<&'p Record> {
    payload.records.iter().find(|r| r.hosts.iter().any(|h| h == host))
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Stored {
    #[serde(rename = "ServerURL")]
    server_url: String,
    username: String,
    /// Moved into a `Secret` (wiped on drop) at once; serde's scratch for an escaped string is
    /// not wiped.
    secret: String,
}

fn say_not_found() -> Result<u8> {
    println!("{NOT_FOUND}");
    Ok(1)
}

/// The user's own vault: `--vault`/`TOKCTL_VAULT`, else the default, never a project file's;
/// and whether it exists yet (a server URL is never a path).
fn own_access(ctx: &Ctx) -> Result<(Access<'static>, bool)> {
    let (path, default) = if ctx.from_project {
        (crate::access::default_vault_path()?, true)
    } else {
        (ctx.vault.clone(), ctx.default_path)
    };
    let exists = crate::remote::is_url(&path) || path.exists();
    Ok((Access::new(&path, default, ctx.person())?, exists))
}

pub fn run(ctx: &Ctx, action: &str) -> Result<u8> {
    let mut input = Zeroizing::new(String::new());
    std::io::stdin().lock().take(64 * 1024).read_to_string(&mut input)?;
    match action {
        "get" => get(ctx, &input),
        "list" => list(ctx),
        "store" => store(ctx, &input),
        "erase" => erase(ctx, &input),
        "version" => {
            println!("tokctl {}", env!("CARGO_PKG_VERSION"));
            Ok(0)
        }
        other => Err(error::usage(format!("unknown docker credential action '{}'", crate::text::escape(other)))
            .hint("get, list, store or erase")
            .into()),
    }
}

fn get(ctx: &Ctx, input: &str) -> Result<u8> {
    let server_url = input.trim();
    let Some(host) = registry_host(server_url) else { return say_not_found() };
    let (mut acc, exists) = own_access(ctx)?;
    if !exists {
        return say_not_found();
    }
    let op = acc.read()?;
    let Some(r) = for_host(&op.payload, &host) else { return say_not_found() };
    let secret = match r.usable_secret(when::now()) {
        Ok(s) => s,
        Err(e) => {
            ctx.say(format!("'{}' answers for {host}, but: {e:#}", r.name));
            return say_not_found();
        }
    };
    let username =
        r.username.clone().unwrap_or_else(|| crate::commands::inject::username_for(r.provider, secret.expose()).into());
    // Built in a wiped buffer: serde_json's escaping of each string, with no copy left behind.
    let mut out = Zeroizing::new(Vec::with_capacity(secret.expose().len() + 128));
    out.extend_from_slice(b"{\"ServerURL\":");
    serde_json::to_writer(&mut *out, server_url)?;
    out.extend_from_slice(b",\"Username\":");
    serde_json::to_writer(&mut *out, &username)?;
    out.extend_from_slice(b",\"Secret\":");
    serde_json::to_writer(&mut *out, secret.expose())?;
    out.extend_from_slice(b"}\n");
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    op.record_use(&[&r.name], &format!("docker {host}"));
    Ok(0)
}

fn list(ctx: &Ctx) -> Result<u8> {
    let (mut acc, exists) = own_access(ctx)?;
    let mut map = serde_json::Map::new();
    if exists {
        let op = acc.read()?;
        let now = when::now();
        for r in op.payload.records.iter().filter(|r| r.status(now) == crate::vault::Status::Active) {
            for h in r.hosts.iter().filter(|h| !h.contains('/')) {
                let user = r.username.clone().unwrap_or_else(|| {
                    r.secret
                        .as_ref()
                        .map_or("tokctl", |s| crate::commands::inject::username_for(r.provider, s.expose()))
                        .into()
                });
                map.insert(h.clone(), user.into());
            }
        }
    }
    println!("{}", serde_json::Value::Object(map));
    Ok(0)
}

fn store(ctx: &Ctx, input: &str) -> Result<u8> {
    // Only where the input went wrong: serde's own words may quote a value, the secret too.
    let s: Stored = serde_json::from_str(input).map_err(|e| {
        error::usage(format!(
            "docker credential store: the input is not the protocol's JSON (line {}, column {})",
            e.line(),
            e.column()
        ))
        .hint("{\"ServerURL\": \"…\", \"Username\": \"…\", \"Secret\": \"…\"}")
    })?;
    let host = registry_host(&s.server_url).ok_or_else(|| {
        error::usage(format!(
            "docker credential store: '{}' is not a registry address",
            crate::text::escape(&s.server_url)
        ))
    })?;
    let secret =
        crate::input::secret_exact(Secret::new(s.secret).expose().as_bytes().to_vec(), "the secret", "docker login")?;
    let username = Some(s.username.clone()).filter(|u| !u.is_empty());
    if let Some(u) = &username {
        crate::vault::check_username(u)?;
    }
    let note = format!("{STORED_NOTE}{host}");
    let base = host.replace([':', '[', ']'], "-").trim_matches('-').to_string();
    let (mut acc, _) = own_access(ctx)?;
    let name = acc.write_or_create(|op| store_in(op, &host, &base, &note, &username, &secret))?;
    ctx.report_created(&acc);
    ctx.say(format!("stored the token for {host} as '{name}'"));
    Ok(0)
}

/// Replace the secret of the token `store` made for `host`, else add one under a free name.
fn store_in(
    op: &mut crate::access::Opened,
    host: &str,
    base: &str,
    note: &str,
    username: &Option<String>,
    secret: &Secret,
) -> Result<String> {
    let now = when::now();
    if let Some(r) = op.payload.records.iter_mut().find(|r| r.hosts.iter().any(|h| h == host)) {
        if r.note != note {
            return Err(error::conflict(format!("'{}' already answers for {host}; tokctl did not store it", r.name))
                .hint(format!(
                    "update it with `tokctl import {} --replace`, or `tokctl update {} --remove-host {host}`",
                    r.name, r.name
                ))
                .into());
        }
        r.set_secret(secret.clone(), now);
        r.revoked_at = None;
        r.username = username.clone();
        r.updated_at = now;
        let (name, id) = (r.name.clone(), r.id.clone());
        op.event(Action::Replaced, &name, &id, format!("docker login {host}"));
        return Ok(name);
    }
    let mut name = base.to_string();
    let mut n = 1;
    while op.payload.records.iter().any(|r| r.name == name) {
        n += 1;
        name = format!("{base}-{n}");
    }
    let mut meta = Meta::new(&name, None, &[], None, Some(note), Expiry::Never)?;
    meta.hosts = vec![host.to_string()];
    meta.username = username.clone();
    let r = meta.record(&name, Kind::Imported, None, secret.clone());
    op.event(Action::Imported, &r.name, &r.id, format!("docker login {host}"));
    op.payload.records.push(r);
    Ok(name)
}

fn erase(ctx: &Ctx, input: &str) -> Result<u8> {
    let Some(host) = registry_host(input.trim()) else { return say_not_found() };
    let (mut acc, exists) = own_access(ctx)?;
    if !exists {
        return say_not_found();
    }
    let op = acc.read()?;
    let Some(r) = for_host(&op.payload, &host) else { return say_not_found() };
    let (name, made_by_store) = (r.name.clone(), r.note == format!("{STORED_NOTE}{host}"));
    if !made_by_store {
        op.record_event(Action::Rejected, &[&name], &format!("docker logout {host}"));
        ctx.say(format!("'{name}' answers for {host} but was not stored by docker: kept (logged)"));
        return Ok(0);
    }
    drop(op);
    acc.write(|op| {
        let i =
            op.payload.records.iter().position(|r| r.name == name).ok_or_else(|| error::not_found("gone meanwhile"))?;
        let r = op.payload.records.remove(i);
        op.event(Action::Deleted, &r.name, &r.id, format!("docker logout {host}"));
        Ok(())
    })?;
    ctx.say(format!("deleted '{name}' (docker logout {host})"));
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls_come_down_to_a_host_and_docker_hub_is_one() {
        for (url, host) in [
            ("https://index.docker.io/v1/", "docker.io"),
            ("registry-1.docker.io", "docker.io"),
            ("docker.io", "docker.io"),
            ("ghcr.io", "ghcr.io"),
            ("https://ghcr.io", "ghcr.io"),
            ("127.0.0.1:5000", "127.0.0.1:5000"),
            ("http://user@Registry.Example:5000/v2/", "registry.example:5000"),
            ("registry.example:443", "registry.example"),
        ] {
            assert_eq!(registry_host(url).as_deref(), Some(host), "{url}");
        }
        assert_eq!(registry_host(""), None);
        assert_eq!(registry_host("not a host"), None);
    }
}
