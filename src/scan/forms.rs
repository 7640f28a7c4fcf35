//! The forms a secret takes where it leaks: as it is, in base64 (standard and URL-safe, at each of
//! the three alignments it can have inside a longer encoded text), URL-encoded and JSON-escaped.
//!
//! Base64 turns each 3 bytes into 4 characters, so a secret inside a longer base64 text starts at
//! byte 0, 1 or 2 of a group, and its first and last characters are mixed with the bytes around
//! it. What is the same whatever surrounds it are the characters whose 6 bits all come from the
//! secret: for each alignment, that inner run is the form looked for. It also matches the secret
//! encoded alone, padded or not.

use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use zeroize::Zeroizing;

/// Secrets shorter than this are not looked for: their forms would turn up in ordinary text.
pub const MIN_LEN: usize = 8;

/// How a secret was written where it was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Encoding {
    Raw,
    Base64,
    Base64Url,
    Url,
    Json,
}

impl Encoding {
    pub fn as_str(self) -> &'static str {
        match self {
            Encoding::Raw => "raw",
            Encoding::Base64 => "base64",
            Encoding::Base64Url => "base64url",
            Encoding::Url => "url-encoded",
            Encoding::Json => "json-escaped",
        }
    }
}

/// One byte string to look for, and which encoding of the secret it is. Wiped when dropped.
pub struct Form {
    pub bytes: Zeroizing<Vec<u8>>,
    pub encoding: Encoding,
}

/// Every form of `secret`, each byte string once (the first encoding that makes it names it).
pub fn forms(secret: &[u8]) -> Vec<Form> {
    let mut out: Vec<Form> = Vec::new();
    let mut add = |bytes: Zeroizing<Vec<u8>>, encoding| {
        if !bytes.is_empty() && !out.iter().any(|f| f.bytes == bytes) {
            out.push(Form { bytes, encoding });
        }
    };
    add(Zeroizing::new(secret.to_vec()), Encoding::Raw);
    for (engine, encoding) in [(&STANDARD, Encoding::Base64), (&URL_SAFE, Encoding::Base64Url)] {
        for align in 0..3 {
            add(base64_inner(engine, secret, align), encoding);
        }
    }
    add(percent(secret, b"0123456789ABCDEF"), Encoding::Url);
    add(percent(secret, b"0123456789abcdef"), Encoding::Url);
    if let Ok(text) = std::str::from_utf8(secret) {
        let json = Zeroizing::new(serde_json::to_string(text).expect("a string serialises"));
        let inner = Zeroizing::new(json.as_bytes()[1..json.len() - 1].to_vec());
        // Some encoders (PHP's, Go's html-safe one) also escape `/`.
        let slashed = Zeroizing::new(String::from_utf8_lossy(&inner).replace('/', "\\/").into_bytes());
        add(inner, Encoding::Json);
        add(slashed, Encoding::Json);
    }
    out
}

/// The characters of base64(`align` bytes, then `secret`, then more) that only the secret's bits
/// decide.
fn base64_inner(engine: &impl base64::Engine, secret: &[u8], align: usize) -> Zeroizing<Vec<u8>> {
    let mut input = Zeroizing::new(vec![0u8; align]);
    input.extend_from_slice(secret);
    input.extend_from_slice(&[0, 0]);
    let encoded = Zeroizing::new(engine.encode(&input[..]).into_bytes());
    let first_bit = 8 * align;
    let end_bit = 8 * (align + secret.len());
    // Character i holds bits 6i..6i+6: the first wholly inside, the last wholly inside.
    let (lo, hi) = (first_bit.div_ceil(6), end_bit / 6);
    Zeroizing::new(encoded[lo..hi].to_vec())
}

/// Percent-encoding as URLs carry it: every byte but RFC 3986's unreserved ones as `%XX`.
fn percent(secret: &[u8], hex: &[u8; 16]) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(secret.len() * 3));
    for &b in secret {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', hex[(b >> 4) as usize], hex[(b & 15) as usize]]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    /// Each form, found inside the encoding of the secret with 0–5 bytes around it.
    #[test]
    fn the_base64_forms_are_found_inside_any_surrounding_encoding() {
        let secret = b"tok_Zq/+9xY2k~ab";
        let fs = forms(secret);
        // Where the two alphabets agree, one string stands for both, named base64.
        let base64ish = |f: &&Form| matches!(f.encoding, Encoding::Base64 | Encoding::Base64Url);
        for (engine, enc) in [(&STANDARD, Encoding::Base64), (&URL_SAFE, Encoding::Base64Url)] {
            for before in 0..6 {
                for after in 0..6 {
                    let mut input = vec![b'x'; before];
                    input.extend_from_slice(secret);
                    input.extend(std::iter::repeat_n(b'y', after));
                    let text = engine.encode(&input);
                    let hit = fs
                        .iter()
                        .filter(base64ish)
                        .any(|f| text.as_bytes().windows(f.bytes.len()).any(|w| w == &f.bytes[..]));
                    assert!(hit, "{enc:?} with {before} bytes before and {after} after");
                }
            }
        }
    }

    #[test]
    fn url_and_json_forms_escape_what_they_must() {
        let fs = forms(b"a/b c\"d\\e+f");
        let of = |e| {
            fs.iter()
                .filter(|f| f.encoding == e)
                .map(|f| String::from_utf8(f.bytes.to_vec()).unwrap())
                .collect::<Vec<_>>()
        };
        assert_eq!(of(Encoding::Url), ["a%2Fb%20c%22d%5Ce%2Bf", "a%2fb%20c%22d%5ce%2bf"]);
        assert_eq!(of(Encoding::Json), [r#"a/b c\"d\\e+f"#, r#"a\/b c\"d\\e+f"#]);
    }

    #[test]
    fn a_form_that_equals_another_is_kept_once_under_the_first_name() {
        // Only unreserved characters: URL-encoding and JSON-escaping change nothing.
        let fs = forms(b"tok_abcdefgh");
        assert_eq!(fs.iter().filter(|f| &f.bytes[..] == b"tok_abcdefgh").count(), 1);
        assert_eq!(fs[0].encoding, Encoding::Raw);
        assert!(!fs.iter().any(|f| matches!(f.encoding, Encoding::Url | Encoding::Json)));
    }
}
