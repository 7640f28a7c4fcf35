//! The vault's history: an encrypted, append-only event log beside the vault (`<vault>.log`).
//!
//! Each line is one event sealed on its own (fresh nonce, vault id as associated data), so a use
//! (`get`, `exec`…) costs one small append instead of a rewrite of the vault, and a torn last
//! line from a crash is simply skipped. Uses are also where `last_used_at` comes from: readers
//! merge the newest use per token, and compaction folds it into the records. The log is bounded:
//! when it grows past `MAX_BYTES`, the next write keeps the newest `KEEP` events. The line format
//! is specified in docs/FORMAT.md ("The history log").

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crypto::{self, NONCE_LEN};
use crate::error::Result;
use crate::fsio;
use crate::secret::Key;

pub const MAX_BYTES: u64 = 1024 * 1024;
pub const KEEP: usize = 2000;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    pub time: i64,
    pub action: String,
    pub token: String,
    pub token_id: String,
    pub detail: String,
}

impl Event {
    pub fn new(time: i64, action: &str, token: &str, token_id: &str, detail: impl Into<String>) -> Event {
        Event { time, action: action.into(), token: token.into(), token_id: token_id.into(), detail: detail.into() }
    }
    pub fn is_use(&self) -> bool {
        self.action == "used"
    }
}

pub fn path(vault: &Path) -> PathBuf {
    fsio::sibling(vault, ".log")
}

fn ad(vault_id: &str) -> Vec<u8> {
    [b"tokctl log\0".as_slice(), vault_id.as_bytes()].concat()
}

fn encode(key: &Key, vault_id: &str, events: &[Event]) -> String {
    let ad = ad(vault_id);
    let mut out = String::new();
    for e in events {
        let nonce = crypto::random_bytes::<NONCE_LEN>();
        let mut sealed = nonce.to_vec();
        sealed.extend(crypto::seal(key, &nonce, &ad, &postcard::to_stdvec(e).expect("event serialises")));
        out.push_str(&crypto::b64(&sealed));
        out.push('\n');
    }
    out
}

/// Append events. Best effort: a read-only bundle or a full disk must not fail the command.
pub fn append(vault: &Path, key: &Key, vault_id: &str, events: &[Event]) {
    if events.is_empty() {
        return;
    }
    let mut opts = OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    if let Ok(mut f) = opts.open(path(vault)) {
        // Start on a fresh line: if a crash tore the last line, ours must not be glued to it.
        // Readers skip the empty line this leaves otherwise.
        let mut text = String::from("\n");
        text.push_str(&encode(key, vault_id, events));
        let _ = f.write_all(text.as_bytes());
    }
}

/// Every readable event, oldest first. Lines that do not open (torn, old key) are skipped.
pub fn read(vault: &Path, key: &Key, vault_id: &str) -> Vec<Event> {
    let Ok(Some(bytes)) = fsio::read_opt(&path(vault)) else { return Vec::new() };
    let ad = ad(vault_id);
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(|line| {
            let raw = crypto::unb64(line)?;
            if raw.len() < NONCE_LEN {
                return None;
            }
            let plain = crypto::open(key, &raw[..NONCE_LEN], &ad, &raw[NONCE_LEN..])?;
            postcard::from_bytes(&plain).ok()
        })
        .collect()
}

/// Rewrite the log keeping the newest `keep` events. Called under the writers' lock.
pub fn compact(vault: &Path, key: &Key, vault_id: &str, keep: usize) -> Result<()> {
    let p = path(vault);
    if !p.exists() {
        return Ok(());
    }
    let events = read(vault, key, vault_id);
    let start = events.len().saturating_sub(keep);
    fsio::atomic_write(&p, encode(key, vault_id, &events[start..]).as_bytes())
}

pub fn oversized(vault: &Path) -> bool {
    std::fs::metadata(path(vault)).map(|m| m.len() > MAX_BYTES).unwrap_or(false)
}
