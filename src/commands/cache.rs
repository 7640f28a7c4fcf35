//! `tokctl unlock` / `tokctl lock`: fill and empty this login session's unlock cache.

use crate::cache::{self, Availability, Entry};
use crate::cli::{LockArgs, UnlockArgs};
use crate::commands::Ctx;
use crate::error::{self, Result};
use crate::ui::Shown;
use crate::vault::VaultKind;
use crate::when;

pub fn unlock(ctx: &Ctx, a: UnlockArgs) -> Result<u8> {
    let secs = when::parse_capped("--for", &a.duration, cache::MAX_TTL, cache::LIMIT_HINT)?;
    let c = cache::open()?.required()?;
    let mut acc = ctx.access()?;
    // An explicit unlock proves access afresh (keyring or passphrase), then starts a new TTL.
    acc.skip_cache_read();
    let op = acc.read()?;
    let s = op.sealed()?;
    if s.header.kind == VaultKind::Bundle {
        return Err(error::usage("a bundle is not cached: it opens only with TOKCTL_VAULT_KEY")
            .hint("keep the bundle key in the environment of the job that uses it")
            .into());
    }
    let entry = Entry::new(s.key.clone(), s.source, op.tag()?, s.generation());
    c.store(&s.header.vault_id, entry, secs)?;
    let until = when::rfc3339(when::now() + secs as i64);
    ctx.say(format!(
        "unlocked {} for {} (until {until}) in this login session; `tokctl lock` forgets it sooner",
        op.path.shown(),
        when::exact_words(secs)
    ));
    Ok(0)
}

pub fn lock(ctx: &Ctx, a: LockArgs) -> Result<u8> {
    let c = match cache::open()? {
        Availability::Usable(c) => c,
        Availability::Off => {
            ctx.say("the unlock cache is off (TOKCTL_CACHE_TTL): nothing is cached");
            return Ok(0);
        }
        Availability::Unavailable(why) => {
            ctx.say(format!("the unlock cache is not available here ({why}): nothing is cached"));
            return Ok(0);
        }
    };
    if a.all {
        let n = c.forget_all();
        ctx.say(match n {
            0 => "no vault key was cached in this session".to_string(),
            1 => "forgot 1 cached vault key".to_string(),
            n => format!("forgot {n} cached vault keys"),
        });
        return Ok(0);
    }
    let acc = ctx.access()?;
    if !acc.path().exists() {
        return Err(error::not_found(format!("no vault at {}", acc.path().shown()))
            .hint("`tokctl lock --all` forgets the key of every vault this session has cached")
            .into());
    }
    let header = acc.header()?;
    if c.forget(&header.vault_id) {
        ctx.say(format!("locked {}: the next command unlocks it again", acc.path().shown()));
    } else {
        ctx.say(format!("{} was not in the unlock cache", acc.path().shown()));
    }
    Ok(0)
}
