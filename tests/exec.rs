//! `exec`, `env` and `bundle` end to end: real vaults, real child processes, real signals, a
//! real pseudo-terminal (`script`) and a real read-only filesystem where the machine allows it.
//!
//! Every test is one user's story. Every tokctl run goes through `World::run`, which fails the
//! test if any secret or key the test has seen shows up on tokctl's stderr.

#[path = "exec_support.rs"]
mod support;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use support::*;

/// A secret with everything a shell, a dotenv parser or a JSON encoder could get wrong.
const NASTY: &str = " it's a \"quoted\" $HOME `id` back\\slash\\n 100% #hash  two  spaces ";
/// And one that spans lines.
const MULTI: &str = "line one\nline 'two' $PATH \\ end\n  third";

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

// ---------------------------------------------------------------------------------------------
// Selection
// ---------------------------------------------------------------------------------------------

#[test]
fn exec_t_injects_the_tokens_env_name_and_name_eq_var_renames_it() {
    let w = World::env_key();
    let expo = w.create("expo", &[]);
    let gh = w.create("gh", &["--env", "GH_TOKEN"]);
    let show = "printf '%s|%s|%s' \"${EXPO_TOKEN-unset}\" \"${GH_TOKEN-unset}\" \"${CUSTOM-unset}\"";

    let out = w.ok(&exec_args(&["-t", "expo", "-t", "gh"], false, &sh(show)));
    assert_eq!(text(&out.stdout), format!("{expo}|{gh}|unset"));

    // NAME=VAR: only the new name is set.
    let out = w.ok(&exec_args(&["-t", "expo=CUSTOM"], false, &sh(show)));
    assert_eq!(text(&out.stdout), format!("unset|unset|{expo}"));

    // The same under --mask: the child still gets the real value (it compares it here, so the
    // masked output proves nothing about the value), and the output shows ***.
    let cmp = format!("[ \"$CUSTOM\" = '{expo}' ] && echo same; printf %s \"$CUSTOM\"");
    let mut c = w.cmd();
    c.args(exec_args(&["-t", "expo=CUSTOM"], true, &sh(&cmp)));
    let out = w.run(c);
    assert_eq!(code(&out), Some(0));
    assert_eq!(text(&out.stdout), "same\n***");
}

#[test]
fn exec_scope_injects_every_active_token_carrying_it_and_skips_expired_ones() {
    let w = World::env_key();
    let alpha = w.create("alpha", &["--scope", "ci"]);
    let beta = w.create("beta", &["--scope", "ci", "--scope", "deploy", "--env", "BETA_VAR"]);
    let gamma = w.create("gamma", &["--scope", "deploy"]);
    w.create("unrelated", &["--scope", "other"]);
    w.create_expired("old", &["--scope", "ci"]);
    w.create("gone", &["--scope", "ci"]);
    w.ok(&["revoke", "gone", "--yes"]);

    let show = "printf '%s\\n' \"A=${ALPHA_TOKEN-unset}\" \"B=${BETA_VAR-unset}\" \"G=${GAMMA_TOKEN-unset}\" \
                \"U=${UNRELATED_TOKEN-unset}\" \"O=${OLD_TOKEN-unset}\" \"R=${GONE_TOKEN-unset}\"";
    let out = w.ok(&exec_args(&["--scope", "ci"], false, &sh(show)));
    assert_eq!(text(&out.stdout), format!("A={alpha}\nB={beta}\nG=unset\nU=unset\nO=unset\nR=unset\n"));
    let err = text(&out.stderr);
    assert!(err.contains("old"), "an expired token carrying the scope is skipped with a note: {err:?}");

    // Two scopes: the union, a token carrying both injected once.
    let out = w.ok(&exec_args(&["--scope", "ci", "--scope", "deploy"], false, &sh(show)));
    assert_eq!(text(&out.stdout), format!("A={alpha}\nB={beta}\nG={gamma}\nU=unset\nO=unset\nR=unset\n"));

    // Two tokens for one variable: refused before anything runs.
    w.fails(&exec_args(&["-t", "alpha=SAME", "-t", "gamma=SAME"], false, &sh("touch ran")), 2);
    assert!(!w.path("ran").exists());

    // A scope no active token carries selects nothing: the command does not run.
    let out = w.tokctl(&exec_args(&["--scope", "nobody-has-this"], false, &sh("touch ran")));
    assert_ne!(code(&out), Some(0));
    assert!(!w.path("ran").exists(), "the command ran with an empty selection");
}

#[test]
fn exec_reads_the_nearest_project_file_from_the_current_directory_up() {
    let w = World::env_key();
    let alpha = w.create("alpha", &[]);
    let beta = w.create("beta", &[]);
    let proj = w.path("proj");
    std::fs::create_dir_all(proj.join("src/deep/er")).unwrap();
    std::fs::create_dir_all(proj.join("inner/x/y")).unwrap();
    std::fs::write(proj.join(".tokctl.toml"), "[env]\nDEPLOY_KEY = \"alpha\"\n").unwrap();
    std::fs::write(proj.join("inner/.tokctl.toml"), "[env]\nINNER_KEY = \"beta\"\n").unwrap();
    let show = "printf '%s|%s|%s' \"${DEPLOY_KEY-unset}\" \"${INNER_KEY-unset}\" \"${ALPHA_TOKEN-unset}\"";

    let run_in = |dir: &Path, sel: &[&str]| {
        let mut c = w.cmd();
        c.current_dir(dir).args(exec_args(sel, false, &sh(show)));
        let out = w.run(c);
        assert_eq!(code(&out), Some(0), "in {}: {}", dir.display(), text(&out.stderr));
        text(&out.stdout)
    };
    // The file's own directory, and a nested subdirectory below it.
    assert_eq!(run_in(&proj, &[]), format!("{alpha}|unset|unset"));
    assert_eq!(run_in(&proj.join("src/deep/er"), &[]), format!("{alpha}|unset|unset"));
    // The nearest file wins outright; files are not merged.
    assert_eq!(run_in(&proj.join("inner/x/y"), &[]), format!("unset|{beta}|unset"));
    // Flags on the command line replace the file.
    assert_eq!(run_in(&proj, &["-t", "alpha"]), format!("unset|unset|{alpha}"));

    // `env` reads the same file.
    let mut c = w.cmd();
    c.current_dir(proj.join("src")).args(["env", "--format", "json"]);
    let out = w.run(c);
    assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
    let map: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(map, BTreeMap::from([("DEPLOY_KEY".to_string(), alpha.clone())]));
}

#[test]
fn exec_uses_the_project_files_vault_relative_to_the_file_unless_a_vault_is_given() {
    let w = World::env_key();
    let repo = w.path("repo");
    std::fs::create_dir_all(repo.join("app/src")).unwrap();
    let team = repo.join("secrets/team.vault");
    // The same token name in two vaults, with different secrets.
    w.import("expo", "personal-expo-secret-0001", &[]);
    let mut c = w.cmd();
    c.arg("--vault").arg(&team).args(["import", "expo"]).write_stdin("team-expo-secret-0002\n");
    w.remember("team-expo-secret-0002");
    assert_eq!(code(&w.run(c)), Some(0));
    std::fs::write(repo.join(".tokctl.toml"), "vault = \"secrets/team.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n")
        .unwrap();
    let show = ["sh", "-c", "printf %s \"$EXPO_TOKEN\""];

    // No --vault, no TOKCTL_VAULT: the file's vault, resolved against the file's directory (the
    // cwd is two levels below, where "secrets/team.vault" does not exist).
    let mut c = w.cmd();
    c.env_remove("TOKCTL_VAULT").current_dir(repo.join("app/src")).args(exec_args(&[], false, &show));
    let out = w.run(c);
    assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "team-expo-secret-0002");

    // TOKCTL_VAULT set: the file's `vault` is ignored, its [env] still used.
    let mut c = w.cmd();
    c.current_dir(repo.join("app/src")).args(exec_args(&[], false, &show));
    let out = w.run(c);
    assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "personal-expo-secret-0001");

    // --vault given: likewise.
    let mut c = w.cmd();
    c.env_remove("TOKCTL_VAULT").current_dir(repo.join("app/src")).arg("--vault").arg(&w.vault);
    c.args(exec_args(&[], false, &show));
    let out = w.run(c);
    assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "personal-expo-secret-0001");
}

#[test]
fn exec_with_no_selection_and_no_project_file_is_a_usage_error_and_runs_nothing() {
    let w = World::env_key();
    w.create("alpha", &[]);
    assert!(!Path::new("/tmp/.tokctl.toml").exists() && !Path::new("/.tokctl.toml").exists());
    for mask in [false, true] {
        let out = w.fails(&exec_args(&[], mask, &sh("touch ran; echo ran")), 2);
        assert!(!w.path("ran").exists(), "the command ran (mask={mask})");
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains("-t"), "the error says how to select: {}", text(&out.stderr));
    }
    let out = w.fails(&["env"], 2);
    assert!(out.stdout.is_empty());

    // A project file with no [env] selects nothing either.
    std::fs::write(w.path(".tokctl.toml"), "vault = \"somewhere.vault\"\n").unwrap();
    w.fails(&exec_args(&[], false, &sh("touch ran")), 2);
    assert!(!w.path("ran").exists());
}

#[test]
fn exec_refuses_an_expired_revoked_or_missing_token_before_the_command_starts() {
    let w = World::env_key();
    w.create("good", &[]);
    w.create_expired("old", &[]);
    w.create("gone", &[]);
    w.ok(&["revoke", "gone", "--yes"]);
    for (bad, want) in [("old", 4), ("gone", 4), ("missing", 3)] {
        for mask in [false, true] {
            let out = w.fails(&exec_args(&["-t", "good", "-t", bad], mask, &sh("touch ran; echo ran")), want);
            assert!(!w.path("ran").exists(), "the command ran with '{bad}' (mask={mask})");
            assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
            assert!(text(&out.stderr).contains(bad), "the error names '{bad}': {}", text(&out.stderr));
        }
        // `env` refuses the same way and prints no partial list.
        let out = w.fails(&["env", "-t", "good", "-t", bad], want);
        assert!(out.stdout.is_empty(), "env printed something: {}", text(&out.stdout));
        // Through a project file too.
        let dir = w.path(&format!("proj-{bad}"));
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join(".tokctl.toml"), format!("[env]\nGOOD = \"good\"\nBAD = \"{bad}\"\n")).unwrap();
        let mut c = w.cmd();
        c.current_dir(&dir).args(exec_args(&[], false, &sh("touch ran")));
        assert_eq!(code(&w.run(c)), Some(want), "project file naming '{bad}'");
        assert!(!dir.join("ran").exists());
    }
}

// ---------------------------------------------------------------------------------------------
// The child process: argv, status, stdin, environment, descriptors, locks, signals
// ---------------------------------------------------------------------------------------------

#[test]
fn exec_passes_every_argument_verbatim() {
    use std::os::unix::ffi::OsStrExt;
    let w = World::env_key();
    w.create("x", &[]);
    let args = ["a b", ";", "$HOME", "*", "", "--mask", "-t", "x", "--", "\"q\"", "it's", "é ü", "a\nb"];
    let raw = std::ffi::OsStr::from_bytes(b"\xff\xfe-not-utf8");
    let mut want = Vec::new();
    for a in args {
        want.extend_from_slice(format!("[{a}]").as_bytes());
    }
    want.extend_from_slice(b"[\xff\xfe-not-utf8]");
    for mask in [false, true] {
        let mut c = w.cmd();
        c.args(exec_args(&["-t", "x"], mask, &["/usr/bin/printf", "[%s]"])).args(args).arg(raw);
        let out = w.run(c);
        assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
        assert_eq!(out.stdout, want, "mask={mask}: {:?}", text(&out.stdout));

        let mut c = w.cmd();
        let py = "import json, sys; print(json.dumps(sys.argv[1:]))";
        c.args(exec_args(&["-t", "x"], mask, &["python3", "-c", py])).args(args);
        let out = w.run(c);
        assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
        let got: Vec<String> = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(got, args, "mask={mask}");
    }
    // The log names the program, never its arguments.
    let log = text(&w.ok(&["log", "--json"]).stdout);
    assert!(log.contains("exec printf") && log.contains("exec python3"), "{log}");
    assert!(!log.contains("$HOME") && !log.contains("it's") && !log.contains("json.dumps"), "{log}");
}

#[test]
fn exec_exit_status_is_the_commands_own_as_a_shell_reports_it() {
    let w = World::env_key();
    w.create("x", &[]);
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
            let out = w.tokctl(&args);
            assert_eq!(shell_status(&out.status), *want, "{cmd:?} mask={mask}: {}", text(&out.stderr));
            {
                use std::os::unix::process::ExitStatusExt;
                match (mask, signal) {
                    // tokctl became the command, so the process itself died of the signal.
                    (false, Some(sig)) => assert_eq!(out.status.signal(), Some(*sig), "{cmd:?}"),
                    // tokctl stayed the parent and exited with 128+N.
                    _ => assert_eq!(out.status.code(), Some(*want), "{cmd:?} mask={mask}"),
                }
            }
            match want {
                126 => assert!(text(&out.stderr).contains("not-executable.sh"), "{}", text(&out.stderr)),
                127 => assert!(text(&out.stderr).contains("not found"), "{}", text(&out.stderr)),
                _ => {}
            }
            assert!(!text(&out.stdout).contains("should-not-run"));

            // What a shell script calling tokctl sees in $?.
            let mut c = w.std_program("sh");
            c.args(["-c", "\"$@\"; echo \"status=$?\"", "sh", BIN]).args(&args);
            let out = assert_cmd::Command::from_std(c).timeout(Duration::from_secs(30)).output().unwrap();
            assert_eq!(text(&out.stdout), format!("status={want}\n"), "{cmd:?} mask={mask}");
        }
    }
}

#[test]
fn exec_passes_stdin_through_to_the_command() {
    let w = World::env_key();
    w.create("x", &[]);
    let mut data = String::from("first line\nsecond line, no secret here\n");
    for i in 0..20_000 {
        data.push_str(&format!("{i}\n"));
    }
    for mask in [false, true] {
        let mut c = w.cmd();
        c.args(exec_args(&["-t", "x"], mask, &["cat"])).write_stdin(data.clone());
        let out = w.run(c);
        assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));
        assert!(text(&out.stdout) == data, "mask={mask}: stdin did not come through intact");
    }
}

#[test]
fn exec_child_never_sees_the_vault_key_or_the_passphrase() {
    // Env-key mode, plus a passphrase in the environment that tokctl does not even need.
    let mut w = World::env_key();
    let key = w.key().unwrap().to_string();
    w.vars.push(("TOKCTL_PASSPHRASE".into(), "a-long-enough-passphrase-xyz".into()));
    w.vars.push(("KEEP_ME".into(), "kept".into()));
    w.remember("a-long-enough-passphrase-xyz");
    let x = w.create("x", &[]);
    for mask in [false, true] {
        let out = w.ok(&exec_args(&["-t", "x"], mask, &["env"]));
        let env = text(&out.stdout);
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
    let mut w = World::env_key();
    w.vars.retain(|(k, _)| k != "TOKCTL_VAULT_KEY");
    w.vars.push(("TOKCTL_PASSPHRASE".into(), "another-long-passphrase-42".into()));
    w.remember("another-long-passphrase-42");
    w.create("y", &[]);
    let out = w.ok(&exec_args(&["-t", "y"], false, &["env"]));
    let env = text(&out.stdout);
    assert!(!env.contains("TOKCTL_PASSPHRASE") && !env.contains("another-long-passphrase-42"), "{env}");
    assert!(env.contains("Y_TOKEN=tok_"), "{env}");
}

#[test]
fn exec_child_inherits_no_descriptor_of_the_vault_its_lock_or_its_log() {
    let w = World::env_key();
    w.create("x", &[]);
    w.ok(&["get", "x"]);
    let dir = w.vault.parent().unwrap().to_str().unwrap().to_string();
    for f in ["vault.toml", "vault.toml.lock", "vault.toml.log"] {
        assert!(w.vault.with_file_name(f).exists(), "{f} should exist before the test");
    }
    // The shell lists its own descriptors (/proc/$$) and ls lists the ones it inherited.
    let list = "ls -l /proc/$$/fd/; echo ---; ls -l /proc/self/fd/";
    for mask in [false, true] {
        let out = w.ok(&exec_args(&["-t", "x"], mask, &sh(list)));
        let fds = text(&out.stdout);
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
    let w = World::env_key();
    w.create("x", &[]);
    for (i, mask) in [false, true].into_iter().enumerate() {
        let (started, release) = (w.path(&format!("started-{i}")), w.path(&format!("release-{i}")));
        let script = format!(
            "echo $$ > {s}; while [ ! -e {r} ]; do sleep 0.05; done; echo child-done",
            s = started.display(),
            r = release.display()
        );
        let mut c = w.std_cmd();
        c.args(exec_args(&["-t", "x"], mask, &sh(&script)));
        let running = Running::spawn(c);
        wait_for_file(&started, Duration::from_secs(20));

        // A writer (takes the lock) and a reader, with a deadline: a lock held by the child would
        // make the writer wait forever.
        let name = format!("other-{i}");
        let other = w.create(&name, &[]);
        let got = w.ok(&["get", &name]);
        assert_eq!(text(&got.stdout).trim_end(), other);
        w.ok(&["update", "x", "--note", "changed while exec ran"]);

        std::fs::write(&release, "").unwrap();
        let (st, out, err) = running.finish(Duration::from_secs(20));
        w.check_stderr(err.as_bytes());
        assert_eq!(st.code(), Some(0), "mask={mask}: {err}");
        assert_eq!(out, "child-done\n");
    }
}

#[test]
fn exec_sigterm_to_tokctl_reaches_the_command() {
    let w = World::env_key();
    w.create("x", &[]);
    for (i, mask) in [false, true].into_iter().enumerate() {
        let (ready, marker) = (w.path(&format!("ready-{i}")), w.path(&format!("marker-{i}")));
        let script = format!(
            "trap 'echo got-term > {m}; exit 7' TERM; echo $$ > {r}; while :; do sleep 0.05; done",
            m = marker.display(),
            r = ready.display()
        );
        let mut c = w.std_cmd();
        c.args(exec_args(&["-t", "x"], mask, &sh(&script)));
        let running = Running::spawn(c);
        let child_pid: u32 = wait_for_file(&ready, Duration::from_secs(20)).trim().parse().unwrap();
        let tokctl_pid = running.child.id();
        if mask {
            assert_ne!(child_pid, tokctl_pid, "with --mask tokctl stays the parent");
        } else {
            assert_eq!(child_pid, tokctl_pid, "without --mask tokctl's pid is the command's (execvp)");
        }
        kill(tokctl_pid, "TERM");
        let (st, _, err) = running.finish(Duration::from_secs(20));
        w.check_stderr(err.as_bytes());
        assert_eq!(std::fs::read_to_string(&marker).ok().as_deref(), Some("got-term\n"), "mask={mask}");
        assert_eq!(st.code(), Some(7), "mask={mask}: tokctl exits with the command's status: {err}");
    }

    // --mask and a command that does not trap TERM: it dies of it, tokctl reports 128+15.
    let ready = w.path("ready-untrapped");
    let script = format!("echo $$ > {}; exec sleep 30", ready.display());
    let mut c = w.std_cmd();
    c.args(exec_args(&["-t", "x"], true, &sh(&script)));
    let running = Running::spawn(c);
    wait_for_file(&ready, Duration::from_secs(20));
    let t0 = Instant::now();
    kill(running.child.id(), "TERM");
    let (st, _, _) = running.finish(Duration::from_secs(20));
    assert_eq!(st.code(), Some(143));
    assert!(t0.elapsed() < Duration::from_secs(10), "the forwarded TERM ended the command");
}

// ---------------------------------------------------------------------------------------------
// --mask
// ---------------------------------------------------------------------------------------------

#[test]
fn exec_mask_hides_every_secret_on_stdout_and_stderr_and_keeps_the_rest() {
    let w = World::env_key();
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
    let out = w.tokctl(&exec_args(&["-t", "alpha", "-t", "beta"], true, &sh(script)));
    assert_eq!(code(&out), Some(3), "the command's exit status is kept: {}", text(&out.stderr));
    let mut want = String::from("out *** end\nboth ******|***\nsplit *** tail\ntok_ plain tok_ text beta- stays\n");
    for i in 1..=30000 {
        want.push_str(&format!("{i}\n"));
    }
    want.push_str("no newline at the end tok_");
    let got = text(&out.stdout);
    assert!(!got.contains(&alpha) && !got.contains("beta-Imported-Secret-42"), "a secret leaked to stdout");
    assert!(got == want, "stdout differs:\n{}", &got[..got.len().min(300)]);
    let err = text(&out.stderr);
    assert!(err.contains("err *** end\n") && err.contains("e-split *** end\n"), "{err:?}");
}

#[test]
fn exec_mask_streams_output_as_it_comes() {
    let w = World::env_key();
    w.create("x", &[]);
    let script = "echo first-line; printf '%s\\n' \"$X_TOKEN\"; printf 'Password: '; sleep 2; echo after";
    let mut c = w.std_cmd();
    c.args(exec_args(&["-t", "x"], true, &sh(script)));
    c.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null());
    let mut child = c.spawn().unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
    let reader = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let want = "first-line\n***\nPassword: ";
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !text(&seen).starts_with(want) {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(chunk) => seen.extend(chunk),
            Err(_) => break,
        }
    }
    let still_running = child.try_wait().unwrap().is_none();
    assert_eq!(text(&seen), want, "output so far");
    assert!(still_running, "the output only came once the command had exited");
    let st = wait_timeout(&mut child, Duration::from_secs(20));
    reader.join().unwrap();
    for chunk in rx.try_iter() {
        seen.extend(chunk);
    }
    assert_eq!(st.code(), Some(0));
    assert_eq!(text(&seen), format!("{want}after\n"));
}

#[test]
fn exec_mask_on_a_terminal_gives_the_command_a_terminal() {
    let w = World::env_key();
    let x = w.create("x", &[]);
    let inner = "test -t 1 && echo TTY-YES; test -t 2 && echo ERR-TTY-YES; \
                 printf 'out=%s\\n' \"$X_TOKEN\"; printf 'err=%s\\n' \"$X_TOKEN\" >&2; exit 5";
    let line = format!("exec {} exec -t x --mask -- sh -c {}", sh_quote(BIN), sh_quote(inner));
    let mut c = w.std_program("script");
    c.args(["-qec", &line, "/dev/null"]);
    let out = assert_cmd::Command::from_std(c).timeout(Duration::from_secs(30)).output().unwrap();
    let tty = text(&out.stdout);
    assert!(tty.contains("TTY-YES") && tty.contains("ERR-TTY-YES"), "the command saw no terminal: {tty:?}");
    assert!(tty.contains("out=***") && tty.contains("err=***"), "{tty:?}");
    assert!(!tty.contains(&x), "the secret reached the terminal");
    assert_eq!(code(&out), Some(5), "the status survives the pty: {tty:?}");

    // Not on a terminal: the command gets plain pipes.
    let out = w.ok(&exec_args(&["-t", "x"], true, &sh("test -t 1 || echo NO-TTY")));
    assert_eq!(text(&out.stdout), "NO-TTY\n");
}

#[test]
fn exec_mask_on_a_terminal_hides_a_secret_that_spans_lines() {
    // A PEM key or a JSON credential is a legitimate secret; a terminal turns its "\n" into
    // "\r\n" on the way out, and the user must still not see it.
    let w = World::env_key();
    w.import("multi", MULTI, &[]);
    let inner = "printf '[%s]\\n' \"$MULTI_TOKEN\"";
    let line = format!("exec {} exec -t multi --mask -- sh -c {}", sh_quote(BIN), sh_quote(inner));
    let mut c = w.std_program("script");
    c.args(["-qec", &line, "/dev/null"]);
    let out = assert_cmd::Command::from_std(c).timeout(Duration::from_secs(30)).output().unwrap();
    assert_eq!(code(&out), Some(0));
    let seen = text(&out.stdout).replace('\r', "");
    assert!(!seen.contains(MULTI), "the multi-line secret was shown on the terminal: {seen:?}");
    assert!(seen.contains("[***]"), "{seen:?}");

    // Through pipes the same command is masked.
    let out = w.ok(&exec_args(&["-t", "multi"], true, &sh(inner)));
    assert_eq!(text(&out.stdout), "[***]\n");
}

#[test]
fn exec_mask_ctrl_c_on_a_terminal_reaches_the_command_once() {
    use std::io::Write;
    let w = World::env_key();
    w.create("x", &[]);
    let (ready, marker) = (w.path("ready"), w.path("marker"));
    let inner = format!(
        "trap 'echo INT >> {m}; exit 13' INT; echo $$ > {r}; while :; do sleep 0.05; done",
        m = marker.display(),
        r = ready.display()
    );
    // `exec`: no shell may stay in the terminal's foreground group. dash, unlike bash, does not
    // replace itself with a lone command; it would die of the ^C and hide tokctl's status.
    let line = format!("exec {} exec -t x --mask -- sh -c {}", sh_quote(BIN), sh_quote(&inner));
    let mut c = w.std_program("script");
    c.args(["-qec", &line, "/dev/null"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    let mut keys = child.stdin.take().unwrap();
    wait_for_file(&ready, Duration::from_secs(20));
    // ^C typed on the terminal: the line discipline signals the whole foreground group.
    keys.write_all(b"\x03").unwrap();
    keys.flush().unwrap();
    let st = wait_timeout(&mut child, Duration::from_secs(20));
    drop(keys);
    let mut err = Vec::new();
    child.stderr.take().unwrap().read_to_end(&mut err).unwrap();
    w.check_stderr(&err);
    assert_eq!(std::fs::read_to_string(&marker).ok().as_deref(), Some("INT\n"), "the command got ^C once");
    assert_eq!(st.code(), Some(13), "tokctl exits with the command's status, it is not killed by ^C");
}

#[test]
fn exec_mask_forwards_hup_quit_and_an_int_sent_by_another_process() {
    let w = World::env_key();
    w.create("x", &[]);
    for (i, (sig, status)) in [("HUP", 11), ("QUIT", 12), ("INT", 13)].into_iter().enumerate() {
        let (ready, marker) = (w.path(&format!("ready-{i}")), w.path(&format!("marker-{i}")));
        let script = format!(
            "trap 'echo HUP > {m}; exit 11' HUP; trap 'echo QUIT > {m}; exit 12' QUIT; \
             trap 'echo INT > {m}; exit 13' INT; echo $$ > {r}; while :; do sleep 0.05; done",
            m = marker.display(),
            r = ready.display()
        );
        let mut c = w.std_cmd();
        c.args(exec_args(&["-t", "x"], true, &sh(&script)));
        let running = Running::spawn(c);
        wait_for_file(&ready, Duration::from_secs(20));
        kill(running.child.id(), sig);
        let (st, _, err) = running.finish(Duration::from_secs(20));
        w.check_stderr(err.as_bytes());
        assert_eq!(std::fs::read_to_string(&marker).ok(), Some(format!("{sig}\n")), "SIG{sig} was not forwarded");
        assert_eq!(st.code(), Some(status), "SIG{sig}: {err}");
    }
}

// ---------------------------------------------------------------------------------------------
// env
// ---------------------------------------------------------------------------------------------

/// A world holding the two nasty secrets, as imported tokens.
fn nasty_world() -> World {
    let w = World::env_key();
    w.import("nasty", NASTY, &[]);
    w.import("multi", MULTI, &[]);
    w
}

#[test]
fn env_sh_output_evaluates_back_to_the_exact_secret() {
    let w = nasty_world();
    let out = w.ok(&["env", "-t", "nasty", "-t", "multi", "--format", "sh"]);
    let file = w.path("assignments.sh");
    std::fs::write(&file, &out.stdout).unwrap();
    for (var, want) in [("NASTY_TOKEN", NASTY), ("MULTI_TOKEN", MULTI)] {
        let mut c = w.std_program("sh");
        let script = format!("eval \"$(cat \"$1\")\"; printf %s \"${var}\"");
        c.args(["-c", &script, "sh"]).arg(&file);
        let got = c.output().unwrap();
        assert_eq!(text(&got.stderr), "", "eval complained");
        assert_eq!(text(&got.stdout), want, "{var}");
    }
    // Evaluating it ran nothing: `id` in backquotes stayed text.
    let mut c = w.std_program("sh");
    c.args(["-c", "eval \"$(cat \"$1\")\"; env", "sh"]).arg(&file);
    let env = text(&c.output().unwrap().stdout);
    assert!(env.contains("NASTY_TOKEN= it's a \"quoted\" $HOME `id`"), "exported: {env}");
}

#[test]
fn env_dotenv_output_imports_back_into_another_vault_unchanged() {
    let w = nasty_world();
    let out = w.ok(&["env", "-t", "nasty", "-t", "multi", "--format", "dotenv"]);
    let file = w.path("tokens.env");
    std::fs::write(&file, &out.stdout).unwrap();
    let second = w.path("second/vault.toml");
    let mut c = w.cmd();
    c.env("TOKCTL_VAULT", &second).args(["import", "--dotenv"]).arg(&file);
    let imp = w.run(c);
    assert_eq!(code(&imp), Some(0), "{}", text(&imp.stderr));
    for (name, want) in [("nasty-token", NASTY), ("multi-token", MULTI)] {
        let mut c = w.cmd();
        c.env("TOKCTL_VAULT", &second).args(["get", "-n", name]);
        let got = w.run(c);
        assert_eq!(code(&got), Some(0), "{}", text(&got.stderr));
        assert_eq!(text(&got.stdout), want, "{name}");
    }
}

#[test]
fn env_json_output_parses_to_the_exact_secrets() {
    let w = nasty_world();
    let out = w.ok(&["env", "-t", "nasty", "-t", "multi=OTHER_NAME", "--format", "json"]);
    let map: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).unwrap();
    let want = BTreeMap::from([("NASTY_TOKEN".to_string(), NASTY.to_string()), ("OTHER_NAME".into(), MULTI.into())]);
    assert_eq!(map, want);
}

#[test]
fn env_github_appends_a_multiline_safe_block_and_prints_masks() {
    let w = nasty_world();
    let gh = w.path("github_env");
    std::fs::write(&gh, "EXISTING=1\n").unwrap();
    let mut c = w.cmd();
    c.env("GITHUB_ENV", &gh).args(["env", "-t", "nasty", "-t", "multi", "--format", "github"]);
    let out = w.run(c);
    assert_eq!(code(&out), Some(0), "{}", text(&out.stderr));

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
    let stdout = text(&out.stdout);
    let masks: Vec<&str> = stdout.lines().collect();
    assert!(masks.iter().all(|l| l.starts_with("::add-mask::")), "{stdout}");
    for secret_line in NASTY.lines().chain(MULTI.lines()) {
        let want = format!("::add-mask::{}", esc(secret_line));
        assert!(masks.contains(&want.as_str()), "missing {want:?} in {stdout}");
    }

    // Outside GitHub Actions: a usage error, nothing printed or written.
    let before = std::fs::read(&gh).unwrap();
    let out = w.fails(&["env", "-t", "nasty", "--format", "github"], 2);
    assert!(out.stdout.is_empty());
    let mut c = w.cmd();
    c.env("GITHUB_ENV", "").args(["env", "-t", "nasty", "--format", "github"]);
    assert_eq!(code(&w.run(c)), Some(2));
    assert_eq!(std::fs::read(&gh).unwrap(), before);
}

// ---------------------------------------------------------------------------------------------
// bundle
// ---------------------------------------------------------------------------------------------

/// tokctl opening a bundle the way CI does: its key in TOKCTL_VAULT_KEY, no keyring.
fn ci_cmd(w: &World, bundle: &Path, key: &str) -> assert_cmd::Command {
    let mut c = w.cmd();
    c.env("TOKCTL_VAULT", bundle).env("TOKCTL_VAULT_KEY", key).env("TOKCTL_KEYRING", "none");
    c
}

fn bundle(w: &World, names: &[&str], out: &Path) -> String {
    let mut c = w.cmd();
    c.arg("bundle");
    for n in names {
        c.args(["-t", n]);
    }
    c.arg("--out").arg(out);
    let o = w.run(c);
    assert_eq!(code(&o), Some(0), "bundle: {}", text(&o.stderr));
    let key = text(&o.stdout);
    assert_eq!(key.lines().count(), 1, "bundle prints one line: {key:?}");
    let key = key.trim_end().to_string();
    assert!(key.starts_with("tokctl-key-v1-"), "{key:?}");
    assert!(!text(&o.stderr).contains(&key), "the bundle key reached stderr");
    w.remember(&key);
    key
}

#[test]
fn bundle_is_a_separate_vault_that_only_its_own_key_opens() {
    // The developer's vault key lives in the OS keyring.
    let w = World::keyring();
    let alpha = w.create("alpha", &[]);
    let beta = w.create("beta", &[]);
    w.create("gamma", &[]);
    let personal = text(&w.ok(&["key", "export"]).stdout).trim_end().to_string();
    w.remember(&personal);
    let out = w.path("repo/.tokctl/ci.vault");
    let key = bundle(&w, &["alpha", "beta"], &out);
    assert_ne!(key, personal);

    // CI: the bundle key, no keyring.
    let run = |c: assert_cmd::Command| w.run(c);
    let mut c = ci_cmd(&w, &out, &key);
    c.args(["get", "-n", "alpha"]);
    let o = run(c);
    assert_eq!(code(&o), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), alpha);
    let mut c = ci_cmd(&w, &out, &key);
    c.args(["get", "gamma"]);
    assert_eq!(code(&run(c)), Some(3), "only the bundled tokens are in it");
    for mask in [false, true] {
        let mut c = ci_cmd(&w, &out, &key);
        c.args(exec_args(&["-t", "alpha", "-t", "beta"], mask, &sh("printf '%s %s' \"$ALPHA_TOKEN\" \"$BETA_TOKEN\"")));
        let o = run(c);
        assert_eq!(code(&o), Some(0), "{}", text(&o.stderr));
        let want = if mask { "*** ***".to_string() } else { format!("{alpha} {beta}") };
        assert_eq!(text(&o.stdout), want);
    }

    // The personal key cannot open the bundle, nor the bundle key the personal vault.
    let mut c = ci_cmd(&w, &out, &personal);
    c.args(["get", "alpha"]);
    assert_eq!(code(&run(c)), Some(5));
    let mut c = ci_cmd(&w, &w.vault, &key);
    c.args(["get", "alpha"]);
    assert_eq!(code(&run(c)), Some(5));
    let mut c = w.cmd();
    c.env("TOKCTL_VAULT_KEY", &key).args(["get", "alpha"]);
    assert_eq!(code(&run(c)), Some(5), "the bundle key is refused even with the keyring on");
    // The developer's keyring does not open the bundle either.
    let mut c = w.cmd();
    c.env("TOKCTL_VAULT", &out).args(["get", "alpha"]);
    assert_eq!(code(&run(c)), Some(5));
    // And the personal vault is still fine.
    assert_eq!(text(&w.ok(&["get", "-n", "alpha"]).stdout), alpha);

    // Bundling again over the old bundle: a new key, the old one stops working.
    let key2 = bundle(&w, &["alpha"], &out);
    assert_ne!(key2, key);
    let mut c = ci_cmd(&w, &out, &key);
    c.args(["get", "alpha"]);
    assert_eq!(code(&run(c)), Some(5));
    let mut c = ci_cmd(&w, &out, &key2);
    c.args(["get", "beta"]);
    assert_eq!(code(&run(c)), Some(3));
}

#[test]
fn bundle_refuses_unusable_tokens_and_never_overwrites_a_file_that_is_not_a_bundle() {
    let w = World::env_key();
    w.create("good", &[]);
    w.create_expired("old", &[]);
    w.create("gone", &[]);
    w.ok(&["revoke", "gone", "--yes"]);
    let out = w.path("ci.vault");
    let outs = out.to_str().unwrap();
    for (bad, want) in [("old", 4), ("gone", 4), ("missing", 3)] {
        let o = w.fails(&["bundle", "-t", "good", "-t", bad, "--out", outs], want);
        assert!(o.stdout.is_empty(), "no key printed");
        assert!(!out.exists(), "a bundle was written despite '{bad}'");
    }

    // A file that is not a bundle: conflict, untouched.
    let notes = w.path("notes.txt");
    std::fs::write(&notes, "my notes\n").unwrap();
    let before = fingerprint(&notes);
    let o = w.fails(&["bundle", "-t", "good", "--out", notes.to_str().unwrap()], 7);
    assert!(o.stdout.is_empty());
    assert_eq!(fingerprint(&notes), before);

    // The personal vault itself, spelled directly or another way: refused, untouched.
    let vault_before = fingerprint(&w.vault);
    let o = w.tokctl(&["bundle", "-t", "good", "--out", w.vault.to_str().unwrap()]);
    assert_ne!(code(&o), Some(0));
    let other_spelling = w.vault.parent().unwrap().join("../vault/vault.toml");
    // Recognised as the same file however it is spelled: the usage error, not "not a bundle".
    let o = w.fails(&["bundle", "-t", "good", "--out", other_spelling.to_str().unwrap()], 2);
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot be written over the vault"), "{o:?}");
    assert_eq!(fingerprint(&w.vault), vault_before);
    w.ok(&["get", "good"]);
}

#[test]
fn bundle_ci_recipe_works_on_a_read_only_checkout_without_writing_the_bundle() {
    let w = World::env_key();
    let expo = w.create("expo", &[]);
    w.create("unrelated", &[]);
    let repo = w.path("repo");
    let key = bundle(&w, &["expo"], &repo.join("ci.vault"));
    std::fs::write(repo.join(".tokctl.toml"), "vault = \"ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n").unwrap();

    // CI: no TOKCTL_VAULT, the bundle key, no keyring, the cwd somewhere in the checkout.
    let ci = |cwd: &Path, args: &[&str]| {
        let mut c = w.cmd();
        c.env_remove("TOKCTL_VAULT").env("TOKCTL_VAULT_KEY", &key).env("TOKCTL_KEYRING", "none");
        c.current_dir(cwd).args(args);
        w.run(c)
    };
    let story = |checkout: &Path, what: &str| {
        let bundle = checkout.join("ci.vault");
        let before = fingerprint(&bundle);
        let cwd = checkout.join("src");
        let o = ci(&cwd, &exec_args(&[], false, &sh("printf %s \"$EXPO_TOKEN\"")));
        assert_eq!(code(&o), Some(0), "{what}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout), expo, "{what}");
        let o = ci(&cwd, &exec_args(&[], true, &sh("printf 'token=%s' \"$EXPO_TOKEN\"; exit 9")));
        assert_eq!(code(&o), Some(9), "{what}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout), "token=***", "{what}");
        let o = ci(&cwd, &["env", "--format", "json"]);
        assert_eq!(code(&o), Some(0), "{what}: {}", text(&o.stderr));
        let map: BTreeMap<String, String> = serde_json::from_slice(&o.stdout).unwrap();
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
    let ro = w.path("ro-checkout");
    std::fs::create_dir(&ro).unwrap();
    let mount = match Mount::tmpfs(&ro) {
        Ok(m) => m,
        Err(why) => {
            eprintln!("skipping the read-only filesystem part: {why}");
            return;
        }
    };
    std::fs::create_dir(ro.join("src")).unwrap();
    for f in ["ci.vault", ".tokctl.toml"] {
        std::fs::copy(repo.join(f), ro.join(f)).unwrap();
    }
    if let Err(why) = mount.remount_ro() {
        eprintln!("skipping the read-only filesystem part: {why}");
        return;
    }
    assert!(std::fs::write(ro.join("probe"), "x").is_err(), "the remount is not read-only");
    let before = listing(&ro);
    story(&ro, "read-only tmpfs checkout");
    assert_eq!(listing(&ro), before);
    drop(mount);
}
