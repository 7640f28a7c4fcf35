//! How a new vault's key is made and kept: `TOKCTL_VAULT_KEY` when it is set, else a random key;
//! stored in the OS keyring when one is usable; with a passphrase slot when `TOKCTL_PASSPHRASE`
//! is set, or, when no keyring keeps the key and no key is in the environment, with a passphrase
//! asked of a person (and refused when no one can be asked). Touches no file.

use std::path::Path;

use super::opened::{Opened, Sealed};
use crate::error::{self, Result};
use crate::keystore::{self, ENV_KEY, ENV_PASS};
use crate::secret::Key;
use crate::text::Shown;
use crate::unlock::{Source, Sources, Unlocked};
use crate::vault::{Header, Payload, Slot, VaultKind};

/// A vault that does not exist yet, ready to be sealed.
pub(super) struct Fresh {
    pub opened: Opened,
    /// How its key is kept, in words (the `vault-created` event and the note to the user).
    pub how: String,
    /// Whether its key went into the keyring (to delete it again should the vault not be made).
    pub in_keyring: bool,
    /// The key and passphrase, for the rest of the command.
    pub unlocked: Unlocked,
}

/// Key and header for a new vault at `path`, protected as the sources allow.
pub(super) fn fresh(path: &Path, sources: &Sources) -> Result<Fresh> {
    let label = keystore::label(path);
    let env_key = sources.env_key.clone();
    let key = env_key.clone().unwrap_or_else(Key::random);
    let mut header = Header::new(VaultKind::Personal, &key);
    let stored = keystore::save(&header.vault_id, &label, &key);
    let mut pass = sources.env_passphrase.clone();
    if let (Err(miss), None, None) = (&stored, &env_key, &pass) {
        if !sources.person.can_ask() {
            return Err(error::locked(format!("cannot create a vault at {}: {miss}", path.shown()))
                .hint(format!(
                    "without a usable keyring a vault needs a passphrase: set {ENV_PASS} (or run on a terminal),\n\
                     or set {ENV_KEY} to a key from `tokctl key export`"
                ))
                .into());
        }
        pass = Some(
            sources.person.new_passphrase(&format!("{miss}; protecting the new vault with a passphrase instead"))?,
        );
    }
    if let Some(p) = &pass {
        keystore::check_passphrase(p)?;
        header.passphrase = Some(Slot::new(&header.vault_id, &key, p.as_bytes()));
    }
    let how = match (&stored, &env_key, &pass) {
        (Ok(()), _, Some(_)) => format!("key in the {} and a passphrase", keystore::backend_name()),
        (Ok(()), _, None) => format!("key in the {}", keystore::backend_name()),
        (Err(_), Some(_), _) => format!("key from {ENV_KEY}; no keyring copy"),
        (Err(_), None, _) => "protected by your passphrase".into(),
    };
    let source = if env_key.is_some() { Source::EnvKey } else { Source::New };
    let unlocked = Unlocked::new(key.clone(), source, pass);
    let opened = Opened::file(path.to_path_buf(), Payload::default(), Sealed::new(header, key, source, None));
    Ok(Fresh { opened, how, in_keyring: stored.is_ok(), unlocked })
}
