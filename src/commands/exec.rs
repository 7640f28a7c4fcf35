//! `tokctl exec`: run a command with the selected tokens in its environment.

use crate::cli::{ExecArgs, SelectArgs};
use crate::commands::{Ctx, warn_if_due};
use crate::error::Result;
use crate::secret::Secret;
use crate::select::{self, Selection};
use crate::when;

/// The selection, with the notes and expiry reminders said on stderr.
pub fn selected(ctx: &Ctx, s: &SelectArgs) -> Result<Selection> {
    // -t and --scope need no project file: the user typed them.
    let project = if s.tokens.is_empty() && s.scopes.is_empty() { ctx.project()? } else { None };
    let want = select::want(&s.tokens, &s.scopes, project)?;
    let mut acc = ctx.access_using_project(matches!(want, select::Want::Project { .. }))?;
    let sel = select::select(&want, &mut acc)?;
    for n in &sel.notes {
        ctx.say(n);
    }
    let now = when::now();
    for c in &sel.chosen {
        if let Ok(r) = sel.opened.payload.find(&c.name) {
            warn_if_due(ctx, r, now);
        }
    }
    Ok(sel)
}

pub fn run(ctx: &Ctx, a: ExecArgs) -> Result<u8> {
    let Selection { opened, chosen, .. } = selected(ctx, &a.select)?;
    let program = std::path::Path::new(&a.command[0])
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| a.command[0].to_string_lossy().into_owned());
    // A command that cannot start is not a use: refuse it before the log says it was.
    crate::child::check_startable(&a.command[0])?;
    let names: Vec<&str> = chosen.iter().map(|c| c.name.as_str()).collect();
    opened.record_use(&names, &format!("exec {program}"));
    // Nothing of the vault may outlive this point: no key, no records, no open file.
    drop(opened);
    let inject: Vec<(String, Secret)> = chosen.into_iter().map(|c| (c.var, c.secret)).collect();
    if a.mask { crate::child::masked(&a.command, inject) } else { crate::child::replace(&a.command, inject) }
}
