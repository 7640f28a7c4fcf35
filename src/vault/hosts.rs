//! Where a token answers git and registries (`--host`), and the username it is presented with.

use crate::error::{self, Result};

/// A `--host` value in its one written form: `host[:port][/path]`, the host lowercased (a name,
/// an IPv4 address or a bracketed IPv6 one), the port 1–65535 when given, the path's segments
/// non-empty and without a trailing `/`. No scheme: git's requests carry it apart.
pub(crate) fn check_host(s: &str) -> Result<String> {
    let bad = |why: &str| -> anyhow::Error {
        error::usage(format!("--host {}: {why}", crate::text::escape(s)))
            .hint("write HOST[:PORT][/PATH], e.g. --host github.com or --host github.com/my-org or --host git.example.com:8443")
            .into()
    };
    if s.contains("://") {
        return Err(bad("give the host without a scheme"));
    }
    let (authority, path) = match s.split_once('/') {
        Some((a, p)) => (a, p.trim_end_matches('/')),
        None => (s, ""),
    };
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (h, after) = rest.split_once(']').ok_or_else(|| bad("an IPv6 address needs its closing ]"))?;
        if h.is_empty() || !h.chars().all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.') {
            return Err(bad("not an IPv6 address"));
        }
        (format!("[{}]", h.to_ascii_lowercase()), after.strip_prefix(':'))
    } else {
        let (h, p) = match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        };
        let ok = !h.is_empty()
            && h.len() <= 253
            && h.split('.')
                .all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if !ok {
            return Err(bad("not a host name"));
        }
        (h.to_ascii_lowercase(), p)
    };
    let mut out = host;
    if let Some(p) = port {
        match p.parse::<u16>() {
            Ok(n) if n > 0 && p == n.to_string() => out.push_str(&format!(":{n}")),
            _ => return Err(bad("the port is not a number from 1 to 65535")),
        }
    }
    if !path.is_empty() {
        let segment_ok = |seg: &str| {
            !seg.is_empty() && seg.chars().all(|c| !c.is_control() && !c.is_whitespace() && c != '?' && c != '#')
        };
        if !path.split('/').all(segment_ok) {
            return Err(bad("the path has an empty segment, a space, a ? or a #"));
        }
        out.push('/');
        out.push_str(path);
    }
    Ok(out)
}

/// A `--username`: what HTTP Basic can carry (no `:`, no control characters), at most 256 bytes.
pub(crate) fn check_username(s: &str) -> Result<()> {
    if s.is_empty() || s.len() > 256 || s.contains(':') || s.chars().any(char::is_control) {
        return Err(error::usage(format!("--username {}: not a username", crate::text::escape(s)))
            .hint("1 to 256 characters, no ':' and no control characters")
            .into());
    }
    Ok(())
}
