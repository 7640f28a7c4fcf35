//! A vault file: read it, or change it under the writers' lock, unlocking it once per command.
//!
//! It unlocks the vault the first time it is needed (the order is `unlock`'s; a person may be
//! asked then, before any lock is taken) and keeps the key, so a command that checks and then
//! writes, or reads a few records and then all of them, never asks twice. Under the lock it
//! re-reads the file and only ever uses what needs no person: the key it already has, the
//! passphrase already given, or the non-interactive sources. A new key is only ever made for a
//! vault that does not exist yet (`fresh`); an existing vault that nothing unlocks is exit 5,
//! untouched. Every open checks the file against the newest generation seen (`generations`).

use std::path::{Path, PathBuf};

use super::cache_fill;
use super::fresh::{Fresh, fresh};
use super::generations;
use super::opened::{Opened, Sealed, file_tag};
use crate::cache::Cache;
use crate::error::{self, Result};
use crate::fsio;
use crate::journal;
use crate::keystore;
use crate::secret::Key;
use crate::text::Shown;
use crate::unlock::{self, Source, Sources, Unlocked};
use crate::vault::{self, Envelope, Header, VaultKind};
use crate::when;

/// Why a vault file is opened: a write holds the lock and moves the generation forward, so its
/// rollback check asks the OS keyring even for a key that came from the cache.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Intent {
    Read,
    Write,
}

pub(super) fn no_vault(path: &Path) -> anyhow::Error {
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
fn no_keyring(_: &str) -> std::result::Result<Key, keystore::Miss> {
    Err(keystore::Miss::Off)
}

/// One command's way into one vault file.
pub struct File<'a> {
    pub path: PathBuf,
    /// True when the path is the default one in the user's data directory.
    default_path: bool,
    sources: Sources<'a>,
    known: Option<Unlocked>,
    /// Set when `write_or_create` made the vault: how its key is kept.
    pub created: Option<String>,
    pub(super) allow_rollback: bool,
    pub(super) skip_cache: bool,
}

impl<'a> File<'a> {
    /// `path` is already resolved (a symlink followed) and checked to be no other kind of file.
    pub(super) fn new(path: PathBuf, default_path: bool, sources: Sources<'a>) -> File<'a> {
        File { path, default_path, sources, known: None, created: None, allow_rollback: false, skip_cache: false }
    }

    /// Whether the vault opened with `sealed` is the user's own, whose records may name where a
    /// token is sent and what code runs for it (README, "Providers"): a personal vault unlocked
    /// by the user's OS keyring or a passphrase typed at the prompt, or one at the default path
    /// in the user's data directory. A key or passphrase from the environment alone is what CI
    /// gets for a shared file, which whoever holds that key could have written.
    fn is_own(&self, sealed: &Sealed) -> bool {
        if sealed.header.kind != VaultKind::Personal {
            return false;
        }
        let at_home = self.default_path || super::default_vault_path().is_ok_and(|d| d == self.path);
        match sealed.origin() {
            unlock::Source::Keyring | unlock::Source::New => true,
            unlock::Source::Passphrase => at_home || crate::settings::get().passphrase.is_none(),
            unlock::Source::EnvKey | unlock::Source::Cache => at_home,
        }
    }

    /// Unlock with `TOKCTL_VAULT_KEY` alone: no cache, no keyring, no passphrase, no one asked.
    pub(super) fn env_key_only(&mut self) {
        self.sources = Sources {
            env_key: self.sources.env_key.take(),
            cache: None,
            keyring: &no_keyring,
            env_passphrase: None,
            person: &unlock::Never,
        };
    }

    /// The unlock cache this command uses, if any.
    pub fn cache(&self) -> Option<&Cache> {
        self.sources.cache.as_deref()
    }

    /// The key this command holds, how it was found, and the passphrase given, if any.
    pub(super) fn known(&self) -> Option<&Unlocked> {
        self.known.as_ref()
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

    /// Read and unlock the vault, keeping only `only` when given; a name that is missing gets
    /// every record, so its error (and suggestion) is the same, and the key found the first time
    /// is reused.
    pub(super) fn read(&mut self, only: Option<&[&str]>) -> Result<Opened> {
        let op = self.read_with(only)?;
        let Some(names) = only else { return Ok(op) };
        if names.iter().all(|n| op.payload.records.iter().any(|r| r.name == *n)) {
            return Ok(op);
        }
        let bytes = self.read_bytes()?;
        self.open(&bytes, None, false, Intent::Read)
    }

    /// A key rotation replaces the vault and the keyring entries one after the other; a reader
    /// that read the file before it and the keyring after it sees a key that does not fit. Then
    /// the file has changed, and reading it again gives a matching pair.
    fn read_with(&mut self, only: Option<&[&str]>) -> Result<Opened> {
        let mut bytes = self.read_bytes()?;
        let mut tries = 0;
        loop {
            match self.open(&bytes, only, tries == 0, Intent::Read) {
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
    fn open(&mut self, bytes: &[u8], only: Option<&[&str]>, may_ask: bool, intent: Intent) -> Result<Opened> {
        let mut bytes = std::borrow::Cow::Borrowed(bytes);
        for _ in 0..8 {
            match self.open_once(&bytes, only, may_ask, intent)? {
                Ok(op) => return Ok(op),
                // A writer committed between our read of the file and of its log: read again.
                Err(newer) => bytes = std::borrow::Cow::Owned(newer),
            }
        }
        self.open_once(&bytes, only, may_ask, intent)?
            .map_err(|_| anyhow::anyhow!("the vault kept changing while it was read"))
    }

    /// One attempt; `Ok(Err(bytes))` when the file changed under us and should be read again.
    fn open_once(
        &mut self,
        bytes: &[u8],
        only: Option<&[&str]>,
        may_ask: bool,
        intent: Intent,
    ) -> Result<Result<Opened, Vec<u8>>> {
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
        let from_cache = self.known.as_ref().is_some_and(|u| u.source == Source::Cache);
        let keyring_check =
            generations::asks_keyring(origin, from_cache, intent == Intent::Write, || self.cache_records());
        // The keyring's record of this file's generation is read in the same exchange as the
        // key (when the key is still to be found): one Secret Service round trip, not two.
        if keyring_check
            && !self.allow_rollback
            && self.sources.env_key.is_none()
            && env.header.kind != VaultKind::Bundle
        {
            let keys = if origin.is_none() { unlock::keyring_accounts(&env.header).to_vec() } else { Vec::new() };
            crate::keystore::preload(&env.header.vault_id, &keys);
        }
        let (key, source) = self.key_for(&env, may_ask)?;
        let header = env.header.clone();
        let payload = match only {
            Some(names) => env.open_only(&key, names)?,
            None => env.open(&key)?,
        };
        let cached = self.known.as_ref().and_then(|u| u.cached.clone());
        let sealed = Sealed::new(header, key, source, cached);
        let own = self.is_own(&sealed);
        let op = Opened::file(self.path.clone(), payload, sealed).owned(own);
        if !self.allow_rollback {
            let s = op.sealed()?;
            let seen = generations::newest_seen_with(&op, s, intent == Intent::Write)?;
            if s.generation() < seen.generation {
                // A writer replaces the file before it appends to the log, so a newer generation
                // in the log while the file is still the one we read means an older copy.
                let now = self.read_bytes()?;
                if now != bytes {
                    return Ok(Err(now));
                }
                return Err(generations::rolled_back(&op, s, &seen));
            }
            if let Some(c) = self.cache() {
                cache_fill::fill(c, &op, seen.generation.max(s.generation()));
            }
        }
        Ok(Ok(op))
    }

    /// Whether the cached key this command holds came with a record of this file.
    fn cache_records(&self) -> bool {
        let cached = self.known.as_ref().and_then(|u| u.cached.as_ref());
        cached.is_some_and(|c| c.generation_of(&file_tag(&self.path)).is_some())
    }

    /// `Access::write_then` for a vault file.
    pub(super) fn write_then<T>(
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
        let mut op = self.open(&bytes, None, false, Intent::Write)?;
        let mut out = f(&mut op)?;
        commit(&mut op)?;
        then(&op, &mut out);
        drop(_lock);
        generations::remember(&op, self.cache());
        Ok(out)
    }

    /// `Access::write_or_create` for a vault file. The new key is made and stored before any
    /// directory or lock file exists, so a refusal leaves nothing behind.
    pub(super) fn write_or_create<T>(&mut self, mut f: impl FnMut(&mut Opened) -> Result<T>) -> Result<T> {
        if self.path.exists() {
            return self.write_then(&mut f, |_, _| ());
        }
        let Fresh { opened: fresh_op, how, in_keyring, unlocked } = fresh(&self.path, &self.sources)?;
        self.known = Some(unlocked);
        let dir = fsio::parent(&self.path);
        fsio::private_dir(&dir)?;
        if self.default_path {
            fsio::tighten_dir(&dir)?;
        }
        let fresh_id = fresh_op.sealed()?.header.vault_id.clone();
        let (out, made, op) = {
            let _lock = fsio::lock(&self.path)?;
            let (mut op, made) = match fsio::read_opt(&self.path, fsio::MAX_VAULT)? {
                // Another process created it meanwhile: use theirs.
                Some(bytes) => (self.open(&bytes, None, false, Intent::Write)?, false),
                None => (fresh_op, true),
            };
            if made {
                op.event(journal::Action::VaultCreated, "-", "-", how.clone());
            }
            let out = f(&mut op)?;
            commit(&mut op)?;
            (out, made, op)
        };
        generations::remember(&op, self.cache());
        if made {
            self.created = Some(how);
        } else if in_keyring {
            // Our unused key: dropped after the lock, which no keyring call should hold up.
            let _ = keystore::delete(&fresh_id);
        }
        Ok(out)
    }
}

/// Seal and write atomically, then log; compact the log when it has grown too large. Every
/// write logs at least one event, carrying the generation it wrote, so a log whose newest write
/// is older than the vault is known to have lost its end (`commands::log::shortfall`). A key
/// rotation's commit holds the log's lock from reading its head to appending its own event, and
/// retires the log key at that head: no line of the old key can land after the limit it records.
fn commit(op: &mut Opened) -> Result<()> {
    if op.events.is_empty() {
        op.event(journal::Action::Written, "-", "-", "");
    }
    if journal::oversized(&op.path) {
        fold_uses(op);
        let s = op.sealed()?;
        journal::compact(
            &op.path,
            &op.payload.log_keys(),
            &s.header.vault_id,
            s.generation(),
            journal::KEEP,
            when::now(),
        )?;
        // Every line is sealed with the current key now: the retired ones have nothing left.
        op.payload.retired_log_keys.clear();
    }
    let Opened { path, payload, events, sealed, .. } = op;
    let s = sealed.as_mut().expect("a vault file's write opens a vault file");
    let id = &s.header.vault_id;
    let held = if s.rekey_log { journal::lock(path) } else { None };
    if std::mem::take(&mut s.rekey_log) {
        let head = journal::head(path, &payload.log_keys(), id);
        payload.retire_log_key(head.and_then(|h| h.seq).map_or(0, |s| s + 1));
    }
    let bytes = vault::seal(&mut s.header, &s.key, payload);
    fsio::atomic_write(path, &bytes)?;
    let (keys, generation, events) = (payload.log_keys(), s.generation(), std::mem::take(events));
    let id = &s.header.vault_id;
    match &held {
        Some(l) => journal::append_locked(l, path, &keys, id, generation, events),
        None => journal::append(path, &keys, id, generation, events, || true),
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
