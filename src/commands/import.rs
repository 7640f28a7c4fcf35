//! `tokctl import`: store secrets issued elsewhere, one from stdin or a whole dotenv file.

use std::io::Read;

use crate::cli::{ImportArgs, MetaArgs};
use crate::commands::Ctx;
use crate::commands::create::expiry_words;
use crate::dotenv;
use crate::error::{self, Result};
use crate::formats;
use crate::input::secret_exact;
use crate::journal::Action;
use crate::secret::Secret;
use crate::ui::Shown;
use crate::ui::read_secret;
use crate::vault::{self, Kind, Meta};
use crate::when::{self, Expiry};

pub fn run(ctx: &Ctx, a: ImportArgs) -> Result<u8> {
    let given = crate::commands::issuer::Given::check(&a.issuer)?;
    if let Some(file) = &a.dotenv {
        if given.url.is_some() || given.hooks.iter().any(Option::is_some) || given.provider.flatten().is_some() {
            return Err(error::usage("--provider, --provider-url and the hooks name one token's issuer; with --dotenv only --provider none goes")
                .hint("import the file (a secret's format names its provider), then `tokctl update NAME --provider …`")
                .into());
        }
        return from_dotenv(ctx, file, &a.meta, a.skip_existing, given.provider.is_some());
    }
    if a.skip_existing {
        return Err(error::usage("--skip-existing only applies to --dotenv")
            .hint("add --dotenv FILE, or drop --skip-existing")
            .into());
    }
    let name = a.name.expect("clap requires a name without --dotenv");
    let m = &a.meta;
    let mut meta =
        Meta::new(&name, m.env.as_deref(), &m.scopes, m.expires.as_deref(), m.note.as_deref(), Expiry::Never)?;
    let rotate = m.rotate_every.as_deref().map(when::parse_period).transpose()?;
    meta.rotate_every = rotate.flatten();
    crate::commands::git_meta(&mut meta, m)?;
    let cmd = if a.replace { format!("tokctl import {name} --replace") } else { format!("tokctl import {name}") };
    let secret = read_secret(&format!("Secret for '{name}' (input hidden): "), &cmd)?;
    let found = formats::recognise(secret.expose());
    if !a.replace {
        meta.issuer = given.for_import(secret.expose())?;
    }
    if let Some(f) = &found
        && f.checksum_ok == Some(false)
    {
        ctx.say(format!("this looks like a {} token but its checksum is wrong: was it copied whole?", f.provider));
    }
    // A secret in a provider's format goes where that provider's CLI reads it, unless the name
    // is itself a provider's or --env said otherwise.
    if let Some(f) = found.as_ref().filter(|f| f.cli_reads && m.env.is_none() && formats::by_name(&name).is_none()) {
        meta.env = f.env.to_string();
    }
    if m.expires.is_none()
        && let Some(exp) = formats::jwt_expiry(secret.expose())
    {
        meta.expiry = Expiry::At(exp);
    }
    let mut acc = ctx.access()?;
    let secret_text = zeroize::Zeroizing::new(secret.expose().to_string());
    let provider = if a.replace {
        acc.read().ok().and_then(|op| op.payload.find(&name).ok().and_then(|r| r.provider))
    } else {
        None
    };
    let detected = meta.issuer.clone();
    let (env, expires_at) = if a.replace {
        replace(&mut acc, &name, m, meta, secret, &given)?
    } else {
        acc.write_or_create(|op| {
            op.payload.ensure_free(&name)?;
            op.payload.ensure_hosts_free(&meta.hosts, None)?;
            let r = meta.clone().record(&name, Kind::Imported, None, secret.clone());
            op.event(Action::Imported, &r.name, &r.id, "");
            let out = (r.env.clone(), r.expires_at);
            op.payload.records.push(r);
            Ok(out)
        })?
    };
    ctx.report_created(&acc);
    hint_env(ctx, &name, found.as_ref(), &env);
    if a.replace {
        if let (Some(had), Some(looks)) = (provider, vault::Provider::detect(secret_text.as_str()))
            && had != looks
        {
            ctx.say(format!(
                "the new secret looks like a {} token, but '{name}' names {} as its provider: \
                 `tokctl update {name} --provider {}` if it moved",
                looks.as_str(),
                had.as_str(),
                looks.as_str()
            ));
        }
    } else if given.provider.is_none()
        && let Some(p) = detected.provider
    {
        say_detected(ctx, std::slice::from_ref(&name), p, detected.url.as_deref());
    }
    if expires_at.is_none() {
        warn_no_expiry(ctx, &name, formats::always_expires(&name, found.as_ref()));
    }
    if expires_at.is_some_and(|t| t <= when::now()) {
        ctx.say(format!("the token's own expiry (its `exp` claim) has passed: {}", expiry_words(expires_at)));
    } else if a.replace {
        ctx.say(format!("'{name}' has a new secret and is active again as {env}; {}", expiry_words(expires_at)));
    } else {
        ctx.say(format!("stored '{name}' as {env}; {}", expiry_words(expires_at)));
    }
    if a.replace {
        crate::commands::bundle::say_stale(ctx, &mut acc, &name);
    }
    Ok(0)
}

/// `import NAME --replace`: a new secret in an existing record of any status. Its name, env,
/// scopes and note stay unless given; it becomes an active imported token again, its expiry
/// from --expires, the secret's own `exp`, or the lifetime it had.
fn replace(
    acc: &mut crate::access::Access,
    name: &str,
    m: &MetaArgs,
    meta: Meta,
    secret: Secret,
    given: &crate::commands::issuer::Given,
) -> Result<(String, Option<i64>)> {
    let now = when::now();
    let expiry_given = m.expires.is_some() || !matches!(meta.expiry, Expiry::Never);
    acc.write(|op| {
        if !meta.hosts.is_empty() {
            let id = op.payload.find(name).ok().map(|r| r.id.clone());
            op.payload.ensure_hosts_free(&meta.hosts, id.as_deref())?;
        }
        let r = op.payload.find_mut(name).map_err(|e| {
            let Some(error::Detail::NoSuchToken { close, .. }) = error::detail_of(&e) else { return e };
            let mean = close.as_ref().map(|c| format!("did you mean '{c}'? ")).unwrap_or_default();
            error::not_found(format!("no token named '{name}'"))
                .hint(format!("{mean}--replace needs an existing token; without it `tokctl import {name}` adds one"))
                .into()
        })?;
        let was = r.status(now);
        r.set_secret(secret.clone(), now);
        r.revoked_at = None;
        for h in &meta.hosts {
            if !r.hosts.contains(h) {
                r.hosts.push(h.clone());
            }
        }
        r.hosts.sort();
        if r.kind == Kind::Minted {
            r.kind = Kind::Imported;
            r.prefix = None;
        }
        given.apply(r)?;
        if m.env.is_some() {
            r.env = meta.env.clone();
        }
        if !m.scopes.is_empty() {
            r.scopes = meta.scopes.clone();
        }
        if m.note.is_some() {
            r.note = meta.note.clone();
        }
        if m.rotate_every.is_some() {
            r.rotate_every = meta.rotate_every;
        }
        if m.username.is_some() {
            r.username = meta.username.clone();
        }
        let (at, life) =
            if expiry_given { meta.expiry.resolve(now) } else { (r.lifetime.map(|l| now + l), r.lifetime) };
        r.expires_at = at;
        r.lifetime = life;
        r.updated_at = now;
        let (name, id, out) = (r.name.clone(), r.id.clone(), (r.env.clone(), r.expires_at));
        op.event(Action::Replaced, &name, &id, format!("a new secret; was {}", was.as_str()));
        Ok(out)
    })
}

/// Say which provider a secret's format chose, and where: a self-managed instance needs its
/// address, or tokctl would ask the public one.
fn say_detected(ctx: &Ctx, names: &[String], p: vault::Provider, url: Option<&str>) {
    let which = names.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(", ");
    ctx.say(format!(
        "{which}: provider {}, from the secret's format; for a self-managed instance \
         `tokctl update NAME --provider-url URL`, or `--provider none`",
        p.words(url)
    ));
}

/// Say when a token whose provider always sets an expiry was stored as never expiring.
fn warn_no_expiry(ctx: &Ctx, name: &str, provider: Option<&str>) {
    if let Some(provider) = provider {
        ctx.say(format!(
            "{provider} tokens always expire, but '{name}' was stored as never expiring: set --expires to \
             the date the provider shows (`tokctl update {name} --expires 2027-01-31`), or let \
             `tokctl inspect {name}` read it from the provider"
        ));
    }
}

/// Say when the variable the token ended up in is not the one its provider's tools read.
fn hint_env(ctx: &Ctx, name: &str, found: Option<&formats::Recognised>, env: &str) {
    let usual = found.map(|f| (f.provider, f.env)).or_else(|| formats::by_name(name).map(|w| (w.provider, w.env)));
    if let Some((provider, usual)) = usual
        && usual != env
    {
        ctx.say(format!("{provider} tokens are usually read from {usual}: `tokctl update {name} --env {usual}`"));
    }
}

fn from_dotenv(ctx: &Ctx, file: &std::path::Path, m: &MetaArgs, skip_existing: bool, no_provider: bool) -> Result<u8> {
    if !m.hosts.is_empty() || m.username.is_some() {
        return Err(error::usage("--host and --username name one token's; they do not go with --dotenv")
            .hint("import the file, then `tokctl update NAME --host HOST` for the token git should answer with")
            .into());
    }
    let limit = 64 * 1024 * 1024;
    let read = if file.as_os_str() == "-" {
        crate::ui::read_stdin(limit)
    } else {
        let mut raw = zeroize::Zeroizing::new(Vec::new());
        std::fs::File::open(file).and_then(|f| f.take(limit).read_to_end(&mut raw)).map(|_| raw)
    };
    let raw = read.map_err(|e| {
        error::usage(format!("cannot read the dotenv file {}: {e}", file.shown())).hint("check the path")
    })?;
    let text = std::str::from_utf8(&raw).map_err(|_| error::usage(format!("{} is not UTF-8 text", file.shown())))?;
    let entries = dotenv::parse(text)?;
    if entries.is_empty() {
        return Err(error::usage(format!("{} holds no VAR=value lines", file.shown())).into());
    }
    let rotate_every = m.rotate_every.as_deref().map(when::parse_period).transpose()?.flatten();
    let mut records = Vec::with_capacity(entries.len());
    let mut always_expire = Vec::new();
    for e in entries {
        let name = dotenv::name_for(&e.var);
        let at = |err| {
            error::within(err, format!("line {} of {} ({})", e.line, file.shown(), e.var), Some(error::Code::Usage))
        };
        vault::check_name(&name).map_err(at)?;
        // Byte for byte: the quotes say where a value ends, so a trailing newline is its own.
        let secret = secret_exact(e.value.as_bytes().to_vec(), "the value", "tokctl import NAME").map_err(at)?;
        let mut meta = Meta::new(&name, Some(&e.var), &m.scopes, m.expires.as_deref(), None, Expiry::Never)?;
        meta.rotate_every = rotate_every;
        if !no_provider {
            meta.issuer.provider = vault::Provider::detect(secret.expose());
        }
        if m.expires.is_none()
            && let Some(p) = formats::always_expires(&name, formats::recognise(secret.expose()).as_ref())
        {
            always_expire.push((name.clone(), p));
        }
        records.push(meta.record(&name, Kind::Imported, None, secret));
    }
    let mut acc = ctx.access()?;
    let (added, skipped, shared, detected) = acc.write_or_create(|op| {
        let mut index: std::collections::HashSet<String> = op.payload.records.iter().map(|r| r.name.clone()).collect();
        let (mut added, mut skipped, mut shared, mut detected) = (0, 0, Vec::new(), Vec::new());
        for r in records.iter().cloned() {
            if index.contains(&r.name) {
                if skip_existing {
                    skipped += 1;
                    continue;
                }
                op.payload.ensure_free(&r.name)?;
            }
            // A token not revoked that already goes into this variable: both would set it.
            if let Some(other) = op.payload.records.iter().find(|o| o.env == r.env && o.revoked_at.is_none()) {
                shared.push((r.name.clone(), other.name.clone(), r.env.clone()));
            }
            index.insert(r.name.clone());
            op.event(Action::Imported, &r.name, &r.id, "from dotenv");
            if let Some(p) = r.provider {
                detected.push((p, r.name.clone()));
            }
            op.payload.records.push(r);
            added += 1;
        }
        Ok((added, skipped, shared, detected))
    })?;
    ctx.report_created(&acc);
    for p in [vault::Provider::Gitlab, vault::Provider::Github, vault::Provider::Npm] {
        let named: Vec<String> = detected.iter().filter(|(q, _)| *q == p).map(|(_, n)| n.clone()).collect();
        if !named.is_empty() {
            say_detected(ctx, &named, p, None);
        }
    }
    for (name, other, var) in &shared {
        ctx.say(format!(
            "'{name}' goes into {var}, which '{other}' already uses: `exec` refuses to set it from both; \
             `tokctl update {name} --env OTHER_VAR` gives it another"
        ));
    }
    for (name, provider) in &always_expire {
        if records.iter().any(|r| &r.name == name && r.expires_at.is_none()) {
            warn_no_expiry(ctx, name, Some(provider));
        }
    }
    let skipped = if skipped > 0 { format!(", skipped {skipped} that already existed") } else { String::new() };
    ctx.say(format!("imported {added} token{}{skipped}", if added == 1 { "" } else { "s" }));
    Ok(0)
}
