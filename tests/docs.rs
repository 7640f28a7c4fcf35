//! `completions/` and `man/` are generated from the clap definition in `src/cli.rs`. This test
//! regenerates them in memory and fails when the committed files differ.
//! Rewrite them with: `TOKCTL_REGENERATE=1 cargo test --test tests docs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::CommandFactory;
use tokctl::cli::Cli;
use tokctl::manpages::examples;

use crate::support::Env;

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
fn complete(env: &Env, words: &[&str]) -> Vec<String> {
    let mut args = vec!["--"];
    args.extend_from_slice(words);
    let mut c = env.std_cmd(&args);
    c.env(tokctl::complete::VAR, "bash")
        .env("_CLAP_IFS", "\n")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string());
    let out = env.run_cmd(c, b"");
    assert_eq!(out.code, 0, "{out}");
    out.stdout.lines().map(str::to_string).filter(|l| !l.is_empty()).collect()
}

#[test]
fn tab_completes_token_names_only_when_the_vault_opens_unprompted() {
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "correct horse battery");
    env.create("expo", &[]);
    env.create("expo-ci", &[]);
    let key = env.export_key();
    env.unset("TOKCTL_PASSPHRASE");
    env.set("TOKCTL_VAULT_KEY", &key);
    assert_eq!(complete(&env, &["tokctl", "get", "ex"]), ["expo", "expo-ci"]);
    assert_eq!(complete(&env, &["tokctl", "exec", "-t", ""]), ["expo", "expo-ci"]);
    // The passphrase would need a prompt: no names, no prompt, no error.
    env.unset("TOKCTL_VAULT_KEY");
    assert!(complete(&env, &["tokctl", "get", "ex"]).is_empty());
    // Subcommands complete from the binary itself.
    assert!(complete(&env, &["tokctl", "reg"]).contains(&"regenerate".to_string()));
}

/// Every argument of every command says what it is in `--help`: positionals (`<NAME>`) and flags.
#[test]
fn every_argument_of_every_command_is_described() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for a in cmd.get_arguments() {
            let builtin = matches!(a.get_id().as_str(), "help" | "version");
            if !builtin && a.get_help().is_none() && a.get_long_help().is_none() {
                missing.push(format!("{path} {}", a.get_id()));
            }
        }
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut missing = Vec::new();
    walk(&Cli::command(), "tokctl", &mut missing);
    assert!(missing.is_empty(), "undescribed in --help: {missing:?}");
    // As a user reads it: `create --help` says what <NAME> is.
    let help = Env::env_key().ok(&["create", "--help"], b"");
    let line = help.lines().find(|l| l.trim_start().starts_with("<NAME>")).unwrap_or_default();
    assert!(line.trim().len() > "<NAME>".len(), "<NAME> is described\n{help}");
}
