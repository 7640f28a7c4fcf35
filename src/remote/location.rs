//! Where a remote store is: the `openbao+https://HOST:PORT/MOUNT/PREFIX` forms (also `vault+`,
//! and `+http://` to a loopback address only) parsed into a `Location`, and the KV v2 paths under it.

use std::net::IpAddr;
use std::path::Path;

use crate::error::{self, Result};

/// The two spellings of a remote store, as they start a vault location.
pub(super) const SCHEMES: [&str; 2] = ["openbao+", "vault+"];

/// Whether a vault location is a URL rather than a file path.
pub fn is_url(p: &Path) -> bool {
    p.to_str().is_some_and(|s| SCHEMES.iter().any(|x| s.starts_with(x)))
}

/// A parsed remote vault location.
#[derive(Clone, Debug)]
pub struct Location {
    /// `https://HOST:PORT`, what requests go to.
    pub base: String,
    pub mount: String,
    /// The folder under the mount, without slashes at either end; possibly empty.
    pub prefix: String,
}

pub(super) fn bad_url(text: &str, why: &str) -> anyhow::Error {
    error::usage(format!("'{}' is not a usable remote store: {why}", crate::text::escape(text)))
        .hint("write it as openbao+https://HOST:PORT/MOUNT/PREFIX (or vault+https://…)")
        .into()
}

impl Location {
    /// `None` for a file path. Plain http to anything but a loopback address is refused here,
    /// before any connection.
    pub fn parse(p: &Path) -> Result<Option<Location>> {
        if !is_url(p) {
            return Ok(None);
        }
        let text = p.to_str().expect("is_url checked UTF-8");
        let rest = SCHEMES.iter().find_map(|s| text.strip_prefix(s)).expect("is_url checked the scheme");
        let (scheme, rest) = if let Some(r) = rest.strip_prefix("https://") {
            ("https", r)
        } else if let Some(r) = rest.strip_prefix("http://") {
            ("http", r)
        } else {
            return Err(bad_url(text, "the scheme must be https (or http to this machine)"));
        };
        if rest.contains(['?', '#', '@', '\\']) || rest.chars().any(|c| c.is_control() || c == ' ') {
            return Err(bad_url(text, "no credentials, query, fragment, spaces or backslashes belong in it"));
        }
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (host, port) = match authority.strip_prefix('[') {
            Some(v6) => match v6.split_once(']') {
                Some((h, "")) => (h, None),
                Some((h, rest)) => (h, Some(rest.strip_prefix(':').unwrap_or("x"))),
                None => ("", None),
            },
            None => match authority.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (authority, None),
            },
        };
        if host.is_empty() {
            return Err(bad_url(text, "it names no host"));
        }
        if port.is_some_and(|p| p.parse::<u16>().is_err() || p == "0") {
            return Err(bad_url(text, "its port is not a number from 1 to 65535"));
        }
        let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let Some((mount, prefix)) = segs.split_first() else {
            return Err(bad_url(text, "it names no KV mount (the first path segment, e.g. secret)"));
        };
        if let Some(s) = segs
            .iter()
            .find(|s| **s == "." || **s == ".." || !s.chars().all(|c| c.is_ascii_alphanumeric() || "._-".contains(c)))
        {
            return Err(bad_url(text, &format!("the path segment '{s}' is not [A-Za-z0-9._-]+")));
        }
        if scheme == "http" && !is_loopback(host) {
            return Err(error::usage(format!(
                "refusing plain http to {host}: tokens would cross the network unencrypted"
            ))
            .hint("use https (openbao+https://…); plain http is only for a server on this machine (127.0.0.1, ::1, localhost)")
            .into());
        }
        Ok(Some(Location {
            base: format!("{scheme}://{authority}"),
            mount: mount.to_string(),
            prefix: prefix.join("/"),
        }))
    }

    /// The API path of `NAME` under `kind` (`data`, `metadata`, `destroy`).
    pub fn path(&self, kind: &str, name: &str) -> String {
        let mut p = format!("{}/{kind}/", self.mount);
        if !self.prefix.is_empty() {
            p.push_str(&self.prefix);
            p.push('/');
        }
        p.push_str(name);
        p
    }

    /// `MOUNT/PREFIX/NAME` as the `bao kv` commands take it.
    pub fn kv_path(&self, name: &str) -> String {
        self.path("", name).replacen("//", "/", 1)
    }
}

pub(super) fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost") || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Option<Location>> {
        Location::parse(Path::new(s))
    }

    #[test]
    fn locations_split_into_server_mount_and_prefix() {
        let l = parse("openbao+https://bao.example.com:8200/secret/team/ci").unwrap().unwrap();
        assert_eq!(
            (l.base.as_str(), l.mount.as_str(), l.prefix.as_str()),
            ("https://bao.example.com:8200", "secret", "team/ci")
        );
        assert_eq!(l.path("data", "gh"), "secret/data/team/ci/gh");
        assert_eq!(l.kv_path("gh"), "secret/team/ci/gh");
        let l = parse("vault+http://[::1]:8200//kv/").unwrap().unwrap();
        assert_eq!((l.base.as_str(), l.mount.as_str(), l.prefix.as_str()), ("http://[::1]:8200", "kv", ""));
        assert_eq!(l.path("metadata", "x"), "kv/metadata/x");
        for ok in ["openbao+http://localhost/s", "openbao+http://127.0.0.2:1/s", "openbao+https://h/s"] {
            assert!(parse(ok).unwrap().is_some(), "{ok}");
        }
        assert!(parse("/home/me/vault.toml").unwrap().is_none());
        assert!(parse("openbao-notes.toml").unwrap().is_none());
    }

    #[test]
    fn unsafe_or_malformed_locations_are_usage_errors() {
        for bad in [
            "openbao+http://10.1.2.3/secret",
            "openbao+http://localhost.evil.com/secret",
            "openbao+http://[::2]/secret",
            "openbao+https://h:99999/s",
            "openbao+https://h:/s",
            "openbao+https://u@h/s",
            "openbao+https://h/s?x=1",
            "openbao+https://h/s/../t",
            "openbao+https:///s",
            "openbao+https://h",
            "openbao+ftp://h/s",
        ] {
            let e = parse(bad).expect_err(bad);
            assert_eq!(e.downcast_ref::<error::Error>().map(|e| e.code), Some(error::Code::Usage), "{bad}");
        }
    }
}
