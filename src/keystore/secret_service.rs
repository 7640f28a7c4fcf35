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
//! Reads go this way, and writes to an item that exists, and only the plain case: an account whose
//! search finds locked items (the Secret Service must prompt), no item to write to, more than one
//! item, or any error is left to `keyring-core`'s store as before, which creates, unlocks,
//! explains and fails in its own words. So this path can make a call faster, never different.
//! One connection and session serve the whole process.

use std::collections::HashMap;
use std::sync::LazyLock;
use std::time::Duration;

use std::sync::Mutex;

use aes::cipher::{BlockDecryptMut, BlockEncryptMut, KeyIvInit, block_padding::Pkcs7};
use dbus::Message;
use dbus::arg::Variant;
use dbus::channel::{BusType, Channel};
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

/// One connection and one encrypted session per process, shared by every call (they take turns).
struct Session {
    ch: Channel,
    path: Path<'static>,
    key: Zeroizing<[u8; 16]>,
}

static SESSION: Mutex<Option<Session>> = Mutex::new(None);

fn failed(what: &str) -> dbus::Error {
    dbus::Error::new_failed(what)
}

fn call(method: &str) -> Result<Message, dbus::Error> {
    Message::new_method_call(DEST, SERVICE_PATH, SERVICE_IFACE, method).map_err(|e| failed(&e))
}

fn search(service: &str, account: &str) -> Result<Message, dbus::Error> {
    Ok(call("SearchItems")?.append1(HashMap::from([("service", service), ("username", account)])))
}

fn send(ch: &Channel, m: Message) -> Result<u32, dbus::Error> {
    ch.send(m).map_err(|()| failed("could not send to the Secret Service"))
}

/// The shared session, opened first when there is none; `then` are calls that leave together
/// with `OpenSession` (so the first exchange of a process costs no extra round trip). Their
/// replies, in order.
fn with_session<T>(
    then: Vec<Message>,
    timeout: Duration,
    f: impl FnOnce(&Session, Vec<Message>) -> Result<T, dbus::Error>,
) -> Result<T, dbus::Error> {
    let mut slot = SESSION.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(s) = slot.as_ref() {
        let serials = then.into_iter().map(|m| send(&s.ch, m)).collect::<Result<Vec<_>, _>>()?;
        let replies = collect(&s.ch, &serials, timeout)?;
        return f(s, replies);
    }
    let ch = Channel::get_private(BusType::Session)?;
    // A 256-bit private exponent: twice the ~80-bit strength of a 1024-bit group is what NIST
    // SP 800-56A and RFC 7919 ask (160 bits for this group), and four times fewer squarings
    // than a full-length one.
    let private = BigUint::from_bytes_be(&Zeroizing::new(crate::crypto::random_bytes::<32>())[..]);
    let public = BigUint::from(2u8).modpow(&private, &PRIME);
    let mut serials = vec![send(&ch, call("OpenSession")?.append2(ALGORITHM, Variant(public.to_bytes_be())))?];
    for m in then {
        serials.push(send(&ch, m)?);
    }
    let mut replies = collect(&ch, &serials, timeout)?;
    let rest = replies.split_off(1);
    let (output, path): (Variant<Vec<u8>>, Path<'static>) =
        replies[0].read2().map_err(|e| failed(&format!("OpenSession answered {e}")))?;
    let key = shared_key(&output.0, &private)?;
    let s = slot.insert(Session { ch, path, key });
    f(s, rest)
}

/// Per account, the one item to act on (`Ok`), or what to answer without it (`Err`): nothing at
/// all, or `None` when the caller must go the ordinary way (locked items, several items).
fn plan(reply: &Message) -> Result<Result<Path<'static>, Option<Found>>, dbus::Error> {
    let (unlocked, locked): (Vec<Path<'static>>, Vec<Path<'static>>) =
        reply.read2().map_err(|e| failed(&format!("SearchItems answered {e}")))?;
    Ok(match (unlocked.as_slice(), locked.is_empty()) {
        ([], true) => Err(Some(Found::Nothing)),
        ([one], true) => Ok(one.clone()),
        _ => Err(None),
    })
}

/// Look up `accounts` of `service` in one exchange. Per account: `Some` when the answer is plain
/// (one unlocked item, or none at all), `None` when the caller must ask the ordinary way. `Err`
/// when the exchange itself failed (no bus, no Secret Service): the caller asks the ordinary way.
pub fn read(service: &str, accounts: &[String], timeout: Duration) -> Result<Vec<Option<Found>>, dbus::Error> {
    let searches = accounts.iter().map(|a| search(service, a)).collect::<Result<Vec<_>, _>>()?;
    with_session(searches, timeout, |s, replies| {
        let plans = replies.iter().map(plan).collect::<Result<Vec<_>, _>>()?;
        let wanted: Vec<Path<'static>> = plans.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
        let mut secrets: HashMap<Path<'static>, (Path<'static>, Vec<u8>, Vec<u8>, String)> = HashMap::new();
        if !wanted.is_empty() {
            let serial = send(&s.ch, call("GetSecrets")?.append2(wanted, s.path.clone()))?;
            let reply = collect(&s.ch, &[serial], timeout)?.pop().ok_or_else(|| failed("no GetSecrets reply"))?;
            secrets = reply.read1().map_err(|e| failed(&format!("GetSecrets answered {e}")))?;
        }
        Ok(plans
            .into_iter()
            .map(|p| match p {
                Err(answer) => answer,
                // An item that vanished between the search and the read, or a secret that does
                // not decrypt: the ordinary way decides.
                Ok(path) => secrets
                    .remove(&path)
                    .and_then(|(_, iv, value, _)| Some(Found::Secret(Zeroizing::new(decrypt(&s.key, &iv, &value)?)))),
            })
            .collect())
    })
}

/// Give the one unlocked item of `account` the secret `bytes`: `Ok(true)` when done, `Ok(false)`
/// when there is no such single unlocked item (the caller creates or unlocks it the ordinary
/// way, which prompts and explains).
pub fn replace(service: &str, account: &str, bytes: &[u8], timeout: Duration) -> Result<bool, dbus::Error> {
    with_session(vec![search(service, account)?], timeout, |s, replies| {
        let Ok(item) = plan(&replies[0])? else { return Ok(false) };
        let iv = crate::crypto::random_bytes::<16>();
        let value =
            cbc::Encryptor::<aes::Aes128>::new((&*s.key).into(), (&iv).into()).encrypt_padded_vec_mut::<Pkcs7>(bytes);
        let secret = (s.path.clone(), iv.to_vec(), value, "application/octet-stream");
        let m = Message::new_method_call(DEST, item, "org.freedesktop.Secret.Item", "SetSecret")
            .map_err(|e| failed(&e))?
            .append1(secret);
        let serial = send(&s.ch, m)?;
        collect(&s.ch, &[serial], timeout)?;
        Ok(true)
    })
}

/// The replies to `serials`, in their order; an error reply fails the whole exchange.
fn collect(ch: &Channel, serials: &[u32], timeout: Duration) -> Result<Vec<Message>, dbus::Error> {
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
