//! `regenerate` of a token whose provider can rotate it: the provider makes the new secret.
//!
//! The order is what keeps a token from being lost. A rotation-pending mark is sealed in the
//! record (under the writers' lock, re-reading the vault; check-and-set on a remote store)
//! before the provider is called, so a second `regenerate` refuses while one is under way and
//! a lost answer stays visible. The request is sent once and never retried (GitLab treats a
//! second rotation with the old secret as reuse and revokes the new one). The provider's new
//! secret is sealed before success is reported; if that seal fails, the secret is printed once
//! on stdout with exit 1 and the `import --replace` command that stores it. A failure the
//! provider certainly did not act on clears the mark; one it may have (a timeout, a lost
//! connection, a server error) leaves it, and the old secret is never sent to rotate again.

use crate::access::Access;
use crate::commands::Ctx;
use crate::commands::create::expiry_words;
use crate::error::{self, Result};
use crate::journal::Action;
use crate::provider::{self, Asker, Target};
use crate::secret::Secret;
use crate::ui::out_line;
use crate::vault::Provider;
use crate::when::{self, Expiry};

/// GitLab's default cap on a token's lifetime, which `never` means there.
const GITLAB_MAX_DAYS: i64 = 365;
/// A token's lifetime when nothing says it.
const DEFAULT_DAYS: i64 = 90;
const DAY: i64 = 86_400;

/// npm's password, asked before anything is sealed or sent; its one-time password on demand.
struct Person {
    password: Option<Secret>,
}

impl Asker for Person {
    fn password(&self) -> Option<&Secret> {
        self.password.as_ref()
    }
    fn otp(&self) -> Result<Secret> {
        crate::ui::ask_hidden("One-time password from your authenticator: ")
    }
}

/// How many days the new secret should live at GitLab: `--expires` when given, else the old
/// secret's lifetime (its expiry minus when it was set, rounded up to a day), else 90; at most
/// the instance's cap, said on stderr when it applies.
fn lifetime_days(ctx: &Ctx, t: &Target, expiry: Option<Expiry>, now: i64) -> i64 {
    let up = |secs: i64| (secs + DAY - 1).div_euclid(DAY).max(1);
    let days = match expiry {
        Some(Expiry::After(secs)) => up(secs),
        Some(Expiry::At(at)) => up(at - now),
        Some(Expiry::Never) => GITLAB_MAX_DAYS + 1,
        None => t.expires_at.map(|e| up(e - t.secret_set_at)).unwrap_or(DEFAULT_DAYS),
    };
    if t.provider == Provider::Gitlab && days > GITLAB_MAX_DAYS {
        ctx.say(format!(
            "GitLab caps a token's lifetime at {GITLAB_MAX_DAYS} days (unless the instance allows more): \
             the new one expires in {GITLAB_MAX_DAYS} days"
        ));
        return GITLAB_MAX_DAYS;
    }
    days
}

pub fn run(ctx: &Ctx, mut acc: Access, t: Target, id: String, expiry: Option<Expiry>) -> Result<u8> {
    provider::check_rotatable(&t)?;
    let now = when::now();
    let person = Person {
        password: if provider::needs_password(&t) {
            if !crate::ui::stdin_is_tty() {
                return Err(error::usage(format!(
                    "rotating '{}' at npm needs the account's password, asked on a terminal (never from argv or \
                     the environment)",
                    t.name
                ))
                .hint(format!(
                    "run it at a terminal, or make a new token with `npm token create` and store it with \
                     `tokctl import {} --replace`",
                    t.name
                ))
                .into());
            }
            Some(crate::ui::ask_hidden(&format!("npm password for the account of '{}' (input hidden): ", t.name))?)
        } else {
            None
        },
    };
    let days = lifetime_days(ctx, &t, expiry, now);
    // The mark, sealed before the provider hears of it.
    acc.write(|op| {
        let r = op.payload.records.iter_mut().find(|r| r.id == id).ok_or_else(|| gone(&t.name))?;
        if r.rotation_pending.is_some() {
            return Err(r.pending_error());
        }
        if r.revoked_at.is_some() || !still_sent(r, &t) {
            return Err(error::conflict(format!("'{}' changed while it was being regenerated", t.name))
                .hint("run `tokctl regenerate` again")
                .into());
        }
        r.rotation_pending = Some(now);
        let (name, id) = (r.name.clone(), r.id.clone());
        op.event(Action::RotationStarted, &name, &id, t.provider.as_str());
        Ok(())
    })?;
    let rotated = match provider::rotate(&t, days, &person) {
        Ok(r) => r,
        Err(f) => return Err(failed(&mut acc, &t, &id, f)),
    };
    let new = rotated.secret.clone();
    let mut missing = false;
    let sealed = acc.write(|op| {
        let Some(r) = op.payload.records.iter_mut().find(|r| r.id == id) else {
            missing = true;
            return Err(gone(&t.name));
        };
        // The record must still be the one sent to rotate, mark and all: a secret stored
        // meanwhile (`import --replace`) is never overwritten behind the user's back.
        if r.rotation_pending != Some(now) || !still_sent(r, &t) {
            return Err(error::conflict(format!(
                "'{}' changed while the provider was rotating it (a new secret was stored, or it was revoked)",
                t.name
            ))
            .into());
        }
        let now = when::now();
        r.set_secret(new.clone(), now);
        let (at, life) = match (rotated.expires_at, expiry) {
            (Some(at), _) => (at, at.map(|a| a - now)),
            (None, Some(x)) => x.resolve(now),
            (None, None) => (r.lifetime.map(|l| now + l), r.lifetime),
        };
        r.expires_at = at;
        r.lifetime = life;
        r.updated_at = now;
        let (name, id) = (r.name.clone(), r.id.clone());
        op.event(Action::Regenerated, &name, &id, format!("at {}", t.provider.as_str()));
        Ok(at)
    });
    let expires_at = match sealed {
        Ok(at) => at,
        Err(e) => {
            // The provider has replaced the old secret: this is the only copy of the new one.
            out_line(new.expose(), true)?;
            return Err(anyhow::anyhow!(
                "{} issued a new secret for '{}' (printed above, once) but it could not be stored: {}\n\
                 store it now with `tokctl import {}{}` (paste it when asked) if it should be the one kept; \
                 the old secret no longer works there",
                t.words(),
                t.name,
                format!("{e:#}").replace('\n', "; "),
                t.name,
                if missing { "" } else { " --replace" }
            ));
        }
    };
    out_line(new.expose(), true)?;
    ctx.say(format!(
        "'{}' was rotated at {}: the new secret is stored; {}; the old one no longer works there",
        t.name,
        t.words(),
        expiry_words(expires_at)
    ));
    if let Some(n) = &rotated.note {
        ctx.say(n);
    }
    if let Some(w) = &rotated.warning {
        crate::ui::print_error(&anyhow::anyhow!("{w}"));
    }
    crate::commands::bundle::say_stale(ctx, &mut acc, &t.name);
    Ok(if rotated.warning.is_some() { 1 } else { 0 })
}

/// Whether `r` still holds the secret `t` sends to rotate.
fn still_sent(r: &crate::vault::Record, t: &Target) -> bool {
    r.secret.as_ref().map(Secret::expose) == Some(t.secret.expose())
}

fn gone(name: &str) -> anyhow::Error {
    error::conflict(format!("'{name}' was deleted or renamed while it was being regenerated"))
        .hint("check `tokctl list --all`")
        .into()
}

/// The rotation gave no new secret: clear the mark when the provider certainly did nothing
/// (and mark the token dead when it said so), keep it when it may have; log it either way.
fn failed(acc: &mut Access, t: &Target, id: &str, f: provider::RotateFailure) -> anyhow::Error {
    let why = format!("{:#}", f.error).lines().next().unwrap_or("").to_string();
    let now = when::now();
    let logged = acc.write(|op| {
        let Some(r) = op.payload.records.iter_mut().find(|r| r.id == id) else { return Ok(()) };
        if !f.maybe_done {
            r.rotation_pending = None;
        }
        if f.dead {
            r.dead_at_provider = Some(now);
        }
        let (name, rid) = (r.name.clone(), r.id.clone());
        let mark = if f.maybe_done { "the pending mark stays" } else { "nothing changed" };
        op.event(Action::RotationFailed, &name, &rid, format!("{}: {why}; {mark}", t.provider.as_str()));
        Ok(())
    });
    if let Err(e) = logged {
        crate::ui::print_error(&e);
    }
    if let Some(secret) = &f.secret {
        // The only copy of what the provider may now hold as the token: shown once, not kept.
        if let Err(e) = out_line(secret.expose(), true) {
            crate::ui::print_error(&e);
        }
        return anyhow::anyhow!(
            "{:#}\nthe hook answered a new secret before it failed (printed above, once, and not stored); \
             if the provider now holds it, store it with `tokctl import {} --replace`; the old secret is never \
             sent to rotate again",
            f.error,
            t.name
        );
    }
    if f.maybe_done {
        return anyhow::anyhow!(
            "{:#}\nthe rotation of '{}' may have happened at {} without its answer reaching tokctl: the old secret \
             may no longer work there, and it will never be sent to rotate again; re-issue the token there and \
             store it with `tokctl import {} --replace` (the same one, if you know the provider never rotated it)",
            f.error,
            t.name,
            t.words(),
            t.name
        );
    }
    f.error
}
