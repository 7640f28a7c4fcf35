//! `scan` and `redact` end to end (SPEC "Finding your own secrets"): secrets planted in every
//! form at every alignment, in text and binary files, ignored and hidden files, a real git
//! repository's history and index (through the real `git`, and its real pre-commit hook), and
//! bash, zsh and fish history files. No run may show a secret on stdout or stderr of `scan`.

use std::path::{Path, PathBuf};
use std::process;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde_json::Value;

use crate::support::*;

/// A secret whose every form differs from the raw one: `/` and `+` change base64's alphabets'
/// output and URL-encoding, `"` and `\` JSON-escaping.
const ODD: &str = "s3cr/t+\"quoted\"\\back~slash_0123456789";

/// `tokctl scan ARGS` in `dir`; stdout and stderr must hold no secret.
fn scan_in(w: &Env, dir: &Path, args: &[&str]) -> Out {
    let mut c = w.std_cmd(&[&["scan"], args].concat());
    c.current_dir(dir);
    let out = w.run_cmd(c, b"");
    assert!(!w.holds_a_secret(&out.stdout), "a secret reached scan's stdout\n{out}");
    out
}

/// The findings of `scan --json ARGS` in `dir`, with its exit code.
fn findings(w: &Env, dir: &Path, args: &[&str]) -> (i32, Vec<Value>) {
    let out = scan_in(w, dir, &[&["--json"], args].concat());
    assert!(out.code == 0 || out.code == 9, "scan exits 0 or 9\n{out}");
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("JSON: {e}\n{out}"));
    (out.code, v.as_array().expect("an array").clone())
}

/// Each finding as `path encoding token line:column`, sorted.
fn summary(found: &[Value]) -> Vec<String> {
    let mut v: Vec<String> = found
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {}:{}",
                f["path"].as_str().unwrap(),
                f["encoding"].as_str().unwrap(),
                f["token"].as_str().unwrap(),
                f["line"],
                f["column"]
            )
        })
        .collect();
    v.sort();
    v
}

fn dir(w: &Env, name: &str) -> PathBuf {
    let d = w.path(name);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `git ARGS` in `dir`, which must succeed; stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = process::Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git is needed (apt-get install git)");
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A repository in `name` under the test's root, with `file` holding `text` committed.
fn repo_with(w: &Env, name: &str, file: &str, text: &str) -> PathBuf {
    let d = dir(w, name);
    git(&d, &["init", "-q"]);
    std::fs::write(d.join(file), text).unwrap();
    git(&d, &["add", file]);
    git(&d, &["commit", "-qm", "first"]);
    d
}

#[test]
fn scan_finds_every_form_at_every_alignment_in_text_and_binary_files() {
    let w = Env::env_key();
    w.import("odd", ODD, &[]);
    let minted = w.create("svc", &[]);
    let d = dir(&w, "work");
    let mut want = Vec::new();
    for (i, (engine, name)) in [(&STANDARD, "base64"), (&URL_SAFE_NO_PAD, "base64url")].into_iter().enumerate() {
        for align in 0..3 {
            // `align` bytes before the secret inside one encoded text, and some after.
            let plain = format!("{}{ODD}xyz", "ab".get(..align).unwrap_or("abc"));
            let file = format!("enc-{i}-{align}.txt");
            std::fs::write(d.join(&file), format!("header\n  {}\n", engine.encode(plain))).unwrap();
            // Where the URL-safe run has no `-` or `_` it is the standard one's string, named
            // base64: so for this secret at alignments 1 and 2.
            let name = if align > 0 { "base64" } else { name };
            want.push(format!("{file} {name} odd 2:{}", 3 + (4 * align).div_ceil(3)));
        }
    }
    let url: String = ODD
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    std::fs::write(d.join("url.txt"), format!("https://h/?t={url}\n")).unwrap();
    want.push("url.txt url-encoded odd 1:14".into());
    std::fs::write(d.join("cfg.json"), format!("{{\"token\": {}}}\n", serde_json::to_string(ODD).unwrap())).unwrap();
    want.push("cfg.json json-escaped odd 1:12".into());
    // A binary file: NULs, invalid UTF-8, and the minted secret raw on its "second line".
    let mut bin = vec![0u8, 0xff, 0xfe, b'\n', 1, 2];
    bin.extend_from_slice(minted.as_bytes());
    bin.extend_from_slice(&[0, 0xc3]);
    // And the other secret base64-encoded after a NUL, on the third.
    bin.push(b'\n');
    bin.extend_from_slice(STANDARD.encode([&[0u8][..], ODD.as_bytes()].concat()).as_bytes());
    bin.push(0);
    std::fs::write(d.join("blob.bin"), &bin).unwrap();
    want.extend(["blob.bin raw svc 2:3".to_string(), "blob.bin base64 odd 3:3".to_string()]);
    std::fs::write(d.join("raw.env"), format!("A=1\nSVC_TOKEN={minted}\nODD='{ODD}'\n")).unwrap();
    want.extend(["raw.env raw odd 3:6".to_string(), "raw.env raw svc 2:11".to_string()]);
    let (code, found) = findings(&w, &d, &[]);
    assert_eq!(code, 9);
    want.sort();
    assert_eq!(summary(&found), want);
    let f = found.iter().find(|f| f["path"] == "blob.bin" && f["token"] == "svc").unwrap();
    assert_eq!((f["status"].as_str(), f["replace"].as_str()), (Some("active"), Some("tokctl regenerate svc")));
    let f = found.iter().find(|f| f["path"] == "url.txt").unwrap();
    assert_eq!(f["replace"], "tokctl import odd --replace");
    // The plain report: one line a finding, naming place, token, form, status and remedy.
    let out = scan_in(&w, &d, &[]);
    assert_eq!(out.code, 9, "{out}");
    assert!(
        out.stdout.contains("raw.env:2:11: token 'svc' (raw, active): replace it with `tokctl regenerate svc`\n"),
        "{out}"
    );
    assert!(out.stderr.contains("found 12 copies of 2 tokens: odd, svc"), "{out}");
    // Clean files: exit 0 and no output.
    let clean = dir(&w, "clean");
    std::fs::write(clean.join("a.txt"), "nothing here\n").unwrap();
    let out = scan_in(&w, &clean, &[]);
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out}");
}

#[test]
fn ignored_and_hidden_files_are_searched_only_with_no_ignore() {
    let w = Env::env_key();
    let s = w.create("svc", &[]);
    let d = dir(&w, "repo");
    git(&d, &["init", "-q"]);
    std::fs::write(d.join(".gitignore"), "secret.log\n").unwrap();
    std::fs::write(d.join("secret.log"), format!("token {s}\n")).unwrap();
    std::fs::write(d.join(".hidden"), format!("{s}\n")).unwrap();
    std::fs::write(d.join("kept.txt"), "fine\n").unwrap();
    let (code, found) = findings(&w, &d, &[]);
    assert_eq!((code, found.len()), (0, 0), "{found:?}");
    let (code, found) = findings(&w, &d, &["--no-ignore"]);
    assert_eq!(code, 9);
    assert_eq!(summary(&found), [".hidden raw svc 1:1", "secret.log raw svc 1:7"]);
    // PATHs given: only those, shown as given.
    let (_, found) = findings(&w, &w.root, &["--no-ignore", "repo/.hidden"]);
    assert_eq!(summary(&found), ["repo/.hidden raw svc 1:1"]);
}

#[test]
fn revoked_and_expired_tokens_are_found_with_their_status_and_short_ones_are_skipped() {
    let w = Env::env_key();
    // A GitHub-format token: after `revoke` only its hash is left, and the known prefix finds it.
    let gh = format!("ghp_{}", "Zx9Qw3Er7Ty1Ui5Op2As4Df6Gh8Jk0LmNb12");
    w.import("gh", &gh, &[]);
    let old = w.create("old", &["--prefix", "zz_"]);
    w.ok(&["revoke", "old", "--yes"], b"");
    w.ok(&["revoke", "gh", "--local", "--yes"], b"");
    w.import("short", "abc1234", &[]);
    let expired = w.create_expired("exp", &[]);
    let d = dir(&w, "work");
    std::fs::write(d.join("notes.md"), format!("gh: {gh}\nold: {old}\nexp: {expired}\nghp_{}\n", "A".repeat(36)))
        .unwrap();
    let (code, found) = findings(&w, &d, &[]);
    assert_eq!(code, 9);
    assert_eq!(summary(&found), ["notes.md raw exp 3:6", "notes.md raw gh 1:5", "notes.md raw old 2:6"]);
    let status: Vec<(&str, &Value)> = found.iter().map(|f| (f["status"].as_str().unwrap(), &f["replace"])).collect();
    assert!(status.contains(&("revoked", &Value::Null)), "{status:?}");
    assert!(status.contains(&("expired", &Value::from("tokctl regenerate exp"))), "{status:?}");
    let out = scan_in(&w, &d, &[]);
    assert!(
        out.stdout.contains("notes.md:1:5: token 'gh' (raw, revoked): already revoked: delete the copy\n"),
        "{out}"
    );
    assert!(out.stderr.contains("shorter than 8 characters") && out.stderr.contains(": short"), "{out}");
}

#[test]
fn staged_changes_are_searched_and_the_pre_commit_hook_refuses_the_commit() {
    let w = Env::env_key();
    let s = w.create("deploy", &[]);
    let d = repo_with(&w, "repo", "README", "hello\n");
    // The hook: the command the repository's .pre-commit-hooks.yaml runs, which the README's
    // plain hook runs too, with this build of tokctl.
    let yaml = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(".pre-commit-hooks.yaml")).unwrap();
    let entry = yaml.lines().find_map(|l| l.trim().strip_prefix("entry: ")).expect("an entry");
    let args = entry.strip_prefix("tokctl ").expect("the entry runs tokctl");
    assert_eq!(args, "scan --staged");
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains(&format!("exec tokctl {args}\n")), "the README's plain hook runs it too");
    let hook = d.join(".git/hooks/pre-commit");
    std::fs::write(&hook, format!("#!/bin/sh\nexec {} {args}\n", sh_quote(BIN))).unwrap();
    set_mode(&hook, 0o755);
    std::fs::write(d.join("app.env"), format!("X=1\nDEPLOY_TOKEN={s}\n")).unwrap();
    git(&d, &["add", "app.env"]);
    // Only what is staged counts: the working copy is cleaned after `git add`.
    std::fs::write(d.join("app.env"), "X=1\n").unwrap();
    std::fs::write(d.join("untracked.txt"), format!("{s}\n")).unwrap();
    let (code, found) = findings(&w, &d, &["--staged"]);
    assert_eq!(code, 9);
    assert_eq!(summary(&found), ["app.env raw deploy 2:14"]);
    assert_eq!(found[0]["source"], "staged");
    // The real `git commit`, with the hook installed: refused, and the report says why.
    // `git commit` as the user runs it, hook and all, in tokctl's test environment.
    let commit = |msg: &str| {
        let mut c = w.std_cmd_of("git", &["-c", "user.name=t", "-c", "user.email=t@t.invalid", "commit", "-qm", msg]);
        c.current_dir(&d).env("GIT_CONFIG_GLOBAL", "/dev/null");
        w.run_cmd(c, b"")
    };
    let out = commit("leak");
    assert_ne!(out.code, 0, "the hook refuses the commit\n{out}");
    // git shows a hook's output on its stderr.
    assert!(out.stderr.contains("staged:app.env:2:14: token 'deploy' (raw, active)"), "{out}");
    assert!(!w.holds_a_secret(&out.stdout), "{out}");
    assert_eq!(git(&d, &["rev-list", "--count", "HEAD"]), "1\n");
    // Staged clean: the commit goes through.
    git(&d, &["add", "app.env"]);
    let out = commit("clean");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(git(&d, &["rev-list", "--count", "HEAD"]), "2\n");
}

#[test]
fn history_is_searched_blob_by_blob_naming_the_commits_that_add_each_copy() {
    let w = Env::env_key();
    let s = w.create("ci", &[]);
    let d = repo_with(&w, "repo", "a.txt", "one\n");
    let b64 = STANDARD.encode(format!("k:{s}"));
    std::fs::write(d.join("a.txt"), format!("one\n{b64}\n")).unwrap();
    git(&d, &["commit", "-qam", "leak"]);
    let leak = git(&d, &["rev-parse", "HEAD"]).trim().to_string();
    // The same content on a branch: one blob, read once, added by two commits.
    git(&d, &["checkout", "-qb", "side", "HEAD~1"]);
    std::fs::write(d.join("a.txt"), format!("one\n{b64}\n")).unwrap();
    git(&d, &["commit", "-qam", "again"]);
    let again = git(&d, &["rev-parse", "HEAD"]).trim().to_string();
    git(&d, &["checkout", "-q", "main"]);
    std::fs::write(d.join("a.txt"), "one\n").unwrap();
    git(&d, &["commit", "-qam", "fix"]);
    // The working tree is clean now.
    assert_eq!(findings(&w, &d, &[]).0, 0);
    let (code, found) = findings(&w, &d, &["--git"]);
    assert_eq!(code, 9);
    assert_eq!(summary(&found), ["a.txt base64 ci 2:4"]);
    let mut commits: Vec<&str> = found[0]["commits"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    commits.sort();
    let mut want = vec![leak.as_str(), again.as_str()];
    want.sort();
    assert_eq!(commits, want);
    let out = scan_in(&w, &d, &["--git"]);
    assert!(out.stdout.contains(":a.txt:2:4: token 'ci' (base64, active)"), "{out}");
    assert!(out.stdout.contains(&leak[..12]) && out.stdout.contains(&again[..12]), "{out}");
    // A range that does not reach the leak: nothing.
    let (code, found) = findings(&w, &d, &["--git", "HEAD~1..HEAD"]);
    assert_eq!((code, found.len()), (0, 0), "{found:?}");
    // Bad ranges and no repository: usage errors, exit 2, and the vault as it was.
    let vault = w.vault_bytes();
    let out = scan_in(&w, &d, &["--git", "-p"]);
    assert_eq!(out.code, 2, "an option is no range\n{out}");
    let out = scan_in(&w, &d, &["--git=--all"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.starts_with("tokctl: --git takes a revision range"), "{out}");
    let out = scan_in(&w, &d, &["--git", "no-such-ref"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.starts_with("tokctl: git failed: "), "{out}");
    let out = scan_in(&w, &w.home, &["--staged"]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains("inside a git repository"), "{out}");
    assert_eq!(w.vault_bytes(), vault, "scan never writes the vault");
}

#[test]
fn shell_history_of_bash_zsh_and_fish_is_searched() {
    let w = Env::env_key();
    let s = w.create("svc", &[]);
    std::fs::write(w.home.join(".bash_history"), format!("ls\ncurl -H 'Authorization: Bearer {s}' x\n")).unwrap();
    std::fs::write(w.home.join(".zsh_history"), format!(": 1700000000:0;ls\n: 1700000001:0;export T={s}\n")).unwrap();
    let fish = w.home.join(".local/share/fish");
    std::fs::create_dir_all(&fish).unwrap();
    std::fs::write(
        fish.join("fish_history"),
        format!("- cmd: ls\n  when: 1700000000\n- cmd: set -x T {s}\n  when: 1700000001\n"),
    )
    .unwrap();
    let (code, found) = findings(&w, &w.root, &["--shell-history"]);
    assert_eq!(code, 9);
    let home = w.home.display().to_string();
    assert_eq!(
        summary(&found),
        [
            format!("{home}/.bash_history raw svc 2:32"),
            format!("{home}/.local/share/fish/fish_history raw svc 3:17"),
            format!("{home}/.zsh_history raw svc 2:25"),
        ]
    );
    assert!(found.iter().all(|f| f["source"] == "shell-history"));
}

#[test]
fn redact_replaces_every_form_in_a_stream() {
    let w = Env::env_key();
    w.import("odd", ODD, &[]);
    let s = w.create("svc", &[]);
    w.import("short", "abc1234", &[]);
    let input = format!(
        "raw {s}\nb64 {}\njson {}\nurl {}\nshort abc1234\n",
        STANDARD.encode(format!("x{ODD}y")),
        serde_json::to_string(ODD).unwrap(),
        ODD.replace('/', "%2F").replace('+', "%2B").replace('"', "%22").replace('\\', "%5C"),
    );
    let out = w.succeeds(&["redact"], input.as_bytes());
    assert!(!w.holds_a_secret(&out.stdout), "{out}");
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines[0], "raw ***");
    assert!(lines[1].starts_with("b64 ") && lines[1].contains("***") && lines[1].len() < 20, "{out}");
    assert_eq!(lines[2], "json \"***\"");
    assert_eq!(lines[3], "url ***");
    assert_eq!(lines[4], "short abc1234", "short secrets are not looked for, and said so");
    assert!(out.stderr.contains("shorter than 8 characters") && out.stderr.contains("short"), "{out}");
}
