//! On a terminal (a pseudo-terminal from `script`), tokctl asks before destroying anything and
//! reads secrets without echo.

use crate::util::*;

/// Run tokctl on a pseudo-terminal, typing `typed` after a moment (so the prompt is up first).
fn on_a_terminal(env: &Env, args: &str, typed: &str) -> Out {
    let line = format!("exec {BIN} {args}");
    let script = format!("(sleep 1; printf '%s' '{typed}') | script -qec '{line}' /dev/null");
    run_std(env.std_cmd_of("sh", &["-c", &script]), b"")
}

#[test]
fn revoking_on_a_terminal_asks_first_and_no_means_no() {
    let env = Env::env_key();
    let secret = env.create("prod", &[]);
    let out = on_a_terminal(&env, "revoke prod", "n\n");
    assert!(out.stdout.contains("[y/N]"), "a question on the terminal: {out}");
    assert_eq!(out.code, 1, "declining is not success: {out}");
    assert_eq!(env.get("prod"), secret, "nothing was revoked");
    let out = on_a_terminal(&env, "revoke prod", "y\n");
    assert_eq!(out.code, 0, "{out}");
    env.fails(&["get", "prod"], b"", 4);

    env.create("old", &[]);
    let out = on_a_terminal(&env, "delete old", "\n");
    assert_eq!(out.code, 1, "the default answer is no: {out}");
    assert!(env.names().contains(&"old".to_string()));
    let out = on_a_terminal(&env, "delete old --yes", "");
    assert_eq!(out.code, 0, "--yes does not ask: {out}");
    assert!(!out.stdout.contains("[y/N]"), "{out}");
    assert!(!env.names().contains(&"old".to_string()));
}

#[test]
fn a_secret_typed_at_the_prompt_is_not_echoed() {
    let env = Env::env_key();
    let out = on_a_terminal(&env, "import typed", "typed-secret-value-123\n");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("Secret for 'typed'"), "a prompt: {out}");
    assert!(!out.stdout.contains("typed-secret-value-123"), "the secret is not echoed: {out}");
    assert_eq!(env.get("typed"), "typed-secret-value-123");
}
