//! `tokctl inspect`: ask each token's provider about it, keep what it said in the record, and
//! log it. A token its provider says is revoked or expired becomes `dead at provider`.

use serde_json::{Value, json};

use crate::cli::InspectArgs;
use crate::commands::Ctx;
use crate::error::{self, Result};
use crate::journal::Action;
use crate::provider::{self, Facts, Target};
use crate::ui;
use crate::vault::Record;
use crate::when;

/// One token asked about: which record (by id and secret), and what came back.
struct Asked {
    id: String,
    hash: [u8; 32],
    target: Target,
    answer: Result<Facts>,
}

pub fn run(ctx: &Ctx, a: InspectArgs) -> Result<u8> {
    let mut acc = ctx.access()?;
    let targets = {
        let op = acc.read()?;
        let own = op.own_vault();
        let mut targets = Vec::new();
        if a.all {
            // Revoked tokens have no secret: `Target::of` passes them over.
            for r in &op.payload.records {
                // A command provider without an inspect hook has nothing to ask.
                if let Some(t) = Target::of(r, own).filter(|t| t.acts(crate::vault::Hook::Inspect)) {
                    targets.push((r.id.clone(), r.hash, t));
                }
            }
        } else {
            for name in &a.names {
                let r = op.payload.find(name)?;
                targets.push((r.id.clone(), r.hash, askable(r, own)?));
            }
        }
        targets
    };
    if targets.is_empty() {
        ctx.say("no token names a provider that can be asked: `tokctl update NAME --provider gitlab|github|npm` (or `command` with `--on-inspect CMD`) sets one");
        if a.json {
            ui::print_json(&json!([]))?;
        }
        return Ok(0);
    }
    // One request (or hook) per token, all at once: each waits on its own provider.
    let asked: Vec<Asked> = std::thread::scope(|s| {
        let handles: Vec<_> = targets
            .into_iter()
            .map(|(id, hash, target)| {
                s.spawn(move || {
                    let answer = provider::inspect(&target);
                    Asked { id, hash, target, answer }
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("an inspect thread panicked")).collect()
    });
    let now = when::now();
    // Every target comes from the user's own vault file, which can be written.
    if asked.iter().any(|x| x.answer.is_ok()) {
        acc.write(|op| {
            for x in &asked {
                let Ok(facts) = &x.answer else { continue };
                // The record changed its secret meanwhile: this answer is about the old one.
                let Some(r) = op.payload.records.iter_mut().find(|r| r.id == x.id && r.hash == x.hash) else {
                    continue;
                };
                let detail = apply(r, facts, now);
                let (name, id) = (r.name.clone(), r.id.clone());
                op.event(Action::Inspected, &name, &id, detail);
            }
            Ok(())
        })?;
    }
    let mut code = 0u8;
    let mut rows = Vec::new();
    for x in &asked {
        match &x.answer {
            Ok(f) => {
                if let Some(n) = &f.note {
                    ctx.say(n);
                }
                if !f.valid {
                    code = worst(code, 4);
                    ui::print_error(&anyhow::anyhow!(
                        "'{0}' is dead at {1}: `get` and `exec` refuse it now\n\
                         issue a new one there and store it with `tokctl import {0} --replace`",
                        x.target.name,
                        x.target.words()
                    ));
                }
                if a.json {
                    rows.push(row(&x.target, Some(f), None));
                } else {
                    ui::out_line(&line(&x.target, f, now), true)?;
                }
            }
            Err(e) => {
                code = worst(code, crate::error::exit_code(e));
                ui::print_error(&anyhow::anyhow!("'{}': {e:#}", x.target.name));
                if a.json {
                    rows.push(row(&x.target, None, Some(e)));
                }
            }
        }
    }
    if a.json {
        ui::print_json(&Value::Array(rows))?;
    }
    Ok(code)
}

/// A named token that can be asked about: it names a provider and still has its secret.
fn askable(r: &Record, own: bool) -> Result<Target> {
    if r.provider.is_none() {
        return Err(error::usage(format!("'{}' names no provider to ask", r.name))
            .hint(format!(
                "set one with `tokctl update {} --provider gitlab|github|npm|command`; `inspect --all` skips such tokens",
                r.name
            ))
            .into());
    }
    if !own {
        return Err(error::usage(format!(
            "'{}' is not in your own vault: a provider is asked only about tokens there",
            r.name
        ))
        .hint(
            "a remote store's or a bundle's records (or a vault opened with a key from the environment, away from \
             your data directory) may have been written by others; inspect the token from the vault you keep it in",
        )
        .into());
    }
    if r.secret.is_none() || r.revoked_at.is_some() {
        return Err(error::unusable(format!("token '{}' is revoked: there is no secret to ask about", r.name))
            .hint(r.revoked_hint())
            .into());
    }
    Ok(Target::of(r, own).expect("a provider and a secret"))
}

/// Exit codes by precedence: 1 (unreachable) before 5 (refused) before 4 (not valid); a usage
/// error (2) from a hook's words counts as 1's peer, after it.
fn worst(have: u8, new: u8) -> u8 {
    let rank = |c: u8| match c {
        0 => 0,
        4 => 1,
        5 => 2,
        1 => 4,
        _ => 3,
    };
    if rank(new) > rank(have) { new } else { have }
}

/// Put what the provider said into the record; the log's detail.
fn apply(r: &mut Record, f: &Facts, now: i64) -> String {
    r.inspected_at = Some(now);
    // A pending rotation stays pending whatever the answer: the old secret was sent to rotate,
    // and only a new secret (`import --replace`) ends that.
    let who = r.provider.map(|p| p.as_str()).unwrap_or("the provider");
    if !f.valid {
        r.dead_at_provider = r.dead_at_provider.or(Some(now));
        return format!("dead at {who}: {}", f.why.as_deref().unwrap_or("not valid"));
    }
    r.dead_at_provider = None;
    let mut said = vec![format!("valid at {who}")];
    if let Some(exp) = f.expires_at {
        if exp != r.expires_at {
            r.expires_at = exp;
            r.lifetime = exp.map(|e| e - r.secret_set_at).filter(|l| *l > 0);
        }
        said.push(format!("expires {}", exp.map(when::rfc3339).unwrap_or_else(|| "never".into())));
    }
    if let Some(s) = &f.scopes {
        r.provider_scopes = Some(s.clone());
        said.push(format!("scopes {}", if s.is_empty() { "(none)".into() } else { s.join(",") }));
    }
    if let Some(u) = f.last_used_at {
        r.provider_last_used_at = Some(u);
        said.push(format!("last used {}", when::rfc3339(u)));
    }
    said.join("; ")
}

/// One token's answer as a line: name, verdict, expiry, scopes, last use, account.
fn line(t: &Target, f: &Facts, now: i64) -> String {
    let mut parts = vec![format!("{}: {} ({})", t.name, if f.valid { "valid" } else { "dead at provider" }, t.words())];
    if !f.valid {
        if let Some(w) = &f.why {
            parts.push(w.clone());
        }
        return ui::escape(&parts.join("; ")).into_owned();
    }
    if let Some(u) = &f.account {
        parts.push(format!("account {u}"));
    }
    match f.expires_at {
        Some(Some(e)) => parts.push(format!("expires {} ({})", when::rfc3339(e), when::relative(e, now))),
        Some(None) => parts.push("never expires".into()),
        None => {}
    }
    if let Some(s) = &f.scopes {
        parts.push(format!("scopes {}", if s.is_empty() { "(none)".into() } else { s.join(", ") }));
    }
    if let Some(u) = f.last_used_at {
        parts.push(format!("last used {}", when::relative(u, now)));
    }
    ui::escape(&parts.join("; ")).into_owned()
}

/// One token's answer as JSON (documented in the README).
fn row(t: &Target, f: Option<&Facts>, e: Option<&anyhow::Error>) -> Value {
    let time = |v: Option<i64>| v.map(when::rfc3339);
    json!({
        "name": t.name,
        "provider": t.provider.as_str(),
        "valid": f.map(|f| f.valid),
        "expires_at": f.and_then(|f| f.expires_at).map(time),
        "scopes": f.and_then(|f| f.scopes.clone()),
        "last_used_at": time(f.and_then(|f| f.last_used_at)),
        "account": f.and_then(|f| f.account.clone()),
        "why": f.and_then(|f| f.why.clone()),
        "error": e.map(|e| json!({"code": crate::error::exit_code(e), "message": format!("{e:#}").lines().next().unwrap_or("").to_string()})),
    })
}
