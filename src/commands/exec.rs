//! `tokctl exec`: run a command with the selected tokens in its environment.

use crate::access::{self, Ctx, Opened};
use crate::cli::{ExecArgs, SelectArgs};
use crate::commands::warn_if_due;
use crate::error::Result;
use crate::secret::Secret;
use crate::select::{self, Chosen};
use crate::when;

/// Read the vault the selection points at and resolve the tokens: `(VAR, name, secret)`.
pub fn selected(ctx: &Ctx, s: &SelectArgs) -> Result<(Opened, Vec<Chosen>)> {
    let (want, project_vault) = select::want(&s.tokens, &s.scopes)?;
    // A project's `vault = …` applies only when neither --vault nor TOKCTL_VAULT is set.
    let project_ctx = match project_vault {
        Some(v) if ctx.default_path => Some(Ctx { vault: v, default_path: false, quiet: ctx.quiet, color: ctx.color }),
        _ => None,
    };
    let ctx_used = project_ctx.as_ref().unwrap_or(ctx);
    // Named tokens need only their own records; a scope needs to see every record.
    let op = match want.names() {
        Some(names) => access::read_only(ctx_used, &names)?,
        None => access::read(ctx_used)?,
    };
    let chosen = select::resolve(&want, &op.payload, ctx.quiet)?;
    let now = when::now();
    for (_, name, _) in &chosen {
        if let Ok(r) = op.payload.find(name) {
            warn_if_due(ctx, r, now);
        }
    }
    Ok((op, chosen))
}

pub fn run(ctx: &Ctx, a: ExecArgs) -> Result<u8> {
    let (op, chosen) = selected(ctx, &a.select)?;
    let program = std::path::Path::new(&a.command[0])
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| a.command[0].to_string_lossy().into_owned());
    let names: Vec<&str> = chosen.iter().map(|(_, n, _)| n.as_str()).collect();
    op.record_use(&names, &format!("exec {program}"));
    // Nothing of the vault may outlive this point: no key, no records, no open file.
    drop(op);
    let inject: Vec<(String, Secret)> = chosen.into_iter().map(|(v, _, s)| (v, s)).collect();
    if a.mask { crate::child::masked(&a.command, inject) } else { crate::child::replace(&a.command, inject) }
}
