//! Secret-holding types: they cannot be printed by accident and are wiped when dropped.
//!
//! Both wrap `secrecy::SecretBox`, which keeps the value in one heap allocation and zeroizes it
//! on drop. The newtypes exist to keep secrecy's `Debug` ("[REDACTED]") off them too, so a secret
//! cannot even reach a `{:?}` by accident, and to keep the call sites short (`expose`, `bytes`).

use secrecy::{ExposeSecret, SecretBox, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::Zeroize;

/// A token's secret value. No `Debug`, no `Display`; `expose()` is the only way in.
#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    /// Takes the string over; its buffer is wiped here, whatever its spare capacity.
    pub(crate) fn new(mut s: String) -> Self {
        // `SecretString::from(String)` would shrink the buffer in place, and a shrinking
        // reallocation may move the bytes and free the old block unwiped. Copy to an exact-size
        // box instead, then wipe the whole original buffer.
        let boxed: Box<str> = Box::from(s.as_str());
        s.zeroize();
        Secret(SecretString::from(boxed))
    }
    pub(crate) fn expose(&self) -> &str {
        self.0.expose_secret()
    }
    /// A short non-secret label to tell tokens apart: the last four characters.
    pub(crate) fn fingerprint(&self) -> String {
        // Counted, not collected: a `Vec<char>` would be one more unwiped copy of the secret.
        let n = self.expose().chars().count();
        if n < 16 {
            // Too short for any of it to be shown without giving away a real share of it.
            return String::new();
        }
        let tail: String = self.expose().chars().skip(n - 4).collect();
        format!("…{tail}")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Secret::new(String::deserialize(d)?))
    }
}

/// The 32-byte vault key. Wiped on drop; never formatted.
pub struct Key(SecretBox<[u8; 32]>);

impl Key {
    /// Takes the bytes over; the caller's array is wiped.
    pub fn from_bytes(mut b: [u8; 32]) -> Self {
        let k = Key(SecretBox::init_with_mut(|k: &mut [u8; 32]| k.copy_from_slice(&b)));
        b.zeroize();
        k
    }
    pub(crate) fn random() -> Self {
        // Filled where it lives, so no copy of the key is left on the stack.
        Key(SecretBox::init_with_mut(|k: &mut [u8; 32]| {
            getrandom::fill(k).expect("the OS random number generator failed")
        }))
    }
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl Clone for Key {
    /// Copies heap to heap; secrecy has no `Clone` for arrays, and a plain `*bytes` would leave
    /// a copy on the stack.
    fn clone(&self) -> Self {
        Key(SecretBox::init_with_mut(|k: &mut [u8; 32]| k.copy_from_slice(self.bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_keep_their_wire_form_and_label() {
        let s = Secret::new("tok_0123456789abcdefWXYZ".to_string());
        let wire = postcard::to_allocvec(&s).unwrap();
        assert_eq!(wire, postcard::to_allocvec("tok_0123456789abcdefWXYZ").unwrap());
        let back: Secret = postcard::from_bytes(&wire).unwrap();
        assert_eq!(back.expose(), s.expose());
        assert_eq!(s.clone().fingerprint(), "…WXYZ");
        assert_eq!(Secret::new("short".into()).fingerprint(), "");
    }

    #[test]
    fn keys_copy_and_clone_whole() {
        let k = Key::random();
        assert_eq!(k.clone().bytes(), k.bytes());
        assert_eq!(Key::from_bytes([7; 32]).bytes(), &[7; 32]);
        assert_ne!(Key::random().bytes(), k.bytes());
    }
}
