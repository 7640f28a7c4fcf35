//! On a terminal (a real pseudo-terminal, `Env::on_pty`), tokctl asks before destroying anything
//! and reads secrets without echo. Each answer is typed once the question is on the screen.

use std::time::Duration;

use crate::support::*;

const WITHIN: Duration = Duration::from_secs(20);

/// Run tokctl on a terminal, answer `answer` once `[y/N]` is asked, and wait for the end.
fn answering(env: &Env, args: &[&str], answer: &str) -> Out {
    let mut pty = env.on_pty(args);
    pty.expect("[y/N]", WITHIN);
    pty.send(answer);
    pty.finish(WITHIN)
}

#[test]
fn revoking_on_a_terminal_asks_first_and_no_means_no() {
    let env = Env::env_key();
    let secret = env.create("prod", &[]);
    let out = answering(&env, &["revoke", "prod"], "n\n");
    assert_eq!(out.code, 1, "declining is not success: {out}");
    assert_eq!(env.get("prod"), secret, "nothing was revoked");
    let out = answering(&env, &["revoke", "prod"], "y\n");
    assert_eq!(out.code, 0, "{out}");
    env.fails(&["get", "prod"], b"", 4);

    env.create("old", &[]);
    let out = answering(&env, &["delete", "old"], "\n");
    assert_eq!(out.code, 1, "the default answer is no: {out}");
    assert!(env.names().contains(&"old".to_string()));
    let out = env.on_pty(&["delete", "old", "--yes"]).finish(WITHIN);
    assert_eq!(out.code, 0, "--yes does not ask: {out}");
    assert!(!out.stdout.contains("[y/N]"), "{out}");
    assert!(!env.names().contains(&"old".to_string()));
}

#[test]
fn a_secret_typed_at_the_prompt_is_not_echoed() {
    let env = Env::env_key();
    env.remember("typed-secret-value-123");
    let mut pty = env.on_pty(&["import", "typed"]);
    pty.expect("Secret for 'typed'", WITHIN);
    pty.wait_echo_off(WITHIN);
    pty.send("typed-secret-value-123\n");
    let out = pty.finish(WITHIN);
    assert_eq!(out.code, 0, "{out}");
    assert!(!out.stdout.contains("typed-secret-value-123"), "the secret is not echoed: {out}");
    assert_eq!(env.get("typed"), "typed-secret-value-123");
}
