//! `tokctl log`: the vault's history, newest first.

use serde_json::{Value, json};

use crate::cli::LogArgs;
use crate::commands::Ctx;
use crate::error::Result;
use crate::journal;
use crate::ui::{out_line, print_json};
use crate::when;

pub fn run(ctx: &Ctx, a: LogArgs) -> Result<u8> {
    let op = ctx.access()?.read()?;
    // Follow a token across renames by its id; a deleted token is found by its last name.
    let id = a.name.as_ref().and_then(|n| op.payload.find(n).ok().map(|r| r.id.clone()));
    let mut events = journal::read(&op.path, &op.payload.log_key(), &op.header.vault_id);
    if let Some(n) = &a.name {
        events.retain(|e| id.as_ref().map_or(&e.token == n, |id| &e.token_id == id));
        if events.is_empty() {
            op.payload.find(n)?;
        }
    }
    events.reverse();
    if a.json {
        let v: Vec<Value> = events
            .iter()
            .map(|e| json!({"time": when::rfc3339(e.time), "action": e.action, "token": e.token, "detail": e.detail}))
            .collect();
        print_json(&Value::Array(v))?;
        return Ok(0);
    }
    if events.is_empty() {
        ctx.say("no events yet");
        return Ok(0);
    }
    let mut out = String::new();
    for e in &events {
        let detail = if e.detail.is_empty() { String::new() } else { format!("  {}", e.detail) };
        out.push_str(&format!("{}  {:<11}  {}{detail}\n", when::rfc3339(e.time), e.action, e.token));
    }
    out_line(&out, false)?;
    Ok(0)
}
