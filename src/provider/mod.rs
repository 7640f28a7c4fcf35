//! A token's life at its issuer (README, "Providers"): asking a provider about a token
//! (`inspect`), rotating it there (`regenerate`) and revoking it there (`revoke`). GitLab,
//! GitHub and npm are spoken over HTTP (`api`); any other issuer through the `command`
//! provider's hooks (`hooks`).
//!
//! Only the user's own vault's records are acted on (`Target::of`): a remote store's or a
//! bundle's records are written by others.

mod api;
mod github;
mod gitlab;
mod hooks;
mod npm;

use crate::error::{self, Result};
use crate::secret::Secret;
use crate::vault::{Hook, Issuer, Provider, Record};

/// What a provider is asked about: one token, as its record names it.
pub struct Target {
    pub name: String,
    pub env: String,
    pub scopes: Vec<String>,
    pub provider: Provider,
    /// The record's `--provider-url` and hooks.
    issuer: Issuer,
    pub secret: Secret,
    /// The record's current expiry and when its secret was set: how long a rotated one lives.
    pub expires_at: Option<i64>,
    pub secret_set_at: i64,
}

impl Target {
    /// The target for `r`, when it names a provider, still has its secret, and is in the
    /// user's own vault (`own`). A record from elsewhere (a remote store, a bundle, a vault
    /// opened with a key from the environment) is never acted on at its provider: whoever wrote
    /// it could send its readers' tokens to another service, or to the public one in place of
    /// their own instance (its address is not carried), and have them marked dead for all.
    pub fn of(r: &Record, own: bool) -> Option<Target> {
        if !own {
            return None;
        }
        let provider = r.provider?;
        let secret = r.secret.clone()?;
        Some(Target {
            name: r.name.clone(),
            env: r.env.clone(),
            scopes: r.scopes.clone(),
            provider,
            issuer: Issuer::of(r),
            secret,
            expires_at: r.expires_at,
            secret_set_at: r.secret_set_at,
        })
    }

    /// Whether the provider acts on `what` at all: a command provider only through its hook
    /// (without one, `regenerate` reads the new secret from stdin and `revoke` is local, as
    /// for a token with no provider).
    pub fn acts(&self, what: Hook) -> bool {
        self.provider != Provider::Command || self.issuer.hook(what).is_some()
    }

    /// The hook for `what`, or the usage error saying there is none.
    fn hook(&self, what: Hook) -> Result<&str> {
        self.issuer.hook(what).ok_or_else(|| {
            error::usage(format!("'{}' names the command provider, but it has no {} hook", self.name, what.flag()))
                .hint(format!("set one: `tokctl update {} {} CMD`", self.name, what.flag()))
                .into()
        })
    }

    /// The record's `--provider-url`.
    pub fn url(&self) -> Option<&str> {
        self.issuer.url.as_deref()
    }

    /// The provider's web address: the record's, else the public one.
    fn web(&self) -> &str {
        self.provider.web(self.url()).unwrap_or_default()
    }

    /// The provider's name and address, for messages.
    pub fn words(&self) -> String {
        self.provider.words(self.url())
    }
}

/// What a provider said about a token.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Facts {
    pub valid: bool,
    /// The expiry the provider says: `Some(None)` when it says the token never expires, `None`
    /// when it does not say.
    pub expires_at: Option<Option<i64>>,
    pub scopes: Option<Vec<String>>,
    pub last_used_at: Option<i64>,
    /// Whose token it is, where the provider says (a user name).
    pub account: Option<String>,
    /// Why it is not valid, in the provider's words (no secret).
    pub why: Option<String>,
    /// Something a hook said on stderr, for the user.
    pub note: Option<String>,
}

/// Ask the provider about `t`.
pub fn inspect(t: &Target) -> Result<Facts> {
    match t.provider {
        Provider::Gitlab => gitlab::inspect(t),
        Provider::Github => github::inspect(t),
        Provider::Npm => npm::inspect(t),
        Provider::Command => hooks::inspect(t, t.hook(Hook::Inspect)?),
    }
}

/// A new secret from the provider.
pub struct Rotated {
    pub secret: Secret,
    /// The new secret's expiry, where the provider says: `Some(None)` for never.
    pub expires_at: Option<Option<i64>>,
    /// Something the user must still do (npm: the old token could not be revoked): exit 1.
    pub warning: Option<String>,
    /// Something a hook said on stderr, for the user.
    pub note: Option<String>,
}

/// Why a rotation failed, and whether the provider may have acted on it anyway.
pub struct RotateFailure {
    pub error: anyhow::Error,
    /// The request may have reached the provider and been carried out (a lost answer): the
    /// pending mark stays and the old secret is never sent to rotate again.
    pub maybe_done: bool,
    /// The provider said the old secret is dead.
    pub dead: bool,
    /// A new secret the provider answered although the rotation then failed (a hook that
    /// printed `secret=` and exited non-zero): printed once for the user, never sealed.
    pub secret: Option<Secret>,
}

impl RotateFailure {
    fn not_done(error: anyhow::Error) -> RotateFailure {
        RotateFailure { error, maybe_done: false, dead: false, secret: None }
    }
}

/// What a rotation needs from a person: npm's account password (asked before anything is
/// sealed or sent) and, when the registry asks for one, a one-time password.
pub trait Asker {
    fn password(&self) -> Option<&Secret>;
    fn otp(&self) -> Result<Secret>;
}

/// What `regenerate` needs to know before calling: whether this provider can rotate at all, and
/// what it will ask a person. Usage errors (exit 2) come from here, before any mark is sealed.
pub fn check_rotatable(t: &Target) -> Result<()> {
    match t.provider {
        Provider::Gitlab | Provider::Npm => Ok(()),
        Provider::Command => t.hook(Hook::Rotate).map(|_| ()),
        Provider::Github => Err(error::usage(format!(
            "GitHub cannot rotate a personal access token: '{}' cannot be regenerated there",
            t.name
        ))
        .hint(format!(
            "make a new one at {}/settings/tokens (or regenerate it on that page), then store it with \
             `tokctl import {} --replace`; `tokctl revoke {}` revokes the old one",
            t.web(),
            t.name,
            t.name
        ))
        .into()),
    }
}

/// Rotate `t` at its provider. `days` is the new secret's lifetime as GitLab takes it; never
/// retried.
pub fn rotate(t: &Target, days: i64, ask: &dyn Asker) -> std::result::Result<Rotated, RotateFailure> {
    match t.provider {
        Provider::Gitlab => gitlab::rotate(t, days),
        Provider::Npm => npm::rotate(t, ask),
        Provider::Command => hooks::rotate(t, t.hook(Hook::Rotate).map_err(RotateFailure::not_done)?),
        Provider::Github => Err(RotateFailure::not_done(check_rotatable(t).expect_err("github cannot rotate"))),
    }
}

/// What npm's rotation asks a person for, said before the pending mark is sealed.
pub fn needs_password(t: &Target) -> bool {
    t.provider == Provider::Npm
}

/// Revoke `t` at its provider. A provider saying the token is already dead counts as revoked.
/// What a hook said on stderr comes back, for the user.
pub fn revoke(t: &Target) -> Result<Option<String>> {
    match t.provider {
        Provider::Gitlab => gitlab::revoke(t).map(|()| None),
        Provider::Github => github::revoke(t).map(|()| None),
        Provider::Npm => npm::revoke(t).map(|()| None),
        Provider::Command => hooks::revoke(t, t.hook(Hook::Revoke)?),
    }
}

/// Someone else's words (a provider's error message, a hook's stderr) as tokctl shows them:
/// one line, at most `max` characters, control characters escaped, and any of `secrets` (the
/// token sent, a password) shown as `***` should they repeat it.
fn their_words(s: &str, secrets: &[&str], max: usize) -> String {
    let mut one = s.split_whitespace().collect::<Vec<_>>().join(" ");
    for secret in secrets.iter().filter(|x| !x.is_empty()) {
        one = one.replace(secret, "***");
    }
    let one: String = one.chars().take(max).collect();
    crate::text::escape(&one).into_owned()
}

/// Where a person revokes `t` by hand when tokctl could not.
pub fn manual_revoke(t: &Target) -> String {
    match t.provider {
        Provider::Gitlab => format!("{}/-/user_settings/personal_access_tokens", t.web()),
        Provider::Github => format!("{}/settings/tokens", t.web()),
        Provider::Npm => "`npm token list`, then `npm token revoke ID` (or the registry's web page)".into(),
        Provider::Command => "where it was issued (its provider's web page or CLI)".into(),
    }
}
