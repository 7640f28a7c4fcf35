//! Sealing and opening bytes, the key check, the passphrase KDF, and minted-token format.
//! Nothing here knows about files or terminals. docs/FORMAT.md specifies what these produce.

use argon2::{Algorithm, Argon2, Params, Version};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{self, Result};
use crate::secret::{Key, Secret};

pub const NONCE_LEN: usize = 24;
/// What an exported vault key starts with, so people and secret scanners can recognise one.
pub const KEY_PREFIX: &str = "tokctl-key-v1-";
const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Random characters in a minted secret: 30 × log2(62) ≈ 178.6 bits.
pub const MINT_RANDOM_CHARS: usize = 30;
pub const CHECKSUM_CHARS: usize = 6;

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the OS random number generator failed");
    b
}

pub fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

pub fn unb64(s: &str) -> Option<Vec<u8>> {
    unb64_bytes(s.as_bytes())
}

pub fn unb64_bytes(s: &[u8]) -> Option<Vec<u8>> {
    STANDARD.decode(s).ok()
}

/// XChaCha20-Poly1305 with associated data.
pub fn seal(key: &Key, nonce: &[u8; NONCE_LEN], ad: &[u8], plain: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    cipher
        .encrypt(XNonce::from_slice(nonce), Payload { msg: plain, aad: ad })
        .expect("XChaCha20-Poly1305 encryption cannot fail for in-memory buffers")
}

/// Like `open`, but decrypts in the buffer it is given (no copy of a large vault).
pub fn open_in_place(key: &Key, nonce: &[u8], ad: &[u8], mut sealed: Vec<u8>) -> Option<Zeroizing<Vec<u8>>> {
    use chacha20poly1305::aead::AeadInPlace;
    if nonce.len() != NONCE_LEN {
        return None;
    }
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    match cipher.decrypt_in_place(XNonce::from_slice(nonce), ad, &mut sealed) {
        Ok(()) => Some(Zeroizing::new(sealed)),
        Err(_) => None,
    }
}

/// Returns `None` when the tag does not verify: wrong key or changed bytes.
pub fn open(key: &Key, nonce: &[u8], ad: &[u8], sealed: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
    if nonce.len() != NONCE_LEN {
        return None;
    }
    let cipher = XChaCha20Poly1305::new(key.bytes().into());
    cipher.decrypt(XNonce::from_slice(nonce), Payload { msg: sealed, aad: ad }).ok().map(Zeroizing::new)
}

/// A hash of the key, stored in the header so "wrong key" can be told from "tampered".
pub fn key_check(key: &Key) -> String {
    let mut h = Sha256::new();
    h.update(b"tokctl key check v1\0");
    h.update(key.bytes());
    b64(&h.finalize()[..16])
}

/// Whether two keys are the same, in constant time.
pub fn same_key(a: &Key, b: &Key) -> bool {
    a.bytes().ct_eq(b.bytes()).into()
}

pub fn key_matches(key: &Key, check: &str) -> bool {
    key_check(key).as_bytes().ct_eq(check.as_bytes()).into()
}

/// The exported text form of a vault key.
pub fn encode_key(key: &Key) -> Zeroizing<String> {
    Zeroizing::new(format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(key.bytes())))
}

pub fn decode_key(text: &str) -> Result<Key> {
    let body = text.trim().strip_prefix(KEY_PREFIX).ok_or_else(|| {
        error::usage("that is not a tokctl vault key")
            .hint(format!("an exported key starts with '{KEY_PREFIX}'; get one with `tokctl key export`"))
    })?;
    let raw = Zeroizing::new(URL_SAFE_NO_PAD.decode(body).unwrap_or_default());
    if raw.len() != 32 {
        return Err(error::usage("that vault key is damaged (wrong length or characters)")
            .hint("copy the whole line printed by `tokctl key export`")
            .into());
    }
    let mut b = [0u8; 32];
    b.copy_from_slice(&raw);
    Ok(Key::from_bytes(b))
}

/// Argon2id parameters: RFC 9106's second recommended option (64 MiB, t=3, p=4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KdfParams {
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams { m_kib: 64 * 1024, t: 3, p: 4 }
    }
}

impl KdfParams {
    /// At most 1 GiB of memory: 16 times what tokctl writes.
    pub const MAX_M_KIB: u32 = 1024 * 1024;
    /// At most 10 passes.
    pub const MAX_T: u32 = 10;
    /// At most 16 lanes.
    pub const MAX_P: u32 = 16;

    /// Whether a header may ask for these parameters: within the limits above and no lower than
    /// Argon2 accepts (8 KiB per lane, 1 pass, 1 lane). They are read before anything is
    /// authenticated, so a changed header must not get to spend a gigabyte or a minute per try.
    /// The error names the parameter.
    pub fn check(&self) -> std::result::Result<(), String> {
        let KdfParams { m_kib, t, p } = *self;
        let min_m = Params::MIN_M_COST.max(p.saturating_mul(8));
        if !(Params::MIN_P_COST..=Self::MAX_P).contains(&p) {
            return Err(format!("Argon2 lanes p = {p} is outside 1..={}", Self::MAX_P));
        }
        if !(Params::MIN_T_COST..=Self::MAX_T).contains(&t) {
            return Err(format!("Argon2 passes t = {t} is outside 1..={}", Self::MAX_T));
        }
        if !(min_m..=Self::MAX_M_KIB).contains(&m_kib) {
            return Err(format!(
                "Argon2 memory m_kib = {m_kib} is outside {min_m}..={} (8 KiB per lane to 1 GiB)",
                Self::MAX_M_KIB
            ));
        }
        Ok(())
    }
}

/// Derive a key-encryption key from a passphrase. Refuses parameters outside `KdfParams::check`
/// (the envelope parser has refused them already; this is the last line).
pub fn derive(pass: &[u8], salt: &[u8], p: KdfParams) -> Option<Key> {
    p.check().ok()?;
    let params = Params::new(p.m_kib, p.t, p.p, Some(32)).ok()?;
    let mut out = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params).hash_password_into(pass, salt, &mut out).ok()?;
    Some(Key::from_bytes(out))
}

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// `n` in base62 (0-9, A-Z, a-z), left-padded with `0` to `width`: the checksum of minted
/// secrets and of GitHub's classic tokens (`formats`).
pub(crate) fn base62_fixed(mut n: u32, width: usize) -> String {
    let mut out = vec![b'0'; width];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    String::from_utf8(out).expect("base62 is ASCII")
}

fn checksum(body: &str) -> String {
    base62_fixed(crc32fast::hash(body.as_bytes()), CHECKSUM_CHARS)
}

/// A fresh secret: prefix, 30 base62 characters from the OS CSPRNG, 6-character CRC32 checksum.
pub fn mint(prefix: &str) -> Secret {
    let mut body = String::with_capacity(prefix.len() + MINT_RANDOM_CHARS + CHECKSUM_CHARS);
    body.push_str(prefix);
    let mut filled = 0;
    while filled < MINT_RANDOM_CHARS {
        for b in random_bytes::<64>() {
            // 248 = 4 × 62: rejection sampling keeps every character equally likely.
            if b < 248 && filled < MINT_RANDOM_CHARS {
                body.push(BASE62[(b % 62) as usize] as char);
                filled += 1;
            }
        }
    }
    let sum = checksum(&body);
    body.push_str(&sum);
    Secret::new(body)
}

/// Whether `token` has the minted shape for `prefix` and its checksum is right.
/// `Some(false)` means "minted shape, wrong checksum": a typo, rejected without a lookup.
pub fn check_minted(token: &str, prefix: &str) -> Option<bool> {
    let rest = token.strip_prefix(prefix)?;
    if rest.len() != MINT_RANDOM_CHARS + CHECKSUM_CHARS || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let (body, sum) = token.split_at(token.len() - CHECKSUM_CHARS);
    Some(checksum(body) == sum)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minted_tokens_carry_a_valid_checksum() {
        let s = mint("tok_");
        assert_eq!(s.expose().len(), 4 + 36);
        assert_eq!(check_minted(s.expose(), "tok_"), Some(true));
        let mut typo = s.expose().to_string();
        let c = typo.remove(10);
        typo.insert(10, if c == 'a' { 'b' } else { 'a' });
        assert_eq!(check_minted(&typo, "tok_"), Some(false));
        assert_eq!(check_minted("ghp_x", "tok_"), None);
    }

    #[test]
    fn keys_round_trip_through_text() {
        let k = Key::random();
        let text = encode_key(&k);
        assert_eq!(decode_key(&text).unwrap().bytes(), k.bytes());
        assert!(decode_key("tokctl-key-v1-short").is_err());
    }

    #[test]
    fn kdf_parameters_are_bounded_on_both_sides() {
        assert!(KdfParams::default().check().is_ok());
        let max = KdfParams { m_kib: KdfParams::MAX_M_KIB, t: KdfParams::MAX_T, p: KdfParams::MAX_P };
        assert!(max.check().is_ok());
        assert!(KdfParams { m_kib: 8, t: 1, p: 1 }.check().is_ok(), "Argon2's minimum");
        for (bad, names) in [
            (KdfParams { m_kib: KdfParams::MAX_M_KIB + 1, ..max }, "m_kib"),
            (KdfParams { t: 11, ..max }, "t = 11"),
            (KdfParams { p: 17, ..max }, "p = 17"),
            (KdfParams { m_kib: 7, t: 1, p: 1 }, "m_kib"),
            (KdfParams { m_kib: 31, t: 1, p: 4 }, "m_kib = 31"),
            (KdfParams { t: 0, ..KdfParams::default() }, "t = 0"),
            (KdfParams { p: 0, ..KdfParams::default() }, "p = 0"),
            (KdfParams { m_kib: u32::MAX, t: u32::MAX, p: u32::MAX }, "p ="),
        ] {
            let why = bad.check().unwrap_err();
            assert!(why.contains(names), "{bad:?}: {why}");
            assert!(derive(b"pass", &[0; 16], bad).is_none());
        }
    }

    #[test]
    fn sealed_bytes_detect_changes() {
        let k = Key::random();
        let n = random_bytes::<NONCE_LEN>();
        let c = seal(&k, &n, b"ad", b"hello");
        assert_eq!(open(&k, &n, b"ad", &c).unwrap().as_slice(), b"hello");
        assert!(open(&k, &n, b"ae", &c).is_none());
        assert!(open(&Key::random(), &n, b"ad", &c).is_none());
    }
}
