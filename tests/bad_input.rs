//! Bad input is refused with the documented exit code and leaves the vault directory exactly as
//! it was: the vault, its log, no temp files. With no vault yet, none is created.

use crate::support::*;

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

/// One malformed invocation: what is run, where, and how it must be refused.
struct Case {
    args: Vec<String>,
    stdin: Vec<u8>,
    /// The exit code the SPEC gives this refusal.
    code: i32,
    /// A fragment the message on stderr must contain: the cause, in words.
    says: String,
    /// A directory under the test's root to run in (for `.tokctl.toml` cases), else the root.
    cwd: Option<&'static str>,
}

/// Project files (`.tokctl.toml`) that `exec` and `env` must refuse: directory, contents, exit
/// code, message. Written before the snapshot, so they are part of what must not change.
fn bad_project_files() -> Vec<(&'static str, &'static [u8], i32, &'static str)> {
    vec![
        ("proj-bad-var", b"[env]\n1X = \"github\"\n", 2, "'1X' is not a valid environment variable name"),
        ("proj-bad-name", b"[env]\nA = \"-bad\"\n", 2, "'-bad' is not a valid token name"),
        ("proj-unknown-key", b"other = 1\n", 2, "unknown field `other`"),
        ("proj-not-a-string", b"[env]\nA = 3\n", 2, "invalid type"),
        ("proj-env-not-a-table", b"env = \"github\"\n", 2, "invalid type"),
        ("proj-inline-table", b"[env]\nA = { name = \"github\" }\n", 2, "invalid type"),
        ("proj-empty-vault", b"vault = \"\"\n[env]\nA = \"github\"\n", 2, "`vault` is empty"),
        ("proj-syntax", b"[env\nA = \"github\"\n", 2, ".tokctl.toml: "),
        ("proj-duplicate", b"[env]\nA = \"github\"\nA = \"expo\"\n", 2, "duplicate key"),
        ("proj-not-utf8", b"[env]\nA = \"\xff\"\n", 2, "is not UTF-8 text"),
        ("proj-no-env", b"vault = \"ci.toml\"\n", 2, "selects no tokens"),
        ("proj-empty", b"", 2, "selects no tokens"),
        ("proj-unknown-token", b"[env]\nGH = \"githb\"\n", 3, "no token named 'githb'"),
        ("proj-revoked", b"[env]\nOLD_TOKEN = \"old\"\n", 4, "revoked"),
        ("proj-dash-name", b"[env]\nGITHUB_TOKEN = \"github\"\nX = \"-\"\n", 2, "'-' is not a valid token name"),
        // Found from a subdirectory: the nearest ancestor's file is the one that is read.
        ("proj-deep", b"[env]\nX-Y = \"github\"\n", 2, "'X-Y' is not a valid environment variable name"),
    ]
}

/// Commands that must fail with their code and message and touch nothing.
fn refused() -> Vec<Case> {
    let mut v: Vec<Case> = Vec::new();
    let mut add = |args: &[&str], stdin: &[u8], code: i32, says: &str| {
        v.push(Case {
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: stdin.to_vec(),
            code,
            says: says.to_string(),
            cwd: None,
        })
    };
    // Names.
    for bad in ["bad name", "-dash-first", ".dot-first", "_under-first", "é", "a/b", "a:b", ""] {
        let says = format!("'{bad}' is not a valid token name");
        add(&["create", "--", bad], b"", 2, &says);
        add(&["import", "--", bad], b"secret", 2, &says);
    }
    let long = format!("a{}", "1".repeat(64));
    add(&["create", &long], b"", 2, "is not a valid token name");
    add(&["update", "github", "--rename", "bad name"], b"", 2, "'bad name' is not a valid token name");
    // Durations and dates.
    for bad in ["0d", "3x", "-3d", "d", "3.5d", "2020-01-01", "2030-02-30", "2030-13-01", "yesterday", ""] {
        let says = if bad == "2020-01-01" {
            "the date '2020-01-01' is in the past".to_string()
        } else {
            format!("'{bad}' is not a duration or date")
        };
        add(&["create", "newtok", "--expires", bad], b"", 2, &says);
        add(&["import", "newtok", "--expires", bad], b"secret", 2, &says);
        add(&["update", "github", "--expires", bad], b"", 2, &says);
        add(&["regenerate", "github", "--expires", bad], b"", 2, &says);
    }
    add(&["create", "newtok", "--expires", "2020-01-01T00:00:00Z"], b"", 2, "is in the past");
    add(&["list", "--expiring", "3x"], b"", 2, "--expiring '3x' is not a duration");
    add(&["list", "--expiring", "never"], b"", 2, "`never` is not a window");
    add(&["doctor", "--within", "0d"], b"", 2, "--within '0d' is not a duration");
    add(&["doctor", "--unused", "2030-01-01"], b"", 2, "--unused '2030-01-01' is not a duration");
    add(&["unlock", "--for", "1w"], b"", 2, "--for '1w' is longer than 24 hours");
    // Environment variable names.
    for bad in ["1ABC", "A-B", "A B", "", "ÄB", "A=B"] {
        let says = format!("'{bad}' is not a valid environment variable name");
        add(&["create", "newtok", "--env", bad], b"", 2, &says);
        add(&["import", "newtok", "--env", bad], b"secret", 2, &says);
        add(&["update", "github", "--env", bad], b"", 2, &says);
    }
    // Scopes.
    for bad in ["a b", "", "repo/read", "ré", "a,b"] {
        let says = format!("'{bad}' is not a valid scope");
        add(&["create", "newtok", "--scope", bad], b"", 2, &says);
        add(&["update", "github", "--scope", bad], b"", 2, &says);
        add(&["update", "github", "--add-scope", bad], b"", 2, &says);
        add(&["update", "github", "--remove-scope", bad], b"", 2, &says);
        add(&["verify", "--scope", bad], b"tok_x", 2, &says);
        add(&["list", "--scope", bad], b"", 2, &says);
        add(&["import", "--dotenv", "-", "--scope", bad], b"A=1\n", 2, &says);
        add(&["exec", "--scope", bad, "--", "true"], b"", 2, &says);
    }
    // Prefixes.
    for bad in ["tok", "9x_", "_x_", "", "a b_", "abcdefghijklmnopqrstu_", "tok__x"] {
        add(&["create", "newtok", "--prefix", bad], b"", 2, &format!("'{bad}' is not a valid token prefix"));
    }
    // Secrets on stdin: empty, only a newline, not UTF-8, over 64 KiB.
    let over = big(64 * 1024 + 1);
    add(&["import", "newtok"], b"", 2, "is empty");
    add(&["import", "newtok"], b"\n", 2, "is empty");
    add(&["import", "newtok"], b"\r\n", 2, "is empty");
    add(&["import", "newtok"], b"\xff\xfe secret", 2, "is not UTF-8 text");
    add(&["import", "newtok"], b"caf\xe9\n", 2, "is not UTF-8 text");
    add(&["import", "newtok"], &over, 2, "is over 64 KiB");
    add(&["import", "newtok"], &big(1024 * 1024), 2, "is over 64 KiB");
    add(&["regenerate", "expo"], &over, 2, "is over 64 KiB");
    add(&["regenerate", "expo"], b"", 2, "is empty");
    add(&["regenerate", "expo"], b"\xc3\x28", 2, "is not UTF-8 text");
    add(&["verify"], b"", 2, "is empty");
    // Dotenv files that do not parse.
    let dotenv: &[(&[u8], &str)] = &[
        (b"NOEQUALS\n", "line 1 of the dotenv file: no '=' in it"),
        (b"1X=2\n", "line 1 of the dotenv file: the name before '=' is not a valid environment variable name"),
        (b"A='open\n", "line 1 of the dotenv file: a quote is not closed"),
        (b"A=\"open\n", "line 1 of the dotenv file: a quote is not closed"),
        (b"A='x' trailing\n", "line 1 of the dotenv file: text after the closing quote"),
        (b"A=1\nA=2\n", "line 2 of the dotenv file: A was already set on line 1"),
        (b"# fine\nB=2\nexport =3\n", "line 3 of the dotenv file"),
        (b"", "holds no VAR=value lines"),
        (b"# only a comment\n", "holds no VAR=value lines"),
        (b"A=\xff\n", "is not UTF-8 text"),
        (b"A=\n", "line 1 of - (A): the value is empty"),
        (b"_A=1\n", "line 1 of - (_A): '-a' is not a valid token name"),
    ];
    for (text, says) in dotenv {
        add(&["import", "--dotenv", "-"], text, 2, says);
    }
    add(&["import", "--dotenv", "does-not-exist.env"], b"", 2, "cannot read the dotenv file does-not-exist.env");
    // Nothing to change.
    add(&["update", "github"], b"", 2, "nothing to change");
    // Flags clap refuses.
    add(&["create"], b"", 2, "required");
    add(&["create", "newtok", "--bogus"], b"", 2, "unexpected argument '--bogus'");
    add(&["import", "newtok", "--prefix", "x_"], b"secret", 2, "unexpected argument '--prefix'");
    add(&["import", "--dotenv", "-", "--env", "X"], b"A=1\n", 2, "cannot be used with");
    add(&["import", "newtok", "--skip-existing"], b"secret", 2, "--dotenv");
    add(&["get"], b"", 2, "required");
    add(&["get", "github", "extra"], b"", 2, "unexpected argument 'extra'");
    add(&["revoke"], b"", 2, "required");
    add(&["frobnicate"], b"", 2, "unrecognized subcommand 'frobnicate'");
    add(&["--color", "sometimes", "list"], b"", 2, "invalid value 'sometimes'");
    add(&["list", "--expiring"], b"", 2, "a value is required");
    add(&["env", "-t", "github", "--format", "yaml"], b"", 2, "invalid value 'yaml'");
    add(&["bundle", "--out", "b.toml"], b"", 2, "required");
    add(&["bundle", "-t", "github"], b"", 2, "required");
    // exec and env: selections and commands.
    add(&["exec", "-t", "github"], b"", 2, "required");
    add(&["exec", "--", "true"], b"", 2, "no tokens selected");
    add(&["env"], b"", 2, "no tokens selected");
    add(&["exec", "-t", "bad name", "--", "true"], b"", 2, "'bad name' is not a valid token name");
    add(&["exec", "-t", "github=1X", "--", "true"], b"", 2, "'1X' is not a valid environment variable name");
    add(&["env", "-t", "github=", "--format", "sh"], b"", 2, "'' is not a valid environment variable name");
    add(&["env", "-t", "github", "-t", "expo=GH_TOKEN"], b"", 2, "would set GH_TOKEN");
    add(&["exec", "-t", "githb", "--", "true"], b"", 3, "no token named 'githb'");
    add(&["env", "--scope", "nosuch"], b"", 3, "no active token carries the scope 'nosuch'");
    add(&["exec", "-t", "old", "--", "true"], b"", 4, "revoked");
    add(&["env", "-t", "github", "-t", "old"], b"", 4, "revoked");
    add(&["bundle", "-t", "githb", "--out", "b.toml"], b"", 3, "no token named 'githb'");
    add(&["bundle", "-t", "old", "--out", "b.toml"], b"", 4, "revoked");
    // The vault itself as --out, named relatively: refused as a file that is not a bundle.
    add(&["bundle", "-t", "github", "--out", "vault/vault.toml"], b"", 2, "cannot be written over the vault");
    // Keys.
    add(&["key", "import"], b"not a key\n", 2, "not a tokctl vault key");
    add(&["key", "import"], b"tokctl-key-v1-short\n", 2, "that vault key is damaged");
    add(&["key", "passphrase"], b"short\n", 2, "the passphrase is too short");
    // Unknown tokens: exit 3.
    for args in [
        &["get", "githb"][..],
        &["show", "githb"],
        &["update", "githb", "--note", "x"],
        &["regenerate", "githb"],
        &["revoke", "githb", "--yes"],
        &["delete", "githb", "--yes"],
    ] {
        add(args, b"", 3, "no token named 'githb'");
    }
    add(&["verify"], b"not-a-known-token", 3, "unknown token");
    // Unusable tokens: exit 4.
    add(&["get", "old"], b"", 4, "revoked");
    add(&["regenerate", "old"], b"", 4, "is revoked and cannot be regenerated");
    // Name conflicts: exit 7.
    add(&["create", "github", "--force"], b"", 7, "a token named 'github' already exists");
    add(&["import", "expo"], b"another", 7, "a token named 'expo' already exists");
    add(&["update", "github", "--rename", "expo"], b"", 7, "a token named 'expo' already exists");
    add(&["import", "--dotenv", "-"], b"BRAND_NEW=1\nEXPO=2\n", 7, "a token named 'expo' already exists");
    // Project files, read by both exec and env from the current directory or an ancestor.
    for (dir, _, code, says) in bad_project_files() {
        let cwd: &'static str = if dir == "proj-deep" { "proj-deep/a/b" } else { dir };
        for args in [&["exec", "--", "true"][..], &["env"]] {
            v.push(Case {
                args: args.iter().map(|a| a.to_string()).collect(),
                stdin: Vec::new(),
                code,
                says: says.to_string(),
                cwd: Some(cwd),
            });
        }
    }
    v
}

/// Put the directory back to `snap`: rewrite changed files, remove added ones.
fn restore(root: &std::path::Path, snap: &Snapshot) {
    let now = snapshot(root);
    for p in now.0.keys().rev() {
        if !snap.0.contains_key(p) {
            let full = root.join(p);
            let _ = std::fs::remove_file(&full).or_else(|_| std::fs::remove_dir_all(&full));
        }
    }
    for (p, bytes) in &snap.0 {
        match bytes {
            Some(b) if now.0.get(p) != Some(&Some(b.clone())) => std::fs::write(root.join(p), b).unwrap(),
            None => std::fs::create_dir_all(root.join(p)).unwrap(),
            _ => {}
        }
    }
}

#[test]
fn every_bad_input_is_refused_with_its_code_and_message_and_leaves_the_vault_byte_for_byte_unchanged() {
    let (env, _) = stocked();
    env.create("old", &[]);
    env.ok(&["revoke", "old", "--yes"], b"");
    for (dir, text, _, _) in bad_project_files() {
        std::fs::create_dir_all(env.root.join(dir)).unwrap();
        let file = env.root.join(dir).join(".tokctl.toml");
        std::fs::write(&file, text).unwrap();
        // Trusted where it can be, so each case meets the refusal it is about, not distrust.
        let _ = env.run(&[std::ffi::OsStr::new("trust"), file.as_os_str()], b"");
    }
    std::fs::create_dir_all(env.root.join("proj-deep/a/b")).unwrap();
    let before = env.snapshot();
    assert!(before.0.keys().any(|p| p.ends_with("vault.toml.log")), "the log is part of the snapshot: {before:?}");
    let cases = refused();
    assert!(cases.len() >= 100, "at least 100 malformed invocations, not {}", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let mut c = env.std_cmd(&case.args);
        if let Some(dir) = case.cwd {
            c.current_dir(env.root.join(dir));
        }
        // Unchecked: a secret on stderr is one more thing this test collects and reports.
        let out = run_std(c, &case.stdin);
        let mut bad = Vec::new();
        if out.code != case.code {
            bad.push(format!("exit {} instead of {}", out.code, case.code));
        }
        if !out.stderr.contains(&case.says) {
            bad.push(format!("the message lacks {:?}", case.says));
        }
        if !out.stdout.is_empty() {
            bad.push("something on stdout".into());
        }
        if env.holds_a_secret(&out.stderr) {
            bad.push("a secret on stderr".into());
        }
        let d = before.diff(&env.snapshot());
        if !d.is_empty() {
            bad.push(format!("the directory changed:\n{d}"));
            restore(&env.root, &before); // so one failure does not fail every later case
        }
        if !env.temp_files().is_empty() {
            bad.push(format!("temp files left: {:?}", env.temp_files()));
        }
        if !bad.is_empty() {
            wrong.push(format!("{} (cwd {:?}): {}\n{out}", case.args.join(" "), case.cwd, bad.join("; ")));
        }
    }
    assert!(wrong.is_empty(), "{} of {} cases went wrong:\n\n{}", wrong.len(), cases.len(), wrong.join("\n\n"));
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

#[test]
fn a_bad_variable_is_refused_by_name_before_anything_is_opened() {
    // (variable, value, exit code): each read and checked when the command starts.
    let cases = [
        ("TOKCTL_KEYRING", "bogus", 2),
        ("TOKCTL_KEYRING_TIMEOUT", "abc", 2),
        ("TOKCTL_CACHE_TTL", "abc", 2),
        ("TOKCTL_CACHE_TTL", "1w", 2),
        ("TOKCTL_REMOTE_TIMEOUT", "-1", 2),
        ("TOKCTL_VAULT_KEY", "not-a-key", 5),
    ];
    for (var, value, code) in cases {
        // No vault yet: nothing is created, not even its directory or a keyring entry.
        let mut env = Env::keyring();
        env.set(var, value);
        let before = env.snapshot();
        let out = env.fails(&["import", "x"], b"secret-0123456789", code);
        assert!(out.stderr.contains(var), "{var}={value}: the message names the variable\n{out}");
        assert_unchanged(&before, &env.snapshot(), &out);
        assert!(!env.vault.exists(), "{var}={value}: no vault was made\n{out}");
        // An existing vault is left byte for byte, by a read and by a write.
        env.unset(var);
        env.import("x", "secret-0123456789", &[]);
        env.set(var, value);
        let before = env.snapshot();
        for args in [&["get", "x"][..], &["update", "x", "--note", "n"], &["doctor"]] {
            let out = env.fails(args, b"", code);
            assert!(out.stderr.contains(var), "{var}={value} {args:?}\n{out}");
            assert_unchanged(&before, &env.snapshot(), &out);
        }
        // What needs no variable still works: completion scripts and man pages.
        assert!(env.ok(&["completion", "bash"], b"").contains("TOKCTL_COMPLETE"), "{var}={value}");
    }
}
