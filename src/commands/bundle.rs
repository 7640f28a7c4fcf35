//! `tokctl bundle`: a separate vault with only some tokens, under a new key, for CI.

use crate::cli::BundleArgs;
use crate::commands::Ctx;
use crate::crypto;
use crate::error::{self, Result};
use crate::fsio;
use crate::secret::Key;
use crate::ui::Shown;
use crate::ui::out_line;
use crate::vault::{self, Envelope, Header, Payload, VaultKind};
use crate::when;

pub fn run(ctx: &Ctx, a: BundleArgs) -> Result<u8> {
    for t in &a.tokens {
        vault::check_name(t)?;
    }
    if fsio::same_file(&a.out, &ctx.vault) {
        return Err(error::usage("the bundle cannot be written over the vault it comes from")
            .hint("choose another --out")
            .into());
    }
    // Never overwrite something that is not a bundle.
    if let Some(bytes) = fsio::read_opt(&a.out, fsio::MAX_VAULT)? {
        let is_bundle = Envelope::parse(&bytes).is_ok_and(|e| e.header.kind == VaultKind::Bundle);
        if !is_bundle {
            return Err(error::conflict(format!("{} exists and is not a tokctl bundle", a.out.shown()))
                .hint("choose another --out, or remove that file yourself")
                .into());
        }
    }
    let op = ctx.access()?.read()?;
    let now = when::now();
    let mut payload = Payload::default();
    for name in &a.tokens {
        let r = op.payload.find(name)?;
        r.usable_secret(now)?;
        if op.is_remote() {
            crate::select::check_remote_env(&r.name, &r.env)?;
        }
        if !payload.records.iter().any(|x| x.name == r.name) {
            payload.records.push(r.clone());
        }
    }
    let key = Key::random();
    let mut header = Header::new(VaultKind::Bundle, &key);
    fsio::private_dir(&fsio::parent(&a.out))?;
    // No lock file: nothing is left beside a bundle (it is committed with its directory), and
    // the atomic rename alone keeps it whole.
    fsio::atomic_write(&a.out, &vault::seal(&mut header, &key, &payload))?;
    let names: Vec<&str> = payload.records.iter().map(|r| r.name.as_str()).collect();
    op.record_use(&names, &format!("bundle {}", a.out.display()));
    out_line(&crypto::encode_key(&key), true)?;
    ctx.say(format!(
        "wrote {} token{} to {}; the key above opens it (set it as TOKCTL_VAULT_KEY in CI)",
        names.len(),
        if names.len() == 1 { "" } else { "s" },
        a.out.shown()
    ));
    Ok(0)
}
