//! The envelope: the plain-text header, the passphrase slot, and sealing and opening the one
//! ciphertext of every record. `docs/FORMAT.md` specifies the bytes.
//!
//! The associated data of the ciphertext is the header exactly as it is in the file: every byte
//! before the `[sealed]` section, bound as read. Nothing depends on how a TOML library would
//! format the header: `toml` only parses it, and tokctl writes it with its own small writer
//! (fixed field order, values that need no escaping). Version 1 bound `toml`'s canonical output
//! and refused a file that differed from it, so for a version-1 file that opened the raw bytes
//! are that same output: one rule opens every version. Every write produces the current one.

use std::fmt::Write as _;

use serde::Deserialize;
use zeroize::Zeroizing;

use super::damaged;
use super::payload::Payload;
use super::record::{RecordRef, new_id};
use crate::crypto::{self, KdfParams, NONCE_LEN};
use crate::error::{self, Result};
use crate::secret::Key;

pub(crate) const FORMAT: &str = "tokctl-vault";
/// The version tokctl writes.
pub(crate) const VERSION: u32 = 4;
/// The oldest version tokctl still reads (and upgrades on its next write).
const OLDEST_VERSION: u32 = 1;
pub(crate) const CIPHER: &str = "xchacha20poly1305";
const KDF: &str = "argon2id";
/// What ends the header and starts the ciphertext. A header line never starts with `[sealed]`
/// (tokctl's values hold no newline), so the first one in a file is the real one.
const SEALED: &str = "\n[sealed]\nciphertext = \"";

/// The passphrase slot: the vault key wrapped under an Argon2id-derived key.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
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

    pub(crate) fn new(vault_id: &str, key: &Key, pass: &[u8]) -> Slot {
        let params = KdfParams::default();
        let salt = crypto::random_bytes::<16>();
        let nonce = crypto::random_bytes::<NONCE_LEN>();
        let kek = crypto::derive(pass, &salt, params).expect("default KDF parameters are valid");
        let wrapped = crypto::seal(&kek, &nonce, &Slot::ad(vault_id), key.bytes());
        Slot {
            kdf: KDF.into(),
            params,
            salt: crypto::b64(&salt),
            nonce: crypto::b64(&nonce),
            wrapped_key: crypto::b64(&wrapped),
        }
    }

    /// The vault key, or `None` for a wrong passphrase.
    pub(crate) fn unwrap_key(&self, vault_id: &str, pass: &[u8]) -> Option<Key> {
        let salt = crypto::unb64(&self.salt)?;
        let nonce = crypto::unb64(&self.nonce)?;
        let wrapped = crypto::unb64(&self.wrapped_key)?;
        let kek = crypto::derive(pass, &salt, self.params)?;
        let raw = crypto::open(&kek, &nonce, &Slot::ad(vault_id), &wrapped)?;
        let bytes: [u8; 32] = raw.as_slice().try_into().ok()?;
        Some(Key::from_bytes(bytes))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VaultKind {
    Personal,
    Bundle,
}

impl VaultKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            VaultKind::Personal => "personal",
            VaultKind::Bundle => "bundle",
        }
    }
}

/// The plain-text header, as parsed. The bytes it was parsed from are what is authenticated.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
    /// Advanced by every write (`seal`); a version-1 vault, which has none, is generation 0.
    #[serde(default)]
    pub generation: u64,
    pub vault_id: String,
    pub kind: VaultKind,
    pub cipher: String,
    pub key_check: String,
    pub nonce: String,
    pub passphrase: Option<Slot>,
}

impl Header {
    pub(crate) fn new(kind: VaultKind, key: &Key) -> Header {
        Header {
            format: FORMAT.into(),
            version: VERSION,
            generation: 0,
            vault_id: new_id("v", 16),
            kind,
            cipher: CIPHER.into(),
            key_check: crypto::key_check(key),
            nonce: String::new(),
            passphrase: None,
        }
    }

    /// Every text value, so the parser can refuse what the writer could not write back.
    fn texts(&self) -> impl Iterator<Item = &str> {
        let slot = self.passphrase.iter().flat_map(|s| [&s.kdf, &s.salt, &s.nonce, &s.wrapped_key]);
        [&self.format, &self.vault_id, &self.cipher, &self.key_check, &self.nonce]
            .into_iter()
            .chain(slot)
            .map(|s| s.as_str())
    }

    /// The header in its one written form (versions 2 and 3): fixed field order, one `key = value` a line,
    /// the slot as a `[passphrase]` table after a blank line. Ends with a newline.
    fn write(&self) -> String {
        let mut out = String::with_capacity(512);
        put_str(&mut out, "format", &self.format);
        put_int(&mut out, "version", self.version.into());
        put_int(&mut out, "generation", self.generation);
        put_str(&mut out, "vault_id", &self.vault_id);
        put_str(&mut out, "kind", self.kind.as_str());
        put_str(&mut out, "cipher", &self.cipher);
        put_str(&mut out, "key_check", &self.key_check);
        put_str(&mut out, "nonce", &self.nonce);
        if let Some(s) = &self.passphrase {
            out.push_str("\n[passphrase]\n");
            put_str(&mut out, "kdf", &s.kdf);
            put_int(&mut out, "m_kib", s.params.m_kib.into());
            put_int(&mut out, "t", s.params.t.into());
            put_int(&mut out, "p", s.params.p.into());
            put_str(&mut out, "salt", &s.salt);
            put_str(&mut out, "nonce", &s.nonce);
            put_str(&mut out, "wrapped_key", &s.wrapped_key);
        }
        out
    }
}

/// Whether a value can be written as a TOML basic string with no escape at all: ids, names of
/// algorithms and base64 are made of these characters only.
fn is_plain(value: &str) -> bool {
    value.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=_.-".contains(&b))
}

fn put_str(out: &mut String, key: &str, value: &str) {
    assert!(is_plain(value), "header field {key} would need escaping: the parser must have refused it");
    let _ = writeln!(out, "{key} = \"{value}\"");
}

fn put_int(out: &mut String, key: &str, value: u64) {
    let _ = writeln!(out, "{key} = {value}");
}

/// A parsed but still sealed vault file.
pub struct Envelope {
    pub header: Header,
    /// The header's bytes exactly as read: the associated data of the ciphertext.
    head: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl Envelope {
    /// Parse and check the envelope's shape without any key. Nothing here is authenticated yet:
    /// `open` proves every header byte and the ciphertext with the key.
    pub fn parse(bytes: &[u8]) -> Result<Envelope> {
        let cut = memchr::memmem::find(bytes, SEALED.as_bytes())
            .ok_or_else(|| damaged("the sealed section is missing or cut short"))?;
        let head = std::str::from_utf8(&bytes[..cut]).map_err(|_| damaged("the header is not UTF-8 text"))?;
        let rest = &bytes[cut + SEALED.len()..];
        let body =
            rest.strip_suffix(b"\"\n").ok_or_else(|| damaged("the ciphertext is cut short or has bytes after it"))?;
        let table: toml::Table = toml::from_str(head).map_err(|_| damaged("the header is not valid TOML"))?;
        if table.get("format").and_then(|v| v.as_str()) != Some(FORMAT) {
            return Err(damaged("it is not a tokctl vault"));
        }
        let version = match table.get("version").and_then(|v| v.as_integer()) {
            Some(v) if (OLDEST_VERSION as i64..=VERSION as i64).contains(&v) => v as u32,
            Some(v) => {
                return Err(error::damaged(format!(
                    "the vault's format version {v} is not supported (this tokctl reads versions \
                     {OLDEST_VERSION} to {VERSION})"
                ))
                .hint("upgrade tokctl to one that reads it; the file was left untouched")
                .into());
            }
            None => return Err(damaged("the format version is missing")),
        };
        // Version 1 had no generation; from version 2 on it is required.
        if table.contains_key("generation") != (version >= 2) {
            return Err(damaged("the generation field does not match the format version"));
        }
        let header: Header = table.try_into().map_err(|_| damaged("the header has unexpected fields or values"))?;
        if header.cipher != CIPHER {
            return Err(damaged("unknown cipher"));
        }
        if let Some(slot) = &header.passphrase {
            if slot.kdf != KDF {
                return Err(damaged("unknown passphrase KDF"));
            }
            // Before any derivation: nothing in the header is authenticated yet.
            slot.params.check().map_err(|why| damaged(&format!("the passphrase slot's {why}")))?;
        }
        if !header.texts().all(is_plain) {
            return Err(damaged("the header holds characters tokctl never writes"));
        }
        // The standard engine refuses non-canonical padding and trailing bits, so this decode is
        // also the proof that the body is in canonical form.
        let ciphertext = crypto::unb64_bytes(body).ok_or_else(|| damaged("the ciphertext is not base64"))?;
        Ok(Envelope { header, head: head.as_bytes().to_vec(), ciphertext })
    }

    /// The header's bytes as read from the file: what the ciphertext authenticates.
    pub fn header_bytes(&self) -> &[u8] {
        &self.head
    }

    pub(crate) fn key_fits(&self, key: &Key) -> bool {
        crypto::key_matches(key, &self.header.key_check)
    }

    /// Decrypt with a key that passed the key check. The payload is decoded in the record
    /// layout of the file's version (a version-1 record has no rotation fields) and comes back
    /// as today's records.
    pub fn open(self, key: &Key) -> Result<Payload> {
        let version = self.header.version;
        let plain = self.plaintext(key)?;
        Payload::decode(&plain, version).ok_or_else(|| damaged("the decrypted records do not decode"))
    }

    /// Decrypt, keeping only the records named (those that exist). Read-only commands use this:
    /// the other records are walked without being copied (`RecordRef`, which reads the current
    /// version's layout; an older vault is decoded whole).
    pub(crate) fn open_only(self, key: &Key, names: &[&str]) -> Result<Payload> {
        if self.header.version != VERSION {
            let mut all = self.open(key)?;
            all.records.retain(|r| names.contains(&r.name.as_str()));
            return Ok(all);
        }
        let plain = self.plaintext(key)?;
        let undecodable = || damaged("the decrypted records do not decode");
        let (view, rest) = postcard::take_from_bytes::<PayloadRef>(&plain).map_err(|_| undecodable())?;
        let (retired_log_keys, bundles) = Payload::decode_tail(rest).ok_or_else(undecodable)?;
        let records =
            view.records.iter().filter(|r| names.contains(&r.name)).map(RecordRef::to_owned).collect::<Result<_>>()?;
        Ok(Payload { records, log_key: view.log_key, retired_log_keys, bundles })
    }

    fn plaintext(self, key: &Key) -> Result<Zeroizing<Vec<u8>>> {
        if !self.key_fits(key) {
            return Err(error::locked("the key does not fit this vault (wrong key)")
                .hint("check TOKCTL_VAULT_KEY, or restore the right key with `tokctl key import`")
                .into());
        }
        let nonce = crypto::unb64(&self.header.nonce).ok_or_else(|| damaged("the nonce is not base64"))?;
        crypto::open_in_place(key, &nonce, &self.head, self.ciphertext)
            .ok_or_else(|| damaged("the contents fail authentication (changed or tampered with)"))
    }
}

#[derive(Deserialize)]
struct PayloadRef<'a> {
    #[serde(borrow)]
    records: Vec<RecordRef<'a>>,
    log_key: [u8; 32],
}

/// Encode a vault in the current version: the next generation, the key's check, a fresh nonce,
/// the header written by tokctl's own writer and bound as associated data.
pub fn seal(header: &mut Header, key: &Key, payload: &Payload) -> Vec<u8> {
    header.version = VERSION;
    // TOML integers are i64; 2^63 writes will not happen, but the file must stay readable.
    header.generation = header.generation.saturating_add(1).min(i64::MAX as u64);
    header.key_check = crypto::key_check(key);
    let nonce = crypto::random_bytes::<NONCE_LEN>();
    header.nonce = crypto::b64(&nonce);
    let plain = payload.encode();
    assemble(&header.write(), key, &nonce, &plain)
}

/// The file: `head`, the `[sealed]` line, and the base64 of the ciphertext bound to `head`.
fn assemble(head: &str, key: &Key, nonce: &[u8; NONCE_LEN], plain: &[u8]) -> Vec<u8> {
    let sealed = crypto::seal(key, nonce, head.as_bytes(), plain);
    let body = crypto::b64(&sealed);
    let mut out = String::with_capacity(head.len() + SEALED.len() + body.len() + 2);
    out.push_str(head);
    out.push_str(SEALED);
    out.push_str(&body);
    out.push_str("\"\n");
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::super::record::{Kind, Record};
    use super::*;
    use crate::secret::Secret;

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
                secret_set_at: 7,
                rotate_every: if i == 0 { Some(8) } else { None },
                username: if i == 1 { Some("bot".into()) } else { None },
                hosts: if i == 0 { vec!["github.com/org".into(), "gitlab.example:8443".into()] } else { Vec::new() },
                provider: if i == 0 { Some(crate::vault::Provider::Gitlab) } else { None },
                provider_url: if i == 0 { Some("https://gitlab.example".into()) } else { None },
                on_rotate: None,
                on_revoke: None,
                on_inspect: if i == 1 { Some("check-it --quietly".into()) } else { None },
                inspected_at: if i == 0 { Some(1_700_000_500) } else { None },
                provider_scopes: if i == 0 { Some(vec!["api".into()]) } else { None },
                provider_last_used_at: None,
                dead_at_provider: None,
                rotation_pending: if i == 1 { Some(1_700_000_600) } else { None },
            };
            if i != 2 {
                r.set_secret(Secret::new(format!("secret-number-{i}-long-enough")), 9);
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

    /// A slot with the right shape; the KDF never runs on it.
    fn fake_slot() -> Slot {
        Slot {
            kdf: KDF.into(),
            params: KdfParams::default(),
            salt: crypto::b64(&[1; 16]),
            nonce: crypto::b64(&[2; NONCE_LEN]),
            wrapped_key: crypto::b64(&[3; 48]),
        }
    }

    fn code(r: Result<impl Sized>) -> Option<error::Code> {
        r.err().and_then(|e| e.downcast_ref::<error::Error>().map(|x| x.code))
    }

    /// `head` sealed with exactly its own bytes as associated data, under the nonce it names.
    fn sealed_with_head(head: &str, h: &Header, key: &Key) -> Vec<u8> {
        let nonce: [u8; NONCE_LEN] = crypto::unb64(&h.nonce).unwrap().try_into().unwrap();
        let plain = postcard::to_stdvec(&Payload::default()).unwrap();
        assemble(head, key, &nonce, &plain)
    }

    #[test]
    fn a_sealed_vault_is_the_current_version_and_parses_back_to_its_header() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        h.passphrase = Some(fake_slot());
        let bytes = seal(&mut h, &key, &Payload::default());
        let env = Envelope::parse(&bytes).unwrap();
        assert_eq!((env.header.version, env.header.generation), (VERSION, 1));
        assert_eq!(env.header, h);
        assert!(bytes.starts_with(env.header_bytes()));
        assert_eq!(env.header_bytes(), h.write().as_bytes());
        assert!(env.open(&key).unwrap().records.is_empty());
    }

    #[test]
    fn the_header_is_written_in_one_fixed_form() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Bundle, &key);
        h.passphrase = Some(fake_slot());
        let text = String::from_utf8(seal(&mut h, &key, &Payload::default())).unwrap();
        let keys: Vec<&str> = text.lines().map(|l| l.split(" = ").next().unwrap()).collect();
        assert_eq!(
            keys,
            [
                "format",
                "version",
                "generation",
                "vault_id",
                "kind",
                "cipher",
                "key_check",
                "nonce",
                "",
                "[passphrase]",
                "kdf",
                "m_kib",
                "t",
                "p",
                "salt",
                "nonce",
                "wrapped_key",
                "",
                "[sealed]",
                "ciphertext",
            ]
        );
        assert!(text.starts_with("format = \"tokctl-vault\"\nversion = 4\ngeneration = 1\nvault_id = \"v_"));
        assert!(text.contains("\nkind = \"bundle\"\ncipher = \"xchacha20poly1305\"\n"));
        assert!(text.contains("\n[passphrase]\nkdf = \"argon2id\"\nm_kib = 65536\nt = 3\np = 4\n"));
    }

    #[test]
    fn every_write_advances_the_generation() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        for want in 1..=3 {
            let bytes = seal(&mut h, &key, &Payload::default());
            assert_eq!(Envelope::parse(&bytes).unwrap().header.generation, want);
        }
    }

    #[test]
    fn validity_does_not_depend_on_how_toml_would_format_the_header() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        h.passphrase = Some(fake_slot());
        let _ = seal(&mut h, &key, &Payload::default());
        // Equivalent TOML, other bytes: a comment, wider spacing, a trailing space.
        let odd = format!("# written by hand\n{}", h.write().replace(" = ", "  =   ").replacen('\n', " \n", 3));
        let bytes = sealed_with_head(&odd, &h, &key);
        let env = Envelope::parse(&bytes).unwrap();
        assert_eq!(env.header, h);
        assert_eq!(env.header_bytes(), odd.as_bytes());
        assert!(env.open(&key).is_ok(), "the bytes it was sealed with open it");
        // One byte changed, still the same TOML (a space becomes a tab): damaged, not "wrong key".
        let at = odd.find("  =").unwrap();
        let mut changed = bytes.clone();
        changed[at] = b'\t';
        let env = Envelope::parse(&changed).unwrap();
        assert_eq!(env.header, h, "the parser sees the same header");
        assert_eq!(code(env.open(&key)), Some(error::Code::Damaged));
        // And the canonical form of the same header is not what was sealed either.
        let canonical = [h.write().as_bytes(), &bytes[odd.len()..]].concat();
        assert_eq!(code(Envelope::parse(&canonical).unwrap().open(&key)), Some(error::Code::Damaged));
    }

    /// A payload in version 1's layout: each record without the rotation fields.
    fn v1_plaintext(p: &Payload) -> Vec<u8> {
        let mut out = postcard::to_stdvec(&(p.records.len() as u32)).unwrap();
        for r in &p.records {
            let old = (
                &r.id,
                &r.name,
                r.kind,
                &r.env,
                &r.scopes,
                r.created_at,
                r.updated_at,
                r.expires_at,
                r.lifetime,
                r.last_used_at,
                r.revoked_at,
                &r.note,
                &r.prefix,
                &r.secret,
                r.hash,
                &r.fingerprint,
            );
            out.extend(postcard::to_stdvec(&old).unwrap());
        }
        out.extend(p.log_key);
        out
    }

    /// What version 1 wrote: `toml`'s rendering of the header with no generation.
    fn v1_head(h: &Header) -> String {
        let mut head = h.write().replace("version = 4\n", "version = 1\n");
        head = head.lines().filter(|l| !l.starts_with("generation = ")).map(|l| format!("{l}\n")).collect();
        head
    }

    #[test]
    fn a_version_1_vault_opens_by_its_bytes_as_generation_0_and_is_upgraded_on_write() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        let mut p = Payload::default();
        p.records.push(
            crate::vault::Meta::new("a", None, &[], None, None, crate::when::Expiry::Never).unwrap().record(
                "a",
                Kind::Imported,
                None,
                Secret::new("a-secret-of-some-length".into()),
            ),
        );
        let _ = seal(&mut h, &key, &Payload::default());
        let head = v1_head(&h);
        let nonce: [u8; NONCE_LEN] = crypto::unb64(&h.nonce).unwrap().try_into().unwrap();
        let bytes = assemble(&head, &key, &nonce, &v1_plaintext(&p));
        let env = Envelope::parse(&bytes).unwrap();
        assert_eq!((env.header.version, env.header.generation), (1, 0));
        let mut header = env.header.clone();
        let opened = env.open(&key).unwrap();
        assert_eq!(opened.records[0].name, "a");
        assert_eq!(opened.log_key, p.log_key);
        assert_eq!(opened.records[0].secret_set_at, p.records[0].updated_at);
        let only = Envelope::parse(&bytes).unwrap().open_only(&key, &["a", "b"]).unwrap();
        assert_eq!(only.records.len(), 1);
        let again = seal(&mut header, &key, &opened);
        let env = Envelope::parse(&again).unwrap();
        assert_eq!((env.header.version, env.header.generation), (VERSION, 1));
        assert_eq!(env.open(&key).unwrap().records[0].name, "a");
    }

    #[test]
    fn the_generation_must_match_the_version() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        let _ = seal(&mut h, &key, &Payload::default());
        let v1_with = h.write().replace("version = 4\n", "version = 1\n");
        let v2_without = v1_head(&h).replace("version = 1\n", "version = 2\n");
        let v3_without = v1_head(&h).replace("version = 1\n", "version = 3\n");
        let v4_without = v1_head(&h).replace("version = 1\n", "version = 4\n");
        for head in [v1_with, v2_without, v3_without, v4_without] {
            let bytes = sealed_with_head(&head, &h, &key);
            assert_eq!(code(Envelope::parse(&bytes)), Some(error::Code::Damaged), "{head}");
        }
    }

    #[test]
    fn other_versions_are_refused_by_name() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        let _ = seal(&mut h, &key, &Payload::default());
        for v in ["0", "5", "-1", "99999999999"] {
            let head = h.write().replace("version = 4\n", &format!("version = {v}\n"));
            let e = Envelope::parse(&sealed_with_head(&head, &h, &key)).err().unwrap();
            let e = e.downcast_ref::<error::Error>().unwrap();
            assert_eq!(e.code, error::Code::Damaged);
            assert!(e.message.contains(&format!("version {v} is not supported")), "{}", e.message);
            assert!(e.message.contains("reads versions 1 to 4"), "{}", e.message);
        }
    }

    #[test]
    fn header_values_that_would_need_escaping_are_refused() {
        let key = Key::random();
        let mut h = Header::new(VaultKind::Personal, &key);
        let _ = seal(&mut h, &key, &Payload::default());
        let id = h.vault_id.clone();
        for bad in [r#"v_a\"b"#, r"v_a\u000a", "v_a b", "v_\u{e9}"] {
            let head = h.write().replace(&id, bad);
            let bytes = sealed_with_head(&head, &h, &key);
            assert_eq!(code(Envelope::parse(&bytes)), Some(error::Code::Damaged), "{head}");
        }
    }

    #[test]
    #[should_panic(expected = "would need escaping")]
    fn the_writer_refuses_a_value_it_cannot_write_plainly() {
        let mut h = Header::new(VaultKind::Personal, &Key::random());
        h.vault_id = "v_\"".into();
        let _ = h.write();
    }
}
