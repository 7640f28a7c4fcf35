//! Opening a vault: find it, unlock it in the SPEC's order, read it, or change it under the lock.
//!
//! Unlock order: `TOKCTL_VAULT_KEY` → the OS keyring entry (service `tokctl`, account = vault
//! id) → `TOKCTL_PASSPHRASE` → a passphrase prompt on a TTY. A new key is only ever made for a
//! vault that does not exist yet; an existing vault that nothing unlocks is exit 5, untouched.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{self, Result};
use crate::fsio;
use crate::journal::{self, Event};
use crate::keystore::{self, ENV_KEY, ENV_PASS, Miss};
use crate::secret::Key;
use crate::vault::{self, Envelope, Header, Payload, Slot, VaultKind};
use crate::when;

/// What every command needs from the global options.
pub struct Ctx {
    pub vault: PathBuf,
    /// True when the path is the default one in the user's data directory.
    pub default_path: bool,
    pub quiet: bool,
    pub color: bool,
}

impl Ctx {
    /// A note on stderr, unless `--quiet`.
    pub fn say(&self, msg: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("tokctl: {}", msg.as_ref());
        }
    }
}

pub fn default_vault_path() -> Result<PathBuf> {
    let base = dirs::data_dir().ok_or_else(|| {
        error::usage("cannot tell where your data directory is (no HOME?)")
            .hint("pass --vault PATH or set TOKCTL_VAULT")
    })?;
    Ok(base.join("tokctl").join("vault.toml"))
}

/// How the key was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    EnvKey,
    Keyring,
    Passphrase,
    New,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::EnvKey => "TOKCTL_VAULT_KEY",
            Source::Keyring => "the OS keyring",
            Source::Passphrase => "the passphrase",
            Source::New => "a new key",
        }
    }
}

/// An unlocked vault.
pub struct Opened {
    pub path: PathBuf,
    pub header: Header,
    pub key: Key,
    pub payload: Payload,
    pub source: Source,
    /// Events to append to the log once the change is on disk.
    pub events: Vec<Event>,
}

impl Opened {
    pub fn event(&mut self, action: &str, name: &str, id: &str, detail: impl Into<String>) {
        self.events.push(Event::new(when::now(), action, name, id, detail));
    }

    /// Record a use: best effort, never fails the command. A bundle is a read-only artefact
    /// (committed, opened in CI), so nothing is written beside it.
    pub fn record_use(&self, names: &[&str], how: &str) {
        if self.header.kind == VaultKind::Bundle {
            return;
        }
        let now = when::now();
        let events: Vec<Event> = names
            .iter()
            .filter_map(|n| self.payload.find(n).ok())
            .map(|r| Event::new(now, "used", &r.name, &r.id, how))
            .collect();
        journal::append(&self.path, &self.payload.log_key(), &self.header.vault_id, &events);
    }

    /// The newest use of each token id, from the records and the log.
    pub fn last_used(&self) -> HashMap<String, i64> {
        let mut m: HashMap<String, i64> =
            self.payload.records.iter().filter_map(|r| r.last_used_at.map(|t| (r.id.clone(), t))).collect();
        for e in journal::read(&self.path, &self.payload.log_key(), &self.header.vault_id) {
            if e.is_use() {
                let slot = m.entry(e.token_id).or_insert(e.time);
                *slot = (*slot).max(e.time);
            }
        }
        m
    }
}

fn no_vault(path: &Path) -> anyhow::Error {
    error::not_found(format!("no vault at {}", path.display()))
        .hint(
            "create one with `tokctl init` (or any `tokctl create`/`import`), or point --vault / TOKCTL_VAULT at yours",
        )
        .into()
}

/// Find the key for an existing vault, trying each source in order.
pub fn unlock(path: &Path, env: &Envelope) -> Result<(Key, Source)> {
    if let Some(k) = keystore::env_key()? {
        if env.key_fits(&k) {
            return Ok((k, Source::EnvKey));
        }
        return Err(error::locked(format!("{ENV_KEY} does not unlock the vault at {}", path.display()))
            .hint("it belongs to another vault or an older key; unset it or set it to this vault's `tokctl key export`")
            .into());
    }
    let id = &env.header.vault_id;
    let mut why: Vec<String> = Vec::new();
    if let Some(found) = from_keyring(env, id, &mut why)? {
        return Ok((found, Source::Keyring));
    }
    if let Some(slot) = &env.header.passphrase {
        if let Some(p) = keystore::env_passphrase() {
            return slot.unwrap_key(id, p.as_bytes()).map(|k| (k, Source::Passphrase)).ok_or_else(|| {
                error::locked(format!("{ENV_PASS} is not the passphrase of the vault at {}", path.display()))
                    .hint("check the value, or unlock with TOKCTL_VAULT_KEY instead")
                    .into()
            });
        }
        if keystore::stdin_is_tty() {
            if !why.is_empty() {
                eprintln!("tokctl: {}; asking for the passphrase", why.join("; "));
            }
            for _ in 0..3 {
                let p = keystore::prompt(&format!("Passphrase for {}: ", path.display()))?;
                if let Some(k) = slot.unwrap_key(id, p.as_bytes()) {
                    return Ok((k, Source::Passphrase));
                }
                eprintln!("tokctl: wrong passphrase");
            }
            return Err(error::locked("wrong passphrase, three times").hint("run the command again").into());
        }
    }
    let cause = if why.is_empty() { "no key is available".to_string() } else { why.join("; ") };
    let mut fix =
        format!("set {ENV_KEY} to this vault's exported key, or put it back in the keyring with `tokctl key import`");
    if env.header.passphrase.is_some() {
        fix.push_str(&format!("\nthis vault has a passphrase: set {ENV_PASS}, or run on a terminal to be asked"));
    } else if matches!(env.header.kind, VaultKind::Bundle) {
        fix = format!("a bundle opens only with the key `tokctl bundle` printed: set {ENV_KEY} to it");
    }
    Err(error::locked(format!("cannot unlock the vault at {}: {cause}", path.display())).hint(fix).into())
}

/// The key from the keyring: the vault's entry, or the one a `key rotate` staged under
/// `+pending`. A rotation swaps the entries while we look; when the keyring answered but nothing
/// fitted, one more look sees the settled state. A keyring that did not answer is not asked
/// again: that would cost a second timeout.
fn from_keyring(env: &Envelope, id: &str, why: &mut Vec<String>) -> Result<Option<Key>> {
    for _ in 0..2 {
        let main = keystore::load(id)?;
        match &main {
            Ok(k) if env.key_fits(k) => return Ok(Some(k.clone())),
            Ok(_) | Err(Miss::NoEntry) => {}
            Err(m) => {
                if !matches!(m, Miss::Off) {
                    why.push(m.to_string());
                }
                return Ok(None);
            }
        }
        if let Ok(Ok(k)) = keystore::load(&pending(id))
            && env.key_fits(&k)
        {
            return Ok(Some(k));
        }
        why.push(match main {
            Ok(_) => "the OS keyring holds an older key for this vault".into(),
            Err(m) => m.to_string(),
        });
    }
    why.dedup();
    Ok(None)
}

pub fn pending(id: &str) -> String {
    format!("{id}+pending")
}

/// Read and unlock an existing vault. Never writes.
///
/// A key rotation replaces the vault and the keyring entries one after the other; a reader that
/// read the file before it and the keyring after it sees a key that does not fit. Then the file
/// has changed, and reading it again gives a matching pair.
pub fn read(ctx: &Ctx) -> Result<Opened> {
    read_with(ctx, None)
}

/// `read`, keeping only the named records: what `get`, `exec -t` and `env -t` need from a large
/// vault. A name that is missing gets the full read, so its error (and suggestion) is the same.
/// The result is for reading only: it is never committed.
pub fn read_only(ctx: &Ctx, names: &[&str]) -> Result<Opened> {
    let op = read_with(ctx, Some(names))?;
    if names.iter().all(|n| op.payload.records.iter().any(|r| r.name == *n)) { Ok(op) } else { read(ctx) }
}

fn read_with(ctx: &Ctx, only: Option<&[&str]>) -> Result<Opened> {
    let mut bytes = fsio::read_opt(&ctx.vault)?.ok_or_else(|| no_vault(&ctx.vault))?;
    let mut tries = 0;
    loop {
        match open_with(&ctx.vault, &bytes, only) {
            Err(e) if tries < 3 && is_locked(&e) => {
                let now = fsio::read_opt(&ctx.vault)?.ok_or_else(|| no_vault(&ctx.vault))?;
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

fn is_locked(e: &anyhow::Error) -> bool {
    e.downcast_ref::<error::Error>().is_some_and(|x| x.code == error::Code::Locked)
}

fn open_bytes(path: &Path, bytes: &[u8]) -> Result<Opened> {
    open_with(path, bytes, None)
}

/// Unlock and decrypt; with `only`, keep just those records (a read-only view).
fn open_with(path: &Path, bytes: &[u8], only: Option<&[&str]>) -> Result<Opened> {
    let env = Envelope::parse(bytes)?;
    let (key, source) = unlock(path, &env)?;
    let header = env.header.clone();
    let payload = match only {
        Some(names) => env.open_only(&key, names)?,
        None => env.open(&key)?,
    };
    Ok(Opened { path: path.to_path_buf(), header, key, payload, source, events: Vec::new() })
}

/// Key and header for a vault that does not exist yet: how it is protected, and whether its key
/// went into the keyring. Touches no file.
fn create(ctx: &Ctx) -> Result<(Opened, String, bool)> {
    let label = format!("tokctl vault key ({})", ctx.vault.display());
    let env_key = keystore::env_key()?;
    let key = env_key.clone().unwrap_or_else(Key::random);
    let mut header = Header::new(VaultKind::Personal, &key);
    let stored = keystore::save(&header.vault_id, &label, &key)?;
    let mut pass = keystore::env_passphrase();
    match (&stored, &env_key) {
        (Ok(()), _) => {}
        (Err(_), Some(_)) => {}
        (Err(miss), None) => {
            if pass.is_none() {
                if !keystore::stdin_is_tty() {
                    return Err(error::locked(format!("cannot create a vault at {}: {miss}", ctx.vault.display()))
                        .hint(format!(
                            "without a usable keyring a vault needs a passphrase: set {ENV_PASS} (or run on a terminal),\n\
                             or set {ENV_KEY} to a key from `tokctl key export`"
                        ))
                        .into());
                }
                eprintln!("tokctl: {miss}; protecting the new vault with a passphrase instead");
                pass = Some(keystore::new_passphrase()?);
            }
        }
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
    let op = Opened { path: ctx.vault.clone(), header, key, payload: Payload::default(), source, events: Vec::new() };
    Ok((op, how, stored.is_ok()))
}

/// Change an existing vault under the writers' lock. `f` returning an error leaves the file
/// exactly as it was. A missing vault is "not found" and nothing is created.
pub fn write<T>(ctx: &Ctx, f: impl FnOnce(&mut Opened) -> Result<T>) -> Result<T> {
    if !ctx.vault.exists() {
        return Err(no_vault(&ctx.vault));
    }
    if ctx.default_path {
        // tokctl owns its data directory outright: keep it private even if someone loosened it.
        fsio::tighten_dir(&fsio::parent(&ctx.vault))?;
    }
    let _lock = fsio::lock(&ctx.vault)?;
    fsio::sweep_temps(&ctx.vault);
    let bytes = fsio::read_opt(&ctx.vault)?.ok_or_else(|| no_vault(&ctx.vault))?;
    let mut op = open_bytes(&ctx.vault, &bytes)?;
    let out = f(&mut op)?;
    commit(&mut op)?;
    Ok(out)
}

/// Like `write`, but a missing vault is created first (`init`, `create`, `import`). Its key is
/// made and stored before any directory or lock file exists, so a refusal leaves nothing behind.
pub fn write_or_create<T>(ctx: &Ctx, f: impl FnOnce(&mut Opened) -> Result<T>) -> Result<T> {
    if ctx.vault.exists() {
        return write(ctx, f);
    }
    let (fresh, how, in_keyring) = create(ctx)?;
    let dir = fsio::parent(&ctx.vault);
    fsio::private_dir(&dir)?;
    if ctx.default_path {
        fsio::tighten_dir(&dir)?;
    }
    let _lock = fsio::lock(&ctx.vault)?;
    let (mut op, made) = match fsio::read_opt(&ctx.vault)? {
        // Another process created it meanwhile: use theirs and drop our unused key.
        Some(bytes) => {
            if in_keyring {
                let _ = keystore::delete(&fresh.header.vault_id);
            }
            (open_bytes(&ctx.vault, &bytes)?, false)
        }
        None => (fresh, true),
    };
    let out = f(&mut op)?;
    commit(&mut op)?;
    if made {
        ctx.say(format!("created a new vault at {} ({how})", ctx.vault.display()));
    }
    Ok(out)
}

/// Seal and write atomically, then log; compact the log when it has grown too large.
pub fn commit(op: &mut Opened) -> Result<()> {
    let log_key = op.payload.log_key();
    if journal::oversized(&op.path) {
        fold_uses(op);
        journal::compact(&op.path, &log_key, &op.header.vault_id, journal::KEEP)?;
    }
    let bytes = vault::seal(&mut op.header, &op.key, &op.payload);
    fsio::atomic_write(&op.path, &bytes)?;
    journal::append(&op.path, &log_key, &op.header.vault_id, &std::mem::take(&mut op.events));
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
