//! Token records, the metadata a new one is made from, and what the ciphertext holds: the
//! records and the log key. The record's layout is written once (`record_layout!`): the record,
//! its borrowed view and the decoding of every format version come from that one list.

use serde::de::{self, DeserializeSeed, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use serde_bytes::Bytes;

use super::damaged;
use super::issuer::{Hook, Provider};
use super::names::{check_env, check_injectable, check_name, default_env, scope_set};
use crate::crypto;
use crate::error::{self, Result};
use crate::secret::Secret;
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
    /// The provider said the secret is revoked or expired (`inspect`).
    #[serde(rename = "dead at provider")]
    DeadAtProvider,
    /// A rotation at the provider was started and its answer never sealed.
    #[serde(rename = "rotation pending")]
    RotationPending,
}

impl Status {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Expired => "expired",
            Status::Revoked => "revoked",
            Status::DeadAtProvider => "dead at provider",
            Status::RotationPending => "rotation pending",
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
    /// Who issued the token, where `inspect`, `regenerate` and `revoke` act (`--provider`).
    /// Format 4 on, as every field below.
    provider: Option<Provider>, view Option<Provider>, since 4 else None;
    /// The provider's web address for a self-managed instance (`--provider-url`). Honoured only
    /// in the user's own vault.
    provider_url: Option<String>, view Option<&'a Bytes>, since 4 else None;
    /// The `command` provider's hooks (`--on-rotate`, `--on-revoke`, `--on-inspect`), each one
    /// command line. Honoured only in the user's own vault.
    on_rotate: Option<String>, view Option<&'a Bytes>, since 4 else None;
    on_revoke: Option<String>, view Option<&'a Bytes>, since 4 else None;
    on_inspect: Option<String>, view Option<&'a Bytes>, since 4 else None;
    /// When the provider last answered `inspect` about this secret.
    inspected_at: Option<i64>, view Option<i64>, since 4 else None;
    /// The scopes the provider says the token has (`None`: it did not say), kept apart from the
    /// user's own `scopes`.
    provider_scopes: Option<Vec<String>>, view Option<Vec<&'a Bytes>>, since 4 else None;
    /// The token's last use as the provider saw it.
    provider_last_used_at: Option<i64>, view Option<i64>, since 4 else None;
    /// When the provider said the secret is revoked or expired: the token is then refused
    /// (exit 4) until a valid answer or a new secret.
    dead_at_provider: Option<i64>, view Option<i64>, since 4 else None;
    /// When a rotation at the provider was started whose answer is not sealed yet: the old
    /// secret is never sent to rotate again.
    rotation_pending: Option<i64>, view Option<i64>, since 4 else None;
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

impl Own<Option<Vec<String>>> for Option<Vec<&Bytes>> {
    fn own(&self) -> Result<Option<Vec<String>>> {
        self.as_ref().map(|v| v.own()).transpose()
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
        } else if self.rotation_pending.is_some() {
            Status::RotationPending
        } else if self.dead_at_provider.is_some() {
            Status::DeadAtProvider
        } else if self.expires_at.is_some_and(|t| t <= now) {
            Status::Expired
        } else {
            Status::Active
        }
    }

    /// Put in a new secret, set at `now`. What the provider said about the old one no longer
    /// holds, and a rotation that was pending is over.
    pub(crate) fn set_secret(&mut self, secret: Secret, now: i64) {
        self.secret_set_at = now;
        self.dead_at_provider = None;
        self.rotation_pending = None;
        self.inspected_at = None;
        self.provider_scopes = None;
        self.provider_last_used_at = None;
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
            (Status::DeadAtProvider, _) => Err(error::unusable(format!(
                "token '{}' is dead at its provider: {} said {} that it is revoked or expired",
                self.name,
                self.provider.map(Provider::as_str).unwrap_or("the provider"),
                crate::when::relative(self.dead_at_provider.unwrap_or_default(), now)
            ))
            .hint(format!(
                "issue a new one there and store it with `tokctl import {0} --replace` \
                 (or `tokctl inspect {0}` if the provider takes it again)",
                self.name
            ))
            .into()),
            (Status::RotationPending, _) => Err(self.pending_error()),
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

    /// The record as it may be given to another vault (`copy`, `bundle`): without the
    /// provider's address or hooks, which count only in the user's own vault.
    pub(crate) fn for_others(&self) -> Record {
        let mut r = self.clone();
        r.provider_url = None;
        r.on_rotate = None;
        r.on_revoke = None;
        r.on_inspect = None;
        r
    }

    /// Why a token with a rotation-pending mark is held back.
    pub(crate) fn pending_words(&self) -> String {
        format!(
            "token '{}': a rotation at {} was started {} and has not finished (it may still be under \
             way, or its answer was lost); the old secret may no longer work there",
            self.name,
            self.provider.map(Provider::as_str).unwrap_or("its provider"),
            crate::when::relative(self.rotation_pending.unwrap_or_default(), crate::when::now())
        )
    }

    /// Why a token with a rotation-pending mark is held back, and what to do (exit 4).
    pub(crate) fn pending_error(&self) -> anyhow::Error {
        error::unusable(self.pending_words()).hint(self.pending_hint()).into()
    }

    /// What to do about it: the old secret is never sent to rotate again.
    pub(crate) fn pending_hint(&self) -> String {
        format!(
            "it is never sent to rotate again: re-issue the token at the provider and store it with \
             `tokctl import {0} --replace` (the same secret, if you know the provider never rotated it)",
            self.name
        )
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
    /// The issuer, as `import` was told or found it (see `Issuer`).
    pub issuer: Issuer,
}

/// What a record says about its issuer: the provider, its address and the `command` hooks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Issuer {
    pub provider: Option<Provider>,
    pub url: Option<String>,
    pub on_rotate: Option<String>,
    pub on_revoke: Option<String>,
    pub on_inspect: Option<String>,
}

impl Issuer {
    /// What `r` says about its issuer.
    pub(crate) fn of(r: &Record) -> Issuer {
        Issuer {
            provider: r.provider,
            url: r.provider_url.clone(),
            on_rotate: r.on_rotate.clone(),
            on_revoke: r.on_revoke.clone(),
            on_inspect: r.on_inspect.clone(),
        }
    }

    /// The command line of the hook for `what`, when there is one.
    pub(crate) fn hook(&self, what: Hook) -> Option<&str> {
        match what {
            Hook::Rotate => self.on_rotate.as_deref(),
            Hook::Revoke => self.on_revoke.as_deref(),
            Hook::Inspect => self.on_inspect.as_deref(),
        }
    }

    /// The hook for `what`, to set.
    pub(crate) fn hook_mut(&mut self, what: Hook) -> &mut Option<String> {
        match what {
            Hook::Rotate => &mut self.on_rotate,
            Hook::Revoke => &mut self.on_revoke,
            Hook::Inspect => &mut self.on_inspect,
        }
    }

    /// Whether it has any hook.
    pub(crate) fn hooked(&self) -> bool {
        Hook::ALL.iter().any(|&h| self.hook(h).is_some())
    }

    /// Put it into `r`.
    pub(crate) fn apply(self, r: &mut Record) {
        r.provider = self.provider;
        r.provider_url = self.url;
        r.on_rotate = self.on_rotate;
        r.on_revoke = self.on_revoke;
        r.on_inspect = self.on_inspect;
    }
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
            issuer: Issuer::default(),
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
            provider: None,
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
        self.issuer.apply(&mut r);
        r.set_secret(secret, now);
        r
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
        r.provider = Some(Provider::Command);
        r.on_inspect = Some("check --it".into());
        r.provider_scopes = Some(vec!["api".into()]);
        r.rotation_pending = Some(42);
        let v4 = postcard::to_stdvec(&r).unwrap();
        let tail4 = postcard::to_stdvec(&(
            &r.provider,
            &r.provider_url,
            &r.on_rotate,
            &r.on_revoke,
            &r.on_inspect,
            &r.inspected_at,
            &r.provider_scopes,
            &r.provider_last_used_at,
            &r.dead_at_provider,
            &r.rotation_pending,
        ))
        .unwrap();
        let v3 = v4[..v4.len() - tail4.len()].to_vec();
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
        let back = decode(&v4, 4);
        assert_eq!(postcard::to_stdvec(&back).unwrap(), v4);
        let three = decode(&v3, 3);
        assert_eq!((three.username.as_deref(), three.hosts.len()), (Some("bot"), 1));
        assert_eq!(
            (three.provider, three.on_inspect, three.rotation_pending),
            (None, None, None),
            "format 3: no provider"
        );
        let two = decode(v2, 2);
        assert_eq!((two.secret_set_at, two.rotate_every), (99, Some(5)));
        assert_eq!((two.username, two.hosts), (None, Vec::<String>::new()), "format 2: no username, no hosts");
        let old = decode(v1, 1);
        assert_eq!((old.secret_set_at, old.rotate_every), (77, None), "format 1: set at its last change, no period");
        assert_eq!(old.name, "a");
        assert_eq!(old.secret.as_ref().map(Secret::expose), Some("a-secret-of-some-length"));
        let view: RecordRef = postcard::from_bytes(&v4).unwrap();
        assert_eq!(postcard::to_stdvec(&view.to_owned().unwrap()).unwrap(), v4);
    }
}
