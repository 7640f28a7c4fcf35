//! A damaged or tampered vault is detected, reported (exit 6, or 5 when the key check itself was
//! hit) and never rewritten: a byte flip anywhere, every truncation, appended bytes, a newer
//! format version.

use std::path::Path;

use crate::support::*;

/// A small vault in env-key mode, and the secret in it.
fn small_vault() -> (Env, String) {
    let env = Env::env_key();
    let secret = env.create("gh", &["--scope", "repo"]);
    (env, secret)
}

/// Write `bytes` as the vault in `dir`, run tokctl there, and check the damage was caught.
fn check_damaged(env: &Env, dir: &Path, bytes: &[u8], args: &[&str], secret: &str, allowed: &[i32], what: &str) {
    let vault = dir.join("vault.toml");
    std::fs::write(&vault, bytes).unwrap();
    let mut c = env.std_cmd(args);
    c.env("TOKCTL_VAULT", &vault);
    let out = env.run_cmd(c, b"");
    assert_ne!(out.code, 101, "{what}: tokctl panicked\n{out}");
    assert!(allowed.contains(&out.code), "{what}: expected exit {allowed:?}\n{out}");
    assert!(!out.stdout.contains(secret), "{what}: printed the secret of a damaged vault\n{out}");
    assert!(out.stderr.starts_with("tokctl: "), "{what}: an error message\n{out}");
    assert_eq!(std::fs::read(&vault).unwrap(), bytes, "{what}: the damaged vault was rewritten\n{out}");
    let stray: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp") || n.ends_with(".log"))
        .collect();
    assert!(stray.is_empty(), "{what}: left {stray:?}\n{out}");
}

/// Run `f(worker_dir, index)` for every index in 0..n on a few threads.
fn in_parallel(env: &Env, n: usize, f: impl Fn(&Path, usize) + Sync) {
    let threads = 6;
    std::thread::scope(|s| {
        for t in 0..threads {
            let dir = env.root.join(format!("worker-{t}"));
            std::fs::create_dir_all(&dir).unwrap();
            let f = &f;
            s.spawn(move || {
                for i in (t..n).step_by(threads) {
                    f(&dir, i);
                }
            });
        }
    });
}

#[test]
fn a_byte_flip_anywhere_in_the_vault_is_caught_and_nothing_is_rewritten() {
    let (env, secret) = small_vault();
    let good = env.vault_bytes();
    assert!(good.len() < 2048, "a small vault: {} bytes", good.len());
    in_parallel(&env, good.len(), |dir, i| {
        // A low-bit flip keeps most characters printable (the parser has to look closely); a
        // reader and a writer are both tried.
        let mut bytes = good.clone();
        bytes[i] ^= 0x01;
        let what = format!("byte {i} ({:?}) ^ 0x01, get", good[i] as char);
        check_damaged(&env, dir, &bytes, &["get", "gh"], &secret, &[5, 6], &what);
        let mut bytes = good.clone();
        bytes[i] ^= 0x20;
        let what = format!("byte {i} ({:?}) ^ 0x20, update", good[i] as char);
        check_damaged(&env, dir, &bytes, &["update", "gh", "--note", "x"], &secret, &[5, 6], &what);
    });
    // The original still opens: the flips above were the only problem.
    assert_eq!(env.get("gh"), secret);
}

#[test]
fn every_truncation_of_the_vault_is_damage() {
    let (env, secret) = small_vault();
    let good = env.vault_bytes();
    in_parallel(&env, good.len(), |dir, len| {
        let what = format!("truncated to {len} of {} bytes", good.len());
        check_damaged(&env, dir, &good[..len], &["list", "--json"], &secret, &[6], &what);
    });
    let dir = env.root.join("worker-0");
    check_damaged(&env, &dir, &good[..good.len() / 2], &["create", "more"], &secret, &[6], "truncated, create");
}

#[test]
fn bytes_appended_to_the_vault_are_damage() {
    let (env, secret) = small_vault();
    let good = env.vault_bytes();
    let dir = env.root.join("appended");
    std::fs::create_dir_all(&dir).unwrap();
    for tail in [&b"\n"[..], b" ", b"x", b"\0", b"\n\n", b"# comment\n", b"[extra]\nkey = 1\n", b"\xff", &good] {
        let bytes = [good.as_slice(), tail].concat();
        let what = format!("appended {:?}", String::from_utf8_lossy(tail));
        check_damaged(&env, &dir, &bytes, &["get", "gh"], &secret, &[6], &what);
        check_damaged(&env, &dir, &bytes, &["create", "more"], &secret, &[6], &what);
    }
}

#[test]
fn a_newer_format_version_is_refused_by_name_and_left_alone() {
    let (env, secret) = small_vault();
    let text = String::from_utf8(env.vault_bytes()).unwrap();
    assert!(text.contains("\nversion = 4\n"), "{text}");
    let v3 = text.replace("\nversion = 4\n", "\nversion = 5\n");
    let dir = env.root.join("v3");
    std::fs::create_dir_all(&dir).unwrap();
    check_damaged(&env, &dir, v3.as_bytes(), &["get", "gh"], &secret, &[6], "version 5");
    check_damaged(&env, &dir, v3.as_bytes(), &["create", "x"], &secret, &[6], "version 5, create");
    let mut c = env.std_cmd(&["list"]);
    c.env("TOKCTL_VAULT", dir.join("vault.toml"));
    let out = env.run_cmd(c, b"");
    assert!(out.stderr.contains("version 5"), "the message names the version: {out}");
    let mut c = env.std_cmd(&["doctor"]);
    c.env("TOKCTL_VAULT", dir.join("vault.toml"));
    let out = env.run_cmd(c, b"");
    assert_eq!(out.code, 6, "doctor reports the damage: {out}");
}

#[test]
fn a_vault_that_is_not_a_vault_is_damage_not_a_crash() {
    let (env, secret) = small_vault();
    let dir = env.root.join("junk");
    std::fs::create_dir_all(&dir).unwrap();
    let text = String::from_utf8(env.vault_bytes()).unwrap();
    let cases: Vec<(String, Vec<u8>)> = vec![
        ("empty".into(), vec![]),
        ("binary".into(), (0..=255u8).collect()),
        ("plain toml".into(), b"format = \"tokctl-vault\"\nversion = 1\n".to_vec()),
        ("other format".into(), text.replacen("tokctl-vault", "tokctl-vaulx", 1).into_bytes()),
        ("reordered header".into(), {
            let mut lines: Vec<&str> = text.lines().collect();
            lines.swap(0, 1);
            (lines.join("\n") + "\n").into_bytes()
        }),
        ("CRLF line ends".into(), text.replace('\n', "\r\n").into_bytes()),
        ("unknown field".into(), text.replacen("cipher =", "extra = 1\ncipher =", 1).into_bytes()),
        ("huge kdf".into(), text.replacen("[sealed]", "[passphrase]\nkdf = \"argon2id\"\nm_kib = 4294967295\nt = 4294967295\np = 4294967295\nsalt = \"AA==\"\nnonce = \"AA==\"\nwrapped_key = \"AA==\"\n\n[sealed]", 1).into_bytes()),
    ];
    for (what, bytes) in cases {
        check_damaged(&env, &dir, &bytes, &["get", "gh"], &secret, &[5, 6], &what);
    }
}

#[test]
fn a_tampered_passphrase_slot_never_opens_and_never_crashes() {
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "a passphrase long enough");
    let secret = env.create("gh", &[]);
    let text = String::from_utf8(env.vault_bytes()).unwrap();
    let dir = env.root.join("slot");
    std::fs::create_dir_all(&dir).unwrap();
    // One change in each field of the slot (the KDF runs for each, so only a handful).
    for field in ["kdf = ", "m_kib = ", "t = ", "p = ", "salt = ", "nonce = ", "wrapped_key = "] {
        let start = text.find("[passphrase]").expect("a passphrase slot");
        let at = start + text[start..].find(&format!("\n{field}")).unwrap_or_else(|| panic!("{field} in\n{text}"));
        let i = at + 1 + field.len() + 1;
        let mut bytes = text.clone().into_bytes();
        bytes[i] ^= 0x01;
        check_damaged(&env, &dir, &bytes, &["get", "gh"], &secret, &[5, 6], &format!("slot field {field}"));
    }
    // A slot asking for absurd KDF parameters is refused, not obeyed.
    let greedy = text.replacen("m_kib = 65536", "m_kib = 4294967295", 1);
    assert_ne!(greedy, text, "the default KDF memory is 64 MiB:\n{text}");
    check_damaged(&env, &dir, greedy.as_bytes(), &["get", "gh"], &secret, &[5, 6], "m_kib = u32::MAX");
}
