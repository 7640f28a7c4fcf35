//! The vault's registry of the bundles it wrote: where each one is, who or what opens it, and
//! for each token in it a keyed fingerprint of the secret it holds, never the secret. Compared
//! with today's records it tells which bundles hold an old secret (stale). No I/O here.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::record::Record;
use crate::secret::{Key, Secret};

/// What opens a bundle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SealedTo {
    /// A key bundle: the key check of the key `bundle` printed (never the key).
    Key(String),
    /// A recipient bundle: the recipients as they were given (one canonical line each).
    Recipients(Vec<String>),
}

/// One token as a bundle holds it.
#[derive(Clone, Serialize, Deserialize)]
pub struct Bundled {
    /// The record's id (a rename keeps it).
    pub id: String,
    /// The name it had when the bundle was written.
    pub name: String,
    /// HMAC-SHA-256 of the secret under the vault key (see `fingerprint`).
    pub fingerprint: [u8; 32],
}

/// A bundle this vault wrote.
#[derive(Clone, Serialize, Deserialize)]
pub struct Bundle {
    /// The absolute path it was written to.
    pub path: String,
    pub sealed_to: SealedTo,
    /// When it was written.
    pub written_at: i64,
    /// SHA-256 of the file's bytes as written: tells "still ours" from "replaced since".
    pub file_hash: [u8; 32],
    pub tokens: Vec<Bundled>,
}

/// What became of one bundled token since its bundle was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// A new secret (`regenerate`, `import --replace`).
    NewSecret,
    Revoked,
    Deleted,
}

impl Change {
    pub fn words(&self) -> &'static str {
        match self {
            Change::NewSecret => "has a new secret",
            Change::Revoked => "was revoked",
            Change::Deleted => "was deleted",
        }
    }
}

/// The keyed fingerprint of a secret: HMAC-SHA-256 keyed with the vault key over a label and
/// the secret. Without the vault key it says nothing about the secret.
pub fn fingerprint(vault_key: &Key, secret: &Secret) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(vault_key.bytes()).expect("HMAC takes any key length");
    mac.update(b"tokctl bundled secret v1\x00");
    mac.update(secret.expose().as_bytes());
    mac.finalize().into_bytes().into()
}

impl Bundle {
    /// The entry for a bundle of `records` just written to `path` as `bytes`.
    pub fn new(path: String, sealed_to: SealedTo, now: i64, bytes: &[u8], records: &[Record], key: &Key) -> Bundle {
        let tokens = records
            .iter()
            .filter_map(|r| {
                let s = r.secret.as_ref()?;
                Some(Bundled { id: r.id.clone(), name: r.name.clone(), fingerprint: fingerprint(key, s) })
            })
            .collect();
        Bundle { path, sealed_to, written_at: now, file_hash: crate::crypto::sha256(bytes), tokens }
    }

    /// The tokens whose secret in the bundle is no longer the vault's, and what happened.
    pub fn changes(&self, records: &[Record], key: &Key) -> Vec<(&Bundled, Change)> {
        self.tokens
            .iter()
            .filter_map(|t| {
                let change = match records.iter().find(|r| r.id == t.id) {
                    None => Change::Deleted,
                    Some(r) if r.revoked_at.is_some() => Change::Revoked,
                    Some(r) => match &r.secret {
                        None => Change::Revoked,
                        Some(s) if crate::crypto::ct_eq(&fingerprint(key, s), &t.fingerprint) => return None,
                        Some(_) => Change::NewSecret,
                    },
                };
                Some((t, change))
            })
            .collect()
    }

    /// Whether it holds the token with this id.
    pub fn holds(&self, id: &str) -> bool {
        self.tokens.iter().any(|t| t.id == id)
    }
}
