//! The rules for what a user may call things: token names, environment variables, scopes and
//! minted-token prefixes, and the environment variable a name gets by default.

use crate::error::{self, Result};

pub(crate) fn check_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    if !ok {
        return Err(error::usage(format!("'{name}' is not a valid token name"))
            .hint("use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit")
            .into());
    }
    Ok(())
}

pub(crate) fn check_env(var: &str) -> Result<()> {
    let ok = !var.is_empty()
        && !var.as_bytes()[0].is_ascii_digit()
        && var.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !ok {
        return Err(error::usage(format!("'{var}' is not a valid environment variable name"))
            .hint("use letters, digits and '_', not starting with a digit (e.g. EXPO_TOKEN)")
            .into());
    }
    Ok(())
}

pub(crate) fn check_scope(scope: &str) -> Result<()> {
    let ok = !scope.is_empty() && scope.bytes().all(|b| b.is_ascii_alphanumeric() || b":._*-".contains(&b));
    if !ok {
        return Err(error::usage(format!("'{scope}' is not a valid scope"))
            .hint("use letters, digits and ':', '.', '_', '*', '-' (e.g. repo:read)")
            .into());
    }
    Ok(())
}

pub(crate) fn check_prefix(prefix: &str) -> Result<()> {
    let ok = !prefix.is_empty()
        && prefix.len() <= 20
        && prefix.as_bytes()[0].is_ascii_alphabetic()
        && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !prefix.as_bytes()[prefix.len() - 1].is_ascii_alphanumeric();
    if !ok {
        return Err(error::usage(format!("'{prefix}' is not a valid token prefix"))
            .hint("use up to 20 letters, digits, '_' or '-', starting with a letter and ending in '_' or '-' (e.g. acme_)")
            .into());
    }
    Ok(())
}

/// The variable a token gets when none is given: a well-known provider name gets the variable
/// its CLI reads (`bws` → `BWS_ACCESS_TOKEN`, `hf` → `HF_TOKEN`), any other name its own,
/// upper-cased with `_TOKEN` (`my.svc` → `MY_SVC_TOKEN`, `gh-token` → `GH_TOKEN`).
pub(crate) fn default_env(name: &str) -> String {
    match crate::formats::by_name(name) {
        Some(w) => w.env.to_string(),
        None => derived_env(name),
    }
}

fn derived_env(name: &str) -> String {
    let mut v: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect();
    if v.as_bytes()[0].is_ascii_digit() {
        v.insert(0, '_');
    }
    if !v.ends_with("TOKEN") {
        v.push_str("_TOKEN");
    }
    v
}

/// Sorted, de-duplicated, validated scopes.
pub(crate) fn scope_set(scopes: &[String]) -> Result<Vec<String>> {
    for s in scopes {
        check_scope(s)?;
    }
    let mut v = scopes.to_vec();
    v.sort();
    v.dedup();
    Ok(v)
}

/// One family of variables that make a common program load or run other code, or fetch from
/// (or send to) somewhere else: a token is never injected under one of them, whoever asked
/// (`-t NAME=VAR`, a record's env, a project file). In a pattern `*` stands for any run of
/// characters; names are compared upper-cased (`http_proxy` is `HTTP_PROXY`). A name that
/// matches `refused` and none of `unless` is refused.
pub struct Family {
    pub family: &'static str,
    pub why: &'static str,
    pub refused: &'static [&'static str],
    pub unless: &'static [&'static str],
}

/// The refused variables, one table (README "Variables a token never goes into" renders it
/// with `refused_table`). The SPEC's minimum, every family it lists, and the ones it left out.
pub const REFUSED: &[Family] = &[
    Family {
        family: "shell",
        why: "startup files, functions and prompts the shell runs",
        refused: &[
            "PATH",
            "HOME",
            "SHELL",
            "IFS",
            "ENV",
            "BASH_ENV",
            "BASH_FUNC_*",
            "BASH_XTRACEFD",
            "BASH_LOADABLES_PATH",
            "PROMPT_COMMAND",
            "PS0",
            "PS1",
            "PS2",
            "PS3",
            "PS4",
            "SHELLOPTS",
            "BASHOPTS",
            "ZDOTDIR",
            "FPATH",
            "CDPATH",
            "GLOBIGNORE",
            "USERPROFILE",
            "APPDATA",
        ],
        unless: &[],
    },
    Family {
        family: "dynamic loader",
        why: "libraries loaded into every program",
        refused: &["LD_*", "DYLD_*"],
        unless: &[],
    },
    Family {
        family: "libc",
        why: "glibc's converter modules, locales, message catalogues, tunables, host aliases",
        refused: &["GCONV_PATH", "LOCPATH", "NLSPATH", "GLIBC_TUNABLES", "HOSTALIASES", "LOCALDOMAIN", "RES_OPTIONS"],
        unless: &[],
    },
    Family { family: "tokctl", why: "tokctl's own settings", refused: &["TOKCTL_*"], unless: &[] },
    Family {
        family: "git",
        why: "config, hooks, helpers, editors, pagers, proxies and repository locations",
        refused: &["GIT_*"],
        unless: &["GIT_*TOKEN", "GIT_*PASSWORD"],
    },
    Family {
        family: "git config",
        why: "any git setting (`core.pager`, `core.sshCommand`, hooks…) given in the environment",
        refused: &["GIT_CONFIG*"],
        unless: &[],
    },
    Family {
        family: "jvm",
        why: "agents and options every JVM (and Gradle, Maven) picks up",
        refused: &[
            "JAVA_TOOL_OPTIONS",
            "_JAVA_OPTIONS",
            "JDK_JAVA_OPTIONS",
            "JAVA_OPTS",
            "JAVA_HOME",
            "CLASSPATH",
            "GRADLE_OPTS",
            "GRADLE_USER_HOME",
            "MAVEN_OPTS",
            "MAVEN_ARGS",
            "SBT_OPTS",
        ],
        unless: &[],
    },
    Family {
        family: "rust",
        why: "the compiler, its wrappers and flags, and rustup's toolchain and download server",
        refused: &["RUSTC*", "RUSTDOC*", "RUSTFLAGS", "RUSTUP_*"],
        unless: &[],
    },
    Family {
        family: "cargo",
        why: "every cargo setting (runners, linkers, rustc, registries' indexes, credential providers, aliases); \
              registry tokens stay allowed",
        refused: &["CARGO", "CARGO_*"],
        unless: &["CARGO_*TOKEN"],
    },
    Family {
        family: "cargo credential providers",
        why: "programs cargo runs to get a registry's token, whatever the name ends in",
        refused: &["CARGO_*CREDENTIAL_PROVIDER*"],
        unless: &[],
    },
    Family {
        family: "go",
        why: "flags, module proxies and checksum databases, toolchain downloads, cgo flags",
        refused: &[
            "GOFLAGS",
            "GOPROXY",
            "GONOPROXY",
            "GOSUMDB",
            "GONOSUMDB",
            "GONOSUMCHECK",
            "GOPRIVATE",
            "GOINSECURE",
            "GOTOOLCHAIN",
            "GOROOT",
            "GOPATH",
            "GOBIN",
            "GOENV",
            "GOVCS",
            "GOAUTH",
            "GOCACHEPROG",
            "GOEXPERIMENT",
            "CGO_*",
        ],
        unless: &[],
    },
    Family {
        family: "c toolchain",
        why: "compilers, linkers and flags that make and build systems run",
        refused: &[
            "CC",
            "CXX",
            "CPP",
            "LD",
            "AR",
            "AS",
            "CFLAGS",
            "CXXFLAGS",
            "CPPFLAGS",
            "LDFLAGS",
            "MAKEFLAGS",
            "MFLAGS",
            "GNUMAKEFLAGS",
            "MAKEFILES",
            "PKG_CONFIG*",
            "CMAKE_*",
        ],
        unless: &[],
    },
    Family {
        family: "askpass",
        why: "programs run to ask for a password, and the agents that sign for you",
        refused: &[
            "SSH_ASKPASS",
            "SSH_ASKPASS_REQUIRE",
            "SUDO_ASKPASS",
            "SSH_AUTH_SOCK",
            "GNUPGHOME",
            "GPG_AGENT_INFO",
        ],
        unless: &[],
    },
    Family {
        family: "pagers, editors and browsers",
        why: "commands other programs start to show, edit or open something",
        refused: &[
            "PAGER",
            "EDITOR",
            "VISUAL",
            "LESS",
            "LESSOPEN",
            "LESSCLOSE",
            "LESSEDIT",
            "LESSKEY*",
            "MANPAGER",
            "MANOPT",
            "BROWSER",
            "SUDO_EDITOR",
            "SYSTEMD_PAGER",
            "SYSTEMD_EDITOR",
            "FCEDIT",
            "VIMINIT",
            "EXINIT",
            "MYVIMRC",
            "VIMRUNTIME",
            "EMACSLOADPATH",
            "GH_EDITOR",
            "GH_PAGER",
            "GH_BROWSER",
        ],
        unless: &[],
    },
    Family {
        family: "python",
        why: "module paths, startup files and hooks the interpreter imports",
        refused: &["PYTHON*"],
        unless: &[],
    },
    Family { family: "perl", why: "options and library paths", refused: &["PERL*"], unless: &[] },
    Family {
        family: "ruby",
        why: "options, library paths, gem homes and Bundler's Gemfile, config and mirrors",
        refused: &[
            "RUBY*",
            "GEM_*",
            "GEMRC",
            "BUNDLE_GEMFILE",
            "BUNDLE_APP_CONFIG",
            "BUNDLE_USER_CONFIG",
            "BUNDLE_USER_HOME",
            "BUNDLE_USER_PLUGIN",
            "BUNDLE_PATH",
            "BUNDLE_BIN",
            "BUNDLE_MIRROR__*",
        ],
        unless: &["GEM_HOST_API_KEY"],
    },
    Family {
        family: "node",
        why: "options, module paths, CA trust and the package managers' registries and binaries",
        refused: &["NODE_*", "NPM_CONFIG_*", "YARN_*", "COREPACK_*", "BUN_CONFIG_*", "PNPM_HOME"],
        unless: &["NODE_*TOKEN", "YARN_*TOKEN", "COREPACK_*TOKEN"],
    },
    Family {
        family: "python packages",
        why: "package indexes and the config files that name them",
        refused: &["PIP_*", "UV_*", "POETRY_*", "PIPENV_PYPI_MIRROR", "CONDARC"],
        unless: &["UV_*TOKEN", "UV_*PASSWORD", "POETRY_PYPI_TOKEN_*", "POETRY_HTTP_BASIC_*_PASSWORD"],
    },
    Family {
        family: "dotnet",
        why: "startup hooks, extra dependencies and profilers the runtime loads",
        refused: &["DOTNET_*", "CORECLR_*", "COR_*", "COMPLUS_*"],
        unless: &[],
    },
    Family {
        family: "other interpreters",
        why: "PHP's ini files, Lua's init code and paths, R's profiles, Tcl's library path",
        refused: &["PHPRC", "PHP_INI_SCAN_DIR", "LUA_*", "R_PROFILE*", "R_ENVIRON*", "R_LIBS*", "TCLLIBPATH"],
        unless: &[],
    },
    Family {
        family: "proxies and tls trust",
        why: "where requests go, which certificates are trusted, where TLS keys are logged",
        refused: &[
            "*_PROXY",
            "SSL_CERT_FILE",
            "SSL_CERT_DIR",
            "CURL_CA_BUNDLE",
            "REQUESTS_CA_BUNDLE",
            "CURL_HOME",
            "WGETRC",
            "SSLKEYLOGFILE",
            "OPENSSL_CONF",
            "OPENSSL_ENGINES",
            "OPENSSL_MODULES",
        ],
        unless: &[],
    },
    Family {
        family: "config locations",
        why: "where programs read their config (which can run commands) and which server they talk to",
        refused: &[
            "XDG_*",
            "DBUS_SESSION_BUS_ADDRESS",
            "DOCKER_HOST",
            "DOCKER_CONFIG",
            "DOCKER_CONTEXT",
            "KUBECONFIG",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_ENDPOINT_URL*",
            "AWS_CA_BUNDLE",
            "GH_HOST",
            "GH_CONFIG_DIR",
            "HELM_*",
        ],
        unless: &[],
    },
];

/// Whether `name` matches `pattern`, where `*` stands for any run of characters.
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else { return false };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else { return rest.is_empty() };
    for p in middle {
        match rest.find(p) {
            Some(at) => rest = &rest[at + p.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The family that refuses `var`, if one does.
pub(crate) fn refused_by(var: &str) -> Option<&'static Family> {
    let upper = var.to_ascii_uppercase();
    REFUSED.iter().find(|f| f.refused.iter().any(|p| glob(p, &upper)) && !f.unless.iter().any(|p| glob(p, &upper)))
}

/// Refuse (exit 2) a variable that programs would obey rather than read.
pub(crate) fn check_injectable(var: &str) -> Result<()> {
    if let Some(f) = refused_by(var) {
        return Err(error::usage(format!(
            "refusing to put a token into {var}: it changes how programs load or run ({}: {})",
            f.family, f.why
        ))
        .hint("choose another variable, e.g. -t NAME=MY_TOKEN, or `tokctl update NAME --env MY_TOKEN`")
        .into());
    }
    Ok(())
}

/// The table as the README shows it (a test keeps the two the same).
pub fn refused_table() -> String {
    let mut out = String::from("| family | refused | except | why |\n|---|---|---|---|\n");
    let code = |v: &[&str]| v.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ");
    for f in REFUSED {
        let unless = if f.unless.is_empty() { "–".to_string() } else { code(f.unless) };
        out.push_str(&format!("| {} | {} | {unless} | {} |\n", f.family, code(f.refused), f.why));
    }
    out
}

/// The endings of a variable a record from a remote store may choose for itself.
pub(crate) const SECRET_LIKE: &[&str] = &["TOKEN", "KEY", "SECRET", "PASSWORD", "PAT", "CREDENTIALS"];

/// Whether `var` ends like a variable that holds a secret (case as written: `npm_config_…_token`
/// is configuration, not a secret's name).
pub(crate) fn secret_like(var: &str) -> bool {
    SECRET_LIKE.iter().any(|s| var.ends_with(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_env_names() {
        assert_eq!(default_env("expo"), "EXPO_TOKEN");
        assert_eq!(default_env("gh-token"), "GH_TOKEN");
        assert_eq!(default_env("bws.access"), "BWS_ACCESS_TOKEN");
        assert_eq!(default_env("9lives"), "_9LIVES_TOKEN");
        assert_eq!(default_env("my.svc"), "MY_SVC_TOKEN");
        assert_eq!(default_env("bws"), "BWS_ACCESS_TOKEN");
        assert_eq!(default_env("cargo"), "CARGO_REGISTRY_TOKEN");
        assert_eq!(default_env("hf"), "HF_TOKEN");
    }

    #[test]
    fn globs_match_runs_of_characters() {
        assert!(glob("CARGO_TARGET_*_RUNNER", "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER"));
        assert!(glob("CARGO_*CREDENTIAL_PROVIDER*", "CARGO_CREDENTIAL_PROVIDER"));
        assert!(glob("*_PROXY", "HTTPS_PROXY") && !glob("*_PROXY", "PROXY"));
        assert!(glob("LD_*", "LD_") && !glob("LD_*", "LDX"));
        assert!(glob("PATH", "PATH") && !glob("PATH", "PATHS"));
        assert!(!glob("A*A", "A"));
        assert!(refused_by("cargo_home").is_some() && refused_by("CARGO_REGISTRY_TOKEN").is_none());
        assert!(refused_by("CARGO_X_CREDENTIAL_PROVIDER_TOKEN").is_some(), "the providers' family has no exception");
    }
}
