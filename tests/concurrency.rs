//! Many tokctl processes at once lose no update and duplicate none; readers never wait for a
//! writer, writers queue on the lock; key rotations keep readers and the keyring whole.
//! (Writers killed mid-write are in `kill.rs`.)

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use crate::support::*;

/// Spawn every command at once, then feed each its stdin and wait for all of them.
fn all_at_once(env: &Env, cmds: Vec<(std::process::Command, Vec<u8>)>) -> Vec<Out> {
    let running: Vec<_> = cmds.into_iter().map(|(c, stdin)| (env.spawn(c), stdin)).collect();
    running
        .into_iter()
        .map(|(mut r, stdin)| {
            r.feed(&stdin);
            r.finish(RUN_TIMEOUT)
        })
        .collect()
}

#[test]
fn forty_imports_at_once_all_land() {
    let _one_at_a_time = keyring_load();
    let env = Env::keyring();
    env.ok(&["init"], b"");
    let cmds = (0..40)
        .map(|i| (env.std_cmd(&["import", &format!("token-{i:02}")]), format!("secret-number-{i}\n").into_bytes()))
        .collect();
    for out in all_at_once(&env, cmds) {
        assert_eq!(out.code, 0, "{out}");
    }
    let names = env.names();
    let want: Vec<String> = (0..40).map(|i| format!("token-{i:02}")).collect();
    assert_eq!(names, want, "no import was lost");
    for i in [0, 17, 39] {
        assert_eq!(env.get(&format!("token-{i:02}")), format!("secret-number-{i}"));
    }
    let log = env.json(&["log", "--json"]);
    assert_eq!(log.as_array().unwrap().iter().filter(|e| e["action"] == "imported").count(), 40, "{log}");
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
}

#[test]
fn writers_racing_to_create_the_first_vault_make_exactly_one() {
    let env = Env::env_key();
    let cmds = (0..12).map(|i| (env.std_cmd(&["create", &format!("first-{i:02}")]), Vec::new())).collect();
    let secrets: Vec<String> = all_at_once(&env, cmds)
        .into_iter()
        .map(|out| {
            assert_eq!(out.code, 0, "{out}");
            out.stdout.trim_end().to_string()
        })
        .collect();
    assert_eq!(env.names().len(), 12, "every create landed in the one vault");
    for (i, s) in secrets.iter().enumerate() {
        assert_eq!(&env.get(&format!("first-{i:02}")), s);
    }
}

#[test]
fn fifty_parallel_mixed_writers_lose_nothing_and_duplicate_nothing() {
    let env = Env::env_key();
    let premade = 13;
    let mut dotenv = String::new();
    for i in 0..premade {
        dotenv.push_str(&format!("UPD_{i}=update-me-{i}\nREV_{i}=revoke-me-{i}\n"));
    }
    env.ok(&["import", "--dotenv", "-"], dotenv.as_bytes());
    let log_before = env.json(&["log", "--json"]).as_array().unwrap().len();

    // 13 creates, 12 imports, 13 note updates, 12 revokes: 50 processes.
    let mut jobs: Vec<(String, Vec<String>, Vec<u8>)> = Vec::new();
    for i in 0..13 {
        jobs.push(("create".into(), vec!["create".into(), format!("new-c-{i}")], Vec::new()));
    }
    for i in 0..12 {
        jobs.push(("import".into(), vec!["import".into(), format!("new-i-{i}")], format!("imp-{i}\n").into_bytes()));
    }
    for i in 0..13 {
        let args = vec!["update".into(), format!("upd-{i}"), "--note".into(), format!("note-{i}")];
        jobs.push(("update".into(), args, Vec::new()));
    }
    for i in 0..12 {
        jobs.push(("revoke".into(), vec!["revoke".into(), format!("rev-{i}"), "--yes".into()], Vec::new()));
    }
    assert_eq!(jobs.len(), 50);
    // Interleave the kinds, spawn every process, then feed and wait for all of them.
    jobs.sort_by_key(|(_, args, _)| args[1].chars().rev().collect::<String>());
    let cmds = jobs.iter().map(|(_, args, stdin)| (env.std_cmd(args), stdin.clone())).collect();
    let mut minted: BTreeMap<String, String> = BTreeMap::new();
    for (out, (_, args, _)) in all_at_once(&env, cmds).into_iter().zip(&jobs) {
        assert_eq!(out.code, 0, "{args:?} failed\n{out}");
        if args[0] == "create" {
            minted.insert(args[1].clone(), out.stdout.trim_end().to_string());
        }
    }

    let list = env.json(&["list", "--all", "--json"]);
    let list = list.as_array().unwrap();
    let names: Vec<&str> = list.iter().map(|r| r["name"].as_str().unwrap()).collect();
    let unique: BTreeSet<&str> = names.iter().copied().collect();
    assert_eq!(names.len(), unique.len(), "a record appears twice: {names:?}");
    let ids: BTreeSet<&str> = list.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), list.len(), "two records share an id");
    assert_eq!(list.len(), 2 * premade + 13 + 12, "every create and import landed once: {names:?}");
    let rec = |n: &str| list.iter().find(|r| r["name"] == n).unwrap_or_else(|| panic!("{n} is missing: {names:?}"));
    for (name, secret) in &minted {
        assert!(secret.starts_with("tok_"), "{name}: {secret:?}");
        assert_eq!(&env.get(name), secret, "{name}: the printed secret is the stored one");
    }
    for i in 0..12 {
        assert_eq!(env.get(&format!("new-i-{i}")), format!("imp-{i}"));
        assert_eq!(rec(&format!("rev-{i}"))["status"], "revoked", "rev-{i}");
    }
    assert_eq!(rec("rev-12")["status"], "active", "a token no one revoked");
    for i in 0..13 {
        assert_eq!(rec(&format!("upd-{i}"))["note"], format!("note-{i}"), "upd-{i}: the update was not lost");
        assert_eq!(rec(&format!("upd-{i}"))["status"], "active");
        assert_eq!(env.get(&format!("upd-{i}")), format!("update-me-{i}"), "an update never touches the secret");
    }
    // One event per command, none twice.
    let log = env.json(&["log", "--json"]);
    let log = log.as_array().unwrap();
    let new_events = &log[..log.len() - log_before];
    let count = |action: &str| new_events.iter().filter(|e| e["action"] == action).count();
    assert_eq!(
        (count("created"), count("imported"), count("updated"), count("revoked")),
        (13, 12, 13, 12),
        "one log event per writer: {new_events:?}"
    );
    let per_token: BTreeSet<(String, String)> = new_events
        .iter()
        .filter(|e| e["action"] != "used")
        .map(|e| (e["action"].as_str().unwrap().into(), e["token"].as_str().unwrap().into()))
        .collect();
    assert_eq!(per_token.len(), 50, "each writer's event is there exactly once");
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
}

#[test]
fn readers_do_not_wait_for_a_writer_holding_the_lock_but_writers_queue() {
    let env = Env::env_key();
    let secret = env.create("gh", &[]);
    // Another writer holds the lock: the same advisory lock (flock) tokctl takes, on its file.
    let lock = sibling(&env.vault, ".lock");
    let holder = std::fs::OpenOptions::new().write(true).open(&lock).expect("the lock file exists");
    holder.lock().expect("flock the lock file");
    let t = Instant::now();
    assert_eq!(env.get("gh"), secret);
    env.ok(&["list", "--json"], b"");
    env.cmd(&["verify"]).write_stdin(secret.clone()).assert().success();
    assert!(t.elapsed() < Duration::from_secs(5), "readers did not wait: {:?}", t.elapsed());

    let mut writer = env.spawn(env.std_cmd(&["create", "queued"]));
    // The kernel lists the writer as waiting for the lock, and it has not finished.
    wait_for_lock_wait(writer.pid(), Duration::from_secs(20));
    assert_eq!(writer.exited(), None, "a writer waits for the lock");
    drop(holder);
    let out = writer.finish(Duration::from_secs(20));
    assert_eq!(out.code, 0, "the writer goes on once the lock is free\n{out}");
    assert_eq!(env.names(), ["gh", "queued"]);
}

#[test]
fn readers_keep_working_while_the_key_rotates() {
    let _one_at_a_time = keyring_load();
    let env = Env::keyring();
    let secret = env.create("gh", &[]);
    let done = std::sync::atomic::AtomicBool::new(false);
    let failures = std::sync::Mutex::new(Vec::new());
    let reads = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        s.spawn(|| {
            for _ in 0..10 {
                let out = env.run(&["key", "rotate"], b"");
                if out.code != 0 {
                    failures.lock().unwrap().push(format!("rotate failed\n{out}"));
                }
            }
            done.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        for _ in 0..3 {
            s.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::SeqCst) {
                    let out = env.run(&["get", "-n", "gh"], b"");
                    reads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    if out.code != 0 || out.stdout != secret {
                        failures.lock().unwrap().push(format!("a reader failed during a rotation\n{out}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    let reads = reads.into_inner();
    assert!(failures.is_empty(), "{} of {reads} reads failed:\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn a_rotation_after_an_interrupted_one_repairs_the_keyring_and_never_loses_the_key() {
    let env = Env::keyring();
    let secret = env.create("gh", &[]);
    let id = env.vault_id();
    let k1 = env.export_key();
    env.ok(&["key", "rotate"], b"");
    let k2 = env.export_key();
    // The state a rotation leaves when it dies after writing the vault and before updating the
    // keyring: the vault is under K2, the main entry still holds K1, K2 is staged as pending.
    keyring_store(&id, &k1);
    keyring_store(&format!("{id}+pending"), &k2);
    assert_eq!(env.get("gh"), secret, "the staged key opens the vault");

    // The next rotation first puts the current key back under the main entry, so whatever
    // becomes of the new key it stages, the vault's key is never only under `+pending`.
    env.ok(&["key", "rotate"], b"");
    let k3 = env.export_key();
    assert_ne!(k3, k2);
    assert_eq!(keyring_key(&id).as_deref(), Some(k3.as_str()), "the main entry holds the new key");
    assert_eq!(keyring_key(&format!("{id}+pending")), None, "nothing is left staged");
    let out = env.run(&["get", "-n", "gh"], b"");
    assert_eq!(out.code, 0, "the user is locked out of the vault after a rotation\n{out}");
    assert_eq!(out.stdout, secret);
}
