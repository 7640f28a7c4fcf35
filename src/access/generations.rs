//! Rollback detection: a vault file that is an older copy of itself (a backup restore, a sync
//! conflict) can bring revoked tokens back, so every open compares the file's generation with
//! the newest one seen outside it: in its log, in the unlock cache's record of this file, and in
//! the OS keyring for a key that came from there. Writes remember their generation in those
//! places (`remember`). The keyring's record is read in the same exchange as the key
//! (`keystore::preload`), so the check costs no extra Secret Service round trip.

use super::opened::{Opened, Sealed};
use crate::cache::Cache;
use crate::error::{self, Result};
use crate::journal;
use crate::keystore;
use crate::text::Shown;
use crate::unlock::Source;
use crate::vault::VaultKind;

/// The newest generation of this vault file seen outside it, and where.
pub struct Seen {
    pub generation: u64,
    pub source: &'static str,
}

/// Whether an open must ask the OS keyring for this file's generation. `origin` is where the key
/// that fits the vault came from first (`None`: no key yet, so it may well come from the
/// keyring). Reads answered from the cache use the generation it recorded for this file; writes
/// ask the keyring too, since they move the record forward, and so does a read of a file the
/// cache has no record of (`cache_records`, asked only then: it canonicalizes the path).
pub(super) fn asks_keyring(
    origin: Option<Source>,
    from_cache: bool,
    writing: bool,
    cache_records: impl FnOnce() -> bool,
) -> bool {
    match origin {
        Some(Source::Keyring) if from_cache => writing || !cache_records(),
        Some(Source::Keyring) | None => true,
        Some(_) => false,
    }
}

/// The newest generation recorded for this file: in its log (the chain carries the newest
/// generation any writer or reader saw) and, when the key came from the OS keyring, there too
/// (so a vault and its log rolled back together are still caught). A bundle keeps no history;
/// a remote store has no generation at all.
pub fn newest_seen(op: &Opened) -> Result<Seen> {
    newest_seen_with(op, op.sealed()?, false)
}

/// The keyring is asked when the key came from it, and for a write with a key the cache got from
/// it; a read answered from the cache uses the generation the cache recorded for this file, or
/// asks the keyring when the cache has no record of this file (a copy read once all its slots
/// were taken).
pub(super) fn newest_seen_with(op: &Opened, s: &Sealed, writing: bool) -> Result<Seen> {
    let mut seen = Seen { generation: 0, source: "nowhere" };
    if s.header.kind == VaultKind::Bundle {
        return Ok(seen);
    }
    if let Some(h) = journal::head(&op.path, &op.payload.log_keys(), &s.header.vault_id) {
        seen = Seen { generation: h.generation, source: "its log" };
    }
    let tag = s.tag(&op.path);
    let from_keyring = || keystore::load_generation(&s.header.vault_id, tag);
    let recorded = s.cached.as_ref().and_then(|c| c.generation_of(tag));
    if let Some(g) = recorded
        && g > seen.generation
    {
        seen = Seen { generation: g, source: "the unlock cache" };
    }
    let ask = s.origin() == Source::Keyring && (s.source == Source::Keyring || writing || recorded.is_none());
    if ask
        && let Ok(Some(g)) = from_keyring()
        && g > seen.generation
    {
        seen = Seen { generation: g, source: "the OS keyring" };
    }
    Ok(seen)
}

pub(super) fn rolled_back(op: &Opened, s: &Sealed, seen: &Seen) -> anyhow::Error {
    error::damaged(format!(
        "the vault at {} is an older copy of itself: it is at generation {}, but generation {} was seen ({})",
        op.path.shown(),
        s.generation(),
        seen.generation,
        seen.source
    ))
    .hint(
        "a backup restore or a sync conflict does this, and it can bring revoked tokens back; the file was left untouched
         restore the newer file, or keep this one on purpose with `tokctl accept-rollback`",
    )
    .into()
}

/// After a write, remember its generation in the OS keyring too (for a keyring vault), outside
/// the lock: best effort, a keyring that fails only weakens detection of a later rollback.
pub(super) fn remember(op: &Opened, cache: Option<&Cache>) {
    let Some(s) = op.file_parts() else { return };
    if s.header.kind == VaultKind::Bundle {
        return;
    }
    let tag = s.tag(&op.path);
    if s.origin() == Source::Keyring {
        let _ = keystore::save_generation(&s.header.vault_id, tag, s.generation());
    }
    if let Some(c) = cache {
        c.raise(&s.header.vault_id, tag, s.generation());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_from_the_keyring_or_none_yet_asks_the_keyring() {
        for (from_cache, writing, records) in [(false, false, false), (true, true, true), (true, false, true)] {
            assert!(asks_keyring(None, from_cache, writing, || records));
            assert!(asks_keyring(Some(Source::Keyring), false, writing, || records));
        }
    }

    #[test]
    fn a_cached_keyring_key_asks_only_to_write_or_for_a_file_the_cache_does_not_know() {
        assert!(!asks_keyring(Some(Source::Keyring), true, false, || true));
        assert!(asks_keyring(Some(Source::Keyring), true, true, || true));
        assert!(asks_keyring(Some(Source::Keyring), true, false, || false));
    }

    #[test]
    fn keys_that_never_came_from_the_keyring_never_ask_it() {
        for src in [Source::EnvKey, Source::Passphrase, Source::New, Source::Cache] {
            for writing in [false, true] {
                assert!(!asks_keyring(Some(src), true, writing, || false));
                assert!(!asks_keyring(Some(src), false, writing, || false));
            }
        }
    }

    #[test]
    fn the_cache_record_is_looked_at_only_for_a_cached_keyring_key_read() {
        let never = || -> bool { panic!("the cache's record was looked at") };
        assert!(asks_keyring(None, false, false, never));
        assert!(asks_keyring(Some(Source::Keyring), false, false, never));
        assert!(asks_keyring(Some(Source::Keyring), true, true, never));
        assert!(!asks_keyring(Some(Source::Passphrase), true, false, never));
    }
}
