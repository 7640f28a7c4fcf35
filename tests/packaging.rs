//! What a `cargo install` user gets without a checkout: `tokctl completion SHELL` prints the
//! scripts in `completions/`, `tokctl man --out DIR` writes the pages in `man/`, safely.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::support::Env;

fn repo(rel: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

#[test]
fn completion_prints_the_committed_scripts() {
    let env = Env::bare();
    for (shell, file) in [
        ("bash", "tokctl.bash"),
        ("zsh", "_tokctl"),
        ("fish", "tokctl.fish"),
        ("powershell", "_tokctl.ps1"),
        ("elvish", "tokctl.elv"),
    ] {
        let out = env.run(&["completion", shell], b"");
        assert_eq!(out.code, 0, "{out}");
        assert_eq!(out.stdout_bytes, std::fs::read(repo("completions").join(file)).unwrap(), "{shell}");
    }
    env.fails(&["completion", "tcsh"], b"", 2);
    assert!(!env.vault.exists(), "no vault is made or needed");
    // A broken project file around does not stop it.
    env.write_file(".tokctl.toml", b"[env\n");
    assert_eq!(env.run(&["completion", "bash"], b"").code, 0);
}

#[test]
fn man_writes_the_committed_pages_0644_and_never_through_a_symlink() {
    let env = Env::bare();
    let dir = env.root.join("share/man/man1");
    // A link planted where a page goes, pointing at a file that must stay as it is.
    std::fs::create_dir_all(&dir).unwrap();
    let victim = env.write_file("victim", b"keep me");
    std::os::unix::fs::symlink(&victim, dir.join("tokctl.1")).unwrap();
    let out = env.run(&["man", "--out", dir.to_str().unwrap()], b"");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep me");
    let committed: Vec<_> = std::fs::read_dir(repo("man")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert!(committed.len() > 20);
    for name in &committed {
        let page = dir.join(name);
        let meta = std::fs::symlink_metadata(&page).unwrap();
        assert!(meta.file_type().is_file(), "{} is a regular file", page.display());
        assert_eq!(meta.permissions().mode() & 0o777, 0o644, "{}", page.display());
        assert_eq!(std::fs::read(&page).unwrap(), std::fs::read(repo("man").join(name)).unwrap());
    }
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), committed.len(), "no temp file left");
    // Without --out, tokctl(1) on stdout.
    let out = env.run(&["man"], b"");
    assert_eq!(out.stdout_bytes, std::fs::read(repo("man/tokctl.1")).unwrap());
    assert!(!env.vault.exists());
}

/// The README's install lines, run as written by `sh` in a fresh home, work; and `man tokctl`
/// then finds the page the way the README says when `~/.local/bin` is not on PATH.
#[test]
fn the_readmes_completion_and_man_lines_work_on_a_fresh_home() {
    let env = Env::bare();
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let block = readme
        .split("```sh\n")
        .map(|b| b.split("```").next().unwrap())
        .find(|b| b.contains("tokctl completion bash >"))
        .expect("the README's completion block");
    let bin_dir = Path::new(crate::support::BIN).parent().unwrap();
    let path = format!("{}:/usr/bin:/bin", bin_dir.display());
    let mut c = env.std_cmd_of("sh", &["-euc", block]);
    c.env("PATH", &path);
    let out = crate::support::run_std(c, b"");
    assert_eq!(out.code, 0, "{out}");
    for f in [".local/share/bash-completion/completions/tokctl", ".zfunc/_tokctl", ".local/share/man/man1/tokctl.1"] {
        assert!(env.home.join(f).is_file(), "{f}\n{out}");
    }
    // man-db, when it is here: not found through PATH alone, found with the README's MANPATH.
    let man = |extra: &[(&str, String)]| {
        let mut c = env.std_cmd_of("man", &["-w", "tokctl"]);
        c.env("PATH", &path).env_remove("MANPATH");
        for (k, v) in extra {
            c.env(k, v);
        }
        crate::support::run_std(c, b"")
    };
    if man(&[]).code == 127 || !Path::new("/usr/bin/manpath").exists() {
        crate::support::cannot_run("no man-db here (apt-get install man-db)");
        return;
    }
    let page = env.home.join(".local/share/man/man1/tokctl.1");
    assert!(readme.contains("export MANPATH=\"$HOME/.local/share/man:\""), "the README says what works");
    let found = man(&[("MANPATH", format!("{}/.local/share/man:", env.home.display()))]);
    assert_eq!((found.code, found.stdout.trim()), (0, page.to_str().unwrap()), "{found}");
    let direct = crate::support::run_std(env.std_cmd_of("man", &["-l", "-w", page.to_str().unwrap()]), b"");
    assert_eq!(direct.code, 0, "{direct}");
}
