//! What the ciphertext holds: the records, the log key, the log keys rotations retired, and
//! the bundles this vault wrote; how it is encoded (postcard, optional tails) and decoded in the
//! layout of each format version.

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use super::bundles::{Bundle, fingerprint};
use super::names::check_name;
use super::record::{Kind, Record, RecordIn};
use crate::crypto;
use crate::error::{self, Result};
use crate::secret::Key;

/// Everything inside the ciphertext.
#[derive(Serialize)]
pub struct Payload {
    pub records: Vec<Record>,
    /// The key of the history log beside the vault: random, and replaced by every key rotation,
    /// so that a rotated-out vault key reads no event written later and seals none that counts.
    pub log_key: [u8; 32],
    /// The log keys earlier rotations replaced, oldest first: the lines they sealed are still
    /// read (until compaction re-seals them), and only as far as each one's `before_seq`.
    /// Written after the fields above only when there is one (see `encode`), so a vault never
    /// rotated encodes exactly as before.
    #[serde(skip)]
    pub retired_log_keys: Vec<RetiredLogKey>,
    /// The bundles this vault wrote (`vault::bundles`). Written after the retired log keys
    /// only when there is one (see `encode`), so a vault that never bundled encodes as before.
    #[serde(skip)]
    pub bundles: Vec<super::bundles::Bundle>,
}

/// A log key a rotation replaced: it seals only lines with a sequence number below `before_seq`
/// (the next one when it was retired), all before the first line of any newer key.
#[derive(Serialize, Deserialize)]
pub struct RetiredLogKey {
    pub key: [u8; 32],
    pub before_seq: u64,
}

impl Drop for RetiredLogKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.key);
    }
}

impl Default for Payload {
    fn default() -> Self {
        Payload {
            records: Vec::new(),
            log_key: crypto::random_bytes::<32>(),
            retired_log_keys: Vec::new(),
            bundles: Vec::new(),
        }
    }
}

impl Drop for Payload {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.log_key);
    }
}

/// Decodes the records and log key of a payload of one format version.
#[derive(Clone, Copy)]
struct PayloadIn(u32);

impl<'de> DeserializeSeed<'de> for PayloadIn {
    type Value = Payload;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Payload, D::Error> {
        d.deserialize_tuple(2, self)
    }
}

impl<'de> Visitor<'de> for PayloadIn {
    type Value = Payload;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "a payload of format {}", self.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Payload, A::Error> {
        let records = seq.next_element_seed(Records(self.0))?.ok_or_else(|| de::Error::missing_field("records"))?;
        let log_key = seq.next_element()?.ok_or_else(|| de::Error::missing_field("log_key"))?;
        Ok(Payload { records, log_key, retired_log_keys: Vec::new(), bundles: Vec::new() })
    }
}

/// `Vec<Record>` of one format version.
#[derive(Clone, Copy)]
struct Records(u32);

impl<'de> DeserializeSeed<'de> for Records {
    type Value = Vec<Record>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Vec<Record>, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Records {
    type Value = Vec<Record>;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("records")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Vec<Record>, A::Error> {
        // Reserved up to a bound, as serde does: the count is only a claim until the records
        // are there.
        let mut records = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(r) = seq.next_element_seed(RecordIn(self.0))? {
            records.push(r);
        }
        Ok(records)
    }
}

impl Payload {
    /// The plaintext: postcard of `records` and `log_key`; then, when there are any retired log
    /// keys or bundles, postcard of `retired_log_keys`; then, when there are bundles, postcard
    /// of `bundles`.
    pub(crate) fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut plain = zeroize::Zeroizing::new(postcard::to_stdvec(self).expect("records serialise"));
        if !self.retired_log_keys.is_empty() || !self.bundles.is_empty() {
            plain.extend(postcard::to_stdvec(&self.retired_log_keys).expect("keys serialise"));
        }
        if !self.bundles.is_empty() {
            plain.extend(postcard::to_stdvec(&self.bundles).expect("bundles serialise"));
        }
        plain
    }

    /// What may follow the fields every payload has: nothing; or the retired log keys (not
    /// empty); or the retired log keys (possibly empty) and the bundles (not empty).
    pub(super) fn decode_tail(rest: &[u8]) -> Option<(Vec<RetiredLogKey>, Vec<super::bundles::Bundle>)> {
        if rest.is_empty() {
            return Some((Vec::new(), Vec::new()));
        }
        let (keys, rest) = postcard::take_from_bytes::<Vec<RetiredLogKey>>(rest).ok()?;
        if rest.is_empty() {
            return (!keys.is_empty()).then_some((keys, Vec::new()));
        }
        match postcard::take_from_bytes::<Vec<super::bundles::Bundle>>(rest) {
            Ok((bundles, [])) if !bundles.is_empty() => Some((keys, bundles)),
            _ => None,
        }
    }

    /// The payload of a vault of format `version`, its records in that version's layout.
    pub(crate) fn decode(plain: &[u8], version: u32) -> Option<Payload> {
        let mut de = postcard::Deserializer::from_bytes(plain);
        let mut p = PayloadIn(version).deserialize(&mut de).ok()?;
        let rest = de.finalize().ok()?;
        // Format 1 had no retired log keys, and its reader ignored whatever followed.
        if version >= 2 {
            (p.retired_log_keys, p.bundles) = Payload::decode_tail(rest)?;
        }
        Some(p)
    }

    pub(crate) fn log_key(&self) -> Key {
        Key::from_bytes(self.log_key)
    }

    /// Every key of the log: the current one and the retired ones.
    pub(crate) fn log_keys(&self) -> crate::journal::LogKeys {
        crate::journal::LogKeys {
            current: self.log_key(),
            retired: self.retired_log_keys.iter().map(|r| (Key::from_bytes(r.key), r.before_seq)).collect(),
        }
    }

    /// Give the log a new key; lines from `before_seq` on sealed with the one it had are not
    /// valid (a key rotation: the old vault key reads nothing later and appends nothing valid).
    pub(crate) fn retire_log_key(&mut self, before_seq: u64) {
        let old = std::mem::replace(&mut self.log_key, crypto::random_bytes::<32>());
        self.retired_log_keys.push(RetiredLogKey { key: old, before_seq });
    }

    pub(crate) fn find(&self, name: &str) -> Result<&Record> {
        self.index(name).map(|i| &self.records[i])
    }

    pub(crate) fn find_mut(&mut self, name: &str) -> Result<&mut Record> {
        let i = self.index(name)?;
        Ok(&mut self.records[i])
    }

    pub(crate) fn index(&self, name: &str) -> Result<usize> {
        check_name(name)?;
        if let Some(i) = self.records.iter().position(|r| r.name == name) {
            return Ok(i);
        }
        let close = self
            .records
            .iter()
            .map(|r| (strsim::levenshtein(&r.name, name), &r.name))
            .filter(|(d, _)| *d <= 2.max(name.len() / 3))
            .min();
        let close = close.map(|(_, n)| n.clone());
        let e = error::not_found(format!("no token named '{name}'"))
            .detail(error::Detail::NoSuchToken { name: name.to_string(), close: close.clone() });
        Err(match close {
            Some(n) => e.hint(format!("did you mean '{n}'?")),
            None => e.hint("`tokctl list --all` shows the tokens in this vault"),
        }
        .into())
    }

    /// Refuse a name already taken (exit 7); the hint says what works for the token that has it.
    /// No other token (than the one with id `except`) answers for any of `hosts` (exit 7).
    pub(crate) fn ensure_hosts_free(&self, hosts: &[String], except: Option<&str>) -> Result<()> {
        for h in hosts {
            if let Some(r) = self.records.iter().find(|r| Some(r.id.as_str()) != except && r.hosts.contains(h)) {
                return Err(error::conflict(format!("'{}' already answers for --host {h}", r.name))
                    .hint(format!("one token per host: `tokctl update {} --remove-host {h}` first", r.name))
                    .into());
            }
        }
        Ok(())
    }

    pub(crate) fn ensure_free(&self, name: &str) -> Result<()> {
        if let Some(r) = self.records.iter().find(|r| r.name == name) {
            return Err(error::conflict(format!("a token named '{name}' already exists"))
                .hint(match r.kind {
                    Kind::Imported => format!(
                        "pick another name; or store the provider's new secret for it with \
                         `tokctl import {name} --replace`, or change its metadata with `tokctl update {name}`"
                    ),
                    Kind::Minted => format!(
                        "pick another name; or give it a new secret with `tokctl regenerate {name}`, \
                         or change its metadata with `tokctl update {name}`"
                    ),
                })
                .into());
        }
        Ok(())
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
    use crate::secret::Secret;
    use crate::vault::bundles::{Change, SealedTo};
    use crate::vault::{Kind, Meta};
    use crate::when::Expiry;

    /// The byte layout docs/FORMAT.md gives for the plaintext: postcard, fields in order.
    #[test]
    fn the_payload_encoding_is_the_documented_one() {
        let r = Record {
            id: "t_1".into(),
            name: "a".into(),
            kind: Kind::Imported,
            env: "A_TOKEN".into(),
            scopes: vec!["x".into()],
            created_at: 1,
            updated_at: -1,
            expires_at: None,
            lifetime: Some(300),
            last_used_at: None,
            revoked_at: None,
            note: String::new(),
            prefix: None,
            secret: Some(Secret::new("s".into())),
            hash: [0xaa; 32],
            fingerprint: String::new(),
            secret_set_at: 1,
            rotate_every: Some(300),
            username: Some("u".into()),
            hosts: vec!["h".into()],
            provider: Some(crate::vault::Provider::Gitlab),
            provider_url: None,
            on_rotate: None,
            on_revoke: None,
            on_inspect: None,
            inspected_at: None,
            provider_scopes: None,
            provider_last_used_at: None,
            dead_at_provider: None,
            rotation_pending: None,
        };
        let mut p =
            Payload { records: vec![r], log_key: [0xbb; 32], retired_log_keys: Vec::new(), bundles: Vec::new() };
        let mut want = vec![1]; // one record
        want.extend(b"\x03t_1\x01a\x01\x07A_TOKEN\x01\x01x");
        want.extend([2, 1]); // created_at 1, updated_at -1: zigzag varints
        want.extend([0, 1, 0xd8, 0x04, 0, 0]); // expires_at, lifetime Some(300), last_used_at, revoked_at
        want.extend(b"\x00\x00\x01\x01s"); // note "", prefix None, secret Some("s")
        want.extend([0xaa; 32]); // hash: 32 bytes, no length
        want.push(0); // fingerprint ""
        want.extend([2, 1, 0xd8, 0x04]); // secret_set_at 1, rotate_every Some(300)
        want.extend(b"\x01\x01u\x01\x01h"); // username Some("u"), hosts ["h"]
        want.extend([1, 0]); // provider Some(gitlab): the variant's index
        want.extend([0; 9]); // provider_url, the three hooks, inspected_at, provider_scopes,
        // provider_last_used_at, dead_at_provider, rotation_pending: None
        want.extend([0xbb; 32]); // log_key
        assert_eq!(postcard::to_stdvec(&p).unwrap(), want);
        assert_eq!(*p.encode(), want, "a vault never rotated has no retired log keys, and no bytes for them");
        // After a rotation: the current key, then the retired ones with their limits.
        p.log_key = [0xcc; 32];
        p.retired_log_keys.push(RetiredLogKey { key: [0xbb; 32], before_seq: 300 });
        want.truncate(want.len() - 32);
        want.extend([0xcc; 32]);
        want.push(1); // one retired key
        want.extend([0xbb; 32]);
        want.extend([0xac, 0x02]); // before_seq 300: a varint
        assert_eq!(*p.encode(), want);
        let back = Payload::decode(&want, 4).unwrap();
        assert_eq!((back.retired_log_keys.len(), back.retired_log_keys[0].before_seq), (1, 300));
        assert!(Payload::decode(&[want.as_slice(), &[0]].concat(), 4).is_none(), "bytes after them");
    }

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
