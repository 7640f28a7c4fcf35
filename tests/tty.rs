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

/// A vault that only a passphrase opens (no keyring, no env key), holding `deploy` (imported).
fn passphrase_vault() -> Env {
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "correct horse battery");
    env.import("deploy", "first-secret-value-0001", &[]);
    env.unset("TOKCTL_PASSPHRASE");
    env
}

/// Type the passphrase each time it is asked, then anything in `then`; count the prompts.
fn prompts(env: &Env, args: &[&str], then: &[(&str, &str)]) -> (usize, Out) {
    let mut pty = env.on_pty(args);
    pty.expect("Passphrase for", WITHIN);
    pty.wait_echo_off(WITHIN);
    pty.send("correct horse battery\n");
    for (wait, answer) in then {
        pty.expect(wait, WITHIN);
        if *wait != "[y/N]" {
            pty.wait_echo_off(WITHIN); // a hidden prompt
        }
        pty.send(answer);
    }
    let out = pty.finish(WITHIN);
    (out.stdout.matches("Passphrase for").count(), out)
}

#[test]
fn a_command_asks_for_the_passphrase_once() {
    let env = passphrase_vault();
    // A mistyped name: the records are read twice (the named one, then all for a suggestion).
    let (n, out) = prompts(&env, &["get", "deplyo"], &[]);
    assert_eq!((n, out.code), (1, 3), "{out}");
    assert!(out.stdout.contains("did you mean 'deploy'"), "{out}");
    // Regenerating an imported token: the passphrase, then the new secret, and nothing more.
    env.remember("second-secret-value-0002");
    let (n, out) =
        prompts(&env, &["regenerate", "deploy"], &[("New secret for 'deploy'", "second-secret-value-0002\n")]);
    assert_eq!((n, out.code), (1, 0), "{out}");
    // Revoking: the passphrase, then the confirmation.
    let (n, out) = prompts(&env, &["revoke", "deploy"], &[("[y/N]", "y\n")]);
    assert_eq!((n, out.code), (1, 0), "{out}");
    let mut env = env;
    env.set("TOKCTL_PASSPHRASE", "correct horse battery");
    env.fails(&["get", "deploy"], b"", 4);
}

#[test]
fn a_writer_waiting_at_a_prompt_blocks_no_other_writer() {
    let mut env = passphrase_vault();
    let mut waiting = env.on_pty(&["update", "deploy", "--note", "from the terminal"]);
    waiting.expect("Passphrase for", WITHIN);
    // Meanwhile a script writes, with the passphrase in the environment, and is not held up.
    env.set("TOKCTL_PASSPHRASE", "correct horse battery");
    let mut c = env.std_cmd(&["create", "cron-job"]);
    c.env("TOKCTL_PASSPHRASE", "correct horse battery");
    // `finish` fails the test if it is still running after 10 s (waiting for the lock).
    let out = env.spawn(c).finish(Duration::from_secs(10));
    assert_eq!(out.code, 0, "the second writer finished while the first waited at its prompt: {out}");
    waiting.wait_echo_off(WITHIN);
    waiting.send("correct horse battery\n");
    assert_eq!(waiting.finish(WITHIN).code, 0);
    assert_eq!(env.json(&["show", "deploy", "--json"])["note"], "from the terminal");
    assert!(env.names().contains(&"cron-job".to_string()));
}
