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

// ---------------------------------------------------------------------------------------------
// Argon2 parameters in a header (item 10)
// ---------------------------------------------------------------------------------------------

#[test]
fn argon2_parameters_beyond_the_limits_are_damaged_before_any_derivation() {
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "correct horse battery staple");
    env.create("svc", &[]);
    let good = String::from_utf8(env.vault_bytes()).unwrap();
    assert!(good.contains("\nm_kib = 65536\nt = 3\np = 4\n"), "a passphrase vault:\n{good}");
    // Each run gets at most 512 MiB of address space: a 1 GiB Argon2 could not even allocate.
    let limited = |args: &[&str]| {
        let mut c = env.std_cmd_of("prlimit", &[format!("--as={}", 512 << 20), "--".into(), BIN.into()]);
        c.args(args);
        run_std(c, b"")
    };
    assert_eq!(limited(&["list"]).code, 0, "the untouched vault opens under the limit");
    let cases = [
        ("t = 3", "t = 11", "t"),
        ("p = 4", "p = 17", "p"),
        ("m_kib = 65536", "m_kib = 1048577", "m_kib"),
        ("m_kib = 65536", "m_kib = 4194304", "m_kib"),
        ("t = 3", "t = 0", "t"),
        ("p = 4", "p = 0", "p"),
        ("m_kib = 65536", "m_kib = 7", "m_kib"),
        ("m_kib = 65536", "m_kib = 31", "m_kib"),
    ];
    for (from, to, field) in cases {
        let bad = good.replacen(&format!("\n{from}\n"), &format!("\n{to}\n"), 1);
        assert_ne!(bad, good);
        std::fs::write(&env.vault, &bad).unwrap();
        for args in [&["list"][..], &["doctor"][..]] {
            let out = limited(args);
            assert_eq!(out.code, 6, "{to}: {out}");
            let said = format!("{}{}", out.stdout, out.stderr);
            assert!(said.contains(field) && said.contains("damaged"), "{to}: the message names the parameter\n{out}");
        }
    }
    std::fs::write(&env.vault, &good).unwrap();
    assert_eq!(limited(&["list"]).code, 0);
}

// ---------------------------------------------------------------------------------------------
// Masking stays linear (item 11)
// ---------------------------------------------------------------------------------------------

#[test]
fn masking_an_adversarial_secret_over_megabytes_of_output_is_linear() {
    let env = Env::env_key();
    // 64 KiB: 65,535 `a` and a `b`. Every `a` of the output could start it.
    let secret = format!("{}b", "a".repeat(65_535));
    env.import("adv", &secret, &[]);
    let script = "head -c 2000000 /dev/zero | tr '\\0' a; printf %s \"$ADV_TOKEN\"; printf 'x%sy' \"$ADV_TOKEN\"";
    // A budget of CPU seconds, not a clock: linear masking needs a fraction of one second here;
    // the masker that rescanned what it held back burnt 34 s and is killed.
    let mut c = env.std_cmd_of("prlimit", &["--cpu=20", "--", BIN]);
    c.args(["exec", "-t", "adv", "--mask", "--", "sh", "-c", script]);
    let out = run_std(c, b"");
    assert_eq!(out.code, 0, "exit {} after {:?}: {}", out.code, out.elapsed, out.stderr);
    let want = format!("{}***x***y", "a".repeat(2_000_000));
    assert!(
        out.stdout_bytes == want.as_bytes(),
        "masked output differs ({} bytes, want {})",
        out.stdout_bytes.len(),
        want.len()
    );
}
