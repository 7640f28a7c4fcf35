//! `tokctl log`: the vault's history, newest first, with breaks in its chain marked.

use serde_json::{Value, json};

use crate::access::Opened;
use crate::cli::LogArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::journal::{self, Chain};
use crate::ui::{escape, out_line, print_json};
use crate::vault::VaultKind;
use crate::when;

pub fn run(ctx: &Ctx, a: LogArgs) -> Result<u8> {
    let mut acc = ctx.access()?;
    if acc.is_remote() {
        return crate::commands::remote::log(ctx, &mut acc, a);
    }
    let op = acc.read()?;
    // Follow a token across renames by its id; a deleted token is found by its last name.
    let id = a.name.as_ref().and_then(|n| op.payload.find(n).ok().map(|r| r.id.clone()));
    let report = op.history();
    let short = shortfall(&op, &report);
    let mut entries = report.entries;
    if let Some(n) = &a.name {
        entries.retain(|e| id.as_ref().map_or(&e.event.token == n, |id| &e.event.token_id == id));
        if entries.is_empty() {
            op.payload.find(n)?;
        }
    }
    entries.reverse();
    if a.json {
        let v: Vec<Value> = entries
            .iter()
            .map(|e| {
                let (chain, why) = match &e.chain {
                    Chain::Linked => ("linked", None),
                    Chain::Legacy => ("legacy", None),
                    Chain::Broken(why) => ("broken", Some(why.as_str())),
                };
                let e = &e.event;
                json!({"time": when::rfc3339(e.time), "action": e.action.as_str(), "token": e.token, "detail": e.detail,
                       "chain": chain, "break": why})
            })
            .collect();
        print_json(&Value::Array(v))?;
    } else if entries.is_empty() && short.is_none() {
        ctx.say("no events yet");
    } else {
        // Columns as wide as their widest cell, so every event lines up.
        let wide = |f: fn(&journal::Event) -> &str| entries.iter().map(|e| f(&e.event).chars().count()).max();
        let (wa, wt) = (wide(|e| e.action.as_str()).unwrap_or(0), wide(|e| &e.token).unwrap_or(0));
        let mut out = String::new();
        if let Some(why) = &short {
            out.push_str(&format!("✗ missing: {why}\n"));
        }
        for e in &entries {
            let mark = match &e.chain {
                Chain::Linked => String::new(),
                Chain::Legacy => "  (legacy: before the chain)".into(),
                Chain::Broken(why) => format!("  ✗ chain break: {why}"),
            };
            let e = &e.event;
            let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
            // The detail names a program, which may be any bytes: escaped, like the rest.
            let (action, token, detail) = (escape(e.action.as_str()), escape(&e.token), escape(&e.detail));
            let line = format!(
                "{}  {}  {}  {detail}{}",
                when::rfc3339(e.time),
                pad(&action, wa),
                pad(&token, wt),
                escape(&mark)
            );
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out_line(&out, false)?;
    }
    if report.breaks > 0 || report.unreadable > 0 {
        ctx.say(format!(
            "the log's chain has {} break(s) and {} unreadable line(s): events were deleted, reordered, replayed or inserted (or a crash tore a line); `tokctl doctor` reports it",
            report.breaks, report.unreadable
        ));
    }
    if let Some(why) = &short {
        ctx.say(format!("events are missing from the end of the log: {why}; `tokctl doctor` reports it"));
    }
    Ok(0)
}

/// Why the log falls short of the vault, if it does. Every write logs at least one event that
/// carries the generation it wrote (uses carry only what their reader saw, so they do not
/// count), so a vault ahead of the log's newest write lost the end of its log.
pub fn shortfall(op: &Opened, report: &journal::Report) -> Option<String> {
    let s = op.file_parts()?;
    let g = s.generation();
    if g == 0 || s.header.kind == VaultKind::Bundle {
        return None;
    }
    let logged = report.entries.iter().filter(|e| !e.event.is_use()).map(|e| e.generation).max();
    Some(match logged {
        Some(l) if l >= g => return None,
        Some(l) => format!(
            "the log's newest write is generation {l}, the vault is at generation {g}: the events of {} write(s) \
             are gone (the log was cut short or replaced by an older copy; a crash between a write and its log \
             entry does this too, until the next write)",
            g - l
        ),
        None if !journal::path(&op.path).exists() => format!(
            "there is no log beside the vault, which is at generation {g}: it was deleted (or the vault was \
             copied without its .log file)"
        ),
        None => {
            format!("the log holds no readable write, but the vault is at generation {g}: it was emptied or replaced")
        }
    })
}
