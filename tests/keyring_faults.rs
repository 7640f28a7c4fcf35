//! Keyring faults, each on a throw-away gnome-keyring of its own (`PrivateKeyring`), so the one
//! the other tests share is never locked: a locked collection, and a vault moved to a machine
//! whose keyring never had its key. (A dead, hanging or forgetful keyring is in `unlock.rs`.)

use std::time::Duration;

use crate::support::*;

#[test]
fn a_locked_keyring_collection_is_exit_5_in_time_and_never_a_new_key() {
    let pk = PrivateKeyring::start();
    let mut env = Env::new(Mode::Keyring);
    env.set("DBUS_SESSION_BUS_ADDRESS", &pk.address);
    let secret = env.create("gh", &[]);
    let id = env.vault_id();
    let key = env.export_key();
    let attrs = [("service", "tokctl"), ("username", id.as_str())];
    let (unlocked, locked) = pk.search_items(&attrs);
    assert!(unlocked.len() == 1 && locked.is_empty(), "one unlocked entry for the vault: {unlocked:?} {locked:?}");
    // The collection that holds the entry (gnome-keyring's `login`, the `default` alias).
    let collection = unlocked[0].rsplit_once('/').unwrap().0.to_string();
    assert!(collection.starts_with("/org/freedesktop/secrets/collection/"), "{collection}");
    pk.lock(&collection);
    let (unlocked, locked) = pk.search_items(&attrs);
    assert!(unlocked.is_empty() && locked.len() == 1, "the entry is locked now: {unlocked:?} {locked:?}");

    let before = env.snapshot();
    env.set("TOKCTL_KEYRING_TIMEOUT", "2");
    for args in [
        &["get", "gh"][..],
        &["list"],
        &["create", "another"],
        &["update", "gh", "--note", "x"],
        &["key", "rotate"],
        &["key", "export"],
    ] {
        let out = env.fails(args, b"", 5);
        // Either gnome-keyring refuses at once (no prompter without a display) or tokctl gives
        // up after the 2 s timeout; 8 s bounds a hang, it is not a speed test.
        assert!(out.elapsed < Duration::from_secs(8), "a locked collection must not hang tokctl\n{out}");
        assert!(out.stderr.to_lowercase().contains("keyring"), "the cause is named\n{out}");
        assert!(out.stderr.contains("TOKCTL_VAULT_KEY"), "and what to do instead\n{out}");
        if args[0] != "key" || args[1] == "export" {
            // The key is not lost, only locked away: unlocking is the way, not `key import`.
            assert!(out.stderr.contains("unlock the OS keyring"), "{out}");
            assert!(!out.stderr.contains("key import"), "{out}");
        }
        assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret), "{out}");
        assert!(!out.stderr.contains(&key), "{out}");
        assert_unchanged(&before, &env.snapshot(), &out);
    }
    // Still exactly one entry for the vault, still locked: no new key was made or stored.
    let (unlocked, locked) = pk.search_items(&[("service", "tokctl")]);
    assert!(unlocked.is_empty() && locked.len() == 1, "no new keyring entry: {unlocked:?} {locked:?}");
    // The exported key still opens it while the keyring stays locked: nothing was orphaned.
    env.set("TOKCTL_VAULT_KEY", &key);
    assert_eq!(env.get("gh"), secret);
    env.ok(&["update", "gh", "--note", "written while the keyring was locked"], b"");
    assert_eq!(env.export_key(), key, "the vault key did not change");
}

#[test]
fn a_vault_moved_to_a_machine_whose_keyring_never_had_it_is_exit_5_and_untouched() {
    let home = Env::keyring();
    let secret = home.create("gh", &["--scope", "repo"]);
    home.import("expo", "expo-secret-value", &[]);
    let key = home.export_key();

    // The other machine: its own keyring, which never saw this vault.
    let pk = PrivateKeyring::start();
    let mut away = Env::new(Mode::Keyring);
    away.set("DBUS_SESSION_BUS_ADDRESS", &pk.address);
    std::fs::create_dir_all(away.vault.parent().unwrap()).unwrap();
    std::fs::copy(&home.vault, &away.vault).unwrap();
    std::fs::copy(home.log_path(), away.log_path()).unwrap();
    std::fs::copy(sibling(&home.vault, ".lock"), sibling(&away.vault, ".lock")).unwrap();
    let before = away.snapshot();
    for args in [
        &["get", "gh"][..],
        &["list"],
        &["show", "expo"],
        &["create", "new-one"],
        &["update", "gh", "--note", "x"],
        &["revoke", "expo", "--yes"],
        &["key", "rotate"],
        &["key", "export"],
        &["key", "passphrase"],
    ] {
        let out = away.fails(args, b"a passphrase long enough\n", 5);
        assert!(out.stderr.contains("no key for this vault"), "says the keyring has no key\n{out}");
        assert!(out.stderr.contains("key import"), "says how to bring the key over\n{out}");
        assert!(!out.stdout.contains(&secret) && !out.stderr.contains(&secret), "{out}");
        assert_unchanged(&before, &away.snapshot(), &out);
    }
    let entries = pk.tokctl_entries();
    assert!(!entries.contains("service"), "no keyring entry was made on the other machine: {entries}");

    // The documented move: `key import` with the exported key, then the keyring opens it there.
    away.cmd(&["key", "import"]).write_stdin(format!("{key}\n")).assert().success();
    assert_eq!(away.get("gh"), secret);
    let entries = pk.tokctl_entries();
    assert_eq!(entries.matches("attribute.service = tokctl").count(), 1, "{entries}");
}
