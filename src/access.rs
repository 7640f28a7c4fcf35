//! Opening a vault: read it, or change it under the writers' lock, unlocking it once per command.
//!
//! An `Access` belongs to one command. It unlocks the vault the first time it is needed (the
//! order is `unlock`'s; a person may be asked then, before any lock is taken) and keeps the key,
//! so a command that checks and then writes, or reads a few records and then all of them, never
//! asks twice. Under the lock it re-reads the file and only ever uses what needs no person: the
//! key it already has, the passphrase already given, or the non-interactive sources. A new key
//! is only ever made for a vault that does not exist yet; an existing vault that nothing unlocks
//! is exit 5, untouched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::cache::{self, Cache};
use crate::error::{self, Result};
use crate::fsio;
use crate::journal::{self, Action, Event};
use crate::keystore::{self, ENV_KEY, ENV_PASS};
use crate::remote::{self, Entry, Location, Lost, Store};
use crate::secret::Key;
use crate::ui::Shown;
use crate::unlock::{self, Cached, Prompter, Source, Sources, Unlocked};
use crate::vault::{self, Envelope, Header, Payload, Slot, VaultKind};
use crate::when;

pub fn default_vault_path() -> Result<PathBuf> {
    let base = dirs::data_dir().ok_or_else(|| {
        error::usage("cannot tell where your data directory is (no HOME?)")
            .hint("pass --vault PATH or set TOKCTL_VAULT")
    })?;
    Ok(base.join("tokctl").join("vault.toml"))
}

/// An unlocked vault.
pub struct Opened {
    pub path: PathBuf,
    pub header: Header,
    pub key: Key,
    pub payload: Payload,
    pub source: Source,
    /// For a key from the unlock cache: its first source and the generation the session saw.
    pub cached: Option<Cached>,
    /// Events to append to the log once the change is on disk.
    pub events: Vec<Event>,
    /// Set by a key rotation: the commit gives the log a new key too (see `commit`).
    rekey_log: bool,
    /// `file_tag` of `path`, worked out once when first needed (it canonicalizes the path).
    tag: std::cell::OnceCell<String>,
}

impl Opened {
    pub fn new(
        path: PathBuf,
        header: Header,
        key: Key,
        payload: Payload,
        source: Source,
        cached: Option<Cached>,
    ) -> Opened {
        Opened {
            path,
            header,
            key,
            payload,
            source,
            cached,
            events: Vec::new(),
            rekey_log: false,
            tag: Default::default(),
        }
    }

    /// The vault is getting a new key: give its log a new one when this change is committed, so
    /// the old vault key reads no event written later and appends none that counts.
    pub fn rekey_log(&mut self) {
        self.rekey_log = true;
    }

    pub fn event(&mut self, action: Action, name: &str, id: &str, detail: impl Into<String>) {
        self.events.push(Event::new(when::now(), action, name, id, detail));
    }

    /// Whether uses are recorded: not in a bundle, a read-only artefact (committed, opened in
    /// CI), nor on a remote store, where every read would become a write (its audit device
    /// sees the uses instead).
    pub fn tracks_uses(&self) -> bool {
        self.header.kind != VaultKind::Bundle && !self.is_remote()
    }

    /// This vault file's tag (see `file_tag`).
    pub fn tag(&self) -> &str {
        self.tag.get_or_init(|| file_tag(&self.path))
    }

    /// Whether the records came from a remote store rather than a vault file.
    pub fn is_remote(&self) -> bool {
        remote::is_url(&self.path)
    }

    /// Record a use: best effort, never fails the command.
    pub fn record_use(&self, names: &[&str], how: &str) {
        if !self.tracks_uses() {
            return;
        }
        let now = when::now();
        let events: Vec<Event> = names
            .iter()
            .filter_map(|n| self.payload.find(n).ok())
            .map(|r| Event::new(now, Action::Used, &r.name, &r.id, how))
            .collect();
        // A rotation since this vault was read retired its log key: then the use goes unrecorded.
        let current = || {
            fsio::read_opt(&self.path, fsio::MAX_VAULT)
                .ok()
                .flatten()
                .and_then(|b| Envelope::parse(&b).ok())
                .is_some_and(|e| e.header.key_check == self.header.key_check)
        };
        let keys = self.payload.log_keys();
        journal::append(&self.path, &keys, &self.header.vault_id, self.generation(), events, current);
    }

    /// The vault's generation: how many writes it has seen (format 1 vaults count as 0).
    pub fn generation(&self) -> u64 {
        self.header.generation
    }

    /// The history, oldest first, with the chain's state (a remote store keeps none here).
    pub fn history(&self) -> journal::Report {
        if self.is_remote() {
            return journal::Report::default();
        }
        journal::read(&self.path, &self.payload.log_keys(), &self.header.vault_id)
    }

    /// The newest use of each token id, from the records and the log.
    pub fn last_used(&self) -> HashMap<String, i64> {
        let mut m: HashMap<String, i64> =
            self.payload.records.iter().filter_map(|r| r.last_used_at.map(|t| (r.id.clone(), t))).collect();
        for e in self.history().entries.into_iter().map(|e| e.event) {
            if e.is_use() {
                let slot = m.entry(e.token_id).or_insert(e.time);
                *slot = (*slot).max(e.time);
            }
        }
        m
    }
}

fn no_vault(path: &Path) -> anyhow::Error {
    error::not_found(format!("no vault at {}", path.shown()))
        .hint(
            "create one with `tokctl init` (or any `tokctl create`/`import`), or point --vault / TOKCTL_VAULT at yours",
        )
        .into()
}

fn is_locked(e: &anyhow::Error) -> bool {
    e.downcast_ref::<error::Error>().is_some_and(|x| x.code == error::Code::Locked)
}

/// The keyring as an unlock source that is never asked.
fn no_keyring(_: &str) -> Result<Result<Key, keystore::Miss>> {
    Ok(Err(keystore::Miss::Off))
}

/// One command's way into one vault.
pub struct Access<'a> {
    pub path: PathBuf,
    /// True when the path is the default one in the user's data directory.
    default_path: bool,
    sources: Sources<'a>,
    known: Option<Unlocked>,
    /// Set when `write_or_create` made the vault: how its key is kept.
    pub created: Option<String>,
    allow_rollback: bool,
    skip_cache: bool,
    /// Set while a write holds the lock: the rollback check then asks the OS keyring even for a
    /// key that came from the cache.
    writing: bool,
    /// Set when the vault is a remote store: every read and write goes to the server.
    remote: Option<Box<Store>>,
}

impl<'a> Access<'a> {
    /// `person` is how a passphrase may be asked for (`unlock::Never` for no one). A vault path
    /// that is a symlink is followed to its target, which every read, write and lock then uses;
    /// a path that exists but is no regular file is refused before anything is made beside it.
    pub fn new(path: &Path, default_path: bool, person: &'a dyn Prompter) -> Result<Access<'a>> {
        if let Some(loc) = Location::parse(path)? {
            return Ok(Access {
                default_path: false,
                path: path.to_path_buf(),
                // A remote store is never cached and never uses the vault-key sources.
                sources: Sources {
                    env_key: None,
                    cache: None,
                    keyring: &no_keyring,
                    env_passphrase: None,
                    person: &unlock::Never,
                },
                known: None,
                created: None,
                allow_rollback: false,
                skip_cache: true,
                writing: false,
                remote: Some(Box::new(Store::new(loc)?)),
            });
        }
        let resolved = fsio::resolve(path)?;
        fsio::check_vault_path(&resolved)?;
        Ok(Access {
            // A default path that leads elsewhere is in a directory the user chose: never re-moded.
            default_path: default_path && resolved == path,
            path: resolved,
            sources: Sources::from_env(person)?,
            known: None,
            created: None,
            allow_rollback: false,
            skip_cache: false,
            writing: false,
            remote: None,
        })
    }

    /// The remote store, when the vault is one.
    pub fn remote(&self) -> Option<&Store> {
        self.remote.as_deref()
    }

    /// The records of a remote store (only `only`, when given), and the entries they came from.
    fn remote_open(&self, only: Option<&[&str]>) -> Result<(Opened, Vec<Entry>)> {
        let store = self.remote.as_deref().expect("called for a remote store");
        let mut entries = match only {
            Some(names) => {
                let mut v = Vec::new();
                for n in names {
                    crate::vault::check_name(n)?;
                    match store.read(n)? {
                        Some(e) if !e.leftover => v.push(e),
                        // Missing: every record, so the error (and its suggestion) is the same.
                        _ => return self.remote_open(None),
                    }
                }
                v
            }
            None => store.read_all()?,
        };
        remote::distinct_ids(&mut entries);
        let key = Key::random();
        let records = entries.iter().filter(|e| !e.leftover).map(|e| e.record.clone()).collect();
        let payload = Payload { records, log_key: [0; 32], retired_log_keys: Vec::new() };
        // A remote store has no envelope: this header and key are never sealed or written.
        let header = Header::new(VaultKind::Personal, &key);
        let op = Opened::new(self.path.clone(), header, key, payload, Source::Remote, None);
        Ok((op, entries))
    }

    /// Read the store, run `f`, and write what changed with check-and-set; a lost race is run
    /// once more on fresh data, then is exit 7.
    fn remote_write<T>(&mut self, mut f: impl FnMut(&mut Opened) -> Result<T>) -> Result<T> {
        for attempt in 0..2 {
            let (mut op, before) = self.remote_open(None)?;
            let out = f(&mut op)?;
            let store = self.remote.as_deref().expect("called for a remote store");
            match store.commit(&before, &op.payload) {
                Err(e) if attempt == 0 && e.downcast_ref::<Lost>().is_some() => continue,
                Err(e) => {
                    if let Some(u) = e.downcast_ref::<remote::Unfinished>() {
                        return Err(u.explain(&store.loc));
                    }
                    return Err(match e.downcast_ref::<Lost>() {
                        Some(lost) => error::conflict(lost.to_string())
                            .hint("another client wrote it at the same time; run the command again on the new data")
                            .into(),
                        None => e,
                    });
                }
                Ok(()) => return Ok(out),
            }
        }
        unreachable!("the second attempt returns")
    }

    /// Access that unlocks with `TOKCTL_VAULT_KEY` alone: no keyring, no passphrase, no one
    /// asked. For a project file exempt from trust, which may only open its own bundle.
    pub fn env_key_only(path: &Path) -> Result<Access<'a>> {
        let mut acc = Access::new(path, false, &unlock::Never)?;
        acc.sources = Sources {
            env_key: acc.sources.env_key.take(),
            cache: None,
            keyring: &no_keyring,
            env_passphrase: None,
            person: &unlock::Never,
        };
        Ok(acc)
    }

    /// Do not take the key from the unlock cache (`tokctl unlock` proves access afresh); a key
    /// found elsewhere may still be cached.
    pub fn skip_cache_read(&mut self) {
        self.skip_cache = true;
    }

    /// The unlock cache this command uses, if any.
    pub fn cache(&self) -> Option<&Cache> {
        self.sources.cache.as_deref()
    }

    /// What the cache said about the key this command holds, if it came from there.
    pub fn cached(&self) -> Option<Cached> {
        self.known.as_ref().and_then(|u| u.cached.clone())
    }

    /// The passphrase given for this vault during this command, if one was.
    pub fn passphrase(&self) -> Option<&Zeroizing<String>> {
        self.known.as_ref().and_then(|u| u.passphrase.as_ref())
    }

    /// The key for `env`: the one this command already has when it fits, else the unlock order,
    /// asking a person only when `may_ask`.
    pub fn key_for(&mut self, env: &Envelope, may_ask: bool) -> Result<(Key, Source)> {
        if let Some(u) = &mut self.known {
            if env.key_fits(&u.key) {
                return Ok((u.key.clone(), u.source));
            }
            // The vault was re-keyed meanwhile (a rotation keeps the passphrase): no new question.
            if let (Some(p), Some(slot)) = (&u.passphrase, &env.header.passphrase)
                && let Some(k) = slot.unwrap_key(&env.header.vault_id, p.as_bytes())
            {
                u.key = k;
                return Ok((u.key.clone(), u.source));
            }
        }
        let mut sources = if may_ask { self.sources.copy() } else { self.sources.without_person() };
        if self.skip_cache {
            sources.cache = None;
        }
        let u = unlock::unlock(&self.path, env, &sources)?;
        let out = (u.key.clone(), u.source);
        // Keep a passphrase someone typed even when a later unlock came from elsewhere.
        let passphrase = u.passphrase.or_else(|| self.known.take().and_then(|k| k.passphrase));
        self.known = Some(Unlocked { key: u.key, source: u.source, passphrase, cached: u.cached });
        Ok(out)
    }

    /// The vault's header, read without unlocking it.
    pub fn header(&self) -> Result<Header> {
        Ok(Envelope::parse(&self.read_bytes()?)?.header)
    }

    fn read_bytes(&self) -> Result<Vec<u8>> {
        fsio::read_opt(&self.path, fsio::MAX_VAULT)?.ok_or_else(|| no_vault(&self.path))
    }

    /// Read and unlock an existing vault. Never writes.
    pub fn read(&mut self) -> Result<Opened> {
        if self.remote.is_some() {
            return Ok(self.remote_open(None)?.0);
        }
        self.read_with(None)
    }

    /// `read`, keeping only the named records: what `get`, `exec -t` and `env -t` need from a
    /// large vault. A name that is missing gets every record, so its error (and suggestion) is
    /// the same; the key found the first time is reused. The result is never committed.
    pub fn read_only(&mut self, names: &[&str]) -> Result<Opened> {
        if self.remote.is_some() {
            return Ok(self.remote_open(Some(names))?.0);
        }
        let op = self.read_with(Some(names))?;
        if names.iter().all(|n| op.payload.records.iter().any(|r| r.name == *n)) {
            return Ok(op);
        }
        let bytes = self.read_bytes()?;
        self.open(&bytes, None, false)
    }

    /// A key rotation replaces the vault and the keyring entries one after the other; a reader
    /// that read the file before it and the keyring after it sees a key that does not fit. Then
    /// the file has changed, and reading it again gives a matching pair.
    fn read_with(&mut self, only: Option<&[&str]>) -> Result<Opened> {
        let mut bytes = self.read_bytes()?;
        let mut tries = 0;
        loop {
            match self.open(&bytes, only, tries == 0) {
                Err(e) if tries < 3 && is_locked(&e) => {
                    let now = self.read_bytes()?;
                    if now == bytes {
                        return Err(e);
                    }
                    bytes = now;
                    tries += 1;
                }
                other => return other,
            }
        }
    }

    /// Unlock and decrypt; with `only`, keep just those records (a read-only view).
    fn open(&mut self, bytes: &[u8], only: Option<&[&str]>, may_ask: bool) -> Result<Opened> {
        let mut bytes = std::borrow::Cow::Borrowed(bytes);
        for _ in 0..8 {
            match self.open_once(&bytes, only, may_ask)? {
                Ok(op) => return Ok(op),
                // A writer committed between our read of the file and of its log: read again.
                Err(newer) => bytes = std::borrow::Cow::Owned(newer),
            }
        }
        self.open_once(&bytes, only, may_ask)?.map_err(|_| anyhow::anyhow!("the vault kept changing while it was read"))
    }

    /// One attempt; `Ok(Err(bytes))` when the file changed under us and should be read again.
    fn open_once(&mut self, bytes: &[u8], only: Option<&[&str]>, may_ask: bool) -> Result<Result<Opened, Vec<u8>>> {
        let env = Envelope::parse(bytes)?;
        // A key from the cache needs no keyring at all; look there first (it is second in the
        // unlock order, after TOKCTL_VAULT_KEY), so no keyring call is started for nothing.
        let fits = self.known.as_ref().is_some_and(|u| env.key_fits(&u.key));
        if !fits
            && !self.skip_cache
            && self.sources.env_key.is_none()
            && let Some(mut u) = self.sources.cache.as_deref().and_then(|c| unlock::from_cache(&env, c))
        {
            u.passphrase = self.known.take().and_then(|k| k.passphrase);
            self.known = Some(u);
        }
        let origin = self.known.as_ref().filter(|u| env.key_fits(&u.key)).map(Unlocked::origin);
        let keyring_check = match origin {
            // Reads answered from the cache use the generation it recorded for this file; writes
            // ask the keyring too, since they move the record forward, and so does a read of a
            // file the cache has no record of.
            Some(Source::Keyring) if self.known.as_ref().is_some_and(|u| u.source == Source::Cache) => {
                self.writing || !self.cache_records(&self.path)
            }
            Some(Source::Keyring) | None => true,
            Some(_) => false,
        };
        // The keyring's record of this file's generation is asked for while the key is looked
        // up, not after it: two Secret Service round trips cost one.
        let prefetch = (keyring_check
            && !self.allow_rollback
            && self.sources.env_key.is_none()
            && env.header.kind != VaultKind::Bundle)
            .then(|| prefetch_generation(&env.header.vault_id, &self.path))
            .flatten();
        let (key, source) = self.key_for(&env, may_ask)?;
        let header = env.header.clone();
        let payload = match only {
            Some(names) => env.open_only(&key, names)?,
            None => env.open(&key)?,
        };
        let cached = self.cached();
        let op = Opened::new(self.path.clone(), header, key, payload, source, cached);
        if !self.allow_rollback {
            let seen = newest_seen_with(&op, prefetch, self.writing)?;
            if op.generation() < seen.generation {
                // A writer replaces the file before it appends to the log, so a newer generation
                // in the log while the file is still the one we read means an older copy.
                let now = self.read_bytes()?;
                if now != bytes {
                    return Ok(Err(now));
                }
                return Err(rolled_back(&op, &seen));
            }
            self.fill_cache(&op, seen.generation.max(op.generation()));
        }
        Ok(Ok(op))
    }

    /// Whether the cached key this command holds came with a record of the file at `path`.
    fn cache_records(&self, path: &Path) -> bool {
        let cached = self.known.as_ref().and_then(|u| u.cached.as_ref());
        cached.is_some_and(|c| c.generation_of(&file_tag(path)).is_some())
    }

    /// Keep a key that came from the OS keyring (or, when the user set `TOKCTL_CACHE_TTL`, from a
    /// passphrase) in the unlock cache; for a key from the cache, raise the generation it
    /// recorded. Best effort: a cache that fails only costs the next command an unlock.
    fn fill_cache(&self, op: &Opened, generation: u64) {
        let Some(c) = self.cache() else { return };
        if op.header.kind == VaultKind::Bundle {
            return;
        }
        let tag = op.tag();
        let ttl = match (op.source, cache::policy()) {
            (Source::Cache, _) => {
                // Only when there is something new to record: a read costs no keyring write.
                if op.cached.as_ref().and_then(|k| k.generation_of(tag)).is_none_or(|g| g < generation) {
                    c.raise(&op.header.vault_id, tag, generation);
                }
                return;
            }
            (Source::Keyring, Ok(cache::Policy::Ttl { secs, .. })) => secs,
            (Source::Passphrase, Ok(cache::Policy::Ttl { secs, explicit: true })) => secs,
            _ => return,
        };
        let entry = cache::Entry::new(op.key.clone(), op.source, tag, generation);
        let _ = c.store(&op.header.vault_id, entry, ttl);
    }

    /// Open a vault that is an older copy of itself, so `accept-rollback` can move it forward.
    pub fn allow_rollback(&mut self) {
        self.allow_rollback = true;
    }

    /// Change an existing vault under the writers' lock. Everything a person must answer is
    /// asked before the lock is taken; under it the file is read again. `f` returning an error
    /// leaves the file exactly as it was. A missing vault is "not found" and nothing is created.
    /// On a remote store `f` may run twice: once more on fresh data after a lost race.
    pub fn write<T>(&mut self, mut f: impl FnMut(&mut Opened) -> Result<T>) -> Result<T> {
        if self.remote.is_some() {
            return self.remote_write(f);
        }
        self.write_then(&mut f, |_, _| ())
    }

    /// `write`, then `then` with the lock still held once the new vault is on disk: for a
    /// rotation's last keyring step, which no other writer may interleave with.
    pub fn write_then<T>(
        &mut self,
        f: impl FnOnce(&mut Opened) -> Result<T>,
        then: impl FnOnce(&Opened, &mut T),
    ) -> Result<T> {
        if !self.path.exists() {
            return Err(no_vault(&self.path));
        }
        if self.default_path {
            // tokctl owns its data directory outright: keep it private even if someone loosened it.
            fsio::tighten_dir(&fsio::parent(&self.path))?;
        }
        // Unlock first, with no lock held: a passphrase prompt, or a keyring asking its user to
        // unlock it, must never block the other writers.
        let before = self.read_bytes()?;
        self.key_for(&Envelope::parse(&before)?, true)?;
        let _lock = fsio::lock(&self.path)?;
        fsio::sweep_temps(&self.path);
        let bytes = self.read_bytes()?;
        self.writing = true;
        let opened = self.open(&bytes, None, false);
        self.writing = false;
        let mut op = opened?;
        let mut out = f(&mut op)?;
        commit(&mut op)?;
        then(&op, &mut out);
        drop(_lock);
        remember_generation(&op, self.cache());
        Ok(out)
    }

    /// Like `write`, but a missing vault is created first (`init`, `create`, `import`). Its key is
    /// made and stored before any directory or lock file exists, so a refusal leaves nothing
    /// behind; `created` then says how the key is kept.
    pub fn write_or_create<T>(&mut self, mut f: impl FnMut(&mut Opened) -> Result<T>) -> Result<T> {
        if self.remote.is_some() {
            return self.remote_write(f);
        }
        if self.path.exists() {
            return self.write(&mut f);
        }
        let (fresh, how, in_keyring) = self.fresh()?;
        let dir = fsio::parent(&self.path);
        fsio::private_dir(&dir)?;
        if self.default_path {
            fsio::tighten_dir(&dir)?;
        }
        let fresh_id = fresh.header.vault_id.clone();
        let (out, made, op) = {
            let _lock = fsio::lock(&self.path)?;
            let (mut op, made) = match fsio::read_opt(&self.path, fsio::MAX_VAULT)? {
                // Another process created it meanwhile: use theirs.
                Some(bytes) => (self.open(&bytes, None, false)?, false),
                None => (fresh, true),
            };
            if made {
                op.event(Action::VaultCreated, "-", "-", how.clone());
            }
            let out = f(&mut op)?;
            commit(&mut op)?;
            (out, made, op)
        };
        remember_generation(&op, self.cache());
        if made {
            self.created = Some(how);
        } else if in_keyring {
            // Our unused key: dropped after the lock, which no keyring call should hold up.
            let _ = keystore::delete(&fresh_id);
        }
        Ok(out)
    }

    /// Key and header for a vault that does not exist yet: how it is protected, and whether its
    /// key went into the keyring. Touches no file.
    fn fresh(&mut self) -> Result<(Opened, String, bool)> {
        let label = keystore::label(&self.path);
        let env_key = self.sources.env_key.clone();
        let key = env_key.clone().unwrap_or_else(Key::random);
        let mut header = Header::new(VaultKind::Personal, &key);
        let stored = keystore::save(&header.vault_id, &label, &key)?;
        let mut pass = self.sources.env_passphrase.clone();
        if let (Err(miss), None, None) = (&stored, &env_key, &pass) {
            if !self.sources.person.can_ask() {
                return Err(error::locked(format!("cannot create a vault at {}: {miss}", self.path.shown()))
                    .hint(format!(
                        "without a usable keyring a vault needs a passphrase: set {ENV_PASS} (or run on a terminal),\n\
                         or set {ENV_KEY} to a key from `tokctl key export`"
                    ))
                    .into());
            }
            pass = Some(
                self.sources
                    .person
                    .new_passphrase(&format!("{miss}; protecting the new vault with a passphrase instead"))?,
            );
        }
        if let Some(p) = &pass {
            keystore::check_passphrase(p)?;
            header.passphrase = Some(Slot::new(&header.vault_id, &key, p.as_bytes()));
        }
        let how = match (&stored, &env_key, &pass) {
            (Ok(()), _, Some(_)) => format!("key in the {} and a passphrase", keystore::backend_name()),
            (Ok(()), _, None) => format!("key in the {}", keystore::backend_name()),
            (Err(_), Some(_), _) => format!("key from {ENV_KEY}; no keyring copy"),
            (Err(_), None, _) => "protected by your passphrase".into(),
        };
        let source = if env_key.is_some() { Source::EnvKey } else { Source::New };
        self.known = Some(Unlocked::new(key.clone(), source, pass));
        let op = Opened::new(self.path.clone(), header, key, Payload::default(), source, None);
        Ok((op, how, stored.is_ok()))
    }
}

/// The newest generation of this vault file seen outside it, and where.
pub struct Seen {
    pub generation: u64,
    pub source: &'static str,
}

/// A tag for one vault file: its canonical path, hashed, so copies never trip each other.
fn file_tag(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    crate::crypto::hex(&crate::crypto::sha256(canonical.as_os_str().as_encoded_bytes())[..12])
}

/// The newest generation recorded for this file: in its log (the chain carries the newest
/// generation any writer or reader saw) and, when the key came from the OS keyring, there too
/// (so a vault and its log rolled back together are still caught). A bundle keeps no history.
pub fn newest_seen(op: &Opened) -> Result<Seen> {
    newest_seen_with(op, None, false)
}

type Prefetched = std::thread::JoinHandle<Result<Result<Option<u64>, keystore::Miss>>>;

/// Start asking the keyring for the generation of the file at `path`, when a keyring is on.
fn prefetch_generation(vault_id: &str, path: &Path) -> Option<Prefetched> {
    if !keystore::keyring_enabled().unwrap_or(false) {
        return None;
    }
    let (id, tag) = (vault_id.to_string(), file_tag(path));
    Some(std::thread::spawn(move || keystore::load_generation(&id, &tag)))
}

/// The keyring is asked when the key came from it, and for a write with a key the cache got from
/// it; a read answered from the cache uses the generation the cache recorded for this file, or
/// asks the keyring when the cache has no record of this file (a copy read once all its slots
/// were taken).
fn newest_seen_with(op: &Opened, prefetched: Option<Prefetched>, writing: bool) -> Result<Seen> {
    let mut seen = Seen { generation: 0, source: "nowhere" };
    if op.header.kind == VaultKind::Bundle {
        return Ok(seen);
    }
    if let Some(h) = journal::head(&op.path, &op.payload.log_keys(), &op.header.vault_id) {
        seen = Seen { generation: h.generation, source: "its log" };
    }
    let from_keyring = || match prefetched {
        Some(t) => t.join().unwrap_or(Ok(Ok(None))),
        None => keystore::load_generation(&op.header.vault_id, op.tag()),
    };
    let recorded = op.cached.as_ref().and_then(|c| c.generation_of(op.tag()));
    if let Some(g) = recorded
        && g > seen.generation
    {
        seen = Seen { generation: g, source: "the unlock cache" };
    }
    let origin = op.cached.as_ref().map(|c| c.origin).unwrap_or(op.source);
    let ask = origin == Source::Keyring && (op.source == Source::Keyring || writing || recorded.is_none());
    if ask
        && let Ok(Some(g)) = from_keyring()?
        && g > seen.generation
    {
        seen = Seen { generation: g, source: "the OS keyring" };
    }
    Ok(seen)
}

fn rolled_back(op: &Opened, seen: &Seen) -> anyhow::Error {
    error::damaged(format!(
        "the vault at {} is an older copy of itself: it is at generation {}, but generation {} was seen ({})",
        op.path.shown(),
        op.generation(),
        seen.generation,
        seen.source
    ))
    .hint(
        "a backup restore or a sync conflict does this, and it can bring revoked tokens back; the file was left untouched
         restore the newer file, or keep this one on purpose with `tokctl accept-rollback`",
    )
    .into()
}

/// After a write, remember its generation in the OS keyring too (for a keyring vault), outside
/// the lock: best effort, a keyring that fails only weakens detection of a later rollback.
fn remember_generation(op: &Opened, cache: Option<&Cache>) {
    if op.header.kind == VaultKind::Bundle {
        return;
    }
    let origin = op.cached.as_ref().map(|c| c.origin).unwrap_or(op.source);
    if origin == Source::Keyring {
        let _ = keystore::save_generation(&op.header.vault_id, op.tag(), op.generation());
    }
    if let Some(c) = cache {
        c.raise(&op.header.vault_id, op.tag(), op.generation());
    }
}

/// Seal and write atomically, then log; compact the log when it has grown too large. Every
/// write logs at least one event, carrying the generation it wrote, so a log whose newest write
/// is older than the vault is known to have lost its end (`commands::log::shortfall`). A key
/// rotation's commit holds the log's lock from reading its head to appending its own event, and
/// retires the log key at that head: no line of the old key can land after the limit it records.
pub fn commit(op: &mut Opened) -> Result<()> {
    if op.events.is_empty() {
        op.event(Action::Written, "-", "-", "");
    }
    let id = op.header.vault_id.clone();
    if journal::oversized(&op.path) {
        fold_uses(op);
        journal::compact(&op.path, &op.payload.log_keys(), &id, op.generation(), journal::KEEP, when::now())?;
        // Every line is sealed with the current key now: the retired ones have nothing left.
        op.payload.retired_log_keys.clear();
    }
    let held = if op.rekey_log { journal::lock(&op.path) } else { None };
    if std::mem::take(&mut op.rekey_log) {
        let head = journal::head(&op.path, &op.payload.log_keys(), &id);
        op.payload.retire_log_key(head.and_then(|h| h.seq).map_or(0, |s| s + 1));
    }
    let bytes = vault::seal(&mut op.header, &op.key, &op.payload);
    fsio::atomic_write(&op.path, &bytes)?;
    let (keys, generation, events) = (op.payload.log_keys(), op.generation(), std::mem::take(&mut op.events));
    match &held {
        Some(l) => journal::append_locked(l, &op.path, &keys, &id, generation, events),
        None => journal::append(&op.path, &keys, &id, generation, events, || true),
    }
    Ok(())
}

/// Fold the newest use times from the log into the records before old events are dropped.
fn fold_uses(op: &mut Opened) {
    let last = op.last_used();
    for r in &mut op.payload.records {
        if let Some(t) = last.get(&r.id) {
            r.last_used_at = Some(*t);
        }
    }
}
