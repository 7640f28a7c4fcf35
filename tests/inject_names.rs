//! The variables a token is never injected under (SPEC "Commands", issue 17 item 3): one table,
//! `tokctl::vault::REFUSED`, documented in the README, with every family asserted here; and the
//! rule for records from a remote store, against a real OpenBao server.

use crate::support::bao::Bao;
use crate::support::*;

/// Each family of the table with variables of it that must be refused. The names are this
/// test's own, so a family dropped or narrowed in the code fails here.
const FAMILIES: &[(&str, &[&str])] = &[
    (
        "shell",
        &[
            "PATH",
            "HOME",
            "SHELL",
            "IFS",
            "ENV",
            "BASH_ENV",
            "PROMPT_COMMAND",
            "PS4",
            "PS1",
            "SHELLOPTS",
            "BASHOPTS",
            "BASH_FUNC_ls",
            "ZDOTDIR",
            "FPATH",
            "CDPATH",
            "GLOBIGNORE",
            "BASH_XTRACEFD",
        ],
    ),
    ("dynamic loader", &["LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "DYLD_INSERT_LIBRARIES", "ld_preload"]),
    ("libc", &["GCONV_PATH", "LOCPATH", "NLSPATH", "GLIBC_TUNABLES", "HOSTALIASES"]),
    ("tokctl", &["TOKCTL_VAULT_KEY", "TOKCTL_VAULT", "TOKCTL_TOKEN"]),
    (
        "git",
        &[
            "GIT_SSH_COMMAND",
            "GIT_SSH",
            "GIT_CONFIG_PARAMETERS",
            "GIT_CONFIG_GLOBAL",
            "GIT_ASKPASS",
            "GIT_EXEC_PATH",
            "GIT_PROXY_COMMAND",
            "GIT_EDITOR",
            "GIT_SEQUENCE_EDITOR",
            "GIT_PAGER",
            "GIT_EXTERNAL_DIFF",
            "GIT_TEMPLATE_DIR",
            "GIT_DIR",
            "GIT_WORK_TREE",
            "GIT_SSL_NO_VERIFY",
            "GIT_SSL_KEY",
        ],
    ),
    (
        "git config",
        &[
            "GIT_CONFIG",
            "GIT_CONFIG_PARAMETERS",
            "GIT_CONFIG_COUNT",
            "GIT_CONFIG_KEY_0",
            "GIT_CONFIG_VALUE_0",
            "GIT_CONFIG_VALUE_TOKEN",
        ],
    ),
    (
        "jvm",
        &[
            "JAVA_TOOL_OPTIONS",
            "_JAVA_OPTIONS",
            "JDK_JAVA_OPTIONS",
            "JAVA_OPTS",
            "JAVA_HOME",
            "CLASSPATH",
            "GRADLE_OPTS",
            "GRADLE_USER_HOME",
            "MAVEN_OPTS",
        ],
    ),
    (
        "rust",
        &[
            "RUSTC",
            "RUSTC_WRAPPER",
            "RUSTC_WORKSPACE_WRAPPER",
            "RUSTDOC",
            "RUSTFLAGS",
            "RUSTDOCFLAGS",
            "RUSTUP_TOOLCHAIN",
            "RUSTUP_DIST_SERVER",
        ],
    ),
    (
        "cargo",
        &[
            "CARGO_BUILD_RUSTC",
            "CARGO_BUILD_RUSTC_WRAPPER",
            "CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_RUNNER",
            "CARGO_TARGET_AARCH64_APPLE_DARWIN_LINKER",
            "CARGO_HOME",
            "CARGO_REGISTRIES_MINE_INDEX",
            "CARGO_CREDENTIAL_ALIAS_X",
            "CARGO_ALIAS_B",
            "CARGO_HOST_LINKER",
            "CARGO",
        ],
    ),
    (
        "cargo credential providers",
        &[
            "CARGO_REGISTRY_CREDENTIAL_PROVIDER",
            "CARGO_REGISTRIES_MINE_CREDENTIAL_PROVIDER",
            "CARGO_REGISTRY_GLOBAL_CREDENTIAL_PROVIDERS",
            "CARGO_CREDENTIAL_PROVIDER_TOKEN",
        ],
    ),
    (
        "go",
        &[
            "GOFLAGS",
            "GOPROXY",
            "GOSUMDB",
            "GONOSUMDB",
            "GOPRIVATE",
            "GOINSECURE",
            "GOTOOLCHAIN",
            "GOROOT",
            "GOPATH",
            "GOENV",
            "GOAUTH",
            "GOCACHEPROG",
            "CGO_CFLAGS",
            "CGO_LDFLAGS",
        ],
    ),
    (
        "c toolchain",
        &[
            "CC",
            "CXX",
            "CPP",
            "LD",
            "AR",
            "CFLAGS",
            "CXXFLAGS",
            "CPPFLAGS",
            "LDFLAGS",
            "MAKEFLAGS",
            "MAKEFILES",
            "PKG_CONFIG_PATH",
            "CMAKE_TOOLCHAIN_FILE",
        ],
    ),
    ("askpass", &["SSH_ASKPASS", "SSH_ASKPASS_REQUIRE", "SUDO_ASKPASS", "SSH_AUTH_SOCK", "GNUPGHOME"]),
    (
        "pagers, editors and browsers",
        &[
            "PAGER",
            "EDITOR",
            "VISUAL",
            "LESSOPEN",
            "LESSCLOSE",
            "LESS",
            "LESSKEYIN",
            "MANPAGER",
            "MANOPT",
            "BROWSER",
            "SUDO_EDITOR",
            "SYSTEMD_PAGER",
            "FCEDIT",
            "VIMINIT",
            "EXINIT",
            "GH_EDITOR",
            "GH_PAGER",
            "GH_BROWSER",
        ],
    ),
    (
        "python",
        &[
            "PYTHONPATH",
            "PYTHONSTARTUP",
            "PYTHONHOME",
            "PYTHONWARNINGS",
            "PYTHONBREAKPOINT",
            "PYTHONUSERBASE",
            "PYTHONINSPECT",
        ],
    ),
    ("perl", &["PERL5OPT", "PERL5LIB", "PERLLIB", "PERL5DB", "PERL_MM_OPT"]),
    (
        "ruby",
        &[
            "RUBYOPT",
            "RUBYLIB",
            "RUBYSHELL",
            "GEM_HOME",
            "GEM_PATH",
            "GEMRC",
            "BUNDLE_GEMFILE",
            "BUNDLE_APP_CONFIG",
            "BUNDLE_MIRROR__RUBYGEMS__ORG",
        ],
    ),
    (
        "node",
        &[
            "NODE_OPTIONS",
            "NODE_PATH",
            "NODE_EXTRA_CA_CERTS",
            "NODE_TLS_REJECT_UNAUTHORIZED",
            "NPM_CONFIG_REGISTRY",
            "npm_config_registry",
            "NPM_CONFIG_USERCONFIG",
            "YARN_NPM_REGISTRY_SERVER",
            "YARN_YARN_PATH",
            "COREPACK_NPM_REGISTRY",
            "BUN_CONFIG_REGISTRY",
        ],
    ),
    (
        "python packages",
        &[
            "PIP_INDEX_URL",
            "PIP_EXTRA_INDEX_URL",
            "PIP_FIND_LINKS",
            "PIP_TRUSTED_HOST",
            "PIP_CONFIG_FILE",
            "UV_INDEX_URL",
            "UV_DEFAULT_INDEX",
            "UV_EXTRA_INDEX_URL",
            "POETRY_REPOSITORIES_X_URL",
            "PIPENV_PYPI_MIRROR",
        ],
    ),
    (
        "dotnet",
        &[
            "DOTNET_STARTUP_HOOKS",
            "DOTNET_ADDITIONAL_DEPS",
            "DOTNET_ROOT",
            "CORECLR_PROFILER",
            "CORECLR_ENABLE_PROFILING",
            "COR_PROFILER",
            "COMPLUS_GCHEAPHARDLIMIT",
        ],
    ),
    (
        "other interpreters",
        &[
            "PHPRC",
            "PHP_INI_SCAN_DIR",
            "LUA_INIT",
            "LUA_PATH",
            "LUA_CPATH_5_4",
            "R_PROFILE_USER",
            "R_ENVIRON_USER",
            "TCLLIBPATH",
        ],
    ),
    (
        "proxies and tls trust",
        &[
            "HTTPS_PROXY",
            "HTTP_PROXY",
            "https_proxy",
            "ALL_PROXY",
            "NO_PROXY",
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
    ),
    (
        "config locations",
        &[
            "XDG_CONFIG_HOME",
            "XDG_CONFIG_DIRS",
            "XDG_DATA_DIRS",
            "XDG_DATA_HOME",
            "DBUS_SESSION_BUS_ADDRESS",
            "DOCKER_HOST",
            "DOCKER_CONFIG",
            "KUBECONFIG",
            "AWS_CONFIG_FILE",
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
            "AWS_CA_BUNDLE",
            "GH_HOST",
            "GH_CONFIG_DIR",
            "HELM_PLUGINS",
        ],
    ),
];

/// Names that look close to a family but are what tokens are for: they stay allowed.
const ALLOWED: &[&str] = &[
    "GH_TOKEN",
    "CARGO_REGISTRY_TOKEN",
    "CARGO_REGISTRIES_MINE_TOKEN",
    "CARGO_DEPLOY_TOKEN",
    "NODE_AUTH_TOKEN",
    "NPM_TOKEN",
    "GIT_TOKEN",
    "GIT_PASSWORD",
    "UV_PUBLISH_TOKEN",
    "UV_INDEX_MINE_PASSWORD",
    "YARN_NPM_AUTH_TOKEN",
    "GEM_HOST_API_KEY",
    "POETRY_PYPI_TOKEN_PYPI",
    "AWS_SECRET_ACCESS_KEY",
    "PYPI_TOKEN",
    "GOOGLE_API_KEY",
    "MY_SVC_TOKEN",
    "LESSON_TOKEN",
    "CCACHE_TOKEN",
];

#[test]
fn every_family_of_variables_that_runs_code_is_refused_and_tokens_still_go_where_they_belong() {
    let env = Env::env_key();
    let secret = env.create("gh", &[]);
    let families: Vec<&str> = tokctl::vault::REFUSED.iter().map(|f| f.family).collect();
    let tested: Vec<&str> = FAMILIES.iter().map(|(f, _)| *f).collect();
    assert_eq!(families, tested, "every family of the table is asserted here, in its order");
    for (family, vars) in FAMILIES {
        for var in *vars {
            let t = format!("gh={var}");
            let out = env.fails(&["exec", "-t", &t, "--", "sh", "-c", "echo ran"], b"", 2);
            assert!(out.stderr.contains(var), "{family}: names {var}: {out}");
            assert!(!out.stdout.contains("ran") && !out.stdout.contains(&secret), "{family}: {var}: {out}");
            env.fails(&["update", "gh", "--env", var], b"", 2);
        }
    }
    for var in ALLOWED {
        let t = format!("gh={var}");
        let out = env.ok(&["exec", "-t", &t, "--", "sh", "-c", &format!("printf %s \"${var}\"")], b"");
        assert_eq!(out, secret, "{var} is allowed");
    }
    // A name a token gets by default is never refused.
    env.create("cargo-deploy", &[]);
    env.create("git", &[]);
}

#[test]
fn the_readme_shows_the_refused_table_as_the_code_has_it() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = tokctl::vault::refused_table();
    assert!(
        readme.contains(&table),
        "README.md must carry the table of refused variables exactly as `vault::refused_table()` renders it:\n{table}"
    );
}

/// A running server, or return (a message said why; in CI a missing `bao` already failed).
macro_rules! server {
    () => {
        match Bao::start() {
            Some(b) => b,
            None => return,
        }
    };
}

/// A hostile team member writes `name` under the team prefix with the server's own client.
fn plant(bao: &Bao, name: &str, var: &str, value: &str) {
    bao.ok(&[
        "kv",
        "put",
        &format!("secret/team/{name}"),
        &format!("token={value}"),
        &format!("env={var}"),
        "scopes=ci",
    ]);
}

#[test]
fn a_team_server_writer_cannot_make_a_reader_run_code() {
    let bao = server!();
    let env = bao.env("team");
    let planted = env.root.join("planted");
    for (name, var) in [
        ("git-cfg", "GIT_CONFIG_PARAMETERS"),
        ("askpass", "GIT_ASKPASS"),
        ("jvm", "JAVA_TOOL_OPTIONS"),
        ("gconv", "GCONV_PATH"),
        ("wrapper", "RUSTC_WRAPPER"),
        ("goflags", "GOFLAGS"),
        ("lessopen", "LESSOPEN"),
        ("pager", "PAGER"),
        ("pip", "PIP_INDEX_URL"),
    ] {
        let value = format!("'core.pager=touch {}'", planted.display());
        plant(&bao, name, var, &value);
        for args in [&["exec", "--scope", "ci", "--", "sh", "-c", "echo ran"][..], &["env", "--scope", "ci"]] {
            let out = env.fails(args, b"", 2);
            assert!(out.stderr.contains(var), "names {var}: {out}");
            assert!(!out.stdout.contains("ran") && !out.stdout.contains("core.pager"), "{out}");
        }
        env.fails(&["exec", "-t", name, "--", "true"], b"", 2);
        bao.ok(&["kv", "metadata", "delete", &format!("secret/team/{name}")]);
    }
    assert!(!planted.exists());
}

#[test]
fn a_record_from_a_remote_store_goes_only_under_a_secret_like_name_unless_the_user_names_it() {
    let bao = server!();
    let env = bao.env("team");
    plant(&bao, "deploy", "FOO_URL", "https://attacker.example/");
    // The server chose FOO_URL: refused, naming it and what to do.
    for args in [
        &["exec", "--scope", "ci", "--", "sh", "-c", "echo ran"][..],
        &["exec", "-t", "deploy", "--", "true"],
        &["env", "--scope", "ci"],
        &["env", "-t", "deploy"],
    ] {
        let out = env.fails(args, b"", 2);
        assert!(out.stderr.contains("FOO_URL") && out.stderr.contains("-t deploy=FOO_URL"), "{args:?}: {out}");
        assert!(!out.stdout.contains("ran") && !out.stdout.contains("attacker"), "{out}");
    }
    // The user names it: allowed.
    let out = env.ok(&["exec", "-t", "deploy=FOO_URL", "--", "sh", "-c", "printf %s \"$FOO_URL\""], b"");
    assert_eq!(out, "https://attacker.example/");
    // So does a trusted project file.
    let dir = env.root.join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".tokctl.toml"), "[env]\nFOO_URL = \"deploy\"\n").unwrap();
    let mut c = env.std_cmd(&["trust"]);
    c.current_dir(&dir);
    assert_eq!(env.run_cmd(c, b"").code, 0);
    let mut c = env.std_cmd(&["exec", "--", "sh", "-c", "printf %s \"$FOO_URL\""]);
    c.current_dir(&dir);
    let out = env.run_cmd(c, b"");
    assert_eq!((out.code, out.stdout.as_str()), (0, "https://attacker.example/"), "{out}");
    // Every secret-like ending is allowed as the record says.
    for var in ["DEPLOY_TOKEN", "DEPLOY_KEY", "DEPLOY_SECRET", "DEPLOY_PASSWORD", "DEPLOY_PAT", "DEPLOY_CREDENTIALS"] {
        plant(&bao, "deploy", var, "s3cr3t-value");
        let out = env.ok(&["exec", "--scope", "ci", "--", "sh", "-c", &format!("printf %s \"${var}\"")], b"");
        assert_eq!(out, "s3cr3t-value", "{var}");
    }
    // Copying or bundling it into a local file would drop where it came from: refused too.
    plant(&bao, "deploy", "FOO_URL", "https://attacker.example/");
    let copy = env.root.join("copy.toml");
    let out = env.fails(&["copy", "-t", "deploy", "--to", copy.to_str().unwrap()], b"", 2);
    assert!(out.stderr.contains("FOO_URL"), "{out}");
    assert!(!copy.exists());
    let bundle = env.root.join("b.vault");
    let out = env.fails(&["bundle", "-t", "deploy", "--out", bundle.to_str().unwrap()], b"", 2);
    assert!(out.stderr.contains("FOO_URL"), "{out}");
    assert!(!bundle.exists());
}
