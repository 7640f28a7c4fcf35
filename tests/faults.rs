//! Faults and attacks (issue 4): writers killed with `kill -9` at random instants, a disk that
//! fills up during a write, fifty writers at once, a locked keyring collection and a keyring that
//! never had the vault's key (each on its own throw-away gnome-keyring, so the shared one the
//! other tests use is never locked), and what can be learnt about a running tokctl from outside:
//! core files after SIGABRT, `/proc/<pid>/mem`, `/proc/<pid>/cmdline`, a child's environment.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command as StdCommand, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::*;

// ---------------------------------------------------------------------------------------------
// Processes: finding tokctl and its child in /proc, signalling them, never leaving them behind
// ---------------------------------------------------------------------------------------------

/// `(pid, parent pid, argv)` of every process visible in /proc.
fn processes() -> Vec<(u32, u32, Vec<String>)> {
    let mut v = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else { return v };
    for e in rd.flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // `pid (comm) state ppid …`; comm may hold spaces and parentheses.
        let Some((_, after)) = stat.rsplit_once(')') else { continue };
        let Some(ppid) = after.split_whitespace().nth(1).and_then(|s| s.parse().ok()) else { continue };
        let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let argv = raw.split(|&b| b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned());
        v.push((pid, ppid, argv.collect()));
    }
    v
}

/// Wait until `root` or one of its descendants runs with an argv that `want` accepts.
fn wait_for_process(root: u32, what: &str, want: impl Fn(&[String]) -> bool, within: Duration) -> u32 {
    let start = Instant::now();
    loop {
        let all = processes();
        let mut tree = BTreeSet::from([root]);
        loop {
            let n = tree.len();
            for (pid, ppid, _) in &all {
                if tree.contains(ppid) {
                    tree.insert(*pid);
                }
            }
            if tree.len() == n {
                break;
            }
        }
        if let Some((pid, _, _)) = all.iter().find(|(pid, _, argv)| tree.contains(pid) && want(argv)) {
            return *pid;
        }
        if start.elapsed() > within {
            let mine: Vec<_> = all.iter().filter(|(p, _, _)| tree.contains(p)).collect();
            panic!("no {what} under pid {root} within {within:?}; the tree: {mine:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn is_tokctl(argv: &[String], sub: &str) -> bool {
    argv.first().is_some_and(|a| a == BIN) && argv.iter().any(|a| a == sub)
}

fn alive(pid: u32) -> bool {
    // A zombie still has a /proc entry; it counts as gone.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(')').is_some_and(|(_, a)| !a.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

/// kill(1) with a signal name; a process that is already gone is fine.
fn signal(pid: u32, sig: &str) {
    let _ = StdCommand::new("kill").args(["-s", sig, &pid.to_string()]).stderr(Stdio::null()).status();
}

/// `/proc/<pid>/limits`: the soft and hard "Max core file size".
fn core_limit(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("read /proc/<pid>/limits");
    let line = limits.lines().find(|l| l.starts_with("Max core file size")).expect("a core limit line");
    let mut f = line["Max core file size".len()..].split_whitespace();
    (f.next().unwrap().to_string(), f.next().unwrap().to_string())
}

/// A child that is killed and reaped when the test ends, however it ends. Its stdout is
/// collected on a thread (so a prompt can be waited for); stdin stays open until dropped.
struct Spawned {
    child: Child,
    stdin: Option<std::process::ChildStdin>,
    stdout: Arc<Mutex<Vec<u8>>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Spawned {
    fn start(mut c: StdCommand) -> Spawned {
        let what = format!("{c:?}");
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let stdout = Arc::new(Mutex::new(Vec::new()));
        let (mut o, mut e) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
        let sink = stdout.clone();
        let reader = std::thread::spawn(move || {
            let err = std::thread::spawn(move || {
                let mut v = Vec::new();
                let _ = e.read_to_end(&mut v);
                v
            });
            let mut buf = [0u8; 4096];
            while let Ok(n) = o.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
            let err = err.join().unwrap_or_default();
            sink.lock().unwrap().extend_from_slice(&err);
        });
        Spawned { stdin: child.stdin.take(), child, stdout, reader: Some(reader) }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn output(&self) -> String {
        String::from_utf8_lossy(&self.stdout.lock().unwrap()).into_owned()
    }

    fn wait_for_output(&self, want: &str, within: Duration) {
        let start = Instant::now();
        while !self.output().contains(want) {
            assert!(start.elapsed() < within, "{want:?} never appeared; output so far: {:?}", self.output());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Wait for the exit (with a deadline); the exit code (128+N for signal N) and the output.
    fn finish(mut self, within: Duration) -> (i32, String) {
        drop(self.stdin.take());
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().expect("try_wait") {
                break s;
            }
            assert!(start.elapsed() < within, "pid {} did not exit within {within:?}", self.pid());
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        (exit_code(&status), self.output())
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Crash: kill -9 at random instants
// ---------------------------------------------------------------------------------------------

/// What a writer can change about a token: its note and its status.
type State = BTreeMap<String, (String, String)>;

fn state_of(list_json: &str) -> State {
    let v: serde_json::Value = serde_json::from_str(list_json).expect("list --json is JSON");
    v.as_array()
        .expect("an array")
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{k} in {r}")).to_string();
            (s("name"), (s("note"), s("status")))
        })
        .collect()
}

/// Run `c`, SIGKILL it after `delay`; its exit code when it had finished by then, else `None`.
fn kill_9_after(mut c: StdCommand, stdin: &[u8], delay: Duration) -> Option<i32> {
    c.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
    let mut child = c.spawn().expect("spawn tokctl");
    let mut w = child.stdin.take().unwrap();
    let _ = w.write_all(stdin);
    drop(w);
    std::thread::sleep(delay);
    let finished = child.try_wait().expect("try_wait").map(|s| exit_code(&s));
    let _ = child.kill();
    let status = child.wait().expect("wait");
    finished.or_else(|| Some(exit_code(&status)).filter(|&c| c != 128 + 9))
}

#[test]
fn kill_9_of_mixed_writers_over_120_rounds_leaves_the_old_state_or_the_new_one() {
    const ROUNDS: usize = 120;
    let env = Env::env_key();
    // Ballast makes each write (seal, write, fsync, rename) take a while; `upd-*` and `rev-*`
    // are the tokens the update and revoke rounds change.
    let mut dotenv = String::new();
    for i in 0..150 {
        dotenv.push_str(&format!("BALLAST_{i}=ballast-{i}-{}\n", "b".repeat(60)));
    }
    for k in 0..ROUNDS / 4 {
        dotenv.push_str(&format!("UPD_{k}=update-me-{k}\nREV_{k}=revoke-me-{k}\n"));
    }
    env.ok(&["import", "--dotenv", "-"], dotenv.as_bytes());
    let t = Instant::now();
    env.ok(&["update", "ballast-0", "--note", "timing"], b"");
    let mut span = (t.elapsed().as_micros() as u64 * 13 / 10).max(3000);

    let mut state = state_of(&env.ok(&["list", "--all", "--json"], b""));
    let mut rng = Rng::seeded();
    let (mut old_kept, mut new_landed, mut exited_0) = (0, 0, 0);
    let (mut window_old, mut window_new) = (0, 0);
    for round in 0..ROUNDS {
        let k = round / 4;
        let mut new = state.clone();
        let (args, stdin): (Vec<String>, Vec<u8>) = match round % 4 {
            0 => {
                let name = format!("minted-{round}");
                new.insert(name.clone(), (format!("born-{round}"), "active".into()));
                (vec!["create".into(), name, "--note".into(), format!("born-{round}")], Vec::new())
            }
            1 => {
                let name = format!("imported-{round}");
                new.insert(name.clone(), (format!("born-{round}"), "active".into()));
                let args = vec!["import".into(), name, "--note".into(), format!("born-{round}")];
                (args, format!("imported-secret-{round}\n").into_bytes())
            }
            2 => {
                let name = format!("upd-{k}");
                new.get_mut(&name).unwrap().0 = format!("changed-{round}");
                (vec!["update".into(), name, "--note".into(), format!("changed-{round}")], Vec::new())
            }
            _ => {
                let name = format!("rev-{k}");
                new.get_mut(&name).unwrap().1 = "revoked".into();
                (vec!["revoke".into(), name, "--yes".into()], Vec::new())
            }
        };
        let delay = Duration::from_micros(rng.below(span));
        let code = kill_9_after(env.std_cmd(&args), &stdin, delay);
        let out = env.run(&["list", "--all", "--json"], b"");
        assert_eq!(out.code, 0, "round {round} ({args:?} killed after {delay:?}): the vault must open\n{out}");
        let now = state_of(&out.stdout);
        if now == state {
            old_kept += 1;
            window_old += 1;
        } else if now == new {
            new_landed += 1;
            window_new += 1;
        } else {
            let gained: Vec<_> = now.iter().filter(|(n, v)| state.get(*n) != Some(v)).collect();
            let lost: Vec<_> = state.keys().filter(|n| !now.contains_key(*n)).collect();
            panic!(
                "round {round} ({args:?} killed after {delay:?}): neither the old state nor the new one; changed or added {gained:?}, lost {lost:?}"
            );
        }
        if let Some(c) = code {
            assert_eq!(c, 0, "round {round}: {args:?} failed by itself (not killed)");
            exited_0 += 1;
            assert_eq!(now, new, "round {round}: a write that exited 0 is on disk");
        }
        state = now;
        // Keep the kills spread over the write: widen the window when every writer died before
        // writing, narrow it when every one had finished.
        if round % 10 == 9 {
            if window_new == 0 {
                span *= 2;
            } else if window_old == 0 {
                span = (span / 2).max(1000);
            }
            (window_old, window_new) = (0, 0);
        }
    }
    eprintln!(
        "kill -9 over {ROUNDS} rounds: old state kept {old_kept}, new state landed {new_landed} \
         ({exited_0} writers had exited 0 first); {} temp files left by killed writers",
        env.temp_files().len()
    );
    assert!(old_kept > 0 && new_landed > 0, "the kills hit both before and after the rename");
    // Survivors are whole: secrets read back, and the next write works.
    for round in (1..ROUNDS).step_by(4) {
        if state.contains_key(&format!("imported-{round}")) {
            assert_eq!(env.get(&format!("imported-{round}")), format!("imported-secret-{round}"));
        }
    }
    assert_eq!(env.get("ballast-149"), format!("ballast-149-{}", "b".repeat(60)));
    env.create("after-the-kills", &[]);
    env.ok(&["list", "--json"], b"");
}

#[test]
fn a_torn_log_line_from_a_crash_costs_no_later_event() {
    // A writer killed in the middle of appending to the log leaves a partial last line with no
    // newline. The module promises a torn line is simply skipped: the events after it must stay.
    let env = Env::env_key();
    env.create("gh", &[]);
    let log = env.log_path();
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).expect("the log exists");
    f.write_all(b"AAAAbbbbCCCCddddEEEEffff0123").unwrap();
    drop(f);
    env.ok(&["update", "gh", "--note", "after the crash"], b"");
    env.create("second", &[]);
    let events = env.json(&["log", "--json"]);
    let actions: Vec<(String, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["token"].as_str().unwrap().to_string()))
        .collect();
    for want in [("updated", "gh"), ("created", "second"), ("created", "gh")] {
        assert!(
            actions.contains(&(want.0.to_string(), want.1.to_string())),
            "the log lost {want:?} after a torn line: {actions:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// A full disk
// ---------------------------------------------------------------------------------------------

/// A small tmpfs mounted for one test; unmounted when dropped, also when the test fails.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let out = StdCommand::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0700"), "tokctl-full-disk"])
            .arg(dir)
            .output()
            .expect("run mount(8)");
        assert!(
            out.status.success(),
            "this test needs `mount -t tmpfs` (root in a machine that allows mounts) and it was refused: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Tmpfs(dir.to_path_buf())
    }

    /// Bytes still free, from df(1).
    fn free(&self) -> u64 {
        let out = StdCommand::new("df").args(["-B1", "--output=avail"]).arg(&self.0).output().expect("df");
        let text = String::from_utf8_lossy(&out.stdout);
        text.lines().nth(1).and_then(|l| l.trim().parse().ok()).unwrap_or_else(|| panic!("df said {text:?}"))
    }

    /// Write a filler file until only about `leave` bytes are free (0: until ENOSPC).
    fn fill(&self, name: &str, leave: u64) -> PathBuf {
        let p = self.0.join(name);
        let mut f = std::fs::File::create(&p).unwrap();
        let chunk = vec![0x55u8; 4096];
        loop {
            let free = self.free();
            if free <= leave {
                break;
            }
            let n = ((free - leave) as usize).min(chunk.len());
            if f.write_all(&chunk[..n]).and_then(|_| f.sync_all()).is_err() {
                break;
            }
        }
        p
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = StdCommand::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_full_disk_during_a_write_fails_clearly_keeps_the_old_vault_and_leaves_no_temp_file() {
    let mut env = Env::env_key();
    let disk = Tmpfs::mount(&env.root.join("disk"), "256k");
    env.vault = disk.0.join("vault").join("vault.toml");
    let secret = env.create("gh", &["--scope", "repo"]);
    env.import("expo", "expo-secret-value", &[]);
    let vault_dir = env.vault.parent().unwrap().to_path_buf();
    let before = snapshot(&vault_dir);
    let old = env.vault_bytes();

    // A dotenv file (on the big disk) whose vault cannot fit in what is left on the small one.
    let mut big = String::new();
    for i in 0..400 {
        big.push_str(&format!("BULK_{i}=bulk-secret-{i}-{}\n", "v".repeat(80)));
    }
    let big = env.write_file("big.env", big.as_bytes());
    let filler = disk.fill("filler", 12 * 1024);
    assert!(disk.free() < 16 * 1024, "the disk is almost full: {} bytes free", disk.free());

    // Each refusal is checked against the directory as it was, then the old vault is read
    // (which appends a use to the log, so the snapshot is taken again afterwards).
    let check = |out: &Out, what: &str, before: &Snapshot| -> Snapshot {
        assert_ne!(out.code, 0, "{what}: a write that did not fit must fail\n{out}");
        assert_ne!(out.code, 101, "{what}: no panic\n{out}");
        assert!(out.stderr.starts_with("tokctl: "), "{what}: an error message\n{out}");
        assert!(out.stderr.contains("No space left on device"), "{what}: the message names the cause\n{out}");
        assert!(out.stderr.contains("vault.toml"), "{what}: the message names the file\n{out}");
        assert!(!out.stderr.contains("bulk-secret") && !out.stderr.contains(&secret), "{what}: {out}");
        assert_unchanged(before, &snapshot(&vault_dir), out);
        assert!(env.temp_files().is_empty(), "{what}: temp files left behind: {:?}", env.temp_files());
        assert_eq!(env.vault_bytes(), old, "{what}: the old vault is byte-identical");
        assert_eq!(env.names(), ["expo", "gh"], "{what}: nothing half-imported");
        assert_eq!(env.get("gh"), secret, "{what}: the old vault still opens");
        snapshot(&vault_dir)
    };
    let out = env.run(&["import", "--dotenv", &big.display().to_string()], b"");
    assert_eq!(out.code, 1, "an I/O failure is exit 1\n{out}");
    let mut before = check(&out, "import --dotenv with a few KiB free", &before);

    // Not a byte left: a small write fails the same way.
    let filler2 = disk.fill("filler2", 0);
    for args in [&["create", "one-more"][..], &["update", "gh", "--note", "x"], &["revoke", "expo", "--yes"]] {
        let out = env.run(args, b"");
        before = check(&out, &format!("{args:?} with the disk full"), &before);
    }
    // A read still works (its log append is best effort), and prints the right secret.
    assert_eq!(env.get("gh"), secret);

    // Room again: the same import succeeds, and the history is whole.
    std::fs::remove_file(filler).unwrap();
    std::fs::remove_file(filler2).unwrap();
    env.ok(&["import", "--dotenv", &big.display().to_string()], b"");
    assert_eq!(env.names().len(), 402);
    assert_eq!(env.get("bulk-399"), format!("bulk-secret-399-{}", "v".repeat(80)));
    assert!(env.temp_files().is_empty(), "{:?}", env.temp_files());
    let log = env.json(&["log", "--json"]);
    let imported = log.as_array().unwrap().iter().filter(|e| e["action"] == "imported").count();
    assert_eq!(imported, 401, "expo and the 400 bulk tokens are in the log after the disk was full: {log}");
}

// ---------------------------------------------------------------------------------------------
// Concurrency: fifty writers of mixed commands at once
// ---------------------------------------------------------------------------------------------

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
    let children: Vec<_> = jobs
        .iter()
        .map(|(_, args, stdin)| {
            let mut c = env.std_cmd(args);
            c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
            let mut child = c.spawn().expect("spawn tokctl");
            (child.stdin.take().unwrap(), stdin.clone(), child)
        })
        .collect();
    let mut minted: BTreeMap<String, String> = BTreeMap::new();
    for ((mut w, stdin, child), (_, args, _)) in children.into_iter().zip(&jobs) {
        w.write_all(&stdin).expect("feed stdin");
        drop(w);
        let out = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?} failed: {stderr}");
        if args[0] == "create" {
            minted.insert(args[1].clone(), String::from_utf8_lossy(&out.stdout).trim_end().to_string());
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

// ---------------------------------------------------------------------------------------------
// Keyring faults on a throw-away gnome-keyring of their own
// ---------------------------------------------------------------------------------------------

/// A separate D-Bus session with its own unlocked gnome-keyring, as `.ci/with-keyring` makes,
/// but for one test: it can be locked, or play "another machine", without touching the session
/// every other test shares. Torn down when dropped.
struct PrivateKeyring {
    session: Child,
    address: String,
    /// The `sleep` that keeps the session alive, and the keyring daemon.
    holder: u32,
    daemon: u32,
    dir: tempfile::TempDir,
}

impl PrivateKeyring {
    fn start() -> PrivateKeyring {
        let dir = tempfile::Builder::new().prefix("tokctl-keyring-").tempdir().expect("temp dir");
        for sub in ["data", "run", "cache"] {
            std::fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let script = r#"
eval "$(printf 'throw-away-password\n' | gnome-keyring-daemon --unlock --components=secrets 2>/dev/null)"
owned() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}
i=0
until owned; do i=$((i+1)); [ "$i" -gt 200 ] && { echo 'gnome-keyring never took the bus name' >&2; exit 3; }; sleep 0.05; done
daemon=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
  org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets | awk '/uint32/ {print $2}')
printf '%s\n%s\n%s\n' "$DBUS_SESSION_BUS_ADDRESS" "$$" "$daemon" > "$1/ready.tmp"
mv "$1/ready.tmp" "$1/ready"
exec sleep 600
"#;
        let log = std::fs::File::create(dir.path().join("session.log")).unwrap();
        let session = StdCommand::new("dbus-run-session")
            .args(["--", "sh", "-c", script, "sh"])
            .arg(dir.path())
            .env_remove("DBUS_SESSION_BUS_ADDRESS")
            .env_remove("GNOME_KEYRING_CONTROL")
            .env("HOME", dir.path())
            .env("XDG_DATA_HOME", dir.path().join("data"))
            .env("XDG_RUNTIME_DIR", dir.path().join("run"))
            .env("XDG_CACHE_HOME", dir.path().join("cache"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("dbus-run-session (package dbus) and gnome-keyring");
        let mut pk = PrivateKeyring { session, address: String::new(), holder: 0, daemon: 0, dir };
        let ready = pk.dir.path().join("ready");
        let start = Instant::now();
        while !ready.exists() {
            let log = std::fs::read_to_string(pk.dir.path().join("session.log")).unwrap_or_default();
            if let Ok(Some(st)) = pk.session.try_wait() {
                panic!("the private keyring session ended ({st}) before it was ready: {log}");
            }
            assert!(start.elapsed() < Duration::from_secs(20), "the private keyring never came up: {log}");
            std::thread::sleep(Duration::from_millis(25));
        }
        let text = std::fs::read_to_string(&ready).unwrap();
        let mut lines = text.lines();
        pk.address = lines.next().unwrap().to_string();
        pk.holder = lines.next().unwrap().parse().unwrap();
        pk.daemon = lines.next().unwrap().trim().parse().unwrap_or(0);
        pk
    }

    fn command(&self, program: &str, args: &[&str]) -> std::process::Output {
        StdCommand::new(program)
            .args(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.address)
            .env("HOME", self.dir.path())
            .output()
            .unwrap_or_else(|e| panic!("run {program}: {e}"))
    }

    /// `secret-tool search --all service tokctl` here: stdout and stderr together.
    fn tokctl_entries(&self) -> String {
        let out = self.command("secret-tool", &["search", "--all", "service", "tokctl"]);
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    /// Call a method of the Secret Service on this session's bus.
    fn secret_service(&self, method: &str, arg: &str) -> std::process::Output {
        let method = format!("org.freedesktop.Secret.Service.{method}");
        self.command(
            "dbus-send",
            &["--session", "--print-reply", "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets", &method, arg],
        )
    }

    /// Object paths of the items with these attributes, as (unlocked, locked).
    fn search_items(&self, attrs: &[(&str, &str)]) -> (Vec<String>, Vec<String>) {
        let dict: Vec<String> = attrs.iter().map(|(k, v)| format!("{k},{v}")).collect();
        let out = self.secret_service("SearchItems", &format!("dict:string:string:{}", dict.join(",")));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "SearchItems: {}", String::from_utf8_lossy(&out.stderr));
        let mut arrays: Vec<Vec<String>> = Vec::new();
        for line in text.lines() {
            let l = line.trim();
            if l.starts_with("array [") {
                arrays.push(Vec::new());
            } else if let Some(p) = l.strip_prefix("object path \"").and_then(|p| p.strip_suffix('"')) {
                arrays.last_mut().expect("inside an array").push(p.to_string());
            }
        }
        assert_eq!(arrays.len(), 2, "SearchItems returns (unlocked, locked): {text}");
        (arrays[0].clone(), arrays[1].clone())
    }

    fn lock(&self, collection: &str) {
        let out = self.secret_service("Lock", &format!("array:objpath:{collection}"));
        assert!(out.status.success(), "Lock {collection}: {}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        // The holder exiting ends dbus-run-session, which stops its bus; the daemon is stopped
        // by its pid (a child of this test's session, started above).
        signal(self.holder, "TERM");
        if self.daemon > 0 {
            signal(self.daemon, "TERM");
        }
        let start = Instant::now();
        while let Ok(None) = self.session.try_wait() {
            if start.elapsed() > Duration::from_secs(5) {
                let _ = self.session.kill();
                let _ = self.session.wait();
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

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

// ---------------------------------------------------------------------------------------------
// Leaks: core files, /proc/<pid>/mem, cmdline and a child's environment
// ---------------------------------------------------------------------------------------------

fn core_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("core"))
        .collect()
}

/// `sh -c 'ulimit -c unlimited; exec "$0" "$@"' PROGRAM ARGS…` in `dir`.
fn with_cores(env: &Env, dir: &Path, argv: &[&str]) -> StdCommand {
    let mut full = vec!["-c", "ulimit -c unlimited && exec \"$0\" \"$@\""];
    full.extend_from_slice(argv);
    let mut c = env.std_cmd_of("sh", &full);
    c.current_dir(dir);
    c
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
    let control_dir = env.root.join("control");
    std::fs::create_dir(&control_dir).unwrap();
    if cores_land_in_cwd {
        let sleeper = Spawned::start(with_cores(&env, &control_dir, &["sleep", "30"]));
        let pid = wait_for_process(sleeper.pid(), "sleep", |a| a.first().is_some_and(|p| p == "sleep"), SECS_10);
        assert_eq!(core_limit(pid).0, "unlimited");
        signal(pid, "ABRT");
        let (code, _) = sleeper.finish(SECS_10);
        assert_eq!(code, 128 + 6);
        let cores = core_files(&control_dir);
        assert!(
            !cores.is_empty(),
            "the control: `sleep` killed by SIGABRT dumped no core, so this check proves nothing here (core_pattern {pattern:?})"
        );
    }

    // 1. `exec --mask` holds the unlocked vault's secret while its command runs.
    let dir = env.root.join("exec-mask");
    std::fs::create_dir(&dir).unwrap();
    let c = with_cores(&env, &dir, &[BIN, "exec", "-t", "gh", "--mask", "--", "sleep", "30"]);
    let running = Spawned::start(c);
    let tokctl = running.pid(); // sh exec'd tokctl
    let child = wait_for_process(tokctl, "the command", |a| a.first().is_some_and(|p| p == "sleep"), SECS_10);
    assert!(is_tokctl(&processes().into_iter().find(|p| p.0 == tokctl).unwrap().2, "exec"));
    assert_eq!(core_limit(tokctl).0, "0", "tokctl lowered its own core limit");
    assert_eq!(core_limit(child).0, "unlimited", "…and gave the command the user's limit back");
    signal(tokctl, "ABRT");
    let (code, _) = running.finish(SECS_10);
    assert_eq!(code, 128 + 6, "tokctl died of SIGABRT");
    let start = Instant::now();
    while alive(child) && start.elapsed() < SECS_10 {
        std::thread::sleep(Duration::from_millis(20));
    }
    signal(child, "KILL"); // if the orphan guard did not stop it
    assert!(core_files(&dir).is_empty(), "a core file after SIGABRT of `exec --mask`: {:?}", core_files(&dir));

    // 2. `import NAME` at a no-echo prompt on a terminal, the vault key in its environment.
    let dir = env.root.join("import-prompt");
    std::fs::create_dir(&dir).unwrap();
    let line = format!("sh -c 'ulimit -c unlimited && exec {BIN} import typed'");
    let mut c = env.std_cmd_of("script", &["-qec", &line, "/dev/null"]);
    c.current_dir(&dir);
    let running = Spawned::start(c);
    running.wait_for_output("Secret for 'typed'", SECS_10);
    let tokctl = wait_for_process(running.pid(), "tokctl import", |a| is_tokctl(a, "import"), SECS_10);
    assert_eq!(core_limit(tokctl).0, "0");
    signal(tokctl, "ABRT");
    let (code, out) = running.finish(SECS_10);
    assert_ne!(code, 0, "{out}");
    assert!(core_files(&dir).is_empty(), "a core file after SIGABRT at the prompt: {:?}", core_files(&dir));
    assert!(!env.names().contains(&"typed".to_string()));
    assert_eq!(env.get("gh"), secret);
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
        let out = run_std(with_cores(&env, &env.root, &argv), b"");
        assert_eq!((out.code, out.stdout.trim()), (0, "unlimited"), "{out}");
    }
}

const SECS_10: Duration = Duration::from_secs(10);

/// A Python reader that opens `/proc/PID/mem` and reads 16 bytes at each address; it prints one
/// `ok N`, `open ERRNO` or `read ERRNO` per address. With `control` it first starts a `sleep` of
/// its own (a descendant, so even Yama's ptrace_scope=1 allows it) and reads that instead.
const MEM_READER: &str = r#"
import os, subprocess, sys, time
pid, addrs = sys.argv[1], sys.argv[2:]
if pid == "control":
    p = subprocess.Popen(["sleep", "30"])
    time.sleep(0.2)
    pid = str(p.pid)
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
    // ordinary user. So tokctl and the reader both run as nobody, in a directory nobody owns.
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "a passphrase for the mem test");
    let secret = env.create("gh", &[]);
    env.unset("TOKCTL_PASSPHRASE");
    let chown = StdCommand::new("chown").args(["-R", "65534:65534"]).arg(&env.root).status().expect("chown");
    assert!(chown.success());
    let probe = StdCommand::new("setpriv").args(NOBODY).args([BIN, "--version"]).output().expect("setpriv");
    assert!(probe.status.success(), "nobody cannot run {BIN}: {probe:?}");

    // The control: the same user reads the memory of an ordinary process of its own.
    let mut args: Vec<&str> = NOBODY.to_vec();
    args.extend(["/usr/bin/python3", "-c", MEM_READER, "control"]);
    let out = run_std(env.std_cmd_of("setpriv", &args), b"");
    assert!(out.stdout.contains("ok 16"), "the control read failed, so this check would prove nothing\n{out}");

    // tokctl waits for the passphrase on a terminal, as nobody.
    let line = format!("exec {BIN} get gh");
    let mut args: Vec<&str> = NOBODY.to_vec();
    args.extend(["script", "-qec", &line, "/dev/null"]);
    let running = Spawned::start(env.std_cmd_of("setpriv", &args));
    running.wait_for_output("Passphrase for", SECS_10);
    let tokctl = wait_for_process(running.pid(), "tokctl get", |a| is_tokctl(a, "get"), SECS_10);
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
    signal(tokctl, "KILL");
    let (_, output) = running.finish(SECS_10);
    assert!(!output.contains(&secret), "{output}");
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
    let running = Spawned::start(env.std_cmd(&["exec", "-t", "gh", "-t", "expo", "--mask", "--", "cat"]));
    let tokctl = running.pid();
    let child = wait_for_process(tokctl, "the command", |a| a.first().is_some_and(|p| p == "cat"), SECS_10);
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
    let (code, out) = running.finish(SECS_10);
    assert_eq!(code, 0, "{out}");

    // Without --mask tokctl becomes the command: the same pid, the same rules.
    let running = Spawned::start(env.std_cmd(&["exec", "-t", "gh", "--", "cat"]));
    let pid = running.pid();
    wait_for_process(pid, "the command", |a| a.first().is_some_and(|p| p == "cat"), SECS_10);
    clean("/proc/<pid>/cmdline after the exec", &std::fs::read(format!("/proc/{pid}/cmdline")).unwrap());
    let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap();
    let text = String::from_utf8_lossy(&environ);
    assert!(text.contains(&format!("GH_TOKEN={secret}")), "the right process");
    assert!(!text.contains("TOKCTL_VAULT_KEY") && !text.contains(&key) && !text.contains("TOKCTL_PASSPHRASE"));
    let (code, out) = running.finish(SECS_10);
    assert_eq!(code, 0, "{out}");

    // `import` waiting for its secret on stdin, and `verify` waiting for the presented token:
    // the secret is not on the command line before, while, or after it arrives.
    for (args, input) in [
        (&["import", "later"][..], b"later-secret-value-456\n".as_slice()),
        (&["verify"], format!("{secret}\n").as_bytes()),
    ] {
        let mut running = Spawned::start(env.std_cmd(args));
        let pid = running.pid();
        std::thread::sleep(Duration::from_millis(200));
        clean(&format!("{args:?} cmdline"), &std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default());
        let mut w = running.stdin.take().unwrap();
        w.write_all(input).unwrap();
        drop(w);
        let (code, out) = running.finish(SECS_10);
        assert_eq!(code, 0, "{args:?}: {out}");
        assert!(!out.contains("later-secret-value-456"));
    }
    assert_eq!(env.get("later"), "later-secret-value-456");
}
