//! Untrusted bytes (SPEC "Untrusted bytes", issue 9): what a token's value, a note, a program
//! name, a path or a vault header holds never acts on the user's terminal, shell or CPU.
//! Each test reproduces an attack that worked on an earlier build.

use crate::support::*;

// ---------------------------------------------------------------------------------------------
// Dotenv output that a shell sources (item 6)
// ---------------------------------------------------------------------------------------------

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Values chosen to break out of every quoting a dotenv writer might pick: quotes, newlines,
/// command substitutions, expansions, backslashes (doubled, trailing, before a quote), carriage
/// returns, comments, and text that would read as another assignment if a parser lost its place.
const NASTY_VALUES: &[&str] = &[
    "x'$(touch pwned-subst)\n`touch pwned-backtick`${HOME}",
    "$(touch pwned-plain)",
    "`touch pwned-plain-backtick`",
    "a'b",
    "'",
    "''",
    "line one\nline two",
    "ends in a newline\n",
    "\"double\" $HOME ${HOME} $((1+1))",
    r"back\slash",
    r"two\\backslashes",
    "trailing\\",
    "trailing two\\\\",
    r"quote after backslash\'x",
    "\\\nbackslash then newline",
    "carriage\rreturn",
    "# not a comment",
    "a #b",
    "a=b",
    "x'$\nINJECTED_BY_VALUE=1\n",
    "a\\'\n'INJECTED_TOO=2\n'",
    "$x'",
    "`a`'",
    "\\$HOME",
    "caf\u{e9} \u{2713} \u{85}",
    "tab\there",
    " leading and trailing blanks ",
    "!event $! $$ $0 ~",
];

/// What python-dotenv cannot read back, as the README says: a carriage return (it opens the file
/// with universal newlines), a `${…}` (it expands it), a trailing backslash, and a `$` or a
/// backquote together with a `'` or two backslashes in a row.
fn python_can_read(v: &str) -> bool {
    let dollar_or_backquote = v.contains('$') || v.contains('`');
    let interpolated = v.find("${").is_some_and(|i| v[i..].contains('}'));
    !(v.contains('\r')
        || interpolated
        || v.ends_with('\\')
        || (dollar_or_backquote && (v.contains('\'') || v.contains("\\\\"))))
}

fn var(i: usize) -> String {
    format!("VAL_{i}")
}

/// A vault holding every nasty value (imported from stdin, one trailing newline added so the
/// value keeps its own), and the dotenv file `env --format dotenv` writes for them.
fn nasty_dotenv() -> (Env, PathBuf) {
    let env = Env::env_key();
    for (i, v) in NASTY_VALUES.iter().enumerate() {
        env.import(&format!("val-{i}"), &format!("{v}\n"), &["--env", &var(i)]);
    }
    let mut args = vec!["env".to_string(), "--format".into(), "dotenv".into()];
    for i in 0..NASTY_VALUES.len() {
        args.extend(["-t".into(), format!("val-{i}")]);
    }
    let out = env.ok(&args, b"");
    let file = env.write_file("tokens.env", out.as_bytes());
    (env, file)
}

/// `set -a; . FILE` in `shell`, in an empty directory; the environment it then exports.
fn source_in(shell: &str, file: &Path, dir: &Path) -> BTreeMap<String, String> {
    let out = std::process::Command::new(shell)
        .args(["-c", "set -a; . \"$1\"; env -0", shell])
        .arg(file)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", "/home-of-the-test")
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("run {shell}: {e}"));
    assert!(out.status.success(), "{shell} failed: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{shell} complained");
    String::from_utf8(out.stdout)
        .unwrap()
        .split('\0')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn dotenv_output_sourced_by_sh_and_bash_runs_and_expands_nothing() {
    let (env, file) = nasty_dotenv();
    for shell in ["dash", "bash", "sh"] {
        let dir = env.root.join(format!("run-{shell}"));
        std::fs::create_dir(&dir).unwrap();
        let got = source_in(shell, &file, &dir);
        for (i, want) in NASTY_VALUES.iter().enumerate() {
            assert_eq!(got.get(&var(i)).map(String::as_str), Some(*want), "{shell}: {} of\n{}", var(i), show(&file));
        }
        assert!(!got.contains_key("INJECTED_BY_VALUE") && !got.contains_key("INJECTED_TOO"), "{shell}");
        let made: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert!(made.is_empty(), "{shell} ran commands from the values: {made:?}");
    }
}

#[test]
fn dotenv_output_imports_back_byte_for_byte() {
    let (env, file) = nasty_dotenv();
    let second = env.root.join("second").join("vault.toml");
    let mut c = env.std_cmd(&["import", "--dotenv"]);
    c.arg(&file).env("TOKCTL_VAULT", &second);
    let out = run_std(c, b"");
    assert_eq!(out.code, 0, "{out}\n{}", show(&file));
    for (i, want) in NASTY_VALUES.iter().enumerate() {
        let mut c = env.std_cmd(&["get", "-n", &format!("val-{i}")]);
        c.env("TOKCTL_VAULT", &second);
        let got = run_std(c, b"");
        assert_eq!(got.code, 0, "{got}");
        assert_eq!(got.stdout_bytes, want.as_bytes(), "val-{i} of\n{}", show(&file));
    }
}

/// A virtualenv with python-dotenv (`.ci/run` makes it); made here when missing, else `None`.
fn python_dotenv() -> Option<PathBuf> {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/pyenv");
    let python = venv.join("bin/python");
    let works = |p: &Path| {
        std::process::Command::new(p).args(["-c", "import dotenv"]).output().is_ok_and(|o| o.status.success())
    };
    if works(&python) {
        return Some(python);
    }
    let ok = |c: &mut std::process::Command| c.output().is_ok_and(|o| o.status.success());
    let made = ok(std::process::Command::new("python3").arg("-m").arg("venv").arg(&venv))
        && ok(std::process::Command::new(venv.join("bin/pip")).args(["install", "-q", "python-dotenv"]));
    (made && works(&python)).then_some(python)
}

#[test]
fn dotenv_output_reads_back_in_python_dotenv_where_its_syntax_can_say_the_value() {
    let Some(python) = python_dotenv() else {
        cannot_run(
            "no python-dotenv (.ci/test installs it: python3 -m venv target/pyenv && target/pyenv/bin/pip install python-dotenv)",
        );
        return;
    };
    let (_env, file) = nasty_dotenv();
    let script = "import json, sys, dotenv; print(json.dumps(dotenv.dotenv_values(sys.argv[1])))";
    let out = std::process::Command::new(&python).args(["-c", script]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let got: BTreeMap<String, Option<String>> = serde_json::from_slice(&out.stdout).unwrap();
    let ours: Vec<String> = (0..NASTY_VALUES.len()).map(var).collect();
    // Whatever it cannot read, it never sees a variable that is not in the file.
    let foreign: Vec<&String> = got.keys().filter(|k| !ours.contains(k)).collect();
    assert!(foreign.is_empty(), "python-dotenv read variables that are not there: {foreign:?}\n{}", show(&file));
    let mut readable = 0;
    for (i, want) in NASTY_VALUES.iter().enumerate() {
        if python_can_read(want) {
            readable += 1;
            assert_eq!(got.get(&var(i)), Some(&Some(want.to_string())), "{} of\n{}", var(i), show(&file));
        }
    }
    assert!(readable >= NASTY_VALUES.len() / 2, "the test checks too few values: {readable}");
}

fn show(file: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned()
}

#[test]
fn a_secret_with_a_nul_byte_is_refused_on_every_way_in() {
    let env = Env::env_key();
    let out = env.fails(&["import", "nul"], b"a\0b", 2);
    assert!(out.stderr.contains("NUL"), "{out}");
    assert!(env.run(&["show", "nul"], b"").code != 0, "nothing was stored");

    let file = env.write_file("nul.env", b"A_TOKEN=\"a\0b\"\n");
    let out = env.fails(&["import", "--dotenv", file.to_str().unwrap()], b"", 2);
    assert!(out.stderr.contains("NUL"), "{out}");

    env.import("imp", "first-secret", &[]);
    let out = env.fails(&["regenerate", "imp"], b"new\0secret", 2);
    assert!(out.stderr.contains("NUL"), "{out}");
    assert_eq!(env.get("imp"), "first-secret");
}

// ---------------------------------------------------------------------------------------------
// Terminal escapes from data (item 8)
// ---------------------------------------------------------------------------------------------

/// A window title (OSC 0), a clear screen and a carriage return.
const HOSTILE: &str = "hi\u{1b}]0;pwned\u{7}\u{1b}[2J\rgotcha";
const HOSTILE_SHOWN: &str = r"hi\x1b]0;pwned\x07\x1b[2J\rgotcha";

/// No control character but the newlines that end lines.
#[track_caller]
fn assert_no_controls(what: &str, text: &str) {
    let bad: Vec<char> = text.chars().filter(|c| c.is_control() && *c != '\n').collect();
    assert!(bad.is_empty(), "{what} wrote raw control characters {bad:?}: {text:?}");
}

#[test]
fn a_note_with_terminal_escapes_is_shown_escaped_by_show_and_list() {
    let env = Env::env_key();
    env.create("svc", &["--note", HOSTILE]);
    let show = env.ok(&["show", "svc"], b"");
    assert_no_controls("show", &show);
    assert!(show.contains(HOSTILE_SHOWN), "{show}");
    for color in ["never", "always"] {
        let list = env.ok(&["--color", color, "list"], b"");
        assert_no_controls("list", &list.replace("\u{1b}[1m", "").replace("\u{1b}[0m", ""));
    }
    // JSON keeps the note exactly, escaped as JSON escapes it.
    let raw = env.ok(&["show", "svc", "--json"], b"");
    assert_no_controls("show --json", &raw);
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v["note"], HOSTILE);
}

#[test]
fn del_and_c1_controls_are_escaped_too_and_json_writes_them_as_escapes() {
    let env = Env::env_key();
    let note = "del\u{7f} csi\u{9b}2J nel\u{85}";
    env.create("svc", &["--note", note]);
    let show = env.ok(&["show", "svc"], b"");
    assert_no_controls("show", &show);
    assert!(show.contains(r"del\x7f csi\u{9b}2J nel\u{85}"), "{show}");
    let raw = env.ok(&["list", "--json"], b"");
    assert_no_controls("list --json", &raw);
    let v: serde_json::Value = serde_json::from_str(&raw).unwrap();
    assert_eq!(v[0]["note"], note);
}

#[test]
fn a_program_name_with_escapes_is_shown_escaped_by_log_and_in_errors() {
    let env = Env::env_key();
    env.create("svc", &[]);
    let program = env.root.join("\u{1b}]0;pwned\u{7}\u{1b}[2Jprog");
    let out = env.fails(&["exec", "-t", "svc", "--", program.to_str().unwrap()], b"", 127);
    assert_no_controls("exec's error", &out.stderr);
    assert!(out.stderr.contains(r"\x1b]0;pwned\x07\x1b[2Jprog"), "{out}");
    // A command that never started is not a use; once the program exists and runs, the log
    // names it, escaped.
    std::fs::write(&program, "#!/bin/sh\nexit 0\n").unwrap();
    set_mode(&program, 0o755);
    env.ok(&["exec", "-t", "svc", "--", program.to_str().unwrap()], b"");
    let log = env.ok(&["log"], b"");
    assert_no_controls("log", &log);
    assert!(log.contains(r"exec \x1b]0;pwned\x07\x1b[2Jprog"), "{log}");
    let json = env.ok(&["log", "--json"], b"");
    assert_no_controls("log --json", &json);
}

#[test]
fn a_vault_path_with_escapes_is_shown_escaped_in_errors_notes_and_doctor() {
    let env = Env::env_key();
    let dir = env.root.join("\u{1b}[2J\u{1b}]0;pwned\u{7}dir\rx");
    std::fs::create_dir(&dir).unwrap();
    let vault = dir.join("vault.toml");
    let shown = r"\x1b[2J\x1b]0;pwned\x07dir\rx";
    let v = vault.to_str().unwrap();

    // An error naming the path: no vault there yet.
    let out = env.fails(&["--vault", v, "list"], b"", 3);
    assert_no_controls("the error", &out.stderr);
    assert!(out.stderr.contains(shown), "{out}");
    // A note naming it: the vault was created there.
    let out = env.run(&["--vault", v, "create", "svc"], b"");
    assert_eq!(out.code, 0, "{out}");
    assert_no_controls("the note", &out.stderr);
    assert!(out.stderr.contains(shown), "{out}");
    // doctor's report.
    let out = env.run(&["--vault", v, "doctor"], b"");
    assert_no_controls("doctor", &out.stdout);
    assert_no_controls("doctor's notes", &out.stderr);
    assert!(out.stdout.contains(shown), "{out}");
    // A damaged vault there: the error names the path.
    std::fs::write(&vault, b"not a vault").unwrap();
    let out = env.fails(&["--vault", v, "list"], b"", 6);
    assert_no_controls("the damage report", &out.stderr);
}

// ---------------------------------------------------------------------------------------------
// The completion hook (item 9)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_generic_complete_variable_changes_nothing() {
    let env = Env::env_key();
    let secret = env.create("svc", &[]);
    for value in ["bash", "1", "zsh"] {
        let mut c = env.std_cmd(&["get", "svc"]);
        c.env("COMPLETE", value);
        let out = run_std(c, b"");
        assert_eq!((out.code, out.stdout.as_str()), (0, format!("{secret}\n").as_str()), "COMPLETE={value}\n{out}");

        let mut c = env.std_cmd(&["exec", "-t", "svc", "--", "sh", "-c", "printf 'ran with %s' \"$SVC_TOKEN\""]);
        c.env("COMPLETE", value);
        let out = run_std(c, b"");
        assert_eq!((out.code, out.stdout.as_str()), (0, format!("ran with {secret}").as_str()), "{out}");
    }
    // Our own variable is the hook.
    let mut c = env.std_cmd(&["get", "svc"]);
    c.env("TOKCTL_COMPLETE", "bash");
    let out = run_std(c, b"");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("TOKCTL_COMPLETE") && !out.stdout.contains(&secret), "{out}");
}

// ---------------------------------------------------------------------------------------------
// Argon2 parameters in a header (item 10)
// ---------------------------------------------------------------------------------------------

#[test]
fn argon2_parameters_beyond_the_limits_are_damaged_before_any_derivation() {
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "correct horse battery staple");
    env.create("svc", &[]);
    let good = String::from_utf8(env.vault_bytes()).unwrap();
    assert!(good.contains("\nm_kib = 65536\nt = 3\np = 4\n"), "a passphrase vault:\n{good}");
    // Each run gets at most 512 MiB of address space: a 1 GiB Argon2 could not even allocate.
    let limited = |args: &[&str]| {
        let mut c = env.std_cmd_of("prlimit", &[format!("--as={}", 512 << 20), "--".into(), BIN.into()]);
        c.args(args);
        run_std(c, b"")
    };
    assert_eq!(limited(&["list"]).code, 0, "the untouched vault opens under the limit");
    let cases = [
        ("t = 3", "t = 11", "t"),
        ("p = 4", "p = 17", "p"),
        ("m_kib = 65536", "m_kib = 1048577", "m_kib"),
        ("m_kib = 65536", "m_kib = 4194304", "m_kib"),
        ("t = 3", "t = 0", "t"),
        ("p = 4", "p = 0", "p"),
        ("m_kib = 65536", "m_kib = 7", "m_kib"),
        ("m_kib = 65536", "m_kib = 31", "m_kib"),
    ];
    for (from, to, field) in cases {
        let bad = good.replacen(&format!("\n{from}\n"), &format!("\n{to}\n"), 1);
        assert_ne!(bad, good);
        std::fs::write(&env.vault, &bad).unwrap();
        for args in [&["list"][..], &["doctor"][..]] {
            let out = limited(args);
            assert_eq!(out.code, 6, "{to}: {out}");
            let said = format!("{}{}", out.stdout, out.stderr);
            assert!(said.contains(field) && said.contains("damaged"), "{to}: the message names the parameter\n{out}");
        }
    }
    std::fs::write(&env.vault, &good).unwrap();
    assert_eq!(limited(&["list"]).code, 0);
}

// ---------------------------------------------------------------------------------------------
// Masking stays linear (item 11)
// ---------------------------------------------------------------------------------------------

#[test]
fn masking_an_adversarial_secret_over_megabytes_of_output_is_linear() {
    let env = Env::env_key();
    // 64 KiB: 65,535 `a` and a `b`. Every `a` of the output could start it.
    let secret = format!("{}b", "a".repeat(65_535));
    env.import("adv", &secret, &[]);
    let script = "head -c 2000000 /dev/zero | tr '\\0' a; printf %s \"$ADV_TOKEN\"; printf 'x%sy' \"$ADV_TOKEN\"";
    // A budget of CPU seconds, not a clock: linear masking needs a fraction of one second here;
    // the masker that rescanned what it held back burnt 34 s and is killed.
    let mut c = env.std_cmd_of("prlimit", &["--cpu=20", "--", BIN]);
    c.args(["exec", "-t", "adv", "--mask", "--", "sh", "-c", script]);
    let out = run_std(c, b"");
    assert_eq!(out.code, 0, "exit {} after {:?}: {}", out.code, out.elapsed, out.stderr);
    let want = format!("{}***x***y", "a".repeat(2_000_000));
    assert!(
        out.stdout_bytes == want.as_bytes(),
        "masked output differs ({} bytes, want {})",
        out.stdout_bytes.len(),
        want.len()
    );
}

// ---------------------------------------------------------------------------------------------
// Line breaks and controls from a project file (issue 17, item 8)
// ---------------------------------------------------------------------------------------------

/// A `vault` that, printed raw, would end the line and forge what the file asks for.
const FORGED_VAULT: &str = "ci.vault\\ntokctl: FORGED it asks for: nothing\\r\\u001b[2K";

/// Every line is tokctl's own (`tokctl: …` or an indented hint, or a doctor line), and the
/// forged text only ever shows with its line break escaped.
#[track_caller]
fn assert_not_forged(what: &str, text: &str) {
    assert_no_controls(what, text);
    for line in text.lines() {
        if let Some(at) = line.find("FORGED") {
            assert!(line[..at].ends_with(r"\ntokctl: "), "{what} let data start a line: {text}");
        }
    }
}

#[test]
fn a_project_file_cannot_forge_lines_in_the_refusal_trust_or_doctor() {
    let env = Env::env_key();
    env.create("gh", &[]);
    let dir = env.root.join("clone");
    std::fs::create_dir_all(&dir).unwrap();
    let file = format!("vault = \"{FORGED_VAULT}\"\n[ci]\nvault = \"{FORGED_VAULT}\"\n[env]\nGH_TOKEN = \"gh\"\n");
    std::fs::write(dir.join(".tokctl.toml"), file).unwrap();
    let run = |args: &[&str], project_vault: bool| {
        let mut c = env.std_cmd(args);
        c.current_dir(&dir);
        if project_vault {
            c.env_remove("TOKCTL_VAULT");
        }
        run_std(c, b"")
    };
    // The exit-8 refusal, with the file's vault applying and with it overridden.
    for project_vault in [true, false] {
        let out = run(&["exec", "--", "true"], project_vault);
        assert_eq!(out.code, 8, "{out}");
        assert!(out.stderr.contains("FORGED"), "the vault is shown: {out}");
        assert_not_forged("the refusal", &out.stderr);
    }
    let out = run(&["doctor"], true);
    assert_eq!(out.code, 8, "{out}");
    assert_not_forged("doctor", &out.stdout);
    assert_not_forged("doctor's stderr", &out.stderr);
    let out = run(&["trust"], false);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("FORGED"), "trust shows what it asks for: {out}");
    assert_not_forged("trust", &out.stderr);
    let out = run(&["doctor"], false);
    assert_not_forged("doctor", &out.stdout);
}

#[test]
fn paths_with_line_breaks_are_escaped_in_every_message() {
    let env = Env::env_key();
    env.create("gh", &[]);
    let odd = env.root.join("odd\ntokctl: FORGED\r\u{1b}[2K");
    std::fs::create_dir_all(&odd).unwrap();
    let vault = odd.join("v.toml");
    let vault = vault.to_str().unwrap();
    // A vault path: created (a note), missing (an error), and in doctor.
    let out = env.run(&["--vault", vault, "create", "x"], b"");
    assert_eq!(out.code, 0, "{out}");
    assert_not_forged("create's note", &out.stderr);
    let missing = odd.join("none.toml");
    let out = env.run(&["--vault", missing.to_str().unwrap(), "get", "x"], b"");
    assert_eq!(out.code, 3, "{out}");
    assert_not_forged("no vault", &out.stderr);
    let out = env.run(&["--vault", vault, "doctor"], b"");
    assert_not_forged("doctor", &out.stdout);
    assert_not_forged("doctor's stderr", &out.stderr);
    // A project file in that directory: its path in the refusal, in trust, in trust --list.
    std::fs::write(odd.join(".tokctl.toml"), "[env]\nGH_TOKEN = \"gh\"\n").unwrap();
    let mut c = env.std_cmd(&["exec", "--", "true"]);
    c.current_dir(&odd);
    let out = run_std(c, b"");
    assert_eq!(out.code, 8, "{out}");
    assert_not_forged("the refusal", &out.stderr);
    let mut c = env.std_cmd(&["trust"]);
    c.current_dir(&odd);
    let out = run_std(c, b"");
    assert_eq!(out.code, 0, "{out}");
    assert_not_forged("trust", &out.stderr);
    assert_not_forged("trust --list", &env.ok(&["trust", "--list"], b""));
    let mut c = env.std_cmd(&["trust", "--revoke"]);
    c.current_dir(&odd);
    assert_not_forged("trust --revoke", &run_std(c, b"").stderr);
    // A file written on request.
    let out = env.run(&["env", "-t", "gh", "--format", "dotenv", "--out", odd.join("o.env").to_str().unwrap()], b"");
    assert_eq!(out.code, 0, "{out}");
    assert_not_forged("env --out", &out.stderr);
    let out = env.run(&["bundle", "-t", "gh", "--out", odd.join("b.vault").to_str().unwrap()], b"");
    assert_eq!(out.code, 0, "{out}");
    assert_not_forged("bundle", &out.stderr);
}
