//! Trust boundaries: what tokctl reads from outside (project files, variable names, paths beside
//! the vault) gets nothing it was not given.

use crate::util::*;

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
