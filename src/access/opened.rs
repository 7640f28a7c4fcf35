//! An unlocked vault as a command sees it: its records and the events its change will log,
//! plus, for a vault file only, what sealed it (`Sealed`: header, key, how the key was found).
//!
//! A remote store has no envelope and no vault key, so its `Opened` carries no `Sealed` at all:
//! a command that asks for one there gets a clear "not on a remote store" error instead of a
//! made-up key.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::error::{self, Result};
use crate::fsio;
use crate::journal::{self, Action, Event};
use crate::secret::Key;
use crate::text::Shown;
use crate::unlock::{Cached, Source};
use crate::vault::{Envelope, Header, Payload, VaultKind};
use crate::when;

/// An unlocked vault: a vault file's or a remote store's records.
pub struct Opened {
    /// The vault file, or the remote store's URL as given.
    pub path: PathBuf,
    pub payload: Payload,
    /// Events to append to the log once the change is on disk (a remote store logs none).
    pub events: Vec<Event>,
    /// What only a vault file has; `None` for a remote store and a recipient bundle.
    pub(super) sealed: Option<Sealed>,
    /// A recipient bundle (an age file): read-only, no key, no log.
    pub(super) age: bool,
    /// The user's own vault (see `access::file`): only there are a provider's address and
    /// hooks honoured, and a provider acted on.
    own: bool,
}

/// The parts of an opened vault file that a remote store does not have.
pub struct Sealed {
    pub header: Header,
    pub key: Key,
    pub source: Source,
    /// For a key from the unlock cache: its first source and the generation the session saw.
    pub cached: Option<Cached>,
    /// Set by a key rotation: the commit gives the log a new key too (see `commit`).
    pub(super) rekey_log: bool,
    /// `file_tag` of the path, worked out once when first needed (it canonicalizes the path).
    tag: std::cell::OnceCell<String>,
}

impl Sealed {
    pub fn new(header: Header, key: Key, source: Source, cached: Option<Cached>) -> Sealed {
        Sealed { header, key, source, cached, rekey_log: false, tag: Default::default() }
    }

    /// The vault's generation: how many writes it has seen (format 1 vaults count as 0).
    pub fn generation(&self) -> u64 {
        self.header.generation
    }

    /// Where the key came from before any cache.
    pub fn origin(&self) -> Source {
        self.cached.as_ref().map(|c| c.origin).unwrap_or(self.source)
    }

    /// The tag of the vault file at `path`, which these parts were read from (see
    /// `file_tag`), worked out once.
    pub fn tag(&self, path: &Path) -> &str {
        self.tag.get_or_init(|| file_tag(path))
    }
}

/// A tag for one vault file: its canonical path, hashed, so copies never trip each other.
pub(super) fn file_tag(path: &Path) -> String {
    let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    crate::crypto::hex(&crate::crypto::sha256(canonical.as_os_str().as_encoded_bytes())[..12])
}

/// The error for a file-only part asked of a remote store.
/// The error for a write (or a vault-key operation) asked of a recipient bundle: exit 2.
pub(super) fn read_only(path: &Path) -> anyhow::Error {
    error::usage(format!("{} is a recipient bundle: it is read-only and has no vault key", path.shown()))
        .hint(format!(
            "change the tokens in the vault it came from, then re-seal it there with `tokctl bundle --refresh {}`",
            path.shown()
        ))
        .into()
}

fn not_remote(path: &Path, what: &str) -> anyhow::Error {
    error::usage(format!("{} is a remote store: it has no {what}", path.shown()))
        .hint("this applies to a vault file only, not on a remote store")
        .into()
}

impl Opened {
    /// An opened vault file.
    pub fn file(path: PathBuf, payload: Payload, sealed: Sealed) -> Opened {
        Opened { path, payload, events: Vec::new(), sealed: Some(sealed), age: false, own: false }
    }

    /// Say whether this is the user's own vault.
    pub(super) fn owned(mut self, own: bool) -> Opened {
        self.own = own;
        self
    }

    /// An opened recipient bundle: records only, read-only.
    pub(super) fn recipients(path: PathBuf, payload: Payload) -> Opened {
        Opened { path, payload, events: Vec::new(), sealed: None, age: true, own: false }
    }

    /// An opened remote store: records only.
    pub(super) fn remote(path: PathBuf, payload: Payload) -> Opened {
        Opened { path, payload, events: Vec::new(), sealed: None, age: false, own: false }
    }

    /// Whether the records came from a remote store rather than a vault file.
    pub fn is_remote(&self) -> bool {
        self.sealed.is_none() && !self.age
    }

    /// Whether these are the user's own records: a personal vault file the user's keyring (or
    /// their typed passphrase, or its place in their data directory) vouches for; not a remote
    /// store, a bundle or a recipient bundle, whose records others wrote. Only there are a
    /// provider's address and hooks honoured, and a provider acted on.
    pub fn own_vault(&self) -> bool {
        self.own
    }

    /// The vault file's own parts, when it is one.
    pub fn file_parts(&self) -> Option<&Sealed> {
        self.sealed.as_ref()
    }

    /// The vault file's own parts; on a remote store, an error saying it has none.
    pub fn sealed(&self) -> Result<&Sealed> {
        self.sealed.as_ref().ok_or_else(|| self.no_sealed())
    }

    /// Why there are no vault-file parts: a remote store, or a recipient bundle.
    fn no_sealed(&self) -> anyhow::Error {
        if self.age {
            return read_only(&self.path);
        }
        not_remote(&self.path, "vault key or vault file")
    }

    /// `sealed`, to change them (a new key, a passphrase slot, a generation).
    pub fn sealed_mut(&mut self) -> Result<&mut Sealed> {
        if self.sealed.is_none() {
            return Err(self.no_sealed());
        }
        Ok(self.sealed.as_mut().expect("checked above"))
    }

    /// The vault is getting a new key: give its log a new one when this change is committed, so
    /// the old vault key reads no event written later and appends none that counts.
    pub fn rekey_log(&mut self) -> Result<()> {
        self.sealed_mut()?.rekey_log = true;
        Ok(())
    }

    pub fn event(&mut self, action: Action, name: &str, id: &str, detail: impl Into<String>) {
        self.events.push(Event::new(when::now(), action, name, id, detail));
    }

    /// Whether uses are recorded: not in a bundle, a read-only artefact (committed, opened in
    /// CI), nor on a remote store, where every read would become a write (its audit device
    /// sees the uses instead).
    pub fn tracks_uses(&self) -> bool {
        self.sealed.as_ref().is_some_and(|s| s.header.kind != VaultKind::Bundle)
    }

    /// This vault file's tag (see `file_tag`); on a remote store, an error.
    pub fn tag(&self) -> Result<&str> {
        Ok(self.sealed()?.tag(&self.path))
    }

    /// Record a use: best effort, never fails the command.
    pub fn record_use(&self, names: &[&str], how: &str) {
        self.record_event(Action::Used, names, how);
    }

    /// Append `action` for each token in `names` to the log, without a write of the vault (as
    /// uses are): what happened to a token outside it, such as git rejecting it.
    pub fn record_event(&self, action: Action, names: &[&str], how: &str) {
        let Some(s) = self.sealed.as_ref().filter(|_| self.tracks_uses()) else { return };
        let now = when::now();
        let events: Vec<Event> = names
            .iter()
            .filter_map(|n| self.payload.find(n).ok())
            .map(|r| Event::new(now, action.clone(), &r.name, &r.id, how))
            .collect();
        // A rotation since this vault was read retired its log key: then the use goes unrecorded.
        let current = || {
            fsio::read_opt(&self.path, fsio::MAX_VAULT)
                .ok()
                .flatten()
                .and_then(|b| Envelope::parse(&b).ok())
                .is_some_and(|e| e.header.key_check == s.header.key_check)
        };
        let keys = self.payload.log_keys();
        journal::append(&self.path, &keys, &s.header.vault_id, s.generation(), events, current);
    }

    /// The history, oldest first, with the chain's state (a remote store keeps none here).
    pub fn history(&self) -> journal::Report {
        match &self.sealed {
            Some(s) => journal::read(&self.path, &self.payload.log_keys(), &s.header.vault_id),
            None => journal::Report::default(),
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn file_of(kind: VaultKind) -> Opened {
        let key = Key::random();
        let header = Header::new(kind, &key);
        Opened::file(
            PathBuf::from("/nonexistent/v.toml"),
            Payload::default(),
            Sealed::new(header, key, Source::New, None),
        )
    }

    fn code(e: &anyhow::Error) -> Option<error::Code> {
        e.downcast_ref::<error::Error>().map(|x| x.code)
    }

    #[test]
    fn a_remote_store_has_no_file_parts_and_says_so_as_a_usage_error() {
        let mut op = Opened::remote(PathBuf::from("openbao+http://127.0.0.1:1/secret/team"), Payload::default());
        assert!(op.is_remote());
        assert!(op.file_parts().is_none());
        for e in [op.sealed().err().unwrap(), op.tag().err().unwrap()] {
            assert_eq!(code(&e), Some(error::Code::Usage));
            assert!(e.to_string().contains("remote store"), "{e}");
        }
        assert_eq!(code(&op.rekey_log().unwrap_err()), Some(error::Code::Usage));
        assert!(op.sealed_mut().is_err());
        assert!(!op.tracks_uses());
        assert!(op.history().entries.is_empty());
    }

    #[test]
    fn a_vault_file_tracks_uses_unless_it_is_a_bundle() {
        let op = file_of(VaultKind::Personal);
        assert!(!op.is_remote());
        assert!(op.tracks_uses());
        assert_eq!(op.sealed().unwrap().generation(), 0);
        assert!(!file_of(VaultKind::Bundle).tracks_uses());
    }

    #[test]
    fn the_origin_of_a_cached_key_is_where_the_cache_got_it() {
        let mut op = file_of(VaultKind::Personal);
        let s = op.sealed_mut().unwrap();
        assert_eq!(s.origin(), Source::New);
        s.source = Source::Cache;
        s.cached = Some(Cached { origin: Source::Keyring, seen: Vec::new() });
        assert_eq!(s.origin(), Source::Keyring);
    }

    #[test]
    fn a_file_tag_is_the_same_for_every_spelling_of_one_path_and_differs_between_files() {
        let dir = std::env::temp_dir().join(format!("tokctl-tag-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.toml"), dir.join("b.toml"));
        std::fs::write(&a, b"x").unwrap();
        std::fs::write(&b, b"x").unwrap();
        let roundabout = dir.join(".").join("a.toml");
        assert_eq!(file_tag(&a), file_tag(&roundabout));
        assert_ne!(file_tag(&a), file_tag(&b));
        assert_eq!(file_tag(&a).len(), 24);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
