//! A remote store (OpenBao/Vault KV v2) behind the same read/write surface as a vault file. The
//! server holds the records and its own authentication protects them: there is no vault key, no
//! envelope, no lock and no unlock cache. A write reads the store, changes the records and
//! writes back with check-and-set; a lost race is run once more on fresh data, then is exit 7.

use std::path::PathBuf;

use super::opened::Opened;
use crate::error::{self, Result};
use crate::remote::{self, Entry, Location, Lost, Store};
use crate::vault::Payload;

/// One command's way into one remote store.
pub struct Server {
    /// The store's URL as given.
    pub path: PathBuf,
    pub store: Store,
}

impl Server {
    pub(super) fn new(path: PathBuf, loc: Location) -> Result<Server> {
        Ok(Server { path, store: Store::new(loc)? })
    }

    /// The records of the store (only `only`, when given), and the entries they came from.
    pub(super) fn open(&self, only: Option<&[&str]>) -> Result<(Opened, Vec<Entry>)> {
        let mut entries = match only {
            Some(names) => {
                let mut v = Vec::new();
                for n in names {
                    crate::vault::check_name(n)?;
                    match self.store.read(n)? {
                        Some(e) if !e.leftover => v.push(e),
                        // Missing: every record, so the error (and its suggestion) is the same.
                        _ => return self.open(None),
                    }
                }
                v
            }
            None => self.store.read_all()?,
        };
        remote::distinct_ids(&mut entries);
        let records = entries.iter().filter(|e| !e.leftover).map(|e| e.record.clone()).collect();
        // A remote store keeps no log here: its log key is never used.
        let payload = Payload { records, log_key: [0; 32], retired_log_keys: Vec::new(), bundles: Vec::new() };
        Ok((Opened::remote(self.path.clone(), payload), entries))
    }

    /// Read the store, run `f`, and write what changed with check-and-set; a lost race is run
    /// once more on fresh data, then is exit 7.
    pub(super) fn write<T>(&self, mut f: impl FnMut(&mut Opened) -> Result<T>) -> Result<T> {
        for attempt in 0..2 {
            let (mut op, before) = self.open(None)?;
            let out = f(&mut op)?;
            match self.store.commit(&before, &op.payload) {
                Err(e) if attempt == 0 && e.downcast_ref::<Lost>().is_some() => continue,
                Err(e) => {
                    if let Some(u) = e.downcast_ref::<remote::Unfinished>() {
                        return Err(u.explain(&self.store.loc));
                    }
                    return Err(match e.downcast_ref::<Lost>() {
                        Some(lost) => error::conflict(lost.to_string())
                            .hint("another client wrote it at the same time; run the command again on the new data")
                            .into(),
                        None => e,
                    });
                }
                Ok(()) => return Ok(out),
            }
        }
        unreachable!("the second attempt returns")
    }
}
