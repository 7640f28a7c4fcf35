//! The vault's file format across versions: a version-1 vault written by the tokctl of that time
//! (`tests/fixtures/v1`, see its README) is read without being touched, unlocks by key and by
//! passphrase, and becomes version 2 on its first write; a version-2 header is bound byte for
//! byte, so even a change TOML would call equivalent is damage (exit 6), never a wrong key.
//!
//! Plain `std::process::Command` with an environment built here, so this file depends on nothing
//! but the binary and the fixture.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_tokctl");
/// `deploy`'s minted secret and `upstream`'s imported one, as the fixture's README says.
const DEPLOY: &str = "tok_FnAUoFDLA0uIVLr8sfeBMEv5FW7Qlu3bTLMY";
const UPSTREAM: &str = "fixture-imported-secret-not-real-0001";
const PASSPHRASE: &str = "fixture passphrase v1";

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A temp dir holding a copy of the version-1 fixture, and how to run tokctl on it.
struct V1 {
    dir: tempfile::TempDir,
    vault: PathBuf,
    key: String,
    original: Vec<u8>,
}

fn fixture_of(version: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(version)
}

impl V1 {
    fn new() -> V1 {
        V1::of("v1")
    }

    /// A copy of the fixture of `version` (`v1`, `v2`).
    fn of(version: &str) -> V1 {
        let dir = tempfile::Builder::new().prefix("tokctl-format-").tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let vault = dir.path().join("vault.toml");
        for f in ["vault.toml", "vault.toml.log"] {
            std::fs::copy(fixture_of(version).join(f), dir.path().join(f)).unwrap();
        }
        let key = std::fs::read_to_string(fixture_of(version).join("vault.key")).unwrap().trim().to_string();
        let original = std::fs::read(&vault).unwrap();
        V1 { dir, vault, key, original }
    }

    /// tokctl with only what this test gives it: the vault, a private HOME, no keyring, and
    /// `vars` (the key or the passphrase).
    fn run(&self, args: &[&str], vars: &[(&str, &str)]) -> Run {
        let home = self.dir.path().join("home");
        let mut c = Command::new(BIN);
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("TOKCTL_VAULT", &self.vault)
            .env("TOKCTL_KEYRING", "none")
            .current_dir(self.dir.path())
            .stdin(Stdio::null());
        for (k, v) in vars {
            c.env(k, v);
        }
        let out = c.output().unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run with the vault key; expect exit 0 and return stdout.
    fn ok(&self, args: &[&str]) -> String {
        let r = self.run(args, &[("TOKCTL_VAULT_KEY", &self.key)]);
        assert_eq!(r.code, 0, "tokctl {args:?} failed: {}", r.stderr);
        r.stdout
    }

    fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.vault).unwrap()
    }

    /// The header lines of the vault file (everything before `[sealed]`).
    fn header(&self) -> String {
        let text = String::from_utf8(self.bytes()).unwrap();
        text[..text.find("\n[sealed]\n").expect("a sealed section")].to_string()
    }
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Every record as (name, status), sorted.
fn records_of(v: &V1) -> Vec<(String, String)> {
    let list = json(&v.ok(&["list", "--all", "--json"]));
    let mut out: Vec<(String, String)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r["status"].as_str().unwrap().to_string()))
        .collect();
    out.sort();
    out
}

fn expected_records() -> Vec<(String, String)> {
    [("deploy", "active"), ("old-one", "revoked"), ("upstream", "active")]
        .iter()
        .map(|(n, s)| (n.to_string(), s.to_string()))
        .collect()
}

#[test]
fn the_fixture_is_a_version_1_vault() {
    let v = V1::new();
    let head = v.header();
    assert!(head.contains("\nversion = 1\n"), "{head}");
    assert!(!head.contains("generation"), "{head}");
    assert!(head.contains("\n[passphrase]\n"), "{head}");
}

#[test]
fn a_version_1_vault_is_read_and_never_rewritten() {
    let v = V1::new();
    assert_eq!(records_of(&v), expected_records());
    assert_eq!(v.ok(&["get", "-n", "deploy"]), DEPLOY);
    assert_eq!(v.ok(&["get", "upstream"]), format!("{UPSTREAM}\n"));
    let show = json(&v.ok(&["show", "deploy", "--json"]));
    assert_eq!(show["note"], "minted by the v1 fixture");
    assert_eq!(show["scopes"], serde_json::json!(["ci", "repo:read"]));
    assert!(v.ok(&["show", "upstream"]).contains("UPSTREAM_API_TOKEN"));
    let log = v.ok(&["log"]);
    for action in ["created", "imported", "revoked", "passphrase-added"] {
        assert!(log.contains(action), "the v1 history shows '{action}':\n{log}");
    }
    let revoked = v.run(&["get", "old-one"], &[("TOKCTL_VAULT_KEY", &v.key)]);
    assert_eq!(revoked.code, 4, "{}", revoked.stderr);
    assert_eq!(v.bytes(), v.original, "a read changed the version-1 vault");
}

#[test]
fn the_passphrase_of_a_version_1_vault_unlocks_it() {
    let v = V1::new();
    let r = v.run(&["get", "-n", "deploy"], &[("TOKCTL_PASSPHRASE", PASSPHRASE)]);
    assert_eq!((r.code, r.stdout.as_str()), (0, DEPLOY), "{}", r.stderr);
    let r = v.run(&["get", "deploy"], &[("TOKCTL_PASSPHRASE", "not the passphrase")]);
    assert_eq!(r.code, 5, "{}", r.stderr);
    assert_eq!(v.bytes(), v.original, "an unlock changed the version-1 vault");
}

#[test]
fn the_first_write_makes_a_version_1_vault_the_current_version() {
    let v = V1::new();
    let id_line = |h: &str| h.lines().find(|l| l.starts_with("vault_id = ")).unwrap().to_string();
    let old_id = id_line(&v.header());
    v.ok(&["update", "deploy", "--note", "upgraded"]);
    let head = v.header();
    assert!(head.contains("\nversion = 4\ngeneration = 1\n"), "{head}");
    assert_eq!(id_line(&head), old_id, "the vault keeps its id (and so its keyring entry)");
    assert!(head.contains("\n[passphrase]\n"), "the passphrase slot is kept: {head}");

    // Same key, same tokens, same history.
    assert_eq!(records_of(&v), expected_records());
    assert_eq!(v.ok(&["get", "-n", "deploy"]), DEPLOY);
    assert_eq!(v.ok(&["get", "-n", "upstream"]), UPSTREAM);
    assert_eq!(json(&v.ok(&["show", "deploy", "--json"]))["note"], "upgraded");
    let log = v.ok(&["log"]);
    assert!(log.contains("updated") && log.contains("imported"), "{log}");
    let r = v.run(&["get", "-n", "deploy"], &[("TOKCTL_PASSPHRASE", PASSPHRASE)]);
    assert_eq!((r.code, r.stdout.as_str()), (0, DEPLOY), "{}", r.stderr);

    // Reads leave version 4 alone too; the next write advances the generation.
    let upgraded = v.bytes();
    v.ok(&["list"]);
    assert_eq!(v.bytes(), upgraded);
    v.ok(&["update", "upstream", "--note", "again"]);
    assert!(v.header().contains("\nversion = 4\ngeneration = 2\n"), "{}", v.header());
}

/// `deploy`'s minted secret and `upstream`'s imported one in the version-2 fixture (its README).
const DEPLOY_V2: &str = "tok_31Av7zve3YXoCHmjHrfxCAdVGMMu0f3NNbyS";
const UPSTREAM_V2: &str = "fixture-imported-secret-not-real-0002";

#[test]
fn a_version_2_vault_is_read_untouched_and_becomes_the_current_version_on_its_first_write() {
    let v = V1::of("v2");
    assert!(v.header().contains("\nversion = 2\ngeneration = 5\n"), "{}", v.header());
    assert_eq!(records_of(&v), expected_records());
    assert_eq!(v.ok(&["get", "-n", "deploy"]), DEPLOY_V2);
    let shown = json(&v.ok(&["show", "deploy", "--json"]));
    assert_eq!(shown["rotate_every"], 90 * 86400, "format 2's own fields are read: {shown}");
    assert_eq!(shown["hosts"], serde_json::json!([]), "no hosts before format 3: {shown}");
    assert_eq!(v.bytes(), v.original, "reads leave a version-2 vault as it was");
    let r = v.run(&["get", "-n", "upstream"], &[("TOKCTL_PASSPHRASE", "fixture passphrase v2")]);
    assert_eq!((r.code, r.stdout.as_str()), (0, UPSTREAM_V2), "{}", r.stderr);

    v.ok(&["update", "deploy", "--username", "deploy-bot"]);
    assert!(v.header().contains("\nversion = 4\ngeneration = 6\n"), "{}", v.header());
    assert_eq!(records_of(&v), expected_records());
    assert_eq!(v.ok(&["get", "-n", "deploy"]), DEPLOY_V2);
    let shown = json(&v.ok(&["show", "deploy", "--json"]));
    assert_eq!((shown["username"].as_str(), shown["rotate_every"].as_i64()), (Some("deploy-bot"), Some(90 * 86400)));
    let log = v.ok(&["log"]);
    assert!(log.contains("updated") && log.contains("revoked"), "the history goes on: {log}");
}

/// `deploy`'s minted secret and `upstream`'s imported one in the version-3 fixture (its README).
const DEPLOY_V3: &str = "tok_Dys1QjU88Hvnd4WSNkbWcgIWe7Xd4B0T4tUq";
const UPSTREAM_V3: &str = "fixture-imported-secret-not-real-0003";

#[test]
fn a_version_3_vault_is_read_untouched_and_becomes_version_4_on_its_first_write() {
    let v = V1::of("v3");
    assert!(v.header().contains("\nversion = 3\ngeneration = 5\n"), "{}", v.header());
    assert_eq!(records_of(&v), expected_records());
    assert_eq!(v.ok(&["get", "-n", "deploy"]), DEPLOY_V3);
    let shown = json(&v.ok(&["show", "deploy", "--json"]));
    assert_eq!(shown["hosts"], serde_json::json!(["git.example.com/org"]), "format 3's own fields are read: {shown}");
    assert_eq!((shown["username"].as_str(), shown["provider"].as_str()), (Some("deploy-bot"), None));
    assert!(shown["inspected_at"].is_null() && shown["rotation_pending_since"].is_null(), "{shown}");
    assert_eq!(v.bytes(), v.original, "reads leave a version-3 vault as it was");
    let r = v.run(&["get", "-n", "upstream"], &[("TOKCTL_PASSPHRASE", "fixture passphrase v3")]);
    assert_eq!((r.code, r.stdout.as_str()), (0, UPSTREAM_V3), "{}", r.stderr);

    v.ok(&["update", "upstream", "--provider", "gitlab", "--provider-url", "https://gitlab.example.com"]);
    assert!(v.header().contains("\nversion = 4\ngeneration = 6\n"), "{}", v.header());
    assert_eq!(records_of(&v), expected_records());
    assert_eq!(v.ok(&["get", "-n", "deploy"]), DEPLOY_V3);
    let shown = json(&v.ok(&["show", "upstream", "--json"]));
    assert_eq!(
        (shown["provider"].as_str(), shown["provider_url"].as_str()),
        (Some("gitlab"), Some("https://gitlab.example.com"))
    );
    let shown = json(&v.ok(&["show", "deploy", "--json"]));
    assert_eq!(
        shown["hosts"],
        serde_json::json!(["git.example.com/org"]),
        "the upgrade keeps format 3's fields: {shown}"
    );
}

/// Each header line with a trailing space: the same TOML, other bytes. Damaged (exit 6), never
/// "wrong key" (exit 5), and the file is left as it was.
fn equivalent_toml_is_damage(v: &V1) {
    let good = String::from_utf8(v.bytes()).unwrap();
    let head_len = good.find("\n[sealed]\n").unwrap();
    let mut changed = 0;
    for (at, _) in good[..head_len].match_indices('\n') {
        if good[..at].ends_with(['"', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
            let bytes = format!("{} {}", &good[..at], &good[at..]);
            std::fs::write(&v.vault, &bytes).unwrap();
            let r = v.run(&["get", "deploy"], &[("TOKCTL_VAULT_KEY", &v.key)]);
            assert_eq!(r.code, 6, "a space after line ending at {at}: {}", r.stderr);
            assert!(r.stderr.contains("damaged"), "{}", r.stderr);
            assert!(!r.stdout.contains(DEPLOY));
            assert_eq!(std::fs::read(&v.vault).unwrap(), bytes.as_bytes());
            changed += 1;
        }
    }
    assert!(changed >= 7, "every header line was tried ({changed})");
    std::fs::write(&v.vault, good).unwrap();
    assert_eq!(v.ok(&["get", "-n", "deploy"]), DEPLOY, "the untouched file still opens");
}

#[test]
fn a_version_2_header_is_bound_byte_for_byte() {
    let v = V1::new();
    v.ok(&["update", "deploy", "--note", "upgraded"]);
    equivalent_toml_is_damage(&v);
}

#[test]
fn a_version_1_header_is_bound_byte_for_byte() {
    let v = V1::new();
    equivalent_toml_is_damage(&v);
}

#[test]
fn a_version_1_log_reads_as_legacy_and_new_events_are_chained_after_it() {
    let v = V1::new();
    let events = json(&v.ok(&["log", "--json"]));
    let events = events.as_array().unwrap();
    assert!(!events.is_empty());
    assert!(
        events.iter().all(|e| e["chain"] == "legacy"),
        "a log from before the chain is legacy, not broken: {events:?}"
    );
    let doctor = v.run(&["doctor"], &[("TOKCTL_VAULT_KEY", &v.key)]);
    assert_eq!(doctor.code, 0, "{}{}", doctor.stdout, doctor.stderr);
    assert!(doctor.stdout.contains("from before the chain"), "{}", doctor.stdout);
    v.ok(&["update", "deploy", "--note", "upgraded"]);
    let events = json(&v.ok(&["log", "--json"]));
    assert_eq!(events[0]["action"], "updated");
    assert_eq!(events[0]["chain"], "linked", "{events}");
}
