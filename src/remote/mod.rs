//! A remote store: OpenBao or HashiCorp Vault, KV version 2 (docs/FORMAT.md, "Remote stores").
//!
//! A vault location `openbao+https://HOST:PORT/MOUNT/PREFIX` (or `vault+https://…`, `+http://`
//! to a loopback address only) names one KV v2 secret per token at `MOUNT/PREFIX/NAME`. Its data
//! holds `token` beside the record's fields and is the truth; `custom_metadata` mirrors env,
//! scopes, status and expiry for people and policy tools. Every write is a check-and-set on the
//! version read, so two writers never silently overwrite each other.

pub mod http;
mod layout;
mod location;
mod store;

pub use location::{Location, is_url};
pub use store::{Entry, Lost, Store, Unfinished, Version, bad_answer, distinct_ids};
