//! `--provider`, `--provider-url` and the `command` provider's `--on-…` hooks, as `import` and
//! `update` take them: checked before anything is opened, then applied to a record.

use crate::cli::ProviderArgs;
use crate::error::{self, Result};
use crate::vault::{Hook, Issuer, Kind, Provider, Record, check_provider_url, hook_words};

/// What the flags say, checked: `None` for a flag not given; `Some(None)` for `''` (update:
/// remove) or `--provider none`.
pub(crate) struct Given {
    pub provider: Option<Option<Provider>>,
    pub url: Option<Option<String>>,
    pub hooks: [Option<Option<String>>; 3],
}

impl Given {
    pub fn check(a: &ProviderArgs) -> Result<Given> {
        let provider = a.provider.as_deref().map(Provider::parse).transpose()?;
        let url = match a.provider_url.as_deref() {
            None => None,
            Some("") => Some(None),
            Some(u) => Some(Some(check_provider_url(u)?)),
        };
        let mut hooks = [None, None, None];
        for (i, (hook, text)) in Hook::ALL.iter().zip([&a.on_rotate, &a.on_revoke, &a.on_inspect]).enumerate() {
            hooks[i] = match text.as_deref() {
                None => None,
                Some("") => Some(None),
                Some(cmd) => {
                    hook_words(*hook, cmd)?;
                    Some(Some(cmd.to_string()))
                }
            };
        }
        Ok(Given { provider, url, hooks })
    }

    pub fn any(&self) -> bool {
        self.provider.is_some() || self.url.is_some() || self.hooks.iter().any(Option::is_some)
    }

    /// The issuer of a newly imported secret: as given, else what its format says.
    pub fn for_import(&self, secret: &str) -> Result<Issuer> {
        let provider = self.provider.unwrap_or_else(|| Provider::detect(secret));
        let [on_rotate, on_revoke, on_inspect] = self.hooks.clone().map(Option::flatten);
        let issuer = Issuer { provider, url: self.url.clone().flatten(), on_rotate, on_revoke, on_inspect };
        fits(&issuer, "import")?;
        Ok(issuer)
    }

    /// Apply to an existing record; the words for the log when something changed.
    pub fn apply(&self, r: &mut Record) -> Result<Option<String>> {
        if !self.any() {
            return Ok(None);
        }
        if r.kind == Kind::Minted && self.provider.flatten().is_some() {
            return Err(error::usage(format!("'{}' was minted by tokctl: it has no provider", r.name))
                .hint("a provider is who issued a token; store one it issued with `tokctl import NAME`")
                .into());
        }
        let mut issuer = Issuer::of(r);
        let mut dropped = false;
        if let Some(p) = self.provider
            && p != issuer.provider
        {
            // Another provider: its address and hooks were the old one's.
            dropped = issuer.url.is_some() || issuer.hooked();
            issuer = Issuer { provider: p, ..Issuer::default() };
            r.inspected_at = None;
            r.provider_scopes = None;
            r.provider_last_used_at = None;
            r.dead_at_provider = None;
        }
        if let Some(u) = &self.url {
            issuer.url = u.clone();
        }
        for (h, given) in Hook::ALL.into_iter().zip(&self.hooks) {
            if let Some(v) = given {
                *issuer.hook_mut(h) = v.clone();
            }
        }
        fits(&issuer, "update")?;
        let mut words = describe(&issuer);
        if dropped && self.url.is_none() && self.hooks.iter().all(Option::is_none) {
            words.push_str(" (the old provider's address and hooks were dropped)");
        }
        issuer.apply(r);
        Ok(Some(words))
    }
}

/// An address only for a provider that has one; hooks only for the command provider.
fn fits(i: &Issuer, cmd: &str) -> Result<()> {
    if i.url.is_some() && !matches!(i.provider, Some(Provider::Gitlab | Provider::Github | Provider::Npm)) {
        return Err(error::usage("--provider-url is the address of a gitlab, github or npm provider")
            .hint(format!("add --provider gitlab (or github, npm) to `tokctl {cmd}`"))
            .into());
    }
    if i.hooked() && i.provider != Some(Provider::Command) {
        return Err(error::usage("--on-rotate, --on-revoke and --on-inspect are the hooks of the command provider")
            .hint(format!("add --provider command to `tokctl {cmd}`"))
            .into());
    }
    Ok(())
}

fn describe(i: &Issuer) -> String {
    match i.provider {
        None => "provider none".into(),
        Some(p) => {
            let mut s = format!("provider {}", p.as_str());
            if let Some(u) = &i.url {
                s.push_str(&format!(" at {u}"));
            }
            let hooks: Vec<&str> = Hook::ALL.into_iter().filter(|&h| i.hook(h).is_some()).map(Hook::name).collect();
            if !hooks.is_empty() {
                s.push_str(&format!(" (hooks: {})", hooks.join(", ")));
            }
            s
        }
    }
}
