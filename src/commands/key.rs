//! `tokctl key export|rotate|passphrase|import`: the vault key's own life.

use zeroize::Zeroizing;

use crate::access::Access;
use crate::commands::Ctx;
use crate::crypto;
use crate::error::{self, Result};
use crate::journal::Action;
use crate::keystore::{self, ENV_PASS, Miss};
use crate::secret::Key;
use crate::ui::Shown;
use crate::ui::{self, out_line};
use crate::unlock::{Source, legacy_pending};
use crate::vault::{Envelope, Slot, VaultKind};

pub fn export(ctx: &Ctx) -> Result<u8> {
    let op = ctx.access()?.read()?;
    out_line(&crypto::encode_key(&op.sealed()?.key), true)?;
    Ok(0)
}

/// A new vault key. Everything a person must answer (the passphrase, a keyring asking to be
/// unlocked) is settled before the lock; the keyring writes then happen under the lock, so two
/// rotations of this file never interleave their steps. Each step leaves a vault that opens,
/// whenever the process stops:
/// 1. the keyring's main entry is made to hold the current key (an earlier rotation may have
///    been cut short, leaving the current key only where it was staged);
/// 2. the new key is kept under its own account, `<vault id>+<its key check>`;
/// 3. the vault is sealed with the new key and atomically replaced;
/// 4. the main entry gets the new key.
///
/// Nothing is deleted: the account named by a key's check keeps that key for good, since a copy
/// of this vault (same id, another file, another writers' lock) or a `key import` racing this
/// rotation can have changed the main entry at any moment, and a header on disk may still name
/// any key it held (see `keystore::account_for`). A vault whose key the keyring does not keep
/// (its owner chose a passphrase alone) gets no keyring entry from a rotation either.
pub fn rotate(ctx: &Ctx) -> Result<u8> {
    let mut acc = ctx.access()?;
    let (header, source) = {
        let op = acc.read()?;
        let s = op.sealed()?;
        (s.header.clone(), s.source)
    };
    let (id, has_passphrase) = (header.vault_id.clone(), header.passphrase.is_some());
    // The passphrase slot must be re-made around the new key: ask for it now, not under the lock,
    // as any unlock asks (three tries, each checked against the vault's slot).
    let pass = if has_passphrase {
        let p = match acc.passphrase().cloned().or_else(keystore::env_passphrase) {
            Some(p) => p,
            None if ctx.person().can_ask() => {
                let why = "the passphrase must be re-applied to the new key";
                crate::unlock::ask_passphrase(ctx.person(), &ctx.vault, &header, Some(why))?.1
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
    rekey(ctx, &mut acc, &id, pass, true, Action::KeyRotated)?;
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
    event: Action,
) -> Result<()> {
    let label = keystore::label(&ctx.vault);
    // The cached key is about to be the old one: no other command may take it from there.
    crate::cache::forget(id);
    // Ask the keyring first (a desktop may ask its user to unlock it), with no lock held; and see
    // whether it keeps this vault's key at all.
    let current = acc.header()?.key_check;
    let in_keyring = match keystore::load(id) {
        Ok(_) => true,
        Err(Miss::NoEntry) => keystore::load(&keystore::account_for(id, &current)).is_ok(),
        Err(_) => false,
    };
    let note = acc.write_then(
        |op| {
            let s = op.sealed_mut()?;
            if let (true, Some(p), Some(slot)) = (check, &pass, &s.header.passphrase)
                && slot.unwrap_key(&s.header.vault_id, p.as_bytes()).is_none()
            {
                return Err(error::locked("wrong passphrase").hint("the vault was left as it was").into());
            }
            let new = Key::random();
            let keyring_ok = in_keyring && keystore::replace_main(id, &label, &s.key).is_ok();
            let staged = if keyring_ok { keystore::keep(id, &label, &new) } else { Err(Miss::Off) };
            if let (Err(miss), None) = (&staged, &pass) {
                let why = if keyring_ok {
                    miss.to_string()
                } else if in_keyring {
                    "the OS keyring is not usable".into()
                } else {
                    "the OS keyring does not keep this vault's key".into()
                };
                return Err(error::locked(format!("cannot rotate the key: {why}"))
                    .hint("the new key would have nowhere to live; add a passphrase first with `tokctl key passphrase`")
                    .into());
            }
            if let Some(p) = &pass {
                s.header.passphrase = Some(Slot::new(id, &new, p.as_bytes()));
            }
            // The bundle registry's fingerprints are keyed with the vault key: they move with it.
            let old = std::mem::replace(&mut s.key, new.clone());
            op.payload.rekey_bundles(&old, &new);
            op.rekey_log()?;
            op.event(event, "-", "-", "");
            Ok(staged.is_ok().then(String::new))
        },
        // Step 4, still under the lock: a rotation of this file that started later cannot have
        // staged its own key yet.
        |op, note| {
            if let (Some(note), Some(s)) = (note, op.file_parts()) {
                let kept = match keystore::set_main(id, &label, &s.key) {
                    Ok(()) => {
                        retire_legacy_pending(id, &label);
                        return;
                    }
                    Err(miss) => miss.to_string(),
                };
                let staged_at = keystore::account_for(id, &s.header.key_check);
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

/// A key left under the legacy `+pending` account is kept under its own account first, then the
/// legacy entry goes: a header on disk may still name that key.
fn retire_legacy_pending(id: &str, label: &str) {
    let legacy = legacy_pending(id);
    if let Ok(k) = keystore::load(&legacy)
        && let Ok(()) = keystore::keep(id, label, &k)
    {
        let _ = keystore::delete(&legacy);
    }
}

pub fn passphrase(ctx: &Ctx) -> Result<u8> {
    let mut acc = ctx.access()?;
    // Unlock first (it may ask for the current passphrase), then ask for the new one.
    let (id, had) = {
        let op = acc.read()?;
        let s = op.sealed()?;
        (s.header.vault_id.clone(), s.header.passphrase.is_some())
    };
    let pass = ui::new_passphrase()?;
    if had {
        // An old copy of the file and the old passphrase must not open today's vault: a new
        // passphrase comes with a new key.
        rekey(ctx, &mut acc, &id, Some(pass), false, Action::PassphraseChanged)?;
        ctx.say("the passphrase is changed and the vault has a new key: old copies of the file open only with the old passphrase, and keys exported before no longer open it");
        return Ok(0);
    }
    acc.write(|op| {
        let s = op.sealed_mut()?;
        s.header.passphrase = Some(Slot::new(&s.header.vault_id, &s.key, pass.as_bytes()));
        op.event(Action::PassphraseAdded, "-", "-", "");
        Ok(())
    })?;
    crate::cache::forget(&id);
    ctx.say("the vault can now also be unlocked with this passphrase (TOKCTL_PASSPHRASE or a prompt)");
    Ok(0)
}
/// Put this vault's key into the OS keyring: the key piped in on stdin, or else whatever unlocks
/// the vault in the usual order (`TOKCTL_VAULT_KEY`, the passphrase).
pub fn import(ctx: &Ctx) -> Result<u8> {
    let path = crate::fsio::resolve(&ctx.vault)?;
    let read = || -> Result<Envelope> {
        let bytes = crate::fsio::read_opt(&path, crate::fsio::MAX_VAULT)?.ok_or_else(|| {
            error::not_found(format!("no vault at {}", ctx.vault.shown()))
                .hint("copy the vault file here first, or pass --vault")
        })?;
        Envelope::parse(&bytes)
    };
    let env = read()?;
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
            Err(_) if env.header.passphrase.is_none() && keystore::env_key().is_none() => {
                return Err(error::usage("no key on stdin")
                    .hint("pipe in the line `tokctl key export` printed, e.g. `tokctl key import < key.txt`")
                    .into());
            }
            Err(e) => return Err(e),
        }
    };
    // The keyring is written under the writers' lock, like every keyring write about this file: a
    // rotation of it cannot interleave, and one that ran meanwhile made this key stale.
    // (Nothing is ever created beside a bundle, the lock file included.)
    let _lock = if env.header.kind == VaultKind::Bundle { None } else { Some(crate::fsio::lock(&path)?) };
    let now = read()?;
    if now.header.vault_id != id || !now.key_fits(&key) {
        return Err(error::locked("the vault was re-keyed meanwhile: that key no longer fits it")
            .hint("nothing was stored; import the key `tokctl key export` prints now")
            .into());
    }
    crate::cache::forget(&id);
    // Only the main entry gets it (whoever held it is kept under its own account): the key came
    // from the person importing it, who keeps it.
    match keystore::set_main(&id, &keystore::label(&ctx.vault), &key) {
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
