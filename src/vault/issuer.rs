//! Who issued a token (`--provider`), where its provider lives (`--provider-url`) and the
//! `command` provider's hooks: the rules for what a record may hold about its issuer. No I/O:
//! `crate::provider` talks to them.

use serde::{Deserialize, Serialize};

use crate::error::{self, Result};

/// A token's issuer, which `inspect`, `regenerate` and `revoke` act at. Postcard writes the
/// variant's index (docs/FORMAT.md): new ones go at the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Gitlab,
    Github,
    Npm,
    Command,
}

/// What `--provider` accepts, `none` included.
pub const PROVIDER_WORDS: [&str; 5] = ["gitlab", "github", "npm", "command", "none"];

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Gitlab => "gitlab",
            Provider::Github => "github",
            Provider::Npm => "npm",
            Provider::Command => "command",
        }
    }

    /// `--provider WORD`: `Some(None)` for `none`.
    pub fn parse(word: &str) -> Result<Option<Provider>> {
        Ok(Some(match word {
            "gitlab" => Provider::Gitlab,
            "github" => Provider::Github,
            "npm" => Provider::Npm,
            "command" => Provider::Command,
            "none" => return Ok(None),
            other => {
                return Err(error::usage(format!("--provider {}: no such provider", crate::text::escape(other)))
                    .hint(format!("one of {}", PROVIDER_WORDS.join(", ")))
                    .into());
            }
        }))
    }

    /// The provider a secret's own format names: what `import` assumes unless told otherwise.
    pub fn detect(secret: &str) -> Option<Provider> {
        if secret.starts_with("glpat-") {
            Some(Provider::Gitlab)
        } else if secret.starts_with("ghp_") || secret.starts_with("github_pat_") {
            Some(Provider::Github)
        } else if secret.starts_with("npm_") {
            Some(Provider::Npm)
        } else {
            None
        }
    }

    /// The web address used when the record names none.
    pub fn default_url(self) -> Option<&'static str> {
        match self {
            Provider::Gitlab => Some("https://gitlab.com"),
            Provider::Github => Some("https://github.com"),
            Provider::Npm => Some("https://registry.npmjs.org"),
            Provider::Command => None,
        }
    }

    /// The web address of the provider: `url` (a record's `--provider-url`), else its public
    /// one; none for the command provider.
    pub fn web(self, url: Option<&str>) -> Option<&str> {
        url.or(self.default_url())
    }

    /// The provider and where, for messages: `gitlab at https://gitlab.com`, `command`.
    pub fn words(self, url: Option<&str>) -> String {
        match self.web(url) {
            Some(u) => format!("{} at {u}", self.as_str()),
            None => self.as_str().to_string(),
        }
    }

    /// The base of the provider's REST API for the web address `url` (its default when `None`):
    /// GitLab's `/api/v4`; `api.github.com` for github.com and `/api/v3` for GitHub Enterprise
    /// Server; an npm registry is its own API.
    pub fn api_base(self, url: Option<&str>) -> Option<String> {
        let url = self.web(url)?.trim_end_matches('/');
        Some(match self {
            Provider::Gitlab => format!("{url}/api/v4"),
            Provider::Github if url == "https://github.com" || url == "https://www.github.com" => {
                "https://api.github.com".into()
            }
            Provider::Github => format!("{url}/api/v3"),
            Provider::Npm => url.to_string(),
            Provider::Command => return None,
        })
    }

    /// Whether the provider is github.com itself (its credential revocation API takes no
    /// authentication there).
    pub fn is_github_com(self, url: Option<&str>) -> bool {
        self == Provider::Github && self.api_base(url).as_deref() == Some("https://api.github.com")
    }
}

/// A `--provider-url`: an absolute `https://` address (or `http://` to this machine), with no
/// user, query or fragment; written back without a trailing `/`. A token is only ever sent
/// there, so an address that would carry it in clear text over a network is refused (exit 2).
pub fn check_provider_url(s: &str) -> Result<String> {
    let bad = |why: &str| -> anyhow::Error {
        error::usage(format!("--provider-url {}: {why}", crate::text::escape(s)))
            .hint(
                "give the instance's web address, e.g. https://gitlab.example.com or https://github.example.com \
                 (plain http only to this machine: http://127.0.0.1:PORT)",
            )
            .into()
    };
    let uri: ureq::http::Uri = s.parse().map_err(|_| bad("not a URL"))?;
    let scheme = uri.scheme_str().ok_or_else(|| bad("not an absolute URL"))?;
    let authority = uri.authority().ok_or_else(|| bad("it names no host"))?;
    if authority.as_str().contains('@') {
        return Err(bad("a user or password in the address would be sent with every request"));
    }
    if uri.query().is_some() || s.contains('#') {
        return Err(bad("an address with a query or a fragment"));
    }
    if authority.host().is_empty() {
        return Err(bad("it names no host"));
    }
    match scheme {
        "https" => {}
        "http" if is_loopback(authority.host()) => {}
        "http" => return Err(bad("plain http would send the token in clear text; use https")),
        _ => return Err(bad("only https addresses")),
    }
    Ok(s.trim_end_matches('/').to_string())
}

/// `localhost`, 127.0.0.0/8 or `[::1]`: plain http stays on this machine.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A `command` provider's hooks, by what they do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    Rotate,
    Revoke,
    Inspect,
}

impl Hook {
    /// Every hook, in the order of their flags.
    pub const ALL: [Hook; 3] = [Hook::Rotate, Hook::Revoke, Hook::Inspect];

    /// Its name in `show` and the log: `rotate`, `revoke`, `inspect`.
    pub fn name(self) -> &'static str {
        &self.flag()["--on-".len()..]
    }

    pub fn flag(self) -> &'static str {
        match self {
            Hook::Rotate => "--on-rotate",
            Hook::Revoke => "--on-revoke",
            Hook::Inspect => "--on-inspect",
        }
    }
}

/// A hook's words, split as a shell splits them (quotes and backslashes; no expansion, no
/// pipes: it is run without a shell). An empty hook or unbalanced quotes are exit 2.
pub fn hook_words(hook: Hook, cmd: &str) -> Result<Vec<String>> {
    let words = shlex::split(cmd).ok_or_else(|| {
        error::usage(format!("{} {}: unbalanced quotes or a trailing backslash", hook.flag(), crate::text::escape(cmd)))
            .hint("write the command as you would at a shell prompt, e.g. --on-rotate 'sh -c \"my-rotate-script\"'")
    })?;
    if words.is_empty() {
        return Err(error::usage(format!("{} is empty", hook.flag()))
            .hint("give the command to run, or '' on `update` to remove the hook")
            .into());
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_name_their_provider() {
        assert_eq!(Provider::detect("glpat-abcdefghijklmnopqrst"), Some(Provider::Gitlab));
        assert_eq!(Provider::detect("ghp_abcdefghijklmnopqrstuvwxyz0123456789"), Some(Provider::Github));
        assert_eq!(Provider::detect("github_pat_11ABCDEFG0123456789_abcdefghijkl"), Some(Provider::Github));
        assert_eq!(Provider::detect("npm_abcdefghijklmnopqrstuvwxyz0123456789"), Some(Provider::Npm));
        assert_eq!(Provider::detect("tok_abc"), None);
    }

    #[test]
    fn api_bases_follow_each_providers_documentation() {
        assert_eq!(Provider::Gitlab.api_base(None).unwrap(), "https://gitlab.com/api/v4");
        assert_eq!(
            Provider::Gitlab.api_base(Some("https://git.example.com/gitlab/")).unwrap(),
            "https://git.example.com/gitlab/api/v4"
        );
        assert_eq!(Provider::Github.api_base(None).unwrap(), "https://api.github.com");
        assert!(Provider::Github.is_github_com(Some("https://github.com")));
        assert_eq!(
            Provider::Github.api_base(Some("https://ghe.example.com")).unwrap(),
            "https://ghe.example.com/api/v3"
        );
        assert!(!Provider::Github.is_github_com(Some("https://ghe.example.com")));
        assert_eq!(Provider::Npm.api_base(None).unwrap(), "https://registry.npmjs.org");
        assert_eq!(Provider::Command.api_base(None), None);
    }

    #[test]
    fn provider_urls_keep_tokens_off_the_network_in_clear_text() {
        assert_eq!(check_provider_url("https://gitlab.example.com/").unwrap(), "https://gitlab.example.com");
        assert!(check_provider_url("http://127.0.0.1:8080").is_ok());
        assert!(check_provider_url("http://[::1]:8080").is_ok());
        assert!(check_provider_url("http://localhost:8080").is_ok());
        for bad in [
            "http://gitlab.example.com",
            "http://10.0.0.1",
            "ftp://x.example",
            "gitlab.example.com",
            "https://user:pw@gitlab.example.com",
            "https://gitlab.example.com/?a=b",
            "https://gitlab.example.com/#x",
            "",
        ] {
            assert!(check_provider_url(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn hooks_split_as_a_shell_would_without_expanding() {
        assert_eq!(hook_words(Hook::Rotate, "sh -c 'echo $HOME | cat'").unwrap(), ["sh", "-c", "echo $HOME | cat"]);
        assert_eq!(hook_words(Hook::Rotate, r"a\ b c").unwrap(), ["a b", "c"]);
        assert!(hook_words(Hook::Rotate, "'open").is_err());
        assert!(hook_words(Hook::Rotate, "  ").is_err());
    }
}
