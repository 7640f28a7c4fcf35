//! Token records, the metadata a new one is made from, and what the ciphertext holds: the
//! records and the log key. The record's layout is written once (`record_layout!`): the record,
//! its borrowed view and the decoding of every format version come from that one list.

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_bytes::Bytes;

use super::damaged;
use super::names::{check_env, check_injectable, check_name, default_env, scope_set};
use crate::crypto;
use crate::error::{self, Result};
use crate::secret::{Key, Secret};
use crate::when::{self, Expiry};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Minted,
    Imported,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Status {
    Active,
    Expired,
    Revoked,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
        }
    }
}

/// Declares the record layout once, in postcard's field order, and from it: `Record`; its
/// borrowed view `RecordRef` (the same fields read from the plaintext without copying, for
/// read-only commands); `FIELDS` (each name and the format version that added it); and
/// `RecordIn`, which decodes a record of any format version. A field a later version added is
/// read only from vaults of that version on; in an older vault it takes its `else` value, which
/// may name fields declared before it.
///
/// A field line is `name: Owned, view Borrowed;` for a field every version has, and
/// `name: Owned, view Borrowed, since N else DEFAULT;` for one version N added. `Borrowed` is
/// what the view holds (`'a` borrows from the plaintext); `Own` turns it into `Owned`.
macro_rules! record_layout {
    ($(
        $(#[doc = $doc:literal])*
        $field:ident: $owned:ty, view $view:ty $(, since $since:literal else $default:expr)?;
    )*) => {
        #[derive(Clone, Serialize)]
        pub struct Record {
            $($(#[doc = $doc])* pub $field: $owned,)*
        }

        /// Every field of `Record` in order, with the format version that added it.
        pub(super) const FIELDS: &[(&str, u32)] = &[$((stringify!($field), record_layout!(@since $($since)?))),*];

        /// `Record` borrowed from the plaintext, in the current version's layout, so that a
        /// read-only command walks every record without copying one. Postcard writes a string
        /// as its length and bytes, so the text a command only needs from the records it asked
        /// for is borrowed as bytes, and checked as UTF-8 only when copied (`Own`).
        pub(super) struct RecordRef<'a> {
            $(pub(super) $field: $view,)*
        }

        impl RecordRef<'_> {
            pub(super) fn to_owned(&self) -> Result<Record> {
                Ok(Record { $($field: Own::own(&self.$field)?,)* })
            }
        }

        impl<'de: 'a, 'a> Deserialize<'de> for RecordRef<'a> {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                struct Fields<'a>(std::marker::PhantomData<&'a ()>);
                impl<'de: 'a, 'a> Visitor<'de> for Fields<'a> {
                    type Value = RecordRef<'a>;
                    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                        f.write_str("a record")
                    }
                    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<RecordRef<'a>, A::Error> {
                        $(let $field = seq.next_element()?.ok_or_else(|| de::Error::missing_field(stringify!($field)))?;)*
                        Ok(RecordRef { $($field,)* })
                    }
                }
                d.deserialize_tuple(FIELDS.len(), Fields(std::marker::PhantomData))
            }
        }

        impl<'de> Visitor<'de> for RecordIn {
            type Value = Record;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "a record of format {}", self.0)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<Record, A::Error> {
                let version = self.0;
                $(let $field: $owned = record_layout!(@read seq, version, $field $(, $since, $default)?);)*
                Ok(Record { $($field,)* })
            }
        }
    };
    (@since) => { 1 };
    (@since $since:literal) => { $since };
    (@read $seq:ident, $version:ident, $field:ident) => {
        $seq.next_element()?.ok_or_else(|| de::Error::missing_field(stringify!($field)))?
    };
    (@read $seq:ident, $version:ident, $field:ident, $since:literal, $default:expr) => {
        if $version >= $since { record_layout!(@read $seq, $version, $field) } else { $default }
    };
}

record_layout! {
    id: String, view &'a Bytes;
    name: String, view &'a str;
    kind: Kind, view Kind;
    env: String, view &'a Bytes;
    scopes: Vec<String>, view Vec<&'a Bytes>;
    created_at: i64, view i64;
    updated_at: i64, view i64;
    expires_at: Option<i64>, view Option<i64>;
    /// The lifetime given at creation, renewed by `regenerate`.
    lifetime: Option<i64>, view Option<i64>;
    last_used_at: Option<i64>, view Option<i64>;
    revoked_at: Option<i64>, view Option<i64>;
    note: String, view &'a Bytes;
    /// The prefix a minted secret was made with.
    prefix: Option<String>, view Option<&'a Bytes>;
    /// `None` once revoked: revoking destroys the secret.
    secret: Option<Secret>, view Option<&'a Bytes>;
    /// SHA-256 of the secret, for `verify`.
    hash: [u8; 32], view [u8; 32];
    fingerprint: String, view &'a Bytes;
    /// When the current secret was set (created, imported, regenerated or replaced): what a
    /// rotation period counts from. A format-1 record had none: its secret was last set no
    /// later than its last change.
    secret_set_at: i64, view i64, since 2 else updated_at;
    /// How often the secret should be rotated, in seconds (`--rotate-every`). Format 2 on.
    rotate_every: Option<i64>, view Option<i64>, since 2 else None;
    /// The username presented with the secret where a protocol asks for one (git over HTTPS,
    /// a registry's HTTP Basic): `--username`. Format 3 on.
    username: Option<String>, view Option<&'a Bytes>, since 3 else None;
    /// Where git and registries are answered with this token: `HOST[:PORT][/PATH]`, canonical
    /// (`--host`). Format 3 on.
    hosts: Vec<String>, view Vec<&'a Bytes>, since 3 else Vec::new();
}

// Fields are added at the end, each by the version that added it, never one newer than the
// version tokctl writes: a field of version 3 while `VERSION` is 2 would be written into
// vaults that are then read without it.
const _: () = {
    let mut i = 0;
    while i < FIELDS.len() {
        assert!(FIELDS[i].1 <= super::VERSION, "a record field is newer than the format version written");
        assert!(i == 0 || FIELDS[i - 1].1 <= FIELDS[i].1, "a record field is declared after a newer one");
        i += 1;
    }
};

/// Decodes a `Record` in the layout of the format version it holds.
#[derive(Clone, Copy)]
pub(super) struct RecordIn(pub(super) u32);

impl<'de> DeserializeSeed<'de> for RecordIn {
    type Value = Record;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Record, D::Error> {
        let len = FIELDS.iter().filter(|(_, since)| *since <= self.0).count();
        d.deserialize_tuple(len, self)
    }
}

/// How a field of the borrowed view becomes the record's: copied, and text checked as UTF-8.
pub(super) trait Own<T> {
    fn own(&self) -> Result<T>;
}

impl<T: Copy> Own<T> for T {
    fn own(&self) -> Result<T> {
        Ok(*self)
    }
}

fn text(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| damaged("a decrypted record is not UTF-8"))
}

impl Own<String> for &str {
    fn own(&self) -> Result<String> {
        Ok((*self).into())
    }
}

impl Own<String> for &Bytes {
    fn own(&self) -> Result<String> {
        text(self)
    }
}

impl Own<Vec<String>> for Vec<&Bytes> {
    fn own(&self) -> Result<Vec<String>> {
        self.iter().map(|s| text(s)).collect()
    }
}

impl Own<Option<String>> for Option<&Bytes> {
    fn own(&self) -> Result<Option<String>> {
        self.map(|s| text(s)).transpose()
    }
}

impl Own<Option<Secret>> for Option<&Bytes> {
    fn own(&self) -> Result<Option<Secret>> {
        self.map(|s| text(s).map(Secret::new)).transpose()
    }
}

impl Record {
    /// When the secret is due for rotation, if it has a rotation period.
    pub(crate) fn rotation_due_at(&self) -> Option<i64> {
        self.rotate_every.map(|p| self.secret_set_at.saturating_add(p))
    }

    /// An active token whose rotation period has passed.
    pub(crate) fn rotation_due(&self, now: i64) -> bool {
        self.status(now) == Status::Active && self.rotation_due_at().is_some_and(|t| t <= now)
    }

    pub(crate) fn status(&self, now: i64) -> Status {
        if self.revoked_at.is_some() {
            Status::Revoked
        } else if self.expires_at.is_some_and(|t| t <= now) {
            Status::Expired
        } else {
            Status::Active
        }
    }

    /// Put in a new secret, set at `now`.
    pub(crate) fn set_secret(&mut self, secret: Secret, now: i64) {
        self.secret_set_at = now;
        self.hash = crypto::sha256(secret.expose().as_bytes());
        self.fingerprint = secret.fingerprint();
        self.secret = Some(secret);
    }

    /// The secret of a token that may be used now, or the reason it may not (exit 4), with the
    /// command that works for this token.
    pub(crate) fn usable_secret(&self, now: i64) -> Result<&Secret> {
        match (self.status(now), &self.secret) {
            (Status::Active, Some(s)) => Ok(s),
            (Status::Revoked, _) | (_, None) => Err(error::unusable(format!(
                "token '{}' was revoked{}",
                self.name,
                self.revoked_at.map(|t| format!(" at {}", crate::when::rfc3339(t))).unwrap_or_default()
            ))
            .hint(self.revoked_hint())
            .into()),
            (Status::Expired, _) => Err(error::unusable(format!(
                "token '{}' expired {}",
                self.name,
                crate::when::relative(self.expires_at.unwrap_or_default(), now)
            ))
            .hint(match self.kind {
                Kind::Minted => format!(
                    "renew it with `tokctl regenerate {0}`, or `tokctl update {0} --expires 30d` to keep this secret",
                    self.name
                ),
                Kind::Imported => format!(
                    "store the provider's new token with `tokctl import {0} --replace`, \
                     or `tokctl update {0} --expires 30d` if the provider still accepts this one",
                    self.name
                ),
            })
            .into()),
        }
    }

    /// What to do about a revoked token: it cannot be regenerated.
    pub(crate) fn revoked_hint(&self) -> String {
        match self.kind {
            Kind::Imported => format!(
                "issue a new one at the provider and store it in this record with `tokctl import {} --replace`",
                self.name
            ),
            Kind::Minted => format!(
                "a revoked token stays revoked: `tokctl delete {0}` then `tokctl create {0}` mints a new one \
                 (or `tokctl import {0} --replace` stores one from elsewhere)",
                self.name
            ),
        }
    }
}

/// Validated metadata for a new record: what `create` and `import` were told, checked.
#[derive(Clone)]
pub(crate) struct Meta {
    pub env: String,
    pub scopes: Vec<String>,
    pub expiry: Expiry,
    pub note: String,
    pub rotate_every: Option<i64>,
    pub username: Option<String>,
    pub hosts: Vec<String>,
}

impl Meta {
    /// Check a new token's name and metadata. A missing `env` comes from the name, a missing
    /// `expires` is `default_expiry`.
    pub(crate) fn new(
        name: &str,
        env: Option<&str>,
        scopes: &[String],
        expires: Option<&str>,
        note: Option<&str>,
        default_expiry: Expiry,
    ) -> Result<Meta> {
        check_name(name)?;
        let env = match env {
            Some(e) => {
                check_env(e)?;
                check_injectable(e)?;
                e.to_string()
            }
            None => default_env(name),
        };
        let expiry = match expires {
            Some(s) => when::parse_expiry(s, when::now())?,
            None => default_expiry,
        };
        Ok(Meta {
            env,
            scopes: scope_set(scopes)?,
            expiry,
            note: note.unwrap_or_default().to_string(),
            rotate_every: None,
            username: None,
            hosts: Vec::new(),
        })
    }

    pub(crate) fn record(self, name: &str, kind: Kind, prefix: Option<String>, secret: Secret) -> Record {
        let now = when::now();
        let (expires_at, lifetime) = self.expiry.resolve(now);
        let mut r = Record {
            id: new_id("t", 10),
            name: name.to_string(),
            kind,
            env: self.env,
            scopes: self.scopes,
            created_at: now,
            updated_at: now,
            expires_at,
            lifetime,
            last_used_at: None,
            revoked_at: None,
            note: self.note,
            prefix,
            secret: None,
            hash: [0; 32],
            fingerprint: String::new(),
            secret_set_at: now,
            rotate_every: self.rotate_every,
            username: self.username,
            hosts: self.hosts,
        };
        r.set_secret(secret, now);
        r
    }
}

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

/// A short random id: `prefix` + lowercase base36-ish characters.
pub(crate) fn new_id(prefix: &str, len: usize) -> String {
    const ALPHA: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut s = String::with_capacity(prefix.len() + 1 + len);
    s.push_str(prefix);
    s.push('_');
    let mut filled = 0;
    while filled < len {
        for b in crypto::random_bytes::<32>() {
            if b < 252 && filled < len {
                s.push(ALPHA[(b % 36) as usize] as char);
                filled += 1;
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/FORMAT.md's `Record` table names the fields of `record_layout!`, in its order, each
    /// with the version that added it.
    #[test]
    fn docs_list_exactly_the_record_fields() {
        let doc = include_str!("../../docs/FORMAT.md");
        let table = doc.split("`Record` is, in this order").nth(1).expect("FORMAT.md has the Record table");
        let documented: Vec<(usize, String, u32)> = table
            .lines()
            .skip_while(|l| !l.starts_with("|---"))
            .skip(1)
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                let cells: Vec<&str> = l.split(" | ").collect();
                let n = cells[0].trim_start_matches("| ").parse().unwrap();
                (n, cells[1].trim_matches('`').to_string(), cells[3].parse().unwrap())
            })
            .collect();
        let fields: Vec<(usize, String, u32)> =
            FIELDS.iter().enumerate().map(|(i, (name, since))| (i + 1, name.to_string(), *since)).collect();
        assert_eq!(documented, fields, "docs/FORMAT.md's Record table and `record_layout!` disagree");
    }

    /// A record of each version decodes from exactly the fields that version wrote, and a
    /// field it lacks takes its stated value.
    #[test]
    fn each_version_reads_its_own_layout() {
        let r = Meta::new("a", None, &[], None, None, Expiry::Never).unwrap().record(
            "a",
            Kind::Imported,
            None,
            Secret::new("a-secret-of-some-length".into()),
        );
        let mut r = r;
        r.updated_at = 77;
        r.secret_set_at = 99;
        r.rotate_every = Some(5);
        r.username = Some("bot".into());
        r.hosts = vec!["github.com/org".into()];
        let v3 = postcard::to_stdvec(&r).unwrap();
        // Version 2 wrote the same bytes up to `rotate_every`, version 1 up to `fingerprint`.
        let tail3 = postcard::to_stdvec(&(&r.username, &r.hosts)).unwrap();
        let v2 = &v3[..v3.len() - tail3.len()];
        let tail2 = postcard::to_stdvec(&(r.secret_set_at, r.rotate_every)).unwrap();
        let v1 = &v2[..v2.len() - tail2.len()];
        let decode = |bytes: &[u8], version| {
            let mut de = postcard::Deserializer::from_bytes(bytes);
            let r = RecordIn(version).deserialize(&mut de).unwrap();
            assert!(de.finalize().unwrap().is_empty(), "version {version} read every byte and no more");
            r
        };
        let back = decode(&v3, 3);
        assert_eq!(postcard::to_stdvec(&back).unwrap(), v3);
        let two = decode(v2, 2);
        assert_eq!((two.secret_set_at, two.rotate_every), (99, Some(5)));
        assert_eq!((two.username, two.hosts), (None, Vec::<String>::new()), "format 2: no username, no hosts");
        let old = decode(v1, 1);
        assert_eq!((old.secret_set_at, old.rotate_every), (77, None), "format 1: set at its last change, no period");
        assert_eq!(old.name, "a");
        assert_eq!(old.secret.as_ref().map(Secret::expose), Some("a-secret-of-some-length"));
        let view: RecordRef = postcard::from_bytes(&v3).unwrap();
        assert_eq!(postcard::to_stdvec(&view.to_owned().unwrap()).unwrap(), v3);
    }

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
        let back = Payload::decode(&want, 3).unwrap();
        assert_eq!((back.retired_log_keys.len(), back.retired_log_keys[0].before_seq), (1, 300));
        assert!(Payload::decode(&[want.as_slice(), &[0]].concat(), 3).is_none(), "bytes after them");
    }
}
