//! `tokctl update`: change metadata; the secret is untouched.

use crate::cli::UpdateArgs;
use crate::commands::Ctx;
use crate::error::{self, Result};
use crate::journal::Action;
use crate::vault;
use crate::when;

pub fn run(ctx: &Ctx, a: UpdateArgs) -> Result<u8> {
    let now = when::now();
    if let Some(n) = &a.rename {
        vault::check_name(n)?;
    }
    if let Some(e) = &a.env {
        vault::check_env(e)?;
        crate::vault::check_injectable(e)?;
    }
    let replace = vault::scope_set(&a.scopes)?;
    let add = vault::scope_set(&a.add_scopes)?;
    let remove = vault::scope_set(&a.remove_scopes)?;
    let expiry = a.expires.as_deref().map(|d| when::parse_expiry(d, now)).transpose()?;
    let rotate = a.rotate_every.as_deref().map(when::parse_period).transpose()?;
    let add_hosts = a.hosts.iter().map(|h| vault::check_host(h)).collect::<Result<Vec<_>>>()?;
    let remove_hosts = a.remove_hosts.iter().map(|h| vault::check_host(h)).collect::<Result<Vec<_>>>()?;
    if let Some(u) = a.username.as_deref().filter(|u| !u.is_empty()) {
        vault::check_username(u)?;
    }
    let issuer = crate::commands::issuer::Given::check(&a.issuer)?;
    if a.rename.is_none()
        && a.env.is_none()
        && a.scopes.is_empty()
        && add.is_empty()
        && remove.is_empty()
        && expiry.is_none()
        && a.note.is_none()
        && rotate.is_none()
        && add_hosts.is_empty()
        && remove_hosts.is_empty()
        && a.username.is_none()
        && !issuer.any()
    {
        return Err(error::usage("nothing to change")
            .hint(
                "give at least one of --rename, --scope, --add-scope, --remove-scope, --env, --expires, --note, \
                 --rotate-every, --host, --remove-host, --username, --provider, --provider-url, --on-rotate, \
                 --on-revoke, --on-inspect",
            )
            .into());
    }
    ctx.access()?
        .write(|op| {
            if let Some(n) = &a.rename
                && n != &a.name
            {
                op.payload.ensure_free(n)?;
            }
            let id = op.payload.find(&a.name)?.id.clone();
            op.payload.ensure_hosts_free(&add_hosts, Some(&id))?;
            let r = op.payload.find_mut(&a.name)?;
            let mut changed = Vec::new();
            if let Some(n) = &a.rename {
                r.name = n.clone();
                changed.push(format!("renamed from {}", a.name));
            }
            if let Some(e) = &a.env {
                r.env = e.clone();
                changed.push(format!("env {e}"));
            }
            if !a.scopes.is_empty() {
                r.scopes = replace.clone();
            }
            r.scopes.extend(add.iter().cloned());
            r.scopes.retain(|s| !remove.contains(s));
            r.scopes.sort();
            r.scopes.dedup();
            if !a.scopes.is_empty() || !add.is_empty() || !remove.is_empty() {
                changed.push(format!("scopes {}", r.scopes.join(",")));
            }
            if let Some(x) = expiry {
                let (at, life) = x.resolve(now);
                r.expires_at = at;
                r.lifetime = life;
                changed.push(format!("expires {}", at.map(when::rfc3339).unwrap_or_else(|| "never".into())));
            }
            if let Some(n) = &a.note {
                r.note = n.clone();
                changed.push("note".into());
            }
            if let Some(p) = rotate {
                r.rotate_every = p;
                changed.push(format!("rotate every {}", p.map(when::span_words).unwrap_or_else(|| "never".into())));
            }
            if !add_hosts.is_empty() || !remove_hosts.is_empty() {
                for h in &remove_hosts {
                    if !r.hosts.contains(h) {
                        return Err(error::usage(format!("'{}' has no --host {h}", a.name))
                            .hint(format!(
                                "its hosts: {}",
                                if r.hosts.is_empty() { "none".into() } else { r.hosts.join(", ") }
                            ))
                            .into());
                    }
                }
                r.hosts.retain(|h| !remove_hosts.contains(h));
                r.hosts.extend(add_hosts.iter().filter(|h| !remove_hosts.contains(h)).cloned());
                r.hosts.sort();
                r.hosts.dedup();
                changed.push(format!("hosts {}", if r.hosts.is_empty() { "none".into() } else { r.hosts.join(",") }));
            }
            if let Some(u) = &a.username {
                r.username = Some(u.clone()).filter(|u| !u.is_empty());
                changed.push(format!("username {}", r.username.as_deref().unwrap_or("(the provider's)")));
            }
            if let Some(words) = issuer.apply(r)? {
                changed.push(words);
            }
            r.updated_at = now;
            let (name, id) = (r.name.clone(), r.id.clone());
            let what = changed.join("; ");
            op.event(Action::Updated, &name, &id, what.clone());
            Ok((name, what))
        })
        .map(|(name, what)| {
            ctx.say(format!("updated '{name}': {}", if what.is_empty() { "scopes unchanged" } else { &what }))
        })?;
    Ok(0)
}
