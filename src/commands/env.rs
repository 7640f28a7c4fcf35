//! `tokctl env`: print the selected tokens as assignments.

use std::io::Write;

use crate::cli::{EnvArgs, EnvFormat};
use crate::commands::Ctx;
use crate::commands::exec::selected;
use crate::error::{self, Result};
use crate::secret::Secret;
use crate::select::Selection;
use crate::ui::out_line;

/// POSIX single quotes: everything literal, `'` as `'\''`.
pub fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Dotenv: single quotes when that is literal, else double quotes with escapes our parser reads.
pub fn dotenv_quote(s: &str) -> String {
    if !s.contains('\'') && !s.contains('\n') && !s.contains('\r') {
        return format!("'{s}'");
    }
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// GitHub's workflow-command escaping for `::add-mask::` data.
fn gh_escape(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

pub fn run(ctx: &Ctx, a: EnvArgs) -> Result<u8> {
    let github_env = match a.format {
        EnvFormat::Github => Some(std::env::var_os("GITHUB_ENV").filter(|v| !v.is_empty()).ok_or_else(|| {
            error::usage("GITHUB_ENV is not set")
                .hint("--format github is for GitHub Actions steps; use --format sh elsewhere")
        })?),
        _ => None,
    };
    let Selection { opened, chosen, .. } = selected(ctx, &a.select)?;
    let mut out = zeroize::Zeroizing::new(String::new());
    match a.format {
        EnvFormat::Sh => {
            chosen.iter().for_each(|c| out.push_str(&format!("export {}={}\n", c.var, sh_quote(c.secret.expose()))))
        }
        EnvFormat::Dotenv => {
            chosen.iter().for_each(|c| out.push_str(&format!("{}={}\n", c.var, dotenv_quote(c.secret.expose()))))
        }
        EnvFormat::Json => {
            let map: serde_json::Map<String, serde_json::Value> =
                chosen.iter().map(|c| (c.var.clone(), c.secret.expose().into())).collect();
            out.push_str(&serde_json::to_string_pretty(&map)?);
            out.push('\n');
        }
        EnvFormat::Github => {
            let file = github_env.expect("checked above");
            let mut block = zeroize::Zeroizing::new(String::new());
            for c in &chosen {
                for line in c.secret.expose().lines().filter(|l| !l.trim().is_empty()) {
                    out.push_str(&format!("::add-mask::{}\n", gh_escape(line)));
                }
                block.push_str(&github_block(&c.var, &c.secret));
            }
            // Masks first: the runner must know the values before anything can print them.
            out_line(&out, false)?;
            out.clear();
            let mut f = std::fs::OpenOptions::new().append(true).create(true).open(&file).map_err(|e| {
                anyhow::anyhow!("cannot append to GITHUB_ENV ({}): {e}", std::path::Path::new(&file).display())
            })?;
            f.write_all(block.as_bytes())?;
        }
    }
    out_line(&out, false)?;
    let names: Vec<&str> = chosen.iter().map(|c| c.name.as_str()).collect();
    opened.record_use(&names, "env");
    Ok(0)
}

/// `VAR<<DELIM\nvalue\nDELIM\n` with a random delimiter that cannot occur in the value.
fn github_block(var: &str, s: &Secret) -> String {
    loop {
        let delim = format!("ghadelimiter_{}", crate::vault::new_id("d", 20));
        if !s.expose().contains(&delim) {
            return format!("{var}<<{delim}\n{}\n{delim}\n", s.expose());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_the_nasty_characters() {
        assert_eq!(sh_quote("a'b"), r"'a'\''b'");
        assert_eq!(dotenv_quote("plain $x `y`"), "'plain $x `y`'");
        let tricky = "it's\n\"q\" \\ $HOME";
        let parsed = crate::dotenv::parse(&format!("A={}\n", dotenv_quote(tricky))).unwrap();
        assert_eq!(parsed[0].value.as_str(), tricky);
    }
}
