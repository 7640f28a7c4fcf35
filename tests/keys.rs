//! The vault key's life beside other processes (issue 17, items 1, 7 and 14): `key import` and a
//! copy's rotation landing inside a rotation never lose a key; after a rotation the old key opens
//! nothing written later, the log included; a vault kept out of the keyring stays out of it.
//! Real Secret Service, real processes; a rotation is held at one step with strace's fault
//! injection, no hook in the product.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::support::*;

fn strace_available() {
    let ok = Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success());
    assert!(ok, "these tests need strace (apt-get install strace); .ci/run installs it");
}

/// The main thread's 11th new thread in `key rotate` on a keyring vault is the keyring call right
/// after the main entry was given the new key (seen with `strace -f -e trace=clone3`): before
/// this fix, the deletion of the staged copy of the new key. Stall it for `secs`.
fn rotation_stalled_after_main_is_new<'e>(env: &'e Env, vault: &Path, secs: u64) -> Running<'e> {
    let delay = format!("inject=clone3:delay_enter={}:when=11", secs * 1_000_000);
    let mut c =
        env.std_cmd_of("strace", &["-f", "-o", "/dev/null", "-e", "trace=clone3", "-e", &delay, BIN, "key", "rotate"]);
    c.env("TOKCTL_VAULT", vault);
    env.spawn(c)
}

/// Wait until the keyring's main entry for `id` no longer holds `old`: the rotation got there.
fn wait_for_main_to_leave(id: &str, old: &str) {
    wait_until("the rotation to give the main entry its new key", Duration::from_secs(60), || {
        keyring_key(id).filter(|k| k != old).map(|_| ())
    });
}

fn copy_of(env: &Env, name: &str) -> PathBuf {
    let copy = env.root.join("vault").join(name);
    std::fs::copy(&env.vault, &copy).unwrap();
    copy
}

/// `get NAME` on the vault at `vault`, with whatever the keyring holds.
fn get_from(env: &Env, vault: &Path, name: &str) -> Out {
    let mut c = env.std_cmd(&["get", "-n", name]);
    c.env("TOKCTL_VAULT", vault);
    env.run_cmd(c, b"")
}

#[test]
fn key_import_landing_inside_a_rotation_never_loses_the_new_key() {
    strace_available();
    let env = Env::keyring();
    let secret = env.create("tk", &[]);
    let id = env.vault_id();
    let old = env.export_key();
    // The import reads the vault (still under the old key, which fits), then waits for its key
    // on stdin: it is held there while the rotation runs.
    let mut import = env.spawn(env.std_cmd(&["key", "import"]));
    wait_for_read_on(import.pid(), 0, Duration::from_secs(30));
    let rotation = rotation_stalled_after_main_is_new(&env, &env.vault, 6);
    wait_for_main_to_leave(&id, &old);
    // The rotation is stalled right after "main = new key": the import lands now.
    import.feed(format!("{old}\n").as_bytes());
    let import = import.finish(Duration::from_secs(60));
    let rotation = rotation.finish(Duration::from_secs(60));
    assert_eq!(rotation.code, 0, "{rotation}");
    assert!([0, 5].contains(&import.code), "the import succeeds or says its key no longer fits\n{import}");
    let out = get_from(&env, &env.vault, "tk");
    assert_eq!(out.code, 0, "the vault must open from the keyring after the race\nimport: {import}\n{out}");
    assert_eq!(out.stdout, secret);
}

#[test]
fn rotating_a_vault_and_its_copy_at_the_same_moment_keeps_both_keys() {
    strace_available();
    let env = Env::keyring();
    let secret = env.create("tk", &[]);
    let id = env.vault_id();
    let old = env.export_key();
    let copy = copy_of(&env, "copy.toml");
    // The original's rotation stops right after it gave the main entry its new key; the copy
    // (same id, another file, so another writers' lock) is re-keyed meanwhile.
    let rotation = rotation_stalled_after_main_is_new(&env, &env.vault, 6);
    wait_for_main_to_leave(&id, &old);
    let mut c = env.std_cmd(&["key", "rotate"]);
    c.env("TOKCTL_VAULT", &copy);
    let copy_rotation = env.run_cmd(c, b"");
    let rotation = rotation.finish(Duration::from_secs(60));
    assert_eq!((rotation.code, copy_rotation.code), (0, 0), "{rotation}\n{copy_rotation}");
    for vault in [&env.vault, &copy] {
        let out = get_from(&env, vault, "tk");
        assert_eq!(out.code, 0, "{} must still open from the keyring\n{out}", vault.display());
        assert_eq!(out.stdout, secret);
    }
}

#[test]
fn rotations_imports_passphrase_changes_and_writes_on_a_vault_and_its_copy_at_once_lose_no_key() {
    // Bounded: three waves of eleven processes on two files of one vault id.
    let _one_at_a_time = keyring_load();
    let mut env = Env::keyring();
    env.set("TOKCTL_PASSPHRASE", "stress passphrase");
    let mut secrets = vec![("base".to_string(), env.create("base", &[]))];
    env.ok(&["key", "passphrase"], b"stress passphrase\n");
    let copy = copy_of(&env, "copy.toml");
    let copy_secret = secrets[0].1.clone();
    let on = |vault: &Path, args: &[&str]| {
        let mut c = env.std_cmd(args);
        c.env("TOKCTL_VAULT", vault);
        c
    };
    for wave in 0..3 {
        let original_key = env.export_key();
        let mut copy_export = on(&copy, &["key", "export"]);
        copy_export.env("TOKCTL_KEYRING", "none");
        let copy_key = env.run_cmd(copy_export, b"").stdout.trim().to_string();
        env.remember(&copy_key);
        let mut running = Vec::new();
        for (vault, n) in [(&env.vault, 3), (&copy, 2)] {
            for _ in 0..n {
                running.push(("rotate", env.spawn(on(vault, &["-q", "key", "rotate"])), Vec::new()));
            }
        }
        for (vault, key) in [(&env.vault, &original_key), (&copy, &copy_key)] {
            running.push(("import", env.spawn(on(vault, &["-q", "key", "import"])), format!("{key}\n").into_bytes()));
        }
        running.push((
            "passphrase",
            env.spawn(on(&copy, &["-q", "key", "passphrase"])),
            b"stress passphrase\n".to_vec(),
        ));
        let names: Vec<String> = (0..3).map(|i| format!("w{wave}-{i}")).collect();
        for n in &names {
            running.push(("create", env.spawn(on(&env.vault, &["create", "--force", n])), Vec::new()));
        }
        let outs: Vec<(&str, Out)> = running
            .into_iter()
            .map(|(what, mut r, stdin)| {
                r.feed(&stdin);
                (what, r.finish(RUN_TIMEOUT))
            })
            .collect();
        let mut created = outs.iter().filter(|(w, _)| *w == "create");
        for n in &names {
            let (_, out) = created.next().unwrap();
            assert_eq!(out.code, 0, "a create beside rotations\n{out}");
            secrets.push((n.clone(), out.stdout.trim().to_string()));
        }
        for (what, out) in &outs {
            // An exported key that a rotation made stale is refused (5); nothing else may fail.
            let allowed: &[i32] = if *what == "import" { &[0, 5] } else { &[0] };
            assert!(allowed.contains(&out.code), "{what} in wave {wave}\n{out}");
        }
        // Both files open from the keyring alone, without the passphrase.
        for (name, want) in &secrets {
            let mut c = on(&env.vault, &["get", "-n", name]);
            c.env_remove("TOKCTL_PASSPHRASE");
            let out = env.run_cmd(c, b"");
            assert_eq!((out.code, &out.stdout), (0, want), "'{name}' after wave {wave}\n{out}");
        }
        let mut c = on(&copy, &["get", "-n", "base"]);
        c.env_remove("TOKCTL_PASSPHRASE");
        let out = env.run_cmd(c, b"");
        assert_eq!((out.code, &out.stdout), (0, &copy_secret), "the copy after wave {wave}\n{out}");
    }
}

#[test]
fn rotating_a_passphrase_only_vault_puts_nothing_in_the_keyring() {
    let mut env = Env::keyring();
    env.set("TOKCTL_PASSPHRASE", "only a passphrase");
    // Made with the keyring off: the owner keeps this vault's key out of it.
    env.set("TOKCTL_KEYRING", "none");
    let secret = env.create("tk", &[]);
    let id = env.vault_id();
    let in_keyring = || {
        let out = secret_tool(&["search", "--all", "service", "tokctl"], b"");
        (out.stdout + &out.stderr).lines().filter(|l| l.contains(&id)).map(str::to_string).collect::<Vec<_>>()
    };
    assert_eq!(in_keyring(), Vec::<String>::new(), "no entry to begin with");
    // The keyring is there and answers when the key is rotated and the passphrase changed.
    env.unset("TOKCTL_KEYRING");
    env.ok(&["key", "rotate"], b"");
    assert_eq!(in_keyring(), Vec::<String>::new(), "a rotation must not copy the key into the keyring");
    env.ok(&["key", "passphrase"], b"a second passphrase\n");
    assert_eq!(in_keyring(), Vec::<String>::new(), "a passphrase change must not either");
    env.set("TOKCTL_PASSPHRASE", "a second passphrase");
    assert_eq!(env.get("tk"), secret);
}

/// Run tokctl on `vault` with `key` alone (no keyring, no passphrase): what someone holding an
/// exported key and a copy of the file can do.
fn with_old_key(env: &Env, vault: &Path, key: &str, args: &[&str]) -> Out {
    let mut c = env.std_cmd(args);
    c.env("TOKCTL_VAULT", vault).env("TOKCTL_VAULT_KEY", key).env("TOKCTL_KEYRING", "none");
    c.env_remove("TOKCTL_PASSPHRASE");
    env.run_cmd(c, b"")
}

#[test]
fn after_a_rotation_an_exported_old_key_reads_no_new_event_and_appends_none_that_counts() {
    let env = Env::keyring();
    env.create("early", &[]);
    let old_key = env.export_key();
    let old_copy = copy_of(&env, "old-copy.toml");
    env.ok(&["key", "rotate"], b"");
    env.create("late", &[]);
    env.ok(&["get", "late"], b"");

    // Someone with the old key and the old copy, beside today's log.
    let log = env.log_path();
    let their_log = sibling(&old_copy, ".log");
    std::fs::copy(&log, &their_log).unwrap();
    // (Their copy is older than what today's log says, if they can read it: they accept that.)
    let out = with_old_key(&env, &old_copy, &old_key, &["accept-rollback"]);
    assert_eq!(out.code, 0, "{out}");
    let seen = with_old_key(&env, &old_copy, &old_key, &["log", "--json"]);
    assert_eq!(seen.code, 0, "{seen}");
    assert!(seen.stdout.contains("early"), "the old key still reads what was written before:\n{seen}");
    assert!(!seen.stdout.contains("late"), "the old key reads events written after the rotation:\n{seen}");
    assert!(!seen.stdout.contains("key-rotated"), "the old key reads the rotation's own event:\n{seen}");

    // They append an event to it with the old key and put the log back.
    let out = with_old_key(&env, &old_copy, &old_key, &["update", "early", "--note", "planted"]);
    assert_eq!(out.code, 0, "{out}");
    std::fs::copy(&their_log, &log).unwrap();

    // The owner's log and doctor say that event is not valid.
    let events = env.json(&["log", "--json"]);
    let planted: Vec<_> =
        events.as_array().unwrap().iter().filter(|e| e["token"] == "early" && e["action"] == "updated").collect();
    assert!(!planted.is_empty(), "the planted event is shown: {events}");
    for e in &planted {
        assert_eq!(e["chain"], "broken", "an event appended with the old key is marked: {e}");
        assert!(e["break"].as_str().is_some_and(|w| w.contains("retired")), "and says why: {e}");
    }
    let doctor = env.run(&["doctor"], b"");
    assert_eq!(doctor.code, 6, "doctor reports the planted event\n{doctor}");
    // Today's events still read, and a later event chains on as before.
    env.ok(&["get", "late"], b"");
    let events = env.json(&["log", "--json"]);
    let newest = &events.as_array().unwrap()[0];
    assert_eq!((newest["action"].as_str(), newest["chain"].as_str()), (Some("used"), Some("linked")), "{events}");
}
