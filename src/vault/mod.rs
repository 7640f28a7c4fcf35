//! The vault: token records, the envelope they are sealed in on disk, and the rules for names.
//! No I/O, no terminal: callers hand in bytes and get bytes back.
//!
//! A vault file is a small plain-text TOML header bound as associated data to one
//! XChaCha20-Poly1305 ciphertext of every record (postcard-encoded, so a 10,000-token vault opens
//! in milliseconds). `docs/FORMAT.md` specifies the bytes.

mod envelope;
mod names;
mod record;

pub use envelope::{CIPHER, Envelope, FORMAT, Header, Slot, VERSION, VaultKind, seal};
pub use names::{
    Family, REFUSED, SECRET_LIKE, check_env, check_injectable, check_name, check_prefix, check_scope, default_env,
    refused_by, refused_table, scope_set, secret_like,
};
pub use record::{Kind, Meta, Payload, Record, Status, new_id};
