//! `tokctl revoke` (destroy the secret, keep the record) and `tokctl delete` (remove it all).

use crate::cli::ConfirmArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::journal::Action;
use crate::ui::confirm;
use crate::when;

pub fn revoke(ctx: &Ctx, a: ConfirmArgs) -> Result<u8> {
    let mut acc = ctx.access()?;
    let already = {
        let op = acc.read()?;
        op.payload.find(&a.name)?.revoked_at.is_some()
    };
    if already {
        ctx.say(format!("'{}' is already revoked", a.name));
        return Ok(0);
    }
    if !confirm(&format!("Revoke '{}'? Its secret is destroyed for good.", a.name), a.yes)? {
        ctx.say("nothing revoked");
        return Ok(1);
    }
    let now = when::now();
    acc.write(|op| {
        let r = op.payload.find_mut(&a.name)?;
        if r.revoked_at.is_none() {
            r.revoked_at = Some(now);
            r.updated_at = now;
            r.secret = None;
            let (name, id) = (r.name.clone(), r.id.clone());
            op.event(Action::Revoked, &name, &id, "");
        }
        Ok(())
    })?;
    ctx.say(format!("revoked '{}'; revoke it at its provider too if it was issued there", a.name));
    crate::commands::bundle::say_stale(ctx, &mut acc, &a.name);
    Ok(0)
}

pub fn delete(ctx: &Ctx, a: ConfirmArgs) -> Result<u8> {
    let mut acc = ctx.access()?;
    acc.read()?.payload.find(&a.name)?;
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
