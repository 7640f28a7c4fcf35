//! Bad input is refused with the documented exit code and leaves the vault directory exactly as
//! it was: the vault, its log, no temp files. With no vault yet, none is created.

use crate::util::*;

/// A vault with a few tokens, in env-key mode (many invocations, no keyring needed).
fn stocked() -> (Env, String) {
    let env = Env::env_key();
    let secret = env.create("github", &["--scope", "repo"]);
    env.import("expo", "expo-secret-value", &[]);
    env.get("github"); // a log with a use in it, too
    (env, secret)
}

fn big(n: usize) -> Vec<u8> {
    vec![b'x'; n]
}

/// Commands that must fail with `code` and touch nothing.
fn refused() -> Vec<(Vec<&'static str>, Vec<u8>, i32)> {
    let mut v: Vec<(Vec<&str>, Vec<u8>, i32)> = Vec::new();
    let mut add = |args: &[&'static str], stdin: &[u8], code: i32| v.push((args.to_vec(), stdin.to_vec(), code));
    // Names.
    for bad in ["bad name", "-dash-first", ".dot-first", "_under-first", "é", "a/b", "a:b", ""] {
        add(&["create", "--", bad], b"", 2);
        add(&["import", "--", bad], b"secret", 2);
    }
    add(&["create", "a234567890123456789012345678901234567890123456789012345678901234x"], b"", 2);
    add(&["update", "github", "--rename", "bad name"], b"", 2);
    // Durations and dates.
    for bad in ["0d", "3x", "-3d", "d", "3.5d", "2020-01-01", "2030-02-30", "2030-13-01", "yesterday", ""] {
        add(&["create", "newtok", "--expires", bad], b"", 2);
        add(&["import", "newtok", "--expires", bad], b"secret", 2);
        add(&["update", "github", "--expires", bad], b"", 2);
        add(&["regenerate", "github", "--expires", bad], b"", 2);
    }
    add(&["list", "--expiring", "3x"], b"", 2);
    add(&["list", "--expiring", "never"], b"", 2);
    add(&["doctor", "--within", "0d"], b"", 2);
    // Environment variable names.
    for bad in ["1ABC", "A-B", "A B", "", "ÄB", "A=B"] {
        add(&["create", "newtok", "--env", bad], b"", 2);
        add(&["import", "newtok", "--env", bad], b"secret", 2);
        add(&["update", "github", "--env", bad], b"", 2);
    }
    // Scopes.
    for bad in ["a b", "", "repo/read", "ré", "a,b"] {
        add(&["create", "newtok", "--scope", bad], b"", 2);
        add(&["update", "github", "--scope", bad], b"", 2);
        add(&["update", "github", "--add-scope", bad], b"", 2);
        add(&["update", "github", "--remove-scope", bad], b"", 2);
        add(&["verify", "--scope", bad], b"tok_x", 2);
        add(&["list", "--scope", bad], b"", 2);
        add(&["import", "--dotenv", "-", "--scope", bad], b"A=1\n", 2);
    }
    // Prefixes.
    for bad in ["tok", "9x_", "_x_", "", "a b_", "abcdefghijklmnopqrstu_", "tok__x"] {
        add(&["create", "newtok", "--prefix", bad], b"", 2);
    }
    // Secrets on stdin: empty, only a newline, not UTF-8, over 64 KiB.
    let over = big(64 * 1024 + 1);
    add(&["import", "newtok"], b"", 2);
    add(&["import", "newtok"], b"\n", 2);
    add(&["import", "newtok"], b"\r\n", 2);
    add(&["import", "newtok"], b"\xff\xfe secret", 2);
    add(&["import", "newtok"], b"caf\xe9\n", 2);
    v.push((vec!["import", "newtok"], over.clone(), 2));
    v.push((vec!["import", "newtok"], big(1024 * 1024), 2));
    v.push((vec!["regenerate", "expo"], over.clone(), 2));
    let mut add = |args: &[&'static str], stdin: &[u8], code: i32| v.push((args.to_vec(), stdin.to_vec(), code));
    add(&["regenerate", "expo"], b"", 2);
    add(&["regenerate", "expo"], b"\xc3\x28", 2);
    add(&["verify"], b"", 2);
    // Dotenv files that do not parse.
    for bad in [&b"NOEQUALS\n"[..], b"1X=2\n", b"A='open\n", b"A=1\nA=2\n", b"", b"# only a comment\n", b"A=\xff\n"] {
        add(&["import", "--dotenv", "-"], bad, 2);
    }
    add(&["import", "--dotenv", "does-not-exist.env"], b"", 2);
    add(&["import", "--dotenv", "-"], b"A=\n", 2);
    // Nothing to change.
    add(&["update", "github"], b"", 2);
    // Flags clap refuses.
    add(&["create"], b"", 2);
    add(&["create", "newtok", "--bogus"], b"", 2);
    add(&["import", "newtok", "--prefix", "x_"], b"secret", 2);
    add(&["import", "--dotenv", "-", "--env", "X"], b"A=1\n", 2);
    add(&["get"], b"", 2);
    add(&["frobnicate"], b"", 2);
    // Unknown tokens: exit 3.
    add(&["get", "githb"], b"", 3);
    add(&["show", "githb"], b"", 3);
    add(&["update", "githb", "--note", "x"], b"", 3);
    add(&["regenerate", "githb"], b"", 3);
    add(&["revoke", "githb", "--yes"], b"", 3);
    add(&["delete", "githb", "--yes"], b"", 3);
    add(&["verify"], b"not-a-known-token", 3);
    // Name conflicts: exit 7.
    add(&["create", "github"], b"", 7);
    add(&["import", "expo"], b"another", 7);
    add(&["update", "github", "--rename", "expo"], b"", 7);
    add(&["import", "--dotenv", "-"], b"BRAND_NEW=1\nEXPO=2\n", 7);
    v
}

#[test]
fn every_bad_input_is_refused_and_leaves_the_vault_byte_for_byte_unchanged() {
    let (env, secret) = stocked();
    let before = env.snapshot();
    assert!(before.0.keys().any(|p| p.ends_with("vault.toml.log")), "the log is part of the snapshot: {before:?}");
    for (args, stdin, code) in refused() {
        let out = env.run(&args, &stdin);
        assert_eq!(out.code, code, "expected exit {code}\n{out}");
        assert!(!out.stderr.is_empty(), "a refusal says why\n{out}");
        assert_eq!(out.stdout, "", "nothing on stdout\n{out}");
        assert!(!out.stderr.contains(&secret) && !out.stderr.contains("expo-secret-value"), "{out}");
        assert_unchanged(&before, &env.snapshot(), &out);
        assert!(env.temp_files().is_empty());
    }
}

#[test]
fn an_unknown_name_suggests_the_close_one() {
    let (env, _) = stocked();
    for args in
        [&["get", "githb"][..], &["show", "gihub"], &["update", "githubb", "--note", "x"], &["revoke", "Github"]]
    {
        let out = env.fails(args, b"", 3);
        assert!(out.stderr.contains("did you mean 'github'"), "{out}");
    }
    let out = env.fails(&["get", "completely-different"], b"", 3);
    assert!(out.stderr.contains("no token named 'completely-different'"), "{out}");
}

#[test]
fn usage_errors_say_what_is_wrong() {
    let (env, _) = stocked();
    let cases: &[(&[&str], &[u8], &str)] = &[
        (&["create", "newtok", "--expires", "2030-02-30"], b"", "2030-02-30"),
        (&["create", "newtok", "--expires", "2020-01-01"], b"", "past"),
        (&["create", "newtok", "--env", "1ABC"], b"", "environment variable"),
        (&["create", "newtok", "--scope", "a b"], b"", "scope"),
        (&["create", "newtok", "--prefix", "tok"], b"", "prefix"),
        (&["create", "bad name"], b"", "not a valid token name"),
        (&["import", "newtok"], b"", "empty"),
        (&["import", "newtok"], b"\xff", "UTF-8"),
        (&["update", "github"], b"", "nothing to change"),
    ];
    for (args, stdin, want) in cases {
        let out = env.fails(args, stdin, 2);
        assert!(out.stderr.contains(want), "the message mentions {want:?}\n{out}");
    }
    let out = env.fails(&["import", "newtok"], &big(64 * 1024 + 1), 2);
    assert!(out.stderr.contains("64 KiB"), "{out}");
}

#[test]
fn a_bad_command_with_no_vault_yet_creates_nothing() {
    // Every case is tried in both modes, and every one that left something behind is reported.
    let mut left_behind = String::new();
    for env in [Env::env_key(), Env::keyring()] {
        let before = env.snapshot();
        let mut orphans = 0;
        let cases: &[(&[&str], &[u8], i32)] = &[
            (&["create", "bad name"], b"", 2),
            (&["create", "ok", "--expires", "0d"], b"", 2),
            (&["create", "ok", "--env", "1X"], b"", 2),
            (&["create", "ok", "--scope", "a b"], b"", 2),
            (&["create", "ok", "--prefix", "nope"], b"", 2),
            (&["import", "ok"], b"", 2),
            (&["import", "ok"], b"\xff", 2),
            (&["import", "ok"], &big(64 * 1024 + 1), 2),
            (&["import", "--dotenv", "-"], b"BROKEN\n", 2),
            (&["import", "--dotenv", "-"], b"1X=2\n", 2),
            (&["update", "ok"], b"", 2),
            (&["update", "ok", "--note", "x"], b"", 3),
            (&["regenerate", "ok"], b"", 3),
            (&["revoke", "ok", "--yes"], b"", 3),
            (&["delete", "ok", "--yes"], b"", 3),
            (&["key", "rotate"], b"", 3),
            (&["key", "passphrase"], b"long enough passphrase\n", 3),
            (&["key", "import"], b"", 3),
        ];
        for (args, stdin, code) in cases {
            let out = env.fails(args, stdin, *code);
            let mut d = before.diff(&env.snapshot());
            if out.stderr.contains("created a new vault") {
                d.push_str("said it created a new vault\n");
            }
            if env.var("TOKCTL_VAULT_KEY").is_none() {
                let n = keyring_entries_for(&env.vault);
                if n > orphans {
                    d.push_str("stored a key in the OS keyring for a vault that does not exist\n");
                    orphans = n;
                }
            }
            if !d.is_empty() {
                left_behind.push_str(&format!("{d}{out}\n\n"));
                let _ = std::fs::remove_dir_all(env.vault.parent().unwrap());
            }
        }
    }
    assert!(left_behind.is_empty(), "a failed command with no vault left something behind:\n{left_behind}");
}
