//! Where the vault key comes from: `TOKCTL_VAULT_KEY`, the OS keyring, or a passphrase.
//!
//! Every keyring call runs on its own thread and is given up after `TOKCTL_KEYRING_TIMEOUT`
//! seconds, so a locked collection waiting on a prompt or a dead D-Bus cannot hang tokctl.
//! A keyring that fails or forgot never causes a new key for an existing vault: that decision is
//! made by the caller, which only makes keys for vaults that do not exist yet.

use std::io::{IsTerminal, Read};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::crypto;
use crate::error::{self, Result};
use crate::secret::Key;

pub const SERVICE: &str = "tokctl";
pub const ENV_KEY: &str = "TOKCTL_VAULT_KEY";
pub const ENV_PASS: &str = "TOKCTL_PASSPHRASE";
pub const ENV_KEYRING: &str = "TOKCTL_KEYRING";
pub const ENV_TIMEOUT: &str = "TOKCTL_KEYRING_TIMEOUT";

/// `TOKCTL_VAULT_KEY`, when set.
pub fn env_key() -> Result<Option<Key>> {
    match std::env::var(ENV_KEY) {
        Ok(v) if !v.is_empty() => {
            let v = Zeroizing::new(v);
            crypto::decode_key(&v).map(Some).map_err(|e| {
                error::locked(format!("{ENV_KEY} is set but is not a usable vault key"))
                    .hint(format!("{}; unset it to use the keyring", e.root_cause()))
                    .into()
            })
        }
        _ => Ok(None),
    }
}

/// `TOKCTL_PASSPHRASE`, when set.
pub fn env_passphrase() -> Option<Zeroizing<String>> {
    std::env::var(ENV_PASS).ok().filter(|p| !p.is_empty()).map(Zeroizing::new)
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

pub fn keyring_enabled() -> Result<bool> {
    match std::env::var(ENV_KEYRING).as_deref() {
        Err(_) | Ok("") | Ok("auto") | Ok("os") => Ok(true),
        Ok("none") | Ok("off") => Ok(false),
        Ok(other) => Err(error::usage(format!("{ENV_KEYRING}='{other}' is not understood"))
            .hint(format!("set {ENV_KEYRING}=none to turn the keyring off, or unset it"))
            .into()),
    }
}

fn timeout_secs() -> Result<u64> {
    match std::env::var(ENV_TIMEOUT) {
        Err(_) => Ok(10),
        Ok(v) => v.trim().parse::<u64>().ok().filter(|&n| n > 0 && n <= 3600).ok_or_else(|| {
            error::usage(format!("{ENV_TIMEOUT}='{v}' is not a number of seconds"))
                .hint("use a whole number from 1 to 3600 (default 10)")
                .into()
        }),
    }
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
    let bus_set = std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some_and(|v| !v.is_empty());
    let runtime_bus =
        std::env::var_os("XDG_RUNTIME_DIR").is_some_and(|d| std::path::Path::new(&d).join("bus").exists());
    if !bus_set && !runtime_bus {
        return Err(keyring_core::Error::NoStorageAccess(
            "there is no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set), so no Secret Service".into(),
        ));
    }
    Ok(dbus_secret_service_keyring_store::Store::new()?)
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

fn entry(account: &str, label: &str) -> keyring_core::Result<keyring_core::Entry> {
    let mods = std::collections::HashMap::from([("label", label)]);
    store()?.build(SERVICE, account, Some(&mods))
}

/// Run one keyring operation on a thread, bounded by the timeout.
fn bounded<T: Send + 'static>(
    op: impl FnOnce() -> keyring_core::Result<T> + Send + 'static,
) -> Result<Result<T, Miss>> {
    bounded_by(timeout_secs()?, op)
}

/// The thread is left behind on a timeout; it ends with the process.
fn bounded_by<T: Send + 'static>(
    secs: u64,
    op: impl FnOnce() -> keyring_core::Result<T> + Send + 'static,
) -> Result<Result<T, Miss>> {
    if !keyring_enabled()? {
        return Ok(Err(Miss::Off));
    }
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(op());
    });
    Ok(match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(keyring_core::Error::NoEntry)) => Err(Miss::NoEntry),
        // The store's own words, without the error kind's generic preface.
        Ok(Err(keyring_core::Error::NoStorageAccess(e) | keyring_core::Error::PlatformFailure(e))) => {
            Err(Miss::Failed(one_line(&e.to_string())))
        }
        Ok(Err(e)) => Err(Miss::Failed(one_line(&e.to_string()))),
        Err(_) => Err(Miss::Timeout(secs)),
    })
}

fn one_line(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.len() > 200 { format!("{}…", &s[..s.floor_char_boundary(200)]) } else { s }
}

/// The key stored for `account` (a vault id), as exported text.
pub fn load(account: &str) -> Result<Result<Key, Miss>> {
    load_within(account, timeout_secs()?)
}

/// `load`, given up after `secs` at most.
pub fn load_within(account: &str, secs: u64) -> Result<Result<Key, Miss>> {
    let account = account.to_string();
    let got = bounded_by(secs, move || entry(&account, "tokctl vault key")?.get_secret())?;
    Ok(got.and_then(|bytes| {
        let text = Zeroizing::new(bytes);
        std::str::from_utf8(&text)
            .ok()
            .and_then(|t| crypto::decode_key(t).ok())
            .ok_or_else(|| Miss::Failed("the stored entry is not a tokctl vault key".into()))
    }))
}

pub fn save(account: &str, label: &str, key: &Key) -> Result<Result<(), Miss>> {
    let (account, label) = (account.to_string(), label.to_string());
    let text = crypto::encode_key(key);
    bounded(move || entry(&account, &label)?.set_secret(text.as_bytes()))
}

pub fn delete(account: &str) -> Result<Result<(), Miss>> {
    let account = account.to_string();
    bounded(move || entry(&account, "tokctl vault key")?.delete_credential())
}

/// Probe the keyring for `doctor`: whether it answers, and how fast.
pub fn probe() -> Result<(Result<(), Miss>, Duration)> {
    let start = Instant::now();
    let r = bounded(|| match entry("tokctl-doctor-probe", "tokctl probe")?.get_secret() {
        Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(()),
        Err(e) => Err(e),
    })?;
    Ok((r, start.elapsed()))
}

pub fn stdin_is_tty() -> bool {
    std::io::stdin().is_terminal()
}

/// Ask for a passphrase on the terminal without echo.
pub fn prompt(text: &str) -> Result<Zeroizing<String>> {
    let p = rpassword::prompt_password(text)
        .map_err(|e| anyhow::anyhow!("cannot read the passphrase from the terminal: {e}"))?;
    Ok(Zeroizing::new(p))
}

/// A new passphrase: asked twice on a TTY, else the first line of stdin.
pub fn new_passphrase() -> Result<Zeroizing<String>> {
    let p = if stdin_is_tty() {
        let a = prompt("New passphrase: ")?;
        let b = prompt("Repeat it: ")?;
        if *a != *b {
            return Err(error::usage("the two passphrases differ").hint("run the command again").into());
        }
        a
    } else {
        let mut all = Zeroizing::new(String::new());
        std::io::stdin()
            .read_to_string(&mut all)
            .map_err(|_| error::usage("the passphrase on stdin is not UTF-8 text"))?;
        Zeroizing::new(all.lines().next().unwrap_or("").to_string())
    };
    check_passphrase(&p)?;
    Ok(p)
}

pub fn check_passphrase(p: &str) -> Result<()> {
    if p.chars().count() < 8 {
        return Err(error::usage("the passphrase is too short").hint("use at least 8 characters").into());
    }
    Ok(())
}
