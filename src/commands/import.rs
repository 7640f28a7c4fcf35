//! `tokctl import`: store secrets issued elsewhere, one from stdin or a whole dotenv file.

use std::io::Read;

use crate::cli::{ImportArgs, MetaArgs};
use crate::commands::Ctx;
use crate::commands::create::expiry_words;
use crate::dotenv;
use crate::error::{self, Result};
use crate::formats;
use crate::input::secret_exact;
use crate::ui::read_secret;
use crate::vault::{self, Kind, Meta};
use crate::when::Expiry;

pub fn run(ctx: &Ctx, a: ImportArgs) -> Result<u8> {
    if let Some(file) = &a.dotenv {
        return from_dotenv(ctx, file, &a.meta, a.skip_existing);
    }
    if a.skip_existing {
        return Err(error::usage("--skip-existing only applies to --dotenv")
            .hint("add --dotenv FILE, or drop --skip-existing")
            .into());
    }
    let name = a.name.expect("clap requires a name without --dotenv");
    let m = &a.meta;
    let meta = Meta::new(&name, m.env.as_deref(), &m.scopes, m.expires.as_deref(), m.note.as_deref(), Expiry::Never)?;
    let secret = read_secret(&format!("Secret for '{name}' (input hidden): "))?;
    hint_format(ctx, &name, secret.expose(), a.meta.env.is_some());
    let mut acc = ctx.access()?;
    let (env, expires_at) = acc.write_or_create(|op| {
        op.payload.ensure_free(&name)?;
        let r = meta.record(&name, Kind::Imported, None, secret);
        op.event("imported", &r.name, &r.id, "");
        let out = (r.env.clone(), r.expires_at);
        op.payload.records.push(r);
        Ok(out)
    })?;
    ctx.report_created(&acc);
    ctx.say(format!("stored '{name}' as {env}; {}", expiry_words(expires_at)));
    Ok(0)
}

/// Say what the secret looks like: a mistyped GitHub token, or the env name its tools expect.
fn hint_format(ctx: &Ctx, name: &str, secret: &str, env_given: bool) {
    let found = formats::recognise(secret);
    if let Some(f) = &found
        && f.checksum_ok == Some(false)
    {
        ctx.say(format!("this looks like a {} token but its checksum is wrong: was it copied whole?", f.provider));
    }
    let usual = found.as_ref().map(|f| (f.provider, f.env)).or_else(|| formats::by_name(name).map(|e| ("this", e)));
    if let (false, Some((provider, env))) = (env_given, usual)
        && vault::default_env(name) != env
    {
        ctx.say(format!("{provider} tokens are usually read from {env}: `tokctl update {name} --env {env}`"));
    }
}

fn from_dotenv(ctx: &Ctx, file: &std::path::Path, m: &MetaArgs, skip_existing: bool) -> Result<u8> {
    let limit = 64 * 1024 * 1024;
    let read = if file.as_os_str() == "-" {
        crate::ui::read_stdin(limit)
    } else {
        let mut raw = zeroize::Zeroizing::new(Vec::new());
        std::fs::File::open(file).and_then(|f| f.take(limit).read_to_end(&mut raw)).map(|_| raw)
    };
    let raw = read.map_err(|e| {
        error::usage(format!("cannot read the dotenv file {}: {e}", file.display())).hint("check the path")
    })?;
    let text = std::str::from_utf8(&raw).map_err(|_| error::usage(format!("{} is not UTF-8 text", file.display())))?;
    let entries = dotenv::parse(text)?;
    if entries.is_empty() {
        return Err(error::usage(format!("{} holds no VAR=value lines", file.display())).into());
    }
    let mut records = Vec::with_capacity(entries.len());
    for e in entries {
        let name = dotenv::name_for(&e.var);
        let at = |err: anyhow::Error| {
            let inner = err.downcast_ref::<error::Error>().map(|x| x.message.clone()).unwrap_or_default();
            error::usage(format!("line {} of {} ({}): {inner}", e.line, file.display(), e.var))
        };
        vault::check_name(&name).map_err(at)?;
        // Byte for byte: the quotes say where a value ends, so a trailing newline is its own.
        let secret = secret_exact(e.value.as_bytes().to_vec(), "the value").map_err(at)?;
        let meta = Meta::new(&name, Some(&e.var), &m.scopes, m.expires.as_deref(), None, Expiry::Never)?;
        records.push(meta.record(&name, Kind::Imported, None, secret));
    }
    let mut acc = ctx.access()?;
    let (added, skipped) = acc.write_or_create(|op| {
        let mut index: std::collections::HashSet<String> = op.payload.records.iter().map(|r| r.name.clone()).collect();
        let (mut added, mut skipped) = (0, 0);
        for r in records {
            if index.contains(&r.name) {
                if skip_existing {
                    skipped += 1;
                    continue;
                }
                op.payload.ensure_free(&r.name)?;
            }
            index.insert(r.name.clone());
            op.event("imported", &r.name, &r.id, "from dotenv");
            op.payload.records.push(r);
            added += 1;
        }
        Ok((added, skipped))
    })?;
    ctx.report_created(&acc);
    let skipped = if skipped > 0 { format!(", skipped {skipped} that already existed") } else { String::new() };
    ctx.say(format!("imported {added} token{}{skipped}", if added == 1 { "" } else { "s" }));
    Ok(0)
}
