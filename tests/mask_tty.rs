//! `exec --mask` on a real terminal: the command runs in its own session with a pseudo-terminal
//! as its controlling terminal, so what it writes to `/dev/tty` is masked, what it reads from
//! `/dev/tty` is what the user types, ^C ^Z ^\ act on it, and the user's terminal gets its modes
//! back. Each test drives `script` (util-linux) the way a person at a terminal would: it types
//! into script's stdin and waits for what appears on script's stdout, never for a fixed time.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::support::{BIN, Env};

/// How long anything may take before the test gives up (a bound, never a wait).
const PATIENCE: Duration = Duration::from_secs(30);

/// POSIX single-quoting, for building the line `script` runs.
fn q(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// `tokctl exec -t x --mask -- sh -c SCRIPT`, as a shell word list.
fn masked_sh(script: &str) -> String {
    format!("{} exec -t x --mask -- sh -c {}", q(BIN), q(script))
}

/// A terminal with `script -qec LINE` running in it: what is typed goes to its input, what it
/// shows is collected as it comes.
struct Term {
    child: Child,
    keys: Option<ChildStdin>,
    screen: Arc<(Mutex<Vec<u8>>, Condvar)>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Term {
    fn start(env: &Env, line: &str) -> Term {
        let mut c = env.std_cmd_of("script", &["-qec", line, "/dev/null"]);
        // An interactive dash reads $ENV at start; none of the caller's may leak in.
        c.env_remove("ENV").env("PS1", "PROMPT$ ");
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = c.spawn().expect("run script (util-linux)");
        let keys = child.stdin.take();
        let screen = Arc::new((Mutex::new(Vec::new()), Condvar::new()));
        let (mut out, shared) = (child.stdout.take().unwrap(), screen.clone());
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                let n = out.read(&mut buf).unwrap_or(0);
                let (lock, cv) = &*shared;
                if n > 0 {
                    lock.lock().unwrap().extend_from_slice(&buf[..n]);
                }
                cv.notify_all();
                if n == 0 {
                    break;
                }
            }
        });
        Term { child, keys, screen, reader: Some(reader) }
    }

    /// Keys typed at the terminal.
    fn type_keys(&mut self, bytes: &[u8]) {
        let k = self.keys.as_mut().expect("the terminal's input is open");
        k.write_all(bytes).and_then(|_| k.flush()).expect("type at the terminal");
    }

    /// Everything shown so far.
    fn shown(&self) -> String {
        String::from_utf8_lossy(&self.screen.0.lock().unwrap()).into_owned()
    }

    /// Wait until `needle` is shown at or after byte `from`; returns where it ends.
    #[track_caller]
    fn wait_for(&self, needle: &str, from: usize) -> usize {
        let (lock, cv) = &*self.screen;
        let deadline = Instant::now() + PATIENCE;
        let mut seen = lock.lock().unwrap();
        loop {
            if let Some(i) = seen.get(from..).and_then(|s| s.windows(needle.len()).position(|w| w == needle.as_bytes()))
            {
                return from + i + needle.len();
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(
                !left.is_zero(),
                "{needle:?} never appeared; the terminal shows:\n{}",
                String::from_utf8_lossy(&seen)
            );
            seen = cv.wait_timeout(seen, left).unwrap().0;
        }
    }

    /// Close the terminal's input and wait for `script` to end: its status and the whole screen.
    fn finish(mut self) -> (i32, String) {
        let deadline = Instant::now() + PATIENCE;
        let status = loop {
            if let Some(st) = self.child.try_wait().unwrap() {
                break st;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("the terminal session did not end; it shows:\n{}", self.shown());
            }
            let (lock, cv) = &*self.screen;
            let _ = cv.wait_timeout(lock.lock().unwrap(), Duration::from_millis(50)).unwrap();
        };
        drop(self.keys.take());
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        (crate::support::exit_code(&status), self.shown())
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        // A failed test must not leave a session behind.
        if self.reader.is_some() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The `n`th number in /proc/PID/stat after the command name (field 3 is the state).
fn proc_stat(pid: u32) -> (char, u32) {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_else(|e| panic!("/proc/{pid}/stat: {e}"));
    let rest = &s[s.rfind(')').expect("a command name") + 2..];
    let mut f = rest.split(' ');
    let state = f.next().unwrap().chars().next().unwrap();
    let ppid = f.next().unwrap().parse().unwrap();
    (state, ppid)
}

/// The pid a command wrote to `file`.
fn pid_in(file: &Path) -> u32 {
    std::fs::read_to_string(file).unwrap().trim().parse().unwrap()
}

/// tokctl's pid, found from the command's: the command's parent is tokctl's session helper,
/// whose parent is tokctl.
fn tokctl_above(command: u32) -> u32 {
    let mut pid = command;
    for _ in 0..3 {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok();
        if pid != command && exe.as_deref() == Some(Path::new(BIN)) && proc_stat(pid).1 != 0 {
            let parent = proc_stat(pid).1;
            if std::fs::read_link(format!("/proc/{parent}/exe")).ok().as_deref() != Some(Path::new(BIN)) {
                return pid;
            }
        }
        pid = proc_stat(pid).1;
    }
    panic!("no tokctl above pid {command}");
}

#[test]
fn exec_mask_hides_a_secret_written_to_dev_tty_whatever_is_redirected() {
    let env = Env::env_key();
    let x = env.create("x", &[]);
    let inner = r#"printf 'tty=[%s]\r\n' "$X_TOKEN" > /dev/tty; printf 'out=[%s]\n' "$X_TOKEN""#;
    // Every way a user has a terminal: all three, stdin from elsewhere, stdout or both outputs
    // into files.
    for (i, redirect) in ["", "</dev/null", ">out-2", ">out-3 2>err-3"].into_iter().enumerate() {
        let line = format!("exec {} {redirect}", masked_sh(inner));
        let t = Term::start(&env, &line);
        t.wait_for("tty=[***]", 0);
        let (code, shown) = t.finish();
        assert_eq!(code, 0, "case {i} ({redirect:?}): {shown:?}");
        assert!(!shown.contains(&x), "case {i} ({redirect:?}): the secret reached the terminal: {shown:?}");
        let out = std::fs::read_to_string(env.root.join(format!("out-{i}"))).unwrap_or_else(|_| shown.clone());
        assert!(out.contains("out=[***]") && !out.contains(&x), "case {i} ({redirect:?}): {out:?}");
    }
}

#[test]
fn exec_mask_ctrl_c_and_ctrl_backslash_typed_at_the_terminal_reach_the_command_once() {
    let env = Env::env_key();
    env.create("x", &[]);
    let marker = env.root.join("marker");
    let inner = format!(
        "trap 'echo QUIT >> {m}; echo GOT-QU\"\"IT' QUIT; trap 'echo INT >> {m}; exit 13' INT; \
         echo REA\"\"DY; while :; do sleep 0.05; done",
        m = marker.display()
    );
    let mut t = Term::start(&env, &format!("exec {}", masked_sh(&inner)));
    let at = t.wait_for("READY", 0);
    t.type_keys(b"\x1c");
    t.wait_for("GOT-QUIT", at);
    t.type_keys(b"\x03");
    let (code, shown) = t.finish();
    assert_eq!(std::fs::read_to_string(&marker).ok().as_deref(), Some("QUIT\nINT\n"), "{shown:?}");
    assert_eq!(code, 13, "tokctl exits with the command's status: {shown:?}");
}

#[test]
fn exec_mask_a_prompt_on_dev_tty_reads_what_is_typed_and_its_echo_is_masked() {
    let env = Env::env_key();
    let x = env.create("x", &[]);
    // A password prompt as ssh and git do it (echo off on /dev/tty), then a visible prompt the
    // user pastes the token into: the command gets it, the screen shows only ***.
    let inner = r#"stty -echo < /dev/tty; printf 'Password: ' > /dev/tty; read -r p < /dev/tty
        stty echo < /dev/tty; printf '\ngot [%s]\n' "$p"
        printf 'Token: ' > /dev/tty; read -r t < /dev/tty
        [ "$t" = "$X_TOKEN" ] && echo TOKEN-MA""TCH"#;
    for redirect in ["", "</dev/null"] {
        let mut t = Term::start(&env, &format!("exec {} {redirect}", masked_sh(inner)));
        let at = t.wait_for("Password: ", 0);
        t.type_keys(b"hunter2\r");
        let at = t.wait_for("Token: ", at);
        t.type_keys(format!("{x}\r").as_bytes());
        t.wait_for("TOKEN-MATCH", at);
        let (code, shown) = t.finish();
        assert_eq!(code, 0, "{redirect:?}: {shown:?}");
        assert!(shown.contains("got [hunter2]"), "{redirect:?}: {shown:?}");
        assert_eq!(shown.matches("hunter2").count(), 1, "{redirect:?}: the password was echoed: {shown:?}");
        assert!(!shown.contains(&x), "{redirect:?}: the pasted token was echoed in clear: {shown:?}");
        assert!(shown.contains("Token: ***"), "{redirect:?}: {shown:?}");
    }
}

#[test]
fn exec_mask_gives_the_terminal_its_modes_back_however_it_ends() {
    let env = Env::env_key();
    env.create("x", &[]);
    // The command leaves its terminal raw and dies; tokctl is told to stop (SIGTERM, which it
    // forwards); the command ends normally. After each, the user's terminal is as it was.
    let kill_tokctl = "kill -TERM $(awk '{print $4}' /proc/$PPID/stat)";
    let cases = [
        ("raw-and-killed", "stty raw -echo; kill -KILL $$".to_string(), "137"),
        ("term", format!("trap 'exit 7' TERM; {kill_tokctl}; while :; do sleep 0.05; done"), "7"),
        ("normal", "stty -icanon; exit 3".to_string(), "3"),
    ];
    for (name, inner, status) in cases {
        let line = format!(
            "stty -g > before-{name}; {}; echo \"status=$?\"; stty -g > after-{name}; echo DO\"\"NE",
            masked_sh(&inner)
        );
        let t = Term::start(&env, &line);
        t.wait_for("DONE", 0);
        let (code, shown) = t.finish();
        assert_eq!(code, 0, "{name}: {shown:?}");
        assert!(shown.contains(&format!("status={status}")), "{name}: {shown:?}");
        let read = |f: String| std::fs::read_to_string(env.root.join(f)).unwrap();
        assert_eq!(
            read(format!("after-{name}")),
            read(format!("before-{name}")),
            "{name}: the terminal's modes changed"
        );
    }
}

#[test]
fn exec_mask_ctrl_z_suspends_the_command_and_tokctl_and_fg_resumes_both() {
    let env = Env::env_key();
    env.create("x", &[]);
    let (qpid, marker) = (env.root.join("qpid"), env.root.join("marker"));
    // A job-control shell, as the user has: ^Z must give it the terminal back.
    let mut t = Term::start(&env, "sh -i");
    let mut at = t.wait_for("PROMPT$ ", 0);
    t.type_keys(b"stty -g > before\n");
    at = t.wait_for("PROMPT$ ", at);
    // No shell loop: dash forks each `sleep` with vfork, and a ^Z that catches the child between
    // vfork and exec leaves dash unstoppable, with tokctl or without it.
    let py = format!(
        "import os, signal, sys, time\n\
         signal.signal(signal.SIGCONT, lambda *a: (open({m:?}, 'a').write('CONT\\n'), print('RESU' + 'MED', flush=True)))\n\
         signal.signal(signal.SIGINT, lambda *a: sys.exit(13))\n\
         open({p:?}, 'w').write(str(os.getpid()))\n\
         print('REA' + 'DY', flush=True)\n\
         while True: time.sleep(1)\n",
        m = marker.display().to_string(),
        p = qpid.display().to_string()
    );
    t.type_keys(format!("{} exec -t x --mask -- python3 -c {}\n", q(BIN), q(&py)).as_bytes());
    at = t.wait_for("READY", at);
    t.type_keys(b"\x1a");
    at = t.wait_for("PROMPT$ ", at);
    let command = pid_in(&qpid);
    let tokctl = tokctl_above(command);
    assert_eq!(proc_stat(command).0, 'T', "the command is not stopped: {}", t.shown());
    assert_eq!(proc_stat(tokctl).0, 'T', "tokctl is not stopped: {}", t.shown());
    // The shell has its terminal back as it was, not raw.
    t.type_keys(b"stty -g > during\n");
    at = t.wait_for("PROMPT$ ", at);
    assert_eq!(
        std::fs::read_to_string(env.root.join("during")).unwrap(),
        std::fs::read_to_string(env.root.join("before")).unwrap()
    );
    t.type_keys(b"fg\n");
    at = t.wait_for("RESUMED", at);
    assert_ne!(proc_stat(tokctl).0, 'T', "tokctl runs again");
    t.type_keys(b"\x03");
    at = t.wait_for("PROMPT$ ", at);
    t.type_keys(b"echo \"status=$?\"; exit\n");
    t.wait_for("status=13", at);
    let (_, shown) = t.finish();
    assert_eq!(std::fs::read_to_string(&marker).ok().as_deref(), Some("CONT\n"), "{shown:?}");
}

#[test]
fn exec_mask_ctrl_z_handled_by_the_command_leaves_tokctl_running() {
    let env = Env::env_key();
    env.create("x", &[]);
    let qpid = env.root.join("qpid");
    // Like vim or a shell, the command handles ^Z itself: nothing is suspended.
    let py = format!(
        "import os, signal, sys, time\n\
         signal.signal(signal.SIGTSTP, lambda *a: print('GOT-' + 'TSTP', flush=True))\n\
         signal.signal(signal.SIGINT, lambda *a: sys.exit(13))\n\
         open({p:?}, 'w').write(str(os.getpid()))\n\
         print('REA' + 'DY', flush=True)\n\
         while True: time.sleep(1)\n",
        p = qpid.display().to_string()
    );
    let mut t = Term::start(&env, "sh -i");
    let mut at = t.wait_for("PROMPT$ ", 0);
    let line = format!("{} exec -t x --mask -- python3 -c {}\n", q(BIN), q(&py));
    t.type_keys(line.as_bytes());
    at = t.wait_for("READY", at);
    t.type_keys(b"\x1a");
    at = t.wait_for("GOT-TSTP", at);
    let command = pid_in(&qpid);
    let tokctl = tokctl_above(command);
    assert_ne!(proc_stat(tokctl).0, 'T', "tokctl stopped though the command did not: {}", t.shown());
    assert_ne!(proc_stat(command).0, 'T', "the command stopped: {}", t.shown());
    t.type_keys(b"\x03");
    at = t.wait_for("PROMPT$ ", at);
    assert_eq!(t.shown()[..at].matches("GOT-TSTP").count(), 1);
    t.type_keys(b"echo \"status=$?\"; exit\n");
    t.wait_for("status=13", at);
    t.finish();
}

#[test]
fn exec_mask_with_stdin_from_a_pipe_reads_the_pipe_and_still_prompts_on_the_terminal() {
    let env = Env::env_key();
    let x = env.create("x", &[]);
    let inner = r#"read -r d; echo "stdin [$d]"; printf 'tty=[%s]\n' "$X_TOKEN" > /dev/tty
        printf 'Password: ' > /dev/tty; read -r p < /dev/tty; echo "got [$p]""#;
    let mut t = Term::start(&env, &format!("printf 'piped data\\n' | {}", masked_sh(inner)));
    let at = t.wait_for("Password: ", 0);
    t.type_keys(b"hunter2\r");
    t.wait_for("got [hunter2]", at);
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
    assert!(shown.contains("stdin [piped data]") && shown.contains("tty=[***]"), "{shown:?}");
    assert!(!shown.contains(&x), "the secret reached the terminal: {shown:?}");
}

#[test]
fn exec_mask_in_a_pipeline_leaves_the_terminal_to_the_other_side() {
    // `tokctl exec --mask -- cmd | less`: less owns the keyboard. tokctl must not put the
    // terminal in raw mode or read keys while the command does not ask for them.
    let env = Env::env_key();
    let x = env.create("x", &[]);
    let inner = r#"touch started; while [ ! -e checked ]; do sleep 0.02; done; printf '%s\n' "$X_TOKEN""#;
    let line = format!(
        "stty -g > before; {} | {{ while [ ! -e started ]; do sleep 0.02; done; stty -g < /dev/tty > during; \
         touch checked; cat; }}; echo DO\"\"NE",
        masked_sh(inner)
    );
    let t = Term::start(&env, &line);
    t.wait_for("DONE", 0);
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
    assert!(shown.contains("***") && !shown.contains(&x), "{shown:?}");
    let read = |f: &str| std::fs::read_to_string(env.root.join(f)).unwrap();
    assert_eq!(read("during"), read("before"), "tokctl changed the terminal's modes while in a pipeline");
}

#[test]
fn exec_mask_passes_a_window_size_change_to_the_commands_terminal() {
    let env = Env::env_key();
    env.create("x", &[]);
    // The command resizes the user's terminal (named in $OUTER) as a window manager would; the
    // kernel tells tokctl, which must tell the command's terminal, which tells the command.
    let inner = r#"trap 'stty size < /dev/tty; echo RESI""ZED' WINCH; trap 'exit 0' INT
        echo REA""DY; stty rows 42 cols 101 < "$OUTER"; while :; do sleep 0.05; done"#;
    let mut t = Term::start(&env, &format!("OUTER=$(tty) exec {}", masked_sh(inner)));
    let at = t.wait_for("READY", 0);
    let end = t.wait_for("RESIZED", at);
    assert!(t.shown()[at..end].contains("42 101"), "{}", t.shown());
    t.type_keys(b"\x03");
    let (code, shown) = t.finish();
    assert_eq!(code, 0, "{shown:?}");
}
