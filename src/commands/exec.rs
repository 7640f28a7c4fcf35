//! `tokctl exec`: run a command with the selected tokens in its environment.

use crate::cli::{ExecArgs, SelectArgs};
use crate::commands::{Ctx, warn_if_due};
use crate::error::Result;
use crate::secret::Secret;
use crate::select::{self, Selection};
use crate::when;

/// The selection, with the notes and expiry reminders said on stderr; the records named in
/// `files` (`exec --file`) are read too.
pub fn selected(ctx: &Ctx, s: &SelectArgs, files: &[(String, String)]) -> Result<Selection> {
    // -t, --scope and --file need no project file: the user typed them.
    let typed = !s.tokens.is_empty() || !s.scopes.is_empty() || !files.is_empty();
    let project = if typed { None } else { ctx.project()? };
    let want = select::want(&s.tokens, &s.scopes, !files.is_empty(), project)?;
    let mut acc = ctx.access_using_project(matches!(want, select::Want::Project { .. }))?;
    let also: Vec<&str> = files.iter().map(|(_, n)| n.as_str()).collect();
    let sel = select::select(&want, &also, &mut acc)?;
    for n in &sel.notes {
        ctx.say(n);
    }
    let now = when::now();
    let named = sel.chosen.iter().map(|c| c.name.as_str()).chain(also.iter().copied());
    for name in named {
        if let Ok(r) = sel.opened.payload.find(name) {
            warn_if_due(ctx, r, now);
        }
    }
    Ok(sel)
}

pub fn run(ctx: &Ctx, a: ExecArgs) -> Result<u8> {
    let files = a.files.iter().map(|f| select::parse_file_flag(f)).collect::<Result<Vec<_>>>()?;
    let Selection { opened, chosen, .. } = selected(ctx, &a.select, &files)?;
    let now = when::now();
    let mut file_secrets: Vec<(String, Secret)> = Vec::new();
    for (var, name) in &files {
        if chosen.iter().any(|c| c.var == *var) || file_secrets.iter().any(|(v, _)| v == var) {
            return Err(crate::error::usage(format!("{var} is set twice (by --file and -t, or two --file)"))
                .hint("give each its own variable")
                .into());
        }
        file_secrets.push((var.clone(), opened.payload.find(name)?.usable_secret(now)?.clone()));
    }
    let program = std::path::Path::new(&a.command[0])
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| a.command[0].to_string_lossy().into_owned());
    // A command that cannot start is not a use: refuse it before the log says it was.
    crate::child::check_startable(&a.command[0])?;
    let mut names: Vec<&str> = chosen.iter().map(|c| c.name.as_str()).collect();
    names.extend(files.iter().map(|(_, n)| n.as_str()).filter(|n| !names.contains(n)).collect::<Vec<_>>());
    opened.record_use(&names, &format!("exec {program}"));
    // Nothing of the vault may outlive this point: no key, no records, no open file.
    drop(opened);
    let inject: Vec<(String, Secret)> = chosen.into_iter().map(|c| (c.var, c.secret)).collect();
    if files.is_empty() {
        return if a.mask {
            crate::child::masked(&a.command, inject, &[], &[])
        } else {
            crate::child::replace(&a.command, inject)
        };
    }
    run_with_files(&a, inject, file_secrets)
}

/// `exec --file`: tokctl stays the parent, so the files go when the command goes.
#[cfg(unix)]
fn run_with_files(a: &ExecArgs, inject: Vec<(String, Secret)>, files: Vec<(String, Secret)>) -> Result<u8> {
    let refs: Vec<(String, &Secret)> = files.iter().map(|(v, s)| (v.clone(), s)).collect();
    let dir = crate::child::files::write(&refs)?;
    drop(refs);
    // With --mask the files' secrets are masked in the output too.
    if a.mask {
        let secrets: Vec<Secret> = files.into_iter().map(|(_, s)| s).collect();
        crate::child::masked(&a.command, inject, &dir.vars, &secrets)
    } else {
        drop(files);
        crate::child::parented(&a.command, inject, &dir.vars)
    }
}

#[cfg(not(unix))]
fn run_with_files(_: &ExecArgs, _: Vec<(String, Secret)>, _: Vec<(String, Secret)>) -> Result<u8> {
    Err(crate::error::usage("--file is not supported on this platform").into())
}
