//! What can be learnt about a running or crashed tokctl from outside it: core files after
//! SIGABRT, `/proc/<pid>/mem` read by the same user, `/proc/<pid>/cmdline`, and the environment
//! of the command `exec` runs. None of them may hold a secret or the vault key.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::support::*;

const SECS_10: Duration = Duration::from_secs(10);

/// `/proc/<pid>/limits`: the soft and hard "Max core file size".
fn core_limit(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("read /proc/<pid>/limits");
    let line = limits.lines().find(|l| l.starts_with("Max core file size")).expect("a core limit line");
    let mut f = line["Max core file size".len()..].split_whitespace();
    (f.next().unwrap().to_string(), f.next().unwrap().to_string())
}

fn core_files(dir: &Path) -> Vec<String> {
    listing(dir).into_iter().filter(|n| n.starts_with("core")).collect()
}

/// `sh -c 'ulimit -c unlimited; exec "$0" "$@"' PROGRAM ARGS…` in `dir`.
fn with_cores(env: &Env, dir: &Path, argv: &[&str]) -> Command {
    let mut full = vec!["-c", "ulimit -c unlimited && exec \"$0\" \"$@\""];
    full.extend_from_slice(argv);
    let mut c = env.std_cmd_of("sh", &full);
    c.current_dir(dir);
    c
}

/// The first word of an argv is `program`.
fn runs(program: &str) -> impl Fn(&[String]) -> bool {
    move |argv| argv.first().is_some_and(|p| p == program)
}

#[test]
fn sigabrt_leaves_no_core_file_with_the_secrets_in_it() {
    let env = Env::env_key();
    let secret = env.create("gh", &[]);
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    let pattern = pattern.trim();
    // A relative pattern ("core", "core.%p") writes the core into the process's cwd; a pipe
    // (apport, systemd-coredump) or an absolute path sends it elsewhere, and only the limits
    // below can be checked.
    let cores_land_in_cwd = !pattern.starts_with('|') && !pattern.starts_with('/');
    if !cores_land_in_cwd {
        eprintln!("core_pattern is {pattern:?}: cores do not land in the cwd; checking tokctl's core limit only");
    }

    // The control: the same shell and limit make an ordinary process dump core here.
    let control_dir = env.path("control");
    std::fs::create_dir(&control_dir).unwrap();
    if cores_land_in_cwd {
        let sleeper = env.spawn(with_cores(&env, &control_dir, &["sleep", "30"]));
        let pid = wait_for_process(sleeper.pid(), "sleep", runs("sleep"), SECS_10);
        assert_eq!(core_limit(pid).0, "unlimited");
        kill(pid, "ABRT");
        assert_eq!(sleeper.finish(SECS_10).code, 128 + 6);
        let cores = core_files(&control_dir);
        assert!(
            !cores.is_empty(),
            "the control: `sleep` killed by SIGABRT dumped no core, so this check proves nothing here (core_pattern {pattern:?})"
        );
    }

    // 1. `exec --mask` holds the unlocked vault's secret while its command runs.
    let dir = env.path("exec-mask");
    std::fs::create_dir(&dir).unwrap();
    let running = env.spawn(with_cores(&env, &dir, &[BIN, "exec", "-t", "gh", "--mask", "--", "sleep", "30"]));
    let tokctl = running.pid(); // sh exec'd tokctl
    let child = wait_for_process(tokctl, "the command", runs("sleep"), SECS_10);
    assert!(is_tokctl(&processes().into_iter().find(|p| p.0 == tokctl).unwrap().2, "exec"));
    assert_eq!(core_limit(tokctl).0, "0", "tokctl lowered its own core limit");
    assert_eq!(core_limit(child).0, "unlimited", "…and gave the command the user's limit back");
    kill(tokctl, "ABRT");
    let out = running.finish(SECS_10);
    assert_eq!(out.code, 128 + 6, "tokctl died of SIGABRT\n{out}");
    wait_until_or(SECS_10, || (!alive(child)).then_some(()));
    signal(child, "KILL"); // if the orphan guard did not stop it
    assert!(core_files(&dir).is_empty(), "a core file after SIGABRT of `exec --mask`: {:?}", core_files(&dir));

    // 2. `import NAME` at a no-echo prompt on a terminal, the vault key in its environment.
    let dir = env.path("import-prompt");
    std::fs::create_dir(&dir).unwrap();
    let mut pty = spawn_on_pty(with_cores(&env, &dir, &[BIN, "import", "typed"]));
    pty.expect("Secret for 'typed'", SECS_10);
    let tokctl = wait_for_process(pty.pid(), "tokctl import", |a| is_tokctl(a, "import"), SECS_10);
    assert_eq!(core_limit(tokctl).0, "0");
    kill(tokctl, "ABRT");
    let out = pty.finish(SECS_10);
    assert_ne!(out.code, 0, "{out}");
    assert!(core_files(&dir).is_empty(), "a core file after SIGABRT at the prompt: {:?}", core_files(&dir));
    assert!(!env.names().contains(&"typed".to_string()));
    assert_eq!(env.get("gh"), secret);
}

/// A Python reader that opens `/proc/PID/mem` and reads 16 bytes at each address; it prints one
/// `ok N`, `open ERRNO` or `read ERRNO` per address. With `control` it first starts a `sleep` of
/// its own (a descendant, so even Yama's ptrace_scope=1 allows it) and reads that instead, once
/// the child runs `sleep` (before that its memory is still changing hands in exec).
const MEM_READER: &str = r#"
import os, subprocess, sys, time
pid, addrs = sys.argv[1], sys.argv[2:]
if pid == "control":
    p = subprocess.Popen(["sleep", "30"])
    pid = str(p.pid)
    for _ in range(1000):
        with open(f"/proc/{pid}/cmdline", "rb") as c:
            if c.read().split(b"\0")[0] == b"sleep":
                break
        time.sleep(0.01)
    with open(f"/proc/{pid}/maps") as m:
        addrs = [l.split("-")[0] for l in m][:1]
for a in addrs:
    try:
        f = open(f"/proc/{pid}/mem", "rb", buffering=0)
    except OSError as e:
        print("open", e.errno); continue
    try:
        f.seek(int(a, 16)); print("ok", len(f.read(16)))
    except OSError as e:
        print("read", e.errno)
if pid != sys.argv[1]:
    p.kill()
"#;

const NOBODY: [&str; 3] = ["--reuid=65534", "--regid=65534", "--clear-groups"];

#[test]
fn proc_mem_of_tokctl_waiting_at_a_prompt_is_not_readable_by_the_same_user() {
    // As root every /proc/<pid>/mem is readable; the attack is another process of the same
    // ordinary user. So tokctl and the reader both run as nobody, in a directory nobody owns:
    // becoming nobody and handing it the directory takes root.
    if !require_root() {
        return;
    }
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "a passphrase for the mem test");
    let secret = env.create("gh", &[]);
    env.unset("TOKCTL_PASSPHRASE");
    let mut chown = Command::new("chown");
    chown.args(["-R", "65534:65534"]).arg(&env.root);
    let out = run_std(chown, b"");
    assert_eq!(out.code, 0, "{out}");
    let mut args: Vec<&str> = NOBODY.to_vec();
    args.extend([BIN, "--version"]);
    let out = run_std(env.std_cmd_of("setpriv", &args), b"");
    assert_eq!(out.code, 0, "nobody cannot run {BIN}\n{out}");

    // The control: the same user reads the memory of an ordinary process of its own.
    let mut args: Vec<&str> = NOBODY.to_vec();
    args.extend(["/usr/bin/python3", "-c", MEM_READER, "control"]);
    let out = run_std(env.std_cmd_of("setpriv", &args), b"");
    assert!(out.stdout.contains("ok 16"), "the control read failed, so this check would prove nothing\n{out}");

    // tokctl waits for the passphrase on a terminal, as nobody.
    let mut args: Vec<&str> = NOBODY.to_vec();
    args.extend([BIN, "get", "gh"]);
    let mut pty = spawn_on_pty(env.std_cmd_of("setpriv", &args));
    pty.expect("Passphrase for", SECS_10);
    let tokctl = wait_for_process(pty.pid(), "tokctl get", |a| is_tokctl(a, "get"), SECS_10);
    let status = std::fs::read_to_string(format!("/proc/{tokctl}/status")).unwrap();
    assert!(status.lines().any(|l| l.starts_with("Uid:\t65534")), "tokctl runs as nobody: {status}");
    // proc(5): a non-dumpable process's /proc files belong to root.
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(format!("/proc/{tokctl}/status")).unwrap());
    assert_eq!(owner, 0, "tokctl is non-dumpable (its /proc files belong to root)");
    // Mapped addresses, read as root: the start of the binary, the heap and the stack.
    let maps = std::fs::read_to_string(format!("/proc/{tokctl}/maps")).unwrap();
    let mut addrs: Vec<String> = Vec::new();
    for (i, l) in maps.lines().enumerate() {
        if i == 0 || l.ends_with("[heap]") || l.ends_with("[stack]") {
            addrs.push(l.split('-').next().unwrap().to_string());
        }
    }
    let mut args: Vec<&str> = NOBODY.to_vec();
    let pid = tokctl.to_string();
    args.extend(["/usr/bin/python3", "-c", MEM_READER, &pid]);
    args.extend(addrs.iter().map(String::as_str));
    let out = run_std(env.std_cmd_of("setpriv", &args), b"");
    let results: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(results.len(), addrs.len(), "one result per address\n{out}");
    for r in &results {
        assert!(
            *r == "open 13" || *r == "open 1" || *r == "read 13" || *r == "read 1",
            "the same user read tokctl's memory while it waited at a prompt: {r}\n{out}"
        );
    }
    kill(tokctl, "KILL");
    let out = pty.finish(SECS_10);
    assert!(!out.stdout.contains(&secret), "{out}");
}

#[test]
fn cmdline_never_holds_a_secret_and_the_child_never_sees_the_vault_key() {
    let mut env = Env::env_key();
    let key = env.var("TOKCTL_VAULT_KEY").unwrap().to_string();
    env.set("TOKCTL_PASSPHRASE", "a passphrase that must not leak");
    let secret = env.create("gh", &[]);
    env.import("expo", "expo-imported-secret-123", &[]);
    let secrets = [secret.as_str(), "expo-imported-secret-123", key.as_str(), "a passphrase that must not leak"];
    let clean = |what: &str, bytes: &[u8]| {
        let text = String::from_utf8_lossy(bytes);
        for s in secrets {
            assert!(!text.contains(s), "{what} holds a secret or the key: {text:?}");
        }
        let body = key.trim_start_matches("tokctl-key-v1-");
        assert!(!text.contains(body), "{what} holds the vault key: {text:?}");
    };

    // `exec --mask`: tokctl stays the parent while the command runs.
    // The command is `cat` on tokctl's stdin, so it runs until the test closes that.
    let running = env.spawn(env.std_cmd(&["exec", "-t", "gh", "-t", "expo", "--mask", "--", "cat"]));
    let tokctl = running.pid();
    let child = wait_for_process(tokctl, "the command", runs("cat"), SECS_10);
    let cmdline = std::fs::read(format!("/proc/{tokctl}/cmdline")).unwrap();
    assert!(String::from_utf8_lossy(&cmdline).contains("exec"), "the right process: {cmdline:?}");
    clean("tokctl's /proc/<pid>/cmdline", &cmdline);
    clean("the command's /proc/<pid>/cmdline", &std::fs::read(format!("/proc/{child}/cmdline")).unwrap());
    let environ = std::fs::read(format!("/proc/{child}/environ")).unwrap();
    let vars: Vec<String> = environ.split(|&b| b == 0).map(|v| String::from_utf8_lossy(v).into_owned()).collect();
    assert!(vars.contains(&format!("GH_TOKEN={secret}")), "the command got its token (the right process)");
    assert!(vars.contains(&"EXPO_TOKEN=expo-imported-secret-123".to_string()));
    assert!(!vars.iter().any(|v| v.starts_with("TOKCTL_VAULT_KEY=") || v.starts_with("TOKCTL_PASSPHRASE=")));
    let injected: Vec<&String> =
        vars.iter().filter(|v| v.starts_with("GH_TOKEN=") || v.starts_with("EXPO_TOKEN=")).collect();
    let rest: Vec<u8> = vars.iter().filter(|v| !injected.contains(v)).flat_map(|v| v.bytes().chain([0])).collect();
    clean("the command's environment (besides its tokens)", &rest);
    let out = running.finish(SECS_10);
    assert_eq!(out.code, 0, "{out}");

    // Without --mask tokctl becomes the command: the same pid, the same rules.
    let running = env.spawn(env.std_cmd(&["exec", "-t", "gh", "--", "cat"]));
    let pid = running.pid();
    wait_for_process(pid, "the command", runs("cat"), SECS_10);
    clean("/proc/<pid>/cmdline after the exec", &std::fs::read(format!("/proc/{pid}/cmdline")).unwrap());
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let text = String::from_utf8_lossy(&environ);
    assert!(text.contains(&format!("GH_TOKEN={secret}")), "the right process");
    assert!(!text.contains("TOKCTL_VAULT_KEY") && !text.contains(&key) && !text.contains("TOKCTL_PASSPHRASE"));
    let out = running.finish(SECS_10);
    assert_eq!(out.code, 0, "{out}");

    // `import` waiting for its secret on stdin, and `verify` waiting for the presented token:
    // the secret is not on the command line before, while, or after it arrives.
    for (args, input) in [
        (&["import", "later"][..], b"later-secret-value-456\n".as_slice()),
        (&["verify"], format!("{secret}\n").as_bytes()),
    ] {
        let mut running = env.spawn(env.std_cmd(args));
        let pid = running.pid();
        wait_for_read_on(pid, 0, SECS_10);
        clean(&format!("{args:?} cmdline"), &std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default());
        running.feed(input);
        let out = running.finish(SECS_10);
        assert_eq!(out.code, 0, "{args:?}\n{out}");
        assert!(!out.stdout.contains("later-secret-value-456") && !out.stderr.contains("later-secret-value-456"));
    }
    assert_eq!(env.get("later"), "later-secret-value-456");
}

#[test]
fn exec_gives_the_command_the_users_core_limit_back() {
    let env = Env::env_key();
    env.create("gh", &[]);
    // `replace` sets the limit in tokctl itself right before execvp; `--mask` in its child.
    for mask in [&[][..], &["--mask"][..]] {
        let mut argv = vec![BIN, "exec", "-t", "gh"];
        argv.extend_from_slice(mask);
        argv.extend_from_slice(&["--", "sh", "-c", "ulimit -c"]);
        let out = env.run_cmd(with_cores(&env, &env.root, &argv), b"");
        assert_eq!((out.code, out.stdout.trim()), (0, "unlimited"), "{out}");
    }
}
