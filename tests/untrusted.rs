//! Untrusted bytes (SPEC "Untrusted bytes", issue 9): what a token's value, a note, a program
//! name, a path or a vault header holds never acts on the user's terminal, shell or CPU.
//! Each test reproduces an attack that worked on an earlier build.

use crate::util::*;

// ---------------------------------------------------------------------------------------------
// The completion hook (item 9)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_generic_complete_variable_changes_nothing() {
    let env = Env::env_key();
    let secret = env.create("svc", &[]);
    for value in ["bash", "1", "zsh"] {
        let mut c = env.std_cmd(&["get", "svc"]);
        c.env("COMPLETE", value);
        let out = run_std(c, b"");
        assert_eq!((out.code, out.stdout.as_str()), (0, format!("{secret}\n").as_str()), "COMPLETE={value}\n{out}");

        let mut c = env.std_cmd(&["exec", "-t", "svc", "--", "sh", "-c", "printf 'ran with %s' \"$SVC_TOKEN\""]);
        c.env("COMPLETE", value);
        let out = run_std(c, b"");
        assert_eq!((out.code, out.stdout.as_str()), (0, format!("ran with {secret}").as_str()), "{out}");
    }
    // Our own variable is the hook.
    let mut c = env.std_cmd(&["get", "svc"]);
    c.env("TOKCTL_COMPLETE", "bash");
    let out = run_std(c, b"");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("TOKCTL_COMPLETE") && !out.stdout.contains(&secret), "{out}");
}
