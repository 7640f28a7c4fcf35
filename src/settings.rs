//! Every environment variable tokctl obeys, read and checked once when a command starts (as
//! ripgrep turns argv and the environment into one value before any work): a bad value is an
//! error naming the variable before anything is opened, and nothing later reads the environment
//! again. `lib::run` reads them into the command's `Ctx` and installs the same value for the
//! leaves that have no context of their own (the keyring's timeout, the server client).

use std::ffi::OsString;
use std::path::PathBuf;
use std::sync::OnceLock;

use zeroize::Zeroizing;

use crate::error::{self, Result};
use crate::secret::Key;
use crate::when;

/// An exported vault key (`tokctl key export`).
pub const ENV_KEY: &str = "TOKCTL_VAULT_KEY";
/// A passphrase for a vault that has one.
pub const ENV_PASS: &str = "TOKCTL_PASSPHRASE";
/// `none` (or `off`) turns the OS keyring off.
pub const ENV_KEYRING: &str = "TOKCTL_KEYRING";
/// How long a keyring call may take.
pub const ENV_KEYRING_TIMEOUT: &str = "TOKCTL_KEYRING_TIMEOUT";
/// How long a request to a remote store may take.
pub const ENV_REMOTE_TIMEOUT: &str = "TOKCTL_REMOTE_TIMEOUT";
/// How long a token's provider (or a `command` provider's hook) may take per request.
pub const ENV_PROVIDER_TIMEOUT: &str = "TOKCTL_PROVIDER_TIMEOUT";
/// The environment variables that may carry credentials for a server, in the order tried.
pub const TOKEN_VARS: [&str; 2] = ["BAO_TOKEN", "VAULT_TOKEN"];
pub const ROLE_VARS: [&str; 2] = ["BAO_ROLE_ID", "BAO_SECRET_ID"];
pub const CACERT_VARS: [&str; 2] = ["BAO_CACERT", "VAULT_CACERT"];

/// An age identity (`AGE-SECRET-KEY-1…`) that opens recipient bundles.
pub const ENV_AGE_IDENTITY: &str = "TOKCTL_AGE_IDENTITY";
/// A file holding age identities, or an unencrypted SSH private key, that open recipient bundles.
pub const ENV_AGE_IDENTITY_FILE: &str = "TOKCTL_AGE_IDENTITY_FILE";

/// How long the unlock cache keeps a key.
pub const ENV_TTL: &str = "TOKCTL_CACHE_TTL";
/// After an unlock from the OS keyring, when `TOKCTL_CACHE_TTL` is not set.
pub const DEFAULT_TTL: u64 = 5 * 60;
/// The longest any entry lives.
pub const MAX_TTL: u64 = 24 * 3600;

/// What `TOKCTL_CACHE_TTL` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// `0` or `off`: nothing is read or written.
    Off,
    /// Cache for this many seconds; `explicit` when the user set it (then a passphrase unlock
    /// is cached too).
    Ttl { secs: u64, explicit: bool },
}

/// Why `--for` and `TOKCTL_CACHE_TTL` stop at `MAX_TTL`.
pub const LIMIT_HINT: &str = "the unlock cache keeps a key at most 24h; give a shorter duration such as 8h";

/// What the environment says, checked.
pub struct Settings {
    /// `TOKCTL_VAULT_KEY`: the key itself (a malformed one was refused).
    pub vault_key: Option<Key>,
    /// `TOKCTL_PASSPHRASE`.
    pub passphrase: Option<Zeroizing<String>>,
    /// `TOKCTL_KEYRING` is not `none`/`off`.
    pub keyring: bool,
    /// `TOKCTL_KEYRING_TIMEOUT`, seconds.
    pub keyring_timeout: u64,
    /// `TOKCTL_CACHE_TTL`.
    pub cache: Policy,
    /// `TOKCTL_REMOTE_TIMEOUT`, seconds.
    pub remote_timeout: u64,
    /// `TOKCTL_PROVIDER_TIMEOUT`, seconds.
    pub provider_timeout: u64,
    /// `BAO_CACERT` or `VAULT_CACERT`: which one, and the file it names.
    pub cacert: Option<(&'static str, PathBuf)>,
    /// `BAO_TOKEN` or `VAULT_TOKEN`: which one, and the token.
    pub server_token: Option<(&'static str, Zeroizing<String>)>,
    /// `BAO_ROLE_ID` and `BAO_SECRET_ID`, both set.
    pub approle: Option<(Zeroizing<String>, Zeroizing<String>)>,
    /// `CI` is `true` or `1`, as every major CI service sets it.
    pub ci: bool,
    /// `TOKCTL_VAULT` (clap reads it into `--vault` too; this says where the path came from).
    pub vault: Option<PathBuf>,
    /// `TOKCTL_AGE_IDENTITY`: an age identity (one that does not parse was refused).
    pub age_identity: Option<Zeroizing<String>>,
    /// `TOKCTL_AGE_IDENTITY_FILE`: read when a recipient bundle is opened.
    pub age_identity_file: Option<PathBuf>,
}

impl Settings {
    /// From this process's environment.
    pub fn from_env() -> Result<Settings> {
        Settings::from_lookup(|v| std::env::var_os(v))
    }

    /// From any lookup of variables (the tests use a map). An empty value counts as unset.
    pub fn from_lookup(get: impl Fn(&str) -> Option<OsString>) -> Result<Settings> {
        let text = |v: &str| -> Result<Option<Zeroizing<String>>> {
            match get(v).filter(|x| !x.is_empty()) {
                None => Ok(None),
                Some(x) => x.into_string().map(|s| Some(Zeroizing::new(s))).map_err(|_| {
                    error::usage(format!("{v} is not valid UTF-8 text"))
                        .hint(format!("unset {v}, or set it again"))
                        .into()
                }),
            }
        };
        let vault_key = match text(ENV_KEY)? {
            None => None,
            // A key that cannot be a key is a locked vault (exit 5), as a wrong one is.
            Some(k) => Some(crate::crypto::decode_key(&k).map_err(|e| {
                error::locked(format!("{ENV_KEY} is set but is not a usable vault key"))
                    .hint(format!("{}; unset it to use the keyring", e.root_cause()))
            })?),
        };
        let keyring = match text(ENV_KEYRING)?.as_deref().map(String::as_str) {
            None | Some("auto") | Some("os") => true,
            Some("none") | Some("off") => false,
            Some(other) => {
                return Err(error::usage(format!("{ENV_KEYRING}='{}' is not understood", crate::text::escape(other)))
                    .hint(format!("set {ENV_KEYRING}=none to turn the keyring off, or unset it"))
                    .into());
            }
        };
        let timeout = |v: &str| -> Result<u64> {
            match text(v)? {
                None => Ok(when::DEFAULT_TIMEOUT),
                Some(t) => when::parse_timeout(v, &t),
            }
        };
        let cache = match text(ENV_TTL)? {
            None => Policy::Ttl { secs: DEFAULT_TTL, explicit: false },
            Some(t) if t.trim().is_empty() => Policy::Ttl { secs: DEFAULT_TTL, explicit: false },
            Some(t) => match when::parse_cache_ttl(ENV_TTL, t.trim(), MAX_TTL, LIMIT_HINT)? {
                None => Policy::Off,
                Some(secs) => Policy::Ttl { secs, explicit: true },
            },
        };
        let cacert = CACERT_VARS.iter().find_map(|v| get(v).filter(|p| !p.is_empty()).map(|p| (*v, PathBuf::from(p))));
        let mut server_token = None;
        for v in TOKEN_VARS {
            if let Some(t) = text(v)? {
                server_token = Some((v, t));
                break;
            }
        }
        let approle = match (text(ROLE_VARS[0])?, text(ROLE_VARS[1])?) {
            (Some(r), Some(s)) => Some((r, s)),
            _ => None,
        };
        let age_identity = match text(ENV_AGE_IDENTITY)? {
            // An identity that cannot be one is a locked vault (exit 5), as a bad vault key is.
            Some(t) if <age::x25519::Identity as std::str::FromStr>::from_str(t.trim()).is_err() => {
                return Err(error::locked(format!("{ENV_AGE_IDENTITY} is set but is not an age identity"))
                    .hint("it takes the AGE-SECRET-KEY-1… line `age-keygen` prints; unset it if you meant none")
                    .into());
            }
            other => other,
        };
        let ci = get("CI").is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1");
        Ok(Settings {
            vault_key,
            passphrase: text(ENV_PASS)?,
            keyring,
            keyring_timeout: timeout(ENV_KEYRING_TIMEOUT)?,
            cache,
            remote_timeout: timeout(ENV_REMOTE_TIMEOUT)?,
            provider_timeout: timeout(ENV_PROVIDER_TIMEOUT)?,
            cacert,
            server_token,
            approle,
            ci,
            vault: get("TOKCTL_VAULT").filter(|v| !v.is_empty()).map(PathBuf::from),
            age_identity,
            age_identity_file: get(ENV_AGE_IDENTITY_FILE).filter(|v| !v.is_empty()).map(PathBuf::from),
        })
    }
}

static INSTALLED: OnceLock<Settings> = OnceLock::new();

/// Make `s` the settings of this process (once, at start).
pub fn install(s: Settings) -> &'static Settings {
    INSTALLED.get_or_init(|| s)
}

/// This process's settings. Outside a command (a unit test, a fuzz target) they are read from
/// the environment on first use, and a bad value there counts as unset.
pub fn get() -> &'static Settings {
    INSTALLED.get_or_init(|| {
        Settings::from_env().unwrap_or_else(|_| Settings::from_lookup(|_| None).expect("no variables is valid"))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn with(vars: &[(&str, &str)]) -> Result<Settings> {
        let m: HashMap<String, OsString> = vars.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect();
        Settings::from_lookup(|v| m.get(v).cloned())
    }

    fn code(r: Result<Settings>) -> Option<error::Code> {
        r.err().and_then(|e| e.downcast_ref::<error::Error>().map(|x| x.code))
    }

    fn message(r: Result<Settings>) -> String {
        r.err().map(|e| format!("{e:#}")).unwrap_or_default()
    }

    #[test]
    fn nothing_set_is_the_defaults() {
        let s = with(&[]).unwrap();
        assert!(s.vault_key.is_none() && s.passphrase.is_none() && s.keyring && !s.ci);
        assert_eq!((s.keyring_timeout, s.remote_timeout), (when::DEFAULT_TIMEOUT, when::DEFAULT_TIMEOUT));
        assert_eq!(s.cache, Policy::Ttl { secs: DEFAULT_TTL, explicit: false });
        assert!(s.cacert.is_none() && s.server_token.is_none() && s.approle.is_none());
        // An empty value counts as unset, for every variable.
        let empty: Vec<(&str, &str)> = [ENV_KEY, ENV_PASS, ENV_KEYRING, ENV_KEYRING_TIMEOUT, ENV_TTL, "BAO_TOKEN"]
            .iter()
            .map(|v| (*v, ""))
            .collect();
        let s = with(&empty).unwrap();
        assert!(s.vault_key.is_none() && s.passphrase.is_none() && s.keyring && s.server_token.is_none());
    }

    #[test]
    fn each_variable_takes_its_forms() {
        let key = crate::crypto::encode_key(&Key::random());
        let s = with(&[(ENV_KEY, key.as_str()), (ENV_PASS, "pw"), (ENV_KEYRING, "none")]).unwrap();
        assert!(s.vault_key.is_some() && s.passphrase.as_deref().map(String::as_str) == Some("pw") && !s.keyring);
        assert!(with(&[(ENV_KEYRING, "off")]).unwrap().keyring.eq(&false));
        for on in ["auto", "os"] {
            assert!(with(&[(ENV_KEYRING, on)]).unwrap().keyring, "{on}");
        }
        for (v, secs) in [("30", 30), ("45s", 45), ("2m", 120), ("1h", 3600)] {
            assert_eq!(with(&[(ENV_KEYRING_TIMEOUT, v)]).unwrap().keyring_timeout, secs, "{v}");
            assert_eq!(with(&[(ENV_REMOTE_TIMEOUT, v)]).unwrap().remote_timeout, secs, "{v}");
            assert_eq!(with(&[(ENV_PROVIDER_TIMEOUT, v)]).unwrap().provider_timeout, secs, "{v}");
        }
        for off in ["0", "off", "0s", "00"] {
            assert_eq!(with(&[(ENV_TTL, off)]).unwrap().cache, Policy::Off, "{off}");
        }
        assert_eq!(with(&[(ENV_TTL, "90s")]).unwrap().cache, Policy::Ttl { secs: 90, explicit: true });
        let s = with(&[("VAULT_TOKEN", "v"), ("BAO_TOKEN", "b"), ("VAULT_CACERT", "/ca.pem")]).unwrap();
        assert_eq!(s.server_token.as_ref().map(|(v, t)| (*v, t.as_str())), Some(("BAO_TOKEN", "b")));
        assert_eq!(s.cacert, Some(("VAULT_CACERT", PathBuf::from("/ca.pem"))));
        assert!(with(&[("BAO_ROLE_ID", "r")]).unwrap().approle.is_none(), "both halves or none");
        assert!(with(&[("BAO_ROLE_ID", "r"), ("BAO_SECRET_ID", "s")]).unwrap().approle.is_some());
        for (ci, want) in [("true", true), ("TRUE", true), ("1", true), ("0", false), ("false", false)] {
            assert_eq!(with(&[("CI", ci)]).unwrap().ci, want, "{ci}");
        }
    }

    #[test]
    fn a_bad_value_names_its_variable_with_its_exit_code() {
        for (var, bad, want) in [
            (ENV_KEYRING, "bogus", error::Code::Usage),
            (ENV_KEYRING_TIMEOUT, "abc", error::Code::Usage),
            (ENV_KEYRING_TIMEOUT, "-1", error::Code::Usage),
            (ENV_REMOTE_TIMEOUT, "-1", error::Code::Usage),
            (ENV_REMOTE_TIMEOUT, "1.5s", error::Code::Usage),
            (ENV_PROVIDER_TIMEOUT, "0", error::Code::Usage),
            (ENV_PROVIDER_TIMEOUT, "soon", error::Code::Usage),
            (ENV_TTL, "abc", error::Code::Usage),
            (ENV_TTL, "25h", error::Code::Usage),
            (ENV_KEY, "not-a-key", error::Code::Locked),
            (ENV_AGE_IDENTITY, "AGE-SECRET-KEY-1NOPE", error::Code::Locked),
        ] {
            let r = with(&[(var, bad)]);
            let m = message(with(&[(var, bad)]));
            assert_eq!(code(r), Some(want), "{var}={bad}");
            assert!(m.contains(var), "{var}={bad}: the message names the variable: {m}");
        }
    }
}
