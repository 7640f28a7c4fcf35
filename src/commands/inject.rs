//! `tokctl inject`: copy a template with every `{{ tokctl:NAME }}` (optionally `| json`,
//! `| base64`, `| basicauth`) replaced by that token's secret, for the config files tools read
//! tokens from (SPEC "Where tools look for tokens"). All or nothing: the tokens are all found
//! and usable before a byte is written. The result is built in a buffer that is wiped.

use std::io::Read;
use std::path::Path;

use base64::Engine as _;
use zeroize::Zeroizing;

use crate::cli::InjectArgs;
use crate::commands::Ctx;
use crate::error::{self, Result};
use crate::secret::Secret;
use crate::text::Shown;
use crate::when;

const OPEN: &[u8] = b"{{";
const CLOSE: &[u8] = b"}}";
const TAG: &str = "tokctl:";
/// A template is a config file, not a data set.
const MAX_TEMPLATE: u64 = 4 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Filter {
    Raw,
    Json,
    Base64,
    BasicAuth,
}

/// A piece of the template: bytes copied as they are, or a placeholder.
#[derive(Debug, PartialEq, Eq)]
enum Part<'t> {
    Text(&'t [u8]),
    Token { name: String, filter: Filter },
}

/// Split `t` into text and placeholders. `{{` not followed by `tokctl:` (after spaces) is text:
/// other template languages use braces too. A `{{ tokctl:` that does not close on its line, a
/// bad name or an unknown filter is a usage error naming the line.
fn parse(t: &[u8]) -> Result<Vec<Part<'_>>> {
    let mut parts = Vec::new();
    let (mut at, mut text_from) = (0, 0);
    while let Some(i) = memchr::memmem::find(&t[at..], OPEN).map(|i| i + at) {
        let inner_from = i + OPEN.len();
        let rest = &t[inner_from..];
        let trimmed = rest.iter().take_while(|b| **b == b' ' || **b == b'\t').count();
        if !rest[trimmed..].starts_with(TAG.as_bytes()) {
            at = inner_from;
            continue;
        }
        let line = t[..i].iter().filter(|b| **b == b'\n').count() + 1;
        let bad = |why: String| -> anyhow::Error {
            error::usage(format!("the template's placeholder on line {line} {why}"))
                .hint("write {{ tokctl:NAME }}, or {{ tokctl:NAME | json }} (filters: json, base64, basicauth)")
                .into()
        };
        let end_of_line = rest.iter().position(|b| *b == b'\n').unwrap_or(rest.len());
        let Some(close) = memchr::memmem::find(&rest[..end_of_line], CLOSE) else {
            return Err(bad("does not end with }} on that line".into()));
        };
        let inner = std::str::from_utf8(&rest[trimmed + TAG.len()..close]).map_err(|_| bad("is not text".into()))?;
        let (name, filter) = match inner.split_once('|') {
            Some((n, f)) => (n.trim(), Some(f.trim())),
            None => (inner.trim(), None),
        };
        crate::vault::check_name(name).map_err(|e| bad(format!("names no token: {e}")))?;
        let filter = match filter {
            None => Filter::Raw,
            Some("json") => Filter::Json,
            Some("base64") => Filter::Base64,
            Some("basicauth") => Filter::BasicAuth,
            Some(other) => {
                return Err(bad(format!(
                    "asks for the filter '{}', which tokctl does not have",
                    crate::text::escape(other)
                )));
            }
        };
        parts.push(Part::Text(&t[text_from..i]));
        parts.push(Part::Token { name: name.to_string(), filter });
        at = inner_from + close + CLOSE.len();
        text_from = at;
    }
    parts.push(Part::Text(&t[text_from..]));
    Ok(parts)
}

/// The username a token is presented with where a protocol wants one (HTTP Basic, git):
/// `x-access-token` for a GitHub token, `oauth2` for a GitLab one, `tokctl` otherwise, as
/// GitHub's and GitLab's documentation give them for tokens over HTTPS.
pub(crate) fn username_for(provider: Option<crate::vault::Provider>, secret: &str) -> &'static str {
    use crate::vault::Provider;
    match provider.or_else(|| Provider::detect(secret)) {
        Some(Provider::Github) => "x-access-token",
        Some(Provider::Gitlab) => "oauth2",
        _ if crate::formats::recognise(secret).is_some_and(|r| r.provider.starts_with("GitHub")) => "x-access-token",
        _ => "tokctl",
    }
}

/// Append `secret` through `filter` to `out`, with no temporary copy left unwiped.
fn push(out: &mut Zeroizing<Vec<u8>>, secret: &Secret, filter: Filter) {
    let s = secret.expose();
    match filter {
        Filter::Raw => out.extend_from_slice(s.as_bytes()),
        Filter::Json => {
            for c in s.chars() {
                match c {
                    '"' => out.extend_from_slice(b"\\\""),
                    '\\' => out.extend_from_slice(b"\\\\"),
                    '\n' => out.extend_from_slice(b"\\n"),
                    '\r' => out.extend_from_slice(b"\\r"),
                    '\t' => out.extend_from_slice(b"\\t"),
                    c if (c as u32) < 0x20 => out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes()),
                    c => {
                        let mut b = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut b).as_bytes());
                    }
                }
            }
        }
        Filter::Base64 => push_base64(out, s.as_bytes()),
        Filter::BasicAuth => {
            let mut pair = Zeroizing::new(Vec::with_capacity(s.len() + 16));
            pair.extend_from_slice(username_for(None, s).as_bytes());
            pair.push(b':');
            pair.extend_from_slice(s.as_bytes());
            push_base64(out, &pair);
        }
    }
}

fn push_base64(out: &mut Zeroizing<Vec<u8>>, bytes: &[u8]) {
    let mut enc = Zeroizing::new(vec![0u8; base64::encoded_len(bytes.len(), true).unwrap_or(0)]);
    let n = base64::engine::general_purpose::STANDARD.encode_slice(bytes, &mut enc[..]).expect("sized above");
    out.extend_from_slice(&enc[..n]);
}

fn read_template(input: Option<&Path>) -> Result<Zeroizing<Vec<u8>>> {
    let mut bytes = Zeroizing::new(Vec::new());
    match input {
        Some(p) => {
            let read = crate::fsio::read_opt(p, MAX_TEMPLATE)?
                .ok_or_else(|| error::usage(format!("there is no template at {}", p.shown())))?;
            bytes.extend_from_slice(&read);
        }
        None => {
            std::io::stdin().lock().take(MAX_TEMPLATE + 1).read_to_end(&mut bytes)?;
            if bytes.len() as u64 > MAX_TEMPLATE {
                return Err(error::usage("the template on stdin is over 4 MiB").into());
            }
        }
    }
    Ok(bytes)
}

pub fn run(ctx: &Ctx, a: InjectArgs) -> Result<u8> {
    if let Some(out) = &a.out
        && out.exists()
        && crate::fsio::same_file(out, &ctx.vault)
    {
        return Err(error::usage(format!("{} is the vault itself", out.shown()))
            .hint("write the result somewhere else")
            .into());
    }
    let template = read_template(a.input.as_deref())?;
    let parts = parse(&template)?;
    let mut names: Vec<&str> = Vec::new();
    for p in &parts {
        if let Part::Token { name, .. } = p
            && !names.contains(&name.as_str())
        {
            names.push(name);
        }
    }
    let mut out = Zeroizing::new(Vec::with_capacity(template.len() + 256));
    if names.is_empty() {
        ctx.say("the template has no {{ tokctl:NAME }} placeholder; it is copied as it is");
        out.extend_from_slice(&template);
        write(ctx, a.out.as_deref(), &out)?;
        return Ok(0);
    }
    let op = ctx.access()?.read_only(&names)?;
    let now = when::now();
    // Every token is found and usable before anything is written.
    let mut secrets: Vec<(&str, &Secret)> = Vec::new();
    for name in &names {
        secrets.push((name, op.payload.find(name)?.usable_secret(now)?));
    }
    for p in &parts {
        match p {
            Part::Text(t) => out.extend_from_slice(t),
            Part::Token { name, filter } => {
                let (_, s) = secrets.iter().find(|(n, _)| n == name).expect("found above");
                push(&mut out, s, *filter);
            }
        }
    }
    drop(secrets);
    write(ctx, a.out.as_deref(), &out)?;
    ctx.say(format!("injected {}", names.join(", ")));
    op.record_use(&names, "inject");
    Ok(0)
}

fn write(ctx: &Ctx, file: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match file {
        None => {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            o.write_all(bytes)?;
            o.flush()?;
        }
        Some(f) => {
            crate::fsio::atomic_write(f, bytes)?;
            ctx.say(format!("wrote {} (0600)", f.shown()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(t: &str) -> Vec<(String, Filter)> {
        parse(t.as_bytes())
            .unwrap()
            .into_iter()
            .filter_map(|p| match p {
                Part::Token { name, filter } => Some((name, filter)),
                Part::Text(_) => None,
            })
            .collect()
    }

    #[test]
    fn placeholders_with_and_without_filters_and_other_braces_left_alone() {
        let t = "a={{ tokctl:gh }}\nb={{tokctl:npm|json}} c={{ tokctl:x | basicauth }}{{ .Values.x }} {{ tokctl:y | base64 }}";
        assert_eq!(
            names(t),
            [
                ("gh".into(), Filter::Raw),
                ("npm".into(), Filter::Json),
                ("x".into(), Filter::BasicAuth),
                ("y".into(), Filter::Base64)
            ]
        );
        let texts: Vec<Vec<u8>> = parse(t.as_bytes())
            .unwrap()
            .into_iter()
            .filter_map(|p| if let Part::Text(b) = p { Some(b.to_vec()) } else { None })
            .collect();
        assert_eq!(texts.concat(), b"a=\nb= c={{ .Values.x }} ".to_vec());
    }

    #[test]
    fn a_broken_placeholder_names_its_line() {
        for (t, says) in [
            ("ok\n{{ tokctl:gh\n}}", "line 2"),
            ("{{ tokctl:gh | yaml }}", "yaml"),
            ("{{ tokctl:bad name }}", "line 1"),
        ] {
            let e = format!("{:#}", parse(t.as_bytes()).unwrap_err());
            assert!(e.contains(says), "{t:?}: {e}");
        }
    }

    #[test]
    fn filters_write_what_their_readers_expect() {
        let s = Secret::new("a\"b\\c\nd\u{1}".to_string());
        let mut out = Zeroizing::new(Vec::new());
        push(&mut out, &s, Filter::Json);
        let back: String = serde_json::from_str(&format!("\"{}\"", std::str::from_utf8(&out).unwrap())).unwrap();
        assert_eq!(back, s.expose());
        let gh = Secret::new("ghp_0123456789abcdefghijklmnopqrstuvwxyz".to_string());
        let mut out = Zeroizing::new(Vec::new());
        push(&mut out, &gh, Filter::BasicAuth);
        let decoded = base64::engine::general_purpose::STANDARD.decode(&out[..]).unwrap();
        assert_eq!(decoded, format!("x-access-token:{}", gh.expose()).into_bytes());
        assert_eq!(username_for(None, "glpat-abcdefghijklmnopqrst"), "oauth2");
        assert_eq!(username_for(Some(crate::vault::Provider::Gitlab), "opaque-self-managed-token"), "oauth2");
        assert_eq!(username_for(Some(crate::vault::Provider::Github), "opaque"), "x-access-token");
        assert_eq!(username_for(None, "tk_anything"), "tokctl");
    }
}
