//! The unlock cache (SPEC "Unlock cache") on the real kernel key retention service: every test
//! runs its commands in a login session of its own (`Env::in_session`, a real session keyring)
//! or, by default, in none (the per-user session keyring, as in a container or a CI job).

use std::time::Duration;

use crate::support::*;

const PASS: &str = "correct horse battery staple";

/// A passphrase-only vault (no keyring) holding `gh`, in a login session of its own.
fn passphrase_vault_in_session() -> (Env, String) {
    let mut env = Env::bare();
    env.in_session();
    env.set("TOKCTL_PASSPHRASE", PASS);
    let secret = env.create("gh", &["--env", "GH_TOKEN"]);
    env.unset("TOKCTL_PASSPHRASE");
    (env, secret)
}

/// `keyctl ARGS` in the test's session: (exit code, stdout, stderr).
fn keyctl(env: &Env, args: &[&str]) -> Out {
    env.run_cmd(env.std_cmd_of("keyctl", args), b"")
}

/// The kernel key id of this vault's cache entry, if the session holds one.
fn entry(env: &Env) -> Option<String> {
    let desc = format!("tokctl:{}", env.vault_id());
    let out = keyctl(env, &["search", "@s", "user", &desc]);
    (out.code == 0).then(|| out.stdout.trim().to_string())
}

#[test]
fn unlock_once_then_commands_need_no_passphrase_until_lock() {
    let (mut env, secret) = passphrase_vault_in_session();
    // Without the cache nothing unlocks it.
    env.fails(&["get", "gh"], b"", 5);
    // A passphrase given in the environment is not cached unless the user asked for it.
    env.set("TOKCTL_PASSPHRASE", PASS);
    assert_eq!(env.get("gh"), secret);
    assert_eq!(entry(&env), None, "a passphrase unlock is cached only by `unlock` or a TOKCTL_CACHE_TTL the user set");

    let out = env.succeeds(&["unlock", "--for", "10m"], b"");
    assert!(out.stderr.contains("unlocked") && out.stderr.contains("10 minutes"), "{out}");
    env.unset("TOKCTL_PASSPHRASE");
    assert!(entry(&env).is_some(), "the key is in the session keyring");
    assert_eq!(env.get("gh"), secret, "no passphrase, no prompt");
    env.ok(&["update", "gh", "--note", "written from the cache"], b"");
    env.ok(&["list"], b"");
    let out = env.ok(&["exec", "-t", "gh", "--", "sh", "-c", "printf %s \"$GH_TOKEN\""], b"");
    assert_eq!(out, secret);
    let doctor = env.run(&["doctor"], b"");
    assert!(doctor.stdout.contains("holds this vault's key until"), "{doctor}");
    assert!(doctor.stdout.contains("with the unlock cache"), "{doctor}");

    let out = env.succeeds(&["lock"], b"");
    assert!(out.stderr.contains("locked"), "{out}");
    assert_eq!(entry(&env), None);
    env.fails(&["get", "gh"], b"", 5);
    let doctor = env.run(&["doctor"], b"");
    assert!(doctor.stdout.contains("this vault is not cached"), "{doctor}");
}

#[test]
fn the_kernel_drops_the_key_when_its_time_is_up() {
    let (mut env, secret) = passphrase_vault_in_session();
    env.set("TOKCTL_PASSPHRASE", PASS);
    env.ok(&["unlock", "--for", "2s"], b"");
    env.unset("TOKCTL_PASSPHRASE");
    assert_eq!(env.get("gh"), secret);
    // The kernel's timeout, not tokctl, ends it: the entry itself goes away.
    wait_until("the kernel to expire the cached key", Duration::from_secs(20), || entry(&env).is_none().then_some(()));
    env.fails(&["get", "gh"], b"", 5);
    // Use does not extend it: absolute TTL. A fresh unlock, used all along, still ends on time.
    env.set("TOKCTL_PASSPHRASE", PASS);
    env.ok(&["unlock", "--for", "3s"], b"");
    env.unset("TOKCTL_PASSPHRASE");
    let gone = wait_until("the cache to end while in use", Duration::from_secs(20), || {
        let out = env.run(&["get", "gh"], b"");
        (out.code != 0).then_some(out)
    });
    assert_eq!(gone.code, 5, "{gone}");
}

#[test]
fn a_keyring_vault_is_cached_for_the_default_ttl_and_survives_a_dead_keyring() {
    let pk = PrivateKeyring::start();
    let mut env = Env::new(Mode::Keyring);
    env.in_session();
    env.set("DBUS_SESSION_BUS_ADDRESS", &pk.address);
    let secret = env.create("gh", &[]);
    assert_eq!(env.get("gh"), secret);
    let doctor = env.run(&["doctor"], b"");
    let line = doctor.stdout.lines().find(|l| l.starts_with("cache")).unwrap_or_default().to_string();
    assert!(line.contains("first unlocked with the OS keyring"), "{doctor}");
    assert!(line.contains("in 5 minutes") || line.contains("in 4 minutes"), "the default TTL is 5m: {line}");
    // The keyring dies; the session keeps working from the cache.
    drop(pk);
    assert_eq!(env.get("gh"), secret);
    let out = env.ok(&["exec", "-t", "gh=T", "--", "sh", "-c", "printf %s \"$T\""], b"");
    assert_eq!(out, secret);
    // With the cache off, the dead keyring is what it is: exit 5.
    env.set("TOKCTL_CACHE_TTL", "off");
    let out = env.fails(&["get", "gh"], b"", 5);
    assert!(out.stderr.to_lowercase().contains("keyring"), "{out}");
}

#[test]
fn cache_ttl_zero_turns_it_off_entirely() {
    let mut env = Env::keyring();
    env.in_session();
    env.set("TOKCTL_CACHE_TTL", "0");
    let secret = env.create("gh", &[]);
    assert_eq!(env.get("gh"), secret);
    assert_eq!(entry(&env), None, "nothing written");
    let out = env.fails(&["unlock"], b"", 2);
    assert!(out.stderr.contains("off") && out.stderr.contains("TOKCTL_CACHE_TTL"), "{out}");
    // A cached key is not read either while it is off.
    env.unset("TOKCTL_CACHE_TTL");
    assert_eq!(env.get("gh"), secret);
    assert!(entry(&env).is_some());
    env.set("TOKCTL_CACHE_TTL", "off");
    env.set("TOKCTL_KEYRING", "none");
    env.fails(&["get", "gh"], b"", 5);
    let doctor = env.run(&["doctor"], b"");
    assert!(doctor.stdout.contains("cache      – off"), "{doctor}");
}

#[test]
fn bad_durations_are_usage_errors() {
    let (mut env, _) = passphrase_vault_in_session();
    let before = env.snapshot();
    for d in ["25h", "0", "-5m", "soon", "1.5h"] {
        let out = env.fails(&["unlock", &format!("--for={d}")], b"", 2);
        assert!(out.stderr.contains("--for"), "{out}");
    }
    env.set("TOKCTL_CACHE_TTL", "forever");
    let out = env.fails(&["get", "gh"], b"", 2);
    assert!(out.stderr.contains("TOKCTL_CACHE_TTL") && out.stderr.contains("duration"), "{out}");
    assert_unchanged(&before, &env.snapshot(), &out);
}

#[test]
fn without_a_login_session_the_cache_is_unavailable_and_all_else_works() {
    // The default: the per-user session keyring, as a container, a CI job or cron has.
    let env = Env::keyring();
    let secret = env.create("gh", &[]);
    let out = env.fails(&["unlock"], b"", 2);
    assert!(out.stderr.contains("not available") && out.stderr.contains("no login session"), "{out}");
    assert_eq!(env.get("gh"), secret);
    let keys = env.run_cmd(env.std_cmd_of("keyctl", &["show", "@s"]), b"");
    assert!(!keys.stdout.contains("tokctl:"), "nothing cached in the shared keyring\n{keys}");
    let doctor = env.run(&["doctor"], b"");
    assert!(doctor.stdout.contains("cache      – not available here: no login session"), "{doctor}");
    let out = env.succeeds(&["lock"], b"");
    assert!(out.stderr.contains("not available"), "{out}");
}

#[test]
fn a_command_started_by_exec_cannot_read_the_cached_key() {
    let (mut env, secret) = passphrase_vault_in_session();
    env.set("TOKCTL_PASSPHRASE", PASS);
    env.ok(&["unlock"], b"");
    env.unset("TOKCTL_PASSPHRASE");
    let id = entry(&env).expect("cached");
    let ours = keyctl(&env, &["id", "@s"]).stdout;
    // The entry is for possessors only: no rights for the user, group or others.
    let desc = keyctl(&env, &["rdescribe", &id]).stdout;
    let perm = u32::from_str_radix(desc.split(';').nth(3).unwrap_or("?"), 16).expect("a permission mask");
    assert_eq!(perm & 0x00ff_ffff, 0, "possessor-only: {desc}");

    let desc_name = format!("tokctl:{}", env.vault_id());
    for mask in [&[][..], &["--mask"]] {
        let script = format!(
            "keyctl id @s; keyctl search @s user {desc_name} && echo FOUND; keyctl print {id} && echo READ; \
             printf 'token=%s\\n' \"$GH_TOKEN\""
        );
        let mut args = vec!["exec"];
        args.extend_from_slice(mask);
        args.extend(["-t", "gh", "--", "sh", "-c", &script]);
        let out = env.run(&args, b"");
        assert_eq!(out.code, 0, "{out}");
        assert_ne!(out.stdout.lines().next().unwrap_or_default(), ours.trim(), "a session keyring of its own\n{out}");
        assert!(!out.stdout.contains("FOUND") && !out.stdout.contains("READ"), "the child reached the key\n{out}");
        let shown = if mask.is_empty() { secret.clone() } else { "***".to_string() };
        assert!(out.stdout.contains(&format!("token={shown}")), "the token itself was injected\n{out}");
    }
    // A tokctl the command runs unlocks again (and here nothing unlocks it).
    let inner = env.run(&["exec", "-t", "gh", "--", BIN, "get", "gh"], b"");
    assert_eq!(inner.code, 5, "{inner}");
    // The parent session still has it.
    assert_eq!(env.get("gh"), secret);
}

#[test]
fn key_commands_drop_the_entry_and_a_stale_entry_never_answers() {
    let mut env = Env::keyring();
    env.in_session();
    let secret = env.create("gh", &[]);
    assert_eq!(env.get("gh"), secret);
    assert!(entry(&env).is_some(), "cached after a keyring unlock");
    env.ok(&["key", "rotate"], b"");
    assert_eq!(entry(&env), None, "rotation dropped it");
    assert_eq!(env.get("gh"), secret);
    assert!(entry(&env).is_some(), "cached again, with the new key");

    // A rotation the cache did not see (made with the cache off): the entry is stale.
    env.set("TOKCTL_CACHE_TTL", "off");
    env.ok(&["key", "rotate"], b"");
    env.unset("TOKCTL_CACHE_TTL");
    let stale = entry(&env).expect("the stale entry is still there");
    assert_eq!(env.get("gh"), secret, "the stale key is dropped and the keyring answers");
    assert_ne!(entry(&env), Some(stale), "the stale entry was replaced");

    assert_eq!(env.get("gh"), secret);
}

#[test]
fn a_stale_or_planted_entry_is_dropped_and_never_answers() {
    let (mut env, secret) = passphrase_vault_in_session();
    env.set("TOKCTL_PASSPHRASE", PASS);
    env.ok(&["unlock"], b"");
    // Re-keyed where the cache is off: the entry now holds a key that no longer fits.
    env.set("TOKCTL_CACHE_TTL", "off");
    env.ok(&["key", "rotate"], b"");
    env.unset("TOKCTL_CACHE_TTL");
    env.unset("TOKCTL_PASSPHRASE");
    assert!(entry(&env).is_some(), "the stale entry is still there");
    let before = env.snapshot();
    // Nothing else unlocks it: exit 5, never a wrong answer, never a new key, the vault as it was.
    let out = env.fails(&["get", "gh"], b"", 5);
    assert!(!out.stdout.contains(&secret), "{out}");
    assert_unchanged(&before, &env.snapshot(), &out);
    assert_eq!(entry(&env), None, "the stale entry was dropped");

    // Something else of the session planted an entry under the vault's name: not a key tokctl
    // wrote, so it is dropped unused.
    let desc = format!("tokctl:{}", env.vault_id());
    let planted =
        keyctl(&env, &["add", "user", &desc, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "@s"]);
    assert_eq!(planted.code, 0, "{planted}");
    env.fails(&["get", "gh"], b"", 5);
    assert_eq!(entry(&env), None, "the planted entry was dropped");
    assert_unchanged(&before, &env.snapshot(), &"after the planted entry");
    env.set("TOKCTL_PASSPHRASE", PASS);
    assert_eq!(env.get("gh"), secret);
}

#[test]
fn a_rollback_is_caught_on_a_read_from_the_cache() {
    let mut env = Env::keyring();
    env.in_session();
    let secret = env.create("gh", &[]);
    let old_vault = env.vault_bytes();
    let old_log = std::fs::read(env.log_path()).unwrap();
    env.ok(&["revoke", "gh"], b"");
    assert!(entry(&env).is_some(), "cached");
    // A sync tool puts back the older vault and its log together.
    std::fs::write(&env.vault, &old_vault).unwrap();
    std::fs::write(env.log_path(), &old_log).unwrap();
    let out = env.fails(&["get", "gh"], b"", 6);
    assert!(out.stderr.contains("older copy") && out.stderr.contains("unlock cache"), "{out}");
    assert!(!out.stdout.contains(&secret), "the revoked secret came back\n{out}");
    // Kept on purpose (the log went back too, so nothing says it was revoked), the older copy
    // moves past the generation the cache saw: reads from the cache accept it from now on.
    env.ok(&["accept-rollback"], b"");
    assert_eq!(entry(&env), None, "what the cache recorded was overruled: dropped");
    assert_eq!(env.get("gh"), secret);
    assert!(entry(&env).is_some(), "and filled again");
}

#[test]
fn another_user_cannot_read_the_cached_key_and_tokctl_under_su_does_not_use_it() {
    if !require_root() {
        return;
    }
    let (mut env, _secret) = passphrase_vault_in_session();
    env.set("TOKCTL_PASSPHRASE", PASS);
    env.ok(&["unlock"], b"");
    env.unset("TOKCTL_PASSPHRASE");
    let id = entry(&env).expect("cached");
    let ring = env.session.as_ref().unwrap().id();
    // A second user in a session of its own (its login): not by id, not by linking ours.
    let script = format!(
        "keyctl print {id} && echo READ; keyctl link {ring} @s && keyctl search @s user tokctl:{v} && echo FOUND; true",
        v = env.vault_id()
    );
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", "keyctl", "session", "-", "sh", "-c", &script];
    let out = env.run_cmd(env.std_cmd_of("setpriv", &nobody), b"");
    assert_eq!(out.code, 0, "{out}");
    assert!(!out.stdout.contains("READ") && !out.stdout.contains("FOUND"), "another user reached the key\n{out}");
    assert!(out.stderr.contains("Permission denied"), "refused, not missing: {out}");
    // A plain `su` keeps the session keyring of the user it came from: tokctl, now another user,
    // says the cache is not available there instead of using (or filling) someone else's.
    let su = ["--reuid=65534", "--regid=65534", "--clear-groups", BIN, "unlock"];
    let out = env.run_cmd(env.std_cmd_of("setpriv", &su), b"");
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("belongs to user 0"), "{out}");
}

/// Something of the session plants `tokctl:<id>` writable by its possessors but with no
/// setattr/search for them and read rights for everyone: `unlock` must not write the vault key
/// into it (`add_key` would update a matching key in place, keeping those rights and no timeout).
#[test]
fn unlock_never_writes_the_key_into_a_planted_entry() {
    let (mut env, secret) = passphrase_vault_in_session();
    let desc = format!("tokctl:{}", env.vault_id());
    let planted = keyctl(&env, &["add", "user", &desc, "junk", "@s"]);
    assert_eq!(planted.code, 0, "{planted}");
    let id = planted.stdout.trim().to_string();
    assert_eq!(keyctl(&env, &["setperm", &id, "0x04030303"]).code, 0);
    env.set("TOKCTL_PASSPHRASE", PASS);
    env.ok(&["unlock"], b"");
    let payload = env.run_cmd(env.std_cmd_of("sh", &["-c", &format!("keyctl pipe {id} | wc -c")]), b"");
    // Displaced, it is gone (or still holds its junk): never the 301 bytes of an entry (magic,
    // origin, expiry, 8 generation records of 32 bytes, key).
    assert_ne!(payload.stdout.trim(), "301", "the vault key went into the planted key\n{payload}");
    let ours = entry(&env).expect("cached");
    let size = env.run_cmd(env.std_cmd_of("sh", &["-c", &format!("keyctl pipe {ours} | wc -c")]), b"");
    assert_eq!(size.stdout.trim(), "301", "the size this test looks for is an entry's\n{size}");
    // The real entry displaced it from the session keyring, with the right permissions.
    assert_ne!(ours, id);
    let desc = keyctl(&env, &["rdescribe", &ours]).stdout;
    assert!(desc.starts_with("user;0;0;2f000000;"), "possessor view/read/write/search/setattr only: {desc}");
    env.unset("TOKCTL_PASSPHRASE");
    assert_eq!(env.get("gh"), secret);
}

/// Something of the session rewrites the entry's generation floor to 2^64-1: the entry is not
/// believed (no false alarm to act on), and `accept-rollback` never takes a number from the cache.
#[test]
fn a_planted_generation_floor_cannot_disable_rollback_detection() {
    let (mut env, secret) = passphrase_vault_in_session();
    env.set("TOKCTL_PASSPHRASE", PASS);
    env.ok(&["unlock"], b"");
    let poison = |floor: u64| {
        let id = entry(&env).expect("cached");
        let script = format!(
            "keyctl pipe {id} | python3 -c 'import sys; b=bytearray(sys.stdin.buffer.read()); \
             b[13:21]=({floor}).to_bytes(8,\"little\"); sys.stdout.buffer.write(b)' | keyctl pupdate {id}"
        );
        assert_eq!(env.run_cmd(env.std_cmd_of("sh", &["-c", &script]), b"").code, 0);
    };
    poison(u64::MAX);
    assert_eq!(env.get("gh"), secret, "an absurd floor is no entry at all");
    // A plausible but false one is an alarm (anything in the session can do that much); following
    // its hint moves the vault only past what the log and the keyring saw.
    env.ok(&["unlock"], b"");
    poison(1_000_000);
    env.fails(&["get", "gh"], b"", 6);
    env.ok(&["accept-rollback"], b"");
    assert_eq!(entry(&env), None, "accept-rollback dropped the entry");
    let generation: u64 = std::fs::read_to_string(&env.vault)
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("generation = ").map(|g| g.trim().parse().unwrap()))
        .expect("a generation line");
    assert!(generation < 100, "the planted number did not reach the vault: {generation}");
    // Rollback detection still works.
    env.set("TOKCTL_CACHE_TTL", "off");
    let old = env.vault_bytes();
    env.ok(&["revoke", "gh"], b"");
    std::fs::write(&env.vault, &old).unwrap();
    env.fails(&["get", "gh"], b"", 6);
}

/// A command started by `exec --mask` has tokctl, not the user's shell, as its parent, so it
/// cannot install a session keyring of its own on the shell (KEYCTL_SESSION_TO_PARENT) and wait
/// there for the next unlock. (Without --mask the command replaces tokctl and its parent is the
/// shell: the README says what that allows.)
#[test]
fn a_command_under_exec_mask_cannot_hijack_the_shells_session_keyring() {
    let (env, _secret) = passphrase_vault_in_session();
    let stolen = env.root.join("stolen");
    let evil = env.root.join("evil.py");
    std::fs::write(
        &evil,
        format!(
            r#"import ctypes, os, sys, time
libc = ctypes.CDLL(None, use_errno=True)
K = {keyctl}
desc, out, again, done = sys.argv[1].encode(), sys.argv[2], sys.argv[3], sys.argv[4]
if os.fork() == 0:
    os.setsid()
    # Try until one attempt made after the shell's second unlock (`again` exists) has failed:
    # then the hijack did not work, and `done` says so.
    for _ in range(1200):
        last = os.path.exists(again)
        kid = libc.syscall(K, 10, ctypes.c_long(-3), b"user", desc, 0)
        if kid > 0:
            buf = ctypes.create_string_buffer(128)
            n = libc.syscall(K, 11, kid, buf, 128)
            if n > 0:
                open(out, "wb").write(buf.raw[:n]); break
        if last:
            break
        time.sleep(0.05)
    open(done, "w").close()
    os._exit(0)
print("session_to_parent", libc.syscall(K, 18), ctypes.get_errno())
"#,
            keyctl = libc::SYS_keyctl
        ),
    )
    .unwrap();
    let desc = format!("tokctl:{}", env.vault_id());
    let (again, done) = (env.root.join("unlocked-again"), env.root.join("attacker-done"));
    // The shell waits for the attacker's last try (polled, bounded at 60 s), not for a time.
    let script = format!(
        "before=$(keyctl rdescribe @s); TOKCTL_PASSPHRASE='{PASS}' {BIN} unlock; \
         {BIN} exec --mask -t gh -- python3 {evil} {desc} {stolen} {again} {done}; \
         [ \"$(keyctl rdescribe @s)\" = \"$before\" ] && echo SAME-SESSION; \
         TOKCTL_PASSPHRASE='{PASS}' {BIN} unlock; touch {again}; \
         i=0; while [ ! -e {done} ] && [ $i -lt 1200 ]; do i=$((i+1)); sleep 0.05; done; \
         [ -e {done} ] && echo ATTACKER-DONE",
        evil = evil.display(),
        stolen = stolen.display(),
        again = again.display(),
        done = done.display()
    );
    let out = env.run_cmd(env.std_cmd_of("sh", &["-c", &script]), b"");
    assert!(out.stdout.contains("session_to_parent"), "the attack ran\n{out}");
    assert!(out.stdout.contains("SAME-SESSION"), "the shell's session keyring was replaced\n{out}");
    assert!(out.stdout.contains("ATTACKER-DONE"), "the attacker tried after the second unlock\n{out}");
    assert!(!stolen.exists(), "the command read the key the shell cached afterwards\n{out}");
}

/// A session keyring made by `keyctl session NAME` (or a container runtime's shared `_ses.<id>`)
/// lets every process of the user link it (and, with search, join it by name): another login
/// session of the same user would then possess it and read a cached key. tokctl refuses to cache
/// in it, says why in `unlock` and `doctor`, and another session finds nothing there to read.
#[test]
fn a_joinable_session_keyring_is_not_a_login_session_of_its_own() {
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", PASS);
    env.create("gh", &["--env", "GH_TOKEN"]);
    let desc = format!("tokctl:{}", env.vault_id());
    let name = format!("tokctl-named-{}", std::process::id());
    // Inside the named session: unlock, doctor, then, while it is alive, another session of the
    // same user links the named keyring by its id and looks for the key; a second process joins
    // it by name and looks too.
    let script = format!(
        "ring=$(keyctl id @s); keyctl rdescribe @s; \
         {BIN} unlock; echo unlock=$?; {BIN} doctor | grep '^cache'; \
         keyctl session - sh -c \"keyctl link $ring @s && keyctl search @s user {desc} > k && keyctl print \\$(cat k) | wc -c | sed 's/^/LINKED-READ=/'\"; \
         keyctl session {name} sh -c 'keyctl search @s user {desc} > k && keyctl print $(cat k) | wc -c | sed \"s/^/JOINED-READ=/\"'; \
         {BIN} lock >/dev/null 2>&1; true"
    );
    for perm in [None, Some("0x3f0b0000"), Some("0x3f230000"), Some("0x3f030808")] {
        let setperm = perm.map(|p| format!("keyctl setperm @s {p}; ")).unwrap_or_default();
        let full = format!("{setperm}{script}");
        let out = env.run_cmd(env.std_cmd_of("keyctl", &["session", &name, "sh", "-c", &full]), b"");
        let shown = format!("permissions {perm:?}\n{out}");
        assert!(out.stdout.contains("unlock=2"), "unlock must refuse a joinable session keyring: {shown}");
        assert!(out.stderr.contains("not available") && out.stderr.contains("join or link"), "{shown}");
        let cache = out.stdout.lines().find(|l| l.starts_with("cache")).unwrap_or_default();
        assert!(cache.contains("not available here") && cache.contains("join or link"), "doctor: {shown}");
        assert!(
            !out.stdout.contains("LINKED-READ") && !out.stdout.contains("JOINED-READ"),
            "another session read the key: {shown}"
        );
    }
    // pam_keyinit's keyring (possessor all, user view and read) stays usable.
    let private = format!("keyctl setperm @s 0x{:08x}; {BIN} unlock && echo unlocked", session::PAM_PERM);
    let out = env.run_cmd(env.std_cmd_of("keyctl", &["session", "-", "sh", "-c", &private]), b"");
    assert!(out.stdout.contains("unlocked"), "{out}");
}

/// Reading a backup copy of the vault (same id, another path) with the cached key must not
/// move the cache's record of the vault file itself: a later rollback of the vault and its log
/// together is still caught on a read from the cache.
#[test]
fn reading_a_backup_copy_keeps_the_cache_record_of_the_vault_itself() {
    let mut env = Env::keyring();
    env.in_session();
    let secret = env.create("gh", &[]);
    let old_vault = env.vault_bytes();
    let old_log = std::fs::read(env.log_path()).unwrap();
    // A backup of that state, kept elsewhere (same vault id, another file).
    let backup = env.write_file("backup.toml", &old_vault);
    std::fs::write(sibling(&backup, ".log"), &old_log).unwrap();
    env.ok(&["revoke", "gh"], b"");
    env.ok(&["get", "gh", "--vault", backup.to_str().unwrap()], b"");
    assert!(entry(&env).is_some(), "every read so far came from the cache");
    // The vault and its log rolled back together, to the backup's state.
    std::fs::write(&env.vault, &old_vault).unwrap();
    std::fs::write(env.log_path(), &old_log).unwrap();
    let out = env.fails(&["get", "gh"], b"", 6);
    assert!(out.stderr.contains("older copy"), "{out}");
    assert!(!out.stdout.contains(&secret), "the revoked secret came back\n{out}");
    // The backup itself is still readable: it is another file, and copies never trip each other.
    assert_eq!(env.ok(&["get", "gh", "--vault", backup.to_str().unwrap()], b"").trim(), secret);
    // Many copies read in one session: every file keeps its own record (or asks the keyring).
    for i in 0..12 {
        let copy = env.write_file(&format!("copy{i}.toml"), &old_vault);
        env.ok(&["list", "--vault", copy.to_str().unwrap()], b"");
    }
    env.fails(&["get", "gh"], b"", 6);
}

/// With Yama's `ptrace_scope` at 0 (Debian's default), or without Yama, another login session of the same user can
/// attach a debugger to this session's shell and read the cached key through it: `doctor` says so
/// beside the cache, with the fix; at 1 it says nothing. /proc/sys/kernel is replaced for the
/// doctor alone, in a mount namespace of its own.
#[test]
fn doctor_warns_about_ptrace_scope_0_beside_a_usable_cache() {
    if !require_root() {
        return;
    }
    let (mut env, _secret) = passphrase_vault_in_session();
    env.set("TOKCTL_PASSPHRASE", PASS);
    env.ok(&["unlock"], b"");
    for (scope, warned) in [("0", true), ("1", false), ("2", false), ("no Yama", true)] {
        let fake = env.root.join(format!("kernel-{}", scope.replace(' ', "-")));
        std::fs::create_dir_all(&fake).unwrap();
        if scope != "no Yama" {
            std::fs::create_dir_all(fake.join("yama")).unwrap();
            std::fs::write(fake.join("yama/ptrace_scope"), format!("{scope}\n")).unwrap();
        }
        let script = format!("mount --bind {} /proc/sys/kernel && exec {BIN} doctor", fake.display());
        let out = env.run_cmd(env.std_cmd_of("unshare", &["-m", "sh", "-c", &script]), b"");
        assert_eq!(out.code, 0, "a warning, not a finding: {out}");
        let said = out.stdout.lines().any(|l| {
            (l.contains("ptrace_scope=0") || l.contains("no Yama")) && l.contains("kernel.yama.ptrace_scope=1")
        });
        assert_eq!(said, warned, "ptrace_scope {scope}: {out}");
    }
}
