//! The unlock cache (SPEC "Unlock cache"): an unlocked vault's key kept for a while in the
//! kernel's key retention service, so a login session pays for the Secret Service or Argon2id
//! once, like `ssh-agent` or `sudo`, with no daemon of tokctl's own.
//!
//! One `user` key per vault id, `tokctl:<vault id>`, in the session keyring, readable only by
//! its possessors (the processes of this login session), with a kernel timeout, so nothing is
//! left behind when tokctl dies. The TTL is absolute from the moment the key is cached.
//!
//! Where this process has no session keyring of its own (no login session: a container, a CI
//! job, cron, plain `su`) the kernel hands it the per-user session keyring, which every process
//! of the user possesses; there the cache is unavailable. So it is where `TOKCTL_CACHE_TTL` is
//! `0`/`off`, off Linux, and on a kernel without keyutils.
//!
//! An entry holds the key, where it first came from, when it expires, and the newest generation
//! seen of each vault file (by tag) read with it, up to `SLOTS` files, so a read answered from
//! the cache still notices a copy of the vault older than what this session saw. Reading a
//! backup copy (same id, another file) adds its own record and never moves the vault's; a file
//! with no record (all slots taken) is checked against the OS keyring instead. A key that does
//! not fit is dropped, never used.

use crate::error::{self, Result};
use crate::keystore::Source;
use crate::secret::Key;

pub use crate::settings::{ENV_TTL, LIMIT_HINT, MAX_TTL, Policy};

/// The policy from the environment. A value that is not a duration is a usage error (exit 2):
/// a typo must not silently turn the cache on for longer than meant.
pub fn policy() -> Policy {
    crate::settings::get().cache
}

/// One cached key.
pub struct Entry {
    pub key: Key,
    /// Where the key came from before it was cached.
    pub origin: Source,
    /// Unix time at which the kernel drops it.
    pub expires_at: i64,
    /// The newest generation seen of each vault file (by tag), at most `SLOTS` of them.
    pub seen: Vec<(String, u64)>,
}

const MAGIC: &[u8; 4] = b"TKC1";
/// A million writes a second for thirty years is below 2^50.
const MAX_GENERATION: u64 = 1 << 50;
const TAG_LEN: usize = 24;
/// How many vault files (the vault and its copies) one entry keeps a generation for.
pub const SLOTS: usize = 8;
const SLOT_LEN: usize = 8 + TAG_LEN;
/// magic, origin, expiry, `SLOTS` × (generation, tag; an empty one is all `-`), key.
const LEN: usize = 4 + 1 + 8 + SLOTS * SLOT_LEN + 32;

impl Entry {
    /// A new entry for `key`, recording `generation` for the file `tag`.
    pub fn new(key: Key, origin: Source, tag: &str, generation: u64) -> Entry {
        Entry { key, origin, expires_at: 0, seen: vec![(tag.to_string(), generation)] }
    }

    /// The newest generation recorded for the file `tag`, if it has a record.
    #[cfg(test)]
    pub fn generation_of(&self, tag: &str) -> Option<u64> {
        generation_of(&self.seen, tag)
    }

    /// Record `generation` for the file `tag` (never lowering a record; a new file only while a
    /// slot is free). True when something changed.
    pub fn record(&mut self, tag: &str, generation: u64) -> bool {
        let full = self.seen.len() >= SLOTS;
        match self.seen.iter_mut().find(|(t, _)| t == tag) {
            Some((_, g)) if *g >= generation => false,
            Some((_, g)) => {
                *g = generation;
                true
            }
            None if !full => {
                self.seen.push((tag.to_string(), generation));
                true
            }
            None => false,
        }
    }

    fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let mut b = zeroize::Zeroizing::new(Vec::with_capacity(LEN));
        b.extend_from_slice(MAGIC);
        b.push(match self.origin {
            Source::Keyring => 1,
            Source::Passphrase => 2,
            _ => 3,
        });
        b.extend_from_slice(&self.expires_at.to_le_bytes());
        for i in 0..SLOTS {
            let (t, g) = self.seen.get(i).map_or(("", 0), |(t, g)| (t.as_str(), *g));
            b.extend_from_slice(&g.to_le_bytes());
            let mut tag = [b'-'; TAG_LEN];
            let t = t.as_bytes();
            tag[..t.len().min(TAG_LEN)].copy_from_slice(&t[..t.len().min(TAG_LEN)]);
            b.extend_from_slice(&tag);
        }
        b.extend_from_slice(self.key.bytes());
        b
    }

    fn decode(b: &[u8]) -> Option<Entry> {
        if b.len() != LEN || &b[..4] != MAGIC {
            return None;
        }
        let origin = match b[4] {
            1 => Source::Keyring,
            2 => Source::Passphrase,
            3 => Source::EnvKey,
            _ => return None,
        };
        let expires_at = i64::from_le_bytes(b[5..13].try_into().ok()?);
        let mut seen = Vec::new();
        for slot in b[13..13 + SLOTS * SLOT_LEN].chunks(SLOT_LEN) {
            let generation = u64::from_le_bytes(slot[..8].try_into().ok()?);
            // Beyond any count of writes a vault can see: planted, to raise a rollback alarm
            // that `accept-rollback` would then carry into the vault.
            if generation > MAX_GENERATION {
                return None;
            }
            let tag = String::from_utf8(slot[8..].to_vec()).ok()?.trim_end_matches('-').to_string();
            if !tag.is_empty() && !seen.iter().any(|(t, _)| *t == tag) {
                seen.push((tag, generation));
            }
        }
        let mut k = [0u8; 32];
        k.copy_from_slice(&b[13 + SLOTS * SLOT_LEN..]);
        Some(Entry { key: Key::from_bytes(k), origin, expires_at, seen })
    }
}

/// The newest generation recorded for the file `tag` in `seen`.
pub fn generation_of(seen: &[(String, u64)], tag: &str) -> Option<u64> {
    seen.iter().find(|(t, _)| t == tag).map(|(_, g)| *g)
}

/// Whether the cache can be used here, and why not.
pub enum Availability {
    Usable(Cache),
    Off,
    Unavailable(String),
}

impl Availability {
    pub fn usable(self) -> Option<Cache> {
        match self {
            Availability::Usable(c) => Some(c),
            _ => None,
        }
    }

    /// The cache, or why `unlock` cannot fill it, as the usage error (exit 2) it is.
    pub fn required(self) -> Result<Cache> {
        match self {
            Availability::Usable(c) => Ok(c),
            Availability::Off => Err(error::usage(format!("the unlock cache is off ({ENV_TTL}=0 or off)"))
                .hint(format!("unset {ENV_TTL}, or set it to a duration such as 15m"))
                .into()),
            Availability::Unavailable(why) => {
                Err(error::usage(format!("the unlock cache is not available here: {why}"))
                    .hint("every command still works; each one unlocks the vault itself")
                    .into())
            }
        }
    }
}

/// Drop `vault_id`'s entry from this session's cache, where there is one (`key rotate`,
/// `key passphrase`, `key import`, `accept-rollback`): whoever unlocks next proves it anew.
pub fn forget(vault_id: &str) {
    if let Ok(Availability::Usable(c)) = open() {
        c.forget(vault_id);
    }
}

fn description(vault_id: &str) -> String {
    format!("tokctl:{vault_id}")
}

/// The cache of this process's login session, if it has one and the policy allows it.
pub fn open() -> Result<Availability> {
    if policy() == Policy::Off {
        return Ok(Availability::Off);
    }
    Ok(imp::session())
}

pub use imp::Cache;

#[cfg(target_os = "linux")]
mod imp {
    use linux_keyutils::{Key as KernelKey, KeyError, KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};

    use super::*;

    /// The login session's keyring.
    pub struct Cache {
        ring: KeyRing,
    }

    fn why(e: KeyError) -> String {
        match e {
            KeyError::OperationNotSupported => "this kernel has no key retention service (keyutils)".into(),
            KeyError::AccessDenied | KeyError::PermissionDenied => {
                "the session keyring refuses access (a sandbox or seccomp filter?)".into()
            }
            other => format!("the session keyring cannot be used ({other:?})"),
        }
    }

    /// Who, besides the session's own processes, may join (search), link, or re-permission
    /// (setattr, which grants the rest) a keyring with these permissions: `None` for a private one
    /// like `pam_keyinit`'s (possessor everything, user view and read).
    pub(super) fn joinable(perm: u32) -> Option<&'static str> {
        let opens = (Permission::SEARCH | Permission::LINK | Permission::SETATTR).bits() as u32;
        [(16, "every process of yours"), (8, "your group"), (0, "every user")]
            .into_iter()
            .find(|(shift, _)| (perm >> shift) & opens != 0)
            .map(|(_, who)| who)
    }

    pub fn session() -> Availability {
        let ring = match KeyRing::from_special_id(KeyRingIdentifier::Session, false) {
            Ok(r) => r,
            Err(e) => return Availability::Unavailable(why(e)),
        };
        let meta = match ring.metadata() {
            Ok(m) => m,
            Err(e) => return Availability::Unavailable(why(e)),
        };
        let uid = rustix::process::getuid().as_raw();
        if meta.get_description().starts_with("_uid_ses.") {
            return Availability::Unavailable(
                "no login session: this process has only the per-user session keyring, which every \
                 process of yours shares (containers, CI jobs, cron and plain `su` run like this; \
                 `keyctl session -` starts one)"
                    .into(),
            );
        }
        if let Some(who) = joinable(meta.get_perms().bits()) {
            return Availability::Unavailable(format!(
                "the session keyring '{}' lets {who} join or link it (permissions {:08x}), so another login \
                 session could read a key cached there (`keyctl session NAME` and some container runtimes \
                 make such keyrings); `keyctl setperm @s 0x3f030000` makes it private, as `pam_keyinit` does",
                crate::text::escape(meta.get_description()),
                meta.get_perms().bits()
            ));
        }
        if meta.get_uid() != uid {
            return Availability::Unavailable(format!(
                "the session keyring belongs to user {} (a `su` without a login?)",
                meta.get_uid()
            ));
        }
        Availability::Usable(Cache { ring })
    }

    impl Cache {
        fn find(&self, vault_id: &str) -> Option<KernelKey> {
            self.ring.search(&description(vault_id)).ok()
        }

        /// The entry for this vault, when there is one that has not expired.
        pub fn load(&self, vault_id: &str) -> Option<Entry> {
            let k = self.find(vault_id)?;
            let mut buf = zeroize::Zeroizing::new([0u8; LEN + 1]);
            let n = k.read(&mut *buf).ok()?;
            let e = Entry::decode(&buf[..n.min(buf.len())]);
            match e {
                Some(e) if e.expires_at > crate::when::now() => Some(e),
                _ => {
                    // Unreadable or past its time (a clock that jumped): never used.
                    let _ = k.invalidate();
                    None
                }
            }
        }

        /// Cache `entry` for `ttl` seconds from now, keeping what an entry it replaces recorded
        /// of other files.
        pub fn store(&self, vault_id: &str, mut entry: Entry, ttl: u64) -> Result<()> {
            let ttl = ttl.min(MAX_TTL);
            if let Some(old) = self.load(vault_id) {
                for (t, g) in &old.seen {
                    entry.record(t, *g);
                }
            }
            entry.expires_at = crate::when::now() + ttl as i64;
            self.put(vault_id, &entry, ttl).map_err(|e| failed(vault_id, e))
        }

        /// Put a new kernel key in the session keyring. It is made in this thread's own keyring,
        /// which nothing else can reach, given its permissions (possessors only) and its timeout,
        /// and only then linked into the session keyring, where it displaces whatever had its
        /// name. So the payload never goes into a key someone else made (`add_key` would update
        /// one in place, keeping its owner's permissions and no timeout).
        fn put(&self, vault_id: &str, entry: &Entry, ttl: u64) -> std::result::Result<(), KeyError> {
            let staging = KeyRing::from_special_id(KeyRingIdentifier::Thread, true)?;
            let bytes = entry.encode();
            let k = staging.add_key(&description(vault_id), &bytes[..])?;
            let base =
                || Permission::VIEW | Permission::READ | Permission::WRITE | Permission::SEARCH | Permission::SETATTR;
            let linked = k
                .set_perms(KeyPermissionsBuilder::builder().posessor(base() | Permission::LINK).build())
                .and_then(|_| k.set_timeout(ttl.max(1) as usize))
                .and_then(|_| self.ring.link_key(k))
                .and_then(|_| k.set_perms(KeyPermissionsBuilder::builder().posessor(base()).build()));
            let _ = staging.unlink_key(k);
            if linked.is_err() {
                let _ = k.invalidate();
            }
            linked
        }

        /// Raise the recorded generation of the file `tag` (after a write, or a check that saw a
        /// newer one), in a new key with the same expiry; the other files' records stay. Two
        /// commands raising at once may leave the lower of their values: that weakens the
        /// check, it never raises an alarm.
        pub fn raise(&self, vault_id: &str, tag: &str, generation: u64) {
            if let Some(mut e) = self.load(vault_id)
                && e.record(tag, generation)
            {
                let left = e.expires_at - crate::when::now();
                if left > 0 {
                    let _ = self.put(vault_id, &e, left as u64);
                }
            }
        }

        /// Drop this vault's entry; true when there was one.
        pub fn forget(&self, vault_id: &str) -> bool {
            self.find(vault_id).is_some_and(|k| k.invalidate().is_ok())
        }

        /// Drop every tokctl entry of this session; how many there were.
        pub fn forget_all(&self) -> usize {
            let Ok(links) = self.ring.get_links(4096) else { return 0 };
            let mut n = 0;
            for k in links.iter().filter_map(|l| l.as_key()) {
                if k.metadata().is_ok_and(|m| m.get_description().starts_with("tokctl:")) && k.invalidate().is_ok() {
                    n += 1;
                }
            }
            n
        }
    }

    fn failed(vault_id: &str, e: KeyError) -> anyhow::Error {
        anyhow::anyhow!("cannot cache the key of vault {vault_id} in the session keyring: {e:?}")
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    pub struct Cache;

    pub fn session() -> Availability {
        Availability::Unavailable("it needs the Linux kernel's key retention service".into())
    }

    impl Cache {
        pub fn load(&self, _: &str) -> Option<Entry> {
            None
        }
        pub fn store(&self, _: &str, _: Entry, _: u64) -> Result<()> {
            Ok(())
        }
        pub fn raise(&self, _: &str, _: &str, _: u64) {}
        pub fn forget(&self, _: &str) -> bool {
            false
        }
        pub fn forget_all(&self) -> usize {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_keeps_its_own_record_and_a_full_entry_adds_none() {
        let mut e = Entry::new(Key::random(), Source::Keyring, "vault", 5);
        assert!(!e.record("vault", 4), "never lowered");
        assert!(e.record("copy", 2), "a copy gets a record of its own");
        assert_eq!((e.generation_of("vault"), e.generation_of("copy")), (Some(5), Some(2)));
        for i in 0..SLOTS * 2 {
            e.record(&format!("c{i}"), 1);
        }
        assert_eq!(e.seen.len(), SLOTS);
        assert_eq!(e.generation_of("vault"), Some(5), "no file's record is pushed out by others");
        assert_eq!(e.generation_of(&format!("c{}", SLOTS * 2 - 1)), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn only_a_private_session_keyring_is_used() {
        use imp::joinable;
        // pam_keyinit's, and one that shows its keys to the user without opening them.
        assert_eq!(joinable(0x3f03_0000), None);
        assert_eq!(joinable(0x3f01_0101), None);
        // `keyctl session NAME` (link), a joinable one (search), one the user may re-permission.
        assert_eq!(joinable(0x3f13_0000), Some("every process of yours"));
        assert_eq!(joinable(0x3f0b_0000), Some("every process of yours"));
        assert_eq!(joinable(0x3f23_0000), Some("every process of yours"));
        assert_eq!(joinable(0x3f03_0800), Some("your group"));
        assert_eq!(joinable(0x3f03_0010), Some("every user"));
        // The per-user session keyring grants the user everything.
        assert_eq!(joinable(0x1f3f_0000), Some("every process of yours"));
    }

    #[test]
    fn an_entry_reads_back_and_garbage_does_not() {
        let mut e = Entry::new(Key::random(), Source::Keyring, "0123456789abcdef01234567", 42);
        e.expires_at = 1_900_000_000;
        assert!(e.record("backup", 7));
        let b = e.encode();
        let d = Entry::decode(&b).unwrap();
        assert_eq!(d.key.bytes(), e.key.bytes());
        assert_eq!((d.origin, d.expires_at), (Source::Keyring, 1_900_000_000));
        assert_eq!(d.seen, e.seen);
        assert_eq!((d.generation_of("0123456789abcdef01234567"), d.generation_of("backup")), (Some(42), Some(7)));
        assert!(Entry::decode(&b[..LEN - 1]).is_none());
        let mut bad = b.to_vec();
        bad[0] = b'X';
        assert!(Entry::decode(&bad).is_none());
    }
}
