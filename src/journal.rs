//! The vault's history: an encrypted, append-only, chained event log beside the vault
//! (`<vault>.log`). The format is in docs/FORMAT.md.
//!
//! Each line is one event sealed on its own (fresh nonce), so a use (`get`, `exec`…) costs one
//! small append instead of a rewrite of the vault. Each event carries its sequence number and a
//! hash of the line before it, so a deleted, reordered, replayed or inserted line is seen as a
//! break in the chain; and the newest vault generation any writer or reader saw, so a vault file
//! replaced by an older copy of itself is recognised (`access`). Lines from before the chain
//! (format 1) read as legacy. Appends take a short lock of their own (`<vault>.log.lock`), never
//! the writers' lock, so readers never wait for writers. Uses are also where `last_used_at` comes
//! from. The log is bounded: when it grows past `MAX_BYTES`, the next write keeps the newest
//! `KEEP` events, re-chained after a `log-compacted` event.
//!
//! A key rotation gives the log a new key (kept in the vault's payload, with the ones it
//! replaced): the chain carries on under the new key, and a line sealed with a retired key is
//! valid only before the first line of a newer key and below the sequence number the rotation
//! recorded. So someone holding a rotated-out vault key reads no later event and appends none
//! that counts.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::crypto::{self, NONCE_LEN};
use crate::error::Result;
use crate::fsio;
use crate::secret::Key;

pub const MAX_BYTES: u64 = 1024 * 1024;
pub const KEEP: usize = 2000;
/// How much of the log's end is read to find the newest event before falling back to all of it.
const TAIL: u64 = 64 * 1024;
/// What is read first: enough for the newest line whenever it is readable (`head_of`).
const SHORT_TAIL: u64 = 4 * 1024;

/// Declares `Action` from one list of `Variant = "name"`: the enum, its names, and `KNOWN`.
macro_rules! actions {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal,)*) => {
        /// What an event records. On disk it is its name (a postcard string), exactly as
        /// docs/FORMAT.md lists them; a name this tokctl does not know (written by a newer one)
        /// reads as `Other`: shown as it is, and never taken for any known action.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Action {
            $($(#[doc = $doc])* $variant,)*
            /// A name this tokctl does not know: kept, shown and written back as it is.
            Other(Unknown),
        }

        impl Action {
            /// Every action this tokctl writes, in the order docs/FORMAT.md lists them.
            #[cfg(test)]
            pub const KNOWN: &[Action] = &[$(Action::$variant),*];

            /// The name written to the log.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Action::$variant => $name,)*
                    Action::Other(u) => &u.0,
                }
            }

            /// The action a name stands for; `Other` for a name this tokctl does not know.
            pub fn from_name(name: &str) -> Action {
                match name {
                    $($name => Action::$variant,)*
                    _ => Action::Other(Unknown(name.to_string())),
                }
            }
        }
    };
}

actions! {
    /// The write that made the vault; detail: how its key is kept.
    VaultCreated = "vault-created",
    Created = "created",
    Imported = "imported",
    /// A token copied in from another vault (`copy --to`).
    Copied = "copied",
    Updated = "updated",
    Regenerated = "regenerated",
    /// A new secret stored by `import --replace`.
    Replaced = "replaced",
    Revoked = "revoked",
    Deleted = "deleted",
    Used = "used",
    /// git said the secret was rejected (`credential git erase`); detail: where.
    Rejected = "rejected",
    /// A token's provider was asked about it (`inspect`); detail: what it said.
    Inspected = "inspected",
    /// A rotation at the provider was started (the pending mark); detail: the provider.
    RotationStarted = "rotation-started",
    /// A rotation at the provider ended without a new secret; detail: why, and whether the mark stays.
    RotationFailed = "rotation-failed",
    /// The provider was asked to revoke a token and could not be; detail: why.
    ProviderRevokeFailed = "provider-revoke-failed",
    KeyRotated = "key-rotated",
    PassphraseAdded = "passphrase-added",
    PassphraseChanged = "passphrase-changed",
    RollbackAccepted = "rollback-accepted",
    LogCompacted = "log-compacted",
    /// A write that logged nothing else.
    Written = "written",
}

/// An action name this tokctl does not know. Only reading a log makes one, so no code can
/// spell a known action as an unknown one by a typo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown(String);

impl std::fmt::Display for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Action {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Action {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_str(ActionName)
    }
}

/// Reads an action's name without copying it (only an unknown one is kept).
struct ActionName;

impl serde::de::Visitor<'_> for ActionName {
    type Value = Action;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an action name")
    }
    fn visit_str<E: serde::de::Error>(self, name: &str) -> std::result::Result<Action, E> {
        Ok(Action::from_name(name))
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Event {
    pub time: i64,
    pub action: Action,
    pub token: String,
    pub token_id: String,
    pub detail: String,
}

impl Event {
    pub fn new(time: i64, action: Action, token: &str, token_id: &str, detail: impl Into<String>) -> Event {
        Event { time, action, token: token.into(), token_id: token_id.into(), detail: detail.into() }
    }
    pub fn is_use(&self) -> bool {
        self.action == Action::Used
    }
}

/// A format-2 line's plaintext: the event and its place in the chain.
#[derive(Serialize, Deserialize)]
struct Link {
    seq: u64,
    /// The first 16 bytes of SHA-256 over the previous line's text; zeros for the first line.
    prev: [u8; 16],
    /// The newest vault generation seen by anyone who wrote to this log so far.
    generation: u64,
    event: Event,
}

/// The keys a log is read with: the current one, which seals every new line, and those earlier
/// key rotations retired, oldest first, each with the sequence number its lines stay below.
pub struct LogKeys {
    pub current: Key,
    pub retired: Vec<(Key, u64)>,
}

impl LogKeys {
    /// Only `key`: a log that was never re-keyed.
    #[cfg(test)]
    pub fn one(key: Key) -> LogKeys {
        LogKeys { current: key, retired: Vec::new() }
    }

    /// The current key's epoch: later than every retired key's.
    fn newest(&self) -> usize {
        self.retired.len()
    }
}

/// How an event stands in the chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chain {
    /// A line from before the chain (format 1): not protected.
    Legacy,
    Linked,
    /// It does not follow the line before it: something was deleted, reordered or replayed.
    Broken(String),
}

pub struct Entry {
    pub event: Event,
    pub chain: Chain,
    /// Sealed with a log key a rotation had retired by then: written by someone holding an old
    /// vault key, never by this vault's writers. Marked as a break, and dropped by compaction.
    pub stale_key: bool,
    /// The newest vault generation seen when this event was written (0 for legacy lines).
    pub generation: u64,
}

/// What a whole read of the log found.
#[derive(Default)]
pub struct Report {
    pub entries: Vec<Entry>,
    /// Non-empty lines that do not open: a line torn by a crash mid-append, or inserted bytes.
    pub unreadable: usize,
    pub legacy: usize,
    pub breaks: usize,
    pub head: Option<Head>,
}

/// The newest readable line: where the next append links to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Head {
    pub seq: Option<u64>,
    pub hash: [u8; 16],
    pub generation: u64,
}

pub fn path(vault: &Path) -> PathBuf {
    fsio::sibling(vault, ".log")
}

fn lock_path(vault: &Path) -> PathBuf {
    fsio::sibling(vault, ".log.lock")
}

fn ad_v1(vault_id: &str) -> Vec<u8> {
    [b"tokctl log\0".as_slice(), vault_id.as_bytes()].concat()
}

fn ad_v2(vault_id: &str) -> Vec<u8> {
    [b"tokctl log v2\0".as_slice(), vault_id.as_bytes()].concat()
}

fn line_hash(line: &str) -> [u8; 16] {
    let h = crypto::sha256(line.as_bytes());
    h[..16].try_into().expect("16 of 32 bytes")
}

/// One line, decoded.
enum Line {
    V1(Event),
    V2(Link),
}

fn open_with(key: &Key, vault_id: &str, nonce: &[u8], sealed: &[u8]) -> Option<Line> {
    if let Some(plain) = crypto::open(key, nonce, &ad_v2(vault_id), sealed) {
        return postcard::from_bytes(&plain).ok().map(Line::V2);
    }
    let plain = crypto::open(key, nonce, &ad_v1(vault_id), sealed)?;
    postcard::from_bytes(&plain).ok().map(Line::V1)
}

/// The line, and the epoch of the key that opened it (`LogKeys::newest` for the current one).
fn open_line(keys: &LogKeys, vault_id: &str, line: &str) -> Option<(Line, usize)> {
    let raw = crypto::unb64(line)?;
    if raw.len() < NONCE_LEN {
        return None;
    }
    let (nonce, sealed) = raw.split_at(NONCE_LEN);
    if let Some(l) = open_with(&keys.current, vault_id, nonce, sealed) {
        return Some((l, keys.newest()));
    }
    keys.retired.iter().enumerate().rev().find_map(|(i, (k, _))| open_with(k, vault_id, nonce, sealed).map(|l| (l, i)))
}

/// Whether a line sealed with the retired key of `epoch` may stand where it is: below the
/// sequence number the rotation recorded, and before any line of a newer key (`newest_seen`).
fn within_epoch(keys: &LogKeys, epoch: usize, line: &Line, newest_seen: Option<usize>) -> bool {
    let Some((_, before_seq)) = keys.retired.get(epoch) else { return true };
    let below = match line {
        Line::V2(l) => l.seq < *before_seq,
        Line::V1(_) => true,
    };
    below && newest_seen.is_none_or(|n| n <= epoch)
}

/// Seal `events` as lines linked after `head`; returns the text and the new head.
fn encode(key: &Key, vault_id: &str, mut head: Head, generation: u64, events: Vec<Event>) -> (String, Head) {
    let ad = ad_v2(vault_id);
    let mut out = String::new();
    for event in events {
        let seq = head.seq.map_or(0, |s| s + 1);
        let link = Link { seq, prev: head.hash, generation: head.generation.max(generation), event };
        let nonce = crypto::random_bytes::<NONCE_LEN>();
        let mut sealed = nonce.to_vec();
        sealed.extend(crypto::seal(key, &nonce, &ad, &postcard::to_stdvec(&link).expect("event serialises")));
        let line = crypto::b64(&sealed);
        head = Head { seq: Some(seq), hash: line_hash(&line), generation: link.generation };
        out.push_str(&line);
        out.push('\n');
    }
    (out, head)
}

/// The log's own short lock, held while lines are appended or the log is rewritten.
pub struct LogLock {
    _file: File,
}

/// Take the log's lock; `None` where it cannot be had (a read-only bundle, a full disk).
pub fn lock(vault: &Path) -> Option<LogLock> {
    let f = fsio::open_beside(&lock_path(vault), false).ok()?;
    f.lock().ok()?;
    Some(LogLock { _file: f })
}

/// Append events after the newest line, under the log's own short lock. Best effort: a
/// read-only bundle or a full disk must not fail the command. `generation` is the vault
/// generation the caller saw. `current` is asked under the lock whether the log key is still
/// the vault's (a rotation since the caller opened the vault retires it): if not, nothing is
/// appended, since a line sealed with a retired key after the rotation reads as forged.
pub fn append(
    vault: &Path,
    keys: &LogKeys,
    vault_id: &str,
    generation: u64,
    events: Vec<Event>,
    current: impl FnOnce() -> bool,
) {
    if events.is_empty() {
        return;
    }
    let Some(held) = lock(vault) else { return };
    if current() {
        append_locked(&held, vault, keys, vault_id, generation, events);
    }
}

/// `append`, with the log's lock already held (by a rotation, across its vault write).
pub fn append_locked(
    _held: &LogLock,
    vault: &Path,
    keys: &LogKeys,
    vault_id: &str,
    generation: u64,
    events: Vec<Event>,
) {
    if events.is_empty() {
        return;
    }
    let Ok(mut f) = fsio::open_beside(&path(vault), true) else { return };
    let head = head_of(&mut f, keys, vault_id).unwrap_or_default();
    // Start on a fresh line: if a crash tore the last line, ours must not be glued to it.
    // Readers skip the empty line this leaves otherwise.
    let (text, _) = encode(&keys.current, vault_id, head, generation, events);
    let _ = f.write_all(format!("\n{text}").as_bytes());
}

/// The newest readable line of an open log, reading only its end when that suffices: first its
/// last `SHORT_TAIL` bytes (a line is about 130), then its last `TAIL`, then all of it (also
/// when the newest line that opens is under a retired key, which only the whole log can judge).
fn head_of(f: &mut File, keys: &LogKeys, vault_id: &str) -> Option<Head> {
    let len = f.metadata().ok()?.len();
    let mut tail = Vec::new();
    for window in [SHORT_TAIL, TAIL] {
        let from = len.saturating_sub(window);
        f.seek(SeekFrom::Start(from)).ok()?;
        tail.clear();
        f.read_to_end(&mut tail).ok()?;
        // The first line of a partial read may be cut: it is only used when the read began at 0.
        match newest_line(&tail, from > 0, keys, vault_id) {
            Scan::Found(head) => return Some(head),
            Scan::Retired => break,
            Scan::Nothing if from == 0 => return None,
            Scan::Nothing => {}
        }
    }
    f.seek(SeekFrom::Start(0)).ok()?;
    let mut all = String::new();
    f.read_to_string(&mut all).ok()?;
    walk(&all, keys, vault_id).head
}

/// What a look from the end found.
enum Scan {
    Found(Head),
    /// The newest line that opens is under a retired key: the whole log must be walked.
    Retired,
    Nothing,
}

/// The newest line of `bytes` that opens, looking from the end: only the lines it tries are
/// decoded, not the whole text. The lines are those of `str::lines` over the lossy text (a
/// `\n` is never part of an invalid UTF-8 sequence, so decoding a line alone gives the same
/// text); with `cut`, the first one is left out.
fn newest_line(bytes: &[u8], cut: bool, keys: &LogKeys, vault_id: &str) -> Scan {
    let mut lines = bytes.split(|b| *b == b'\n');
    if cut {
        lines.next();
    }
    // Every piece but the last ended in `\n`: `str::lines` drops a `\r` before it.
    let mut ended = false;
    for raw in lines.rev() {
        let raw = if ended { raw.strip_suffix(b"\r").unwrap_or(raw) } else { raw };
        ended = true;
        let line = String::from_utf8_lossy(raw);
        match open_line(keys, vault_id, &line) {
            Some((_, epoch)) if epoch != keys.newest() => return Scan::Retired,
            Some((Line::V2(l), _)) => {
                return Scan::Found(Head { seq: Some(l.seq), hash: line_hash(&line), generation: l.generation });
            }
            Some((Line::V1(_), _)) => return Scan::Found(Head { seq: None, hash: line_hash(&line), generation: 0 }),
            None => {}
        }
    }
    Scan::Nothing
}

/// The newest line of the log beside `vault`: its generation is the newest any tokctl saw.
pub fn head(vault: &Path, keys: &LogKeys, vault_id: &str) -> Option<Head> {
    let mut f = fsio::open_beside_to_read(&path(vault)).ok()?;
    head_of(&mut f, keys, vault_id)
}

/// Every event, oldest first, each with its standing in the chain.
pub fn read(vault: &Path, keys: &LogKeys, vault_id: &str) -> Report {
    let Ok(f) = fsio::open_beside_to_read(&path(vault)) else { return Report::default() };
    let mut bytes = Vec::new();
    if f.take(fsio::MAX_VAULT).read_to_end(&mut bytes).is_err() {
        return Report::default();
    }
    walk(&String::from_utf8_lossy(&bytes), keys, vault_id)
}

fn walk(text: &str, keys: &LogKeys, vault_id: &str) -> Report {
    let mut r = Report::default();
    let mut head: Option<Head> = None;
    // The newest key epoch of a valid line so far.
    let mut newest: Option<usize> = None;
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let Some((opened, epoch)) = open_line(keys, vault_id, line) else {
            r.unreadable += 1;
            continue;
        };
        if !within_epoch(keys, epoch, &opened, newest) {
            // Forged with a retired key: shown and counted, but the chain links over it.
            r.breaks += 1;
            let event = match opened {
                Line::V1(e) => e,
                Line::V2(l) => l.event,
            };
            let why = "it is sealed with a log key that a key rotation retired before it was written".into();
            let generation = head.map_or(0, |h| h.generation);
            r.entries.push(Entry { event, chain: Chain::Broken(why), stale_key: true, generation });
            continue;
        }
        newest = newest.max(Some(epoch));
        let hash = line_hash(line);
        let (event, chain, next) = match opened {
            Line::V1(event) => {
                r.legacy += 1;
                (event, Chain::Legacy, Head { seq: None, hash, generation: head.map_or(0, |h| h.generation) })
            }
            Line::V2(l) => {
                let want_seq = head.and_then(|h| h.seq).map_or(0, |s| s + 1);
                let want_prev = head.map_or([0; 16], |h| h.hash);
                let chain = if l.prev == want_prev && l.seq == want_seq {
                    Chain::Linked
                } else if l.seq > want_seq {
                    Chain::Broken(format!("{} event(s) before it are missing", l.seq - want_seq))
                } else if l.seq < want_seq {
                    Chain::Broken("it repeats or reorders an earlier event".into())
                } else {
                    Chain::Broken("it does not follow the line before it".into())
                };
                if chain != Chain::Linked {
                    r.breaks += 1;
                }
                let generation = l.generation.max(head.map_or(0, |h| h.generation));
                (l.event, chain, Head { seq: Some(l.seq), hash, generation })
            }
        };
        head = Some(next);
        r.entries.push(Entry { event, chain, stale_key: false, generation: next.generation });
    }
    r.head = head;
    r
}

/// Rewrite the log keeping the newest `keep` events, re-chained after a `log-compacted` event
/// that says how many were dropped and whether the chain was broken. Called under the writers'
/// lock; takes the log's own lock too.
/// Every line comes out sealed with the current key; lines forged with a retired one are
/// dropped (and counted).
pub fn compact(vault: &Path, keys: &LogKeys, vault_id: &str, generation: u64, keep: usize, now: i64) -> Result<()> {
    let p = path(vault);
    if !p.exists() {
        return Ok(());
    }
    let lock = fsio::open_beside(&lock_path(vault), false)?;
    lock.lock()?;
    let mut r = read(vault, keys, vault_id);
    let forged = r.entries.iter().filter(|e| e.stale_key).count();
    r.entries.retain(|e| !e.stale_key);
    let start = r.entries.len().saturating_sub(keep);
    let mut detail = format!("{start} older events dropped");
    if r.breaks > 0 || r.unreadable > 0 {
        detail.push_str(&format!("; the chain had {} break(s) and {} unreadable line(s)", r.breaks, r.unreadable));
    }
    if forged > 0 {
        detail.push_str(&format!("; {forged} line(s) sealed with a retired log key were dropped"));
    }
    let mut events = vec![Event::new(now, Action::LogCompacted, "-", "-", detail)];
    events.extend(r.entries.into_iter().skip(start).map(|e| e.event));
    let base = Head { generation: r.head.map_or(0, |h| h.generation), ..Head::default() };
    let (text, _) = encode(&keys.current, vault_id, base, generation, events);
    fsio::atomic_write(&p, text.as_bytes())
}

pub fn oversized(vault: &Path) -> bool {
    std::fs::metadata(path(vault)).map(|m| m.len() > MAX_BYTES).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(i: u64) -> Event {
        Event::new(i as i64, Action::Used, "t", "t_1", format!("n{i}"))
    }

    fn lines(n: u64, key: &Key) -> Vec<String> {
        let (text, _) = encode(key, "v_1", Head::default(), 7, (0..n).map(ev).collect());
        text.lines().map(str::to_string).collect()
    }

    fn walk_lines(l: &[String], key: &Key) -> Report {
        walk(&l.join("\n"), &LogKeys::one(key.clone()), "v_1")
    }

    /// `Event` as tokctl wrote it before `Action`: the on-disk layout the enum must keep.
    #[derive(Serialize, Deserialize, PartialEq, Debug)]
    struct StringEvent {
        time: i64,
        action: String,
        token: String,
        token_id: String,
        detail: String,
    }

    #[test]
    fn every_action_round_trips_to_its_name() {
        let mut names = std::collections::BTreeSet::new();
        for a in Action::KNOWN {
            let name = a.as_str();
            assert!(names.insert(name), "{name} twice");
            assert_eq!(Action::from_name(name), *a);
            assert_eq!(postcard::to_stdvec(a).unwrap(), postcard::to_stdvec(name).unwrap(), "{name}");
            // An event written with the name as a string reads back as the action, and an event
            // with the action writes exactly those bytes.
            let old = StringEvent {
                time: 5,
                action: name.into(),
                token: "t".into(),
                token_id: "t_1".into(),
                detail: "d".into(),
            };
            let bytes = postcard::to_stdvec(&old).unwrap();
            let e: Event = postcard::from_bytes(&bytes).unwrap();
            assert_eq!(e.action, *a);
            assert_eq!(postcard::to_stdvec(&e).unwrap(), bytes, "{name}");
            assert_eq!(e.is_use(), name == "used");
        }
    }

    #[test]
    fn an_unknown_action_reads_as_itself_and_is_written_back_unchanged() {
        let key = Key::random();
        let keys = LogKeys::one(key.clone());
        for name in ["secret-destroyed", "Used", "used ", ""] {
            let old = StringEvent {
                time: 1,
                action: name.into(),
                token: "a".into(),
                token_id: "t_1".into(),
                detail: "".into(),
            };
            let e: Event = postcard::from_bytes(&postcard::to_stdvec(&old).unwrap()).unwrap();
            assert!(matches!(e.action, Action::Other(_)), "{name:?}");
            assert!(!Action::KNOWN.contains(&e.action) && !e.is_use(), "{name:?}");
            assert_eq!((e.action.as_str(), e.action.to_string()), (name, name.to_string()));
            // Through the log: read, and compacted (re-sealed) with its name as it was.
            let (text, _) = encode(&key, "v_1", Head::default(), 1, vec![ev(0), e.clone(), ev(2)]);
            let r = walk(&text, &keys, "v_1");
            assert_eq!((r.entries.len(), r.breaks, r.unreadable), (3, 0, 0));
            let back: Vec<StringEvent> = r
                .entries
                .iter()
                .map(|x| postcard::from_bytes(&postcard::to_stdvec(&x.event).unwrap()).unwrap())
                .collect();
            assert_eq!(back[1], old);
        }
    }

    /// The `Actions` table of docs/FORMAT.md names exactly the actions, in the enum's order.
    #[test]
    fn docs_list_exactly_the_actions() {
        let doc = include_str!("../docs/FORMAT.md");
        let table = doc.split("#### Actions\n").nth(1).expect("FORMAT.md has an Actions section");
        let documented: Vec<&str> = table
            .lines()
            .skip_while(|l| !l.starts_with("|---"))
            .skip(1)
            .take_while(|l| l.starts_with('|'))
            .map(|l| l.split('|').nth(1).unwrap().trim().trim_matches('`'))
            .collect();
        let known: Vec<&str> = Action::KNOWN.iter().map(Action::as_str).collect();
        assert_eq!(documented, known, "docs/FORMAT.md's Actions table and `Action` disagree");
    }

    #[test]
    fn after_a_rotation_the_chain_carries_on_and_a_line_sealed_with_the_retired_key_is_forged() {
        let (k1, k2) = (Key::random(), Key::random());
        let (old, head) = encode(&k1, "v_1", Head::default(), 3, (0..5).map(ev).collect());
        let (new, head2) = encode(&k2, "v_1", head, 4, (5..8).map(ev).collect());
        let keys = LogKeys { current: k2.clone(), retired: vec![(k1.clone(), 5)] };
        let log = format!("{old}{new}");
        let r = walk(&log, &keys, "v_1");
        assert_eq!((r.entries.len(), r.breaks, r.unreadable), (8, 0, 0), "one chain across the rotation");
        assert_eq!(r.head, Some(head2));
        // The old key alone reads only what was written before.
        let r = walk(&log, &LogKeys::one(k1.clone()), "v_1");
        assert_eq!((r.entries.len(), r.unreadable), (5, 3));

        // Appended with the old key after the rotation: chained to the old head, or with any
        // sequence number below the limit: both forged, and the head stays the true one.
        let (forged, _) = encode(&k1, "v_1", head, 99, vec![ev(50)]);
        let low = Head { seq: Some(1), ..head };
        let (forged_low, _) = encode(&k1, "v_1", low, 99, vec![ev(51)]);
        for f in [&forged, &forged_low] {
            let log = format!("{old}{new}{f}");
            let r = walk(&log, &keys, "v_1");
            assert_eq!((r.entries.len(), r.breaks), (9, 1), "{f}");
            assert!(r.entries[8].stale_key && matches!(r.entries[8].chain, Chain::Broken(_)));
            assert_eq!(r.head, Some(head2), "the forged line is not the head");
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(log.as_bytes()).unwrap();
            assert_eq!(head_of(&mut file, &keys, "v_1"), Some(head2));
            // A line written after it links to the true head, and reads linked.
            let (next, _) = encode(&k2, "v_1", head2, 4, vec![ev(9)]);
            let r = walk(&format!("{log}{next}"), &keys, "v_1");
            assert_eq!(r.entries.last().unwrap().chain, Chain::Linked);
        }
    }

    #[test]
    fn an_intact_chain_reads_linked_and_keeps_the_newest_generation() {
        let key = Key::random();
        let r = walk_lines(&lines(5, &key), &key);
        assert_eq!((r.entries.len(), r.breaks, r.unreadable), (5, 0, 0));
        assert!(r.entries.iter().all(|e| e.chain == Chain::Linked));
        assert_eq!(r.head.unwrap().generation, 7);
        assert_eq!(r.head.unwrap().seq, Some(4));
    }

    #[test]
    fn deleted_reordered_replayed_and_inserted_lines_are_seen() {
        let key = Key::random();
        let l = lines(5, &key);
        let mut deleted = l.clone();
        deleted.remove(2);
        assert_eq!(walk_lines(&deleted, &key).breaks, 1, "a deleted line");
        let mut swapped = l.clone();
        swapped.swap(1, 2);
        assert!(walk_lines(&swapped, &key).breaks >= 2, "reordered lines");
        let mut replayed = l.clone();
        replayed.push(l[1].clone());
        assert_eq!(walk_lines(&replayed, &key).breaks, 1, "a replayed line");
        let mut garbage = l.clone();
        garbage.insert(3, "AAAAbbbbCCCC".into());
        let r = walk_lines(&garbage, &key);
        assert_eq!((r.breaks, r.unreadable), (0, 1), "inserted bytes are counted, the chain holds");
        let other = lines(2, &Key::random());
        let mut foreign = l.clone();
        foreign.insert(2, other[1].clone());
        assert_eq!(walk_lines(&foreign, &key).unreadable, 1, "a line sealed under another key");
    }

    #[test]
    fn the_head_read_from_the_end_is_the_head_of_the_whole_log() {
        let key = Key::random();
        let l = lines(40, &key);
        // Unreadable bytes after the newest line, from none to more than the whole `TAIL`.
        for (sep, junk) in
            [("\n", 0), ("\r\n", 0), ("\n", 100), ("\r\n", SHORT_TAIL as usize + 50), ("\n", TAIL as usize + 50)]
        {
            for newline_at_end in [false, true] {
                let mut bytes = l.join(sep).into_bytes();
                if junk > 0 {
                    bytes.extend_from_slice(sep.as_bytes());
                    // Short lines, cut anywhere by the windows; invalid UTF-8 unless the
                    // whole log is read (as text: a log not UTF-8 there has no head, as before).
                    let garbage: Vec<u8> = (0..junk)
                        .map(|i| match i % 61 {
                            60 => b'\n',
                            _ if junk as u64 > TAIL => b'#',
                            _ => 0xC3 - (i % 3) as u8 * 0x40,
                        })
                        .collect();
                    bytes.extend_from_slice(&garbage);
                }
                if newline_at_end {
                    bytes.extend_from_slice(sep.as_bytes());
                }
                let keys = LogKeys::one(key.clone());
                let want = walk(&String::from_utf8_lossy(&bytes), &keys, "v_1").head;
                assert!(want.is_some());
                let mut f = tempfile::tempfile().unwrap();
                f.write_all(&bytes).unwrap();
                assert_eq!(
                    head_of(&mut f, &keys, "v_1"),
                    want,
                    "{sep:?} then {junk} bytes, newline at end: {newline_at_end}"
                );
            }
        }
    }
}
