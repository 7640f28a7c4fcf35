//! The envelope: the plain-text header, the passphrase slot, and sealing and opening the one
//! ciphertext of every record.

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use super::record::{Kind, Payload, Record, new_id};
use crate::crypto::{self, KdfParams, NONCE_LEN};
use crate::error::{self, Result};
use crate::secret::{Key, Secret};

pub const FORMAT: &str = "tokctl-vault";
pub const VERSION: u32 = 1;
pub const CIPHER: &str = "xchacha20poly1305";
const SEALED: &str = "\n[sealed]\nciphertext = \"";

/// The passphrase slot: the vault key wrapped under an Argon2id-derived key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slot {
    pub kdf: String,
    #[serde(flatten)]
    pub params: KdfParams,
    pub salt: String,
    pub nonce: String,
    pub wrapped_key: String,
}

impl Slot {
    fn ad(vault_id: &str) -> Vec<u8> {
        [b"tokctl passphrase slot\0".as_slice(), vault_id.as_bytes()].concat()
    }

    pub fn new(vault_id: &str, key: &Key, pass: &[u8]) -> Slot {
        let params = KdfParams::default();
        let salt = crypto::random_bytes::<16>();
        let nonce = crypto::random_bytes::<NONCE_LEN>();
        let kek = crypto::derive(pass, &salt, params).expect("default KDF parameters are valid");
        let wrapped = crypto::seal(&kek, &nonce, &Slot::ad(vault_id), key.bytes());
        Slot {
            kdf: "argon2id".into(),
            params,
            salt: crypto::b64(&salt),
            nonce: crypto::b64(&nonce),
            wrapped_key: crypto::b64(&wrapped),
        }
    }

    /// The vault key, or `None` for a wrong passphrase.
    pub fn unwrap_key(&self, vault_id: &str, pass: &[u8]) -> Option<Key> {
        let salt = crypto::unb64(&self.salt)?;
        let nonce = crypto::unb64(&self.nonce)?;
        let wrapped = crypto::unb64(&self.wrapped_key)?;
        let kek = crypto::derive(pass, &salt, self.params)?;
        let raw = crypto::open(&kek, &nonce, &Slot::ad(vault_id), &wrapped)?;
        let bytes: [u8; 32] = raw.as_slice().try_into().ok()?;
        Some(Key::from_bytes(bytes))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VaultKind {
    Personal,
    Bundle,
}

/// The plain-text header. Written in one canonical form; bound as associated data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
    pub vault_id: String,
    pub kind: VaultKind,
    pub cipher: String,
    pub key_check: String,
    pub nonce: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase: Option<Slot>,
}

impl Header {
    pub fn new(kind: VaultKind, key: &Key) -> Header {
        Header {
            format: FORMAT.into(),
            version: VERSION,
            vault_id: new_id("v", 16),
            kind,
            cipher: CIPHER.into(),
            key_check: crypto::key_check(key),
            nonce: String::new(),
            passphrase: None,
        }
    }
}

/// A parsed but still sealed vault file.
pub struct Envelope {
    pub header: Header,
    ciphertext: Vec<u8>,
}

fn damaged(what: &str) -> anyhow::Error {
    error::damaged(format!("the vault file is damaged: {what}"))
        .hint("it was left untouched; restore it from a backup, or move it aside to start a new vault")
        .into()
}

impl Envelope {
    /// Parse and check the envelope's shape without any key.
    pub fn parse(bytes: &[u8]) -> Result<Envelope> {
        // A TOML string holds no raw newline, so the first marker is the real one.
        let cut =
            find(bytes, SEALED.as_bytes()).ok_or_else(|| damaged("the sealed section is missing or cut short"))?;
        let head = std::str::from_utf8(&bytes[..cut]).map_err(|_| damaged("the header is not UTF-8 text"))?;
        let rest = &bytes[cut + SEALED.len()..];
        let body =
            rest.strip_suffix(b"\"\n").ok_or_else(|| damaged("the ciphertext is cut short or has bytes after it"))?;
        let table: toml::Table = toml::from_str(head).map_err(|_| damaged("the header is not valid TOML"))?;
        if table.get("format").and_then(|v| v.as_str()) != Some(FORMAT) {
            return Err(damaged("it is not a tokctl vault"));
        }
        match table.get("version").and_then(|v| v.as_integer()) {
            Some(v) if v == VERSION as i64 => {}
            Some(v) => {
                return Err(error::damaged(format!(
                    "the vault's format version {v} is not supported (this tokctl reads version {VERSION})"
                ))
                .hint("upgrade tokctl to one that reads it; the file was left untouched")
                .into());
            }
            None => return Err(damaged("the format version is missing")),
        }
        let header: Header = table.try_into().map_err(|_| damaged("the header has unexpected fields"))?;
        if header.cipher != CIPHER {
            return Err(damaged("unknown cipher"));
        }
        // The file must be exactly the canonical encoding of what it says.
        if toml::to_string(&header).ok().as_deref() != Some(head) {
            return Err(damaged("the header is not in canonical form"));
        }
        // The standard engine refuses non-canonical padding and trailing bits, so this decode is
        // also the proof that the body is in canonical form.
        let ciphertext = crypto::unb64_bytes(body).ok_or_else(|| damaged("the ciphertext is not base64"))?;
        Ok(Envelope { header, ciphertext })
    }

    pub fn key_fits(&self, key: &Key) -> bool {
        crypto::key_matches(key, &self.header.key_check)
    }

    /// Decrypt with a key that passed the key check.
    pub fn open(self, key: &Key) -> Result<Payload> {
        let plain = self.plaintext(key)?;
        postcard::from_bytes(&plain).map_err(|_| damaged("the decrypted records do not decode"))
    }

    /// Decrypt, keeping only the records named (those that exist). Read-only commands use this:
    /// the other records are walked without being copied.
    pub fn open_only(self, key: &Key, names: &[&str]) -> Result<Payload> {
        let plain = self.plaintext(key)?;
        let view: PayloadRef =
            postcard::from_bytes(&plain).map_err(|_| damaged("the decrypted records do not decode"))?;
        let records =
            view.records.iter().filter(|r| names.contains(&r.name)).map(RecordRef::to_owned).collect::<Result<_>>()?;
        Ok(Payload { records, log_key: view.log_key })
    }

    fn plaintext(self, key: &Key) -> Result<Zeroizing<Vec<u8>>> {
        if !self.key_fits(key) {
            return Err(error::locked("the key does not fit this vault (wrong key)")
                .hint("check TOKCTL_VAULT_KEY, or restore the right key with `tokctl key import`")
                .into());
        }
        let ad = toml::to_string(&self.header).expect("header serialises");
        let nonce = crypto::unb64(&self.header.nonce).ok_or_else(|| damaged("the nonce is not base64"))?;
        crypto::open_in_place(key, &nonce, ad.as_bytes(), self.ciphertext)
            .ok_or_else(|| damaged("the contents fail authentication (changed or tampered with)"))
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `Record` borrowed from the plaintext: the same fields in the same order, so postcard decodes
/// the same bytes into it without copying. Postcard writes a string as its length and bytes, so
/// the fields only copied for a matching record are borrowed as bytes, and checked as UTF-8
/// only then; `scopes` is skipped over the same way.
#[derive(Deserialize)]
struct RecordRef<'a> {
    #[serde(with = "serde_bytes")]
    id: &'a [u8],
    name: &'a str,
    kind: Kind,
    #[serde(with = "serde_bytes")]
    env: &'a [u8],
    #[serde(borrow)]
    scopes: Vec<&'a serde_bytes::Bytes>,
    created_at: i64,
    updated_at: i64,
    expires_at: Option<i64>,
    lifetime: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    #[serde(with = "serde_bytes")]
    note: &'a [u8],
    #[serde(borrow)]
    prefix: Option<&'a serde_bytes::Bytes>,
    #[serde(borrow)]
    secret: Option<&'a serde_bytes::Bytes>,
    hash: [u8; 32],
    #[serde(with = "serde_bytes")]
    fingerprint: &'a [u8],
}

fn text(b: &[u8]) -> Result<String> {
    String::from_utf8(b.to_vec()).map_err(|_| damaged("a decrypted record is not UTF-8"))
}

impl RecordRef<'_> {
    fn to_owned(&self) -> Result<Record> {
        Ok(Record {
            id: text(self.id)?,
            name: self.name.into(),
            kind: self.kind,
            env: text(self.env)?,
            scopes: self.scopes.iter().map(|s| text(s)).collect::<Result<_>>()?,
            created_at: self.created_at,
            updated_at: self.updated_at,
            expires_at: self.expires_at,
            lifetime: self.lifetime,
            last_used_at: self.last_used_at,
            revoked_at: self.revoked_at,
            note: text(self.note)?,
            prefix: self.prefix.map(|p| text(p)).transpose()?,
            secret: self.secret.map(|s| text(s).map(Secret::new)).transpose()?,
            hash: self.hash,
            fingerprint: text(self.fingerprint)?,
        })
    }
}

#[derive(Deserialize)]
struct PayloadRef<'a> {
    #[serde(borrow)]
    records: Vec<RecordRef<'a>>,
    log_key: [u8; 32],
}

/// Encode a vault: fresh nonce, header as associated data.
pub fn seal(header: &mut Header, key: &Key, payload: &Payload) -> Vec<u8> {
    header.key_check = crypto::key_check(key);
    let nonce = crypto::random_bytes::<NONCE_LEN>();
    header.nonce = crypto::b64(&nonce);
    let head = toml::to_string(header).expect("header serialises");
    let plain = Zeroizing::new(postcard::to_stdvec(payload).expect("records serialise"));
    let sealed = crypto::seal(key, &nonce, head.as_bytes(), &plain);
    let body = crypto::b64(&sealed);
    let mut out = String::with_capacity(head.len() + SEALED.len() + body.len() + 2);
    out.push_str(&head);
    out.push_str(SEALED);
    out.push_str(&body);
    out.push_str("\"\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_borrowed_reader_sees_exactly_the_records_written() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        let mut p = Payload::default();
        for (i, name) in ["a", "b", "c"].iter().enumerate() {
            let mut r = Record {
                id: format!("t_{i}"),
                name: name.to_string(),
                kind: if i == 0 { Kind::Minted } else { Kind::Imported },
                env: "A_TOKEN".into(),
                scopes: vec!["x".into(), "y:z".into()],
                created_at: 1,
                updated_at: 2,
                expires_at: Some(3),
                lifetime: if i == 1 { None } else { Some(4) },
                last_used_at: Some(5),
                revoked_at: if i == 2 { Some(6) } else { None },
                note: "n".into(),
                prefix: Some("tok_".into()),
                secret: None,
                hash: [0; 32],
                fingerprint: String::new(),
            };
            if i != 2 {
                r.set_secret(Secret::new(format!("secret-number-{i}-long-enough")));
            }
            p.records.push(r);
        }
        let bytes = seal(&mut h, &key, &p);
        let only = Envelope::parse(&bytes).unwrap().open_only(&key, &["b", "c"]).unwrap();
        let all = Envelope::parse(&bytes).unwrap().open(&key).unwrap();
        assert_eq!(only.log_key, all.log_key);
        let enc = |r: &Record| postcard::to_stdvec(r).unwrap();
        assert_eq!(
            only.records.iter().map(enc).collect::<Vec<_>>(),
            all.records[1..].iter().map(enc).collect::<Vec<_>>()
        );
    }

    #[test]
    fn a_sealed_vault_parses_back_to_the_same_bytes() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        let bytes = seal(&mut h, &key, &Payload::default());
        let env = Envelope::parse(&bytes).unwrap();
        assert_eq!(env.header, h);
        assert!(Envelope::parse(&bytes).unwrap().open(&key).unwrap().records.is_empty());
        let mut again = env.header.clone();
        again.nonce = h.nonce.clone();
        assert!(String::from_utf8(bytes).unwrap().starts_with(&toml::to_string(&again).unwrap()));
    }
}
