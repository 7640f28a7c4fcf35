//! The vault's registry of the bundles it wrote: where each one is, who or what opens it, and
//! for each token in it a keyed fingerprint of the secret it holds, never the secret. Compared
//! with today's records it tells which bundles hold an old secret (stale). No I/O here.

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::record::{Payload, Record};
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

impl Payload {
    /// Remember a bundle just written; one written before to the same path is forgotten.
    pub(crate) fn remember_bundle(&mut self, b: Bundle) {
        self.bundles.retain(|x| x.path != b.path);
        self.bundles.push(b);
    }

    /// The vault gets a new key (`key rotate`, a passphrase change): re-key the fingerprints
    /// that still match today's secrets; one that does not (a stale token) cannot be made again,
    /// so it becomes one that matches nothing, and the bundle stays stale.
    pub(crate) fn rekey_bundles(&mut self, old: &Key, new: &Key) {
        let Payload { records, bundles, .. } = self;
        for b in bundles.iter_mut() {
            for t in &mut b.tokens {
                let current = records.iter().find(|r| r.id == t.id).and_then(|r| r.secret.as_ref());
                t.fingerprint = match current {
                    Some(s) if crate::crypto::ct_eq(&fingerprint(old, s), &t.fingerprint) => fingerprint(new, s),
                    _ => [0; 32],
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vault::{Kind, Meta};
    use crate::when::Expiry;

    fn record(name: &str, secret: &str) -> Record {
        Meta::new(name, None, &[], None, None, Expiry::Never).unwrap().record(
            name,
            Kind::Imported,
            None,
            Secret::new(secret.into()),
        )
    }

    #[test]
    fn a_bundle_goes_stale_when_a_secret_changes_is_revoked_or_deleted_and_survives_a_new_key() {
        let key = Key::random();
        let mut p = Payload::default();
        p.records = vec![record("a", "secret-a-0123456789"), record("b", "secret-b-0123456789"), record("c", "c-0")];
        let b = Bundle::new("/x/ci.age".into(), SealedTo::Key("k".into()), 1, b"bytes", &p.records, &key);
        assert!(b.changes(&p.records, &key).is_empty());
        assert!(!b.tokens.iter().any(|t| t.fingerprint == crate::crypto::sha256(b"secret-a-0123456789")));
        p.remember_bundle(b);

        let new = Key::random();
        p.rekey_bundles(&key, &new);
        assert!(p.bundles[0].changes(&p.records, &new).is_empty(), "a new vault key alone stales nothing");

        p.records[0].set_secret(Secret::new("secret-a-new-0123456".into()), 2);
        p.records[1].revoked_at = Some(3);
        p.records[1].secret = None;
        p.records.remove(2);
        let changes: Vec<(String, Change)> =
            p.bundles[0].changes(&p.records, &new).into_iter().map(|(t, c)| (t.name.clone(), c)).collect();
        assert_eq!(
            changes,
            vec![("a".into(), Change::NewSecret), ("b".into(), Change::Revoked), ("c".into(), Change::Deleted)]
        );
        // A rotation after the change keeps it stale.
        p.rekey_bundles(&new, &Key::random());
        assert!(p.bundles[0].tokens.iter().all(|t| t.fingerprint == [0; 32]));

        // Writing to the same path again replaces the entry.
        let again = Bundle::new("/x/ci.age".into(), SealedTo::Recipients(vec!["age1x".into()]), 4, b"b", &[], &new);
        p.remember_bundle(again);
        assert_eq!(p.bundles.len(), 1);
        assert_eq!(p.bundles[0].sealed_to, SealedTo::Recipients(vec!["age1x".into()]));
    }

    /// docs/FORMAT.md: `bundles` follows `retired_log_keys` (then possibly empty), only when
    /// there is one; a vault without bundles encodes as before; nothing may trail.
    #[test]
    fn the_registry_is_an_optional_tail_of_the_payload() {
        let key = Key::random();
        let mut p = Payload::default();
        let plain = p.encode().to_vec();
        p.remember_bundle(Bundle::new("/b".into(), SealedTo::Key("kc".into()), 7, b"x", &[], &key));
        let with = p.encode().to_vec();
        assert_eq!(&with[..plain.len()], &plain[..], "the fields before it are as they were");
        let mut tail = vec![0u8]; // no retired log keys
        tail.extend(postcard::to_stdvec(&p.bundles).unwrap());
        assert_eq!(&with[plain.len()..], &tail[..]);
        assert_eq!(tail[1..4], [1, 2, b'/'], "one bundle, then its path");
        let back = Payload::decode(&with, 2).unwrap();
        assert_eq!((back.bundles.len(), back.bundles[0].written_at), (1, 7));
        assert!(back.retired_log_keys.is_empty());
        assert!(Payload::decode(&[plain.as_slice(), &[0]].concat(), 2).is_none(), "an empty list alone");
        assert!(Payload::decode(&[plain.as_slice(), &[0, 0]].concat(), 2).is_none(), "an empty registry");
        assert!(Payload::decode(&[with.as_slice(), &[0]].concat(), 2).is_none(), "a byte after it");
    }
}
