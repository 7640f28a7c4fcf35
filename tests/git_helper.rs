//! `tokctl credential git`: the real git asks it, through `git credential fill/approve/reject`
//! and through a real clone and push over smart HTTP from a server that demands HTTP Basic auth
//! (`git http-backend` behind `tests/support/git_http.py`, on 127.0.0.1).

use std::path::{Path, PathBuf};
use std::process::{Child, Command};

use crate::support::*;

/// The smart-HTTP server, stopped when dropped.
struct GitServer {
    child: Child,
    port: u16,
}

impl Drop for GitServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A bare repository `repo.git` with one commit under `root`, served to `user`:`password`.
fn serve(w: &Env, root: &Path, user: &str, password: &str) -> GitServer {
    let seed = root.join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    for args in [
        vec!["init", "-q", "--bare", "-b", "main", root.join("repo.git").to_str().unwrap()],
        vec!["-C", seed.to_str().unwrap(), "init", "-q", "-b", "main"],
        vec!["-C", seed.to_str().unwrap(), "commit", "-q", "--allow-empty", "-m", "first"],
        vec!["-C", seed.to_str().unwrap(), "push", "-q", root.join("repo.git").to_str().unwrap(), "main"],
    ] {
        let out = git(w, &args).output().unwrap();
        assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let (child, port) = python_server("git_http.py", &[root.to_str().unwrap(), user, password]);
    GitServer { child, port }
}

/// git in the test's home, with no system or global config but a name, and never a prompt.
fn git(w: &Env, args: &[&str]) -> Command {
    let mut c = w.std_cmd_of("git", args);
    c.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env_remove("GIT_ASKPASS")
        .env_remove("SSH_ASKPASS");
    c
}

/// git with tokctl as its only credential helper.
fn git_with_tokctl(w: &Env, args: &[&str]) -> Command {
    let helper = format!("credential.helper=!{BIN} credential git");
    let mut all = vec!["-c", "credential.helper=", "-c", helper.as_str()];
    all.extend_from_slice(args);
    git(w, &all)
}

/// `git credential fill` for `input` through tokctl, paths passed on (`credential.useHttpPath`):
/// git's output (no password when nothing answered).
fn fill(w: &Env, dir: &Path, input: &str) -> Out {
    let mut c = git_with_tokctl(w, &["-c", "credential.useHttpPath=true", "credential", "fill"]);
    c.current_dir(dir);
    w.run_cmd(c, input.as_bytes())
}

fn field<'o>(out: &'o str, key: &str) -> Option<&'o str> {
    out.lines().find_map(|l| l.strip_prefix(key).and_then(|r| r.strip_prefix('=')))
}

#[test]
fn git_clones_and_pushes_through_tokctl_and_is_refused_once_the_token_is_revoked() {
    let w = Env::env_key();
    let secret = "server-token-for-the-git-test-0001";
    w.import("work", secret, &["--username", "alice"]);
    let root = w.path("srv");
    let server = serve(&w, &root, "alice", secret);
    let url = format!("http://127.0.0.1:{}/repo.git", server.port);

    // Without tokctl, the server says no.
    let out = w.run_cmd(git(&w, &["clone", "-q", &url, "without"]), b"");
    assert_ne!(out.code, 0, "the server demands auth\n{out}");

    w.ok(&["update", "work", "--host", &format!("127.0.0.1:{}", server.port)], b"");
    let out = w.run_cmd(git_with_tokctl(&w, &["clone", "-q", &url, "with"]), b"");
    assert_eq!(out.code, 0, "the clone gets tokctl's answer\n{out}");
    let clone = w.path("with");
    let mut commit = git(&w, &["-C", clone.to_str().unwrap(), "commit", "-q", "--allow-empty", "-m", "second"]);
    assert!(commit.status().unwrap().success());
    let out = w.run_cmd(git_with_tokctl(&w, &["-C", clone.to_str().unwrap(), "push", "-q", "origin", "main"]), b"");
    assert_eq!(out.code, 0, "and so does the push\n{out}");
    let log = w.ok(&["log", "work"], b"");
    assert!(log.contains(&format!("git 127.0.0.1:{}", server.port)), "each answer is a use: {log}");

    w.ok(&["revoke", "work", "--yes"], b"");
    let out = w.run_cmd(git_with_tokctl(&w, &["clone", "-q", &url, "after"]), b"");
    assert_ne!(out.code, 0, "a revoked token answers nothing\n{out}");
    assert!(out.stderr.contains("'work' answers for") && out.stderr.contains("revoked"), "and says why: {out}");
    assert!(!out.stderr.contains(secret), "{out}");
}

#[test]
fn the_longest_host_path_answers_usernames_follow_the_provider_and_only_https_is_answered() {
    let w = Env::env_key();
    let personal = "ghp_0123456789abcdefghijklmnopqrstuvwxyz";
    let work = "glpat-abcdefghijklmnopqrst";
    w.import("personal", personal, &["--host", "github.com"]);
    w.import("work", work, &["--host", "github.com/my-company"]);
    let dir = w.path("");
    let ask = |path: Option<&str>| {
        let mut input = String::from("protocol=https\nhost=github.com\n");
        if let Some(p) = path {
            input.push_str(&format!("path={p}\n"));
        }
        fill(&w, &dir, &format!("{input}\n"))
    };
    let out = ask(Some("my-company/app.git"));
    assert_eq!((field(&out.stdout, "username"), field(&out.stdout, "password")), (Some("oauth2"), Some(work)), "{out}");
    let out = ask(Some("someone/else.git"));
    assert_eq!(
        (field(&out.stdout, "username"), field(&out.stdout, "password")),
        (Some("x-access-token"), Some(personal))
    );
    let out = ask(None);
    assert_eq!(field(&out.stdout, "password"), Some(personal), "without a path only a host-only token answers");
    // http to anything but this machine, another host, another port: tokctl says nothing.
    for input in [
        "protocol=http\nhost=github.com\n\n",
        "protocol=https\nhost=gitlab.com\n\n",
        "protocol=https\nhost=github.com:8443\n\n",
    ] {
        let out = fill(&w, &dir, input);
        assert_eq!(field(&out.stdout, "password"), None, "{input:?}\n{out}");
    }
    // A second token for the same host is a conflict.
    let out = w.fails(&["update", "work", "--host", "GitHub.com"], b"", 7);
    assert!(out.stderr.contains("'personal' already answers for --host github.com"), "{out}");
    for bad in ["https://github.com", "github.com:0", "github.com//x", "git hub.com"] {
        let out = w.fails(&["update", "work", "--host", bad], b"", 2);
        assert!(out.stderr.contains("--host"), "{bad}: {out}");
    }
}

#[test]
fn approve_stores_nothing_reject_is_logged_and_shown_by_doctor() {
    let w = Env::env_key();
    w.import("gh", "ghp_0123456789abcdefghijklmnopqrstuvwxyz", &["--host", "github.com"]);
    let dir = w.path("");
    let before = w.snapshot();
    let input = "protocol=https\nhost=github.com\nusername=x\npassword=other-secret-from-a-prompt\n\n";
    let mut c = git_with_tokctl(&w, &["credential", "approve"]);
    c.current_dir(&dir);
    let out = w.run_cmd(c, input.as_bytes());
    assert_eq!(out.code, 0, "{out}");
    assert_unchanged(&before, &w.snapshot(), &out);
    let mut c = git_with_tokctl(&w, &["credential", "reject"]);
    c.current_dir(&dir);
    let out = w.run_cmd(c, input.as_bytes());
    assert_eq!(out.code, 0, "{out}");
    assert!(w.ok(&["list"], b"").contains("gh"), "reject never deletes");
    let log = w.ok(&["log", "gh"], b"");
    assert!(log.contains("rejected"), "{log}");
    let out = w.run(&["doctor"], b"");
    assert_eq!(out.code, 4, "{out}");
    assert!(out.stdout.contains("'gh' was rejected (git github.com"), "{out}");
}

#[test]
fn a_trusted_project_files_git_table_wins_inside_its_tree_and_an_untrusted_one_is_ignored() {
    let w = Env::env_key();
    w.import("personal", "ghp_0123456789abcdefghijklmnopqrstuvwxyz", &["--host", "github.com"]);
    w.import("client", "client-token-for-the-project-0001", &[]);
    let project: PathBuf = w.path("client-work");
    std::fs::create_dir_all(project.join("sub")).unwrap();
    std::fs::write(project.join(".tokctl.toml"), "[git]\n\"github.com\" = \"client\"\n").unwrap();
    let input = "protocol=https\nhost=github.com\npath=client/app.git\n\n";

    let out = fill(&w, &project.join("sub"), input);
    assert_eq!(field(&out.stdout, "password"), Some("ghp_0123456789abcdefghijklmnopqrstuvwxyz"), "{out}");
    assert!(out.stderr.contains("ignoring") && out.stderr.contains("not trusted"), "says it ignored the file: {out}");

    let mut trust = w.std_cmd(&["trust"]);
    trust.current_dir(&project);
    assert_eq!(w.run_cmd(trust, b"").code, 0);
    let out = fill(&w, &project.join("sub"), input);
    assert_eq!(field(&out.stdout, "password"), Some("client-token-for-the-project-0001"), "{out}");
    assert_eq!(field(&out.stdout, "username"), Some("tokctl"));
    // Outside the tree the table says nothing.
    let out = fill(&w, &w.path(""), input);
    assert_eq!(field(&out.stdout, "password"), Some("ghp_0123456789abcdefghijklmnopqrstuvwxyz"));
}
