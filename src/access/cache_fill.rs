//! What an open leaves in the unlock cache: a key that came from the OS keyring (or, when the user
//! set `TOKCTL_CACHE_TTL`, from a passphrase) is kept for the policy's time; for a key that came
//! from the cache, the generation it recorded for this file is raised when there is something
//! new to record. A bundle is never cached. Best effort: a cache that fails only costs the next
//! command an unlock.

use crate::cache::{self, Cache};
use crate::unlock::Source;
use crate::vault::VaultKind;

use super::opened::Opened;

/// Fill `c` after `op` was opened and checked against `generation`, the newest one seen.
pub(super) fn fill(c: &Cache, op: &Opened, generation: u64) {
    let Some(s) = op.file_parts() else { return };
    if s.header.kind == VaultKind::Bundle {
        return;
    }
    let tag = s.tag(&op.path);
    let ttl = match (s.source, cache::policy()) {
        (Source::Cache, _) => {
            // Only when there is something new to record: a read costs no keyring write.
            if s.cached.as_ref().and_then(|k| k.generation_of(tag)).is_none_or(|g| g < generation) {
                c.raise(&s.header.vault_id, tag, generation);
            }
            return;
        }
        (Source::Keyring, cache::Policy::Ttl { secs, .. }) => secs,
        (Source::Passphrase, cache::Policy::Ttl { secs, explicit: true }) => secs,
        _ => return,
    };
    let entry = cache::Entry::new(s.key.clone(), s.source, tag, generation);
    let _ = c.store(&s.header.vault_id, entry, ttl);
}
