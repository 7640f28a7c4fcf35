//! Opening a vault: one read/write surface over the two kinds of store a vault can be.
//!
//! An `Access` belongs to one command and one vault, which is either a vault file (`file`: an
//! envelope sealed with a vault key, unlocked in `unlock`'s order, checked against rollback by
//! `generations`, a new one's key kept as `fresh` says, the unlock cache filled by `cache_fill`)
//! or a remote store (`server`: the records on an OpenBao/Vault server, no vault key). Which one
//! is decided once, from the path, when the `Access` is made; every read and write then goes to
//! that store, and what only a vault file has is asked of it through `Opened::sealed`, which is
//! a clear error on a remote store.

mod cache_fill;
mod file;
mod fresh;
mod generations;
mod opened;
mod recipients;
mod server;

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::error::{self, Result};
use crate::fsio;
use crate::remote::{self, Location};
use crate::secret::Key;
use crate::text::Shown;
use crate::unlock::{Cached, Prompter, Source, Sources};
use crate::vault::{Envelope, Header};

pub use file::File;
pub use generations::newest_seen;
pub use opened::{Opened, Sealed};
pub use server::Server;

pub fn default_vault_path() -> Result<PathBuf> {
    let base = dirs::data_dir().ok_or_else(|| {
        error::usage("cannot tell where your data directory is (no HOME?)")
            .hint("pass --vault PATH or set TOKCTL_VAULT")
    })?;
    Ok(base.join("tokctl").join("vault.toml"))
}

/// Where a command's vault lives. A mode is a type: every operation decides for both.
pub enum Store<'a> {
    File(File<'a>),
    Remote(Server),
    /// A recipient bundle: an age file, read-only.
    Recipients(recipients::RecipientBundle),
}

/// One command's way into one vault.
pub struct Access<'a> {
    store: Store<'a>,
}

/// The error for a vault-file operation asked of a remote store.
fn not_on_remote(path: &Path, what: &str) -> anyhow::Error {
    error::usage(format!("{what} does not apply to a remote store: {} has no vault key or vault file", path.shown()))
        .hint("the server's own authentication protects it; manage access with its policies and tokens")
        .into()
}

impl<'a> Access<'a> {
    /// `person` is how a passphrase may be asked for (`unlock::Never` for no one). A vault path
    /// that is a symlink is followed to its target, which every read, write and lock then uses;
    /// a path that exists but is no regular file is refused before anything is made beside it.
    /// A remote store is never cached and never uses the vault-key sources.
    pub fn new(path: &Path, default_path: bool, person: &'a dyn Prompter) -> Result<Access<'a>> {
        if let Some(loc) = Location::parse(path)? {
            return Ok(Access { store: Store::Remote(Server::new(path.to_path_buf(), loc)?) });
        }
        let resolved = fsio::resolve(path)?;
        fsio::check_vault_path(&resolved)?;
        // A default path that leads elsewhere is in a directory the user chose: never re-moded.
        let default_path = default_path && resolved == path;
        if recipients::is_one(&resolved) {
            return Ok(Access { store: Store::Recipients(recipients::RecipientBundle { path: resolved }) });
        }
        Ok(Access { store: Store::File(File::new(resolved, default_path, Sources::from_env(person)?)) })
    }

    /// Access that unlocks with `TOKCTL_VAULT_KEY` alone: no keyring, no passphrase, no one
    /// asked. For a project file exempt from trust, which may only open its own bundle.
    pub fn env_key_only(path: &Path) -> Result<Access<'a>> {
        let mut acc = Access::new(path, false, &crate::unlock::Never)?;
        if let Store::File(f) = &mut acc.store {
            f.env_key_only();
        }
        Ok(acc)
    }

    /// The vault file, or the remote store's URL as given.
    pub fn path(&self) -> &Path {
        match &self.store {
            Store::File(f) => &f.path,
            Store::Remote(s) => &s.path,
            Store::Recipients(b) => &b.path,
        }
    }

    /// Whether the vault is a remote store.
    pub fn is_remote(&self) -> bool {
        matches!(self.store, Store::Remote(_))
    }

    /// The remote store, when the vault is one.
    pub fn remote(&self) -> Option<&remote::Store> {
        match &self.store {
            Store::Remote(s) => Some(&s.store),
            Store::File(_) | Store::Recipients(_) => None,
        }
    }

    /// The vault file, or an error naming `what` that does not apply to a remote store.
    fn file(&self, what: &str) -> Result<&File<'a>> {
        match &self.store {
            Store::File(f) => Ok(f),
            Store::Remote(s) => Err(not_on_remote(&s.path, what)),
            Store::Recipients(b) => Err(recipients::read_only(&b.path)),
        }
    }

    /// `file`, to use it.
    fn file_mut(&mut self, what: &str) -> Result<&mut File<'a>> {
        match &mut self.store {
            Store::File(f) => Ok(f),
            Store::Remote(s) => Err(not_on_remote(&s.path, what)),
            Store::Recipients(b) => Err(recipients::read_only(&b.path)),
        }
    }

    /// When `write_or_create` made the vault: how its key is kept.
    pub fn created(&self) -> Option<&str> {
        match &self.store {
            Store::File(f) => f.created.as_deref(),
            Store::Remote(_) | Store::Recipients(_) => None,
        }
    }

    /// Do not take the key from the unlock cache (`tokctl unlock` proves access afresh); a key
    /// found elsewhere may still be cached. A remote store never uses the cache anyway.
    pub fn skip_cache_read(&mut self) {
        if let Store::File(f) = &mut self.store {
            f.skip_cache = true;
        }
    }

    /// Open a vault file that is an older copy of itself, so `accept-rollback` can move it
    /// forward. A remote store keeps no generations.
    pub fn allow_rollback(&mut self) {
        if let Store::File(f) = &mut self.store {
            f.allow_rollback = true;
        }
    }

    /// What the cache said about the key this command holds, if it came from there.
    pub fn cached(&self) -> Option<Cached> {
        match &self.store {
            Store::File(f) => f.known().and_then(|u| u.cached.clone()),
            Store::Remote(_) | Store::Recipients(_) => None,
        }
    }

    /// The passphrase given for this vault during this command, if one was.
    pub fn passphrase(&self) -> Option<&Zeroizing<String>> {
        match &self.store {
            Store::File(f) => f.known().and_then(|u| u.passphrase.as_ref()),
            Store::Remote(_) | Store::Recipients(_) => None,
        }
    }

    /// The key for `env`: the one this command already has when it fits, else the unlock order,
    /// asking a person only when `may_ask`.
    pub fn key_for(&mut self, env: &Envelope, may_ask: bool) -> Result<(Key, Source)> {
        self.file_mut("a vault key")?.key_for(env, may_ask)
    }

    /// The vault's header, read without unlocking it.
    pub fn header(&self) -> Result<Header> {
        self.file("a vault header")?.header()
    }

    /// Read and unlock an existing vault. Never writes.
    pub fn read(&mut self) -> Result<Opened> {
        match &mut self.store {
            Store::File(f) => f.read(None),
            Store::Remote(s) => Ok(s.open(None)?.0),
            Store::Recipients(b) => b.read(None),
        }
    }

    /// `read`, keeping only the named records: what `get`, `exec -t` and `env -t` need from a
    /// large vault. A name that is missing gets every record, so its error (and suggestion) is
    /// the same; the key found the first time is reused. The result is never committed.
    pub fn read_only(&mut self, names: &[&str]) -> Result<Opened> {
        match &mut self.store {
            Store::File(f) => f.read(Some(names)),
            Store::Remote(s) => Ok(s.open(Some(names))?.0),
            Store::Recipients(b) => b.read(Some(names)),
        }
    }

    /// Change an existing vault under the writers' lock. Everything a person must answer is
    /// asked before the lock is taken; under it the file is read again. `f` returning an error
    /// leaves the file exactly as it was. A missing vault is "not found" and nothing is created.
    /// On a remote store `f` may run twice: once more on fresh data after a lost race.
    pub fn write<T>(&mut self, mut f: impl FnMut(&mut Opened) -> Result<T>) -> Result<T> {
        match &mut self.store {
            Store::File(file) => file.write_then(&mut f, |_, _| ()),
            Store::Remote(s) => s.write(f),
            Store::Recipients(b) => Err(recipients::read_only(&b.path)),
        }
    }

    /// `write`, then `then` with the lock still held once the new vault is on disk: for a
    /// rotation's last keyring step, which no other writer may interleave with. A vault file's
    /// only: a remote store has no writers' lock.
    pub fn write_then<T>(
        &mut self,
        f: impl FnOnce(&mut Opened) -> Result<T>,
        then: impl FnOnce(&Opened, &mut T),
    ) -> Result<T> {
        self.file_mut("a change under the writers' lock")?.write_then(f, then)
    }

    /// Like `write`, but a missing vault is created first (`init`, `create`, `import`). Its key is
    /// made and stored before any directory or lock file exists, so a refusal leaves nothing
    /// behind; `created` then says how the key is kept. A remote store needs nothing created.
    pub fn write_or_create<T>(&mut self, f: impl FnMut(&mut Opened) -> Result<T>) -> Result<T> {
        match &mut self.store {
            Store::File(file) => file.write_or_create(f),
            Store::Remote(s) => s.write(f),
            Store::Recipients(b) => Err(recipients::read_only(&b.path)),
        }
    }
}
