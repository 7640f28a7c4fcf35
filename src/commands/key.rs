//! `tokctl key export|rotate|passphrase|import`: the vault key's own life.

use zeroize::Zeroizing;

use crate::access::Access;
use crate::commands::Ctx;
use crate::crypto;
use crate::error::{self, Result};
use crate::keystore::{self, ENV_PASS, Miss};
use crate::secret::Key;
use crate::ui::Shown;
use crate::ui::{self, out_line};
use crate::unlock::{Prompter, Source, legacy_pending};
use crate::vault::{Envelope, Slot};

pub fn export(ctx: &Ctx) -> Result<u8> {
    let op = ctx.access()?.read()?;
    out_line(&crypto::encode_key(&op.key), true)?;
    Ok(0)
}

/// A new vault key. Everything a person must answer (the passphrase, a keyring asking to be
/// unlocked) is settled before the lock; the keyring writes then happen under the lock, so two
/// rotations never interleave their steps. Each step leaves a vault that opens, whenever the
/// process stops:
/// 1. the keyring's main entry is made to hold the current key (an earlier rotation may have
///    been cut short, leaving the current key only where it was staged);
/// 2. the new key is staged under its own account, `<vault id>+<its key check>`;
/// 3. the vault is sealed with the new key and atomically replaced;
/// 4. the main entry gets the new key and the staged copy is removed.
///
/// The main entry is only ever replaced by `keystore::replace_main`, which first keeps the key it
/// held under that key's own account: a copy of this vault (same id) still sealed with the old
/// key keeps opening.
pub fn rotate(ctx: &Ctx) -> Result<u8> {
    let mut acc = ctx.access()?;
    let (id, has_passphrase, source) = {
        let op = acc.read()?;
        (op.header.vault_id.clone(), op.header.passphrase.is_some(), op.source)
    };
    // The passphrase slot must be re-made around the new key: ask for it now, not under the lock.
    let pass = if has_passphrase {
        let p = match acc.passphrase().cloned().or_else(keystore::env_passphrase) {
            Some(p) => p,
            None if ui::stdin_is_tty() => {
                ui::Terminal.passphrase(&ctx.vault, Some("the passphrase must be re-applied to the new key"), false)?
            }
            None => {
                return Err(error::locked("this vault has a passphrase, which must be re-applied to the new key")
                    .hint(format!("set {ENV_PASS}, or run `tokctl key rotate` on a terminal"))
                    .into());
            }
        };
        Some(p)
    } else {
        None
    };
    rekey(ctx, &mut acc, &id, pass, true, "key-rotated")?;
    ctx.say("the vault has a new key; keys exported before no longer open it");
    if source == Source::EnvKey {
        ctx.say("TOKCTL_VAULT_KEY holds the old key: update it from `tokctl key export`");
    }
    Ok(0)
}

/// Seal the vault under a new key, keeping the keyring in step (see `rotate`). `pass` is the
/// passphrase the new slot is made with; with `check`, it must be the vault's current one.
fn rekey(
    ctx: &Ctx,
    acc: &mut Access,
    id: &str,
    pass: Option<Zeroizing<String>>,
    check: bool,
    event: &str,
) -> Result<()> {
    let label = keystore::label(&ctx.vault);
    // The cached key is about to be the old one: no other command may take it from there.
    crate::cache::forget(id);
    // Ask the keyring first (a desktop may ask its user to unlock it), with no lock held.
    let keyring_answers = !matches!(keystore::load(id)?, Err(Miss::Off | Miss::Timeout(_) | Miss::Failed(_)));
    let note = acc.write_then(
        |op| {
            if let (true, Some(p), Some(slot)) = (check, &pass, &op.header.passphrase)
                && slot.unwrap_key(&op.header.vault_id, p.as_bytes()).is_none()
            {
                return Err(error::locked("wrong passphrase").hint("the vault was left as it was").into());
            }
            let new = Key::random();
            let keyring_ok = keyring_answers && keystore::replace_main(id, &label, &op.key)?.is_ok();
            let staged_at = keystore::account_for(id, &crypto::key_check(&new));
            let staged = if keyring_ok { keystore::save(&staged_at, &label, &new)? } else { Err(Miss::Off) };
            if let (Err(miss), None) = (&staged, &pass) {
                let why = if keyring_ok { miss.to_string() } else { "the OS keyring is not usable".into() };
                return Err(error::locked(format!("cannot rotate the key: {why}"))
                    .hint("the new key would have nowhere to live; add a passphrase first with `tokctl key passphrase`")
                    .into());
            }
            if let Some(p) = &pass {
                op.header.passphrase = Some(Slot::new(id, &new, p.as_bytes()));
            }
            op.key = new;
            op.event(event, "-", "-", "");
            Ok(staged.is_ok().then(String::new))
        },
        // Step 4, still under the lock: a rotation that started later cannot have staged its
        // own key yet, so nothing of it is overwritten or deleted here.
        |op, note| {
            if let Some(note) = note {
                let staged_at = keystore::account_for(id, &op.header.key_check);
                let kept = match keystore::replace_main(id, &label, &op.key) {
                    Ok(Ok(())) => {
                        let _ = keystore::delete(&staged_at);
                        let _ = keystore::delete(&legacy_pending(id));
                        return;
                    }
                    Ok(Err(miss)) => miss.to_string(),
                    Err(e) => e.to_string(),
                };
                *note = format!("the new key is kept under the keyring account {staged_at}: {kept}");
            }
        },
    )?;
    // Again after the new key is in place: a reader may have cached the old one meanwhile.
    crate::cache::forget(id);
    if let Some(n) = note.filter(|n| !n.is_empty()) {
        ctx.say(n);
    }
    Ok(())
}

pub fn passphrase(ctx: &Ctx) -> Result<u8> {
    let mut acc = ctx.access()?;
    // Unlock first (it may ask for the current passphrase), then ask for the new one.
    let (id, had) = {
        let op = acc.read()?;
        (op.header.vault_id.clone(), op.header.passphrase.is_some())
    };
    let pass = ui::new_passphrase()?;
    if had {
        // An old copy of the file and the old passphrase must not open today's vault: a new
        // passphrase comes with a new key.
        rekey(ctx, &mut acc, &id, Some(pass), false, "passphrase-changed")?;
        ctx.say("the passphrase is changed and the vault has a new key: old copies of the file open only with the old passphrase, and keys exported before no longer open it");
        return Ok(0);
    }
    acc.write(|op| {
        op.header.passphrase = Some(Slot::new(&op.header.vault_id, &op.key, pass.as_bytes()));
        op.event("passphrase-added", "-", "-", "");
        Ok(())
    })?;
    crate::cache::forget(&id);
    ctx.say("the vault can now also be unlocked with this passphrase (TOKCTL_PASSPHRASE or a prompt)");
    Ok(0)
}
/// Put this vault's key into the OS keyring: the key piped in on stdin, or else whatever unlocks
/// the vault in the usual order (`TOKCTL_VAULT_KEY`, the passphrase).
pub fn import(ctx: &Ctx) -> Result<u8> {
    let bytes = crate::fsio::read_opt(&ctx.vault, crate::fsio::MAX_VAULT)?.ok_or_else(|| {
        error::not_found(format!("no vault at {}", ctx.vault.shown()))
            .hint("copy the vault file here first, or pass --vault")
    })?;
    let env = Envelope::parse(&bytes)?;
    let id = env.header.vault_id.clone();
    let piped = if ui::stdin_is_tty() { Zeroizing::new(Vec::new()) } else { ui::read_stdin(4096)? };
    let text = std::str::from_utf8(&piped).map_err(|_| error::usage("the key on stdin is not text"))?;
    let key = if !text.trim().is_empty() {
        let k = crypto::decode_key(text)?;
        if !env.key_fits(&k) {
            return Err(error::locked("that key does not fit this vault")
                .hint("export the key of this vault, not another")
                .into());
        }
        k
    } else {
        match ctx.access()?.key_for(&env, true) {
            Ok((k, _)) => k,
            Err(_) if env.header.passphrase.is_none() && keystore::env_key()?.is_none() => {
                return Err(error::usage("no key on stdin")
                    .hint("pipe in the line `tokctl key export` printed, e.g. `tokctl key import < key.txt`")
                    .into());
            }
            Err(e) => return Err(e),
        }
    };
    crate::cache::forget(&id);
    match keystore::replace_main(&id, &keystore::label(&ctx.vault), &key)? {
        Ok(()) => {
            ctx.say(format!("stored the key of {} in the {}", ctx.vault.shown(), keystore::backend_name()));
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
