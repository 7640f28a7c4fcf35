//! `tokctl accept-rollback`: keep, on purpose, a vault that is an older copy of itself.

use crate::access;
use crate::commands::Ctx;
use crate::error::Result;
use crate::vault::Status;
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
        let s = op.sealed()?;
        crate::cache::forget(&s.header.vault_id);
        (s.generation(), access::newest_seen(&op)?)
    };
    if generation >= seen.generation {
        ctx.say(format!("the vault is at generation {generation}, the newest seen: nothing to accept"));
        return Ok(0);
    }
    let now = when::now();
    let (revoked, back, unknown) = acc.write(|op| {
        // What happened after this copy was made, by token id: revocations are applied again
        // (a leaked secret must not come back); every other secret this copy brings back is
        // named. The log may not reach the newest generation seen (it was rolled back with the
        // vault): then what changed in between is unknown, and that is said too.
        let history = op.history();
        let reaches = history.entries.iter().map(|e| e.generation).max().unwrap_or(0).max(generation);
        let later: Vec<_> =
            history.entries.into_iter().filter(|e| e.generation > generation).map(|e| e.event).collect();
        let (mut revoked, mut back) = (Vec::new(), Vec::new());
        for e in &later {
            let Some(r) = op.payload.records.iter_mut().find(|r| r.id == e.token_id) else {
                if e.action == "created" || e.action == "imported" {
                    back.push(format!("check '{}' ({} later, not in this copy)", e.token, e.action));
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
                "regenerated" | "replaced" => back.push(format!(
                    "it brings back the old secret of '{}' ({} later: this copy holds its old secret, not the \
                     newer one); `tokctl regenerate {}` retires it",
                    r.name,
                    if e.action == "replaced" { "replaced" } else { "regenerated" },
                    r.name
                )),
                "deleted" => back.push(format!(
                    "it brings back '{}' (deleted later); `tokctl delete {}` if it should stay gone",
                    r.name, r.name
                )),
                _ => {}
            }
        }
        revoked.sort();
        revoked.dedup();
        // A token revoked again brings nothing back, whatever else happened to it.
        back.retain(|l| !revoked.iter().any(|n| l.contains(&format!("'{n}'"))));
        back.sort();
        back.dedup();
        let unknown = (reaches < seen.generation).then(|| {
            let mut active: Vec<String> = op
                .payload
                .records
                .iter()
                .filter(|r| r.status(now) == Status::Active)
                .map(|r| format!("'{}'", r.name))
                .collect();
            active.sort();
            (reaches, active)
        });
        // Move past every generation seen, so the copy is the newest from now on.
        op.sealed_mut()?.header.generation = seen.generation;
        let detail = format!("generation {generation} kept over {} ({})", seen.generation, seen.source);
        op.event("rollback-accepted", "-", "-", detail);
        for name in &revoked {
            let id = op.payload.find(name).map(|r| r.id.clone()).unwrap_or_default();
            op.event("revoked", name, &id, "again, after a rollback");
        }
        Ok((revoked, back, unknown))
    })?;
    ctx.say(format!("kept the older copy (generation {generation}) as the current vault"));
    // What the older copy brings back is said even with --quiet: it is why the command asks.
    let tell = |msg: &str| eprintln!("tokctl: {}", crate::ui::escape_lines(msg));
    if !revoked.is_empty() {
        tell(&format!("revoked again, as the log says they were: {}", revoked.join(", ")));
    }
    for l in &back {
        tell(l);
    }
    match unknown {
        Some((reaches, active)) => tell(&format!(
            "the log goes only to generation {reaches}, but generation {} was seen ({}): tokctl cannot tell \
             what changed since this copy; it may bring back secrets revoked, deleted or regenerated since\n\
             active in this copy: {}; regenerate or revoke each one you changed since generation {generation}",
            seen.generation,
            seen.source,
            if active.is_empty() { "none".to_string() } else { active.join(", ") }
        )),
        None if back.is_empty() => tell(
            "it brings back no revoked, deleted or regenerated secret: the log covers every change since this copy",
        ),
        None => {}
    }
    Ok(0)
}
