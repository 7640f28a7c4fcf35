//! Where the key comes from, and what happens when it does not come: wrong keys and passphrases,
//! the headless passphrase story, a dead or hanging keyring, a keyring that forgot, and the key's
//! own life (export, rotate, passphrase, import).

use std::time::{Duration, Instant};

use crate::support::*;

#[test]
fn a_key_from_another_vault_is_locked_out_not_damage() {
    let env = Env::env_key();
    env.create("gh", &[]);
    let before = env.snapshot();
    let mut other = Env::env_key();
    other.vault = env.vault.clone();
    for args in [&["get", "gh"][..], &["list"], &["create", "x"], &["key", "export"]] {
        let out = other.fails(args, b"", 5);
        assert!(out.stderr.contains("TOKCTL_VAULT_KEY"), "names the key that did not fit: {out}");
        assert_eq!(out.stdout, "");
        assert_unchanged(&before, &env.snapshot(), &out);
    }
    // Not a key at all.
    let mut junk = Env::env_key();
    junk.vault = env.vault.clone();
    junk.set("TOKCTL_VAULT_KEY", "hunter2");
    let out = junk.fails(&["get", "gh"], b"", 5);
    assert!(!out.stderr.contains("hunter2"), "the key is never echoed: {out}");
    assert_unchanged(&before, &env.snapshot(), &out);
}

#[test]
fn a_headless_machine_lives_on_a_passphrase() {
    // No keyring, no key: TOKCTL_PASSPHRASE protects the new vault and opens it again.
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "correct horse battery staple");
    let secret = env.create("ci", &["--scope", "deploy"]);
    let text = String::from_utf8(env.vault_bytes()).unwrap();
    assert!(text.contains("argon2id"), "a passphrase slot in the header:\n{text}");
    assert_eq!(env.get("ci"), secret);
    env.import("expo", "expo-secret", &[]);
    env.ok(&["update", "ci", "--add-scope", "x"], b"");
    env.cmd(&["verify", "--scope", "deploy"]).write_stdin(secret.clone()).assert().success().stdout("ci\n");
    let key = env.export_key();
    env.cmd(&["doctor"]).assert().success();

    // A wrong passphrase is exit 5 and changes nothing.
    let before = env.snapshot();
    env.set("TOKCTL_PASSPHRASE", "incorrect horse battery staple");
    for args in [&["get", "ci"][..], &["create", "more"]] {
        let out = env.fails(args, b"", 5);
        assert!(out.stderr.contains("TOKCTL_PASSPHRASE"), "{out}");
        assert!(!out.stderr.contains("horse"), "the passphrase is never echoed: {out}");
        assert_unchanged(&before, &env.snapshot(), &out);
    }
    // Nothing at all: exit 5, saying what to set.
    env.unset("TOKCTL_PASSPHRASE");
    let out = env.fails(&["get", "ci"], b"", 5);
    for want in ["TOKCTL_VAULT_KEY", "key import", "TOKCTL_PASSPHRASE"] {
        assert!(out.stderr.contains(want), "the message names {want}: {out}");
    }
    assert!(out.stderr.lines().count() <= 4, "two or three lines: {out}");
    assert_unchanged(&before, &env.snapshot(), &out);
    // The exported key opens it too.
    env.set("TOKCTL_VAULT_KEY", &key);
    assert_eq!(env.get("ci"), secret);
}

#[test]
fn a_new_vault_without_keyring_or_passphrase_is_refused() {
    let env = Env::bare();
    let out = env.fails(&["create", "x"], b"", 5);
    assert!(out.stderr.contains("TOKCTL_PASSPHRASE"), "{out}");
    assert_eq!(out.stdout, "", "no secret printed for a token that was not stored");
    assert!(!env.vault.exists(), "no vault without a way to unlock it");
    // Too short a passphrase is a usage error.
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "short");
    env.fails(&["create", "x"], b"", 2);
    assert!(!env.vault.exists());
}

#[test]
fn with_the_keyring_off_and_nothing_set_a_keyring_vault_says_how_to_unlock() {
    let mut env = Env::keyring();
    env.create("gh", &[]);
    let before = env.snapshot();
    env.set("TOKCTL_KEYRING", "none");
    let out = env.fails(&["get", "gh"], b"", 5);
    assert!(out.stderr.contains("TOKCTL_VAULT_KEY"), "{out}");
    assert!(out.stderr.contains("key import"), "{out}");
    assert!(out.stderr.lines().count() <= 3, "two or three lines: {out}");
    assert_unchanged(&before, &env.snapshot(), &out);
    let out = env.fails(&["create", "more"], b"", 5);
    assert_unchanged(&before, &env.snapshot(), &out);
}

#[test]
fn a_dead_dbus_locks_an_existing_vault_promptly_and_makes_no_new_key() {
    let mut env = Env::keyring();
    let secret = env.create("gh", &[]);
    let id = env.vault_id();
    let key = keyring_key(&id).expect("the key is in the keyring");
    let before = env.snapshot();
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    for args in [&["get", "gh"][..], &["create", "another"], &["update", "gh", "--note", "x"], &["key", "rotate"]] {
        let out = env.fails(args, b"", 5);
        assert!(out.elapsed < Duration::from_secs(8), "promptly: {out}");
        assert!(out.stderr.to_lowercase().contains("keyring"), "the cause is named: {out}");
        assert!(!out.stdout.contains(&secret), "{out}");
        assert_unchanged(&before, &env.snapshot(), &out);
    }
    env.unset("DBUS_SESSION_BUS_ADDRESS");
    assert_eq!(keyring_key(&id), Some(key), "the keyring entry is unchanged");
    assert_eq!(env.get("gh"), secret);
}

#[test]
fn a_keyring_that_never_answers_is_given_up_after_the_timeout() {
    let mut env = Env::keyring();
    let secret = env.create("gh", &[]);
    let before = env.snapshot();
    let bus = SilentBus::start();
    env.set("DBUS_SESSION_BUS_ADDRESS", &bus.address).set("TOKCTL_KEYRING_TIMEOUT", "1");
    for args in [&["get", "gh"][..], &["create", "another"]] {
        let out = env.fails(args, b"", 5);
        assert!(out.elapsed < Duration::from_secs(8), "a hanging keyring is given up: {out}");
        assert!(out.stderr.contains("did not answer") || out.stderr.contains("TOKCTL_KEYRING_TIMEOUT"), "{out}");
        assert!(!out.stdout.contains(&secret));
        assert_unchanged(&before, &env.snapshot(), &out);
    }
    // The exported key still works while the keyring hangs: it is asked first.
    drop(bus);
    env.unset("DBUS_SESSION_BUS_ADDRESS").unset("TOKCTL_KEYRING_TIMEOUT");
    let key = env.export_key();
    let bus = SilentBus::start();
    env.set("DBUS_SESSION_BUS_ADDRESS", &bus.address).set("TOKCTL_KEYRING_TIMEOUT", "1");
    env.set("TOKCTL_VAULT_KEY", &key);
    let start = Instant::now();
    assert_eq!(env.get("gh"), secret);
    assert!(start.elapsed() < Duration::from_secs(8));
}

#[test]
fn a_keyring_that_forgot_the_key_is_not_a_reason_to_rekey() {
    let mut env = Env::keyring();
    let secret = env.create("gh", &[]);
    let key = env.export_key();
    let id = env.vault_id();
    let cleared = secret_tool(&["clear", "service", "tokctl", "username", &id], b"");
    assert_eq!(cleared.code, 0, "secret-tool clear\n{cleared}");
    assert_eq!(keyring_key(&id), None);

    let before = env.snapshot();
    for args in [&["get", "gh"][..], &["create", "new-one"], &["list"], &["key", "export"]] {
        let out = env.fails(args, b"", 5);
        assert!(out.stderr.contains("no key for this vault"), "says the keyring has no key: {out}");
        assert!(out.stderr.contains("key import"), "says how to put it back: {out}");
        assert_unchanged(&before, &env.snapshot(), &out);
    }
    assert_eq!(keyring_key(&id), None, "no new key was stored");

    // The exported key still opens it.
    env.set("TOKCTL_VAULT_KEY", &key);
    assert_eq!(env.get("gh"), secret);
    env.unset("TOKCTL_VAULT_KEY");

    // A wrong key is refused by `key import`.
    env.cmd(&["key", "import"]).write_stdin(random_key()).assert().code(5);
    assert_eq!(keyring_key(&id), None);
    // `key import` puts it back; plain `get` works again.
    env.cmd(&["key", "import"]).write_stdin(format!("{key}\n")).assert().success().stdout("");
    assert_eq!(keyring_key(&id), Some(key));
    assert_eq!(env.get("gh"), secret);
}

/// A vault in the OS keyring holding `gh`, with a passphrase slot too (`key passphrase` takes
/// the first line of `stdin`): the test's `Env` and `gh`'s secret.
fn keyring_vault_with_a_passphrase(stdin: &str) -> (Env, String) {
    let env = Env::keyring();
    let secret = env.create("gh", &[]);
    env.cmd(&["key", "passphrase"]).write_stdin(stdin).assert().success();
    (env, secret)
}

#[test]
fn a_passphrase_recovers_a_vault_whose_keyring_entry_is_gone() {
    let (mut env, secret) = keyring_vault_with_a_passphrase("my recovery phrase\nignored second line\n");
    let id = env.vault_id();
    secret_tool(&["clear", "service", "tokctl", "username", &id], b"");
    env.fails(&["get", "gh"], b"", 5);
    env.set("TOKCTL_PASSPHRASE", "my recovery phrase");
    assert_eq!(env.get("gh"), secret);
    env.cmd(&["key", "import"]).assert().success();
    env.unset("TOKCTL_PASSPHRASE");
    assert_eq!(env.get("gh"), secret, "the keyring has the key again");
    assert!(keyring_key(&id).is_some());
}

#[test]
fn rotating_the_key_kills_exported_keys_but_the_keyring_keeps_working() {
    let mut env = Env::keyring();
    let secret = env.create("gh", &[]);
    env.ok(&["update", "gh", "--note", "before the rotation"], b"");
    let old = env.export_key();
    let id = env.vault_id();
    env.cmd(&["key", "rotate"]).assert().success().stdout("");
    let new = env.export_key();
    assert_ne!(new, old);
    assert_eq!(keyring_key(&id), Some(new.clone()), "the keyring holds the new key");
    assert_eq!(env.get("gh"), secret, "the keyring still opens it");
    let log = env.json(&["log", "--json"]);
    assert!(log.as_array().unwrap().iter().any(|e| e["action"] == "updated"), "the log survives: {log}");

    env.set("TOKCTL_VAULT_KEY", &old);
    let out = env.fails(&["get", "gh"], b"", 5);
    assert!(!out.stderr.contains(&old), "{out}");
    env.set("TOKCTL_VAULT_KEY", &new);
    assert_eq!(env.get("gh"), secret);
}

#[test]
fn a_passphrase_survives_a_key_rotation_and_can_be_changed() {
    let mut env = Env::env_key();
    let secret = env.create("gh", &[]);
    env.cmd(&["key", "passphrase"]).write_stdin("first passphrase\n").assert().success().stdout("");
    // On a headless vault the rotation needs the passphrase to re-wrap the new key.
    env.fails(&["key", "rotate"], b"", 5);
    env.set("TOKCTL_PASSPHRASE", "first passphrase");
    env.cmd(&["key", "rotate"]).assert().success();
    env.unset("TOKCTL_VAULT_KEY");
    assert_eq!(env.get("gh"), secret, "the passphrase opens the rotated vault");
    env.cmd(&["key", "passphrase"]).write_stdin("second passphrase\n").assert().success();
    env.set("TOKCTL_PASSPHRASE", "second passphrase");
    assert_eq!(env.get("gh"), secret);
    env.set("TOKCTL_PASSPHRASE", "first passphrase");
    env.fails(&["get", "gh"], b"", 5);
    // Too short a new passphrase is a usage error and changes nothing.
    env.set("TOKCTL_PASSPHRASE", "second passphrase");
    let before = env.snapshot();
    let out = env.fails(&["key", "passphrase"], b"short\n", 2);
    assert_unchanged(&before, &env.snapshot(), &out);
}

#[test]
fn a_new_vault_made_with_tokctl_vault_key_takes_that_key_and_keeps_a_keyring_copy() {
    let mut env = Env::keyring();
    let key = random_key();
    env.set("TOKCTL_VAULT_KEY", &key);
    let secret = env.create("gh", &[]);
    assert_eq!(env.export_key(), key, "the vault is sealed with the given key");
    assert_eq!(keyring_key(&env.vault_id()), Some(key), "and the keyring holds a copy");
    env.unset("TOKCTL_VAULT_KEY");
    assert_eq!(env.get("gh"), secret);
}

#[test]
fn a_dead_or_hanging_keyring_falls_through_to_the_passphrase() {
    let (mut env, secret) = keyring_vault_with_a_passphrase("fallback passphrase\n");
    env.set("TOKCTL_PASSPHRASE", "fallback passphrase");
    env.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    assert_eq!(env.get("gh"), secret, "a dead keyring");
    let bus = SilentBus::start();
    env.set("DBUS_SESSION_BUS_ADDRESS", &bus.address).set("TOKCTL_KEYRING_TIMEOUT", "1");
    let t = Instant::now();
    let out = env.run(&["get", "-n", "gh"], b"");
    assert_eq!(out.code, 0, "a hanging keyring is given up, then the passphrase: {out}");
    assert_eq!(out.stdout, secret);
    assert!(t.elapsed() < Duration::from_secs(8), "{out}");
    env.ok(&["update", "gh", "--note", "written without the keyring"], b"");
    drop(bus);
    env.unset("DBUS_SESSION_BUS_ADDRESS").unset("TOKCTL_KEYRING_TIMEOUT").unset("TOKCTL_PASSPHRASE");
    assert_eq!(env.get("gh"), secret, "the keyring entry still fits");
}

/// What tokctl asked the Secret Service while `run` ran, as seen by a real `dbus-monitor` on the
/// bus at `address` (a private one: other tests' calls must not mix in): the member of every
/// method call to `org.freedesktop.Secret.*`, in order. The monitor is known to be listening
/// once it printed its first line, and to have seen everything once a marker call made after
/// `run` shows up.
fn secret_service_calls(address: &str, run: impl FnOnce()) -> Vec<String> {
    use std::io::BufRead;
    let mut mon = std::process::Command::new("dbus-monitor")
        .args(["--session", "--monitor"])
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("dbus-monitor (package dbus) runs");
    let mut lines = std::io::BufReader::new(mon.stdout.take().unwrap()).lines();
    lines.next().expect("dbus-monitor prints once it listens").unwrap();
    run();
    let marker = format!("tokctl-test-marker-{}", std::process::id());
    let sent = std::process::Command::new("dbus-send")
        .env("DBUS_SESSION_BUS_ADDRESS", address)
        .args([
            "--session",
            "--type=signal",
            &format!("/org/tokctl/{}", marker.replace('-', "_")),
            "org.tokctl.Test.Done",
        ])
        .status()
        .unwrap();
    assert!(sent.success());
    let mut calls = Vec::new();
    for line in lines {
        let line = line.unwrap();
        if line.contains(&marker.replace('-', "_")) {
            break;
        }
        if line.starts_with("method call") && line.contains("interface=org.freedesktop.Secret.") {
            let member = line.split("member=").nth(1).unwrap_or("").trim().to_string();
            calls.push(member);
        }
    }
    let _ = mon.kill();
    let _ = mon.wait();
    calls
}

#[test]
fn a_keyring_read_is_one_exchange_with_the_secret_service() {
    // Issue 18: one Secret Service round trip per command. The key and the record of the
    // file's generation (rollback detection) are searched for together and read with one
    // `GetSecrets`; no item is read on its own, and no second session is opened.
    // A Secret Service of this test's own: the shared one answers other tests meanwhile.
    let pk = PrivateKeyring::start();
    let mut env = Env::new(Mode::Keyring);
    env.set("DBUS_SESSION_BUS_ADDRESS", &pk.address);
    env.set("TOKCTL_CACHE_TTL", "off"); // every command asks the keyring, none the unlock cache
    let secret = env.create("gh", &[]);
    env.create("warm", &[]); // a write: the generation record exists from here on
    for args in [&["get", "gh"][..], &["exec", "-t", "gh", "--", "true"], &["list"]] {
        let mut out = None;
        let calls = secret_service_calls(&pk.address, || out = Some(env.succeeds(args, b"")));
        if args[0] == "get" {
            assert_eq!(out.unwrap().stdout, format!("{secret}\n"));
        }
        let count = |m: &str| calls.iter().filter(|c| *c == m).count();
        assert_eq!(count("OpenSession"), 1, "{args:?} opened one session: {calls:?}");
        assert_eq!(count("GetSecrets"), 1, "{args:?} read every item in one call: {calls:?}");
        assert_eq!(count("GetSecret"), 0, "{args:?} read no item on its own: {calls:?}");
        let last_search = calls.iter().rposition(|c| c == "SearchItems").unwrap();
        let first_read = calls.iter().position(|c| c == "GetSecrets").unwrap();
        assert!(last_search < first_read, "{args:?} searched for everything before reading: {calls:?}");
    }
}
