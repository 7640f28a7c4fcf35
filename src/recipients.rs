//! Bundles sealed to named recipients: age files (age-encryption.org/v1, through the `age`
//! crate) that anyone holding one of the recipients' identities opens, tokctl or the reference
//! `age -d`. Recipients are age X25519 keys (`age1…`) and SSH public keys (`ssh-ed25519`,
//! `ssh-rsa`), given on the command line or as `@FILE` lines; identities come from
//! `TOKCTL_AGE_IDENTITY` or `TOKCTL_AGE_IDENTITY_FILE` (an age identity file or an unencrypted
//! SSH private key). What the age file holds is `MAGIC` then the postcard payload
//! (docs/FORMAT.md, "Recipient bundles").

use std::io::{Read, Write};
use std::path::Path;
use std::str::FromStr;

use zeroize::Zeroizing;

use crate::error::{self, Result};
use crate::fsio;
use crate::settings::{ENV_AGE_IDENTITY, ENV_AGE_IDENTITY_FILE};
use crate::text::{Shown, escape};
use crate::vault::{Payload, VERSION};

/// The first bytes of every binary age file.
pub const AGE_MAGIC: &[u8] = b"age-encryption.org/";
/// The first bytes of the plaintext tokctl seals into an age file.
pub const MAGIC: &[u8] = b"tokctl-recipient-bundle v1\n";

/// Whether a file's bytes are an age file rather than a tokctl vault envelope.
pub fn is_age(bytes: &[u8]) -> bool {
    bytes.starts_with(AGE_MAGIC)
}

/// One recipient, parsed, with the line that names it (its canonical form: an SSH key's
/// comment is dropped).
pub struct Recipient {
    pub line: String,
    key: Box<dyn age::Recipient + Send>,
}

fn malformed(what: &str, why: &str) -> anyhow::Error {
    error::usage(format!("{what} is not a recipient tokctl can seal to: {why}"))
        .hint("give an age recipient (age1…, from `age-keygen -y`), an SSH public key (ssh-ed25519 or ssh-rsa), or @FILE of such lines")
        .into()
}

/// Parse one recipient line; `what` names it in an error.
fn parse_line(line: &str, what: &str) -> Result<Recipient> {
    let line = line.trim();
    if line.starts_with("age1") {
        let r = age::x25519::Recipient::from_str(line).map_err(|e| malformed(what, e))?;
        return Ok(Recipient { line: r.to_string(), key: Box::new(r) });
    }
    if line.starts_with("ssh-") {
        use age::ssh::ParseRecipientKeyError as E;
        let r = age::ssh::Recipient::from_str(line).map_err(|e| match e {
            E::Ignore | E::Invalid(_) => malformed(what, "not a valid SSH public key"),
            E::RsaModulusTooLarge => malformed(what, "its RSA modulus is larger than age supports"),
            E::RsaModulusTooSmall => malformed(what, "its RSA modulus is smaller than 2048 bits"),
            E::Unsupported(t) => malformed(what, &format!("SSH key type {} is not supported", escape(&t))),
            _ => malformed(what, "not a valid SSH public key"),
        })?;
        return Ok(Recipient { line: r.to_string(), key: Box::new(r) });
    }
    Err(malformed(what, "it is neither an age recipient nor an SSH public key"))
}

/// The recipients `--to` names: each an age recipient, an SSH public key, or `@FILE` of such
/// lines (blank lines and `#` comments skipped, as `age -R` reads). Duplicates are dropped.
pub fn parse(args: &[String]) -> Result<Vec<Recipient>> {
    let mut out: Vec<Recipient> = Vec::new();
    for arg in args {
        let found = match arg.strip_prefix('@') {
            Some(file) => {
                let path = Path::new(file);
                let bytes = fsio::read_opt(path, fsio::MAX_SMALL)?.ok_or_else(|| {
                    error::usage(format!("recipients file {} does not exist", path.shown()))
                        .hint("give @FILE of recipient lines, as `age -R FILE` reads")
                })?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    error::usage(format!("recipients file {} is not UTF-8 text", path.shown()))
                        .hint("one recipient per line: age1… or an SSH public key")
                })?;
                let mut found = Vec::new();
                for (n, line) in text.lines().enumerate() {
                    let line = line.trim();
                    if line.is_empty() || line.starts_with('#') {
                        continue;
                    }
                    let what = format!("line {} of {} ('{}')", n + 1, path.shown(), escape(clip(line)));
                    found.push(parse_line(line, &what)?);
                }
                if found.is_empty() {
                    return Err(error::usage(format!("recipients file {} names no recipient", path.shown()))
                        .hint("one recipient per line: age1… or an SSH public key")
                        .into());
                }
                found
            }
            None => vec![parse_line(arg, &format!("'{}'", escape(clip(arg))))?],
        };
        for r in found {
            if !out.iter().any(|x| x.line == r.line) {
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// A long argument, shortened for an error message.
fn clip(s: &str) -> &str {
    match s.char_indices().nth(60) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The age file of `payload` sealed to `recipients`.
pub fn seal(recipients: &[Recipient], payload: &Payload) -> Result<Vec<u8>> {
    let enc = age::Encryptor::with_recipients(recipients.iter().map(|r| r.key.as_ref() as &dyn age::Recipient))
        .map_err(|e| anyhow::anyhow!("cannot seal the bundle: {e}"))?;
    let mut out = Vec::new();
    let mut w = enc.wrap_output(&mut out)?;
    w.write_all(MAGIC)?;
    w.write_all(&payload.encode())?;
    w.finish()?;
    Ok(out)
}

fn damaged(path: &Path, why: impl std::fmt::Display) -> anyhow::Error {
    error::damaged(format!("the recipient bundle {} is damaged: {why}", path.shown()))
        .hint("write it again from the vault it came from: `tokctl bundle --refresh FILE`")
        .into()
}

/// Open the age file `bytes` (read from `path`) with `ids`: its records. A wrong identity is
/// exit 5; a file cut short, changed or not tokctl's is exit 6.
pub fn open(path: &Path, bytes: &[u8], ids: &Identities) -> Result<Payload> {
    use age::DecryptError as D;
    let dec = age::Decryptor::new_buffered(bytes).map_err(|e| match e {
        D::UnknownFormat => damaged(path, "an age format this tokctl does not read"),
        e => damaged(path, e),
    })?;
    let mut plain = Zeroizing::new(Vec::new());
    let read = dec
        .decrypt(ids.list.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .and_then(|mut r| r.read_to_end(&mut plain).map_err(D::from));
    match read {
        Ok(_) => {}
        Err(D::NoMatchingKeys) => {
            return Err(error::locked(format!("{} does not open the recipient bundle {}", ids.from, path.shown()))
                .hint("the bundle was sealed to other recipients: use an identity it was sealed to, or re-seal it to yours with `tokctl bundle --refresh`")
                .into());
        }
        Err(e) => return Err(damaged(path, e)),
    }
    let body = plain.strip_prefix(MAGIC).ok_or_else(|| damaged(path, "it is an age file, but not a tokctl bundle"))?;
    Payload::decode(body, VERSION).ok_or_else(|| damaged(path, "the records do not decode"))
}

/// The identities that open recipient bundles, and where they came from.
pub struct Identities {
    list: Vec<Box<dyn age::Identity>>,
    from: String,
}

/// The identities the settings name; exit 5 when none is set, or the one set cannot be used.
pub fn identities(path: &Path) -> Result<Identities> {
    let s = crate::settings::get();
    if let Some(text) = &s.age_identity {
        let id = age::x25519::Identity::from_str(text.trim()).map_err(|_| bad_identity(ENV_AGE_IDENTITY))?;
        return Ok(Identities { list: vec![Box::new(id)], from: ENV_AGE_IDENTITY.into() });
    }
    if let Some(file) = &s.age_identity_file {
        let from = format!("{ENV_AGE_IDENTITY_FILE} ({})", file.shown());
        return Ok(Identities { list: identity_file(file)?, from });
    }
    Err(error::locked(format!("cannot open the recipient bundle {}: no identity is set", path.shown()))
        .hint(format!(
            "set {ENV_AGE_IDENTITY} to an age identity (AGE-SECRET-KEY-1…) it was sealed to, \
             or {ENV_AGE_IDENTITY_FILE} to an age identity file or an unencrypted SSH private key"
        ))
        .into())
}

fn bad_identity(var: &str) -> anyhow::Error {
    error::locked(format!("{var} is set but is not an age identity"))
        .hint("it takes the AGE-SECRET-KEY-1… line `age-keygen` prints")
        .into()
}

/// The identities in an age identity file or an SSH private key file.
fn identity_file(file: &Path) -> Result<Vec<Box<dyn age::Identity>>> {
    let var = ENV_AGE_IDENTITY_FILE;
    let bytes = Zeroizing::new(fsio::read_opt(file, fsio::MAX_SMALL)?.ok_or_else(|| {
        error::locked(format!("{var} names {}, which does not exist", file.shown()))
            .hint("point it at an age identity file or an unencrypted SSH private key")
    })?);
    if bytes.windows(11).any(|w| w == b"PRIVATE KEY") {
        use age::ssh::Identity as S;
        let id = S::from_buffer(&bytes[..], None).map_err(|_| {
            error::locked(format!("{var}: {} is not an SSH private key age can use", file.shown()))
                .hint("use an unencrypted ssh-ed25519 or ssh-rsa key, or an age identity file")
        })?;
        return match id {
            S::Unencrypted(_) => Ok(vec![Box::new(id)]),
            S::Encrypted(_) => Err(error::locked(format!(
                "{var}: the SSH private key {} is encrypted, and tokctl asks no passphrase for it",
                file.shown()
            ))
            .hint("use an unencrypted SSH key (a deploy key made with `ssh-keygen -N ''`) or an age identity (`age-keygen`) as the CI identity")
            .into()),
            S::Unsupported(_) => Err(error::locked(format!(
                "{var}: {} is an SSH key type age cannot decrypt with",
                file.shown()
            ))
            .hint("use an ssh-ed25519 or ssh-rsa key, or an age identity")
            .into()),
        };
    }
    let parsed = age::IdentityFile::from_buffer(&bytes[..]).map_err(|e| {
        error::locked(format!("{var}: {} is not an age identity file", file.shown()))
            .hint(format!("{e}; it holds AGE-SECRET-KEY-1… lines (from `age-keygen`) or is an SSH private key"))
    })?;
    let list = parsed.into_identities().map_err(|e| anyhow::anyhow!("{var}: {e}"))?;
    if list.is_empty() {
        return Err(error::locked(format!("{var}: {} holds no identity", file.shown()))
            .hint("it holds AGE-SECRET-KEY-1… lines (from `age-keygen`) or is an SSH private key")
            .into());
    }
    Ok(list.into_iter().map(|i| i as Box<dyn age::Identity>).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: &anyhow::Error) -> Option<error::Code> {
        e.downcast_ref::<error::Error>().map(|x| x.code)
    }

    #[test]
    fn a_payload_sealed_to_a_recipient_opens_with_its_identity_only() {
        let id = age::x25519::Identity::generate();
        let other = age::x25519::Identity::generate();
        let rs = parse(&[id.to_public().to_string()]).unwrap();
        let mut p = Payload::default();
        p.log_key = [9; 32];
        let bytes = seal(&rs, &p).unwrap();
        assert!(is_age(&bytes));
        let ids = Identities { list: vec![Box::new(id)], from: "test".into() };
        assert_eq!(open(Path::new("b"), &bytes, &ids).unwrap().log_key, [9; 32]);
        let wrong = Identities { list: vec![Box::new(other)], from: "test".into() };
        assert_eq!(code(&open(Path::new("b"), &bytes, &wrong).err().unwrap()), Some(error::Code::Locked));
        for cut in [bytes.len() - 1, bytes.len() / 2, 30] {
            assert_eq!(code(&open(Path::new("b"), &bytes[..cut], &ids).err().unwrap()), Some(error::Code::Damaged));
        }
        let mut flipped = bytes.clone();
        let n = flipped.len() - 5;
        flipped[n] ^= 1;
        assert_eq!(code(&open(Path::new("b"), &flipped, &ids).err().unwrap()), Some(error::Code::Damaged));
    }

    #[test]
    fn a_malformed_recipient_is_a_usage_error_naming_it() {
        for bad in ["age1notbech32", "ssh-ed25519 AAAAnope", "bob@example.com", "ssh-dss AAAAB3NzaC1kc3MAAACBA"] {
            let e = parse(&[bad.to_string()]).err().unwrap();
            assert_eq!(code(&e), Some(error::Code::Usage), "{bad}");
            assert!(e.to_string().contains(clip(bad)), "{bad}: {e}");
        }
    }
}
