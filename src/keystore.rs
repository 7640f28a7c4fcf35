//! Where the vault key comes from: `TOKCTL_VAULT_KEY`, the OS keyring, or a passphrase.
//!
//! Every keyring call runs on its own thread and is given up after `TOKCTL_KEYRING_TIMEOUT`
//! seconds, so a locked collection waiting on a prompt or a dead D-Bus cannot hang tokctl.
//! A keyring that fails or forgot never causes a new key for an existing vault: that decision is
//! made by the caller, which only makes keys for vaults that do not exist yet.

use std::collections::HashMap;
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::crypto;
use crate::error::{self, Result};
use crate::secret::Key;

#[cfg(target_os = "linux")]
mod secret_service;

pub const SERVICE: &str = "tokctl";
pub use crate::settings::{ENV_KEY, ENV_KEYRING, ENV_KEYRING_TIMEOUT as ENV_TIMEOUT, ENV_PASS};

/// `TOKCTL_VAULT_KEY`, when set (checked when the command started: `settings`).
pub fn env_key() -> Option<Key> {
    crate::settings::get().vault_key.clone()
}

/// `TOKCTL_PASSPHRASE`, when set.
pub fn env_passphrase() -> Option<Zeroizing<String>> {
    crate::settings::get().passphrase.clone()
}

/// How a vault's key was found (the unlock order's sources, `unlock`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    EnvKey,
    Cache,
    Keyring,
    Passphrase,
    New,
}

impl Source {
    pub fn describe(self) -> &'static str {
        match self {
            Source::EnvKey => "TOKCTL_VAULT_KEY",
            Source::Cache => "the unlock cache",
            Source::Keyring => "the OS keyring",
            Source::Passphrase => "the passphrase",
            Source::New => "a new key",
        }
    }
}

/// Why the keyring did not give a key.
#[derive(Debug, thiserror::Error)]
pub enum Miss {
    /// Turned off with `TOKCTL_KEYRING=none`.
    #[error("the keyring is turned off ({ENV_KEYRING}=none)")]
    Off,
    /// It answered: there is no entry for this vault.
    #[error("the OS keyring has no key for this vault")]
    NoEntry,
    /// It did not answer within the timeout.
    #[error("the OS keyring did not answer within {0} s ({ENV_TIMEOUT})")]
    Timeout(u64),
    /// It answered with an error (no Secret Service, locked, refused…).
    #[error("the OS keyring is not usable: {0}")]
    Failed(String),
}

/// Whether the OS keyring is used at all (`TOKCTL_KEYRING`).
pub fn keyring_enabled() -> bool {
    crate::settings::get().keyring
}

/// How long a keyring call may take (`TOKCTL_KEYRING_TIMEOUT`).
fn timeout_secs() -> u64 {
    crate::settings::get().keyring_timeout
}

/// Which backend this platform's keyring is.
pub fn backend_name() -> &'static str {
    if cfg!(target_os = "macos") {
        "macOS Keychain"
    } else if cfg!(windows) {
        "Windows Credential Manager"
    } else {
        "Secret Service (D-Bus)"
    }
}

#[cfg(target_os = "linux")]
fn store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    // Without a session bus libdbus would try X11 autolaunch and fail with a message about
    // compile-time options; say what is really missing instead.
    if !session_bus_known() {
        return Err(keyring_core::Error::NoStorageAccess(
            "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service".into(),
        ));
    }
    Ok(dbus_secret_service_keyring_store::Store::new()?)
}

/// Whether there is a session bus to ask: its address, or the socket in the runtime directory.
#[cfg(target_os = "linux")]
fn session_bus_known() -> bool {
    let bus_set = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
    bus_set || std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| std::path::Path::new(&d).join("bus").exists())
}

#[cfg(target_os = "macos")]
fn store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(apple_native_keyring_store::keychain::Store::new()?)
}

#[cfg(windows)]
fn store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Ok(windows_native_keyring_store::Store::new()?)
}

#[cfg(not(any(target_os = "linux", target_os = "macos", windows)))]
fn store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    Err(keyring_core::Error::NotSupportedByStore("no OS keyring on this platform".into()))
}

/// One connection (and, for the Secret Service, one encrypted session) per process, shared by
/// every keyring call: a second call costs a round trip, not a new D-Bus connection and
/// Diffie-Hellman exchange, and calls on different threads take turns on it instead of opening
/// connections at once. Only a store that was made is kept; a failure is tried again next time.
fn shared_store() -> keyring_core::Result<std::sync::Arc<keyring_core::CredentialStore>> {
    static STORE: std::sync::Mutex<Option<std::sync::Arc<keyring_core::CredentialStore>>> = std::sync::Mutex::new(None);
    let mut slot = STORE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = &*slot {
        return Ok(s.clone());
    }
    let s = store()?;
    *slot = Some(s.clone());
    Ok(s)
}

fn entry(account: &str, label: &str) -> keyring_core::Result<keyring_core::Entry> {
    let mods = std::collections::HashMap::from([("label", label)]);
    shared_store()?.build(SERVICE, account, Some(&mods))
}

/// Run one keyring operation on a thread, bounded by the timeout.
fn bounded<T: Send + 'static>(op: impl FnOnce() -> keyring_core::Result<T> + Send + 'static) -> Result<T, Miss> {
    bounded_by(timeout_secs(), op)
}

/// The thread is left behind on a timeout; it ends with the process.
fn bounded_by<T: Send + 'static>(
    secs: u64,
    op: impl FnOnce() -> keyring_core::Result<T> + Send + 'static,
) -> Result<T, Miss> {
    if !keyring_enabled() {
        return Err(Miss::Off);
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(op());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(keyring_core::Error::NoEntry)) => Err(Miss::NoEntry),
        // The store's own words, without the error kind's generic preface.
        Ok(Err(keyring_core::Error::NoStorageAccess(e) | keyring_core::Error::PlatformFailure(e))) => {
            Err(Miss::Failed(one_line(&e.to_string())))
        }
        Ok(Err(e)) => Err(Miss::Failed(one_line(&e.to_string()))),
        Err(_) => Err(Miss::Timeout(secs)),
    }
}

fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.len() > 200 { format!("{}…", &s[..s.floor_char_boundary(200)]) } else { s }
}

/// Why a stored entry was not taken as a key.
const NOT_A_KEY: &str = "the stored entry is not a tokctl vault key";

/// The key stored for `account` (a vault id), as exported text.
pub fn load(account: &str) -> Result<Key, Miss> {
    load_within(account, timeout_secs())
}

/// `load`, given up after `secs` at most.
pub fn load_within(account: &str, secs: u64) -> Result<Key, Miss> {
    read_secret(account, "tokctl vault key", secs).and_then(|text| {
        std::str::from_utf8(&text)
            .ok()
            .and_then(|t| crypto::decode_key(t).ok())
            .ok_or_else(|| Miss::Failed(NOT_A_KEY.into()))
    })
}

/// What one read answered, kept for the command's next ask (`preload`).
enum Stashed {
    Secret(Zeroizing<Vec<u8>>),
    NoEntry,
    Timeout(u64),
}

/// Answers read ahead by `preload`, each taken once: a second ask of the same account (a retry
/// after a concurrent rotation, say) goes to the keyring again.
static STASH: Mutex<Option<HashMap<String, Stashed>>> = Mutex::new(None);

fn stash() -> std::sync::MutexGuard<'static, Option<HashMap<String, Stashed>>> {
    STASH.lock().unwrap_or_else(|e| e.into_inner())
}

fn take_stashed(account: &str) -> Option<Result<Zeroizing<Vec<u8>>, Miss>> {
    stash().as_mut()?.remove(account).map(|s| match s {
        Stashed::Secret(b) => Ok(b),
        Stashed::NoEntry => Err(Miss::NoEntry),
        Stashed::Timeout(secs) => Err(Miss::Timeout(secs)),
    })
}

/// A write to `account` makes what was read ahead of it stale.
fn forget(account: &str) {
    if let Some(m) = stash().as_mut() {
        m.remove(account);
    }
}

/// Read a vault's entries in one exchange with the Secret Service, ahead of the asks that follow
/// in this command: its generation record (rollback detection) and `key_accounts`, where its key
/// may be (the unlock order's; none when the key is known already). Where that exchange cannot
/// answer plainly, nothing is kept and the asks go to the keyring one by one as before.
pub fn preload(vault_id: &str, key_accounts: &[String]) {
    let mut accounts = key_accounts.to_vec();
    accounts.push(generations_account(vault_id));
    let Some(answers) = read_ahead(&accounts, timeout_secs()) else { return };
    let mut slot = stash();
    let m = slot.get_or_insert_with(HashMap::new);
    for (account, answer) in accounts.into_iter().zip(answers) {
        if let Some(a) = answer {
            m.insert(account, a);
        }
    }
}

/// One exchange for `accounts` (Linux: `secret_service`), bounded by `secs`: per account what it
/// answered plainly, else nothing. `None` when the keyring is off or the exchange failed.
#[cfg(target_os = "linux")]
fn read_ahead(accounts: &[String], secs: u64) -> Option<Vec<Option<Stashed>>> {
    use secret_service::Found;
    if !keyring_enabled() || !session_bus_known() {
        return None;
    }
    let (tx, rx) = mpsc::channel();
    let owned = accounts.to_vec();
    std::thread::spawn(move || {
        let _ = tx.send(secret_service::read(SERVICE, &owned, Duration::from_secs(secs)));
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(found)) => Some(
            found
                .into_iter()
                .map(|f| {
                    f.map(|f| match f {
                        Found::Secret(b) => Stashed::Secret(b),
                        Found::Nothing => Stashed::NoEntry,
                    })
                })
                .collect(),
        ),
        // It answered with an error (no Secret Service on the bus, say): the ordinary way
        // explains it.
        Ok(Err(_)) => None,
        // It did not answer at all: asking again would only wait again.
        Err(_) => Some(accounts.iter().map(|_| Some(Stashed::Timeout(secs))).collect()),
    }
}

#[cfg(not(target_os = "linux"))]
fn read_ahead(_accounts: &[String], _secs: u64) -> Option<Vec<Option<Stashed>>> {
    None
}

/// The secret kept under `account`: read ahead, else in one exchange of its own, else through
/// the keyring store (which unlocks, prompts and explains).
fn read_secret(account: &str, label: &'static str, secs: u64) -> Result<Zeroizing<Vec<u8>>, Miss> {
    if !keyring_enabled() {
        return Err(Miss::Off);
    }
    if let Some(r) = take_stashed(account) {
        return r;
    }
    match read_ahead(&[account.to_string()], secs).and_then(|mut v| v.pop().flatten()) {
        Some(Stashed::Secret(b)) => return Ok(b),
        Some(Stashed::NoEntry) => return Err(Miss::NoEntry),
        Some(Stashed::Timeout(s)) => return Err(Miss::Timeout(s)),
        None => {}
    }
    let account = account.to_string();
    bounded_by(secs, move || entry(&account, label)?.get_secret()).map(Zeroizing::new)
}

pub fn save(account: &str, label: &str, key: &Key) -> Result<(), Miss> {
    write_secret(account, label, crypto::encode_key(key).as_bytes().to_vec())
}

/// Keep `bytes` under `account`: an item that exists is given them in the process's own session
/// (Linux: `secret_service::replace`); a new item, a locked one, or any trouble goes through the
/// keyring store, which creates, unlocks and explains.
fn write_secret(account: &str, label: &str, bytes: Vec<u8>) -> Result<(), Miss> {
    forget(account);
    if !keyring_enabled() {
        return Err(Miss::Off);
    }
    let bytes = Zeroizing::new(bytes);
    #[cfg(target_os = "linux")]
    if session_bus_known() {
        let secs = timeout_secs();
        let (tx, rx) = mpsc::channel();
        let (acct, b) = (account.to_string(), bytes.clone());
        std::thread::spawn(move || {
            let _ = tx.send(secret_service::replace(SERVICE, &acct, &b, Duration::from_secs(secs)));
        });
        match rx.recv_timeout(Duration::from_secs(secs)) {
            Ok(Ok(true)) => return Ok(()),
            Ok(Ok(false) | Err(_)) => {}
            // Whether it was written is unknown: say so, as the store would have.
            Err(_) => return Err(Miss::Timeout(secs)),
        }
    }
    let (account, label) = (account.to_string(), label.to_string());
    bounded(move || entry(&account, &label)?.set_secret(&bytes).map_err(explain))
}

/// A text secret kept under `account`: a remote server's token, kept by `tokctl login`.
pub fn load_text(account: &str) -> Result<Zeroizing<String>, Miss> {
    read_secret(account, "tokctl server token", timeout_secs()).and_then(|bytes| {
        std::str::from_utf8(&bytes)
            .map(|t| Zeroizing::new(t.to_string()))
            .map_err(|_| Miss::Failed("the stored entry is not text".into()))
    })
}

/// Keep `text` under `account`, labelled `label`.
pub fn save_text(account: &str, label: &str, text: Zeroizing<String>) -> Result<(), Miss> {
    write_secret(account, label, text.as_bytes().to_vec())
}

/// What a Secret Service without a default collection is missing, and how to make one.
const NO_DEFAULT: &str = "the Secret Service has no default collection (no login keyring) to keep keys in; \
     log in to a desktop session once, or make one: printf 'PASSWORD\\n' | gnome-keyring-daemon --unlock";

/// Whether the Secret Service has a default collection, where new items go. A store with none
/// answers reads ("no such entry") but fails every write with "no result found".
#[cfg(target_os = "linux")]
fn has_default_collection() -> keyring_core::Result<bool> {
    let failed = |e: dbus::Error| keyring_core::Error::PlatformFailure(Box::new(e));
    let conn = dbus::blocking::Connection::new_session().map_err(failed)?;
    let proxy = conn.with_proxy("org.freedesktop.secrets", "/org/freedesktop/secrets", Duration::from_secs(5));
    let (path,): (dbus::Path,) =
        proxy.method_call("org.freedesktop.Secret.Service", "ReadAlias", ("default",)).map_err(failed)?;
    Ok(&*path != "/")
}

#[cfg(not(target_os = "linux"))]
fn has_default_collection() -> keyring_core::Result<bool> {
    Ok(true)
}

/// A failed write, explained when the cause is a missing default collection.
fn explain(e: keyring_core::Error) -> keyring_core::Error {
    match has_default_collection() {
        Ok(false) => keyring_core::Error::NoStorageAccess(NO_DEFAULT.into()),
        _ => e,
    }
}

pub fn delete(account: &str) -> Result<(), Miss> {
    forget(account);
    let account = account.to_string();
    bounded(move || entry(&account, "tokctl vault key")?.delete_credential())
}

/// The account that keeps one particular key of a vault, named by the key's check: where a
/// rotation stages its new key, and where every key the main entry is given is kept first (a
/// vault file, or a copy of it with the same id, may be sealed with it). tokctl never deletes
/// these: the key check in a header on disk is all a reader needs to find its key, whatever
/// the main entry holds after any interleaving of writers.
pub fn account_for(vault_id: &str, key_check: &str) -> String {
    format!("{vault_id}+{key_check}")
}

/// Keep `key` under its own account (`account_for`).
pub fn keep(vault_id: &str, label: &str, key: &Key) -> Result<(), Miss> {
    save(&account_for(vault_id, &crypto::key_check(key)), label, key)
}

/// The keyring writers of one vault id on this machine take turns: copies of a vault (same id,
/// other files) have writers' locks of their own but share the keyring entries, so a
/// read-then-write of an entry (the main entry, the generations) is only whole under this lock.
/// It is a file under tokctl's runtime directory (else its data directory), named by a hash of
/// the id (which comes from a header not yet authenticated). Best effort: where no such file can
/// be made, writers go on without it, and no key is lost either way (keys are never deleted, see
/// `account_for`); only the main entry may then hold an older key, which readers pass over.
pub struct IdLock {
    _file: Option<std::fs::File>,
}

pub fn lock_id(vault_id: &str) -> IdLock {
    let take = || -> Option<std::fs::File> {
        let dir = dirs::runtime_dir().or_else(dirs::data_dir)?.join("tokctl");
        crate::fsio::private_dir(&dir).ok()?;
        let name = format!("keyring-{}.lock", crypto::hex(&crypto::sha256(vault_id.as_bytes())[..12]));
        let f = crate::fsio::open_beside(&dir.join(name), false).ok()?;
        f.lock().ok()?;
        Some(f)
    };
    IdLock { _file: take() }
}

/// Make the main entry hold `key` without losing any key: `key` is first kept under its own
/// account, then `set_main`.
pub fn replace_main(vault_id: &str, label: &str, key: &Key) -> Result<(), Miss> {
    keep(vault_id, label, key)?;
    set_main(vault_id, label, key)
}

/// Give the main entry `key`, under the vault id's lock: a different key found there is first
/// kept under its own account; a main entry that could not be read is not overwritten. For a
/// key kept elsewhere already (a rotation's staged key, a key a person imports).
pub fn set_main(vault_id: &str, label: &str, key: &Key) -> Result<(), Miss> {
    let _turn = lock_id(vault_id);
    match load(vault_id) {
        Ok(old) if crypto::same_key(&old, key) => return Ok(()),
        Ok(old) => keep(vault_id, label, &old)?,
        // A main entry holding something that is no key is replaced; one that could not be read
        // may hold the only copy of a key (a vault's first), and is left alone.
        Err(Miss::NoEntry) => {}
        Err(Miss::Failed(why)) if why == NOT_A_KEY => {}
        Err(miss) => return Err(miss),
    }
    save(vault_id, label, key)
}

/// The account that keeps, for every file of a vault id seen on this machine, the newest
/// generation written to it: one line `<file tag> <generation>` per file, where the tag is a
/// hash of the file's canonical path, so copies of a vault never trip each other.
fn generations_account(vault_id: &str) -> String {
    format!("{vault_id}+generations")
}

fn parse_generations(text: &str) -> Vec<(String, u64)> {
    text.lines().filter_map(|l| l.split_once(' ')).filter_map(|(t, g)| Some((t.to_string(), g.parse().ok()?))).collect()
}

/// The newest generation the keyring remembers for the file tagged `tag`.
pub fn load_generation(vault_id: &str, tag: &str) -> Result<Option<u64>, Miss> {
    match read_secret(&generations_account(vault_id), "tokctl vault generations", timeout_secs()) {
        Ok(bytes) => {
            Ok(parse_generations(&String::from_utf8_lossy(&bytes)).into_iter().find(|(t, _)| t == tag).map(|(_, g)| g))
        }
        Err(Miss::NoEntry) => Ok(None),
        Err(m) => Err(m),
    }
}

/// Remember `generation` for the file tagged `tag` (never lowering what is remembered).
pub fn save_generation(vault_id: &str, tag: &str, generation: u64) -> Result<(), Miss> {
    // A read-then-write that every file of this id shares: copies must not undo each other.
    let _turn = lock_id(vault_id);
    let account = generations_account(vault_id);
    forget(&account);
    let label = "tokctl vault generations";
    let mut all = match read_secret(&account, label, timeout_secs()) {
        Ok(bytes) => parse_generations(&String::from_utf8_lossy(&bytes)),
        Err(Miss::NoEntry) => Vec::new(),
        Err(m) => return Err(m),
    };
    match all.iter_mut().find(|(t, _)| t == tag) {
        Some((_, g)) if *g >= generation => return Ok(()),
        Some((_, g)) => *g = generation,
        None => all.push((tag.to_string(), generation)),
    }
    let text: String = all.iter().map(|(t, g)| format!("{t} {g}\n")).collect();
    write_secret(&account, label, text.into_bytes())
}

/// Probe the keyring for `doctor`: whether it answers, and how fast.
pub fn probe() -> (Result<(), Miss>, Duration) {
    let start = Instant::now();
    let r = bounded(|| match entry("tokctl-doctor-probe", "tokctl probe")?.get_secret() {
        // It answers; but a new vault's key can only be kept if there is a collection to keep it in.
        Ok(_) | Err(keyring_core::Error::NoEntry) => match has_default_collection() {
            Ok(false) => Err(keyring_core::Error::NoStorageAccess(NO_DEFAULT.into())),
            _ => Ok(()),
        },
        Err(e) => Err(e),
    });
    (r, start.elapsed())
}

/// The label a desktop keyring shows for a vault's entry.
pub fn label(vault: &std::path::Path) -> String {
    format!("tokctl vault key ({})", vault.display())
}

/// A passphrase must be long enough to be worth the Argon2id it goes through.
pub fn check_passphrase(p: &str) -> Result<()> {
    if p.chars().count() < 8 {
        return Err(error::usage("the passphrase is too short").hint("use at least 8 characters").into());
    }
    Ok(())
}
