//! The one place that knows the unlock order (SPEC "Unlock order"):
//! `TOKCTL_VAULT_KEY` → the unlock cache (`cache`) → the OS keyring (the vault's entry, then the
//! one named by its key check) → `TOKCTL_PASSPHRASE` → a passphrase asked of a person, when the
//! caller may ask one. A cached key that does not fit the vault is dropped from the cache and the
//! order goes on: a stale entry never gives an answer.
//!
//! Nothing here reads a terminal or prints: how a person is asked is the caller's `Prompter`
//! (the terminal one lives in `ui`; doctor and completion pass `Never`). The sources are gathered
//! once into `Sources`, so the policy itself can be tested without a keyring or a terminal.

use std::path::Path;
use std::rc::Rc;

use zeroize::Zeroizing;

use crate::cache::Cache;
use crate::error::{self, Result};
use crate::keystore::{self, ENV_KEY, ENV_PASS, Miss};
use crate::secret::Key;
use crate::text::Shown;
use crate::vault::{Envelope, Header, VaultKind};

/// How the core may ask a person for something. Implemented at the edge (`ui`).
pub trait Prompter {
    /// Whether a person can be asked at all (a terminal is there).
    fn can_ask(&self) -> bool;
    /// The passphrase of the vault at `vault`; `why` says why the other sources did not do.
    /// `retry` is true after a wrong answer.
    fn passphrase(&self, vault: &Path, why: Option<&str>, retry: bool) -> Result<Zeroizing<String>>;
    /// A new passphrase (asked twice), for a vault that cannot keep its key in a keyring.
    fn new_passphrase(&self, why: &str) -> Result<Zeroizing<String>>;
}

/// A prompter for commands that must never wait for a person (doctor, completion).
pub struct Never;

impl Prompter for Never {
    fn can_ask(&self) -> bool {
        false
    }
    fn passphrase(&self, _: &Path, _: Option<&str>, _: bool) -> Result<Zeroizing<String>> {
        Err(error::locked("no one to ask for the passphrase").into())
    }
    fn new_passphrase(&self, _: &str) -> Result<Zeroizing<String>> {
        Err(error::locked("no one to ask for a passphrase").into())
    }
}

pub use crate::keystore::Source;

/// A key that opened a vault, how it was found, and the passphrase when one was used (kept so a
/// later step of the same command, e.g. a rotation re-making the passphrase slot, never asks
/// again).
pub struct Unlocked {
    pub key: Key,
    pub source: Source,
    pub passphrase: Option<Zeroizing<String>>,
    /// For a key from the cache: where it came from first, and the newest generation of a vault
    /// file (its tag) that the session saw.
    pub cached: Option<Cached>,
}

#[derive(Clone)]
pub struct Cached {
    pub origin: Source,
    /// The newest generation the session saw of each vault file (by tag) it recorded.
    pub seen: Vec<(String, u64)>,
}

impl Cached {
    /// What the cache recorded for the file `tag`; none when it has no record of that file.
    pub fn generation_of(&self, tag: &str) -> Option<u64> {
        crate::cache::generation_of(&self.seen, tag)
    }
}

impl Unlocked {
    pub fn new(key: Key, source: Source, passphrase: Option<Zeroizing<String>>) -> Unlocked {
        Unlocked { key, source, passphrase, cached: None }
    }

    /// Where the key came from before any cache.
    pub fn origin(&self) -> Source {
        self.cached.as_ref().map(|c| c.origin).unwrap_or(self.source)
    }
}

/// The keyring as the unlock order sees it: the stored key for an account (a vault id).
pub type KeyringLoad<'a> = &'a dyn Fn(&str) -> Result<Key, Miss>;

/// Every source of a key, gathered once per command.
pub struct Sources<'a> {
    pub env_key: Option<Key>,
    /// The login session's unlock cache, when it is usable and on.
    pub cache: Option<Rc<Cache>>,
    pub keyring: KeyringLoad<'a>,
    pub env_passphrase: Option<Zeroizing<String>>,
    pub person: &'a dyn Prompter,
}

fn load_from_keyring(account: &str) -> Result<Key, Miss> {
    keystore::load(account)
}

impl<'a> Sources<'a> {
    /// The sources this process has: the environment, the OS keyring, and `person`.
    pub fn from_env(person: &'a dyn Prompter) -> Result<Sources<'a>> {
        let env_key = keystore::env_key();
        // With the key in the environment the cache is never needed (and never asked).
        let cache = if env_key.is_some() { None } else { crate::cache::open()?.usable().map(Rc::new) };
        Ok(Sources { env_key, cache, keyring: &load_from_keyring, env_passphrase: keystore::env_passphrase(), person })
    }

    /// The same sources.
    pub fn copy(&self) -> Sources<'a> {
        Sources { person: self.person, ..self.without_person() }
    }

    /// The same sources with a person who is never asked (for steps taken under the lock).
    pub fn without_person(&self) -> Sources<'a> {
        Sources {
            env_key: self.env_key.clone(),
            cache: self.cache.clone(),
            keyring: self.keyring,
            env_passphrase: self.env_passphrase.clone(),
            person: &Never,
        }
    }
}

/// Ask `person` for the passphrase of the vault at `path` (its `header`) until it opens the
/// vault's passphrase slot, three times at most; `why` is said before the first question. The
/// key it unwraps and the passphrase. For a vault without a passphrase slot: exit 5.
pub fn ask_passphrase(
    person: &dyn Prompter,
    path: &Path,
    header: &Header,
    why: Option<&str>,
) -> Result<(Key, Zeroizing<String>)> {
    let Some(slot) = &header.passphrase else {
        return Err(error::locked(format!("the vault at {} has no passphrase", path.shown())).into());
    };
    for attempt in 0..3 {
        let p = person.passphrase(path, why.filter(|_| attempt == 0), attempt > 0)?;
        if let Some(key) = slot.unwrap_key(&header.vault_id, p.as_bytes()) {
            return Ok((key, p));
        }
    }
    Err(error::locked("wrong passphrase, three times").hint("run the command again").into())
}

/// Find the key of an existing vault, trying each source in the SPEC's order. A person is asked
/// (at most three times) only when every other source failed and the vault has a passphrase.
pub fn unlock(path: &Path, env: &Envelope, src: &Sources) -> Result<Unlocked> {
    if let Some(k) = &src.env_key {
        if env.key_fits(k) {
            return Ok(Unlocked::new(k.clone(), Source::EnvKey, None));
        }
        return Err(error::locked(format!("{ENV_KEY} does not unlock the vault at {}", path.shown()))
            .hint("it belongs to another vault or an older key; unset it or set it to this vault's `tokctl key export`")
            .into());
    }
    if let Some(u) = src.cache.as_deref().and_then(|c| from_cache(env, c)) {
        return Ok(u);
    }
    let id = &env.header.vault_id;
    let mut why: Vec<String> = Vec::new();
    let mut keyring_failed = false;
    if let Some(key) = from_keyring(env, id, src.keyring, &mut why, &mut keyring_failed) {
        return Ok(Unlocked::new(key, Source::Keyring, None));
    }
    if let Some(slot) = &env.header.passphrase {
        if let Some(p) = &src.env_passphrase {
            return match slot.unwrap_key(id, p.as_bytes()) {
                Some(key) => Ok(Unlocked::new(key, Source::Passphrase, Some(p.clone()))),
                None => {
                    Err(error::locked(format!("{ENV_PASS} is not the passphrase of the vault at {}", path.shown()))
                        .hint("check the value, or unlock with TOKCTL_VAULT_KEY instead")
                        .into())
                }
            };
        }
        if src.person.can_ask() {
            let reason = (!why.is_empty()).then(|| why.join("; "));
            let (key, p) = ask_passphrase(src.person, path, &env.header, reason.as_deref())?;
            return Ok(Unlocked::new(key, Source::Passphrase, Some(p)));
        }
    }
    let cause = if why.is_empty() { "no key is available".to_string() } else { why.join("; ") };
    let mut fix = if keyring_failed {
        // The key is in a keyring that did not hand it over: nothing is lost, nothing to import.
        format!(
            "unlock the OS keyring (log in to the desktop, or unlock its login collection) and run the command again,\n\
             or set {ENV_KEY} to this vault's exported key"
        )
    } else {
        format!("set {ENV_KEY} to this vault's exported key, or put it back in the keyring with `tokctl key import`")
    };
    if env.header.passphrase.is_some() {
        // What fits this vault first: it has a passphrase.
        fix = format!("this vault has a passphrase: set {ENV_PASS}, or run on a terminal to be asked\nor {fix}");
    } else if matches!(env.header.kind, VaultKind::Bundle) {
        fix = format!("a bundle opens only with the key `tokctl bundle` printed: set {ENV_KEY} to it");
    }
    Err(error::locked(format!("cannot unlock the vault at {}: {cause}", path.shown())).hint(fix).into())
}

/// The cached key for this vault when it fits; one that does not (the vault was re-keyed, or the
/// entry is not this vault's) is dropped.
pub fn from_cache(env: &Envelope, cache: &Cache) -> Option<Unlocked> {
    let id = &env.header.vault_id;
    let e = cache.load(id)?;
    if !env.key_fits(&e.key) {
        cache.forget(id);
        return None;
    }
    let cached = Cached { origin: e.origin, seen: e.seen };
    Some(Unlocked { key: e.key, source: Source::Cache, passphrase: None, cached: Some(cached) })
}

/// Where tokctl before key-named staging left a rotation's new key; still read, never written.
pub fn legacy_pending(id: &str) -> String {
    format!("{id}+pending")
}

/// The keyring accounts the key of a vault with `header` may be under, in the order they are
/// asked (`from_keyring`).
pub fn keyring_accounts(header: &Header) -> [String; 3] {
    let id = &header.vault_id;
    [id.clone(), keystore::account_for(id, &header.key_check), legacy_pending(id)]
}

/// The key from the keyring: the vault's main entry; else the entry named by the vault's key
/// check (a rotation's staged key, or a key kept aside when a copy of this vault was re-keyed);
/// else a legacy `+pending` entry. A rotation swaps the entries while we look; when the keyring
/// answered but nothing fitted, one more look sees the settled state. A keyring that did not
/// answer is not asked again: that would cost a second timeout.
/// `failed` is set when the keyring did not answer or refused (locked, dismissed, no service):
/// then the key is not lost, only out of reach.
fn from_keyring(env: &Envelope, id: &str, load: KeyringLoad, why: &mut Vec<String>, failed: &mut bool) -> Option<Key> {
    for _ in 0..2 {
        let main = load(id);
        match &main {
            Ok(k) if env.key_fits(k) => return Some(k.clone()),
            Ok(_) | Err(Miss::NoEntry) => {}
            Err(m) => {
                if !matches!(m, Miss::Off) {
                    why.push(m.to_string());
                    *failed = true;
                }
                return None;
            }
        }
        let [_, by_check, legacy] = keyring_accounts(&env.header);
        for account in [by_check, legacy] {
            if let Ok(k) = load(&account)
                && env.key_fits(&k)
            {
                return Some(k);
            }
        }
        why.push(match main {
            Ok(_) => "the OS keyring's key for this vault does not fit it (was a copy of it re-keyed?)".into(),
            Err(m) => m.to_string(),
        });
    }
    why.dedup();
    None
}

#[cfg(test)]
mod tests {
    //! The policy alone: the sources are plain values and closures, the envelope a real sealed
    //! vault.
    use std::cell::{Cell, RefCell};

    use super::*;
    use crate::vault::{self, Header, Payload, Slot};

    struct Scripted {
        answers: RefCell<Vec<&'static str>>,
        asked: Cell<u32>,
        tty: bool,
    }

    impl Scripted {
        fn new(tty: bool, answers: &[&'static str]) -> Scripted {
            Scripted { answers: RefCell::new(answers.iter().rev().copied().collect()), asked: Cell::new(0), tty }
        }
    }

    impl Prompter for Scripted {
        fn can_ask(&self) -> bool {
            self.tty
        }
        fn passphrase(&self, _: &Path, _: Option<&str>, _: bool) -> Result<Zeroizing<String>> {
            self.asked.set(self.asked.get() + 1);
            Ok(Zeroizing::new(self.answers.borrow_mut().pop().expect("asked more often than scripted").into()))
        }
        fn new_passphrase(&self, _: &str) -> Result<Zeroizing<String>> {
            unreachable!()
        }
    }

    fn vault_with(pass: Option<&str>) -> (Envelope, Key) {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        if let Some(p) = pass {
            h.passphrase = Some(Slot::new(&h.vault_id, &key, p.as_bytes()));
        }
        let bytes = vault::seal(&mut h, &key, &Payload::default());
        (Envelope::parse(&bytes).unwrap(), key)
    }

    fn code(r: Result<Unlocked>) -> Option<error::Code> {
        r.err().and_then(|e| e.downcast_ref::<error::Error>().map(|x| x.code))
    }

    fn no_keyring(_: &str) -> Result<Key, Miss> {
        Err(Miss::Off)
    }

    #[test]
    fn a_person_gets_three_tries_and_each_answer_is_checked() {
        let (env, key) = vault_with(Some("correct horse"));
        let person = Scripted::new(true, &["no", "nope", "correct horse"]);
        let (k, p) = ask_passphrase(&person, Path::new("v"), &env.header, Some("why")).unwrap();
        assert_eq!((k.bytes(), p.as_str(), person.asked.get()), (key.bytes(), "correct horse", 3));
        let person = Scripted::new(true, &["no", "nope", "never"]);
        let e = ask_passphrase(&person, Path::new("v"), &env.header, None).err().unwrap();
        assert_eq!(e.downcast_ref::<error::Error>().map(|x| x.code), Some(error::Code::Locked));
        let (plain, _) = vault_with(None);
        let person = Scripted::new(true, &[]);
        assert!(ask_passphrase(&person, Path::new("v"), &plain.header, None).is_err());
        assert_eq!(person.asked.get(), 0, "a vault without a passphrase asks no one");
    }

    #[test]
    fn the_env_key_comes_first_and_a_wrong_one_is_not_skipped() {
        let (env, key) = vault_with(Some("correct horse"));
        let asked = Cell::new(0);
        let keyring = |_: &str| -> Result<Key, Miss> {
            asked.set(asked.get() + 1);
            Err(Miss::NoEntry)
        };
        let person = Scripted::new(true, &[]);
        let s = Sources {
            env_key: Some(key.clone()),
            cache: None,
            keyring: &keyring,
            env_passphrase: Some(Zeroizing::new("correct horse".into())),
            person: &person,
        };
        assert_eq!(unlock(Path::new("v"), &env, &s).unwrap().source, Source::EnvKey);
        let s = Sources { env_key: Some(Key::random()), ..s };
        assert_eq!(code(unlock(Path::new("v"), &env, &s)), Some(error::Code::Locked));
        assert_eq!((asked.get(), person.asked.get()), (0, 0), "nothing else is tried after a wrong env key");
    }

    #[test]
    fn the_keyring_then_its_pending_entry_then_the_passphrase() {
        let (env, key) = vault_with(Some("correct horse"));
        let id = env.header.vault_id.clone();
        let person = Scripted::new(true, &[]);
        let k2 = key.clone();
        let main =
            move |acct: &str| -> Result<Key, Miss> { if acct == id { Ok(k2.clone()) } else { Err(Miss::NoEntry) } };
        let s = Sources { env_key: None, cache: None, keyring: &main, env_passphrase: None, person: &person };
        assert_eq!(unlock(Path::new("v"), &env, &s).unwrap().source, Source::Keyring);

        let staged_at = keystore::account_for(&env.header.vault_id, &env.header.key_check);
        let k3 = key.clone();
        let staged = move |acct: &str| -> Result<Key, Miss> {
            if acct == staged_at { Ok(k3.clone()) } else { Ok(Key::random()) }
        };
        let s = Sources { keyring: &staged, ..s };
        assert_eq!(unlock(Path::new("v"), &env, &s).unwrap().source, Source::Keyring, "a rotation's staged key");

        let s = Sources { keyring: &no_keyring, env_passphrase: Some(Zeroizing::new("correct horse".into())), ..s };
        let u = unlock(Path::new("v"), &env, &s).unwrap();
        assert_eq!(u.source, Source::Passphrase);
        assert_eq!(u.passphrase.as_deref().map(String::as_str), Some("correct horse"), "kept for later steps");
        assert_eq!(person.asked.get(), 0, "nobody was asked");
    }

    #[test]
    fn a_person_is_asked_only_last_at_most_three_times_and_never_by_never() {
        let (env, _) = vault_with(Some("correct horse"));
        let person = Scripted::new(true, &["nope", "correct horse"]);
        let s = Sources { env_key: None, cache: None, keyring: &no_keyring, env_passphrase: None, person: &person };
        let u = unlock(Path::new("v"), &env, &s).unwrap();
        assert_eq!((u.source, person.asked.get()), (Source::Passphrase, 2));

        let person = Scripted::new(true, &["a", "b", "c"]);
        let s = Sources { person: &person, ..s };
        assert_eq!(code(unlock(Path::new("v"), &env, &s)), Some(error::Code::Locked));
        assert_eq!(person.asked.get(), 3);

        let s = Sources { person: &Never, ..s };
        assert_eq!(code(unlock(Path::new("v"), &env, &s)), Some(error::Code::Locked), "never prompts");

        let person = Scripted::new(false, &[]);
        let s = Sources { person: &person, ..s };
        assert_eq!(code(unlock(Path::new("v"), &env, &s)), Some(error::Code::Locked));
        assert_eq!(person.asked.get(), 0, "no terminal, no prompt");

        let (plain, _) = vault_with(None);
        let person = Scripted::new(true, &[]);
        let s = Sources { person: &person, ..s };
        assert_eq!(code(unlock(Path::new("v"), &plain, &s)), Some(error::Code::Locked));
        assert_eq!(person.asked.get(), 0, "a vault without a passphrase is never asked for one");
    }

    #[test]
    fn a_keyring_that_does_not_answer_is_asked_once() {
        let (env, _) = vault_with(None);
        let calls = Cell::new(0);
        let slow = |_: &str| -> Result<Key, Miss> {
            calls.set(calls.get() + 1);
            Err(Miss::Timeout(10))
        };
        let s = Sources { env_key: None, cache: None, keyring: &slow, env_passphrase: None, person: &Never };
        let e = unlock(Path::new("v"), &env, &s).err().unwrap();
        assert_eq!(calls.get(), 1);
        assert!(format!("{e}").contains("did not answer"), "{e}");
    }
}
