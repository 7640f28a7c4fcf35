//! `tokctl init`: create the vault and store its key.

use crate::access::{self, Ctx};
use crate::error::Result;

pub fn run(ctx: &Ctx) -> Result<u8> {
    if ctx.vault.exists() {
        ctx.say(format!("a vault already exists at {}; nothing to do", ctx.vault.display()));
        return Ok(0);
    }
    access::write_or_create(ctx, |_| Ok(()))?;
    Ok(0)
}
