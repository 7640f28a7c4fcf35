//! Trust boundaries: what tokctl reads from outside (project files, variable names, paths beside
//! the vault) gets nothing it was not given.

use crate::support::*;

#[test]
fn a_token_is_never_injected_under_a_variable_that_programs_obey() {
    let env = Env::env_key();
    let secret = env.create("gh", &[]);
    for var in [
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "PATH",
        "BASH_ENV",
        "NODE_OPTIONS",
        "DYLD_INSERT_LIBRARIES",
        "TOKCTL_VAULT_KEY",
        "GIT_SSH_COMMAND",
    ] {
        let t = format!("gh={var}");
        let out = env.fails(&["exec", "-t", &t, "--", "sh", "-c", "echo ran"], b"", 2);
        assert!(out.stderr.contains(var), "names the variable: {out}");
        assert!(!out.stdout.contains("ran"), "the command did not run: {out}");
        assert!(!out.stderr.contains(&secret) && !out.stdout.contains(&secret), "{out}");
        env.fails(&["env", "-t", &t], b"", 2);
        env.fails(&["update", "gh", "--env", var], b"", 2);
        env.fails(&["create", "other", "--env", var], b"", 2);
    }
    // A project file asking for one is refused before anything runs.
    std::fs::write(env.root.join(".tokctl.toml"), "[env]\nLD_PRELOAD = \"gh\"\n").unwrap();
    let out = env.fails(&["exec", "--", "sh", "-c", "echo ran"], b"", 2);
    assert!(out.stderr.contains("LD_PRELOAD") && !out.stdout.contains("ran"), "{out}");
    // An ordinary name still works.
    env.ok(&["exec", "-t", "gh=MY_TOKEN", "--", "sh", "-c", "test -n \"$MY_TOKEN\""], b"");
}

/// A throw-away unprivileged user for attacks, removed when dropped. `None` (with a note) when
/// the tests do not run as root.
struct OtherUser {
    name: String,
}

impl OtherUser {
    fn create() -> Option<OtherUser> {
        if !require_root() {
            return None;
        }
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let name = format!("tokctl-x{}-{n}", std::process::id() % 100_000);
        let ok = std::process::Command::new("useradd").args(["-M", "-s", "/bin/sh", &name]).status();
        assert!(ok.is_ok_and(|s| s.success()), "useradd {name}");
        Some(OtherUser { name })
    }

    /// Run `sh -c script` as this user.
    fn sh(&self, script: &str) -> std::process::Output {
        std::process::Command::new("setpriv")
            .args(["--reuid", &self.name, "--regid", &self.name, "--init-groups", "sh", "-c", script])
            .output()
            .expect("setpriv (util-linux)")
    }
}

impl Drop for OtherUser {
    fn drop(&mut self) {
        let _ = std::process::Command::new("userdel").arg(&self.name).status();
    }
}

#[test]
fn a_planted_symlink_for_the_log_or_the_lock_is_never_written_through() {
    let Some(mallory) = OtherUser::create() else { return };
    let env = Env::env_key();
    let secret = env.create("gh", &[]);
    let dir = env.vault.parent().unwrap().to_path_buf();
    // A team directory everyone may write (as a group directory would be).
    set_mode(&dir, 0o777);
    let victim = env.home.join(".bashrc");
    std::fs::write(&victim, "# the victim's own file\n").unwrap();
    set_mode(&env.home, 0o755);
    set_mode(&victim, 0o644);
    for beside in ["vault.toml.log", "vault.toml.log.lock"] {
        let planted = dir.join(beside);
        let _ = std::fs::remove_file(&planted);
        let out = mallory.sh(&format!("ln -s '{}' '{}'", victim.display(), planted.display()));
        assert!(out.status.success(), "mallory plants {beside}: {out:?}");
        assert_eq!(env.get("gh"), secret, "using the vault still works");
        env.ok(&["update", "gh", "--note", "after the plant"], b"");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "# the victim's own file\n", "{beside} was followed");
        std::fs::remove_file(&planted).unwrap();
    }
    let planted = dir.join("vault.toml.lock");
    std::fs::remove_file(&planted).unwrap();
    assert!(mallory.sh(&format!("ln -s '{}' '{}'", victim.display(), planted.display())).status.success());
    let out = env.fails(&["update", "gh", "--note", "x"], b"", 1);
    assert!(out.stderr.contains("symlink"), "says why: {out}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "# the victim's own file\n");
}

#[test]
fn a_vault_that_is_no_regular_file_is_refused_at_once_and_nothing_is_made_beside_it() {
    let env = Env::env_key();
    let fifo = env.root.join("fifo.toml");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let dir_vault = env.root.join("dir.toml");
    std::fs::create_dir(&dir_vault).unwrap();
    for (path, args) in [
        ("/dev/zero", &["get", "x"][..]),
        ("/dev/null", &["create", "x"][..]),
        (fifo.to_str().unwrap(), &["list"][..]),
        (fifo.to_str().unwrap(), &["create", "x"][..]),
        (dir_vault.to_str().unwrap(), &["create", "x"][..]),
    ] {
        let mut all = vec!["--vault", path];
        all.extend_from_slice(args);
        let out = env.fails(&all, b"", 2);
        assert!(out.elapsed < std::time::Duration::from_secs(5), "refused at once, not read: {out}");
    }
    assert!(!std::path::Path::new("/dev/null.lock").exists() && !std::path::Path::new("/dev/zero.lock").exists());
    assert_eq!(listing(&env.root), ["dir.toml", "fifo.toml", "home"], "nothing beside them");
    // A file far too large to be a vault is refused before it is read.
    let big = env.root.join("big.toml");
    std::fs::File::create(&big).unwrap().set_len(65 * 1024 * 1024).unwrap();
    env.fails(&["--vault", big.to_str().unwrap(), "list"], b"", 6);
    // A project file pointing at a device is refused the same way.
    std::fs::write(env.root.join(".tokctl.toml"), "vault = \"/dev/zero\"\n[env]\nX_TOKEN = \"x\"\n").unwrap();
    let mut c = env.std_cmd(&["exec", "--", "true"]);
    c.env_remove("TOKCTL_VAULT");
    let out = run_std(c, b"");
    assert_ne!(out.code, 0, "{out}");
    assert!(out.elapsed < std::time::Duration::from_secs(5), "{out}");
}

#[test]
fn a_symlinked_vault_is_written_through_to_its_target_and_locked_there() {
    let mut env = Env::env_key();
    let synced = env.root.join("synced");
    std::fs::create_dir(&synced).unwrap();
    let target = synced.join("vault.toml");
    let link = env.root.join("link.toml");
    env.set("TOKCTL_VAULT", target.to_str().unwrap());
    env.create("leaky", &[]);
    std::os::unix::fs::symlink(&target, &link).unwrap();
    env.set("TOKCTL_VAULT", link.to_str().unwrap());
    env.ok(&["revoke", "leaky", "--yes"], b"");
    env.create("after", &[]);
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link is still a link");
    env.set("TOKCTL_VAULT", target.to_str().unwrap());
    env.fails(&["get", "leaky"], b"", 4);
    env.get("after");
    let beside_link = listing(&env.root);
    assert!(
        !beside_link.iter().any(|n| n.starts_with("link.toml.")),
        "no lock or log beside the link: {beside_link:?}"
    );
    assert!(listing(&synced).contains(&"vault.toml.lock".to_string()), "the lock is taken on the target");
}

#[test]
fn a_bundle_leaves_nothing_beside_it() {
    let env = Env::env_key();
    env.create("gh", &[]);
    let dir = env.root.join("ci");
    std::fs::create_dir(&dir).unwrap();
    env.ok(&["bundle", "-t", "gh", "--out", dir.join("ci.vault").to_str().unwrap()], b"");
    assert_eq!(listing(&dir), ["ci.vault"]);
}

/// A repository directory with a project file in it.
fn repo(env: &Env, name: &str, file: &str) -> std::path::PathBuf {
    let dir = env.root.join(name);
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::fs::write(dir.join(".tokctl.toml"), file).unwrap();
    dir
}

fn in_dir(env: &Env, dir: &std::path::Path, args: &[&str]) -> Out {
    let mut c = env.std_cmd(args);
    c.current_dir(dir);
    run_std(c, b"")
}

#[test]
fn a_cloned_repository_gets_no_personal_token_until_its_file_is_trusted() {
    let env = Env::env_key();
    let gh = env.create("gh", &[]);
    let bws = env.create("bws", &[]);
    let dir = repo(&env, "cloned", "[env]\nX_A = \"gh\"\nX_B = \"bws\"\n");
    let out = in_dir(&env, &dir.join("sub"), &["exec", "--", "sh", "-c", "env; touch ran"]);
    assert_eq!(out.code, 8, "{out}");
    assert!(!dir.join("sub/ran").exists(), "the command did not run");
    assert!(!out.stdout.contains(&gh) && !out.stdout.contains(&bws) && !out.stderr.contains(&gh));
    for says in ["not trusted", "X_A = token 'gh'", "X_B = token 'bws'", "tokctl trust"] {
        assert!(out.stderr.contains(says), "the refusal shows {says:?}: {out}");
    }
    assert_eq!(in_dir(&env, &dir, &["env"]).code, 8);
    // -t needs no trust: the user typed it.
    let out = in_dir(&env, &dir, &["exec", "-t", "gh", "--", "true"]);
    assert_eq!(out.code, 0, "{out}");

    // Trusted, it works; changed, it is refused again until trusted again.
    let out = in_dir(&env, &dir.join("sub"), &["trust"]);
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("X_A = token 'gh'"), "trust shows what it asks for: {out}");
    let out = in_dir(&env, &dir, &["exec", "--", "sh", "-c", "printf %s \"$X_A\""]);
    assert_eq!((out.code, out.stdout.as_str()), (0, gh.as_str()), "{out}");
    std::fs::write(dir.join(".tokctl.toml"), "[env]\nX_A = \"gh\"\nX_B = \"bws\"\nX_C = \"gh\"\n").unwrap();
    let out = in_dir(&env, &dir, &["exec", "--", "true"]);
    assert_eq!(out.code, 8, "{out}");
    assert!(out.stderr.contains("changed since you trusted it"), "{out}");
    in_dir(&env, &dir, &["trust"]);
    let list = env.ok(&["trust", "--list"], b"");
    assert!(
        list.contains(&format!("{}  trusted", std::fs::canonicalize(dir.join(".tokctl.toml")).unwrap().display())),
        "{list}"
    );
    assert_eq!(in_dir(&env, &dir, &["exec", "--", "true"]).code, 0);
    assert_eq!(in_dir(&env, &dir, &["trust", "--revoke"]).code, 0);
    assert_eq!(in_dir(&env, &dir, &["exec", "--", "true"]).code, 8);

    // Writable by others: refused even when trusted, and trust refuses it.
    in_dir(&env, &dir, &["trust"]);
    set_mode(&dir.join(".tokctl.toml"), 0o666);
    let out = in_dir(&env, &dir, &["exec", "--", "true"]);
    assert_eq!(out.code, 8, "{out}");
    assert!(out.stderr.contains("writable by others"), "{out}");
    assert_eq!(in_dir(&env, &dir, &["trust"]).code, 8);
}

#[test]
fn a_project_file_planted_by_another_user_above_the_victim_is_never_used() {
    let Some(mallory) = OtherUser::create() else { return };
    let env = Env::env_key();
    let gh = env.create("gh", &[]);
    // A shared directory both can write, like /tmp.
    let shared = env.root.join("shared");
    std::fs::create_dir(&shared).unwrap();
    set_mode(&shared, 0o1777);
    set_mode(&env.root, 0o755);
    let out = mallory.sh(&format!(
        "printf '[env]\\nGH_TOKEN = \"gh\"\\n' > '{0}/.tokctl.toml' && chmod 644 '{0}/.tokctl.toml'",
        shared.display()
    ));
    assert!(out.status.success(), "{out:?}");
    let victim_dir = shared.join("victim");
    std::fs::create_dir(&victim_dir).unwrap();
    let out = in_dir(&env, &victim_dir, &["exec", "--", "sh", "-c", "printf %s \"$GH_TOKEN\""]);
    assert_eq!(out.code, 8, "{out}");
    assert!(out.stderr.contains("owned by another user"), "{out}");
    assert!(!out.stdout.contains(&gh));
    assert_eq!(in_dir(&env, &victim_dir, &["trust"]).code, 8, "trust refuses it too");
}

#[test]
fn only_a_bundle_inside_the_tree_opened_by_the_env_key_alone_is_exempt() {
    let env = Env::env_key();
    env.create("expo", &[]);
    let dir = env.root.join("ci-repo");
    std::fs::create_dir_all(dir.join(".tokctl")).unwrap();
    let key = env.ok(&["bundle", "-t", "expo", "--out", dir.join(".tokctl/ci.vault").to_str().unwrap()], b"");
    let key = key.trim();
    std::fs::write(dir.join(".tokctl.toml"), "vault = \".tokctl/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n").unwrap();
    let ci = |extra: &[(&str, &str)], file: &str| {
        std::fs::write(dir.join(".tokctl.toml"), file).unwrap();
        let mut c = env.std_cmd(&["exec", "--", "sh", "-c", "test -n \"$EXPO_TOKEN\""]);
        c.current_dir(&dir).env_remove("TOKCTL_VAULT").env("TOKCTL_VAULT_KEY", key);
        for (k, v) in extra {
            c.env(k, v);
        }
        run_std(c, b"")
    };
    let inside = "vault = \".tokctl/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n";
    assert_eq!(ci(&[], inside).code, 0, "the CI case needs no trust");
    // Out of the tree (the personal vault, through ..): needs trust.
    let outside = format!("vault = \"{}\"\n[env]\nEXPO_TOKEN = \"expo\"\n", env.vault.display());
    assert_eq!(ci(&[], &outside).code, 8);
    let up = "vault = \"../vault/vault.toml\"\n[env]\nEXPO_TOKEN = \"expo\"\n";
    assert_eq!(ci(&[], up).code, 8);
    // Inside the tree by name, outside once the symlink is resolved: needs trust.
    std::os::unix::fs::symlink(&env.vault, dir.join(".tokctl/link.vault")).unwrap();
    assert_eq!(ci(&[], "vault = \".tokctl/link.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n").code, 8);
    // Without the env key the keyring or a passphrase would open it: needs trust.
    std::fs::write(dir.join(".tokctl.toml"), inside).unwrap();
    let mut c = env.std_cmd(&["exec", "--", "true"]);
    c.current_dir(&dir).env_remove("TOKCTL_VAULT").env_remove("TOKCTL_VAULT_KEY");
    assert_eq!(run_std(c, b"").code, 8);
}

// ---------------------------------------------------------------------------------------------
// Paths that decide trust (issue 17, item 2)
// ---------------------------------------------------------------------------------------------

/// `args` run in `dir` with no `TOKCTL_VAULT`, so the project file's vault applies.
fn in_dir_project_vault(env: &Env, dir: &std::path::Path, args: &[&str]) -> Out {
    let mut c = env.std_cmd(args);
    c.current_dir(dir).env_remove("TOKCTL_VAULT");
    run_std(c, b"")
}

#[test]
fn a_symlinked_project_file_is_refused_by_every_command_trust_included() {
    let env = Env::env_key();
    let gh = env.create("gh", &[]);
    let mine = repo(&env, "myproj", "[env]\nGH_TOKEN = \"gh\"\n");
    assert_eq!(in_dir(&env, &mine, &["trust"]).code, 0);
    let list_before = env.ok(&["trust", "--list"], b"");
    // The clone ships a link to the trusted file: trust was keyed by the target's path.
    let clone = env.root.join("clone");
    std::fs::create_dir_all(clone.join("sub")).unwrap();
    std::os::unix::fs::symlink("../myproj/.tokctl.toml", clone.join(".tokctl.toml")).unwrap();
    let out = in_dir(&env, &clone.join("sub"), &["exec", "--", "sh", "-c", "printf %s \"$GH_TOKEN\"; touch ran"]);
    assert_eq!(out.code, 8, "{out}");
    assert!(!out.stdout.contains(&gh) && !clone.join("sub/ran").exists(), "the command did not run: {out}");
    assert!(out.stderr.contains("symlink"), "says why: {out}");
    assert!(out.stderr.contains("copy") || out.stderr.contains("replace"), "says what to do: {out}");
    assert_eq!(in_dir(&env, &clone, &["env"]).code, 8);
    // `trust` refuses it, nearest or named, and trusts nothing new.
    let out = in_dir(&env, &clone, &["trust"]);
    assert_eq!(out.code, 8, "{out}");
    let out = in_dir(&env, &env.root, &["trust", clone.join(".tokctl.toml").to_str().unwrap()]);
    assert_eq!(out.code, 8, "{out}");
    assert_eq!(env.ok(&["trust", "--list"], b""), list_before);
    // A link whose vault choice would apply to every command: each one refuses it.
    std::fs::write(mine.join(".tokctl.toml"), "vault = \"ci.vault\"\n[env]\nGH_TOKEN = \"gh\"\n").unwrap();
    assert_eq!(in_dir(&env, &mine, &["trust"]).code, 0);
    for args in [&["list"][..], &["get", "gh"], &["doctor"], &["create", "new"]] {
        let out = in_dir_project_vault(&env, &clone, args);
        assert_eq!(out.code, 8, "{args:?}: {out}");
    }
    // A link to a file in its own tree is refused too: trust belongs to the file, not the link.
    std::fs::write(clone.join("real.toml"), "[env]\nGH_TOKEN = \"gh\"\n").unwrap();
    std::fs::remove_file(clone.join(".tokctl.toml")).unwrap();
    std::os::unix::fs::symlink("real.toml", clone.join(".tokctl.toml")).unwrap();
    assert_eq!(in_dir(&env, &clone, &["exec", "--", "true"]).code, 8);
    // Forgetting a link by its path still works.
    assert_eq!(in_dir(&env, &clone, &["trust", "--revoke", ".tokctl.toml"]).code, 0);
}

#[test]
fn the_exemption_holds_only_for_a_file_in_the_tree_however_the_path_is_spelled() {
    let env = Env::env_key();
    env.create("expo", &[]);
    let dir = env.root.join("ci-repo");
    std::fs::create_dir_all(dir.join(".tokctl")).unwrap();
    let key = env.ok(&["bundle", "-t", "expo", "--out", dir.join(".tokctl/ci.vault").to_str().unwrap()], b"");
    let key = key.trim().to_string();
    // A bundle outside the tree, opened by the same key, that a path may lead to.
    let outside = env.root.join("elsewhere");
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::copy(dir.join(".tokctl/ci.vault"), outside.join("ci.vault")).unwrap();
    let run = |file: &str, ci: bool| {
        std::fs::write(dir.join(".tokctl.toml"), file).unwrap();
        let mut c = env.std_cmd(&["exec", "--", "sh", "-c", "test -n \"$EXPO_TOKEN\""]);
        c.current_dir(&dir).env_remove("TOKCTL_VAULT").env("TOKCTL_VAULT_KEY", &key);
        if ci {
            c.env("CI", "true");
        }
        run_std(c, b"")
    };
    assert_eq!(run("vault = \".tokctl/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n", false).code, 0);
    assert_eq!(run("[ci]\nvault = \".tokctl/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n", true).code, 0);
    // A directory symlink in the middle of the path, leading out of the tree.
    std::os::unix::fs::symlink(&outside, dir.join("mid")).unwrap();
    assert_eq!(run("vault = \"mid/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n", false).code, 8);
    assert_eq!(run("[ci]\nvault = \"mid/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n", true).code, 8);
    // `..` out of the tree and back in elsewhere.
    assert_eq!(run("[ci]\nvault = \".tokctl/../../elsewhere/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n", true).code, 8);
    // A hard link inside the tree to a file outside it: the same file, reached another way.
    std::fs::hard_link(outside.join("ci.vault"), dir.join(".tokctl/linked.vault")).unwrap();
    assert_eq!(run("vault = \".tokctl/linked.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n", false).code, 8);
    // A project file others may write is never used, exempt or not.
    std::fs::write(dir.join(".tokctl.toml"), "vault = \".tokctl/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n").unwrap();
    set_mode(&dir.join(".tokctl.toml"), 0o666);
    let mut c = env.std_cmd(&["exec", "--", "true"]);
    c.current_dir(&dir).env_remove("TOKCTL_VAULT").env("TOKCTL_VAULT_KEY", &key);
    let out = run_std(c, b"");
    assert_eq!(out.code, 8, "{out}");
    assert!(out.stderr.contains("writable by others"), "{out}");
}

#[test]
fn a_trust_list_that_is_a_symlink_or_open_to_others_is_refused() {
    let env = Env::env_key();
    let gh = env.create("gh", &[]);
    let mine = repo(&env, "myproj", "[env]\nGH_TOKEN = \"gh\"\n");
    assert_eq!(in_dir(&env, &mine, &["trust"]).code, 0);
    let list = env.home.join(".local/share/tokctl/trusted.json");
    assert!(list.is_file(), "the trust list is where the README says");
    // Someone else's list, linked in place of the user's: it trusts whatever they wrote.
    let theirs = env.root.join("theirs.json");
    std::fs::rename(&list, &theirs).unwrap();
    std::os::unix::fs::symlink(&theirs, &list).unwrap();
    let out = in_dir(&env, &mine, &["exec", "--", "sh", "-c", "printf %s \"$GH_TOKEN\""]);
    assert_eq!(out.code, 8, "{out}");
    assert!(!out.stdout.contains(&gh), "{out}");
    assert!(out.stderr.contains("trusted.json") && out.stderr.contains("symlink"), "{out}");
    // A list others may write is refused the same way.
    std::fs::remove_file(&list).unwrap();
    std::fs::rename(&theirs, &list).unwrap();
    assert_eq!(in_dir(&env, &mine, &["exec", "--", "true"]).code, 0);
    set_mode(&list, 0o666);
    let out = in_dir(&env, &mine, &["exec", "--", "true"]);
    assert_eq!(out.code, 8, "{out}");
    assert!(out.stderr.contains("writable by others"), "{out}");
    assert_eq!(in_dir(&env, &mine, &["trust"]).code, 8, "trust refuses to add to it");
}

#[test]
fn in_ci_a_committed_bundle_without_its_key_is_a_missing_key_not_an_untrusted_file() {
    let env = Env::env_key();
    env.import("expo", "expo-robot-token-0123456789", &[]);
    let dir = repo(&env, "app", "[ci]\nvault = \".tokctl/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n");
    let bundle = dir.join(".tokctl/ci.vault");
    env.ok(&["bundle", "-t", "expo", "--out", bundle.to_str().unwrap()], b"");
    let mut c = env.std_cmd(&["exec", "--", "true"]);
    c.current_dir(&dir).env_remove("TOKCTL_VAULT").env_remove("TOKCTL_VAULT_KEY").env("CI", "true");
    let out = run_std(c, b"");
    assert_eq!(out.code, 5, "{out}");
    assert!(out.stderr.contains("TOKCTL_VAULT_KEY is not set"), "{out}");
    assert!(!out.stderr.contains("tokctl trust"), "the file is not the problem\n{out}");
    // On a developer's machine (no CI) the same file still needs trust for its [env].
    let mut c = env.std_cmd(&["exec", "--", "true"]);
    c.current_dir(&dir).env_remove("TOKCTL_VAULT_KEY");
    assert_eq!(run_std(c, b"").code, 8);
}
