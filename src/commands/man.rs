//! `tokctl man [--out DIR]`: the man pages, so an installed binary carries its own manual.

use crate::cli::ManArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::ui::Shown;
use crate::{fsio, manpages};

pub fn run(ctx: &Ctx, a: ManArgs) -> Result<u8> {
    let pages = manpages::pages();
    let Some(dir) = a.out else {
        crate::ui::out_line(&String::from_utf8_lossy(&pages["tokctl.1"]), false)?;
        return Ok(0);
    };
    if !dir.is_dir() {
        std::fs::create_dir_all(&dir)
            .map_err(|e| anyhow::anyhow!("cannot create the directory {}: {e}", dir.shown()))?;
    }
    for (name, bytes) in &pages {
        fsio::atomic_write_mode(&dir.join(name), bytes, 0o644)?;
    }
    ctx.say(format!("wrote {} man pages to {}", pages.len(), dir.shown()));
    Ok(0)
}
