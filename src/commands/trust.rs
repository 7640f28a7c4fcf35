//! `tokctl trust`: trust a project file's current content, forget it, or list the trusted ones.

use crate::cli::TrustArgs;
use crate::commands::Ctx;
use crate::error::{self, Result};
use crate::project::{self, TrustList};
use crate::ui::{escape, out_line};

pub fn run(ctx: &Ctx, a: TrustArgs) -> Result<u8> {
    if a.list {
        let files = TrustList::load()?.files;
        let states: Vec<(&std::path::Path, &str)> = files
            .iter()
            .map(|t| {
                let state = match project::load(&t.path) {
                    Ok(pf) if pf.hash == t.sha256 => "trusted",
                    Ok(_) => "changed",
                    Err(_) => "missing",
                };
                (t.path.as_path(), state)
            })
            .collect();
        if a.json {
            let v: Vec<_> =
                states.iter().map(|(p, s)| serde_json::json!({ "path": p.to_string_lossy(), "state": s })).collect();
            out_line(&serde_json::to_string_pretty(&v)?, true)?;
            return Ok(0);
        }
        let mut out = String::new();
        for (path, state) in &states {
            let state = if *state == "changed" { "changed since (not used)" } else { state };
            out.push_str(&format!("{}  {state}\n", escape(&path.display().to_string())));
        }
        if out.is_empty() {
            ctx.say("no project file is trusted");
        }
        out_line(&out, false)?;
        return Ok(0);
    }
    let named;
    let pf = match &a.file {
        Some(f) if a.revoke && (!f.exists() || f.is_symlink()) => {
            // A file that is gone, or a link (never trusted as such), is forgotten by its path.
            let gone = std::path::absolute(f)?;
            return forget(ctx, &gone);
        }
        Some(f) => {
            named = project::load(f)?;
            &named
        }
        // The nearest file, as `lib::run` already read it.
        None => ctx.project()?.ok_or_else(|| {
            error::not_found(format!("no {} here or in a parent directory", project::FILE_NAME))
                .hint("name the file: tokctl trust PATH")
        })?,
    };
    if a.revoke {
        return forget(ctx, &pf.path);
    }
    project::trust(pf)?;
    ctx.say(format!("trusted {}: it asks for {}", pf.shown(), pf.asks()));
    ctx.say("a change to the file needs a new `tokctl trust`");
    Ok(0)
}

fn forget(ctx: &Ctx, path: &std::path::Path) -> Result<u8> {
    if project::revoke(path)? {
        ctx.say(format!("{} is no longer trusted", escape(&path.display().to_string())));
    } else {
        ctx.say(format!("{} was not trusted", escape(&path.display().to_string())));
    }
    Ok(0)
}
