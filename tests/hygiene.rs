//! Secrets stay where they belong: on stdout of the commands that print them and nowhere else,
//! never in the vault or its log in plain. Files are private whatever the umask.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::*;

/// Every output of one session, with whether its stdout may carry a secret.
struct Session {
    runs: Vec<(Out, bool)>,
}

impl Session {
    /// Run one command of the session, which must exit with `code`.
    fn run(&mut self, env: &Env, args: &[&str], stdin: &[u8], code: i32, prints_secret: bool) -> String {
        let out = env.run(args, stdin);
        assert_eq!(out.code, code, "{out}");
        let s = out.stdout.clone();
        self.runs.push((out, prints_secret));
        s
    }
}

#[test]
fn secrets_appear_only_on_the_stdout_of_commands_that_print_them() {
    let env = Env::keyring();
    let mut s = Session { runs: Vec::new() };
    let mut secrets: Vec<String> = Vec::new();
    let names = ["gh-deploy", "expo-ci", "bws-access-token", "choreo-prod"];

    secrets.push(s.run(&env, &["create", "gh-deploy", "--scope", "repo"], b"", 0, true).trim_end().into());
    secrets.push("expo-imported-0123456789abcdef".into());
    s.run(&env, &["import", "expo-ci", "--scope", "publish"], b"expo-imported-0123456789abcdef\n", 0, false);
    secrets.push("bws-secret-from-a-dotenv-file-42".into());
    s.run(&env, &["import", "--dotenv", "-"], b"BWS_ACCESS_TOKEN=bws-secret-from-a-dotenv-file-42\n", 0, false);
    // Shaped like a GitHub token but with a wrong checksum: tokctl comments on it, without quoting it.
    secrets.push(format!("ghp_{}", "a".repeat(36)));
    s.run(&env, &["import", "gh-pat"], secrets.last().unwrap().as_bytes(), 0, false);
    secrets.push("choreo-short".into());
    s.run(&env, &["import", "choreo-prod", "--expires", "3d"], b"choreo-short", 0, false);
    for args in [
        &["list"][..],
        &["list", "--all", "--json"],
        &["list", "--color", "always"],
        &["list", "--expiring", "7d"],
        &["show", "gh-deploy"],
        &["show", "gh-deploy", "--json"],
        &["show", "expo-ci", "--json"],
        &["show", "choreo-prod"],
    ] {
        s.run(&env, args, b"", 0, false);
    }
    s.run(&env, &["get", "gh-deploy"], b"", 0, true);
    s.run(&env, &["get", "choreo-prod"], b"", 0, true); // due soon: a warning on stderr
    s.run(&env, &["verify"], secrets[0].as_bytes(), 0, false);
    s.run(&env, &["verify", "--json"], secrets[1].as_bytes(), 0, false);
    s.run(&env, &["verify", "--scope", "admin"], secrets[0].as_bytes(), 4, false);
    let mut typo: Vec<char> = secrets[0].chars().collect();
    typo[12] = if typo[12] == 'z' { 'y' } else { 'z' };
    let typo: String = typo.into_iter().collect();
    s.run(&env, &["verify"], typo.as_bytes(), 3, false);
    s.run(&env, &["update", "gh-deploy", "--note", "rotated monthly", "--add-scope", "deploy"], b"", 0, false);
    secrets.push(s.run(&env, &["regenerate", "gh-deploy"], b"", 0, true).trim_end().into());
    secrets.push("expo-rotated-fedcba9876543210".into());
    s.run(&env, &["regenerate", "expo-ci"], b"expo-rotated-fedcba9876543210\n", 0, false);
    s.run(&env, &["get", "expo-ci"], b"", 0, true);
    s.run(&env, &["revoke", "bws-access-token", "--yes"], b"", 0, false);
    s.run(&env, &["get", "bws-access-token"], b"", 4, false);
    s.run(&env, &["create", "gh-deploy"], b"", 7, false); // conflict
    s.run(&env, &["import", "expo-ci"], b"expo-rotated-fedcba9876543210", 7, false); // conflict, secret on stdin
    s.run(&env, &["get", "gh-deplyo"], b"", 3, false);
    // doctor exits with the code of its worst finding: 'choreo-prod' is due in 3 days (4).
    for (args, code) in [
        (&["log"][..], 0),
        (&["log", "--json"], 0),
        (&["log", "gh-deploy"], 0),
        (&["doctor"], 4),
        (&["doctor", "--within", "30d"], 4),
    ] {
        s.run(&env, args, b"", code, false);
    }
    let key1 = s.run(&env, &["key", "export"], b"", 0, true).trim_end().to_string();
    s.run(&env, &["key", "rotate"], b"", 0, false);
    let key2 = s.run(&env, &["key", "export"], b"", 0, true).trim_end().to_string();
    s.run(&env, &["key", "import"], format!("{key2}\n").as_bytes(), 0, false);
    s.run(&env, &["key", "import"], format!("{key1}\n").as_bytes(), 5, false); // the old key: refused
    s.run(&env, &["key", "passphrase"], b"a passphrase for hygiene\n", 0, false);
    // The commands that hand secrets to other programs.
    for format in ["sh", "dotenv", "json"] {
        s.run(&env, &["env", "-t", "gh-deploy", "-t", "expo-ci=EXPO_TOKEN", "--format", format], b"", 0, true);
    }
    s.run(&env, &["env", "-t", "bws-access-token"], b"", 4, false); // revoked: refused
    let child = "printf 'out:%s\\n' \"$GH_DEPLOY_TOKEN\"; printf 'err:%s\\n' \"$GH_DEPLOY_TOKEN\" >&2";
    let masked = s.run(&env, &["exec", "-t", "gh-deploy", "--mask", "--", "sh", "-c", child], b"", 0, false);
    assert!(masked.contains("out:***"), "the child ran and its output was masked: {masked:?}");
    let bundle = env.root.join("ci-bundle.toml");
    let bundle_arg = bundle.display().to_string();
    let key3 = s.run(&env, &["bundle", "-t", "gh-deploy", "--out", &bundle_arg], b"", 0, true).trim_end().to_string();
    assert!(key3.starts_with("tokctl-key-v1-"), "bundle prints its key: {key3:?}");

    s.run(&env, &["delete", "choreo-prod", "--yes"], b"", 0, false);
    s.run(&env, &["log", "--json"], b"", 0, false);
    assert!(key1.starts_with("tokctl-key-v1-") && key2.starts_with("tokctl-key-v1-") && key1 != key2);

    let keys = [key1.as_str(), key2.as_str(), key3.as_str()];
    for (out, prints_secret) in &s.runs {
        for secret in secrets.iter().map(String::as_str).chain([typo.as_str()]) {
            assert!(!out.stderr.contains(secret), "a secret on stderr\n{out}");
            if !prints_secret {
                assert!(!out.stdout.contains(secret), "a secret on stdout of a command that must not print it\n{out}");
            }
        }
        for key in keys {
            assert!(!out.stderr.contains(key), "the vault key on stderr\n{out}");
            if !out.what.contains("\"export\"") && !out.what.contains("\"bundle\"") {
                assert!(!out.stdout.contains(key), "the vault key on stdout\n{out}");
            }
        }
    }
    let files = [env.vault.clone(), env.log_path(), bundle];
    for f in &files {
        let bytes = std::fs::read(f).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let text = String::from_utf8_lossy(&bytes);
        for secret in &secrets {
            assert!(!text.contains(secret.as_str()), "{} holds a secret in plain", f.display());
        }
        for key in keys {
            assert!(!text.contains(key), "{} holds the vault key", f.display());
            assert!(!text.contains(key.trim_start_matches("tokctl-key-v1-")), "{} holds the vault key", f.display());
        }
        for name in names {
            assert!(!text.contains(name), "{} holds the token name {name} in plain", f.display());
        }
    }
    assert!(!String::from_utf8_lossy(&std::fs::read(&env.vault).unwrap()).contains("rotated monthly"));
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

/// Run tokctl under `umask 000`.
fn under_umask_000(env: &Env, args: &[&str], stdin: &[u8]) -> Out {
    let mut full = vec!["-c", "umask 000; exec \"$@\"", "sh", BIN];
    full.extend_from_slice(args);
    let out = env.run_cmd(env.std_cmd_of("sh", &full), stdin);
    assert_eq!(out.code, 0, "{out}");
    out
}

#[test]
fn the_vault_is_private_whatever_the_umask() {
    let env = Env::env_key();
    under_umask_000(&env, &["create", "gh", "--force"], b"");
    under_umask_000(&env, &["get", "gh"], b"");
    let dir = env.vault.parent().unwrap();
    assert_eq!(mode(dir), 0o700, "the vault's directory");
    assert_eq!(mode(&env.vault), 0o600, "the vault");
    assert_eq!(mode(&env.log_path()), 0o600, "the log");
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        assert_eq!(mode(&e.path()) & 0o077, 0, "{} is private", e.path().display());
    }
    // Each write makes a new file; it is private too.
    under_umask_000(&env, &["update", "gh", "--note", "again"], b"");
    under_umask_000(&env, &["import", "more"], b"more-secret");
    assert_eq!(mode(&env.vault), 0o600);
    assert_eq!(mode(dir), 0o700);

    // A passphrase vault, and a key rotation, under the same umask.
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "a long passphrase");
    under_umask_000(&env, &["create", "gh", "--force"], b"");
    under_umask_000(&env, &["key", "rotate"], b"");
    assert_eq!(mode(&env.vault), 0o600);
    assert_eq!(mode(&env.log_path()), 0o600);
    assert_eq!(mode(env.vault.parent().unwrap()), 0o700);
}

#[test]
fn the_default_vault_lives_privately_in_the_data_directory() {
    let env = Env::env_key();
    let run = |args: &[&str]| {
        let mut full = vec!["-c", "umask 000; exec \"$@\"", "sh", BIN];
        full.extend_from_slice(args);
        let mut c = env.std_cmd_of("sh", &full);
        c.env_remove("TOKCTL_VAULT");
        let out = env.run_cmd(c, b"");
        assert_eq!(out.code, 0, "{out}");
        out
    };
    let secret = run(&["create", "gh", "--force"]).stdout;
    let dir = env.home.join(".local/share/tokctl");
    let vault = dir.join("vault.toml");
    assert!(vault.exists(), "the default vault is <data dir>/tokctl/vault.toml");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&vault), 0o600);
    assert_eq!(run(&["get", "gh"]).stdout, secret);
    // A data directory someone loosened is tightened on the next write.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
    run(&["update", "gh", "--note", "x"]);
    assert_eq!(mode(&dir), 0o700);
}

#[test]
fn every_write_seals_the_vault_with_a_fresh_nonce() {
    let env = Env::env_key();
    env.create("gh", &[]);
    let nonce = |b: &[u8]| {
        String::from_utf8_lossy(b).lines().find(|l| l.starts_with("nonce = ")).expect("a nonce line").to_string()
    };
    let mut seen = std::collections::BTreeSet::new();
    let mut bodies = std::collections::BTreeSet::new();
    for _ in 0..5 {
        env.ok(&["update", "gh", "--note", "the same note every time"], b"");
        let bytes = env.vault_bytes();
        assert!(seen.insert(nonce(&bytes)), "a nonce was reused");
        assert!(bodies.insert(bytes), "identical contents never give identical files");
    }
}

#[test]
fn temp_files_left_by_a_killed_writer_are_swept_by_the_next_write() {
    let env = Env::env_key();
    env.create("gh", &[]);
    let dir = env.vault.parent().unwrap().to_path_buf();
    let name = env.vault.file_name().unwrap().to_string_lossy().into_owned();
    let stale = dir.join(format!(".{name}.tokctl-AbC123.tmp"));
    let stale_log = dir.join(format!(".{name}.log.tokctl-XyZ789.tmp"));
    let other = dir.join(".other.toml.tokctl-QqQ111.tmp");
    for f in [&stale, &stale_log, &other] {
        std::fs::write(f, b"half a vault").unwrap();
    }
    env.ok(&["update", "gh", "--note", "swept"], b"");
    assert!(!stale.exists() && !stale_log.exists(), "this vault's leftovers are removed under its lock");
    assert!(other.exists(), "another vault's temp file in the same directory is not ours to touch");
}
