//! `tokctl create`: mint a token and print it once.

use crate::cli::CreateArgs;
use crate::commands::Ctx;
use crate::crypto;
use crate::error::{self, Result};
use crate::formats;
use crate::journal::Action;
use crate::ui::Shown;
use crate::ui::out_line;
use crate::vault::{self, Kind, Meta};
use crate::when::{self, Expiry};

pub fn expiry_words(expires_at: Option<i64>) -> String {
    match expires_at {
        Some(t) => format!("expires {} ({})", when::relative(t, when::now()), when::rfc3339(t)),
        None => "never expires".into(),
    }
}

pub fn run(ctx: &Ctx, a: CreateArgs) -> Result<u8> {
    if let Some(w) = formats::by_name(&a.name).filter(|_| !a.force) {
        return Err(error::usage(format!(
            "'{}' is {}'s token: {} issues it, and a secret tokctl mints would not work there",
            a.name, w.provider, w.provider
        ))
        .hint(format!(
            "store the token {} gave you: `tokctl import {}` (it reads it from stdin or asks for it);\n\
             or mint one under this name anyway with --force",
            w.provider, a.name
        ))
        .into());
    }
    let m = &a.meta;
    let mut meta = Meta::new(
        &a.name,
        m.env.as_deref(),
        &m.scopes,
        m.expires.as_deref(),
        m.note.as_deref(),
        Expiry::After(90 * 86_400),
    )?;
    meta.rotate_every = m.rotate_every.as_deref().map(when::parse_period).transpose()?.flatten();
    crate::commands::git_meta(&mut meta, m)?;
    vault::check_prefix(&a.prefix)?;
    let secret = crypto::mint(&a.prefix);
    let mut acc = ctx.access()?;
    let (env, expires_at) = acc.write_or_create(|op| {
        op.payload.ensure_free(&a.name)?;
        op.payload.ensure_hosts_free(&meta.hosts, None)?;
        let r = meta.clone().record(&a.name, Kind::Minted, Some(a.prefix.clone()), secret.clone());
        op.event(Action::Created, &r.name, &r.id, format!("scopes: {}", r.scopes.join(",")));
        let out = (r.env.clone(), r.expires_at);
        op.payload.records.push(r);
        Ok(out)
    })?;
    out_line(secret.expose(), true)?;
    ctx.report_created(&acc);
    ctx.say(format!("stored '{}' in {} as {env}; {}", a.name, ctx.vault.shown(), expiry_words(expires_at)));
    Ok(0)
}
