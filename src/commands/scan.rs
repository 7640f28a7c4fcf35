//! `tokctl scan`: where are copies of the vault's secrets? (SPEC "Finding your own secrets".)
//! Findings name the place, the token, the form, its status and what replaces it; never the
//! secret, never the line it is on. Exit 0: nothing found; 9: found.

use std::path::PathBuf;

use serde_json::{Value, json};

use crate::cli::ScanArgs;
use crate::commands::Ctx;
use crate::error::{self, Result};
use crate::scan::sources::{self, Finding, Report, Source};
use crate::scan::{self, Needles, Token};
use crate::text::escape;
use crate::ui::{out_line, print_json};
use crate::when;

/// The exit status when a copy was found (SPEC "Exit codes").
pub const FOUND: u8 = 9;

pub fn run(ctx: &Ctx, a: ScanArgs) -> Result<u8> {
    if a.git.as_deref().is_some_and(|r| r.starts_with('-')) {
        return Err(error::usage("--git takes a revision range, not an option")
            .hint("e.g. `tokctl scan --git main..HEAD`, or `tokctl scan --git` for every ref")
            .into());
    }
    let op = ctx.access()?.read()?;
    let needles = Needles::new(&op.payload.records, when::now());
    drop(op);
    if let Some(note) = scan::skipped_note(&needles.skipped) {
        ctx.say(note);
    }
    if needles.is_empty() {
        ctx.say("nothing to look for: the vault holds no secret of 8 characters or more, and no revoked token");
        return Ok(0);
    }
    let others = a.git.is_some() || a.staged || a.shell_history;
    let (paths, default_root) = match (a.paths.is_empty(), others) {
        (true, false) => (vec![PathBuf::from(".")], true),
        (_, _) => (a.paths, false),
    };
    let mut report = Report::default();
    sources::files(&needles, &paths, a.no_ignore, default_root, &mut report);
    if a.staged {
        sources::staged(&needles, &mut report)?;
    }
    if let Some(range) = &a.git {
        sources::history(&needles, range, &mut report)?;
    }
    if a.shell_history {
        let searched = sources::shell_history(&needles, &mut report);
        let list: Vec<String> = searched.iter().map(|p| escape(&p.to_string_lossy()).into_owned()).collect();
        ctx.say(match list.is_empty() {
            true => "no shell history file found (bash, zsh, fish)".to_string(),
            false => format!("shell history searched: {}", list.join(", ")),
        });
    }
    for u in &report.unreadable {
        ctx.say(format!("cannot read {u}"));
    }
    let mut findings = report.findings;
    findings.sort_by(|x, y| (x.source, &x.path, x.hit.offset).cmp(&(y.source, &y.path, y.hit.offset)));
    if a.json {
        print_json(&Value::Array(findings.iter().map(|f| finding_json(f, &needles.tokens[f.hit.token])).collect()))?;
    } else {
        for f in &findings {
            out_line(&finding_line(f, &needles.tokens[f.hit.token]), true)?;
        }
    }
    if findings.is_empty() {
        ctx.say(format!("no copy found of the {} tokens looked for", needles.tokens.len()));
        if !report.unreadable.is_empty() {
            return Err(anyhow::anyhow!("{} files could not be read (said above)", report.unreadable.len()));
        }
        return Ok(0);
    }
    let mut names: Vec<&str> = findings.iter().map(|f| needles.tokens[f.hit.token].name.as_str()).collect();
    names.sort();
    names.dedup();
    let n = |k: usize, one: &str, many: &str| format!("{k} {}", if k == 1 { one } else { many });
    ctx.say(format!(
        "found {} of {}: {}",
        n(findings.len(), "copy", "copies"),
        n(names.len(), "token", "tokens"),
        names.join(", ")
    ));
    Ok(FOUND)
}

/// Where a finding is, as `path:line:column` with its source in front when it is not a file.
fn place(f: &Finding) -> String {
    let path = escape(&f.path);
    let at = format!("{path}:{}:{}", f.hit.line, f.hit.column);
    match f.source {
        Source::File | Source::ShellHistory => at,
        Source::Staged => format!("staged:{at}"),
        Source::Git => {
            let commits: Vec<&str> = f.commits.iter().map(|c| &c[..c.len().min(12)]).collect();
            match commits.as_slice() {
                [] => format!("git:{at}"),
                cs => format!("{}:{at}", cs.join(",")),
            }
        }
    }
}

fn finding_line(f: &Finding, t: &Token) -> String {
    let advice = match &t.replace {
        Some(cmd) if cmd.starts_with("tokctl import") => {
            format!("issue a new one at its provider, then `{cmd}`")
        }
        Some(cmd) => format!("replace it with `{cmd}`"),
        None => "already revoked: delete the copy".to_string(),
    };
    format!("{}: token '{}' ({}, {}): {advice}", place(f), t.name, f.hit.encoding.as_str(), t.status.as_str())
}

fn finding_json(f: &Finding, t: &Token) -> Value {
    json!({
        "source": f.source.as_str(),
        "path": f.path,
        "blob": f.blob,
        "commits": f.commits,
        "line": f.hit.line,
        "column": f.hit.column,
        "token": t.name,
        "encoding": f.hit.encoding.as_str(),
        "status": t.status,
        "replace": t.replace,
    })
}
