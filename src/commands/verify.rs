//! `tokctl verify`: is the token on stdin one of ours, active, with the required scopes?
//!
//! A minted token's checksum is checked before any lookup, so a typo is told apart from an
//! unknown token. The lookup compares SHA-256 hashes in constant time against every record.

use serde_json::json;

use crate::cli::VerifyArgs;
use crate::commands::Ctx;
use crate::crypto;
use crate::error::{self, Result};
use crate::ui::{out_line, print_json, read_secret};
use crate::vault;
use crate::when;

/// A token scope ending in `*` grants every scope with that prefix (`repo:*` grants `repo:read`).
pub fn grants(have: &[String], want: &str) -> bool {
    have.iter().any(|h| h == want || h.strip_suffix('*').is_some_and(|p| want.starts_with(p)))
}

pub fn run(ctx: &Ctx, a: VerifyArgs) -> Result<u8> {
    let want = vault::scope_set(&a.scopes)?;
    let presented = read_secret("Token to verify (input hidden): ", "tokctl verify")?;
    let op = ctx.access()?.read()?;
    let now = when::now();
    let token = presented.expose();
    let mut prefixes: Vec<&str> = op.payload.records.iter().filter_map(|r| r.prefix.as_deref()).collect();
    prefixes.sort_by_key(|p| std::cmp::Reverse(p.len()));
    prefixes.dedup();
    if prefixes.iter().any(|p| crypto::check_minted(token, p) == Some(false)) {
        return Err(error::not_found("the token's checksum is wrong: it was mistyped or cut short")
            .hint("copy the whole token again")
            .into());
    }
    let hash = crypto::sha256(token.as_bytes());
    let mut found = None;
    for r in &op.payload.records {
        if crypto::ct_eq(&r.hash, &hash) {
            found = Some(r);
        }
    }
    let r = found.ok_or_else(|| {
        error::not_found("unknown token: it matches no token in this vault")
            .hint("check which vault the service verifies against (--vault)")
    })?;
    r.usable_secret(now)?;
    crate::commands::warn_if_due(ctx, r, now);
    let missing: Vec<&String> = want.iter().filter(|s| !grants(&r.scopes, s)).collect();
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        return Err(error::unusable(format!("token '{}' lacks the scope {}", r.name, list.join(", ")))
            .hint(format!("add it with `tokctl update {} --add-scope {}`", r.name, list[0]))
            .into());
    }
    if a.json {
        print_json(
            &json!({"name": r.name, "id": r.id, "scopes": r.scopes, "expires_at": r.expires_at.map(when::rfc3339)}),
        )?;
    } else {
        out_line(&r.name, true)?;
    }
    op.record_use(&[&r.name], "verify");
    Ok(0)
}
