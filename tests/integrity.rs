//! The vault's state tells the truth: a tampered history log is seen (and a vault rolled back
//! to an older copy of itself is refused).

use crate::support::*;

fn log_lines(env: &Env) -> Vec<String> {
    std::fs::read_to_string(env.log_path()).unwrap().lines().filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn write_log(env: &Env, lines: &[String]) {
    std::fs::write(env.log_path(), format!("{}\n", lines.join("\n"))).unwrap();
}

/// `log --json`'s events whose chain is broken.
fn broken(env: &Env) -> usize {
    env.json(&["log", "--json"]).as_array().unwrap().iter().filter(|e| e["chain"] == "broken").count()
}

#[test]
fn a_deleted_replayed_or_reordered_log_event_is_reported_by_doctor_and_marked_by_log() {
    let env = Env::env_key();
    env.create("gh", &[]);
    env.get("gh");
    env.ok(&["update", "gh", "--note", "n"], b"");
    env.get("gh");
    let intact = log_lines(&env);
    assert_eq!(intact.len(), 5, "vault-created, created, used, updated, used");
    let out = env.run(&["doctor"], b"");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("chain intact"), "{out}");
    assert_eq!(broken(&env), 0);

    let tampered: [(&str, Vec<String>); 3] = [
        ("deleted", [&intact[..1], &intact[2..]].concat()),
        ("replayed", [&intact[..], &intact[1..2]].concat()),
        ("reordered", [&intact[..1], &intact[2..3], &intact[1..2], &intact[3..]].concat()),
    ];
    for (what, lines) in tampered {
        write_log(&env, &lines);
        let out = env.run(&["doctor"], b"");
        assert_eq!(out.code, 6, "doctor reports a {what} event\n{out}");
        assert!(out.stdout.contains("chain of events is broken"), "{what}: {out}");
        assert!(broken(&env) >= 1, "log marks the {what} event");
        let out = env.run(&["log"], b"");
        assert!(out.stdout.contains("✗ chain break"), "{what}: {out}");
        assert!(out.stderr.contains("break"), "{what}: {out}");
        // Using the vault still works: the log is history, not the vault.
        env.get("gh");
    }
    // Garbage is counted, not silently dropped; the chain around it holds.
    let mut with_garbage = intact.clone();
    with_garbage.insert(2, "AAAAbbbbCCCCddddEEEEffff0123".into());
    write_log(&env, &with_garbage);
    let out = env.run(&["doctor"], b"");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("1 unreadable line"), "{out}");
}

#[test]
fn appends_after_a_torn_line_keep_the_chain() {
    let env = Env::env_key();
    env.create("gh", &[]);
    let mut f = std::fs::OpenOptions::new().append(true).open(env.log_path()).unwrap();
    std::io::Write::write_all(&mut f, b"AAAAbbbbCCCC").unwrap();
    drop(f);
    env.get("gh");
    env.create("two", &[]);
    assert_eq!(broken(&env), 0);
    let out = env.run(&["doctor"], b"");
    assert_eq!(out.code, 0, "{out}");
}

/// A copy of the vault (and, with `log`, its log) to put back later.
fn keep_copy(env: &Env, log: bool) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut files = vec![env.vault.clone()];
    if log {
        files.push(env.log_path());
    }
    files.into_iter().map(|p| (p.clone(), std::fs::read(&p).unwrap())).collect()
}

fn put_back(copy: &[(std::path::PathBuf, Vec<u8>)]) {
    for (p, b) in copy {
        std::fs::write(p, b).unwrap();
    }
}

#[test]
fn a_vault_rolled_back_alone_is_refused_and_a_revoked_token_never_comes_back() {
    let env = Env::env_key();
    env.create("leaky", &[]);
    env.create("other", &[]);
    let old = keep_copy(&env, false);
    env.ok(&["revoke", "leaky", "--yes"], b"");
    put_back(&old);
    let before = env.snapshot();
    let out = env.fails(&["get", "leaky"], b"", 6);
    for says in ["older copy", "generation 2", "generation 3", "tokctl accept-rollback"] {
        assert!(out.stderr.contains(says), "the refusal says {says:?}: {out}");
    }
    env.fails(&["get", "other"], b"", 6);
    env.fails(&["list"], b"", 6);
    env.fails(&["create", "new"], b"", 6);
    let doc = env.run(&["doctor"], b"");
    assert_eq!(doc.code, 6, "{doc}");
    assert!(doc.stdout.contains("accept-rollback"), "doctor names the way out: {doc}");
    assert_unchanged(&before, &env.snapshot(), &"a refused rollback leaves every file as it was");

    // Keeping the old copy on purpose applies the revocation again.
    let out = env.run(&["accept-rollback"], b"");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("revoked again") && out.stderr.contains("leaky"), "{out}");
    env.fails(&["get", "leaky"], b"", 4);
    env.get("other");
    env.create("new", &[]);
    let out = env.run(&["accept-rollback"], b"");
    assert!(out.stderr.contains("nothing to accept"), "{out}");
}

#[test]
fn an_old_secret_of_a_regenerated_token_never_verifies_after_a_rollback() {
    let env = Env::env_key();
    let first = env.create("svc", &[]);
    let old = keep_copy(&env, false);
    let second = env.ok(&["regenerate", "svc"], b"");
    put_back(&old);
    env.fails(&["verify"], first.as_bytes(), 6);
    let out = env.run(&["accept-rollback"], b"");
    assert!(out.stderr.contains("svc") && out.stderr.contains("regenerated later"), "names what is lost: {out}");
    assert_ne!(second.trim(), first);
}

#[test]
fn a_keyring_vault_rolled_back_with_its_log_is_caught_by_the_keyring() {
    let env = Env::keyring();
    env.create("leaky", &[]);
    let old = keep_copy(&env, true);
    env.ok(&["revoke", "leaky", "--yes"], b"");
    put_back(&old);
    let out = env.fails(&["get", "leaky"], b"", 6);
    assert!(out.stderr.contains("the OS keyring"), "{out}");
}

#[test]
fn copies_of_a_vault_never_trip_each_other() {
    let mut env = Env::keyring();
    env.create("gh", &[]);
    let copy = env.root.join("vault").join("copy.toml");
    std::fs::copy(&env.vault, &copy).unwrap();
    std::fs::copy(env.log_path(), env.root.join("vault").join("copy.toml.log")).unwrap();
    for _ in 0..2 {
        env.ok(&["update", "gh", "--note", "original moves on"], b"");
    }
    env.set("TOKCTL_VAULT", copy.to_str().unwrap());
    env.get("gh");
    env.ok(&["update", "gh", "--note", "the copy moves on"], b"");
    env.unset("TOKCTL_VAULT");
    env.get("gh");
}

/// Every write logs its events with the generation it wrote, so a log whose newest write is
/// older than the vault lost its end: emptied, garbage, cut short, deleted, or an older copy.
/// `doctor` reports it (exit 6) and `log` marks it, whatever uses were appended since; a vault
/// whose log is whole, `init`'s included, is all well.
#[test]
fn a_log_short_of_the_vaults_generation_is_reported_by_doctor_and_marked_by_log() {
    let env = Env::env_key();
    env.ok(&["init"], b"");
    let out = env.run(&["doctor"], b"");
    assert_eq!(out.code, 0, "a new vault's log is whole\n{out}");
    env.create("gh", &[]);
    env.ok(&["update", "gh", "--note", "n"], b"");
    env.ok(&["revoke", "gh", "--yes"], b"");
    let out = env.run(&["doctor"], b"");
    assert_eq!(out.code, 0, "{out}");
    let intact = log_lines(&env);
    let before_revoke: Vec<String> = intact[..intact.len() - 1].to_vec();
    let cases: [(&str, Option<String>); 4] = [
        ("emptied", Some(String::new())),
        ("garbage", Some("AAAAbbbbCCCCddddEEEEffff0123\nnot a line of the log\n".into())),
        ("cut short", Some(format!("{}\n", before_revoke.join("\n")))),
        ("deleted", None),
    ];
    for (what, text) in cases {
        match &text {
            Some(t) => std::fs::write(env.log_path(), t).unwrap(),
            None => std::fs::remove_file(env.log_path()).unwrap(),
        }
        // A use appended since (carrying the generation its reader saw) changes nothing.
        env.ok(&["list"], b"");
        env.ok(&["show", "gh"], b"");
        let out = env.run(&["doctor"], b"");
        assert_eq!(out.code, 6, "doctor reports a {what} log\n{out}");
        assert!(!out.stdout.contains("chain intact"), "{what}: {out}");
        let line = out.stdout.lines().find(|l| l.starts_with("log")).unwrap_or_default();
        assert!(line.contains('✗') && line.contains("generation 4"), "{what}: {out}");
        let out = env.run(&["log"], b"");
        assert_eq!(out.code, 0, "{out}");
        assert!(out.stdout.lines().next().unwrap_or_default().contains("✗ missing"), "log marks the {what} log: {out}");
        assert!(out.stderr.contains("missing"), "{what}: {out}");
        let out = env.run(&["log", "--json"], b"");
        assert!(out.stderr.contains("missing"), "{what}: {out}");
    }
    // The next write logs generation 5: from then on the log reaches the vault again (what
    // was lost stays lost; it is not a finding forever).
    write_log(&env, &intact);
    env.create("two", &[]);
    let out = env.run(&["doctor"], b"");
    assert_eq!(out.code, 0, "{out}");
}

/// `accept-rollback` says, every time, what keeping the older copy brings back. When the log was
/// rolled back with the vault it cannot know what changed since: it says so and names every
/// token of the copy that may hold a secret revoked or replaced since. When the log knows, it
/// names each token exactly: revoked again, deleted but back, old secret of a regenerated token.
#[test]
fn accept_rollback_names_what_the_older_copy_brings_back() {
    let env = Env::keyring();
    env.create("leaky", &[]);
    env.create("rotated", &[]);
    env.create("kept", &[]);
    env.create("gone", &[]);
    let old = keep_copy(&env, true);
    env.ok(&["revoke", "leaky", "--yes"], b"");
    env.ok(&["regenerate", "rotated"], b"");
    env.ok(&["delete", "gone", "--yes"], b"");
    // The vault and its log together: only the OS keyring knows a newer generation was seen.
    put_back(&old);
    env.fails(&["get", "leaky"], b"", 6);
    // Said even with --quiet: it is what the user must act on.
    let out = env.succeeds(&["-q", "accept-rollback"], b"");
    assert!(out.stderr.contains("cannot tell"), "says the log does not reach the newest generation: {out}");
    for name in ["leaky", "rotated", "kept", "gone"] {
        assert!(out.stderr.contains(&format!("'{name}'")), "names {name}, which may be brought back: {out}");
    }
    assert!(out.stderr.contains("regenerate") || out.stderr.contains("revoke"), "says what to do: {out}");

    // The vault alone: the log knows every change since, and each is named for what it is.
    let old = keep_copy(&env, false);
    env.ok(&["revoke", "leaky", "--yes"], b"");
    env.ok(&["regenerate", "rotated"], b"");
    env.ok(&["delete", "gone", "--yes"], b"");
    put_back(&old);
    let out = env.succeeds(&["accept-rollback"], b"");
    assert!(!out.stderr.contains("cannot tell"), "{out}");
    assert!(out.stderr.contains("revoked again") && out.stderr.contains("leaky"), "{out}");
    let line =
        |name: &str| out.stderr.lines().find(|l| l.contains(&format!("'{name}'"))).unwrap_or_default().to_string();
    assert!(line("rotated").contains("brings back") && line("rotated").contains("old secret"), "{out}");
    assert!(line("gone").contains("brings back") && line("gone").contains("deleted"), "{out}");
    assert_eq!(line("kept"), "", "a token nothing happened to is not named: {out}");
    env.fails(&["get", "leaky"], b"", 4);

    // Nothing changed since the copy: it says that too.
    let old = keep_copy(&env, false);
    env.ok(&["update", "kept", "--note", "n"], b"");
    put_back(&old);
    let out = env.succeeds(&["accept-rollback"], b"");
    assert!(out.stderr.contains("brings back no"), "{out}");
}
