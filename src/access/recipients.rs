//! A recipient bundle as a store: an age file opened with an age identity from the settings,
//! read-only. No vault key, no cache, no generations, no log: every write is refused, naming the
//! command that re-seals it from the vault it came from.

use std::path::{Path, PathBuf};

use super::opened::Opened;
pub(super) use super::opened::read_only;
use crate::error::Result;
use crate::fsio;

/// Whether the file at `path` is a recipient bundle (an age file). A file that cannot be read
/// is not: the vault-file path reports that.
pub(super) fn is_one(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; crate::recipients::AGE_MAGIC.len()];
    std::fs::File::open(path).and_then(|mut f| f.read_exact(&mut head)).is_ok() && crate::recipients::is_age(&head)
}

/// One command's way into one recipient bundle.
pub struct RecipientBundle {
    pub path: PathBuf,
}

impl RecipientBundle {
    /// Decrypt with the identity the settings name; keep only `only` when given.
    pub(super) fn read(&self, only: Option<&[&str]>) -> Result<Opened> {
        let bytes = fsio::read_opt(&self.path, fsio::MAX_VAULT)?.ok_or_else(|| super::file::no_vault(&self.path))?;
        let ids = crate::recipients::identities(&self.path)?;
        let mut payload = crate::recipients::open(&self.path, &bytes, &ids)?;
        if let Some(names) = only
            && names.iter().all(|n| payload.records.iter().any(|r| r.name == *n))
        {
            payload.records.retain(|r| names.contains(&r.name.as_str()));
        }
        Ok(Opened::recipients(self.path.clone(), payload))
    }
}
