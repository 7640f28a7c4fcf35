//! `tokctl key export|rotate|passphrase|import`: the vault key's own life.

use std::io::{IsTerminal, Read};

use zeroize::Zeroizing;

use crate::access::{self, Ctx, Source, pending};
use crate::commands::out_line;
use crate::crypto;
use crate::error::{self, Result};
use crate::keystore::{self, ENV_PASS, Miss};
use crate::secret::Key;
use crate::vault::{Envelope, Slot};

pub fn export(ctx: &Ctx) -> Result<u8> {
    let op = access::read(ctx)?;
    out_line(&crypto::encode_key(&op.key), true)?;
    Ok(0)
}

fn label(ctx: &Ctx) -> String {
    format!("tokctl vault key ({})", ctx.vault.display())
}

/// A new vault key. Each step leaves a vault that opens, whenever the process stops:
/// 1. the keyring's main entry is made to hold the current key (an earlier rotation may have
///    been cut short, leaving the current key only under `+pending`);
/// 2. the new key is staged under `<vault id>+pending`;
/// 3. the vault is sealed with the new key and atomically replaced;
/// 4. the main entry gets the new key and `+pending` is removed.
pub fn rotate(ctx: &Ctx) -> Result<u8> {
    let label = label(ctx);
    let (in_keyring, key, id, source) = access::write(ctx, |op| {
        let new = Key::random();
        let id = op.header.vault_id.clone();
        // The passphrase slot must be re-made around the new key.
        let pass = match &op.header.passphrase {
            None => None,
            Some(slot) => {
                let p = match keystore::env_passphrase() {
                    Some(p) => p,
                    None if keystore::stdin_is_tty() => {
                        keystore::prompt("Passphrase of this vault (to keep it working): ")?
                    }
                    None => {
                        return Err(error::locked(
                            "this vault has a passphrase, which must be re-applied to the new key",
                        )
                        .hint(format!("set {ENV_PASS}, or run `tokctl key rotate` on a terminal"))
                        .into());
                    }
                };
                if slot.unwrap_key(&id, p.as_bytes()).is_none() {
                    return Err(error::locked("wrong passphrase").hint("the vault was left as it was").into());
                }
                Some(p)
            }
        };
        let keyring_ok = keystore::save(&id, &label, &op.key)?.is_ok();
        let staged = if keyring_ok { keystore::save(&pending(&id), &label, &new)? } else { Err(Miss::Off) };
        if let (Err(miss), None) = (&staged, &pass) {
            let why = if keyring_ok { miss.to_string() } else { "the OS keyring is not usable".into() };
            return Err(error::locked(format!("cannot rotate the key: {why}"))
                .hint("the new key would have nowhere to live; add a passphrase first with `tokctl key passphrase`")
                .into());
        }
        if let Some(p) = &pass {
            op.header.passphrase = Some(Slot::new(&id, &new, p.as_bytes()));
        }
        op.key = new;
        op.event("key-rotated", "-", "-", "");
        Ok((staged.is_ok(), op.key.clone(), id, op.source))
    })?;
    if in_keyring {
        match keystore::save(&id, &label, &key) {
            Ok(Ok(())) => {
                let _ = keystore::delete(&pending(&id));
            }
            Ok(Err(miss)) => ctx.say(format!("the new key is kept under the keyring account {id}+pending: {miss}")),
            Err(e) => ctx.say(format!("the new key is kept under the keyring account {id}+pending: {e}")),
        }
    }
    ctx.say("the vault has a new key; keys exported before no longer open it");
    if source == Source::EnvKey {
        ctx.say("TOKCTL_VAULT_KEY holds the old key: update it from `tokctl key export`");
    }
    Ok(0)
}

pub fn passphrase(ctx: &Ctx) -> Result<u8> {
    if !ctx.vault.exists() {
        access::read(ctx)?;
    }
    let pass = keystore::new_passphrase()?;
    access::write(ctx, |op| {
        let had = op.header.passphrase.is_some();
        op.header.passphrase = Some(Slot::new(&op.header.vault_id, &op.key, pass.as_bytes()));
        op.event(if had { "passphrase-changed" } else { "passphrase-added" }, "-", "-", "");
        Ok(())
    })?;
    ctx.say("the vault can now also be unlocked with this passphrase (TOKCTL_PASSPHRASE or a prompt)");
    Ok(0)
}

pub fn import(ctx: &Ctx) -> Result<u8> {
    let bytes = crate::fsio::read_opt(&ctx.vault)?.ok_or_else(|| {
        error::not_found(format!("no vault at {}", ctx.vault.display()))
            .hint("copy the vault file here first, or pass --vault")
    })?;
    let env = Envelope::parse(&bytes)?;
    let id = env.header.vault_id.clone();
    let mut text = Zeroizing::new(String::new());
    if !std::io::stdin().is_terminal() {
        std::io::stdin()
            .take(4096)
            .read_to_string(&mut text)
            .map_err(|_| error::usage("the key on stdin is not text"))?;
    }
    let key = if !text.trim().is_empty() {
        let k = crypto::decode_key(&text)?;
        if !env.key_fits(&k) {
            return Err(error::locked("that key does not fit this vault")
                .hint("export the key of this vault, not another")
                .into());
        }
        k
    } else if let Some(k) = keystore::env_key()?.filter(|k| env.key_fits(k)) {
        k
    } else if let Some(slot) = &env.header.passphrase {
        let p = match keystore::env_passphrase() {
            Some(p) => p,
            None if keystore::stdin_is_tty() => keystore::prompt(&format!("Passphrase for {}: ", ctx.vault.display()))?,
            None => {
                return Err(error::locked("no key on stdin and no passphrase")
                    .hint(format!("pipe in `tokctl key export` output, or set {ENV_PASS}"))
                    .into());
            }
        };
        slot.unwrap_key(&id, p.as_bytes()).ok_or_else(|| error::locked("wrong passphrase"))?
    } else {
        return Err(error::usage("no key on stdin")
            .hint("pipe in the line `tokctl key export` printed, e.g. `tokctl key import < key.txt`")
            .into());
    };
    match keystore::save(&id, &label(ctx), &key)? {
        Ok(()) => {
            ctx.say(format!("stored the key of {} in the {}", ctx.vault.display(), keystore::backend_name()));
            Ok(0)
        }
        Err(miss) => Err(error::locked(format!("cannot store the key: {miss}"))
            .hint(match miss {
                Miss::Off => "unset TOKCTL_KEYRING to use the OS keyring".to_string(),
                _ => "start a Secret Service (e.g. gnome-keyring) or use TOKCTL_VAULT_KEY / a passphrase instead"
                    .to_string(),
            })
            .into()),
    }
}
