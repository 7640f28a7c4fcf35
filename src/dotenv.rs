//! A dotenv parser for `import --dotenv`: `VAR=value` lines, `export ` prefixes, `#` comments,
//! unquoted values trimmed and cut at ` #`, and quoted values as a shell reads them: one or more
//! pieces with nothing between them, each single-quoted (literal, may span lines), double-quoted
//! (`\n`, `\r`, `\t` and `\` before any other character escapes, may span lines) or a backslash
//! and the character it escapes. That reads back every form `env --format dotenv` writes,
//! including `'it'\''s'`. Errors name the line and never quote a value.

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

/// Where the line that starts at `from` ends (its `\n`, or the end of the text).
fn line_end(text: &str, from: usize) -> usize {
    text[from..].find('\n').map_or(text.len(), |i| from + i)
}

pub fn parse(text: &str) -> Result<Vec<Entry>> {
    let mut out: Vec<Entry> = Vec::new();
    // Where each variable was first set: a lookup per line, so a file of n lines is read in O(n).
    let mut seen: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let (mut at, mut n) = (0, 1);
    while at < text.len() {
        let end = line_end(text, at);
        let line = text[at..end].trim();
        if line.is_empty() || line.starts_with('#') {
            (at, n) = (end + 1, n + 1);
            continue;
        }
        let line = line.strip_prefix("export ").map(str::trim_start).unwrap_or(line);
        let (var, rest) = line.split_once('=').ok_or_else(|| bad(n, "no '=' in it"))?;
        let var = var.trim();
        if crate::vault::check_env(var).is_err() {
            return Err(bad(n, "the name before '=' is not a valid environment variable name"));
        }
        let rest = rest.trim_start();
        let (value, next) = if rest.starts_with(['\'', '"']) {
            // `rest` lies inside `text`: its offset there is where the quoted value starts.
            let start = rest.as_ptr() as usize - text.as_ptr() as usize;
            let (value, stop) =
                quoted(text, start).ok_or_else(|| bad(n, "a quote is not closed, or a backslash ends the line"))?;
            let end = line_end(text, stop);
            trailing_ok(&text[stop..end]).ok_or_else(|| bad(n, "text after the closing quote"))?;
            (value, end + 1)
        } else {
            let cut = rest.find(" #").unwrap_or(rest.len());
            (Zeroizing::new(rest[..cut].trim_end().to_string()), end + 1)
        };
        if let Some(prev) = seen.insert(var, n) {
            return Err(bad(n, &format!("{var} was already set on line {prev}")));
        }
        out.push(Entry { line: n, var: var.to_string(), value });
        n += text[at..next.min(text.len())].matches('\n').count();
        at = next;
    }
    Ok(out)
}

/// The quoted value that starts at `from`, and where it stops; `None` when a quote is not closed
/// or a backslash ends the line.
fn quoted(text: &str, from: usize) -> Option<(Zeroizing<String>, usize)> {
    let mut v = Zeroizing::new(String::new());
    let mut chars = text[from..].char_indices().map(|(i, c)| (from + i, c)).peekable();
    while let Some(&(_, first)) = chars.peek() {
        match first {
            '\'' => {
                chars.next();
                loop {
                    match chars.next()?.1 {
                        '\'' => break,
                        c => v.push(c),
                    }
                }
            }
            '"' => {
                chars.next();
                loop {
                    match chars.next()?.1 {
                        '"' => break,
                        '\\' => match chars.next()?.1 {
                            'n' => v.push('\n'),
                            'r' => v.push('\r'),
                            't' => v.push('\t'),
                            other => v.push(other),
                        },
                        c => v.push(c),
                    }
                }
            }
            '\\' => {
                chars.next();
                match chars.next()?.1 {
                    '\n' | '\r' => return None,
                    c => v.push(c),
                }
            }
            _ => break,
        }
    }
    let stop = chars.peek().map_or(text.len(), |&(i, _)| i);
    Some((v, stop))
}

/// After a closing quote only blanks or a comment may follow.
fn trailing_ok(after: &str) -> Option<()> {
    let t = after.trim_start();
    (t.is_empty() || t.starts_with('#')).then_some(())
}

/// `GH_TOKEN` → `gh-token`.
pub(crate) fn name_for(var: &str) -> String {
    var.to_ascii_lowercase().replace('_', "-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(text: &str) -> Vec<(String, String, usize)> {
        parse(text).unwrap().iter().map(|e| (e.var.clone(), e.value.to_string(), e.line)).collect()
    }

    #[test]
    fn the_usual_shapes() {
        let e = parse("# c\n\nexport A=1\nB = 'x y' # c\nC=\"q\\\"\\n\"\nD=plain # note\n").unwrap();
        let got: Vec<(&str, &str)> = e.iter().map(|e| (e.var.as_str(), e.value.as_str())).collect();
        assert_eq!(got, [("A", "1"), ("B", "x y"), ("C", "q\"\n"), ("D", "plain")]);
    }

    #[test]
    fn shell_quoting_reads_as_a_shell_reads_it() {
        let text = "A='it'\\''s'\nB='two\nlines' # c\nC=\"x'\\$y\n\\`z\\`\"\\\\\nD='a'\"b\"\\''c'\r\nE=after\n";
        let v = |var: &str, val: &str, line: usize| (var.to_string(), val.to_string(), line);
        assert_eq!(
            values(text),
            [
                v("A", "it's", 1),
                v("B", "two\nlines", 2),
                v("C", "x'$y\n`z`\\", 4),
                v("D", "ab'c", 6),
                v("E", "after", 7)
            ]
        );
    }

    #[test]
    fn bad_lines_are_named() {
        for (bad, line) in [
            ("NOEQ", 1),
            ("1X=2", 1),
            ("A='open", 1),
            ("A=\"open", 1),
            ("A=1\nA=2", 2),
            ("A='x' y", 1),
            ("A='x\ny' z", 1),
            ("A='x'\\", 1),
            ("A='x'\\\nB=1", 1),
            ("A='x\ny'\nB", 3),
        ] {
            let e = parse(bad).err().unwrap_or_else(|| panic!("{bad:?} parsed"));
            let msg = e.downcast_ref::<error::Error>().unwrap().message.clone();
            assert!(msg.starts_with(&format!("line {line} ")), "{bad:?}: {msg}");
        }
    }
}
