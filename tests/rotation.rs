//! Key rotations that race each other: the vault key is never lost, whatever the interleaving.
//! Runs on the real Secret Service; a rotation's thread is delayed with strace's fault injection,
//! no hook in the product.

use std::process::{Child, Stdio};
use std::time::Duration;

use crate::support::*;

fn strace_available() {
    let ok = std::process::Command::new("strace").arg("-V").output().is_ok_and(|o| o.status.success());
    assert!(ok, "these tests need strace (apt-get install strace); .ci/run installs it");
}

/// The keyring is left holding exactly the key that opens the vault, and nothing staged.
fn assert_keyring_settled(env: &Env, names: &[&str]) {
    let id = env.vault_id();
    for n in names {
        env.ok(&["get", n], b"");
    }
    let exported = env.export_key();
    assert_eq!(keyring_key(&id).as_deref(), Some(exported.as_str()), "the main entry holds the vault's key");
    assert_eq!(keyring_key(&format!("{id}+pending")), None, "no staged key is left behind");
}

#[test]
fn a_rotation_stalled_mid_way_and_a_second_rotation_leave_a_vault_that_opens() {
    strace_available();
    let env = Env::keyring();
    let secret = env.create("gh", &[]);
    // A's fourth new thread is its second keyring call under the lock (after the unlock and
    // the look that asks the keyring to unlock first): hold it there for 4 s.
    let a = env.spawn(env.std_cmd_of(
        "strace",
        &[
            "-f",
            "-o",
            "/dev/null",
            "-e",
            "trace=clone3",
            "-e",
            "inject=clone3:delay_enter=4000000:when=4",
            BIN,
            "key",
            "rotate",
        ],
    ));
    // B starts once A holds the writers' lock (and is stalled under it); B must wait for it
    // rather than interleave with it.
    let lock = sibling(&env.vault, ".lock");
    let inode = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(&lock).expect("the lock file"));
    wait_until("rotation A to hold the writers' lock", Duration::from_secs(20), || {
        std::fs::read_to_string("/proc/locks")
            .is_ok_and(|l| l.lines().any(|x| x.contains(&format!(":{inode} "))))
            .then_some(())
    });
    let b = env.run(&["key", "rotate"], b"");
    let a = a.finish(Duration::from_secs(60));
    assert_eq!(a.code, 0, "{a}");
    assert_eq!(b.code, 0, "{b}");
    assert_eq!(env.get("gh"), secret, "the token still opens");
    assert_keyring_settled(&env, &["gh"]);
}

/// `sh -c 'while :; do :; done'`: keeps a core busy until dropped (also when a test panics).
struct Hog(Child);

impl Drop for Hog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn hog() -> Hog {
    Hog(std::process::Command::new("sh").args(["-c", "while :; do :; done"]).spawn().expect("sh"))
}

#[test]
fn rotation_loops_at_different_niceness_under_load_with_writers_and_kills_never_lose_the_key() {
    // TOKCTL_TEST_LONG=1 for the long version (run by hand; its result is in the closing note).
    let long = std::env::var_os("TOKCTL_TEST_LONG").is_some();
    // The short version leaves passphrase changes (an Argon2id each, slow under load) out.
    let (rotations, max_rounds, ops) = if long { (40, 800, 6) } else { (5, 60, 4) };
    let mut env = Env::keyring();
    env.set("TOKCTL_PASSPHRASE", "stress passphrase");
    let mut rng = Rng::seeded();
    let mut secrets = vec![("base".to_string(), env.create("base", &[]))];
    if long {
        env.ok(&["key", "passphrase"], b"stress passphrase\n");
    }
    let env = env;
    let hogs: Vec<Hog> = (0..2).map(|_| hog()).collect();
    let loops: Vec<std::thread::JoinHandle<Vec<i32>>> = [0, 10, 19]
        .into_iter()
        .map(|nice| {
            let c = env.std_cmd_of("sh", &["-c", &format!("i=0; while [ $i -lt {rotations} ]; do nice -n {nice} {BIN} -q key rotate; echo $?; i=$((i+1)); done")]);
            std::thread::spawn(move || {
                let mut c = c;
                let out = c.output().expect("rotate loop");
                String::from_utf8_lossy(&out.stdout).lines().map(|l| l.parse().unwrap_or(-1)).collect()
            })
        })
        .collect();
    // Meanwhile: writers, readers, and rotations killed at a random instant.
    let (mut killed, mut round) = (0, 0);
    let (mut imports, mut passphrases) = (0, 0);
    while loops.iter().any(|l| !l.is_finished()) && round < max_rounds {
        round += 1;
        // 0 create, 1 read, 2 key import, 3 kill a rotation, 4 passphrase change, 5 kill one.
        let op = rng.below(ops);
        match op {
            0 => {
                let name = format!("t{round}");
                let out = env.run(&["create", &name], b"");
                assert_eq!(out.code, 0, "a create during rotations: {out}");
                secrets.push((name, out.stdout.trim_end().to_string()));
            }
            1 => {
                let (name, want) = &secrets[rng.below(secrets.len() as u64) as usize];
                assert_eq!(&env.get(name), want, "a read during rotations");
            }
            4 => {
                // A new passphrase (the same words) re-keys the vault, racing the rotations.
                let out = env.run(&["-q", "key", "passphrase"], b"stress passphrase\n");
                assert_eq!(out.code, 0, "a passphrase change during rotations: {out}");
                passphrases += 1;
            }
            2 => {
                // An exported key put back: it fits, or a rotation made it stale (5); never harm.
                let key = env.export_key();
                let out = env.run(&["-q", "key", "import"], format!("{key}\n").as_bytes());
                assert!([0, 5].contains(&out.code), "{out}");
                imports += 1;
            }
            _ => {
                let what: &[&str] = if op == 3 { &["-q", "key", "rotate"] } else { &["-q", "key", "passphrase"] };
                let mut c = env.std_cmd(what);
                let mut child = c.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
                std::thread::sleep(Duration::from_millis(rng.below(400)));
                if child.try_wait().unwrap().is_none() {
                    killed += 1;
                }
                let _ = child.kill();
                let _ = child.wait();
            }
        }
    }
    let codes: Vec<Vec<i32>> = loops.into_iter().map(|l| l.join().unwrap()).collect();
    drop(hogs);
    for c in &codes {
        assert_eq!(c.len(), rotations, "every rotation of every loop ran: {codes:?}");
        assert!(c.iter().all(|&x| x == 0), "every rotation succeeded: {codes:?}");
    }
    eprintln!(
        "{round} rounds, {killed} rotations or passphrase changes killed mid-way, {imports} key imports, {passphrases} passphrase changes"
    );
    for (name, want) in &secrets {
        assert_eq!(&env.get(name), want, "'{name}' opens after it all");
    }
    if long {
        // The passphrase alone opens it too: the slot always follows the key.
        let mut c = env.std_cmd(&["get", "-n", "base"]);
        c.env("TOKCTL_KEYRING", "none");
        let out = env.run_cmd(c, b"");
        assert_eq!((out.code, out.stdout.as_str()), (0, secrets[0].1.as_str()), "{out}");
    }
    // One more rotation settles what a killed one left staged.
    env.ok(&["key", "rotate"], b"");
    let names: Vec<&str> = secrets.iter().map(|(n, _)| n.as_str()).collect();
    assert_keyring_settled(&env, &names);
}

#[test]
fn a_copy_rekeyed_on_its_own_never_locks_the_original_out() {
    let mut env = Env::keyring();
    let secret = env.create("gh", &[]);
    let original = env.vault.clone();
    let copy = env.root.join("vault").join("copy.toml");
    std::fs::copy(&original, &copy).unwrap();

    // The copy is re-keyed; then the original; then the copy's key is imported again.
    let on = |env: &mut Env, vault: &std::path::Path| {
        env.set("TOKCTL_VAULT", vault.to_str().unwrap());
    };
    on(&mut env, &copy);
    env.ok(&["key", "rotate"], b"");
    let copy_key = env.export_key();
    on(&mut env, &original);
    assert_eq!(env.get("gh"), secret, "the original still opens from the keyring");
    env.ok(&["key", "rotate"], b"");
    on(&mut env, &copy);
    assert_eq!(env.get("gh"), secret, "the copy still opens after the original was re-keyed");
    env.ok(&["key", "import"], format!("{copy_key}\n").as_bytes());
    on(&mut env, &original);
    assert_eq!(env.get("gh"), secret, "importing the copy's key did not lock the original out");
    on(&mut env, &copy);
    assert_eq!(env.get("gh"), secret);
}

#[test]
fn changing_the_passphrase_rekeys_so_an_old_copy_and_the_old_passphrase_open_nothing_new() {
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "first passphrase");
    env.create("early", &[]);
    let old_copy = env.root.join("old-copy.toml");
    std::fs::copy(&env.vault, &old_copy).unwrap();
    let old_key = env.export_key();

    let out = env.run(&["key", "passphrase"], b"second passphrase\n");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("new key"), "says the key changed too: {out}");
    env.set("TOKCTL_PASSPHRASE", "second passphrase");
    let late = env.create("late", &[]);
    assert_ne!(env.export_key(), old_key, "a new key");

    // The old passphrase still opens the old copy, and the key it yields opens nothing newer.
    env.set("TOKCTL_PASSPHRASE", "first passphrase");
    env.fails(&["get", "late"], b"", 5);
    env.set("TOKCTL_VAULT", old_copy.to_str().unwrap());
    assert_eq!(env.export_key(), old_key);
    env.unset("TOKCTL_VAULT").unset("TOKCTL_PASSPHRASE").set("TOKCTL_VAULT_KEY", &old_key);
    env.fails(&["get", "late"], b"", 5);
    env.unset("TOKCTL_VAULT_KEY").set("TOKCTL_PASSPHRASE", "second passphrase");
    assert_eq!(env.get("late"), late);
}
