//! `tokctl list` and `tokctl show`: metadata only, never a secret.

use std::collections::HashMap;

use serde_json::{Value, json};

use crate::cli::{ListArgs, ShowArgs};
use crate::commands::{Ctx, UNUSED_AFTER, idle_since};
use crate::error::Result;
use crate::ui::{self, BOLD, DIM, RED, YELLOW, paint, print_json};
use crate::vault::{Hook, Issuer, Record, Status};
use crate::when;

const SOON: i64 = 7 * 86_400;

/// The stable JSON shape of a record (documented in the README).
pub fn record_json(r: &Record, last_used: Option<i64>, now: i64) -> Value {
    let t = |v: Option<i64>| v.map(when::rfc3339);
    json!({
        "name": r.name,
        "id": r.id,
        "kind": r.kind,
        "env": r.env,
        "scopes": r.scopes,
        "status": r.status(now),
        "created_at": when::rfc3339(r.created_at),
        "updated_at": when::rfc3339(r.updated_at),
        "expires_at": t(r.expires_at),
        "last_used_at": t(last_used),
        "revoked_at": t(r.revoked_at),
        "note": r.note,
        "fingerprint": r.fingerprint,
        "rotate_every": r.rotate_every,
        "rotation_due_at": t(r.rotation_due_at()),
        "username": r.username,
        "hosts": r.hosts,
        "provider": r.provider.map(|p| p.as_str()),
        "provider_url": r.provider_url,
        "on_rotate": r.on_rotate,
        "on_revoke": r.on_revoke,
        "on_inspect": r.on_inspect,
        "inspected_at": t(r.inspected_at),
        "provider_scopes": r.provider_scopes,
        "provider_last_used_at": t(r.provider_last_used_at),
        "dead_at_provider": t(r.dead_at_provider),
        "rotation_pending_since": t(r.rotation_pending),
    })
}

/// The STATUS cell: the status, and for an active token what needs care (rotation due, unused).
fn status_cell(r: &Record, last: Option<i64>, uses_recorded: bool, now: i64) -> String {
    let mut s = r.status(now).as_str().to_string();
    if r.rotation_due(now) {
        s.push_str(", rotate");
    }
    let idle = idle_since(r, last);
    if uses_recorded && r.status(now) == Status::Active && now - idle >= UNUSED_AFTER {
        s.push_str(&format!(", unused {}", when::relative(idle, now).trim_end_matches(" ago")));
    }
    s
}

pub fn list(ctx: &Ctx, a: ListArgs) -> Result<u8> {
    let now = when::now();
    let window = a.expiring.as_deref().map(|d| when::parse_window("--expiring", d)).transpose()?;
    if let Some(s) = &a.scope {
        crate::vault::check_scope(s)?;
    }
    let op = ctx.access()?.read()?;
    let last = op.last_used();
    let mut rows: Vec<&Record> = op
        .payload
        .records
        .iter()
        .filter(|r| a.all || r.status(now) != Status::Revoked)
        .filter(|r| a.scope.as_ref().is_none_or(|s| r.scopes.contains(s)))
        .filter(|r| {
            window.is_none_or(|w| r.status(now) != Status::Revoked && r.expires_at.is_some_and(|t| t - now <= w))
        })
        .collect();
    rows.sort_by(|x, y| x.name.cmp(&y.name));
    if a.json {
        let v: Vec<Value> = rows.iter().map(|r| record_json(r, last.get(&r.id).copied(), now)).collect();
        print_json(&Value::Array(v))?;
        return Ok(0);
    }
    if rows.is_empty() {
        ctx.say(if op.payload.records.is_empty() {
            "the vault is empty; add a token with `tokctl create` or `tokctl import`"
        } else {
            "no tokens match"
        });
        return Ok(0);
    }
    // A bundle records no uses: none of its tokens is "unused".
    print_table(&rows, &last, op.tracks_uses(), now)?;
    Ok(0)
}

fn print_table(rows: &[&Record], last: &HashMap<String, i64>, uses_recorded: bool, now: i64) -> Result<()> {
    let head = ["NAME", "ENV", "SCOPES", "EXPIRES", "LAST USED", "STATUS"];
    let cells: Vec<[String; 6]> = rows
        .iter()
        .map(|r| {
            [
                ui::escape(&r.name).into_owned(),
                ui::escape(&r.env).into_owned(),
                if r.scopes.is_empty() { "-".into() } else { ui::escape(&r.scopes.join(",")).into_owned() },
                r.expires_at.map(|t| when::relative(t, now)).unwrap_or_else(|| "never".into()),
                last.get(&r.id).map(|&t| when::relative(t, now)).unwrap_or_else(|| "never".into()),
                status_cell(r, last.get(&r.id).copied(), uses_recorded, now),
            ]
        })
        .collect();
    let mut w = head.map(str::len);
    for c in &cells {
        for (i, s) in c.iter().enumerate() {
            w[i] = w[i].max(s.chars().count());
        }
    }
    // The last column is not padded: no line ends in spaces, painted or not.
    let pad = |s: &str, i: usize| {
        if i + 1 == w.len() { s.to_string() } else { format!("{s}{}", " ".repeat(w[i] - s.chars().count())) }
    };
    let mut out = String::new();
    let header: Vec<String> = head.iter().enumerate().map(|(i, h)| pad(h, i)).collect();
    out.push_str(&paint(BOLD, header.join("  ").trim_end()));
    out.push('\n');
    for (r, c) in rows.iter().zip(&cells) {
        let mut line: Vec<String> = c.iter().enumerate().map(|(i, s)| pad(s, i)).collect();
        let due = r.expires_at.is_some_and(|t| t - now <= SOON);
        match r.status(now) {
            Status::Expired => {
                line[3] = paint(RED, &line[3]);
                line[5] = paint(RED, &line[5]);
            }
            Status::DeadAtProvider | Status::RotationPending => line[5] = paint(RED, &line[5]),
            Status::Revoked => line[5] = paint(DIM, &line[5]),
            Status::Active if due => line[3] = paint(YELLOW, &line[3]),
            Status::Active => {}
        }
        if r.status(now) == Status::Active && c[5] != "active" {
            line[5] = paint(YELLOW, &line[5]);
        }
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    ui::out_styled(&out)
}

pub fn show(ctx: &Ctx, a: ShowArgs) -> Result<u8> {
    let now = when::now();
    let op = ctx.access()?.read()?;
    let r = op.payload.find(&a.name)?;
    crate::commands::warn_if_due(ctx, r, now);
    let last = op.last_used().get(&r.id).copied();
    if a.json {
        print_json(&record_json(r, last, now))?;
        return Ok(0);
    }
    let t = |v: Option<i64>, none: &str| {
        v.map(|t| format!("{} ({})", when::rfc3339(t), when::relative(t, now))).unwrap_or_else(|| none.into())
    };
    let lines = [
        ("name", r.name.clone()),
        ("id", r.id.clone()),
        ("kind", format!("{:?}", r.kind).to_lowercase()),
        ("status", r.status(now).as_str().into()),
        ("env", r.env.clone()),
        ("scopes", if r.scopes.is_empty() { "(none)".into() } else { r.scopes.join(", ") }),
        ("created", t(Some(r.created_at), "")),
        ("updated", t(Some(r.updated_at), "")),
        ("expires", t(r.expires_at, "never")),
        (
            "rotate",
            match r.rotate_every {
                None => String::new(),
                Some(p) => format!(
                    "every {}; next {}{}",
                    when::span_words(p),
                    t(r.rotation_due_at(), ""),
                    if r.rotation_due(now) { " (due)" } else { "" }
                ),
            },
        ),
        ("hosts", r.hosts.join(", ")),
        ("username", r.username.clone().unwrap_or_default()),
        ("provider", provider_cell(r)),
        ("hooks", hooks_cell(r)),
        (
            "inspected",
            match r.inspected_at {
                None if r.provider.is_some() => "never".into(),
                None => String::new(),
                Some(_) => format!(
                    "{}; scopes there: {}; last used there: {}",
                    t(r.inspected_at, ""),
                    r.provider_scopes
                        .as_ref()
                        .map(|s| if s.is_empty() { "(none)".into() } else { s.join(", ") })
                        .unwrap_or_else(|| "(not said)".into()),
                    t(r.provider_last_used_at, "(not said)")
                ),
            },
        ),
        ("last used", t(last, "never")),
        ("revoked", t(r.revoked_at, "no")),
        ("fingerprint", if r.fingerprint.is_empty() { "(too short to show)".into() } else { r.fingerprint.clone() }),
        ("note", r.note.clone()),
    ];
    let mut out = String::new();
    for (k, v) in lines {
        if matches!(k, "note" | "rotate" | "hosts" | "username" | "provider" | "hooks" | "inspected") && v.is_empty() {
            continue;
        }
        // A note is anyone's text: its control characters are shown, never sent to the terminal.
        out.push_str(&format!("{k:<12} {}\n", ui::escape(&v)));
    }
    crate::ui::out_line(&out, false)?;
    Ok(0)
}

/// The provider and its address, when the record names one.
fn provider_cell(r: &Record) -> String {
    r.provider.map(|p| p.words(r.provider_url.as_deref())).unwrap_or_default()
}

/// The `command` provider's hooks, one `--on-…` each.
fn hooks_cell(r: &Record) -> String {
    let issuer = Issuer::of(r);
    Hook::ALL
        .into_iter()
        .filter_map(|h| issuer.hook(h).map(|cmd| format!("{}: {cmd}", h.name())))
        .collect::<Vec<_>>()
        .join("; ")
}
