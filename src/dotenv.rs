//! A dotenv parser for `import --dotenv`: `VAR=value` lines, `export ` prefixes, `#` comments,
//! single quotes (literal), double quotes (`\n`, `\"`, `\\` escapes), unquoted values trimmed and
//! cut at ` #`. Errors name the line and never quote a value.

use zeroize::Zeroizing;

use crate::error::{self, Result};

pub struct Entry {
    pub line: usize,
    pub var: String,
    pub value: Zeroizing<String>,
}

fn bad(line: usize, what: &str) -> anyhow::Error {
    error::usage(format!("line {line} of the dotenv file: {what}"))
        .hint("each line must be VAR=value (optionally `export VAR=value`), a # comment, or blank")
        .into()
}

pub fn parse(text: &str) -> Result<Vec<Entry>> {
    let mut out: Vec<Entry> = Vec::new();
    // Where each variable was first set: a lookup per line, so a file of n lines is read in O(n).
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let (var, rest) = line.split_once('=').ok_or_else(|| bad(n, "no '=' in it"))?;
        let var = var.trim();
        if crate::vault::check_env(var).is_err() {
            return Err(bad(n, "the name before '=' is not a valid environment variable name"));
        }
        let value = value(rest.trim_start()).ok_or_else(|| bad(n, "a quote is not closed"))?;
        if let Some(prev) = seen.insert(var, n) {
            return Err(bad(n, &format!("{var} was already set on line {prev}")));
        }
        out.push(Entry { line: n, var: var.to_string(), value });
    }
    Ok(out)
}

fn value(rest: &str) -> Option<Zeroizing<String>> {
    let mut v = Zeroizing::new(String::new());
    if let Some(body) = rest.strip_prefix('\'') {
        let end = body.find('\'')?;
        trailing_ok(&body[end + 1..])?;
        v.push_str(&body[..end]);
    } else if let Some(body) = rest.strip_prefix('"') {
        let mut chars = body.char_indices();
        loop {
            let (i, c) = chars.next()?;
            match c {
                '"' => {
                    trailing_ok(&body[i + 1..])?;
                    break;
                }
                '\\' => match chars.next()?.1 {
                    'n' => v.push('\n'),
                    'r' => v.push('\r'),
                    't' => v.push('\t'),
                    other => v.push(other),
                },
                c => v.push(c),
            }
        }
    } else {
        let cut = rest.find(" #").unwrap_or(rest.len());
        v.push_str(rest[..cut].trim_end());
    }
    Some(v)
}

/// After a closing quote only blanks or a comment may follow.
fn trailing_ok(after: &str) -> Option<()> {
    let t = after.trim_start();
    (t.is_empty() || t.starts_with('#')).then_some(())
}

/// `GH_TOKEN` → `gh-token`.
pub fn name_for(var: &str) -> String {
    var.to_ascii_lowercase().replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_usual_shapes() {
        let e = parse("# c\n\nexport A=1\nB = 'x y' # c\nC=\"q\\\"\\n\"\nD=plain # note\n").unwrap();
        let got: Vec<(&str, &str)> = e.iter().map(|e| (e.var.as_str(), e.value.as_str())).collect();
        assert_eq!(got, [("A", "1"), ("B", "x y"), ("C", "q\"\n"), ("D", "plain")]);
    }

    #[test]
    fn bad_lines_are_named() {
        for bad in ["NOEQ", "1X=2", "A='open", "A=\"open", "A=1\nA=2", "A='x' y"] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
