//! Trust boundaries: what tokctl reads from outside (project files, variable names, paths beside
//! the vault) gets nothing it was not given.

use crate::util::*;

fn set_mode(p: &std::path::Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

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
        if !rustix::process::geteuid().is_root() {
            eprintln!("skipped: needs root to create a second user");
            return None;
        }
        let name = format!("tokctl-x{}", std::process::id() % 100_000);
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

fn listing(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
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
