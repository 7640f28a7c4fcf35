//! A remote store: OpenBao or HashiCorp Vault, KV version 2 (docs/FORMAT.md, "Remote stores").
//!
//! A vault location `openbao+https://HOST:PORT/MOUNT/PREFIX` (or `vault+https://…`, `+http://`
//! to a loopback address only) names one KV v2 secret per token at `MOUNT/PREFIX/NAME`. Its data
//! holds `token` beside the record's fields and is the truth; `custom_metadata` mirrors env,
//! scopes, status and expiry for people and policy tools. Every write is a check-and-set on the
//! version read, so two writers never silently overwrite each other.

use std::net::IpAddr;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::crypto;
use crate::error::{self, Result};
use crate::secret::Secret;
use crate::vault::{Kind, Payload, Record, check_name, default_env};
use crate::when;

pub mod http;

use http::{Client, Method};

/// The two spellings of a remote store, as they start a vault location.
const SCHEMES: [&str; 2] = ["openbao+", "vault+"];

/// Whether a vault location is a URL rather than a file path.
pub fn is_url(p: &Path) -> bool {
    p.to_str().is_some_and(|s| SCHEMES.iter().any(|x| s.starts_with(x)))
}

/// A parsed remote vault location.
#[derive(Clone, Debug)]
pub struct Location {
    /// `https://HOST:PORT`, what requests go to.
    pub base: String,
    pub mount: String,
    /// The folder under the mount, without slashes at either end; possibly empty.
    pub prefix: String,
    /// The location as given.
    pub text: String,
}

fn bad_url(text: &str, why: &str) -> anyhow::Error {
    error::usage(format!("'{}' is not a usable remote store: {why}", crate::ui::escape(text)))
        .hint("write it as openbao+https://HOST:PORT/MOUNT/PREFIX (or vault+https://…)")
        .into()
}

impl Location {
    /// `None` for a file path. Plain http to anything but a loopback address is refused here,
    /// before any connection.
    pub fn parse(p: &Path) -> Result<Option<Location>> {
        if !is_url(p) {
            return Ok(None);
        }
        let text = p.to_str().expect("is_url checked UTF-8");
        let rest = SCHEMES.iter().find_map(|s| text.strip_prefix(s)).expect("is_url checked the scheme");
        let (scheme, rest) = if let Some(r) = rest.strip_prefix("https://") {
            ("https", r)
        } else if let Some(r) = rest.strip_prefix("http://") {
            ("http", r)
        } else {
            return Err(bad_url(text, "the scheme must be https (or http to this machine)"));
        };
        if rest.contains(['?', '#', '@', '\\']) || rest.chars().any(|c| c.is_control() || c == ' ') {
            return Err(bad_url(text, "no credentials, query, fragment, spaces or backslashes belong in it"));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((h, "")) => (h, None),
                Some((h, rest)) => (h, Some(rest.strip_prefix(':').unwrap_or("x"))),
                None => ("", None),
            },
            None => match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        if host.is_empty() {
            return Err(bad_url(text, "it names no host"));
        }
        if port.is_some_and(|p| p.parse::<u16>().is_err() || p == "0") {
            return Err(bad_url(text, "its port is not a number from 1 to 65535"));
        }
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let Some((mount, prefix)) = segs.split_first() else {
            return Err(bad_url(text, "it names no KV mount (the first path segment, e.g. secret)"));
        };
        if let Some(s) = segs
            .iter()
            .find(|s| **s == "." || **s == ".." || !s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)))
        {
            return Err(bad_url(text, &format!("the path segment '{s}' is not [A-Za-z0-9._-]+")));
        }
        if scheme == "http" && !is_loopback(host) {
            return Err(error::usage(format!(
                "refusing plain http to {host}: tokens would cross the network unencrypted"
            ))
            .hint("use https (openbao+https://…); plain http is only for a server on this machine (127.0.0.1, ::1, localhost)")
            .into());
        }
        Ok(Some(Location {
            base: format!("{scheme}://{authority}"),
            mount: mount.to_string(),
            prefix: prefix.join("/"),
            text: text.to_string(),
        }))
    }

    /// The API path of `NAME` under `kind` (`data`, `metadata`, `destroy`).
    pub fn path(&self, kind: &str, name: &str) -> String {
        let mut p = format!("{}/{kind}/", self.mount);
        if !self.prefix.is_empty() {
            p.push_str(&self.prefix);
            p.push('/');
        }
        p.push_str(name);
        p
    }

    /// `MOUNT/PREFIX/NAME` as the `bao kv` commands take it.
    pub fn kv_path(&self, name: &str) -> String {
        self.path("", name).replacen("//", "/", 1)
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// One token as read from the server: its record, the version it was read at, and the data as
/// it was (fields other clients keep there are written back untouched).
pub struct Entry {
    pub record: Record,
    pub version: u64,
    pub data: Map<String, Value>,
}

/// A check-and-set lost to another writer.
#[derive(Debug)]
pub struct Lost(pub String);

impl std::fmt::Display for Lost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} changed on the server while this command ran", self.0)
    }
}

impl std::error::Error for Lost {}

/// One version of a secret, for `log`.
pub struct Version {
    pub version: u64,
    pub created: i64,
    pub deleted: bool,
    pub destroyed: bool,
}

pub struct Store {
    pub loc: Location,
    pub client: Client,
}

fn unexpected(r: &http::Reply, what: &str, path: &str) -> anyhow::Error {
    anyhow::anyhow!("the server answered HTTP {} to {what} {path}: {}", r.status, r.errors())
}

impl Store {
    pub fn new(loc: Location) -> Result<Store> {
        let client = Client::new(&loc)?;
        Ok(Store { loc, client })
    }

    /// The token names under the prefix (sub-folders and names tokctl cannot take are skipped).
    pub fn names(&self) -> Result<Vec<String>> {
        let path = self.loc.path("metadata", "").trim_end_matches('/').to_string();
        let r = self.client.send(Method::List, &path, None)?;
        match r.status {
            200 => Ok(r.body["data"]["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str())
                .filter(|k| check_name(k).is_ok())
                .map(String::from)
                .collect()),
            404 => Ok(Vec::new()),
            _ => Err(unexpected(&r, "a list of", &path)),
        }
    }

    /// The token `name`, or `None` when there is none (or its newest version was deleted).
    pub fn read(&self, name: &str) -> Result<Option<Entry>> {
        let path = self.loc.path("data", name);
        let mut r = self.client.send(Method::Get, &path, None)?;
        match r.status {
            200 => {}
            404 => return Ok(None),
            _ => return Err(unexpected(&r, "a read of", &path)),
        }
        let meta = r.body["data"]["metadata"].take();
        // Taken out of the reply: the one copy of the secret left is in `data`, wiped with it.
        let Value::Object(mut data) = r.body["data"]["data"].take() else { return Ok(None) };
        let version = meta["version"].as_u64().unwrap_or(0);
        let written = meta["created_time"].as_str().and_then(parse_time).unwrap_or_else(when::now);
        let record = match record_from(name, &data, written) {
            Ok(r) => r,
            Err(why) => {
                wipe(&mut data);
                return Err(error::damaged(format!("{}: {why}", self.loc.kv_path(name)))
                    .hint("fix that field with `bao kv patch`, or remove it; docs/FORMAT.md says how tokctl reads each")
                    .into());
            }
        };
        Ok(Some(Entry { record, version, data }))
    }

    /// Every token under the prefix, read by up to 8 threads at once (one request per token).
    pub fn read_all(&self) -> Result<Vec<Entry>> {
        let names = self.names()?;
        if names.len() <= 2 {
            return Ok(names.iter().map(|n| self.read(n)).collect::<Result<Vec<_>>>()?.into_iter().flatten().collect());
        }
        // Log in once, before the threads ask for the token.
        self.client.login()?;
        let per = names.len().div_ceil(8);
        let parts: Vec<Result<Vec<Option<Entry>>>> = std::thread::scope(|s| {
            let running: Vec<_> = names
                .chunks(per)
                .map(|chunk| s.spawn(move || chunk.iter().map(|n| self.read(n)).collect::<Result<Vec<_>>>()))
                .collect();
            running
                .into_iter()
                .map(|t| t.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a reader thread failed"))))
                .collect()
        });
        let mut out = Vec::with_capacity(names.len());
        for part in parts {
            out.extend(part?.into_iter().flatten());
        }
        Ok(out)
    }

    /// Write `data` as the next version of `name`, if its current version is still `cas`
    /// (0: it must not exist). Returns the new version.
    fn put(&self, name: &str, data: Map<String, Value>, cas: u64) -> Result<u64> {
        let path = self.loc.path("data", name);
        let body = json!({"options": {"cas": cas}, "data": data});
        let r = self.client.send(Method::Post, &path, Some(&body));
        wipe_token(body);
        let r = r?;
        match r.status {
            200 | 204 => Ok(r.body["data"]["version"].as_u64().unwrap_or(cas + 1)),
            400 if r.errors().contains("check-and-set") => Err(Lost(self.loc.kv_path(name)).into()),
            _ => Err(unexpected(&r, "a write to", &path)),
        }
    }

    /// Mirror env, scopes, status and expiry into `custom_metadata` (never the truth).
    fn mirror(&self, r: &Record) -> Result<()> {
        let path = self.loc.path("metadata", &r.name);
        let now = when::now();
        let mut m = Map::new();
        m.insert("tokctl-env".into(), r.env.clone().into());
        // KV refuses an empty value: no scopes, no key.
        if !r.scopes.is_empty() {
            m.insert("tokctl-scopes".into(), clip(&r.scopes.join(" ")).into());
        }
        m.insert("tokctl-status".into(), r.status(now).as_str().into());
        m.insert("tokctl-expires".into(), r.expires_at.map(when::rfc3339).unwrap_or_else(|| "never".into()).into());
        let body = json!({"custom_metadata": m});
        let reply = self.client.send(Method::Post, &path, Some(&body))?;
        match reply.status {
            200 | 204 => Ok(()),
            _ => Err(unexpected(&reply, "a metadata write to", &path)),
        }
    }

    /// Destroy versions `1..=upto` of `name`: their data is gone for good.
    fn destroy(&self, name: &str, upto: u64) -> Result<()> {
        let path = self.loc.path("destroy", name);
        let versions: Vec<u64> = (1..=upto).collect();
        let r = self.client.send(Method::Post, &path, Some(&json!({"versions": versions})))?;
        match r.status {
            200 | 204 => Ok(()),
            _ => Err(unexpected(&r, "a destroy of", &path)),
        }
    }

    /// Remove `name` entirely: every version and its metadata.
    fn remove(&self, name: &str) -> Result<()> {
        let path = self.loc.path("metadata", name);
        let r = self.client.send(Method::Delete, &path, None)?;
        match r.status {
            200 | 204 | 404 => Ok(()),
            _ => Err(unexpected(&r, "a delete of", &path)),
        }
    }

    /// The versions of `name`, oldest first.
    pub fn versions(&self, name: &str) -> Result<Vec<Version>> {
        let path = self.loc.path("metadata", name);
        let r = self.client.send(Method::Get, &path, None)?;
        match r.status {
            200 => {}
            404 => return Ok(Vec::new()),
            _ => return Err(unexpected(&r, "a read of", &path)),
        }
        let mut out: Vec<Version> = r.body["data"]["versions"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(n, v)| {
                Some(Version {
                    version: n.parse().ok()?,
                    created: v["created_time"].as_str().and_then(parse_time).unwrap_or(0),
                    deleted: v["deletion_time"].as_str().is_some_and(|s| !s.is_empty()),
                    destroyed: v["destroyed"].as_bool().unwrap_or(false),
                })
            })
            .collect();
        out.sort_by_key(|v| v.version);
        Ok(out)
    }

    /// Make the server hold `after`, given that it held `before` when read: write each record
    /// that changed (check-and-set on the version read), create the new ones, remove the ones
    /// gone. A record whose secret changed or was revoked has every earlier version destroyed,
    /// so no version keeps the old secret. A lost check-and-set is a `Lost` error.
    pub fn commit(&self, before: &[Entry], after: &Payload) -> Result<()> {
        for r in &after.records {
            let old = before.iter().find(|e| e.record.id == r.id);
            match old {
                Some(e) if e.record.name == r.name => {
                    let mut data = data_from(r, &e.data);
                    let mut was = data_from(&e.record, &e.data);
                    let same = data == was;
                    wipe(&mut was);
                    if same {
                        wipe(&mut data);
                        continue;
                    }
                    let version = self.put(&r.name, data, e.version)?;
                    self.mirror(r)?;
                    let secret_changed =
                        e.record.secret.as_ref().map(|s| s.expose()) != r.secret.as_ref().map(|s| s.expose());
                    if secret_changed && e.record.secret.is_some() {
                        self.destroy(&r.name, version - 1)?;
                    }
                }
                Some(e) => {
                    // Renamed: the new path must be free, then the old one goes.
                    self.put(&r.name, data_from(r, &e.data), 0)?;
                    self.mirror(r)?;
                    self.remove(&e.record.name)?;
                }
                None => {
                    self.put(&r.name, data_from(r, &Map::new()), 0)?;
                    self.mirror(r)?;
                }
            }
        }
        for e in before {
            if !after.records.iter().any(|r| r.id == e.record.id) {
                self.remove(&e.record.name)?;
            }
        }
        Ok(())
    }
}

fn clip(s: &str) -> String {
    if s.len() <= 512 { s.to_string() } else { s[..s.floor_char_boundary(509)].to_string() + "…" }
}

fn wipe_token(mut body: Value) {
    if let Some(Value::Object(m)) = body.get_mut("data") {
        wipe(m);
    }
}

/// Wipe the secret in a secret's data (serde_json's strings are not wiped on drop).
fn wipe(data: &mut Map<String, Value>) {
    if let Some(Value::String(s)) = data.get_mut("token") {
        zeroize::Zeroize::zeroize(s);
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        wipe(&mut self.data);
    }
}

fn parse_time(s: &str) -> Option<i64> {
    s.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// The secret's data for `r`: `extra` (what the server held, other clients' fields kept) with
/// tokctl's fields set. A revoked record has no `token`.
pub fn data_from(r: &Record, extra: &Map<String, Value>) -> Map<String, Value> {
    let mut d = extra.clone();
    let time = |t: Option<i64>| t.map(|t| Value::from(when::rfc3339(t))).unwrap_or(Value::Null);
    match &r.secret {
        Some(s) => d.insert("token".into(), s.expose().into()),
        None => d.remove("token"),
    };
    d.insert("id".into(), r.id.clone().into());
    d.insert("kind".into(), (if r.kind == Kind::Minted { "minted" } else { "imported" }).into());
    d.insert("env".into(), r.env.clone().into());
    d.insert("scopes".into(), r.scopes.clone().into());
    d.insert("created".into(), time(Some(r.created_at)));
    d.insert("updated".into(), time(Some(r.updated_at)));
    d.insert("expires".into(), time(r.expires_at));
    d.insert("secret_set".into(), time(Some(r.secret_set_at)));
    d.insert("lifetime".into(), r.lifetime.map(Value::from).unwrap_or(Value::Null));
    d.insert("rotate_every".into(), r.rotate_every.map(Value::from).unwrap_or(Value::Null));
    d.insert("status".into(), (if r.revoked_at.is_some() { "revoked" } else { "active" }).into());
    d.insert("revoked_at".into(), time(r.revoked_at));
    d.insert("note".into(), r.note.clone().into());
    d.insert("prefix".into(), r.prefix.clone().map(Value::from).unwrap_or(Value::Null));
    d.insert("fingerprint".into(), r.fingerprint.clone().into());
    d
}

/// A record from a secret's data. Only `token` is needed: every other field has a default (an
/// imported token named after the path, its variable from the name, no scopes, no expiry), so
/// a secret another client wrote with `bao kv put … token=…` is a valid token.
pub fn record_from(name: &str, d: &Map<String, Value>, written: i64) -> Result<Record, String> {
    let text = |k: &str| -> Result<Option<String>, String> {
        match d.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(format!("'{k}' is not a string")),
        }
    };
    let time = |k: &str| -> Result<Option<i64>, String> {
        match text(k)? {
            None => Ok(None),
            Some(s) if s == "never" => Ok(None),
            Some(s) => parse_time(&s).map(Some).ok_or_else(|| format!("'{k}' is not an RFC 3339 time")),
        }
    };
    let secs = |k: &str| -> Result<Option<i64>, String> {
        match d.get(k) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .filter(|s| *s > 0)
                .map(Some)
                .ok_or_else(|| format!("'{k}' is not a positive number of seconds")),
            Some(Value::String(s)) => s
                .parse::<i64>()
                .ok()
                .filter(|s| *s > 0)
                .map(Some)
                .ok_or_else(|| format!("'{k}' is not a positive number of seconds")),
            Some(_) => Err(format!("'{k}' is not a number of seconds")),
        }
    };
    let secret = text("token")?.map(Secret::new);
    let env = match text("env")? {
        Some(e) => {
            crate::vault::check_env(&e)
                .map_err(|_| format!("'env' is not a valid variable name: {}", crate::ui::escape(&e)))?;
            e
        }
        None => default_env(name),
    };
    let scopes: Vec<String> = match d.get("scopes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a
            .iter()
            .map(|s| s.as_str().map(String::from).ok_or("'scopes' holds a non-string"))
            .collect::<Result<_, _>>()?,
        Some(Value::String(s)) => s.split([' ', ',']).filter(|s| !s.is_empty()).map(String::from).collect(),
        Some(_) => return Err("'scopes' is neither a list nor a string".into()),
    };
    let scopes = crate::vault::scope_set(&scopes).map_err(|e| format!("'scopes': {e}"))?;
    let kind = match text("kind")?.as_deref() {
        Some("minted") => Kind::Minted,
        Some("imported") | None => Kind::Imported,
        Some(other) => return Err(format!("'kind' is '{}', not minted or imported", crate::ui::escape(other))),
    };
    let created = time("created")?.unwrap_or(written);
    let updated = time("updated")?.unwrap_or(written);
    let mut revoked_at = time("revoked_at")?;
    if revoked_at.is_none() && text("status")?.as_deref() == Some("revoked") {
        revoked_at = Some(updated);
    }
    let id = text("id")?.unwrap_or_else(|| format!("t_{}", &crypto::hex(&crypto::sha256(name.as_bytes()))[..10]));
    let mut r = Record {
        id,
        name: name.to_string(),
        kind,
        env,
        scopes,
        created_at: created,
        updated_at: updated,
        expires_at: time("expires")?,
        lifetime: secs("lifetime")?,
        last_used_at: None,
        revoked_at,
        note: text("note")?.unwrap_or_default(),
        prefix: text("prefix")?,
        secret: None,
        hash: [0; 32],
        fingerprint: text("fingerprint")?.unwrap_or_default(),
        secret_set_at: time("secret_set")?.unwrap_or(updated),
        rotate_every: secs("rotate_every")?,
    };
    if let Some(s) = secret
        && revoked_at.is_none()
    {
        let set = r.secret_set_at;
        r.set_secret(s, set);
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Option<Location>> {
        Location::parse(Path::new(s))
    }

    #[test]
    fn locations_split_into_server_mount_and_prefix() {
        let l = parse("openbao+https://bao.example.com:8200/secret/team/ci").unwrap().unwrap();
        assert_eq!(
            (l.base.as_str(), l.mount.as_str(), l.prefix.as_str()),
            ("https://bao.example.com:8200", "secret", "team/ci")
        );
        assert_eq!(l.path("data", "gh"), "secret/data/team/ci/gh");
        assert_eq!(l.kv_path("gh"), "secret/team/ci/gh");
        let l = parse("vault+http://[::1]:8200//kv/").unwrap().unwrap();
        assert_eq!((l.base.as_str(), l.mount.as_str(), l.prefix.as_str()), ("http://[::1]:8200", "kv", ""));
        assert_eq!(l.path("metadata", "x"), "kv/metadata/x");
        for ok in ["openbao+http://localhost/s", "openbao+http://127.0.0.2:1/s", "openbao+https://h/s"] {
            assert!(parse(ok).unwrap().is_some(), "{ok}");
        }
        assert!(parse("/home/me/vault.toml").unwrap().is_none());
        assert!(parse("openbao-notes.toml").unwrap().is_none());
    }

    #[test]
    fn unsafe_or_malformed_locations_are_usage_errors() {
        for bad in [
            "openbao+http://10.1.2.3/secret",
            "openbao+http://localhost.evil.com/secret",
            "openbao+http://[::2]/secret",
            "openbao+https://h:99999/s",
            "openbao+https://h:/s",
            "openbao+https://u@h/s",
            "openbao+https://h/s?x=1",
            "openbao+https://h/s/../t",
            "openbao+https:///s",
            "openbao+https://h",
            "openbao+ftp://h/s",
        ] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e.downcast_ref::<error::Error>().map(|e| e.code), Some(error::Code::Usage), "{bad}");
        }
    }
}
