//! The vault: token records, the envelope they are sealed in on disk, and the rules for names.
//! No I/O, no terminal: callers hand in bytes and get bytes back.
//!
//! A vault file is a small plain-text TOML header bound as associated data to one
//! XChaCha20-Poly1305 ciphertext of every record (postcard-encoded, so a 10,000-token vault opens
//! in milliseconds). `docs/FORMAT.md` specifies the bytes.

mod bundles;
mod envelope;
mod hosts;
mod issuer;
mod names;
mod payload;
mod record;

pub use bundles::{Bundle, Change, SealedTo};
pub(crate) use envelope::VERSION;
pub use envelope::{Envelope, Header, Slot, VaultKind, seal};
pub(crate) use hosts::{check_host, check_username};
pub use issuer::{Hook, PROVIDER_WORDS, Provider, check_provider_url, hook_words, is_loopback};
pub use names::{Family, REFUSED, refused_table};
pub(crate) use names::{
    SECRET_LIKE, check_env, check_injectable, check_name, check_prefix, check_scope, default_env, scope_set,
    secret_like,
};
pub use payload::Payload;
pub(crate) use record::{Issuer, Meta, Status, new_id};
pub use record::{Kind, Record};

/// What every reader of a vault's bytes says when they do not hold together (exit 6).
fn damaged(what: &str) -> anyhow::Error {
    crate::error::damaged(format!("the vault file is damaged: {what}"))
        .hint("it was left untouched; restore it from a backup, or move it aside to start a new vault")
        .into()
}
