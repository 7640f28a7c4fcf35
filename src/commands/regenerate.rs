//! `tokctl regenerate` (`rotate`): a new secret; the old one stops verifying.

use crate::cli::RegenerateArgs;
use crate::commands::Ctx;
use crate::commands::create::expiry_words;
use crate::crypto;
use crate::error::{self, Result};
use crate::formats;
use crate::journal::Action;
use crate::ui::{out_line, read_secret};
use crate::vault::{Kind, Record};
use crate::when::{self, Expiry};

pub fn run(ctx: &Ctx, a: RegenerateArgs) -> Result<u8> {
    let now = when::now();
    let expiry = a.expires.as_deref().map(|d| when::parse_expiry(d, now)).transpose()?;
    // Check the token first, so an imported token's new secret is only asked for when it is needed.
    let mut acc = ctx.access()?;
    let (kind, at_provider) = {
        let op = acc.read()?;
        let r = op.payload.find(&a.name)?;
        refuse_revoked(r)?;
        // Never a rotation after one that did not finish, nor of a token dead at its provider:
        // it cannot work, and after a lost rotation it would be the reuse GitLab punishes by
        // revoking the new token. (Both say so as `get` does; an expired token may be renewed.)
        if r.rotation_pending.is_some() || r.dead_at_provider.is_some() {
            r.usable_secret(now)?;
        }
        let target = crate::provider::Target::of(r, op.own_vault()).filter(|t| t.acts(crate::vault::Hook::Rotate));
        (r.kind, target.map(|t| (t, r.id.clone())))
    };
    if let Some((t, id)) = at_provider {
        return crate::commands::rotate_at::run(ctx, acc, t, id, expiry);
    }
    let new = match kind {
        // The provider's new token, on stdin or at a prompt (not `import NAME`: that name exists).
        Kind::Imported => Some(read_secret(
            &format!("New secret for '{}' (input hidden): ", a.name),
            &format!("tokctl regenerate {}", a.name),
        )?),
        Kind::Minted => None,
    };
    // A new JWT says itself when it expires, unless --expires says otherwise.
    let expiry = expiry.or_else(|| new.as_ref().and_then(|s| formats::jwt_expiry(s.expose())).map(Expiry::At));
    let (secret, expires_at) = acc.write(|op| {
        let r = op.payload.find_mut(&a.name)?;
        refuse_revoked(r)?;
        let secret = match (&new, &r.prefix) {
            (Some(s), _) => s.clone(),
            (None, p) => crypto::mint(p.as_deref().unwrap_or("tok_")),
        };
        r.set_secret(secret.clone(), now);
        let (at, life) = match expiry {
            Some(x) => x.resolve(now),
            None => (r.lifetime.map(|l| now + l), r.lifetime),
        };
        r.expires_at = at;
        r.lifetime = life;
        r.updated_at = now;
        let (name, id, at) = (r.name.clone(), r.id.clone(), r.expires_at);
        op.event(Action::Regenerated, &name, &id, "");
        Ok((secret, at))
    })?;
    if new.is_none() {
        out_line(secret.expose(), true)?;
    }
    ctx.say(format!("'{}' has a new secret; {}; the old one no longer works here", a.name, expiry_words(expires_at)));
    crate::commands::bundle::say_stale(ctx, &mut acc, &a.name);
    Ok(0)
}

fn refuse_revoked(r: &Record) -> Result<()> {
    if r.revoked_at.is_some() {
        return Err(error::unusable(format!("token '{}' is revoked and cannot be regenerated", r.name))
            .hint(r.revoked_hint())
            .into());
    }
    Ok(())
}
