//! `tokctl get`: print one active token's secret.

use crate::cli::GetArgs;
use crate::commands::{Ctx, warn_if_due};
use crate::error::Result;
use crate::ui::out_line;
use crate::when;

pub fn run(ctx: &Ctx, a: GetArgs) -> Result<u8> {
    let op = ctx.access()?.read_only(&[a.name.as_str()])?;
    let now = when::now();
    let r = op.payload.find(&a.name)?;
    let secret = r.usable_secret(now)?;
    out_line(secret.expose(), !a.no_newline)?;
    warn_if_due(ctx, r, now);
    op.record_use(&[&r.name], "get");
    Ok(0)
}
