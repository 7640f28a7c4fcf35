//! `exec`, `env` and `bundle` end to end: real vaults, real child processes, real signals, a
//! real pseudo-terminal (`Env::on_pty`) and a real read-only filesystem where the machine allows it.
//!
//! Every test is one user's story. Every tokctl run goes through `Env`, which fails the test if
//! any secret or key the test has seen shows up on tokctl's stderr.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::*;

/// A secret with everything a shell, a dotenv parser or a JSON encoder could get wrong.
const NASTY: &str = " it's a \"quoted\" $HOME `id` back\\slash\\n 100% #hash  two  spaces ";
/// And one that spans lines.
const MULTI: &str = "line one\nline 'two' $PATH \\ end\n  third";

/// The end of a script that runs until it is signalled.
const FOREVER: &str = "while :; do sleep 0.05; done";

/// `sh -c SCRIPT` as the tail of an `exec` command line.
fn sh(script: &str) -> [&str; 3] {
    ["sh", "-c", script]
}

fn exec_args<'a>(sel: &[&'a str], mask: bool, cmd: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["exec"];
    v.extend_from_slice(sel);
    if mask {
        v.push("--mask");
    }
    v.push("--");
    v.extend_from_slice(cmd);
    v
}

/// A user in env-key mode with one minted token, `x` (its secret is remembered by `Env`).
fn user_with_x() -> Env {
    let w = Env::env_key();
    w.create("x", &[]);
    w
}

/// A user with a usable token `good`, an expired one `old` and a revoked one `gone`, for the
/// refusals (with `missing`, which does not exist).
fn good_old_and_gone() -> Env {
    let w = Env::env_key();
    w.create("good", &[]);
    w.create_expired("old", &[]);
    w.create("gone", &[]);
    w.ok(&["revoke", "gone", "--yes"], b"");
    w
}

/// `tokctl exec -t x [--mask] -- sh -c SCRIPT` running alongside the test, once SCRIPT has
/// written its pid to the file `ready` (it must `echo $$ > READY` when it is set up): the run and
/// that pid. SCRIPT runs in the test's root, so it names its files relative to that.
fn exec_started<'e>(w: &'e Env, mask: bool, script: &str, ready: &str) -> (Running<'e>, u32) {
    let running = w.spawn(w.std_cmd(&exec_args(&["-t", "x"], mask, &sh(script))));
    let pid = wait_for_file(&w.path(ready), Duration::from_secs(20)).trim().parse().expect("a pid in the ready file");
    (running, pid)
}

/// What a script wrote to the file `name` in the test's root, if it did.
fn written(w: &Env, name: &str) -> Option<String> {
    std::fs::read_to_string(w.path(name)).ok()
}

// ---------------------------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------------------------

#[test]
fn exec_t_injects_the_tokens_env_name_and_name_eq_var_renames_it() {
    let w = Env::env_key();
    let expo = w.create("expo", &[]);
    let gh = w.create("gh", &["--env", "GH_TOKEN"]);
    let show = "printf '%s|%s|%s' \"${EXPO_TOKEN-unset}\" \"${GH_TOKEN-unset}\" \"${CUSTOM-unset}\"";

    let out = w.ok(&exec_args(&["-t", "expo", "-t", "gh"], false, &sh(show)), b"");
    assert_eq!(out, format!("{expo}|{gh}|unset"));

    // NAME=VAR: only the new name is set.
    let out = w.ok(&exec_args(&["-t", "expo=CUSTOM"], false, &sh(show)), b"");
    assert_eq!(out, format!("unset|unset|{expo}"));

    // The same under --mask: the child still gets the real value (it compares it here, so the
    // masked output proves nothing about the value), and the output shows ***.
    let cmp = format!("[ \"$CUSTOM\" = '{expo}' ] && echo same; printf %s \"$CUSTOM\"");
    let out = w.ok(&exec_args(&["-t", "expo=CUSTOM"], true, &sh(&cmp)), b"");
    assert_eq!(out, "same\n***");
}

#[test]
fn exec_scope_injects_every_active_token_carrying_it_and_skips_expired_ones() {
    let w = Env::env_key();
    let alpha = w.create("alpha", &["--scope", "ci"]);
    let beta = w.create("beta", &["--scope", "ci", "--scope", "deploy", "--env", "BETA_VAR"]);
    let gamma = w.create("gamma", &["--scope", "deploy"]);
    w.create("unrelated", &["--scope", "other"]);
    w.create_expired("old", &["--scope", "ci"]);
    w.create("gone", &["--scope", "ci"]);
    w.ok(&["revoke", "gone", "--yes"], b"");

    let show = "printf '%s\\n' \"A=${ALPHA_TOKEN-unset}\" \"B=${BETA_VAR-unset}\" \"G=${GAMMA_TOKEN-unset}\" \
                \"U=${UNRELATED_TOKEN-unset}\" \"O=${OLD_TOKEN-unset}\" \"R=${GONE_TOKEN-unset}\"";
    let out = w.succeeds(&exec_args(&["--scope", "ci"], false, &sh(show)), b"");
    assert_eq!(out.stdout, format!("A={alpha}\nB={beta}\nG=unset\nU=unset\nO=unset\nR=unset\n"));
    assert!(out.stderr.contains("old"), "an expired token carrying the scope is skipped with a note\n{out}");

    // Two scopes: the union, a token carrying both injected once.
    let out = w.ok(&exec_args(&["--scope", "ci", "--scope", "deploy"], false, &sh(show)), b"");
    assert_eq!(out, format!("A={alpha}\nB={beta}\nG={gamma}\nU=unset\nO=unset\nR=unset\n"));

    // Two tokens for one variable: refused before anything runs.
    w.fails(&exec_args(&["-t", "alpha=SAME", "-t", "gamma=SAME"], false, &sh("touch ran")), b"", 2);
    assert!(!w.path("ran").exists());

    // A scope no active token carries selects nothing: the command does not run.
    let out = w.run(&exec_args(&["--scope", "nobody-has-this"], false, &sh("touch ran")), b"");
    assert_ne!(out.code, 0, "{out}");
    assert!(!w.path("ran").exists(), "the command ran with an empty selection");
}

#[test]
fn exec_reads_the_nearest_project_file_from_the_current_directory_up() {
    let w = Env::env_key();
    let alpha = w.create("alpha", &[]);
    let beta = w.create("beta", &[]);
    let proj = w.path("proj");
    std::fs::create_dir_all(proj.join("src/deep/er")).unwrap();
    std::fs::create_dir_all(proj.join("inner/x/y")).unwrap();
    std::fs::write(proj.join(".tokctl.toml"), "[env]\nDEPLOY_KEY = \"alpha\"\n").unwrap();
    std::fs::write(proj.join("inner/.tokctl.toml"), "[env]\nINNER_KEY = \"beta\"\n").unwrap();
    for f in [proj.join(".tokctl.toml"), proj.join("inner/.tokctl.toml")] {
        w.ok(&["trust", f.to_str().unwrap()], b"");
    }
    let show = "printf '%s|%s|%s' \"${DEPLOY_KEY-unset}\" \"${INNER_KEY-unset}\" \"${ALPHA_TOKEN-unset}\"";

    let run_in = |dir: &Path, sel: &[&str]| {
        let mut c = w.std_cmd(&exec_args(sel, false, &sh(show)));
        c.current_dir(dir);
        let out = w.run_cmd(c, b"");
        assert_eq!(out.code, 0, "in {}\n{out}", dir.display());
        out.stdout
    };
    // The file's own directory, and a nested subdirectory below it.
    assert_eq!(run_in(&proj, &[]), format!("{alpha}|unset|unset"));
    assert_eq!(run_in(&proj.join("src/deep/er"), &[]), format!("{alpha}|unset|unset"));
    // The nearest file wins outright; files are not merged.
    assert_eq!(run_in(&proj.join("inner/x/y"), &[]), format!("unset|{beta}|unset"));
    // Flags on the command line replace the file.
    assert_eq!(run_in(&proj, &["-t", "alpha"]), format!("unset|unset|{alpha}"));

    // `env` reads the same file.
    let mut c = w.std_cmd(&["env", "--format", "json"]);
    c.current_dir(proj.join("src"));
    let out = w.run_cmd(c, b"");
    assert_eq!(out.code, 0, "{out}");
    let map: BTreeMap<String, String> = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(map, BTreeMap::from([("DEPLOY_KEY".to_string(), alpha.clone())]));
}

#[test]
fn exec_uses_the_project_files_vault_relative_to_the_file_unless_a_vault_is_given() {
    let w = Env::env_key();
    let repo = w.path("repo");
    std::fs::create_dir_all(repo.join("app/src")).unwrap();
    let team = repo.join("secrets/team.vault");
    // The same token name in two vaults, with different secrets.
    w.import("expo", "personal-expo-secret-0001", &[]);
    w.remember("team-expo-secret-0002");
    let mut c = w.std_cmd(&["--vault"]);
    c.arg(&team).args(["import", "expo"]);
    let out = w.run_cmd(c, b"team-expo-secret-0002\n");
    assert_eq!(out.code, 0, "{out}");
    std::fs::write(repo.join(".tokctl.toml"), "vault = \"secrets/team.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n")
        .unwrap();
    w.ok(&["trust", repo.join(".tokctl.toml").to_str().unwrap()], b"");
    let show = ["sh", "-c", "printf %s \"$EXPO_TOKEN\""];

    // No --vault, no TOKCTL_VAULT: the file's vault, resolved against the file's directory (the
    // cwd is two levels below, where "secrets/team.vault" does not exist).
    let mut c = w.std_cmd(&exec_args(&[], false, &show));
    c.env_remove("TOKCTL_VAULT").current_dir(repo.join("app/src"));
    let out = w.run_cmd(c, b"");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "team-expo-secret-0002");

    // TOKCTL_VAULT set: the file's `vault` is ignored, its [env] still used.
    let mut c = w.std_cmd(&exec_args(&[], false, &show));
    c.current_dir(repo.join("app/src"));
    let out = w.run_cmd(c, b"");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "personal-expo-secret-0001");

    // --vault given: likewise.
    let mut c = w.std_cmd(&["--vault"]);
    c.env_remove("TOKCTL_VAULT").current_dir(repo.join("app/src")).arg(&w.vault);
    c.args(exec_args(&[], false, &show));
    let out = w.run_cmd(c, b"");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "personal-expo-secret-0001");
}

#[test]
fn exec_with_no_selection_and_no_project_file_is_a_usage_error_and_runs_nothing() {
    let w = Env::env_key();
    w.create("alpha", &[]);
    assert!(!Path::new("/tmp/.tokctl.toml").exists() && !Path::new("/.tokctl.toml").exists());
    for mask in [false, true] {
        let out = w.fails(&exec_args(&[], mask, &sh("touch ran; echo ran")), b"", 2);
        assert!(!w.path("ran").exists(), "the command ran (mask={mask})");
        assert!(out.stdout.is_empty());
        assert!(out.stderr.contains("-t"), "the error says how to select\n{out}");
    }
    let out = w.fails(&["env"], b"", 2);
    assert!(out.stdout.is_empty());

    // A project file with no [env] selects nothing either.
    std::fs::write(w.path(".tokctl.toml"), "vault = \"somewhere.vault\"\n").unwrap();
    w.fails(&exec_args(&[], false, &sh("touch ran")), b"", 2);
    assert!(!w.path("ran").exists());
}

#[test]
fn exec_refuses_an_expired_revoked_or_missing_token_before_the_command_starts() {
    let w = good_old_and_gone();
    for (bad, want) in [("old", 4), ("gone", 4), ("missing", 3)] {
        for mask in [false, true] {
            let out = w.fails(&exec_args(&["-t", "good", "-t", bad], mask, &sh("touch ran; echo ran")), b"", want);
            assert!(!w.path("ran").exists(), "the command ran with '{bad}' (mask={mask})");
            assert!(out.stdout.is_empty(), "{out}");
            assert!(out.stderr.contains(bad), "the error names '{bad}'\n{out}");
        }
        // `env` refuses the same way and prints no partial list.
        let out = w.fails(&["env", "-t", "good", "-t", bad], b"", want);
        assert!(out.stdout.is_empty(), "env printed something\n{out}");
        // Through a project file too.
        let dir = w.path(&format!("proj-{bad}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(".tokctl.toml"), format!("[env]\nGOOD = \"good\"\nBAD = \"{bad}\"\n")).unwrap();
        w.ok(&["trust", dir.join(".tokctl.toml").to_str().unwrap()], b"");
        let mut c = w.std_cmd(&exec_args(&[], false, &sh("touch ran")));
        c.current_dir(&dir);
        assert_eq!(w.run_cmd(c, b"").code, want, "project file naming '{bad}'");
        assert!(!dir.join("ran").exists());
    }
}

// ---------------------------------------------------------------------------------------------
// The child process: argv, status, stdin, environment, descriptors, locks, signals
// ---------------------------------------------------------------------------------------------

#[test]
fn exec_passes_every_argument_verbatim() {
    use std::os::unix::ffi::OsStrExt;
    let w = user_with_x();
    let args = ["a b", ";", "$HOME", "*", "", "--mask", "-t", "x", "--", "\"q\"", "it's", "é ü", "a\nb"];
    let raw = std::ffi::OsStr::from_bytes(b"\xff\xfe-not-utf8");
    let mut want = Vec::new();
    for a in args {
        want.extend_from_slice(format!("[{a}]").as_bytes());
    }
    want.extend_from_slice(b"[\xff\xfe-not-utf8]");
    for mask in [false, true] {
        let mut c = w.std_cmd(&exec_args(&["-t", "x"], mask, &["/usr/bin/printf", "[%s]"]));
        c.args(args).arg(raw);
        let out = w.run_cmd(c, b"");
        assert_eq!(out.code, 0, "{out}");
        assert_eq!(out.stdout_bytes, want, "mask={mask}\n{out}");

        let py = "import json, sys; print(json.dumps(sys.argv[1:]))";
        let mut c = w.std_cmd(&exec_args(&["-t", "x"], mask, &["python3", "-c", py]));
        c.args(args);
        let out = w.run_cmd(c, b"");
        assert_eq!(out.code, 0, "{out}");
        let got: Vec<String> = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(got, args, "mask={mask}");
    }
    // The log names the program, never its arguments.
    let log = w.ok(&["log", "--json"], b"");
    assert!(log.contains("exec printf") && log.contains("exec python3"), "{log}");
    assert!(!log.contains("$HOME") && !log.contains("it's") && !log.contains("json.dumps"), "{log}");
}

#[test]
fn exec_exit_status_is_the_commands_own_as_a_shell_reports_it() {
    let w = user_with_x();
    let plain = w.path("not-executable.sh");
    std::fs::write(&plain, "#!/bin/sh\necho should-not-run\n").unwrap();
    set_mode(&plain, 0o644);
    let plain = plain.to_str().unwrap().to_string();
    let cases: Vec<(Vec<&str>, i32, Option<i32>)> = vec![
        (vec!["true"], 0, None),
        (vec!["sh", "-c", "exit 42"], 42, None),
        (vec![plain.as_str()], 126, None),
        (vec!["no-such-command-tokctl-test"], 127, None),
        (vec!["./no-such-file"], 127, None),
        (vec!["sh", "-c", "kill -TERM $$"], 143, Some(15)),
        (vec!["sh", "-c", "kill -KILL $$"], 137, Some(9)),
    ];
    for mask in [false, true] {
        for (cmd, want, signal) in &cases {
            let args = exec_args(&["-t", "x"], mask, cmd);
            let out = w.run(&args, b"");
            assert_eq!(out.code, *want, "{cmd:?} mask={mask}\n{out}");
            match (mask, signal) {
                // tokctl became the command, so the process itself died of the signal.
                (false, Some(sig)) => assert_eq!(out.signal, Some(*sig), "{cmd:?}"),
                // tokctl stayed the parent and exited with 128+N.
                _ => assert_eq!(out.signal, None, "{cmd:?} mask={mask}: an exit, not a death"),
            }
            match want {
                126 => assert!(out.stderr.contains("not-executable.sh"), "{out}"),
                127 => assert!(out.stderr.contains("not found"), "{out}"),
                _ => {}
            }
            assert!(!out.stdout.contains("should-not-run"));

            // What a shell script calling tokctl sees in $?.
            let mut script = vec!["-c", "\"$@\"; echo \"status=$?\"", "sh", BIN];
            script.extend_from_slice(&args);
            let out = w.run_cmd(w.std_cmd_of("sh", &script), b"");
            assert_eq!(out.stdout, format!("status={want}\n"), "{cmd:?} mask={mask}");
        }
    }
}

#[test]
fn exec_passes_stdin_through_to_the_command() {
    let w = user_with_x();
    let mut data = String::from("first line\nsecond line, no secret here\n");
    for i in 0..20_000 {
        data.push_str(&format!("{i}\n"));
    }
    for mask in [false, true] {
        let out = w.succeeds(&exec_args(&["-t", "x"], mask, &["cat"]), data.as_bytes());
        assert!(out.stdout == data, "mask={mask}: stdin did not come through intact");
    }
}

#[test]
fn exec_child_never_sees_the_vault_key_or_the_passphrase() {
    // Env-key mode, plus a passphrase in the environment that tokctl does not even need.
    let mut w = Env::env_key();
    let key = w.var("TOKCTL_VAULT_KEY").unwrap().to_string();
    w.set("TOKCTL_PASSPHRASE", "a-long-enough-passphrase-xyz");
    w.set("KEEP_ME", "kept");
    let x = w.create("x", &[]);
    for mask in [false, true] {
        let env = w.ok(&exec_args(&["-t", "x"], mask, &["env"]), b"");
        let lines: Vec<&str> = env.lines().collect();
        assert!(!lines.iter().any(|l| l.starts_with("TOKCTL_VAULT_KEY=")), "mask={mask}: {env}");
        assert!(!lines.iter().any(|l| l.starts_with("TOKCTL_PASSPHRASE=")), "mask={mask}: {env}");
        assert!(!env.contains(&key) && !env.contains("a-long-enough-passphrase-xyz"));
        // The rest of the parent's environment is kept.
        assert!(lines.contains(&"KEEP_ME=kept") && lines.contains(&"TOKCTL_KEYRING=none"), "{env}");
        let want = if mask { "X_TOKEN=***".to_string() } else { format!("X_TOKEN={x}") };
        assert!(lines.contains(&want.as_str()), "mask={mask}: {env}");
    }

    // A vault unlocked by the passphrase alone: it is still stripped.
    let mut w = Env::env_key();
    w.unset("TOKCTL_VAULT_KEY");
    w.set("TOKCTL_PASSPHRASE", "another-long-passphrase-42");
    w.create("y", &[]);
    let env = w.ok(&exec_args(&["-t", "y"], false, &["env"]), b"");
    assert!(!env.contains("TOKCTL_PASSPHRASE") && !env.contains("another-long-passphrase-42"), "{env}");
    assert!(env.contains("Y_TOKEN=tok_"), "{env}");
}

#[test]
fn exec_child_inherits_no_descriptor_of_the_vault_its_lock_or_its_log() {
    let w = user_with_x();
    w.get("x");
    let dir = w.vault.parent().unwrap().to_str().unwrap().to_string();
    for f in ["vault.toml", "vault.toml.lock", "vault.toml.log"] {
        assert!(w.vault.with_file_name(f).exists(), "{f} should exist before the test");
    }
    // The shell lists its own descriptors (/proc/$$) and ls lists the ones it inherited.
    let list = "ls -l /proc/$$/fd/; echo ---; ls -l /proc/self/fd/";
    for mask in [false, true] {
        let fds = w.ok(&exec_args(&["-t", "x"], mask, &sh(list)), b"");
        assert!(fds.contains("->") && fds.contains("---"), "no listing: {fds}");
        for line in fds.lines() {
            assert!(
                !line.contains(&dir) && !line.contains("vault.toml") && !line.contains(".lock"),
                "mask={mask}: the command holds a vault file open: {line}"
            );
        }
    }
}

#[test]
fn exec_other_tokctl_commands_work_while_the_command_runs() {
    let w = user_with_x();
    for (i, mask) in [false, true].into_iter().enumerate() {
        let script = format!("echo $$ > started-{i}; while [ ! -e release-{i} ]; do sleep 0.05; done; echo child-done");
        let (running, _) = exec_started(&w, mask, &script, &format!("started-{i}"));

        // A writer (takes the lock) and a reader, with a deadline: a lock held by the child would
        // make the writer wait forever.
        let name = format!("other-{i}");
        let other = w.create(&name, &[]);
        assert_eq!(w.get(&name), other);
        w.ok(&["update", "x", "--note", "changed while exec ran"], b"");

        w.write_file(&format!("release-{i}"), b"");
        let out = running.finish(Duration::from_secs(20));
        assert_eq!(out.code, 0, "mask={mask}\n{out}");
        assert_eq!(out.stdout, "child-done\n");
    }
}

#[test]
fn exec_sigterm_to_tokctl_reaches_the_command() {
    let w = user_with_x();
    for (i, mask) in [false, true].into_iter().enumerate() {
        let script = format!("trap 'echo got-term > marker-{i}; exit 7' TERM; echo $$ > ready-{i}; {FOREVER}");
        let (running, child_pid) = exec_started(&w, mask, &script, &format!("ready-{i}"));
        let tokctl_pid = running.pid();
        if mask {
            assert_ne!(child_pid, tokctl_pid, "with --mask tokctl stays the parent");
        } else {
            assert_eq!(child_pid, tokctl_pid, "without --mask tokctl's pid is the command's (execvp)");
        }
        kill(tokctl_pid, "TERM");
        let out = running.finish(Duration::from_secs(20));
        assert_eq!(written(&w, &format!("marker-{i}")).as_deref(), Some("got-term\n"), "mask={mask}");
        assert_eq!(out.code, 7, "mask={mask}: tokctl exits with the command's status\n{out}");
        assert_eq!(out.signal, None, "mask={mask}: an exit, not a death\n{out}");
    }

    // --mask and a command that does not trap TERM: it dies of it, tokctl reports 128+15.
    let (running, _) = exec_started(&w, true, "echo $$ > ready-untrapped; exec sleep 30", "ready-untrapped");
    let t0 = Instant::now();
    kill(running.pid(), "TERM");
    let out = running.finish(Duration::from_secs(20));
    assert_eq!((out.code, out.signal), (143, None), "{out}");
    assert!(t0.elapsed() < Duration::from_secs(10), "the forwarded TERM ended the command");
}

// ---------------------------------------------------------------------------------------------
// --mask
// ---------------------------------------------------------------------------------------------

#[test]
fn exec_mask_hides_every_secret_on_stdout_and_stderr_and_keeps_the_rest() {
    let w = Env::env_key();
    let alpha = w.create("alpha", &[]);
    w.import("beta", "beta-Imported-Secret-42", &[]);
    let script = r#"
        printf 'out %s end\n' "$ALPHA_TOKEN"
        printf 'err %s end\n' "$BETA_TOKEN" >&2
        printf 'both %s%s|%s\n' "$ALPHA_TOKEN" "$ALPHA_TOKEN" "$BETA_TOKEN"
        printf 'split '; printf %s "$ALPHA_TOKEN" | head -c 12; sleep 0.3
        printf %s "$ALPHA_TOKEN" | tail -c +13; printf ' tail\n'
        { printf 'e-split '; printf %s "$BETA_TOKEN" | head -c 5; sleep 0.3
          printf %s "$BETA_TOKEN" | tail -c +6; printf ' end\n'; } >&2
        echo 'tok_ plain tok_ text beta- stays'
        seq 1 30000
        printf 'no newline at the end tok_'
        exit 3
    "#;
    let out = w.run(&exec_args(&["-t", "alpha", "-t", "beta"], true, &sh(script)), b"");
    assert_eq!(out.code, 3, "the command's exit status is kept\n{out}");
    let mut want = String::from("out *** end\nboth ******|***\nsplit *** tail\ntok_ plain tok_ text beta- stays\n");
    for i in 1..=30000 {
        want.push_str(&format!("{i}\n"));
    }
    want.push_str("no newline at the end tok_");
    let got = &out.stdout;
    assert!(!got.contains(&alpha) && !got.contains("beta-Imported-Secret-42"), "a secret leaked to stdout");
    assert!(*got == want, "stdout differs:\n{}", &got[..got.len().min(300)]);
    let err = &out.stderr;
    assert!(err.contains("err *** end\n") && err.contains("e-split *** end\n"), "{err:?}");
}

#[test]
fn exec_mask_streams_output_as_it_comes() {
    let w = user_with_x();
    // The command prints, then waits until the test has seen that output and lets it go on:
    // output held back until the command exits would never be seen.
    let script = "echo first-line; printf '%s\\n' \"$X_TOKEN\"; printf 'Password: '; \
                  while [ ! -e release ]; do sleep 0.05; done; echo after";
    let mut running = w.spawn(w.std_cmd(&exec_args(&["-t", "x"], true, &sh(script))));
    let want = "first-line\n***\nPassword: ";
    running.wait_for_output(want, Duration::from_secs(20));
    assert_eq!(running.stdout(), want, "output so far");
    assert_eq!(running.exited(), None, "the command is still waiting to be released");
    w.write_file("release", b"");
    let out = running.finish(Duration::from_secs(20));
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, format!("{want}after\n"));
}

#[test]
fn exec_mask_on_a_terminal_gives_the_command_a_terminal() {
    let w = Env::env_key();
    let x = w.create("x", &[]);
    let inner = "test -t 1 && echo TTY-YES; test -t 2 && echo ERR-TTY-YES; \
                 printf 'out=%s\\n' \"$X_TOKEN\"; printf 'err=%s\\n' \"$X_TOKEN\" >&2; exit 5";
    let out = w.on_pty(&["exec", "-t", "x", "--mask", "--", "sh", "-c", inner]).finish(Duration::from_secs(30));
    let tty = &out.stdout;
    assert!(tty.contains("TTY-YES") && tty.contains("ERR-TTY-YES"), "the command saw no terminal: {tty:?}");
    assert!(tty.contains("out=***") && tty.contains("err=***"), "{tty:?}");
    assert!(!tty.contains(&x), "the secret reached the terminal");
    assert_eq!(out.code, 5, "the status survives the pty: {tty:?}");

    // Not on a terminal: the command gets plain pipes.
    let out = w.ok(&exec_args(&["-t", "x"], true, &sh("test -t 1 || echo NO-TTY")), b"");
    assert_eq!(out, "NO-TTY\n");
}

#[test]
fn exec_mask_on_a_terminal_hides_a_secret_that_spans_lines() {
    // A PEM key or a JSON credential is a legitimate secret; a terminal turns its "\n" into
    // "\r\n" on the way out, and the user must still not see it.
    let w = Env::env_key();
    w.import("multi", MULTI, &[]);
    let inner = "printf '[%s]\\n' \"$MULTI_TOKEN\"";
    let out = w.on_pty(&["exec", "-t", "multi", "--mask", "--", "sh", "-c", inner]).finish(Duration::from_secs(30));
    assert_eq!(out.code, 0, "{out}");
    let seen = out.stdout.replace('\r', "");
    assert!(!seen.contains(MULTI), "the multi-line secret was shown on the terminal: {seen:?}");
    assert!(seen.contains("[***]"), "{seen:?}");

    // Through pipes the same command is masked.
    let out = w.ok(&exec_args(&["-t", "multi"], true, &sh(inner)), b"");
    assert_eq!(out, "[***]\n");
}

#[test]
fn exec_mask_ctrl_c_on_a_terminal_reaches_the_command_once() {
    let w = user_with_x();
    let inner = format!("trap 'echo INT >> marker; exit 13' INT; echo $$ > ready; {FOREVER}");
    // tokctl leads the terminal's session and its foreground group, as in a user's shell.
    let mut pty = w.on_pty(&["exec", "-t", "x", "--mask", "--", "sh", "-c", &inner]);
    wait_for_file(&w.path("ready"), Duration::from_secs(20));
    // ^C typed on the terminal: the line discipline signals the whole foreground group.
    pty.send("\x03");
    let out = pty.finish(Duration::from_secs(20));
    w.assert_no_secret_in(&out.stdout, &out);
    assert_eq!(written(&w, "marker").as_deref(), Some("INT\n"), "the command got ^C once");
    assert_eq!(out.code, 13, "tokctl exits with the command's status\n{out}");
    assert_eq!(out.signal, None, "tokctl is not killed by ^C\n{out}");
}

#[test]
fn exec_mask_forwards_hup_quit_and_an_int_sent_by_another_process() {
    let w = user_with_x();
    for (i, (sig, status)) in [("HUP", 11), ("QUIT", 12), ("INT", 13)].into_iter().enumerate() {
        let script = format!(
            "trap 'echo HUP > marker-{i}; exit 11' HUP; trap 'echo QUIT > marker-{i}; exit 12' QUIT; \
             trap 'echo INT > marker-{i}; exit 13' INT; echo $$ > ready-{i}; {FOREVER}"
        );
        let (running, _) = exec_started(&w, true, &script, &format!("ready-{i}"));
        kill(running.pid(), sig);
        let out = running.finish(Duration::from_secs(20));
        assert_eq!(written(&w, &format!("marker-{i}")), Some(format!("{sig}\n")), "SIG{sig} was not forwarded");
        assert_eq!((out.code, out.signal), (status, None), "SIG{sig}\n{out}");
    }
}

// ---------------------------------------------------------------------------------------------
// env
// ---------------------------------------------------------------------------------------------

/// A world holding the two nasty secrets, as imported tokens.
fn nasty_world() -> Env {
    let w = Env::env_key();
    w.import("nasty", NASTY, &[]);
    w.import("multi", MULTI, &[]);
    w
}

#[test]
fn env_sh_output_evaluates_back_to_the_exact_secret() {
    let w = nasty_world();
    let out = w.ok(&["env", "-t", "nasty", "-t", "multi", "--format", "sh"], b"");
    let file = w.write_file("assignments.sh", out.as_bytes());
    let file = file.to_str().unwrap();
    for (var, want) in [("NASTY_TOKEN", NASTY), ("MULTI_TOKEN", MULTI)] {
        let script = format!("eval \"$(cat \"$1\")\"; printf %s \"${var}\"");
        let got = w.run_cmd(w.std_cmd_of("sh", &["-c", &script, "sh", file]), b"");
        assert_eq!(got.stderr, "", "eval complained");
        assert_eq!(got.stdout, want, "{var}");
    }
    // Evaluating it ran nothing: `id` in backquotes stayed text.
    let env = w.run_cmd(w.std_cmd_of("sh", &["-c", "eval \"$(cat \"$1\")\"; env", "sh", file]), b"").stdout;
    assert!(env.contains("NASTY_TOKEN= it's a \"quoted\" $HOME `id`"), "exported: {env}");
}

#[test]
fn env_dotenv_output_imports_back_into_another_vault_unchanged() {
    let w = nasty_world();
    let out = w.ok(&["env", "-t", "nasty", "-t", "multi", "--format", "dotenv"], b"");
    let file = w.write_file("tokens.env", out.as_bytes());
    let second = w.path("second/vault.toml");
    let mut c = w.std_cmd(&["import", "--dotenv"]);
    c.env("TOKCTL_VAULT", &second).arg(&file);
    let imp = w.run_cmd(c, b"");
    assert_eq!(imp.code, 0, "{imp}");
    for (name, want) in [("nasty-token", NASTY), ("multi-token", MULTI)] {
        let mut c = w.std_cmd(&["get", "-n", name]);
        c.env("TOKCTL_VAULT", &second);
        let got = w.run_cmd(c, b"");
        assert_eq!(got.code, 0, "{got}");
        assert_eq!(got.stdout, want, "{name}");
    }
}

#[test]
fn env_json_output_parses_to_the_exact_secrets() {
    let w = nasty_world();
    let out = w.ok(&["env", "-t", "nasty", "-t", "multi=OTHER_NAME", "--format", "json"], b"");
    let map: BTreeMap<String, String> = serde_json::from_str(&out).unwrap();
    let want = BTreeMap::from([("NASTY_TOKEN".to_string(), NASTY.to_string()), ("OTHER_NAME".into(), MULTI.into())]);
    assert_eq!(map, want);
}

#[test]
fn env_github_appends_a_multiline_safe_block_and_prints_masks() {
    let w = nasty_world();
    let gh = w.write_file("github_env", b"EXISTING=1\n");
    let github = |github_env: &dyn AsRef<std::ffi::OsStr>| {
        let mut c = w.std_cmd(&["env", "-t", "nasty", "-t", "multi", "--format", "github"]);
        c.env("GITHUB_ENV", github_env);
        w.run_cmd(c, b"")
    };
    let out = github(&gh);
    assert_eq!(out.code, 0, "{out}");

    // The runner's file: what was there, then `VAR<<DELIM`, the value's lines, `DELIM`.
    let file = std::fs::read_to_string(&gh).unwrap();
    let rest = file.strip_prefix("EXISTING=1\n").expect("the file was appended to, not replaced");
    let mut lines = rest.split('\n');
    let mut parsed = BTreeMap::new();
    while let Some(head) = lines.next() {
        if head.is_empty() {
            continue;
        }
        let (var, delim) = head.split_once("<<").unwrap_or_else(|| panic!("not a heredoc line: {head:?}"));
        assert!(delim.len() >= 10, "a guessable delimiter: {delim:?}");
        let mut value = Vec::new();
        for l in lines.by_ref() {
            if l == delim {
                break;
            }
            value.push(l);
        }
        parsed.insert(var.to_string(), value.join("\n"));
    }
    let want = BTreeMap::from([("NASTY_TOKEN".to_string(), NASTY.to_string()), ("MULTI_TOKEN".into(), MULTI.into())]);
    assert_eq!(parsed, want);

    // stdout: only ::add-mask:: lines, one per line of each secret, escaped as the runner expects.
    let esc = |s: &str| s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    let masks: Vec<&str> = out.stdout.lines().collect();
    assert!(masks.iter().all(|l| l.starts_with("::add-mask::")), "{out}");
    for secret_line in NASTY.lines().chain(MULTI.lines()) {
        let want = format!("::add-mask::{}", esc(secret_line));
        assert!(masks.contains(&want.as_str()), "missing {want:?}\n{out}");
    }

    // Outside GitHub Actions: a usage error, nothing printed or written.
    let before = std::fs::read(&gh).unwrap();
    let out = w.fails(&["env", "-t", "nasty", "--format", "github"], b"", 2);
    assert!(out.stdout.is_empty());
    assert_eq!(github(&"").code, 2);
    assert_eq!(std::fs::read(&gh).unwrap(), before);
}

// ---------------------------------------------------------------------------------------------
// bundle
// ---------------------------------------------------------------------------------------------

/// tokctl opening a bundle the way CI does (its key in TOKCTL_VAULT_KEY, no keyring): what
/// `tokctl args…` did.
fn in_ci(w: &Env, bundle: &Path, key: &str, args: &[&str]) -> Out {
    let mut c = w.std_cmd(args);
    c.env("TOKCTL_VAULT", bundle).env("TOKCTL_VAULT_KEY", key).env("TOKCTL_KEYRING", "none");
    w.run_cmd(c, b"")
}

/// `tokctl bundle -t NAME… --out OUT`: the bundle's key (remembered), checked for its shape.
fn bundle(w: &Env, names: &[&str], out: &Path) -> String {
    let mut args = vec!["bundle"];
    for n in names {
        args.extend(["-t", n]);
    }
    args.extend(["--out", out.to_str().unwrap()]);
    let o = w.succeeds(&args, b"");
    assert_eq!(o.stdout.lines().count(), 1, "bundle prints one line\n{o}");
    let key = o.stdout.trim_end().to_string();
    assert!(key.starts_with("tokctl-key-v1-"), "{key:?}");
    assert!(!o.stderr.contains(&key), "the bundle key reached stderr");
    w.remember(&key);
    key
}

#[test]
fn bundle_is_a_separate_vault_that_only_its_own_key_opens() {
    // The developer's vault key lives in the OS keyring.
    let w = Env::keyring();
    let alpha = w.create("alpha", &[]);
    let beta = w.create("beta", &[]);
    w.create("gamma", &[]);
    let personal = w.export_key();
    let out = w.path("repo/.tokctl/ci.vault");
    let key = bundle(&w, &["alpha", "beta"], &out);
    assert_ne!(key, personal);

    // CI: the bundle key, no keyring.
    let o = in_ci(&w, &out, &key, &["get", "-n", "alpha"]);
    assert_eq!(o.code, 0, "{o}");
    assert_eq!(o.stdout, alpha);
    assert_eq!(in_ci(&w, &out, &key, &["get", "gamma"]).code, 3, "only the bundled tokens are in it");
    for mask in [false, true] {
        let show = sh("printf '%s %s' \"$ALPHA_TOKEN\" \"$BETA_TOKEN\"");
        let o = in_ci(&w, &out, &key, &exec_args(&["-t", "alpha", "-t", "beta"], mask, &show));
        assert_eq!(o.code, 0, "{o}");
        let want = if mask { "*** ***".to_string() } else { format!("{alpha} {beta}") };
        assert_eq!(o.stdout, want);
    }

    // The personal key cannot open the bundle, nor the bundle key the personal vault.
    assert_eq!(in_ci(&w, &out, &personal, &["get", "alpha"]).code, 5);
    assert_eq!(in_ci(&w, &w.vault, &key, &["get", "alpha"]).code, 5);
    let mut c = w.std_cmd(&["get", "alpha"]);
    c.env("TOKCTL_VAULT_KEY", &key);
    assert_eq!(w.run_cmd(c, b"").code, 5, "the bundle key is refused even with the keyring on");
    // The developer's keyring does not open the bundle either.
    let mut c = w.std_cmd(&["get", "alpha"]);
    c.env("TOKCTL_VAULT", &out);
    assert_eq!(w.run_cmd(c, b"").code, 5);
    // And the personal vault is still fine.
    assert_eq!(w.get("alpha"), alpha);

    // Bundling again over the old bundle: a new key, the old one stops working.
    let key2 = bundle(&w, &["alpha"], &out);
    assert_ne!(key2, key);
    assert_eq!(in_ci(&w, &out, &key, &["get", "alpha"]).code, 5);
    assert_eq!(in_ci(&w, &out, &key2, &["get", "beta"]).code, 3);
}

#[test]
fn bundle_refuses_unusable_tokens_and_never_overwrites_a_file_that_is_not_a_bundle() {
    let w = good_old_and_gone();
    let out = w.path("ci.vault");
    let outs = out.to_str().unwrap();
    for (bad, want) in [("old", 4), ("gone", 4), ("missing", 3)] {
        let o = w.fails(&["bundle", "-t", "good", "-t", bad, "--out", outs], b"", want);
        assert!(o.stdout.is_empty(), "no key printed");
        assert!(!out.exists(), "a bundle was written despite '{bad}'");
    }

    // A file that is not a bundle: conflict, untouched.
    let notes = w.write_file("notes.txt", b"my notes\n");
    let before = fingerprint(&notes);
    let o = w.fails(&["bundle", "-t", "good", "--out", notes.to_str().unwrap()], b"", 7);
    assert!(o.stdout.is_empty());
    assert_eq!(fingerprint(&notes), before);

    // The personal vault itself, spelled directly or another way: refused, untouched.
    let vault_before = fingerprint(&w.vault);
    let o = w.run(&["bundle", "-t", "good", "--out", w.vault.to_str().unwrap()], b"");
    assert_ne!(o.code, 0, "{o}");
    let other_spelling = w.vault.parent().unwrap().join("../vault/vault.toml");
    // Recognised as the same file however it is spelled: the usage error, not "not a bundle".
    let o = w.fails(&["bundle", "-t", "good", "--out", other_spelling.to_str().unwrap()], b"", 2);
    assert!(o.stderr.contains("cannot be written over the vault"), "{o}");
    assert_eq!(fingerprint(&w.vault), vault_before);
    w.ok(&["get", "good"], b"");
}

#[test]
fn bundle_ci_recipe_works_on_a_read_only_checkout_without_writing_the_bundle() {
    let w = Env::env_key();
    let expo = w.create("expo", &[]);
    w.create("unrelated", &[]);
    let repo = w.path("repo");
    let key = bundle(&w, &["expo"], &repo.join("ci.vault"));
    std::fs::write(repo.join(".tokctl.toml"), "vault = \"ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n").unwrap();

    // CI: no TOKCTL_VAULT, the bundle key, no keyring, the cwd somewhere in the checkout.
    let ci = |cwd: &Path, args: &[&str]| {
        let mut c = w.std_cmd(args);
        c.env_remove("TOKCTL_VAULT").env("TOKCTL_VAULT_KEY", &key).env("TOKCTL_KEYRING", "none");
        c.current_dir(cwd);
        w.run_cmd(c, b"")
    };
    let story = |checkout: &Path, what: &str| {
        let bundle = checkout.join("ci.vault");
        let before = fingerprint(&bundle);
        let cwd = checkout.join("src");
        let o = ci(&cwd, &exec_args(&[], false, &sh("printf %s \"$EXPO_TOKEN\"")));
        assert_eq!(o.code, 0, "{what}\n{o}");
        assert_eq!(o.stdout, expo, "{what}");
        let o = ci(&cwd, &exec_args(&[], true, &sh("printf 'token=%s' \"$EXPO_TOKEN\"; exit 9")));
        assert_eq!(o.code, 9, "{what}\n{o}");
        assert_eq!(o.stdout, "token=***", "{what}");
        let o = ci(&cwd, &["env", "--format", "json"]);
        assert_eq!(o.code, 0, "{what}\n{o}");
        let map: BTreeMap<String, String> = serde_json::from_str(&o.stdout).unwrap();
        assert_eq!(map.get("EXPO_TOKEN"), Some(&expo));
        assert_eq!(map.len(), 1);
        assert!(fingerprint(&bundle) == before, "{what}: tokctl wrote the bundle");
    };

    // 1. A checkout made read-only with modes (root ignores them for writes, so the bytes and the
    //    mtime are what prove tokctl did not write the bundle).
    let checkout = w.path("checkout");
    std::fs::create_dir_all(checkout.join("src")).unwrap();
    for f in ["ci.vault", ".tokctl.toml"] {
        std::fs::copy(repo.join(f), checkout.join(f)).unwrap();
        set_mode(&checkout.join(f), 0o444);
    }
    set_mode(&checkout.join("src"), 0o555);
    set_mode(&checkout, 0o555);
    let files_before = listing(&checkout);
    story(&checkout, "chmod 0555/0444 checkout");
    // Nothing is written beside the bundle either (no log, no lock), even where root could.
    assert_eq!(listing(&checkout), files_before, "tokctl added files to the read-only checkout");
    set_mode(&checkout, 0o755);
    set_mode(&checkout.join("src"), 0o755);

    // 2. A really read-only filesystem: a tmpfs remounted ro (needs root and CAP_SYS_ADMIN).
    if !require_root() {
        return;
    }
    let ro = w.path("ro-checkout");
    let mount = match Mount::tmpfs(&ro, "4m") {
        Ok(m) => m,
        Err(why) => {
            cannot_run(&format!("the read-only filesystem part needs a tmpfs: {why}"));
            return;
        }
    };
    std::fs::create_dir(ro.join("src")).unwrap();
    for f in ["ci.vault", ".tokctl.toml"] {
        std::fs::copy(repo.join(f), ro.join(f)).unwrap();
    }
    if let Err(why) = mount.remount_ro() {
        cannot_run(&format!("the read-only filesystem part needs a read-only remount: {why}"));
        return;
    }
    assert!(std::fs::write(ro.join("probe"), "x").is_err(), "the remount is not read-only");
    let before = listing(&ro);
    story(&ro, "read-only tmpfs checkout");
    assert_eq!(listing(&ro), before);
    drop(mount);
}

// ---------------------------------------------------------------------------------------------
// --file VAR=NAME
// ---------------------------------------------------------------------------------------------

/// A user with token `x` whose runtime directory is a private one of the test's, so the token
/// files' directories can be seen and counted: the env, the secret, that directory.
fn user_with_a_runtime_dir() -> (Env, String, std::path::PathBuf) {
    let mut w = Env::env_key();
    let secret = w.create("x", &[]);
    let run = w.path("run");
    std::fs::create_dir(&run).unwrap();
    set_mode(&run, 0o700);
    w.set("XDG_RUNTIME_DIR", run.to_str().unwrap());
    (w, secret, run)
}

/// The token-file directories left under `run`.
fn file_dirs(run: &Path) -> Vec<String> {
    listing(run).into_iter().filter(|n| n.starts_with("tokctl-files.")).collect()
}

#[test]
fn exec_file_hands_the_secret_over_as_a_private_file_that_goes_with_the_command() {
    let (w, secret, run) = user_with_a_runtime_dir();
    let script = r#"f=$TOKEN_FILE; echo "$f"; stat -c %a "$f" "$(dirname "$f")"; cat "$f"; echo '<end>'; env"#;
    let out = w.succeeds(&["exec", "--file", "TOKEN_FILE=x", "--", "sh", "-c", script], b"");
    let lines: Vec<&str> = out.stdout.lines().collect();
    let path = Path::new(lines[0]);
    assert!(path.starts_with(&run), "under XDG_RUNTIME_DIR: {}", lines[0]);
    assert_eq!(&lines[1..3], ["600", "700"], "the file is 0600 in a 0700 directory of its own\n{out}");
    assert_eq!(lines[3], format!("{secret}<end>"), "exactly the secret's bytes, no newline added");
    let env_part = lines[4..].join("\n");
    assert!(!env_part.contains(&secret), "the secret is in the file only, not in the environment");
    assert!(!path.exists() && file_dirs(&run).is_empty(), "removed when the command ended: {:?}", listing(&run));
    // -t and --file side by side; a token used both ways is logged once.
    let out = w.succeeds(
        &[
            "exec",
            "-t",
            "x=X_ENV",
            "--file",
            "X_FILE=x",
            "--",
            "sh",
            "-c",
            r#"[ "$(cat "$X_FILE")" = "$X_ENV" ] && echo same"#,
        ],
        b"",
    );
    assert_eq!(out.stdout, "same\n", "{out}");
    assert!(file_dirs(&run).is_empty());
}

#[test]
fn exec_file_is_removed_however_the_command_ends() {
    let (w, _, run) = user_with_a_runtime_dir();
    for (script, code) in [("exit 3", 3), ("kill -KILL $$", 137), ("kill -TERM $$", 143)] {
        let out = w.run(&["exec", "--file", "F=x", "--", "sh", "-c", script], b"");
        assert_eq!((out.code, out.signal), (code, None), "tokctl reports the command's end as a shell does\n{out}");
        assert!(file_dirs(&run).is_empty(), "{script}: {:?}", listing(&run));
    }

    // SIGTERM to tokctl: passed on to the command, which ends; then the files go.
    let script = "trap 'exit 7' TERM; echo $$ > ready; while :; do sleep 0.05; done";
    let running = w.spawn(w.std_cmd(&["exec", "--file", "F=x", "--", "sh", "-c", script]));
    let child: u32 = wait_for_file(&w.path("ready"), Duration::from_secs(20)).trim().parse().unwrap();
    assert_ne!(child, running.pid(), "with --file tokctl stays the parent");
    assert_eq!(file_dirs(&run).len(), 1, "the file exists while the command runs");
    kill(running.pid(), "TERM");
    let out = running.finish(Duration::from_secs(20));
    assert_eq!((out.code, out.signal), (7, None), "{out}");
    assert!(file_dirs(&run).is_empty(), "{:?}", listing(&run));

    // SIGKILL of tokctl itself: the command is told (SIGTERM), the directory is left, and the
    // next `exec --file` removes it.
    let script = "trap 'echo term > told; exit 0' TERM; echo $$ > ready2; while :; do sleep 0.05; done";
    let running = w.spawn(w.std_cmd(&["exec", "--file", "F=x", "--", "sh", "-c", script]));
    wait_for_file(&w.path("ready2"), Duration::from_secs(20));
    kill(running.pid(), "KILL");
    let out = running.finish(Duration::from_secs(20));
    assert_eq!(out.signal, Some(9), "{out}");
    wait_for_file(&w.path("told"), Duration::from_secs(20));
    assert_eq!(file_dirs(&run).len(), 1, "a SIGKILLed tokctl cannot clean up");
    let out = w.succeeds(&["exec", "--file", "F=x", "--", "sh", "-c", "ls \"$XDG_RUNTIME_DIR\""], b"");
    assert_eq!(out.stdout.lines().filter(|l| l.starts_with("tokctl-files.")).count(), 1, "only this run's own: {out}");
    assert!(file_dirs(&run).is_empty(), "{:?}", listing(&run));
}

#[test]
fn exec_file_refuses_bad_variables_and_unusable_tokens_before_anything_starts() {
    let mut w = good_old_and_gone();
    let run = w.path("run");
    std::fs::create_dir(&run).unwrap();
    set_mode(&run, 0o700);
    w.set("XDG_RUNTIME_DIR", run.to_str().unwrap());
    let before = w.snapshot();
    for (flag, code, says) in [
        ("LD_PRELOAD=good", 2, "LD_PRELOAD"),
        ("good", 2, "VAR=NAME"),
        ("1BAD=good", 2, "1BAD"),
        ("F=missing", 3, "missing"),
        ("F=old", 4, "old"),
        ("F=gone", 4, "gone"),
    ] {
        let out = w.fails(&["exec", "--file", flag, "--", "sh", "-c", "touch ran"], b"", code);
        assert!(out.stderr.contains(says), "{flag}: names {says}\n{out}");
        assert!(!w.path("ran").exists(), "{flag}: nothing ran");
        assert!(file_dirs(&run).is_empty(), "{flag}: no file was written");
    }
    let out = w.fails(&["exec", "-t", "good=F", "--file", "F=good", "--", "true"], b"", 2);
    assert!(out.stderr.contains("F is set twice"), "{out}");
    // Refusals write nothing, not even a use in the log.
    assert_unchanged(&before, &w.snapshot(), &"refused exec --file runs");
}

#[test]
fn exec_file_with_mask_masks_what_the_command_prints_of_the_file() {
    let (w, secret, run) = user_with_a_runtime_dir();
    let out =
        w.succeeds(&["exec", "--mask", "--file", "F=x", "--", "sh", "-c", r#"cat "$F"; echo; cat "$F" >&2"#], b"");
    assert_eq!(out.stdout, "***\n", "{out}");
    assert!(!out.stderr.contains(&secret) && out.stderr.contains("***"), "{out}");
    assert!(file_dirs(&run).is_empty());
}
