//! `tokctl accept-rollback`: keep, on purpose, a vault that is an older copy of itself.

use crate::access;
use crate::commands::Ctx;
use crate::error::Result;
use crate::when;

pub fn accept(ctx: &Ctx) -> Result<u8> {
    let mut acc = ctx.access()?;
    acc.allow_rollback();
    // What was seen comes from the log and the OS keyring only: a generation in the unlock
    // cache could have been put there by anything in the session, and would be carried into the
    // vault. The entry is dropped, whether or not there is anything to accept (a planted
    // generation is an alarm with nothing behind it); the next command fills it again.
    acc.skip_cache_read();
    let (generation, seen) = {
        let op = acc.read()?;
        crate::cache::forget(&op.header.vault_id);
        (op.generation(), access::newest_seen(&op)?)
    };
    if generation >= seen.generation {
        ctx.say(format!("the vault is at generation {generation}, the newest seen: nothing to accept"));
        return Ok(0);
    }
    let now = when::now();
    let (revoked, lost) = acc.write(|op| {
        // What happened after this copy was made, by token id: revocations are applied again
        // (a leaked secret must not come back); other changes are only named.
        let later: Vec<_> =
            op.history().entries.into_iter().filter(|e| e.generation > generation).map(|e| e.event).collect();
        let (mut revoked, mut lost) = (Vec::new(), Vec::new());
        for e in &later {
            let Some(r) = op.payload.records.iter_mut().find(|r| r.id == e.token_id) else {
                if e.action == "created" || e.action == "imported" {
                    lost.push(format!("'{}' ({} later, not in this copy)", e.token, e.action));
                }
                continue;
            };
            match e.action.as_str() {
                "revoked" if r.revoked_at.is_none() => {
                    r.revoked_at = Some(now);
                    r.updated_at = now;
                    r.secret = None;
                    revoked.push(r.name.clone());
                }
                "regenerated" => lost.push(format!("'{}' (regenerated later: this copy holds its old secret)", r.name)),
                "deleted" => lost.push(format!("'{}' (deleted later)", r.name)),
                _ => {}
            }
        }
        revoked.sort();
        revoked.dedup();
        lost.sort();
        lost.dedup();
        // Move past every generation seen, so the copy is the newest from now on.
        op.header.generation = seen.generation;
        let detail = format!("generation {generation} kept over {} ({})", seen.generation, seen.source);
        op.event("rollback-accepted", "-", "-", detail);
        for name in &revoked {
            let id = op.payload.find(name).map(|r| r.id.clone()).unwrap_or_default();
            op.event("revoked", name, &id, "again, after a rollback");
        }
        Ok((revoked, lost))
    })?;
    ctx.say(format!("kept the older copy (generation {generation}) as the current vault"));
    if !revoked.is_empty() {
        ctx.say(format!("revoked again, as the log says they were: {}", revoked.join(", ")));
    }
    for l in &lost {
        ctx.say(format!("check {l}"));
    }
    Ok(0)
}
