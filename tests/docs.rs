//! `completions/` and `man/` are generated from the clap definition in `src/cli.rs`. This test
//! regenerates them in memory and fails when the committed files differ.
//! Rewrite them with: `TOKCTL_REGENERATE=1 cargo test --test tests docs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use roff::{Roff, bold, roman};
use tokctl::cli::Cli;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const EXIT_STATUS: &[(&str, &str)] = &[
    ("0", "success"),
    ("1", "unexpected failure (I/O and the like), with the cause"),
    ("2", "usage error: bad flag, name, duration, env var name, empty or oversized secret, no selection"),
    ("3", "not found: no such token (a close name is suggested), no vault, unknown token in verify"),
    ("4", "token unusable: expired, revoked, or missing a required scope"),
    ("5", "vault locked: no key available, wrong key or wrong passphrase"),
    ("6", "vault damaged: corrupted, tampered, or an unsupported format version; the file is left untouched"),
    ("7", "conflict: the name already exists"),
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
    ("TOKCTL_KEYRING_TIMEOUT", "seconds to wait for the OS keyring before trying the next unlock source (default 10)"),
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
        "per-project selection for exec and env: an [env] table of VAR = \"token-name\" and an optional vault = \"path\"",
    ),
];

fn table(roff: &mut Roff, title: &str, rows: &[(&str, &str)]) {
    roff.control("SH", [title]);
    for (k, v) in rows {
        roff.control("TP", []).text([bold(*k)]).text([roman(*v)]);
    }
}

fn examples(cmd: &clap::Command) -> Option<String> {
    let after = cmd.get_after_help()?.to_string();
    let start = after.find("Example")?;
    Some(after[start..].split_once('\n')?.1.to_string())
}

fn page(cmd: clap::Command, name: &str) -> Vec<u8> {
    let ex = examples(&cmd);
    let has_subcommands = cmd.has_subcommands();
    let man = clap_mangen::Man::new(cmd.name(name.to_string()).bin_name(name.replace('-', " ")))
        .source("tokctl")
        .manual("tokctl manual");
    let mut out = Vec::new();
    man.render_title(&mut out).unwrap();
    man.render_name_section(&mut out).unwrap();
    man.render_synopsis_section(&mut out).unwrap();
    man.render_description_section(&mut out).unwrap();
    man.render_options_section(&mut out).unwrap();
    if has_subcommands {
        man.render_subcommands_section(&mut out).unwrap();
    }
    let mut roff = Roff::new();
    roff.control("SH", ["EXAMPLES"]);
    match ex {
        Some(text) => {
            roff.control("nf", []);
            for line in text.lines() {
                roff.text([roman(line)]);
            }
            roff.control("fi", []);
        }
        None => {
            roff.text([roman("See the pages of the subcommands.")]);
        }
    }
    table(&mut roff, "EXIT STATUS", EXIT_STATUS);
    table(&mut roff, "ENVIRONMENT", ENVIRONMENT);
    table(&mut roff, "FILES", FILES);
    roff.to_writer(&mut out).unwrap();
    out
}

fn man_pages() -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = BTreeMap::new();
    let cli = Cli::command();
    files.insert(PathBuf::from("man/tokctl.1"), page(cli.clone(), "tokctl"));
    for sub in cli.get_subcommands() {
        let name = format!("tokctl-{}", sub.get_name());
        if sub.has_subcommands() {
            files.insert(PathBuf::from(format!("man/{name}.1")), page(sub.clone(), &name));
            for inner in sub.get_subcommands() {
                let n = format!("{name}-{}", inner.get_name());
                files.insert(PathBuf::from(format!("man/{n}.1")), page(inner.clone(), &n));
            }
        } else {
            files.insert(PathBuf::from(format!("man/{name}.1")), page(sub.clone(), &name));
        }
    }
    files
}

/// Registration scripts: on TAB the shell asks `tokctl` itself (COMPLETE=<shell> tokctl …), so
/// flags always match the binary and token names come from the vault when it opens unprompted.
fn completions() -> BTreeMap<PathBuf, Vec<u8>> {
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let shells: [(&dyn EnvCompleter, &str); 5] = [
        (&Bash, "tokctl.bash"),
        (&Zsh, "_tokctl"),
        (&Fish, "tokctl.fish"),
        (&Powershell, "_tokctl.ps1"),
        (&Elvish, "tokctl.elv"),
    ];
    let mut files = BTreeMap::new();
    for (shell, name) in shells {
        let mut out = Vec::new();
        shell.write_registration("COMPLETE", "tokctl", "tokctl", "tokctl", &mut out).unwrap();
        files.insert(PathBuf::from("completions").join(name), out);
    }
    files
}

fn check(dir: &str, want: BTreeMap<PathBuf, Vec<u8>>) {
    let regenerate = std::env::var_os("TOKCTL_REGENERATE").is_some();
    let on_disk: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .map(|rd| rd.filter_map(|e| e.ok()).map(|e| Path::new(dir).join(e.file_name())).collect())
        .unwrap_or_default();
    let mut stale = Vec::new();
    for extra in on_disk.iter().filter(|p| !want.contains_key(*p)) {
        if regenerate {
            std::fs::remove_file(root().join(extra)).unwrap();
        } else {
            stale.push(format!("{} (no longer generated)", extra.display()));
        }
    }
    for (path, bytes) in &want {
        let full = root().join(path);
        if std::fs::read(&full).ok().as_ref() != Some(bytes) {
            if regenerate {
                std::fs::create_dir_all(full.parent().unwrap()).unwrap();
                std::fs::write(&full, bytes).unwrap();
            } else {
                stale.push(path.display().to_string());
            }
        }
    }
    assert!(
        stale.is_empty(),
        "generated files are stale: {}\nrewrite them with: TOKCTL_REGENERATE=1 cargo test --test tests docs",
        stale.join(", ")
    );
}

#[test]
fn man_pages_are_current() {
    check("man", man_pages());
}

#[test]
fn completions_are_current() {
    check("completions", completions());
}

#[test]
fn every_subcommand_help_has_an_example() {
    let cli = Cli::command();
    for sub in
        cli.get_subcommands().flat_map(|s| if s.has_subcommands() { s.get_subcommands().collect() } else { vec![s] })
    {
        assert!(
            examples(sub).is_some_and(|e| e.contains("tokctl")),
            "`tokctl {}` has no example in its help",
            sub.get_name()
        );
    }
}

/// Ask the binary for completions the way the bash registration script does.
fn complete(vault: &Path, key: Option<&str>, words: &[&str]) -> Vec<String> {
    let mut cmd = assert_cmd::Command::cargo_bin("tokctl").unwrap();
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", vault.parent().unwrap())
        .env("TOKCTL_VAULT", vault)
        .env("TOKCTL_KEYRING", "none")
        .env("COMPLETE", "bash")
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .arg("--")
        .args(words);
    if let Some(k) = key {
        cmd.env("TOKCTL_VAULT_KEY", k);
    }
    let out = cmd.output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).filter(|l| !l.is_empty()).collect()
}

#[test]
fn tab_completes_token_names_only_when_the_vault_opens_unprompted() {
    let dir = tempfile::tempdir().unwrap();
    let vault = dir.path().join("vault.toml");
    let run = |args: &[&str], key: Option<&str>| {
        let mut c = assert_cmd::Command::cargo_bin("tokctl").unwrap();
        c.env_clear().env("HOME", dir.path()).env("TOKCTL_VAULT", &vault).env("TOKCTL_KEYRING", "none");
        c.env("TOKCTL_PASSPHRASE", "correct horse battery");
        if let Some(k) = key {
            c.env("TOKCTL_VAULT_KEY", k);
        }
        c.args(args).output().unwrap()
    };
    assert!(run(&["create", "expo", "--force"], None).status.success());
    assert!(run(&["create", "expo-ci"], None).status.success());
    let key = String::from_utf8(run(&["key", "export"], None).stdout).unwrap();
    let key = key.trim();
    assert_eq!(complete(&vault, Some(key), &["tokctl", "get", "ex"]), ["expo", "expo-ci"]);
    assert_eq!(complete(&vault, Some(key), &["tokctl", "exec", "-t", ""]), ["expo", "expo-ci"]);
    // The passphrase would need a prompt: no names, no prompt, no error.
    assert!(complete(&vault, None, &["tokctl", "get", "ex"]).is_empty());
    // Subcommands complete from the binary itself.
    assert!(complete(&vault, None, &["tokctl", "reg"]).contains(&"regenerate".to_string()));
}
