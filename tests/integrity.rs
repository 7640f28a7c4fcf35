//! The vault's state tells the truth: a tampered history log is seen (and a vault rolled back
//! to an older copy of itself is refused).

use crate::util::*;

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
    assert_eq!(intact.len(), 4);
    let out = env.run(&["doctor"], b"");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("chain intact"), "{out}");
    assert_eq!(broken(&env), 0);

    let tampered: [(&str, Vec<String>); 3] = [
        ("deleted", [&intact[..1], &intact[2..]].concat()),
        ("replayed", [&intact[..], &intact[1..2]].concat()),
        ("reordered", vec![intact[0].clone(), intact[2].clone(), intact[1].clone(), intact[3].clone()]),
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
