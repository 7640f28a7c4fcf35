//! The man pages, generated from the clap definition in `cli`: `tokctl.1` and one page per
//! subcommand, each with the examples from its help, the exit status, environment and files.
//! `tokctl man --out DIR` writes them, and the test that keeps `man/` current renders them here.

use std::collections::BTreeMap;

use roff::{Roff, bold, roman};

const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "success"),
    ("1", "unexpected failure (I/O and the like), with the cause"),
    ("2", "usage error: bad flag, name, duration, env var name, empty or oversized secret, no selection"),
    ("3", "not found: no such token (a close name is suggested), no vault, unknown token in verify"),
    ("4", "token unusable: expired, revoked, or missing a required scope"),
    ("5", "vault locked: no key available, wrong key or wrong passphrase"),
    ("6", "vault damaged: corrupted, tampered, or an unsupported format version; the file is left untouched"),
    ("7", "conflict: the name already exists"),
    ("8", "not trusted: a project file never trusted, changed since, owned by another user or writable by others"),
    (
        "126, 127",
        "exec: the command is not executable / not found; otherwise exec exits with the command's status (128+N for signal N under --mask)",
    ),
];

const ENVIRONMENT: &[(&str, &str)] = &[
    ("TOKCTL_VAULT", "the vault file (same as --vault)"),
    (
        "TOKCTL_VAULT_KEY",
        "the vault key, as printed by `tokctl key export` or `tokctl bundle`; tried first; never passed to commands run by exec",
    ),
    (
        "TOKCTL_PASSPHRASE",
        "the vault's passphrase, for machines without a keyring; never passed to commands run by exec",
    ),
    ("TOKCTL_KEYRING", "`none` turns the OS keyring off"),
    (
        "TOKCTL_KEYRING_TIMEOUT",
        "how long to wait for the OS keyring before trying the next unlock source: seconds, or 30s, 2m, 1h (1 s to 1 hour, default 10)",
    ),
    (
        "TOKCTL_CACHE_TTL",
        "how long a key opened from the OS keyring stays in the unlock cache (90s, 5m, 2h; default 5m, at most 24h); `0` or `off` turns the cache off",
    ),
    (
        "TOKCTL_REMOTE_TIMEOUT",
        "how long a remote store has to answer each request: seconds, or 30s, 2m (1 s to 1 hour, default 10)",
    ),
    (
        "TOKCTL_PROVIDER_TIMEOUT",
        "how long a token's provider (or a command provider's hook) has to answer each request: seconds, or 30s, 2m (1 s to 1 hour, default 10)",
    ),
    (
        "BAO_TOKEN, VAULT_TOKEN",
        "the token for a remote store (tried in this order); never passed to commands run by exec",
    ),
    (
        "BAO_ROLE_ID, BAO_SECRET_ID",
        "AppRole login for a remote store when no token is set; never passed to commands run by exec",
    ),
    ("BAO_CACERT, VAULT_CACERT", "a PEM file of the CA that signed a remote store's certificate"),
    ("CI", "`true` or `1`: the [ci] vault of the project file applies"),
    (
        "TOKCTL_AGE_IDENTITY, TOKCTL_AGE_IDENTITY_FILE",
        "an age identity (AGE-SECRET-KEY-1…), or a file of them or an unencrypted SSH private key, that opens a bundle written with `bundle --to`; never passed to commands run by exec",
    ),
    ("NO_COLOR", "when set and not empty, no colour under --color auto"),
    ("GITHUB_ENV", "the file `tokctl env --format github` appends to"),
];

const FILES: &[(&str, &str)] = &[
    (
        "<data dir>/tokctl/vault.toml",
        "the default vault (~/.local/share/tokctl on Linux), mode 0600 in a 0700 directory",
    ),
    ("<vault>.lock", "the writers' advisory lock"),
    ("<vault>.log", "the encrypted history (`tokctl log`), bounded in size"),
    (
        ".tokctl.toml",
        "per-project selection for exec and env: an [env] table of VAR = \"token-name\", an optional vault = \"path\", \
         and a [ci] table whose vault applies when CI is true",
    ),
];

fn table(roff: &mut Roff, title: &str, rows: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (k, v) in rows {
        roff.control("TP", []).text([bold(*k)]).text([roman(*v)]);
    }
}

/// The examples of a command's help: what follows "Example:" or "Examples:".
pub fn examples(cmd: &clap::Command) -> Option<String> {
    let after = cmd.get_after_help()?.to_string();
    let start = after.find("Example")?;
    Some(after[start..].split_once('\n')?.1.to_string())
}

fn page(cmd: clap::Command, name: &str) -> Vec<u8> {
    let ex = examples(&cmd);
    let has_subcommands = cmd.has_subcommands();
    let man = clap_mangen::Man::new(
        cmd.name(name.to_string()).display_name(name.to_string()).bin_name(name.replace('-', " ")),
    )
    .source("tokctl")
    .manual("tokctl manual");
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    man.render_title(&mut out).expect("in memory");
    man.render_name_section(&mut out).expect("in memory");
    man.render_synopsis_section(&mut out).expect("in memory");
    man.render_description_section(&mut out).expect("in memory");
    man.render_options_section(&mut out).expect("in memory");
    if has_subcommands {
        man.render_subcommands_section(&mut out).expect("in memory");
    }
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"]);
    match ex {
        Some(text) => {
            // Example lines (indented) as they are; prose paragraphs filled to the reader's width.
            for (i, para) in text.split("\n\n").enumerate() {
                if i > 0 {
                    roff.control("PP", []);
                }
                if para.lines().any(|l| l.starts_with("  ")) {
                    roff.control("nf", []);
                    for line in para.lines() {
                        roff.text([roman(line)]);
                    }
                    roff.control("fi", []);
                } else {
                    roff.text([roman(para)]);
                }
            }
        }
        None => {
            roff.text([roman("See the pages of the subcommands.")]);
        }
    }
    table(&mut roff, "EXIT STATUS", EXIT_STATUS);
    table(&mut roff, "ENVIRONMENT", ENVIRONMENT);
    table(&mut roff, "FILES", FILES);
    roff.to_writer(&mut out).expect("in memory");
    out
}

/// Every page, by file name (`tokctl.1`, `tokctl-get.1`, `tokctl-key-export.1`…).
pub fn pages() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let cli = crate::cli::full_command();
    files.insert("tokctl.1".to_string(), page(cli.clone(), "tokctl"));
    for sub in cli.get_subcommands() {
        let name = format!("tokctl-{}", sub.get_name());
        if sub.has_subcommands() {
            // clap's own `help` subcommand (added when `key` was built) gets no page.
            for inner in sub.get_subcommands().filter(|i| i.get_name() != "help") {
                let n = format!("{name}-{}", inner.get_name());
                files.insert(format!("{n}.1"), page(inner.clone(), &n));
            }
        }
        files.insert(format!("{name}.1"), page(sub.clone(), &name));
    }
    files
}
