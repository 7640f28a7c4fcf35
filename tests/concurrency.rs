//! Many tokctl processes at once lose no update, and a writer killed at any instant leaves the
//! old vault or the new one, never a broken one.

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::util::*;

/// Spawn every command at once, then wait for all of them.
fn all_at_once(cmds: Vec<(std::process::Command, Vec<u8>)>) -> Vec<Out> {
    let children: Vec<_> = cmds
        .into_iter()
        .map(|(mut c, stdin)| {
            let what = format!("{c:?}");
            c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = c.spawn().expect("spawn tokctl");
            (what, child.stdin.take().expect("stdin"), stdin, child)
        })
        .collect();
    let start = Instant::now();
    children
        .into_iter()
        .map(|(what, mut w, stdin, child)| {
            std::io::Write::write_all(&mut w, &stdin).expect("feed stdin");
            drop(w);
            Out::of(what, child.wait_with_output().expect("wait"), start)
        })
        .collect()
}

#[test]
fn forty_imports_at_once_all_land() {
    let env = Env::keyring();
    env.ok(&["init"], b"");
    let cmds = (0..40)
        .map(|i| (env.std_cmd(&["import", &format!("token-{i:02}")]), format!("secret-number-{i}\n").into_bytes()))
        .collect();
    for out in all_at_once(cmds) {
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
    let secrets: Vec<String> = all_at_once(cmds)
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

/// Run `c`, kill -9 it after `delay`, and say whether it had already finished by itself.
fn kill_at(mut c: std::process::Command, stdin: &[u8], delay: Duration) -> Option<i32> {
    c.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn tokctl");
    let mut w = child.stdin.take().unwrap();
    let _ = std::io::Write::write_all(&mut w, stdin);
    drop(w);
    std::thread::sleep(delay);
    let finished = child.try_wait().expect("try_wait");
    let _ = child.kill();
    let status = child.wait().expect("wait");
    finished.map(|s| exit_code(&s)).or_else(|| Some(exit_code(&status)).filter(|&c| c != 137))
}

#[test]
fn a_writer_killed_at_any_instant_leaves_the_old_vault_or_the_new_one() {
    let env = Env::env_key();
    env.create("base", &[]);
    // How long one write takes here, to spread the kills over it.
    let t = Instant::now();
    env.create("timing", &[]);
    let span = t.elapsed().as_micros().max(2000) as u64 * 3 / 2;

    let mut rng = Rng::seeded();
    let mut have: BTreeSet<String> = env.names().into_iter().collect();
    let mut finished = 0;
    for round in 0..40 {
        let delay = Duration::from_micros(rng.below(span));
        let (cmd, stdin, new): (_, Vec<u8>, Vec<String>) = if round % 2 == 0 {
            let name = format!("minted-{round}");
            (env.std_cmd(&["create", &name]), Vec::new(), vec![name])
        } else {
            let vars: Vec<String> = (0..8).map(|k| format!("BULK_{round}_{k}")).collect();
            let text: String = vars.iter().map(|v| format!("{v}=value-of-{v}\n")).collect();
            let names = vars.iter().map(|v| v.to_lowercase().replace('_', "-")).collect();
            (env.std_cmd(&["import", "--dotenv", "-"]), text.into_bytes(), names)
        };
        let code = kill_at(cmd, &stdin, delay);
        let out = env.run(&["list", "--all", "--json"], b"");
        assert_eq!(out.code, 0, "round {round}: the vault opens after a kill at {delay:?}\n{out}");
        let now: BTreeSet<String> = serde_json::from_str::<serde_json::Value>(&out.stdout)
            .unwrap()
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        let with_new: BTreeSet<String> = have.iter().cloned().chain(new.iter().cloned()).collect();
        assert!(now == have || now == with_new, "round {round}: neither the old nor the new state: {now:?}");
        if code == Some(0) {
            finished += 1;
            assert_eq!(now, with_new, "round {round}: a write that exited 0 is on disk");
        }
        have = now;
    }
    // The survivors are intact, and a normal write still works afterwards.
    for n in have.iter().filter(|n| n.starts_with("bulk-")).take(3) {
        let var = n.to_uppercase().replace('-', "_");
        assert_eq!(env.get(n), format!("value-of-{var}"));
    }
    env.create("after-the-kills", &[]);
    eprintln!("kill -9 rounds: {finished} of 40 writers finished before the kill");
}

#[test]
fn readers_do_not_wait_for_a_writer_holding_the_lock_but_writers_queue() {
    let env = Env::env_key();
    let secret = env.create("gh", &[]);
    let lock = sibling(&env.vault, ".lock");
    // Another writer holds the lock (flock(1), the same advisory lock tokctl takes).
    let mut holder =
        std::process::Command::new("flock").arg(&lock).args(["sleep", "30"]).spawn().expect("flock (util-linux)");
    let start = Instant::now();
    loop {
        let free = std::process::Command::new("flock").args(["-n"]).arg(&lock).arg("true").status().unwrap();
        if !free.success() {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "flock never took the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    let t = Instant::now();
    assert_eq!(env.get("gh"), secret);
    env.ok(&["list", "--json"], b"");
    env.cmd(&["verify"]).write_stdin(secret.clone()).assert().success();
    assert!(t.elapsed() < Duration::from_secs(5), "readers did not wait: {:?}", t.elapsed());

    let mut writer = env.std_cmd(&["create", "queued"]);
    writer.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut writer = writer.spawn().unwrap();
    std::thread::sleep(Duration::from_millis(700));
    let waited = writer.try_wait().unwrap().is_none();
    let _ = holder.kill();
    let _ = holder.wait();
    let out = writer.wait_with_output().unwrap();
    assert!(waited, "a writer waits for the lock");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(env.names(), ["gh", "queued"]);
}

#[test]
fn a_key_rotation_killed_at_any_instant_never_locks_the_user_out() {
    let env = Env::keyring();
    let secret = env.create("gh", &[]);
    env.import("expo", "expo-secret", &[]);
    let t = Instant::now();
    env.ok(&["key", "rotate"], b"");
    let span = t.elapsed().as_micros().max(5000) as u64 * 3 / 2;
    let mut rng = Rng::seeded();
    for round in 0..40 {
        let delay = Duration::from_micros(rng.below(span));
        kill_at(env.std_cmd(&["key", "rotate"]), b"", delay);
        let out = env.run(&["get", "-n", "gh"], b"");
        assert_eq!(out.code, 0, "round {round}: killed after {delay:?}, the keyring still opens the vault\n{out}");
        assert_eq!(out.stdout, secret);
        assert_eq!(env.get("expo"), "expo-secret");
    }
    // A clean rotation afterwards settles the keyring: no key is left under the pending account.
    env.ok(&["key", "rotate"], b"");
    let id = env.vault_id();
    assert_eq!(keyring_key(&id), Some(env.export_key()));
    assert_eq!(keyring_key(&format!("{id}+pending")), None);
}

#[test]
fn readers_keep_working_while_the_key_rotates() {
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

/// Put `key` (exported text) in the OS keyring under `account`, as tokctl would.
fn keyring_store(account: &str, key: &str) {
    let mut c = std::process::Command::new("secret-tool");
    c.args(["store", "--label=tokctl vault key (test)", "service", "tokctl", "username", account]);
    let out = run_std(c, key.as_bytes());
    assert_eq!(out.code, 0, "{out}");
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
    assert_eq!(keyring_lookup(&id).as_deref(), Some(k3.as_str()), "the main entry holds the new key");
    assert_eq!(keyring_lookup(&format!("{id}+pending")), None, "nothing is left staged");
    let out = env.run(&["get", "-n", "gh"], b"");
    assert_eq!(out.code, 0, "the user is locked out of the vault after a rotation\n{out}");
    assert_eq!(out.stdout, secret);
}

/// What the OS keyring holds under `account`, if anything.
fn keyring_lookup(account: &str) -> Option<String> {
    let mut c = std::process::Command::new("secret-tool");
    c.args(["lookup", "service", "tokctl", "username", account]);
    let out = run_std(c, b"");
    (out.code == 0 && !out.stdout.is_empty()).then(|| out.stdout.trim().to_string())
}
