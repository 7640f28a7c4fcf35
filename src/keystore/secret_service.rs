//! The Secret Service's read path, spoken directly over D-Bus: several entries in one exchange.
//!
//! `keyring-core`'s store asks for one entry at a time (a `SearchItems`, then a `GetSecret`), and
//! opens its encrypted session with a Diffie-Hellman exchange computed by square-and-multiply
//! without Montgomery reduction: callgrind counted 30.5 of the 32.4 million instructions of a
//! keyring `get` in that one computation (BENCHMARKS.md). Here the same protocol
//! (`dh-ietf1024-sha256-aes128-cbc-pkcs7`, as libsecret and `secret-tool` speak it) is spoken with
//! `num-bigint`'s Montgomery `modpow` and a 256-bit private exponent from the OS random number
//! generator (the store draws its exponent from `fastrand`, which is not meant for keys),
//! and the session, the searches and the reads are pipelined: `OpenSession` and one
//! `SearchItems` per account leave together, then one `GetSecrets` fetches every item found.
//!
//! Only reads go this way, and only the plain case: an account whose search finds locked items
//! (the Secret Service must prompt), or more than one item, or any error, is answered `None`, and
//! the caller asks `keyring-core`'s store as before, which unlocks, explains and fails in its own
//! words. So this path can make a read faster, never different.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use aes::cipher::{BlockDecryptMut, KeyIvInit, block_padding::Pkcs7};
use dbus::Message;
use dbus::arg::Variant;
use dbus::blocking::Connection;
use dbus::message::MessageType;
use dbus::strings::Path;
use num_bigint::BigUint;
use zeroize::Zeroizing;

const DEST: &str = "org.freedesktop.secrets";
const SERVICE_PATH: &str = "/org/freedesktop/secrets";
const SERVICE_IFACE: &str = "org.freedesktop.Secret.Service";
const ALGORITHM: &str = "dh-ietf1024-sha256-aes128-cbc-pkcs7";

/// The 1024-bit MODP group of RFC 2409 (section 6.2), generator 2: what the algorithm names.
static PRIME: LazyLock<BigUint> = LazyLock::new(|| {
    BigUint::parse_bytes(
        b"FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD\
          EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED\
          EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
        16,
    )
    .expect("the group's prime is valid hex")
});

/// What the Secret Service answered for one account.
pub enum Found {
    /// The one unlocked item's secret.
    Secret(Zeroizing<Vec<u8>>),
    /// No item, locked or not.
    Nothing,
}

/// Look up `accounts` of `service` in one exchange. Per account: `Some` when the answer is plain
/// (one unlocked item, or none at all), `None` when the caller must ask the ordinary way. `Err`
/// when the exchange itself failed (no bus, no Secret Service): the caller asks the ordinary way.
pub fn read(service: &str, accounts: &[String], timeout: Duration) -> Result<Vec<Option<Found>>, dbus::Error> {
    let conn = Connection::new_session()?;
    let ch = conn.channel();
    let call = |method: &str| {
        Message::new_method_call(DEST, SERVICE_PATH, SERVICE_IFACE, method).map_err(|e| dbus::Error::new_failed(&e))
    };
    let failed = |what: &str| dbus::Error::new_failed(what);

    // A 256-bit private exponent: twice the ~80-bit strength of a 1024-bit group is what NIST
    // SP 800-56A and RFC 7919 ask (160 bits for this group), and four times fewer squarings
    // than a full-length one.
    let private = BigUint::from_bytes_be(&Zeroizing::new(crate::crypto::random_bytes::<32>())[..]);
    let public = BigUint::from(2u8).modpow(&private, &PRIME);
    let mut serials = Vec::with_capacity(accounts.len() + 1);
    serials.push(
        ch.send(call("OpenSession")?.append2(ALGORITHM, Variant(public.to_bytes_be())))
            .map_err(|()| failed("could not send OpenSession"))?,
    );
    for account in accounts {
        let attrs = HashMap::from([("service", service), ("username", account.as_str())]);
        serials.push(ch.send(call("SearchItems")?.append1(attrs)).map_err(|()| failed("could not send SearchItems"))?);
    }
    let mut replies = collect(ch, &serials, timeout)?.into_iter();

    let opened = replies.next().ok_or_else(|| failed("no OpenSession reply"))?;
    let (output, session): (Variant<Vec<u8>>, Path<'static>) =
        opened.read2().map_err(|e| failed(&format!("OpenSession answered {e}")))?;
    let aes_key = shared_key(&output.0, &private)?;

    // Per account: the item to read, or what to answer without reading.
    let mut plan: Vec<Result<Path<'static>, Option<Found>>> = Vec::with_capacity(accounts.len());
    for reply in replies {
        let (unlocked, locked): (Vec<Path<'static>>, Vec<Path<'static>>) =
            reply.read2().map_err(|e| failed(&format!("SearchItems answered {e}")))?;
        plan.push(match (unlocked.as_slice(), locked.is_empty()) {
            ([], true) => Err(Some(Found::Nothing)),
            ([one], true) => Ok(one.clone()),
            _ => Err(None),
        });
    }
    let wanted: Vec<Path<'static>> = plan.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
    let mut secrets: HashMap<Path<'static>, (Path<'static>, Vec<u8>, Vec<u8>, String)> = HashMap::new();
    if !wanted.is_empty() {
        let serial =
            ch.send(call("GetSecrets")?.append2(wanted, session)).map_err(|()| failed("could not send GetSecrets"))?;
        let reply = collect(ch, &[serial], timeout)?.pop().ok_or_else(|| failed("no GetSecrets reply"))?;
        secrets = reply.read1().map_err(|e| failed(&format!("GetSecrets answered {e}")))?;
    }
    Ok(plan
        .into_iter()
        .map(|p| match p {
            Err(answer) => answer,
            // An item that vanished between the search and the read, or a secret that does not
            // decrypt: the ordinary way decides.
            Ok(path) => secrets.remove(&path).and_then(|(_, iv, value, _)| {
                let plain = Zeroizing::new(decrypt(&aes_key, &iv, &value)?);
                Some(Found::Secret(plain))
            }),
        })
        .collect())
}

/// The replies to `serials`, in their order; an error reply fails the whole exchange.
fn collect(ch: &dbus::channel::Channel, serials: &[u32], timeout: Duration) -> Result<Vec<Message>, dbus::Error> {
    ch.flush();
    let deadline = std::time::Instant::now() + timeout;
    let mut got: Vec<Option<Message>> = serials.iter().map(|_| None).collect();
    while got.iter().any(Option::is_none) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return Err(dbus::Error::new_failed("the Secret Service did not answer in time"));
        }
        let Some(mut msg) = ch.blocking_pop_message(left)? else { continue };
        let Some(i) = msg.get_reply_serial().and_then(|r| serials.iter().position(|s| *s == r)) else { continue };
        if msg.msg_type() == MessageType::Error {
            msg.as_result()?;
        }
        got[i] = Some(msg);
    }
    Ok(got.into_iter().flatten().collect())
}

/// The session's AES key: HKDF-SHA256 (no salt, no info) over the shared secret, left-padded to
/// the group's 128 bytes.
fn shared_key(server_public: &[u8], private: &BigUint) -> Result<Zeroizing<[u8; 16]>, dbus::Error> {
    let theirs = BigUint::from_bytes_be(server_public);
    if theirs <= BigUint::from(1u8) || theirs >= *PRIME {
        return Err(dbus::Error::new_failed("the Secret Service sent an invalid public key"));
    }
    let shared = Zeroizing::new(theirs.modpow(private, &PRIME).to_bytes_be());
    let mut ikm = Zeroizing::new([0u8; 128]);
    ikm[128 - shared.len()..].copy_from_slice(&shared);
    let mut okm = Zeroizing::new([0u8; 16]);
    hkdf::Hkdf::<sha2::Sha256>::new(None, &ikm[..])
        .expand(&[], &mut okm[..])
        .map_err(|_| dbus::Error::new_failed("HKDF could not expand the session key"))?;
    Ok(okm)
}

fn decrypt(key: &[u8; 16], iv: &[u8], value: &[u8]) -> Option<Vec<u8>> {
    let iv: &[u8; 16] = iv.try_into().ok()?;
    cbc::Decryptor::<aes::Aes128>::new(key.into(), iv.into()).decrypt_padded_vec_mut::<Pkcs7>(value).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use aes::cipher::BlockEncryptMut;

    #[test]
    fn both_sides_of_the_exchange_derive_the_same_key() {
        let a = BigUint::from_bytes_be(&crate::crypto::random_bytes::<128>());
        let b = BigUint::from_bytes_be(&crate::crypto::random_bytes::<128>());
        let g = BigUint::from(2u8);
        let (pa, pb) = (g.modpow(&a, &PRIME), g.modpow(&b, &PRIME));
        let ka = shared_key(&pb.to_bytes_be(), &a).unwrap();
        let kb = shared_key(&pa.to_bytes_be(), &b).unwrap();
        assert_eq!(*ka, *kb);
        let iv = [7u8; 16];
        let sealed = cbc::Encryptor::<aes::Aes128>::new((&*ka).into(), (&iv).into())
            .encrypt_padded_vec_mut::<Pkcs7>(b"tokctl-key-v1-abc");
        assert_eq!(decrypt(&kb, &iv, &sealed).unwrap(), b"tokctl-key-v1-abc");
        assert!(decrypt(&kb, &iv[..15], &sealed).is_none());
    }

    #[test]
    fn a_public_key_outside_the_group_is_refused() {
        let a = BigUint::from(12345u32);
        for bad in [BigUint::from(0u8), BigUint::from(1u8), PRIME.clone(), &*PRIME + 1u8] {
            assert!(shared_key(&bad.to_bytes_be(), &a).is_err());
        }
    }
}
