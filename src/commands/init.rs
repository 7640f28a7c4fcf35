//! `tokctl init`: create the vault and store its key.

use crate::commands::Ctx;
use crate::error::Result;
use crate::ui::Shown;

pub fn run(ctx: &Ctx) -> Result<u8> {
    if ctx.vault.exists() {
        ctx.say(format!("a vault already exists at {}; nothing to do", ctx.vault.shown()));
        return Ok(0);
    }
    let mut acc = ctx.access()?;
    acc.write_or_create(|_| Ok(()))?;
    if acc.is_remote() {
        ctx.say(format!("{} answers and can be listed; a remote store needs nothing created", ctx.vault.shown()));
    }
    ctx.report_created(&acc);
    Ok(0)
}
