//! Token names for shell completion: offered only when the vault opens without a prompt (from
//! `TOKCTL_VAULT_KEY` or the OS keyring, given up after 2 s); otherwise silently nothing.

use clap_complete::engine::CompletionCandidate;

use crate::keystore;
use crate::vault::Envelope;

const KEYRING_WAIT_SECS: u64 = 2;

pub fn token_names() -> Vec<CompletionCandidate> {
    names().unwrap_or_default().into_iter().map(CompletionCandidate::new).collect()
}

fn names() -> Option<Vec<String>> {
    let path = match std::env::var_os("TOKCTL_VAULT").filter(|v| !v.is_empty()) {
        Some(p) => p.into(),
        None => crate::access::default_vault_path().ok()?,
    };
    let env = Envelope::parse(&std::fs::read(path).ok()?).ok()?;
    let key = match keystore::env_key().ok()? {
        Some(k) => k,
        None => keystore::load_within(&env.header.vault_id, KEYRING_WAIT_SECS).ok()?.ok()?,
    };
    let payload = env.open(&key).ok()?;
    Some(payload.records.iter().filter(|r| r.revoked_at.is_none()).map(|r| r.name.clone()).collect())
}
