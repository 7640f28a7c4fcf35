//! Small defects a user hit (issue 18, item 9), each pinned where the user met it: a warning that
//! was missing, a log entry that lied, a hint that named the wrong command, trailing spaces, a
//! passphrase refused too late.

use std::time::Duration;

use crate::support::*;

const WITHIN: Duration = Duration::from_secs(60);

/// A GitHub fine-grained token (the format only: not a real one).
const FINE_GRAINED: &str =
    "github_pat_11ABCDEFG0123456789abc_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU";

/// The `used` events of the log, as `(token, detail)`.
fn uses(env: &Env) -> Vec<(String, String)> {
    let log = env.json(&["log", "--json"]);
    log.as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "used")
        .map(|e| (e["token"].as_str().unwrap().to_string(), e["detail"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn a_token_whose_provider_always_sets_an_expiry_is_not_stored_as_never_without_a_word() {
    let env = Env::env_key();
    env.remember(FINE_GRAINED);
    let out = env.succeeds(&["import", "gh-fine"], FINE_GRAINED.as_bytes());
    assert!(out.stderr.contains("GitHub (fine-grained) tokens always expire"), "{out}");
    assert!(out.stderr.contains("set --expires to the date the provider shows"), "{out}");
    assert!(out.stderr.contains("tokctl inspect"), "{out}");
    assert!(env.records()["gh-fine"]["expires_at"].is_null(), "stored as it was given");
    // Gitpod's tokens have no prefix: the name tells.
    let out = env.succeeds(&["import", "gitpod"], b"gitpod-token-value-0123456789");
    assert!(out.stderr.contains("Gitpod tokens always expire"), "{out}");
    // With --expires there is nothing to say; nor for a token that may live for ever.
    let out = env.succeeds(&["import", "gh-fine-2", "--expires", "30d"], FINE_GRAINED.as_bytes());
    assert!(!out.stderr.contains("always expire"), "{out}");
    let out = env.succeeds(&["import", "plain"], b"plain-token-value-0123456789");
    assert!(!out.stderr.contains("always expire"), "{out}");
    // From a dotenv file too.
    let file = env.write_file("fine.env", format!("GH_FINE_TOKEN={FINE_GRAINED}\n").as_bytes());
    let out = env.succeeds(&["import", "--dotenv", file.to_str().unwrap()], b"");
    assert!(out.stderr.contains("always expire"), "{out}");
}

#[test]
fn an_exec_of_a_command_that_cannot_start_is_not_logged_as_a_use() {
    let env = Env::env_key();
    env.create("gh", &[]);
    let not_executable = env.write_file("not-executable.sh", b"#!/bin/sh\necho hi\n");
    for mask in [false, true] {
        let mut args = vec!["exec", "-t", "gh"];
        if mask {
            args.push("--mask");
        }
        let missing = [args.clone(), vec!["--", "no-such-command-here"]].concat();
        let out = env.fails(&missing, b"", 127);
        assert!(out.stderr.contains("no-such-command-here: command not found"), "{out}");
        let path = not_executable.to_str().unwrap();
        let denied = [args.clone(), vec!["--", path]].concat();
        let out = env.fails(&denied, b"", 126);
        assert!(out.stderr.contains("not executable"), "{out}");
        assert_eq!(uses(&env), vec![], "mask {mask}: a command that never ran is not a use");
    }
    // A command that runs is one.
    env.ok(&["exec", "-t", "gh", "--", "true"], b"");
    assert_eq!(uses(&env), vec![("gh".to_string(), "exec true".to_string())]);
}

#[test]
fn regenerate_with_nothing_on_stdin_names_the_command_that_works() {
    let env = Env::env_key();
    env.import("imported", "imported-secret-0123456789", &[]);
    let before = env.snapshot();
    let out = env.fails(&["regenerate", "imported"], b"", 2);
    assert!(out.stderr.contains("`tokctl regenerate imported < token.txt`"), "{out}");
    assert!(!out.stderr.contains("`tokctl import imported <"), "import NAME exits 7 for an existing name\n{out}");
    assert_unchanged(&before, &env.snapshot(), &out);
    // Its neighbours: each says its own command.
    let out = env.fails(&["verify"], b"", 2);
    assert!(out.stderr.contains("`tokctl verify < token.txt`"), "{out}");
    let out = env.fails(&["import", "imported", "--replace"], b"", 2);
    assert!(out.stderr.contains("`tokctl import imported --replace < token.txt`"), "{out}");
}

#[test]
fn no_line_of_list_show_log_or_doctor_ends_in_spaces() {
    let env = Env::env_key();
    env.create("a", &[]);
    env.create("a-much-longer-name", &["--scope", "repo:read", "--rotate-every", "1d"]);
    env.create("soon", &["--expires", "1d"]);
    env.create("old", &[]);
    env.ok(&["revoke", "old", "--yes"], b"");
    // Painted cells of different widths in the last column: "expired" (red) and "active, rotate"
    // (yellow), both made in 2020.
    env.create_expired("expired", &[]);
    env.one_secret(env.ok_in_2020(&["create", "--force", "due", "--rotate-every", "1d", "--expires", "never"], b""));
    env.get("a");
    for color in ["never", "always"] {
        for args in [vec!["list"], vec!["list", "--all"], vec!["show", "a"], vec!["log"], vec!["doctor"]] {
            let full = [vec!["--color", color], args].concat();
            let out = env.run(&full, b"");
            assert!(out.code == 0 || out.code == 4, "{out}");
            for line in out.stdout.lines() {
                // Colour codes after the text do not hide spaces before them.
                let plain = strip_ansi(line);
                assert_eq!(plain.trim_end(), plain, "trailing whitespace in {full:?}: {line:?}\n{out}");
            }
        }
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn a_too_short_passphrase_is_refused_before_it_is_asked_again() {
    let env = Env::env_key();
    env.create("gh", &[]);
    let before = env.snapshot();
    let mut pty = env.on_pty(&["key", "passphrase"]);
    pty.expect("New passphrase: ", WITHIN);
    pty.wait_echo_off(WITHIN);
    pty.send("short\n");
    pty.expect("too short", WITHIN);
    let out = pty.finish(WITHIN);
    assert_eq!(out.code, 2, "{out}");
    assert!(!out.stdout.contains("Repeat it"), "refused after the first entry\n{out}");
    assert_unchanged(&before, &env.snapshot(), &out);
}

#[test]
fn a_dotenv_import_says_when_a_variable_already_has_a_token() {
    let env = Env::env_key();
    env.import("gh", "ghp-like-secret-0123456789", &["--env", "GH_TOKEN"]);
    let file = env.write_file("more.env", b"GH_TOKEN=another-secret-0123456789\nOTHER_TOKEN=third-secret-0123456789\n");
    env.remember("another-secret-0123456789");
    env.remember("third-secret-0123456789");
    let out = env.succeeds(&["import", "--dotenv", file.to_str().unwrap()], b"");
    assert!(out.stderr.contains("goes into GH_TOKEN, which 'gh' already uses"), "{out}");
    assert!(!out.stderr.contains("OTHER_TOKEN,"), "only the shared variable is named\n{out}");
}
