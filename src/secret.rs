//! Secret-holding types: they cannot be printed by accident and are wiped when dropped.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zeroize::{Zeroize, Zeroizing};

/// A token's secret value. No `Debug`, no `Display`; `expose()` is the only way in.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Zeroizing<String>);

impl Secret {
    pub fn new(s: String) -> Self {
        Secret(Zeroizing::new(s))
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// A short non-secret label to tell tokens apart: the last four characters.
    pub fn fingerprint(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() < 16 {
            // Too short for any of it to be shown without giving away a real share of it.
            return String::new();
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("…{tail}")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Secret::new(String::deserialize(d)?))
    }
}

/// The 32-byte vault key. Wiped on drop; never formatted.
#[derive(Clone)]
pub struct Key(Box<[u8; 32]>);

impl Key {
    pub fn from_bytes(b: [u8; 32]) -> Self {
        let mut boxed = Box::new([0u8; 32]);
        boxed.copy_from_slice(&b);
        let mut b = b;
        b.zeroize();
        Key(boxed)
    }
    pub fn random() -> Self {
        let mut k = Box::new([0u8; 32]);
        getrandom::fill(&mut k[..]).expect("the OS random number generator failed");
        Key(k)
    }
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl Drop for Key {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}
