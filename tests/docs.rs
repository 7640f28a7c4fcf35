//! `completions/` and `man/` are generated from the clap definition in `src/cli.rs`. This test
//! regenerates them in memory and fails when the committed files differ.
//! Rewrite them with: `TOKCTL_REGENERATE=1 cargo test --test tests docs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use tokctl::cli::Cli;
use tokctl::manpages::examples;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The pages `tokctl man --out DIR` writes: the same code renders them here.
fn man_pages() -> BTreeMap<PathBuf, Vec<u8>> {
    tokctl::manpages::pages().into_iter().map(|(name, bytes)| (Path::new("man").join(name), bytes)).collect()
}

/// The scripts `tokctl completion SHELL` prints: on TAB the shell asks `tokctl` itself, so flags
/// always match the binary and token names come from the vault when it opens unprompted.
fn completions() -> BTreeMap<PathBuf, Vec<u8>> {
    tokctl::complete::SHELLS
        .iter()
        .map(|&(shell, name)| (Path::new("completions").join(name), tokctl::complete::registration(shell)))
        .collect()
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
