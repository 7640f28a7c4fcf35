//! The store itself: read a prefix's tokens, and write, rename, revoke and delete them, each with
//! check-and-set on the version read; every number and size a server answers is checked.

use serde_json::{Map, Value, json};

use crate::error::{self, Result};
use crate::vault::{Payload, Record, check_name};
use crate::when;

use super::http::{self, Client, Method};
use super::layout::{clip, data_from, marker, marker_deleted, parse_time, record_from, wipe, wipe_token, with_id};
use super::location::Location;

/// One path as read from the server: its record, the version it was read at, and the data as
/// it was (fields other clients keep there are written back untouched).
///
/// The path is the record's identity on a server, not its `id`: another client may copy a
/// secret's data to a second path. `id` is the id the data holds, written back as it was; the
/// record's own `id` is made unique per path for this command (`distinct_ids`).
///
/// A `leftover` is a path that holds no token record: the marker a rename or delete leaves
/// (status `moved` or `deleted`), or a path whose newest version was deleted by another client.
/// It is no record; a new record under its name is written over it, with check-and-set.
pub struct Entry {
    pub record: Record,
    pub version: u64,
    pub data: Map<String, Value>,
    pub id: String,
    pub leftover: bool,
}

/// The highest version number taken from a server: KV v2 counts one a write.
pub(super) const MAX_VERSION: u64 = 1 << 32;
/// The most names taken from a list, and versions from a secret's metadata.
pub(super) const MAX_NAMES: usize = 100_000;
pub(super) const MAX_VERSIONS: usize = 10_000;

/// A server's answer tokctl refuses to act on: exit 6, saying what it answered.
pub fn bad_answer(base: &str, what: String) -> anyhow::Error {
    error::damaged(format!("the server answered {what} ({base})"))
        .hint("that is not what OpenBao or Vault KV v2 answers: check what listens at that address")
        .into()
}

/// Give every entry a record id of its own: a second path holding the same id (a copy made by
/// another client, or a rename cut short by an older tokctl) gets `ID@NAME` for this command.
/// What is written back keeps each path's own `id`.
pub fn distinct_ids(entries: &mut [Entry]) {
    let mut seen = std::collections::HashSet::new();
    for e in entries.iter_mut() {
        if !seen.insert(e.record.id.clone()) {
            e.record.id = format!("{}@{}", e.id, e.record.name);
            seen.insert(e.record.id.clone());
        }
    }
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

pub(super) fn unexpected(r: &http::Reply, what: &str, path: &str) -> anyhow::Error {
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
            200 => {
                let keys = r.body["data"]["keys"].as_array().map_or(&[][..], Vec::as_slice);
                if keys.len() > MAX_NAMES {
                    return Err(bad_answer(
                        &self.loc.base,
                        format!("a list of {} names for {path} (tokctl reads at most {MAX_NAMES})", keys.len()),
                    ));
                }
                Ok(keys.iter().filter_map(|k| k.as_str()).filter(|k| check_name(k).is_ok()).map(String::from).collect())
            }
            404 => Ok(Vec::new()),
            _ => Err(unexpected(&r, "a list of", &path)),
        }
    }

    /// The path `name`: `None` when there is nothing there, a leftover when it holds no record.
    pub fn read(&self, name: &str) -> Result<Option<Entry>> {
        let path = self.loc.path("data", name);
        let mut r = self.client.send(Method::Get, &path, None)?;
        match r.status {
            200 => {}
            // A newest version deleted (not destroyed) by another client answers 404 with its
            // metadata: a leftover at that version. No metadata: nothing there.
            404 => {
                return match r.body["data"]["metadata"]["version"].as_u64() {
                    None => Ok(None),
                    Some(v) => Ok(Some(self.leftover(name, self.version(v, &path)?))),
                };
            }
            _ => return Err(unexpected(&r, "a read of", &path)),
        }
        let meta = r.body["data"]["metadata"].take();
        // Taken out of the reply: the one copy of the secret left is in `data`, wiped with it.
        let mut data = match r.body["data"]["data"].take() {
            Value::Object(d) => d,
            _ => Map::new(),
        };
        let version = match meta["version"].as_u64().ok_or("none").and_then(|v| self.version(v, &path).map_err(|_| ""))
        {
            Ok(v) => v,
            Err(_) => {
                wipe(&mut data);
                let v = meta["version"].to_string();
                return Err(bad_answer(&self.loc.base, format!("version {} for {path}", crate::text::escape(&v))));
            }
        };
        if let Some(Value::String(t)) = data.get("token")
            && t.len() > crate::input::MAX_SECRET
        {
            wipe(&mut data);
            return Err(bad_answer(
                &self.loc.base,
                format!("a secret over 64 KiB for {path} (a token is at most 64 KiB, as for import)"),
            ));
        }
        if matches!(data.get("status").and_then(Value::as_str), Some("moved" | "deleted")) {
            wipe(&mut data);
            return Ok(Some(self.leftover(name, version)));
        }
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
        Ok(Some(Entry { id: record.id.clone(), record, version, data, leftover: false }))
    }

    /// A version number from the server, checked: 1 to `MAX_VERSION`.
    fn version(&self, v: u64, path: &str) -> Result<u64> {
        if (1..=MAX_VERSION).contains(&v) {
            Ok(v)
        } else {
            Err(bad_answer(&self.loc.base, format!("version {v} for {path}")))
        }
    }

    fn leftover(&self, name: &str, version: u64) -> Entry {
        let record = record_from(name, &Map::new(), 0).expect("the defaults are a record");
        Entry { id: record.id.clone(), record, version, data: Map::new(), leftover: true }
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
            // A check-and-set write makes exactly the next version.
            200 | 204 => match &r.body["data"]["version"] {
                Value::Number(n) if n.as_u64() == Some(cas + 1) => Ok(cas + 1),
                v => Err(bad_answer(
                    &self.loc.base,
                    format!(
                        "version {} to a write of {path} at version {cas} (KV v2 makes {})",
                        crate::text::escape(&v.to_string()),
                        cas + 1
                    ),
                )),
            },
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

    /// Destroy every version of `name` up to `upto` that the server still keeps: their data is
    /// gone for good. Only versions the metadata lists are named.
    fn destroy(&self, name: &str, upto: u64) -> Result<()> {
        let versions: Vec<u64> =
            self.versions(name)?.iter().filter(|v| v.version <= upto && !v.destroyed).map(|v| v.version).collect();
        if versions.is_empty() {
            return Ok(());
        }
        let path = self.loc.path("destroy", name);
        let r = self.client.send(Method::Post, &path, Some(&json!({"versions": versions})))?;
        match r.status {
            200 | 204 => Ok(()),
            _ => Err(unexpected(&r, "a destroy of", &path)),
        }
    }

    /// The newest version of `name` (0: none), from its metadata.
    fn current(&self, name: &str) -> Result<u64> {
        let path = self.loc.path("metadata", name);
        let r = self.client.send(Method::Get, &path, None)?;
        match r.status {
            200 => match r.body["data"]["current_version"].as_u64() {
                Some(v) => self.version(v, &path),
                None => Err(bad_answer(&self.loc.base, format!("no current_version for {path}"))),
            },
            404 => Ok(0),
            _ => Err(unexpected(&r, "a read of", &path)),
        }
    }

    /// Remove `name` entirely (every version and its metadata) if its newest version is still
    /// `version`, the marker this command wrote. KV v2 has no check-and-set for this delete:
    /// the version is looked at right before it, and a later version (a record someone wrote
    /// over the marker) is left alone.
    fn remove_at(&self, name: &str, version: u64) -> Result<()> {
        if self.current(name)? != version {
            return Ok(());
        }
        let path = self.loc.path("metadata", name);
        let r = self.client.send(Method::Delete, &path, None)?;
        match r.status {
            200 | 204 | 404 => Ok(()),
            _ => Err(unexpected(&r, "a delete of", &path)),
        }
    }

    /// Retire `name`, read at `version`: a `deleted` marker written with check-and-set on that
    /// version (a lost race is `Lost`, nothing else done), then every earlier version destroyed
    /// and the path removed. Errors after the marker are `Unfinished`.
    fn retire(&self, name: &str, version: u64, marker: Map<String, Value>) -> Result<()> {
        let at = self.put(name, marker, version)?;
        self.destroy(name, at - 1).and_then(|()| self.remove_at(name, at)).map_err(|e| Unfinished::wrap(e, name))
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
        let listed = r.body["data"]["versions"].as_object();
        if listed.is_some_and(|m| m.len() > MAX_VERSIONS) {
            return Err(bad_answer(
                &self.loc.base,
                format!("{} versions for {path} (tokctl reads at most {MAX_VERSIONS})", listed.map_or(0, |m| m.len())),
            ));
        }
        let mut out: Vec<Version> = listed
            .into_iter()
            .flatten()
            .filter_map(|(n, v)| {
                Some(Version {
                    version: n.parse().ok().filter(|n| (1..=MAX_VERSION).contains(n))?,
                    created: v["created_time"].as_str().and_then(parse_time).unwrap_or(0),
                    deleted: v["deletion_time"].as_str().is_some_and(|s| !s.is_empty()),
                    destroyed: v["destroyed"].as_bool().unwrap_or(false),
                })
            })
            .collect();
        out.sort_by_key(|v| v.version);
        Ok(out)
    }

    /// Make the server hold `after`, given that it held `before` when read. Every write and
    /// delete is conditional on the version read (check-and-set), records are matched by their
    /// (per-path) ids, and a lost race is a `Lost` error with nothing of this command's left:
    /// - a changed record is written over the version read; when its secret changed or was
    ///   revoked, every earlier version is destroyed, so no version keeps the old secret;
    /// - a new record is written where nothing is (or over a leftover, at its version);
    /// - a renamed record is first written at the new path (which must be free), then the old
    ///   path becomes a `moved` marker, over the version read. If that loses (another client
    ///   changed or revoked it meanwhile), the new path is retired again. Only then are the
    ///   old path's versions destroyed and the path removed;
    /// - a removed record becomes a `deleted` marker over the version read, then likewise.
    ///
    /// What fails after a marker is written (a token that may write but not delete or destroy)
    /// is an `Unfinished` error: the change is made, the old path holds no token record.
    pub fn commit(&self, before: &[Entry], after: &Payload) -> Result<()> {
        let live: Vec<&Entry> = before.iter().filter(|e| !e.leftover).collect();
        // Where a new record goes: over a leftover at its version, else where nothing is.
        let free_at = |name: &str| before.iter().find(|e| e.leftover && e.record.name == name).map_or(0, |e| e.version);
        for r in &after.records {
            match live.iter().find(|e| e.record.id == r.id) {
                Some(e) if e.record.name == r.name => {
                    let mut data = with_id(data_from(r, &e.data), &e.id);
                    let mut was = with_id(data_from(&e.record, &e.data), &e.id);
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
                    let at = free_at(&r.name);
                    let new = self.put(&r.name, with_id(data_from(r, &e.data), &e.id), at)?;
                    self.mirror(r)?;
                    let marker = marker("moved", Some(&r.name), &e.id);
                    match self.put(&e.record.name, marker, e.version) {
                        Err(lost) if lost.downcast_ref::<Lost>().is_some() => {
                            // The old path changed meanwhile: take the new one back, then run again.
                            self.retire(&r.name, new, marker_deleted(&e.id))
                                .map_err(|e| e.context(lost.to_string()))?;
                            return Err(lost);
                        }
                        Err(e) => return Err(e),
                        Ok(moved) => self
                            .destroy(&e.record.name, moved - 1)
                            .and_then(|()| self.remove_at(&e.record.name, moved))
                            .map_err(|err| Unfinished::wrap(err, &e.record.name).moved_to(&r.name))?,
                    }
                }
                None => {
                    self.put(&r.name, data_from(r, &Map::new()), free_at(&r.name))?;
                    self.mirror(r)?;
                }
            }
        }
        for e in live {
            if !after.records.iter().any(|r| r.id == e.record.id) {
                self.retire(&e.record.name, e.version, marker_deleted(&e.id))?;
            }
        }
        Ok(())
    }
}

/// A change made on the server whose clean-up could not be finished: the old path holds a
/// marker without the token instead of nothing. Keeps the cause's exit code; says how to finish.
#[derive(Debug)]
pub struct Unfinished {
    pub path: String,
    pub moved_to: Option<String>,
    pub cause: anyhow::Error,
}

impl Unfinished {
    fn wrap(cause: anyhow::Error, name: &str) -> anyhow::Error {
        Unfinished { path: name.to_string(), moved_to: None, cause }.into()
    }
}

trait MovedTo {
    fn moved_to(self, to: &str) -> anyhow::Error;
}

impl MovedTo for anyhow::Error {
    fn moved_to(mut self, to: &str) -> anyhow::Error {
        if let Some(u) = self.downcast_mut::<Unfinished>() {
            u.moved_to = Some(to.to_string());
        }
        self
    }
}

impl std::fmt::Display for Unfinished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.cause)
    }
}

impl std::error::Error for Unfinished {}

impl Unfinished {
    /// The message, the exit code of the cause, and how to finish, for the store at `loc`.
    pub fn explain(&self, loc: &Location) -> anyhow::Error {
        let code = self.cause.downcast_ref::<error::Error>().map_or(error::Code::Locked, |e| e.code);
        let kv = loc.kv_path(&self.path);
        let done = match &self.moved_to {
            Some(to) => format!("renamed '{}' to '{to}'", self.path),
            None => format!("deleted '{}'", self.path),
        };
        error::Error::new(code, format!("{done}, but could not clean up {kv}: {:#}", self.cause))
            .hint(format!(
                "{kv} now holds only a '{}' marker without the token, which tokctl ignores and writes a new '{}' over;\n\
                 to remove the path and its old versions, someone allowed to delete there runs `bao kv metadata delete {kv}`",
                if self.moved_to.is_some() { "moved" } else { "deleted" },
                self.path
            ))
            .into()
    }
}

impl Drop for Entry {
    fn drop(&mut self) {
        wipe(&mut self.data);
    }
}
