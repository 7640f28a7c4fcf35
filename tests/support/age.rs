//! The reference age tools (`age`, `age-keygen`, apt package `age`) and `ssh-keygen` (apt
//! `openssh-client`), for the recipient-bundle tests: identities made the way a user makes them,
//! and the reference `age -d` reading what tokctl writes. Without them the tests skip with a
//! message, except in CI, where a missing tool is a failure (`cannot_run`).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::{Out, run_std};

/// Whether `tool` is on PATH; says so (and fails in CI) when it is not.
pub fn have(tool: &str, package: &str) -> bool {
    let found = std::env::var_os("PATH").iter().flat_map(std::env::split_paths).any(|d| d.join(tool).is_file());
    if !found {
        super::cannot_run(&format!("no `{tool}` (.ci/test installs the apt package {package})"));
    }
    found
}

/// Whether every tool these tests use is here.
pub fn tools() -> bool {
    [have("age", "age"), have("age-keygen", "age"), have("ssh-keygen", "openssh-client")].iter().all(|x| *x)
}

/// A new age identity file at `path`; its recipient (`age1…`) and its secret line.
pub fn keygen(path: &Path) -> (String, String) {
    let out = run_std(command("age-keygen", &["-o", path.to_str().unwrap()]), b"");
    assert_eq!(out.code, 0, "{out}");
    let text = std::fs::read_to_string(path).unwrap();
    let secret = text.lines().find(|l| l.starts_with("AGE-SECRET-KEY-1")).expect("an identity line").to_string();
    let out = run_std(command("age-keygen", &["-y", path.to_str().unwrap()]), b"");
    assert_eq!(out.code, 0, "{out}");
    (out.stdout.trim().to_string(), secret)
}

/// A new SSH key pair of `kind` (`ed25519`, `rsa`) at `path`, with `passphrase` (empty: none);
/// its public key line.
pub fn ssh_keygen(path: &Path, kind: &str, passphrase: &str) -> String {
    let mut args = vec!["-q", "-t", kind, "-N", passphrase, "-C", "member@example", "-f", path.to_str().unwrap()];
    if kind == "rsa" {
        args.extend(["-b", "2048"]);
    }
    let out = run_std(command("ssh-keygen", &args), b"");
    assert_eq!(out.code, 0, "{out}");
    std::fs::read_to_string(sibling_pub(path)).unwrap().trim().to_string()
}

fn sibling_pub(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.pub", path.display()))
}

/// The reference `age -d -i IDENTITY FILE`.
pub fn decrypt(identity: &Path, file: &Path) -> Out {
    run_std(command("age", &["-d", "-i", identity.to_str().unwrap(), file.to_str().unwrap()]), b"")
}

fn command(program: &str, args: &[&str]) -> Command {
    let mut c = Command::new(program);
    c.args(args);
    c
}
