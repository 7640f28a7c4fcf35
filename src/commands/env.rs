//! `tokctl env`: print the selected tokens as assignments.

use std::collections::BTreeMap;
use std::io::Write;

use zeroize::Zeroizing;

use crate::cli::{EnvArgs, EnvFormat};
use crate::commands::Ctx;
use crate::commands::exec::selected;
use crate::error::{self, Result};
use crate::secret::Secret;
use crate::select::{Chosen, Selection};
use crate::ui::Shown;
use crate::ui::out_line;

/// POSIX single quotes: everything literal, `'` as `'\''`.
fn push_sh_quoted(out: &mut String, s: &str) {
    out.push('\'');
    for (i, part) in s.split('\'').enumerate() {
        if i > 0 {
            out.push_str(r"'\''");
        }
        out.push_str(part);
    }
    out.push('\'');
}

/// Dotenv, in a form that sh and bash never expand or run when they source it (`set -a; .
/// FILE`), that `import --dotenv` reads back byte for byte, and that python-dotenv reads back
/// whenever its syntax can say the value:
///
/// - single quotes, literal everywhere, when python-dotenv takes the value as it is too: no `'`,
///   no `\\` (it unescapes those), no trailing `\` (it would escape the closing quote);
/// - otherwise double quotes with `\`, `"`, `$` and `` ` `` backslash-escaped, which keeps sh
///   literal (python-dotenv keeps the backslash before `$` and `` ` ``: such a value it cannot
///   read), and any trailing backslashes as `\\` after the closing quote, so that python-dotenv,
///   which cannot read those either, never reads past the quote into the next lines.
///
/// Newlines stay raw inside the quotes: sh has no literal form for them but a raw one.
fn push_dotenv_quoted(out: &mut String, s: &str) {
    let body = s.trim_end_matches('\\');
    let trailing = s.len() - body.len();
    if trailing == 0 && !s.contains('\'') && !s.contains("\\\\") {
        out.push('\'');
        out.push_str(s);
        out.push('\'');
        return;
    }
    out.push('"');
    for c in body.chars() {
        if matches!(c, '\\' | '"' | '$' | '`') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    for _ in 0..trailing {
        out.push_str("\\\\");
    }
}

/// GitHub's workflow-command escaping for `::add-mask::` data.
fn push_gh_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
}

/// Room for every selected token at its most escaped in any format, so a buffer that holds the
/// secrets is allocated once: growing it would free the old block, secrets and all, unwiped.
/// The worst case is `::add-mask::` lines, 3 bytes a byte plus 14 a line; JSON's is 6 a byte.
fn room(chosen: &[Chosen]) -> usize {
    chosen.iter().map(|c| 128 + 6 * c.var.len() + 17 * c.secret.expose().len()).sum::<usize>() + 16
}

/// The assignments to stdout, or with `--out` to a file only its owner can read, written whole
/// by a rename (never through a symlink left in its place).
fn write_out(ctx: &Ctx, file: Option<&std::path::Path>, text: &str, n: usize) -> Result<()> {
    let Some(file) = file else { return out_line(text, false) };
    crate::fsio::atomic_write(file, text.as_bytes())?;
    ctx.say(format!("wrote {n} assignment{} to {} (0600)", if n == 1 { "" } else { "s" }, file.shown()));
    Ok(())
}

pub fn run(ctx: &Ctx, a: EnvArgs) -> Result<u8> {
    if a.out.is_some() && a.format == EnvFormat::Github {
        return Err(error::usage("--out does not go with --format github, which appends to $GITHUB_ENV")
            .hint("drop --out, or pick --format dotenv, sh or json")
            .into());
    }
    let github_env = match a.format {
        EnvFormat::Github => Some(std::env::var_os("GITHUB_ENV").filter(|v| !v.is_empty()).ok_or_else(|| {
            error::usage("GITHUB_ENV is not set")
                .hint("--format github is for GitHub Actions steps; use --format sh elsewhere")
        })?),
        _ => None,
    };
    let Selection { opened, chosen, .. } = selected(ctx, &a.select, &[])?;
    // Every piece is written straight into buffers that are wiped on drop: no `format!`
    // temporaries, so no copy of a secret is left behind unwiped.
    let mut out = Zeroizing::new(String::with_capacity(room(&chosen)));
    let cap = out.capacity();
    match a.format {
        EnvFormat::Sh => {
            for Chosen { var: v, secret: s, .. } in &chosen {
                out.push_str("export ");
                out.push_str(v);
                out.push('=');
                push_sh_quoted(&mut out, s.expose());
                out.push('\n');
            }
        }
        EnvFormat::Dotenv => {
            for Chosen { var: v, secret: s, .. } in &chosen {
                out.push_str(v);
                out.push('=');
                push_dotenv_quoted(&mut out, s.expose());
                out.push('\n');
            }
        }
        EnvFormat::Json => {
            // Borrowed strings, not `serde_json::Value`s, which would be copies.
            let map: BTreeMap<&str, &str> = chosen.iter().map(|c| (c.var.as_str(), c.secret.expose())).collect();
            let mut json = Zeroizing::new(Vec::with_capacity(room(&chosen)));
            serde_json::to_writer_pretty(&mut *json, &map)?;
            out.push_str(std::str::from_utf8(&json).expect("serde_json writes UTF-8"));
            out.push('\n');
        }
        EnvFormat::Github => {
            let file = github_env.expect("checked above");
            let mut block = Zeroizing::new(String::with_capacity(room(&chosen)));
            for Chosen { var: v, secret: s, .. } in &chosen {
                for line in s.expose().lines().filter(|l| !l.trim().is_empty()) {
                    out.push_str("::add-mask::");
                    push_gh_escaped(&mut out, line);
                    out.push('\n');
                }
                push_github_block(&mut block, v, s);
            }
            // Masks first: the runner must know the values before anything can print them.
            out_line(&out, false)?;
            out.clear();
            let mut f = std::fs::OpenOptions::new().append(true).create(true).open(&file).map_err(|e| {
                anyhow::anyhow!("cannot append to GITHUB_ENV ({}): {e}", std::path::Path::new(&file).shown())
            })?;
            f.write_all(block.as_bytes())?;
        }
    }
    debug_assert_eq!(out.capacity(), cap, "the output buffer grew, leaving an unwiped copy");
    write_out(ctx, a.out.as_deref(), &out, chosen.len())?;
    let names: Vec<&str> = chosen.iter().map(|c| c.name.as_str()).collect();
    opened.record_use(&names, "env");
    Ok(0)
}

/// `VAR<<DELIM\nvalue\nDELIM\n` with a random delimiter that cannot occur in the value.
fn push_github_block(block: &mut String, var: &str, s: &Secret) {
    let delim = loop {
        let delim = format!("ghadelimiter_{}", crate::vault::new_id("d", 20));
        if !s.expose().contains(&delim) {
            break delim;
        }
    };
    for piece in [var, "<<", &delim, "\n", s.expose(), "\n", &delim, "\n"] {
        block.push_str(piece);
    }
}

/// The quoted forms as strings, for tests; the command itself writes into wiped buffers.
#[cfg(test)]
pub fn sh_quote(s: &str) -> String {
    let mut out = String::new();
    push_sh_quoted(&mut out, s);
    out
}

#[cfg(test)]
pub fn dotenv_quote(s: &str) -> String {
    let mut out = String::new();
    push_dotenv_quoted(&mut out, s);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_the_nasty_characters() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
        assert_eq!(dotenv_quote("plain $x `y`"), "'plain $x `y`'");
        assert_eq!(dotenv_quote("two\nlines \\ $x"), "'two\nlines \\ $x'");
        assert_eq!(dotenv_quote(r#"it's "q" $x `y` \z"#), r#""it's \"q\" \$x \`y\` \\z""#);
        assert_eq!(dotenv_quote(r"a\\b"), r#""a\\\\b""#);
        assert_eq!(dotenv_quote(r"end\\"), r#""end"\\\\"#);
        let tricky = "it's\n\"q\" \\ $HOME";
        let parsed = crate::dotenv::parse(&format!("A={}\n", dotenv_quote(tricky))).unwrap();
        assert_eq!(parsed[0].value.as_str(), tricky);
    }
}
