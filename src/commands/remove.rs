//! `tokctl revoke` (destroy the secret, keep the record) and `tokctl delete` (remove it all).

use crate::cli::{ConfirmArgs, RevokeArgs};
use crate::commands::Ctx;
use crate::error::Result;
use crate::journal::Action;
use crate::provider::{self, Target};
use crate::ui::confirm;
use crate::when;

pub fn revoke(ctx: &Ctx, a: RevokeArgs) -> Result<u8> {
    let mut acc = ctx.access()?;
    let (already, target) = {
        let op = acc.read()?;
        let own = op.own_vault();
        let r = op.payload.find(&a.name)?;
        let target = Target::of(r, own).filter(|t| t.acts(crate::vault::Hook::Revoke));
        (r.revoked_at.is_some(), if a.local { None } else { target })
    };
    if already {
        ctx.say(format!("'{}' is already revoked", a.name));
        return Ok(0);
    }
    let at = target.as_ref().map(|t| format!(" at {} and here", t.words())).unwrap_or_default();
    if !confirm(&format!("Revoke '{}'{at}? Its secret is destroyed for good.", a.name), a.yes)? {
        ctx.say("nothing revoked");
        return Ok(1);
    }
    // At the provider first; whatever it answers, the secret is never handed out again.
    let (note, failed) = match target.as_ref().map(|t| (t, provider::revoke(t))) {
        None => (None, None),
        Some((_, Ok(note))) => (note, None),
        Some((t, Err(e))) => (None, Some((t, e))),
    };
    if let Some(n) = note {
        ctx.say(n);
    }
    let now = when::now();
    acc.write(|op| {
        let r = op.payload.find_mut(&a.name)?;
        if r.revoked_at.is_none() {
            r.revoked_at = Some(now);
            r.updated_at = now;
            r.secret = None;
            r.rotation_pending = None;
            let (name, id) = (r.name.clone(), r.id.clone());
            if let Some((t, e)) = &failed {
                let why = format!("{e:#}").lines().next().unwrap_or("").to_string();
                op.event(Action::ProviderRevokeFailed, &name, &id, format!("{}: {why}", t.provider.as_str()));
            }
            let detail = match (&target, &failed) {
                (Some(t), None) => format!("at {} too", t.provider.as_str()),
                (Some(_), Some(_)) => "here only: the provider could not revoke it".into(),
                (None, _) if a.local => "here only (--local)".into(),
                (None, _) => String::new(),
            };
            op.event(Action::Revoked, &name, &id, detail);
        }
        Ok(())
    })?;
    crate::commands::bundle::say_stale(ctx, &mut acc, &a.name);
    match (&target, failed) {
        (Some(t), None) => {
            ctx.say(format!("revoked '{}' at {} and here", a.name, t.words()));
            Ok(0)
        }
        (Some(t), Some((_, e))) => {
            let code = crate::error::exit_code(&e);
            crate::ui::print_error(&e);
            crate::ui::print_error(&anyhow::anyhow!(
                "'{}' is revoked here (never printed or injected again), but NOT at {}\n\
                 revoke it there by hand: {}",
                a.name,
                t.words(),
                provider::manual_revoke(t)
            ));
            Ok(code)
        }
        (None, _) => {
            ctx.say(if a.local {
                format!(
                    "revoked '{}' here only (--local); revoke it at its provider too if it was issued there",
                    a.name
                )
            } else {
                format!("revoked '{}'; revoke it at its provider too if it was issued there", a.name)
            });
            Ok(0)
        }
    }
}

pub fn delete(ctx: &Ctx, a: ConfirmArgs) -> Result<u8> {
    let mut acc = ctx.access()?;
    if acc.read()?.payload.find(&a.name)?.rotation_pending.is_some() {
        ctx.say(format!(
            "'{}' has a rotation at its provider that never finished: its new secret, if any, is only there",
            a.name
        ));
    }
    if !confirm(&format!("Delete '{}' and its record?", a.name), a.yes)? {
        ctx.say("nothing deleted");
        return Ok(1);
    }
    acc.write(|op| {
        let i = op.payload.index(&a.name)?;
        let r = op.payload.records.remove(i);
        op.event(Action::Deleted, &r.name, &r.id, "");
        Ok(())
    })?;
    ctx.say(format!("deleted '{}' and its record", a.name));
    Ok(0)
}
